"""Stage option tags (``cpu:2``, ``memory:4Gi``, ``timeout:30m`` ...) -> typed values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

# Kubernetes quantities: binary (Ki..Ei) or decimal (k, M..E) suffixes; "K" is not one.
MEMORY_UNITS = {
    **{u: 1024 ** (i + 1) for i, u in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))},
    **{u: 1000 ** (i + 1) for i, u in enumerate(("k", "M", "G", "T", "P", "E"))},
}
# ASCII digits only (``\d`` would take ``²`` or ``١``, which int() and Kubernetes refuse), and
# matched whole (``$`` alone would accept a trailing line break into generated files).
_MEMORY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?")
_CPU = re.compile(r"[0-9]+(\.[0-9]+)?|[0-9]+m")
_DURATION = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
_INT = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class OptionProblem:
    message: str
    ignored: bool = False  # a tag we read but do not map (a warning, not an error)


def memory_bytes(quantity: str) -> int:
    """A ``memory:`` tag's quantity (``512Mi``, ``1.5Gi``, ``4G``) in bytes, rounded up."""
    m = _MEMORY.fullmatch(quantity)
    if not m:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    size = Decimal(m.group(1)) * MEMORY_UNITS.get(m.group(2) or "", 1)
    return int(size.to_integral_value(rounding=ROUND_CEILING))


def parse_duration(value: str) -> int | None:
    """Seconds in ``90``, ``90s``, ``30m``, ``2h`` or ``1h30m``; None if it is not one."""
    if _INT.fullmatch(value):
        return int(value)
    m = _DURATION.fullmatch(value)
    if not m or not any(m.groups()):
        return None
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    return h * 3600 + mi * 60 + s


def parse_option(key: str, value: str) -> tuple[str, object] | OptionProblem:
    """(option name, typed value) for a stage option tag, or what is wrong with it."""
    if key == "limit":  # Kale: limit:nvidia.com/gpu:1
        kind, _, amount = value.rpartition(":")
        if kind.endswith("gpu"):
            key, value = "gpu", amount
        elif kind in ("cpu", "memory"):
            key, value = kind, amount
        else:
            return OptionProblem(f"Kale limit '{value}' is not mapped; ignored", ignored=True)
    if key == "cpu":
        if not _CPU.fullmatch(value) or value in ("0", "0m"):
            return OptionProblem("cpu takes a number of cores such as cpu:2, cpu:0.5 or cpu:500m")
        return "cpu", value
    if key == "memory":
        if not _MEMORY.fullmatch(value):
            return OptionProblem(
                "memory takes a Kubernetes quantity such as memory:512Mi or memory:4Gi"
            )
        return "memory", value
    if key in ("gpu", "retries"):
        if not _INT.fullmatch(value):
            return OptionProblem(f"{key} takes a whole number such as {key}:1")
        return key, int(value)
    if key == "timeout":
        seconds = parse_duration(value)
        if not seconds:
            return OptionProblem(
                "timeout takes a duration such as timeout:90s, timeout:30m or timeout:2h"
            )
        return "timeout", seconds
    if key == "cache":
        if value not in ("off", "on"):
            return OptionProblem("cache takes 'off' (always re-run this stage) or 'on'")
        return "cache", value == "on"
    if key == "image":
        if not value or any(ch.isspace() for ch in value):
            return OptionProblem("image takes an image reference such as image:python:3.11-slim")
        return "image", value
    return OptionProblem(f"'{key}' is not a stage option")
