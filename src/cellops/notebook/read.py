"""Reading and writing notebooks as plain JSON.

cellops reads notebooks with the standard library rather than nbformat: the CLI must start in
well under half a second, and nbformat's schema validation alone costs more than that budget
on large notebooks. The checks here are the ones cellops relies on (cells, unique ids,
sources), each failing with a message that says how to fix the file.

Every nbformat 4 notebook is read, not only 4.5+: most notebooks in the world were saved
before cell ids existed. Such cells get ids derived from the notebook itself
(``derive_cell_ids``), in memory only; the file is never rewritten behind the user's back.
nbformat 3 is upgraded in memory with nbformat's own converter (imported only then).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cellops.errors import NotebookError


@dataclass(frozen=True)
class Cell:
    index: int
    id: str
    cell_type: str  # "code" | "markdown" | "raw"
    source: str
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        """How messages name this cell: its position (as JupyterLab shows it, from 1) and id."""
        return f"cell {self.index + 1} (id {self.id})"


@dataclass(frozen=True)
class Notebook:
    path: str
    cells: tuple[Cell, ...]
    metadata: dict[str, Any] = field(compare=False, hash=False)
    sha256: str
    nbformat_minor: int

    @property
    def kernel_name(self) -> str:
        spec = self.metadata.get("kernelspec") or {}
        name = spec.get("name") if isinstance(spec, dict) else None
        return name if isinstance(name, str) and name else "python3"


def source_text(source: object) -> str:
    """A cell source is a string or a list of strings in the file format."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    raise TypeError("source must be a string or a list of strings")


def read_notebook(path: str | Path) -> Notebook:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise NotebookError(f"{p}: no such file; check the notebook path") from None
    except IsADirectoryError:
        raise NotebookError(f"{p}: is a directory, not a notebook (.ipynb) file") from None
    return parse_notebook(raw, str(p))


def derive_cell_ids(cells: Sequence[object]) -> list[str]:
    """The id of each cell: its own where it has one, else one derived from its content.

    A derived id is a hash of the cell's type and source, plus ``-N`` for the N-th identical
    cell (empty cells are common), so the same notebook always gets the same ids and promote
    stays byte-identical. Position among identical cells only, not in the notebook: inserting
    a cell leaves every other cell's id, its history and its stage notebook's bytes alone.
    Anything keying cells by id for a notebook file (tracking's lookup of the parameters
    cell too) must use this function, so both sides agree.
    """
    own = [c.get("id") if isinstance(c, dict) else None for c in cells]
    taken = {cid for cid in own if isinstance(cid, str) and cid}
    out: list[str] = []
    for cell, cid in zip(cells, own, strict=True):
        if isinstance(cid, str) and cid:
            out.append(cid)
            continue
        kind, source = "", ""
        if isinstance(cell, dict):
            kind = str(cell.get("cell_type", ""))
            try:
                source = source_text(cell.get("source", ""))
            except TypeError:
                source = repr(cell.get("source"))
        base = hashlib.sha256(f"{kind}\0{source}".encode()).hexdigest()[:12]
        derived, n = base, 1
        while derived in taken:
            n += 1
            derived = f"{base}-{n}"
        taken.add(derived)
        out.append(derived)
    return out


def _upgrade_v3(nb: dict[str, Any], name: str) -> dict[str, Any]:
    """nbformat 3 -> 4 with nbformat's own converter, in memory.

    The converter invents random cell ids; they are dropped so the derived ones, stable from
    one read to the next, take their place.
    """
    import warnings

    from nbformat import from_dict
    from nbformat.v4.convert import upgrade

    try:
        # Its schema warnings concern the old file; what cellops relies on is checked below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            node = from_dict(nb)  # type: ignore[no-untyped-call]
            upgraded: dict[str, Any] = upgrade(node, from_version=3)  # type: ignore[no-untyped-call]
    except Exception as exc:  # the converter's errors name no cell; the file is damaged
        raise NotebookError(
            f"{name}: notebook format 3 could not be converted ({exc.__class__.__name__}: "
            f"{exc}); convert it with 'jupyter nbconvert --to notebook --nbformat 4 {name}' "
            "and promote the result"
        ) from None
    for cell in upgraded.get("cells", []):
        if isinstance(cell, dict):
            cell.pop("id", None)
    return upgraded


def parse_notebook(raw: bytes | str, name: str = "<notebook>") -> Notebook:
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    digest = hashlib.sha256(data).hexdigest()
    try:
        nb = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (
            f" at line {exc.lineno}, column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise NotebookError(
            f"{name}: not valid notebook JSON{where} ({exc.__class__.__name__}); "
            "restore it from version control or re-save it from JupyterLab"
        ) from None
    if not isinstance(nb, dict) or ("cells" not in nb and "worksheets" not in nb):
        raise NotebookError(
            f"{name}: this JSON file is not a Jupyter notebook (no 'cells'); pass an .ipynb file"
        )
    major = nb.get("nbformat")
    if major == 3:
        nb = _upgrade_v3(nb, name)
        major = 4
    if major != 4:
        raise NotebookError(
            f"{name}: notebook format {major} is not supported; convert it with "
            f"'jupyter nbconvert --to notebook --nbformat 4 {name}' and promote the result"
        )
    minor = nb.get("nbformat_minor", 0)
    cells_raw = nb.get("cells")
    if not isinstance(cells_raw, list):
        raise NotebookError(f"{name}: 'cells' must be a list; the notebook file is damaged")
    raw_meta = nb.get("metadata")
    metadata: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    cells: list[Cell] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(cells_raw):
        if not isinstance(c, dict):
            raise NotebookError(
                f"{name}: cell {i + 1} is not an object; the notebook file is damaged"
            )
    for i, (c, cid) in enumerate(zip(cells_raw, derive_cell_ids(cells_raw), strict=True)):
        if cid in seen:
            raise NotebookError(
                f"{name}: cells {seen[cid] + 1} and {i + 1} share the id {cid!r}; give one of "
                "them a new id (copy the cell's content into a new cell) and save"
            )
        seen[cid] = i
        ctype = c.get("cell_type")
        if ctype not in ("code", "markdown", "raw"):
            raise NotebookError(f"{name}: cell {i + 1} (id {cid}) has unknown cell_type {ctype!r}")
        try:
            src = source_text(c.get("source", ""))
        except TypeError:
            raise NotebookError(
                f"{name}: cell {i + 1} (id {cid}): source must be a string or a list of strings"
            ) from None
        raw_md = c.get("metadata")
        md: dict[str, Any] = raw_md if isinstance(raw_md, dict) else {}
        tags = md.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise NotebookError(
                f"{name}: cell {i + 1} (id {cid}): metadata.tags must be a list of strings"
            )
        cells.append(Cell(i, cid, ctype, src, tuple(t.strip() for t in tags if t.strip()), md))
    return Notebook(
        name, tuple(cells), metadata, digest, int(minor) if isinstance(minor, int) else 0
    )


def dumps_notebook(nb: dict[str, Any]) -> str:
    """Serialise like nbformat does (indent 1, sorted keys), so diffs stay familiar."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def split_lines(text: str) -> list[str]:
    """A source string in the list form nbformat writes (each line keeps its newline)."""
    return text.splitlines(keepends=True)
