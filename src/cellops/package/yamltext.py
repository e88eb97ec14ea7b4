"""YAML output through the YAML library, for every YAML file cellops generates."""

from __future__ import annotations

from typing import Any


def yaml_dumper(*, blocks: bool) -> Any:
    """The YAML library's safe dumper, with two fixes: a string holding U+0085 is written
    double-quoted (PyYAML writes it raw in other styles, and reads it back as a line break),
    and, with ``blocks``, multi-line scripts stay readable as literal blocks (the emitter falls
    back to a quoted scalar by itself whenever the text cannot be a block)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True  # a list used twice is written twice, as a reader expects

    def represent_str(dumper: Any, value: str) -> Any:
        style = '"' if "\x85" in value else "|" if blocks and "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    return Dumper


def dump_yaml(header: str, data: Any) -> str:
    """``data`` as YAML through the YAML library, after ``header`` (fixed text, never user
    text: a comment is no safe place for it)."""
    import yaml

    body = yaml.dump(
        data, Dumper=yaml_dumper(blocks=True), sort_keys=False, width=100, allow_unicode=True
    )
    return header + body
