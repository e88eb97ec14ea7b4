"""The same sweep on a dask.distributed LocalCluster gives the same table as the local executor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import cellops
from cellops.errors import CellopsError
from cellops.sweeps import prepare_batch
from tests.batch.conftest import latest_batch, write_notebook
from tests.s3server import s3_server

CELLS = [
    ("a = 1\nb = 'x'", ["parameters"]),
    ("z = a * 2", ["stage:prep"]),
    ("import cellops\ny = z * len(b)\ncellops.log_metric('y', y)", ["stage:score"]),
]
SAME = ["run", "a", "b", "z", "y", "status", "error"]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.mark.kernel
def test_dask_gives_the_same_table_as_local(tmp_path: Path, scheduler: str) -> None:
    grid = {"a": [1, 2], "b": ["x", "yy"]}
    tables = {}
    for executor in ("local", "dask"):
        folder = tmp_path / executor
        folder.mkdir()
        nb = write_notebook(folder / "nb.ipynb", CELLS)
        options = {"scheduler": scheduler, "artifacts": str(tmp_path / "shared")}
        df = cellops.batch(
            nb, grid, jobs=2, executor=executor, **(options if executor == "dask" else {})
        )
        tables[executor] = df
        package = folder / ".cellops" / "batch" / "nb-pipeline"
        # prep reads only `a`: two executions serve the four runs.
        assert latest_batch(package)["executed"] == {"prep": 2, "score": 4}
        for notebooks in df["notebooks"]:
            assert (Path(notebooks) / "score.ipynb").is_file()
    # The workers exchanged the stages' values through the shared folder.
    assert len(list((tmp_path / "shared" / "artifacts").rglob("*.json"))) == 2
    assert tables["dask"][SAME].to_dict("records") == tables["local"][SAME].to_dict("records")
    assert list(tables["dask"]["y"]) == [2.0, 4.0, 4.0, 8.0]
    assert list(tables["dask"]["z"]) == [2, 2, 4, 4]  # scalar outputs are columns too


@pytest.mark.kernel
def test_dask_workers_exchange_artifacts_through_object_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("s3fs")
    with s3_server() as s3:
        # Credentials and endpoint from the environment, as on a real cluster; the cluster
        # cellops starts here (no --scheduler) and its workers' kernels inherit them.
        for name, value in s3.env.items():
            monkeypatch.setenv(name, value)
        nb = write_notebook(tmp_path / "nb.ipynb", CELLS)
        df = cellops.batch(
            nb, {"a": [1, 2], "b": ["x", "yy"]}, jobs=2, executor="dask",
            artifacts=s3.url("sweep"),
        )  # fmt: skip
        keys = s3.keys("sweep/")
    assert list(df["status"]) == ["done"] * 4
    assert list(df["y"]) == [2.0, 4.0, 4.0, 8.0]
    assert list(df["z"]) == [2, 2, 4, 4]  # scalar outputs read back from the bucket
    # prep's two values, content-addressed in the bucket; no stage left its work area behind.
    stored = [k for k in keys if k.startswith("sweep/artifacts/")]
    assert len(stored) == 2 and all(k.endswith(".json") for k in stored)
    assert [k for k in keys if k.startswith("sweep/work/")] == []
    assert not (tmp_path / ".cellops" / "batch" / "nb-pipeline" / ".cellops" / "artifacts").exists()


def test_artifacts_without_dask_is_refused_before_anything_runs(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", CELLS)
    with pytest.raises(CellopsError, match="--executor dask"):
        prepare_batch(nb, {"a": [1, 2]}, artifacts="s3://bucket/sweep")
    assert not (tmp_path / ".cellops").exists()  # not even promoted


@pytest.mark.kernel
def test_dask_sweep_executions_are_tracked_with_run_ids_and_source_cells(
    tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cellops.tracking import query

    db = tmp_path / "tracking.db"
    monkeypatch.setenv("CELLOPS_TRACKING_DB", str(db))
    nb = write_notebook(tmp_path / "nb.ipynb", CELLS)
    cellops.batch(nb, {"a": [1, 2]}, jobs=2, executor="dask", scheduler=scheduler)
    runs = latest_batch(tmp_path / ".cellops" / "batch" / "nb-pipeline")["runs"]
    for run in runs:
        frame = query.executions(db, run_id=run["run_id"])
        # The stage notebooks ran in a worker's temporary folder; the context came with them.
        assert sorted(zip(frame["cell_id"], frame["stage"], strict=True)) == [
            ("c1", "prep"),
            ("c2", "score"),
        ], run
        assert set(frame["notebook"]) == {str(nb)}


@pytest.mark.kernel
def test_dask_results_are_reused_until_a_file_they_read_changes(
    tmp_path: Path, scheduler: str
) -> None:
    """The workers send each stage's trace back: the next sweep takes its results from the
    cache, as locally, and a changed data file re-runs what read it, and no more."""
    (tmp_path / "data.txt").write_text("3\n", encoding="utf-8")
    cells = [
        ("a = 1", ["parameters"]),
        ("z = a * int(open('data.txt').read())", ["stage:prep"]),
        ("import cellops\ncellops.log_metric('y', z + 1)", ["stage:score"]),
    ]
    nb = write_notebook(tmp_path / "nb.ipynb", cells)
    options = {"scheduler": scheduler, "artifacts": str(tmp_path / "shared")}

    def sweep() -> tuple[list[float], dict[str, int]]:
        df = cellops.batch(nb, {"a": [1, 2]}, jobs=2, executor="dask", **options)
        package = tmp_path / ".cellops" / "batch" / "nb-pipeline"
        return list(df["y"]), latest_batch(package)["executed"]

    assert sweep() == ([4.0, 7.0], {"prep": 2, "score": 2})
    values, executed = sweep()
    assert values == [4.0, 7.0] and not any(executed.values())
    (tmp_path / "data.txt").write_text("5\n", encoding="utf-8")
    assert sweep() == ([6.0, 11.0], {"prep": 2, "score": 2})
