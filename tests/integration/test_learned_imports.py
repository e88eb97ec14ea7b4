"""The lock holds what the stages imported at run time, not only what the code names.

A library loaded by name (a plugin, a writer chosen by a parameter) has no import statement
and no call the analysis knows (it knows ``%matplotlib`` and ``to_markdown``): a lock from the
code alone misses it, and the image would fail at that line.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.runs import cell, cellops_ok, make_notebook, promote


def test_a_lazily_imported_library_is_pinned_after_a_run(tmp_path: Path) -> None:
    notebook = make_notebook(
        tmp_path / "lazy.ipynb",
        [
            cell("import pandas as pd\nframe = pd.DataFrame({'a': [1, 2]})", "stage:load"),
            cell(
                "import importlib\nwriter = importlib.import_module('tom' + 'lkit')\n"
                "text = writer.dumps({'rows': len(frame)})\nprint(text)",
                "stage:show",
            ),
        ],
    )
    package = tmp_path / "pkg"
    promote(notebook, package)
    lock = (package / "requirements.lock").read_text(encoding="utf-8")
    assert "tomlkit==" not in lock  # nothing in the code names it

    first = cellops_ok("run", package, cwd=tmp_path)
    # The run that learns it says so.
    assert "show imported tomlkit, which requirements.lock does not pin" in first.stdout
    learned = json.loads((package / ".cellops" / "imports.json").read_text(encoding="utf-8"))
    assert "tomlkit" in learned["stages"]["show"]
    assert "pandas" in learned["stages"]["load"]  # imported ahead by the warm kernel's prelude

    result = promote(notebook, package)
    lock = (package / "requirements.lock").read_text(encoding="utf-8")
    assert any(line.startswith("tomlkit==") for line in lock.splitlines())
    said = [line for line in result.stdout.splitlines() if "from the last run's imports" in line]
    # pyarrow too: pandas imported it to read the frame (pinned anyway, as its companion).
    assert said and "tomlkit" in said[0].split(": ")[1].split(", ")
    assert "not imported in the last run" not in result.stdout

    # The record names the distribution and its version (provenance).
    run = json.loads(
        next((package / ".cellops" / "runs").glob("*/run.json")).read_text(encoding="utf-8")
    )
    assert "tomlkit" in run["stages"]["show"]["reads"]["distributions"]
