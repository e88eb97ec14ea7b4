"""No name, file name, parameter value, tag or URL can change the structure of a generated file.

Each reproduction of issue 14 item 1 is a test here; the property-based tests in
test_generated_files.py cover the same files over arbitrary inputs.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import nbformat
import yaml

from tests.clirun import cellops
from tests.generated import commented_command, dockerfile_instructions, write_notebook

INJECTED_RUN = "p\nRUN touch /tmp/PWNED\n#"
PLAIN = [("x = 1\nprint(x)", ["stage:only"])]


def test_promote_refuses_a_name_that_is_not_a_valid_pipeline_name(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "inj.ipynb", PLAIN)
    for name in (INJECTED_RUN, "evil\nconcurrency: {group: pwned}\n#", "Upper", "a b", ""):
        proc = cellops("promote", nb, "-o", tmp_path / "pkg", "--name", name, cwd=tmp_path)
        assert proc.returncode == 2, (name, proc.stderr)
        assert "--name" in proc.stderr and "lowercase letters" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert not (tmp_path / "pkg").exists()


def test_a_notebook_file_name_with_line_breaks_adds_no_dockerfile_instruction(
    tmp_path: Path,
) -> None:
    plain = write_notebook(tmp_path / "nb.ipynb", PLAIN)
    evil = write_notebook(tmp_path / "nb\nRUN touch PWNED\n#.ipynb", PLAIN)
    assert cellops("promote", plain, "-o", tmp_path / "a", cwd=tmp_path).returncode == 0
    proc = cellops("promote", evil, "-o", tmp_path / "b", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    want = dockerfile_instructions((tmp_path / "a" / "Dockerfile").read_text())
    got = dockerfile_instructions((tmp_path / "b" / "Dockerfile").read_text())
    assert [k for k, _ in got] == [k for k, _ in want]
    assert "PWNED" not in "".join(v for k, v in got if k != "LABEL")


def test_a_hand_edited_pipeline_name_is_refused_by_every_command(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", PLAIN)
    assert cellops("promote", nb, "-o", tmp_path / "pkg", cwd=tmp_path).returncode == 0
    spec = tmp_path / "pkg" / "pipeline.yaml"
    data = yaml.safe_load(spec.read_text())
    data["name"] = "evil\nenv: {EVIL: '1'}\n#"
    spec.write_text(yaml.safe_dump(data))
    export = ["export", "pkg", "--to", "argo", "--image", "i:1", "--storage", "/s", "--volume", "v"]
    for args in (["ci", "pkg", "--provider", "github"], export, ["run", "pkg"]):
        proc = cellops(*args, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "pipeline name" in proc.stderr and "promote again" in proc.stderr


def test_github_expressions_in_smoke_parameters_are_refused(tmp_path: Path) -> None:
    nb = write_notebook(
        tmp_path / "nb.ipynb", [('s = "a"', ["parameters"]), ("print(s)", ["stage:only"])]
    )
    assert cellops("promote", nb, "-o", tmp_path / "pkg", cwd=tmp_path).returncode == 0
    proc = cellops(
        "ci",
        "pkg",
        "--provider",
        "github",
        "-p",
        "s=${{ secrets.REGISTRY_PASSWORD }}",
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "GitHub would evaluate" in proc.stderr
    assert not (tmp_path / "pkg" / ".github").exists()
    # Shell text is quoted, not refused: the smoke run gets the value back as one word.
    proc = cellops("ci", "pkg", "--provider", "github", "-p", "s=$(touch x); 'q'", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    flow = yaml.safe_load(next((tmp_path / "pkg" / ".github" / "workflows").iterdir()).read_text())
    smoke = flow["jobs"]["image"]["steps"][4]["run"]
    assert shlex.split(smoke)[-2:] == ["-p", "s=$(touch x); 'q'"]


def test_argo_storage_with_a_line_break_is_refused(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", PLAIN)
    assert cellops("promote", nb, "-o", tmp_path / "pkg", cwd=tmp_path).returncode == 0
    proc = cellops(
        "export", "pkg", "--to", "argo", "--image", "i:1", "--storage", "s3://b/p\nx: 1\n#",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2 and "--storage" in proc.stderr and "line breaks" in proc.stderr


def _promote_with_default(tmp_path: Path, value: str) -> None:
    """tmp_path/pkg: one stage reading a string parameter ``s`` whose default is ``value``."""
    cells = [(f"s = {value!r}", ["parameters"]), ("print(s)", ["stage:only"])]
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    assert cellops("promote", nb, "-o", tmp_path / "pkg", cwd=tmp_path).returncode == 0


def test_a_string_default_with_a_line_break_adds_no_key_to_the_kubeflow_file(
    tmp_path: Path,
) -> None:
    value = "v\nx-injected-kfp: true\n#"
    _promote_with_default(tmp_path, value)
    out = tmp_path / "kfp.yaml"
    proc = cellops(
        "export", "pkg", "--to", "kubeflow", "--image", "i:1", "--storage", "/shared",
        "--volume", "v", "-o", out, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(out.read_text()))
    assert "x-injected-kfp" not in docs[0]
    assert set(docs[0]) == {"components", "deploymentSpec", "pipelineInfo", "root", "schemaVersion",
                            "sdkVersion"}  # fmt: skip
    params = docs[0]["root"]["inputDefinitions"]["parameters"]
    assert params["s"]["defaultValue"] == value


def test_the_airflow_trigger_line_is_one_valid_shell_command(tmp_path: Path) -> None:
    value = 'it\'s "quoted"\nand two lines'
    _promote_with_default(tmp_path, value)
    out = tmp_path / "dag.py"
    proc = cellops(
        "export", "pkg", "--to", "airflow", "--operator", "docker", "--image", "i:1",
        "--storage", "/shared", "-p", f"s={value}", "-o", out, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    words = commented_command(text, "airflow dags trigger")
    assert words is not None
    assert json.loads(words[words.index("--conf") + 1]) == {"s": value}
    header = text.split("from __future__", 1)[0]
    assert all(ln.startswith("#") for ln in header.strip().splitlines())


def test_unicode_digits_in_option_tags_are_a_diagnostic(tmp_path: Path) -> None:
    for tag in ("retries:²", "cpu:١", "memory:١Gi", "timeout:٣m", "gpu:²"):
        nb = write_notebook(tmp_path / "nb.ipynb", [("x = 1", ["stage:only", tag])])
        proc = cellops("check", nb, cwd=tmp_path)
        assert proc.returncode == 2, (tag, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout
        assert tag.split(":")[0] in proc.stderr + proc.stdout


def test_nan_and_infinity_defaults_are_refused_at_promote(tmp_path: Path) -> None:
    cells = [("x = 1e999", ["parameters"]), ("print(x)", ["stage:only"])]
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    proc = cellops("promote", nb, "-o", tmp_path / "pkg", cwd=tmp_path)
    assert proc.returncode == 2 and "parameter 'x'" in proc.stderr and "NaN" in proc.stderr
    assert not (tmp_path / "pkg").exists()


def test_stage_notebooks_stay_valid_notebooks(tmp_path: Path) -> None:
    cells = [('s = "a\\u2028b\\x00c"', ["parameters"]), ("print(s)", ["stage:only"])]
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    assert cellops("promote", nb, "-o", tmp_path / "pkg", cwd=tmp_path).returncode == 0
    stage = nbformat.read(tmp_path / "pkg" / "stages" / "only.ipynb", as_version=4)
    nbformat.validate(stage)
