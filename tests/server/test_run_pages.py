"""``GET runs?package=&limit=&before=``: the runs view reads a package's runs a page at a time.

Paging through every page gives each run once, newest first in the order the sidebar sorts
by (start time, then the greater id), whatever the page size, the number of runs or the
ties in start times.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cellops.run import record as records
from cellops.server.status import list_runs, parse_cursor
from tests.server.conftest import Fetch, write_nb

CELLS = [("n = 1", ["parameters"]), ("print(n)", ["stage:only"])]


def _fill(package: Path, starts: list[float]) -> list[str]:
    """One finished run per start time; their ids newest first, as the list orders them."""
    ids = [f"run-{i:04d}" for i in range(len(starts))]
    for run_id, started in zip(ids, starts, strict=True):
        rec = records.RunRecord(run_id, "p", "done", {"n": 1}, started, started + 1)
        rec.stages = {"only": records.StageRecord(status="done", duration=1.0)}
        records.save(package, rec, latest=False)
    return [i for _, i in sorted(zip(starts, ids, strict=True), reverse=True)]


def _pages(package: Path, limit: int) -> list[list[str]]:
    pages, before = [], None
    for _ in range(1000):  # bounded: a cursor that never ends fails the test, not the run
        page = list_runs(package, [], lambda p: p.as_posix(), limit, before)
        pages.append([r["id"] for r in page.runs])
        if page.next is None:
            return pages
        before = parse_cursor(page.next)
    raise AssertionError("the pages never end")


@settings(max_examples=40, deadline=None)
@given(
    starts=st.lists(st.integers(0, 6).map(float), max_size=30),
    limit=st.integers(1, 12),
)
def test_every_run_once_newest_first_whatever_the_page_size(
    starts: list[float], limit: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp)
        expected = _fill(package, starts)
        pages = _pages(package, limit)
        assert [i for page in pages for i in page] == expected
        assert all(len(page) == limit for page in pages[:-1])
        assert len(pages[-1]) <= limit
        # A page once listed is the same page the next time (the start times are cached).
        assert _pages(package, limit) == pages


async def test_the_runs_route_answers_pages_and_refuses_bad_cursors(
    api: Fetch, jp_root_dir: Path
) -> None:
    write_nb(jp_root_dir, CELLS, "p.ipynb")
    answer = await api("POST", "promote", body={"path": "p.ipynb"})
    assert answer.status == 201, str(answer)
    package = str(answer.body["package"])
    expected = _fill(jp_root_dir / package, [float(i) for i in range(25)])

    whole = await api("GET", "runs", params={"package": package})
    assert [r["id"] for r in whole.body["runs"]] == expected
    assert whole.body["next"] is None

    seen: list[str] = []
    params = {"package": package, "limit": "10"}
    for _ in range(5):
        page = await api("GET", "runs", params=params)
        assert page.status == 200, str(page)
        assert page.body["promoted"] is True
        seen += [r["id"] for r in page.body["runs"]]
        if page.body["next"] is None:
            break
        params["before"] = page.body["next"]
    assert seen == expected

    for bad in ({"limit": "0"}, {"limit": "ten"}, {"before": "yesterday"}, {"before": "nan:x"}):
        answer = await api("GET", "runs", params={"package": package, **bad})
        assert answer.status == 400, f"{bad}: {answer}"

    # Not promoted: still the empty list, with no next page.
    answer = await api("GET", "runs", params={"package": "nowhere", "limit": "5"})
    assert answer.status == 200 and answer.body == {"promoted": False, "runs": [], "next": None}
