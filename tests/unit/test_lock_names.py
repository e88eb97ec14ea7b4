"""Which distributions a requirements.lock pins, whatever spelling of a name it uses."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cellops.package.lock import canonical, pins

words = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,8}", fullmatch=True)
names = st.lists(words, min_size=1, max_size=3)
separators = st.sampled_from(["-", "_", "."])


@given(names, separators, separators)
def test_a_pin_matches_every_spelling_of_its_name(parts: list[str], a: str, b: str) -> None:
    pinned = set(pins(f"# a comment\n{a.join(parts)}==1.0  # via x\n\n"))
    assert canonical(b.join(parts).upper()) in pinned


def test_comments_and_blank_lines_pin_nothing() -> None:
    assert pins("# header\n\n  # scikit-learn==1.0\n") == {}
