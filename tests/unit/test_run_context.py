"""The stage context: what promote knew is used, but never once the notebook changed."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.analysis.digest import stage_facts
from cellops.package.promote import promote
from cellops.package.spec import load
from cellops.run.context import package_context

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "wine_fanout.ipynb"


def test_code_digests_come_from_the_spec_until_a_notebook_is_edited_by_hand(
    tmp_path: Path,
) -> None:
    pkg = promote(EXAMPLE, tmp_path / "pkg").package
    spec = load(pkg)
    assert all(s.code_sha256 and s.notebook_sha256 and s.imports for s in spec.stages)
    ctx = package_context(pkg, spec)
    assert ctx.code == {s.name: s.code_sha256 for s in spec.stages}
    assert "sklearn.ensemble" in ctx.imported()

    # A spec written before these fields existed: the same facts, read from the notebooks.
    older = replace(
        spec,
        stages=tuple(
            replace(s, code_sha256="", notebook_sha256="", imports=()) for s in spec.stages
        ),
    )
    assert package_context(pkg, older).code == ctx.code
    assert package_context(pkg, older).imported() == ctx.imported()

    # A stage notebook changed after promote: its digest follows the notebook, not the spec.
    path = pkg / spec.stage("train_forest").notebook
    nb = json.loads(path.read_text())
    cell = next(
        c for c in nb["cells"] if c["cell_type"] == "code" and "fit" in "".join(c["source"])
    )
    cell["source"] = "".join(cell["source"]).replace("fit", "fit  ") + "\nextra = 1\n"
    path.write_text(json.dumps(nb))
    edited = package_context(pkg, spec)
    assert edited.code["train_forest"] != ctx.code["train_forest"]
    assert {n: d for n, d in edited.code.items() if n != "train_forest"} == {
        n: d for n, d in ctx.code.items() if n != "train_forest"
    }


_COMMENT = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")), max_size=30)


@settings(max_examples=50, deadline=None)
@given(comment=_COMMENT, blank=st.integers(0, 3))
def test_comments_and_blank_lines_do_not_change_the_code_digest(comment: str, blank: int) -> None:
    def nb(source: str) -> dict[str, object]:
        return {"cells": [{"cell_type": "code", "metadata": {}, "source": source}]}

    plain = stage_facts(nb("x = 1\ny = x + 1\n"), b"a")
    noisy = stage_facts(nb(f"# {comment}\nx = 1{chr(10) * blank}\ny = x + 1  # {comment}\n"), b"b")
    assert noisy["code_sha256"] == plain["code_sha256"]
    assert stage_facts(nb("x = 2\ny = x + 1\n"), b"a")["code_sha256"] != plain["code_sha256"]
