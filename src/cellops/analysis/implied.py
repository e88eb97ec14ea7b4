"""Modules a cell needs at run time without an ``import`` naming them.

``%matplotlib inline`` imports matplotlib; ``pd.read_excel`` makes pandas import openpyxl. The
lock and the image must hold them too, or the stage fails there although the notebook ran.
Kept to a small table of what is certain; what a run actually imports is the exact answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A line magic (or `%%` cell magic) -> the module it imports.
_MAGICS = {"matplotlib": "matplotlib", "pylab": "matplotlib"}
# `%load_ext NAME` loads a module; these are IPython's own.
_IPYTHON_EXTENSIONS = frozenset({"autoreload", "storemagic", "IPython"})
_MAGIC = re.compile(r"^\s*(?:[\w.,\s]+=\s*)?%{1,2}(?P<name>\w+)\s*(?P<rest>.*)$")

# A called function or method -> the optional module the library imports for it (looked up by
# the names visitor, which sees every call anyway).
LAZY_IMPORTS = {
    "read_excel": "openpyxl",
    "to_excel": "openpyxl",
    "ExcelWriter": "openpyxl",
    "read_parquet": "pyarrow",
    "to_parquet": "pyarrow",
    "read_feather": "pyarrow",
    "to_feather": "pyarrow",
    "read_orc": "pyarrow",
    "read_hdf": "tables",
    "to_hdf": "tables",
    "HDFStore": "tables",
    "to_markdown": "tabulate",
    "read_html": "lxml",
    "read_xml": "lxml",
    "plot": "matplotlib",
    "hist": "matplotlib",
    "boxplot": "matplotlib",
}


def magic_imports(lines: Iterable[str]) -> set[str]:
    found = set()
    for line in lines:
        m = _MAGIC.match(line)
        if m is None:
            continue
        name, rest = m["name"], m["rest"].split()
        if name in _MAGICS:
            found.add(_MAGICS[name])
        elif name == "load_ext" and rest:
            module = rest[0].split(".")[0]
            if module not in _IPYTHON_EXTENSIONS:
                found.add(module)
    return found
