"""The short cell headers: each gives exactly nbgrader's metadata, the way back gives the same
header, and the notebooks' texts expand to what jupytext reads (nothing else is accepted)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit.cellheaders import LOCKED_TAGS, Header, HeaderError, expand, parse, shorten

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
HEADERS = st.one_of(
    st.builds(Header, st.just("answer"), NAMES),
    st.builds(Header, st.just("test"), NAMES, NAMES, st.integers(0, 40).map(lambda n: n / 2), st.booleans()),
    st.builds(Header, st.just("locked"), NAMES,
              tags=st.sets(st.sampled_from(LOCKED_TAGS)).map(lambda s: tuple(t for t in LOCKED_TAGS if t in s))))


@given(HEADERS)
def test_a_header_reads_back_from_its_line_and_from_its_metadata(header):
    assert parse(header.format()) == header
    meta, tags = header.metadata()
    assert Header.from_metadata(meta, tags, header.hidden, (header.name,)) == header


def test_the_metadata_is_nbgrader_s_own():
    assert parse("# %% test zero_pad fresh_inputs points=2 hidden").metadata() == (
        {"grade": True, "grade_id": "test_zero_pad_fresh_inputs", "locked": True, "points": 2,
         "schema_version": 3, "solution": False, "task": False}, ["raises-exception"])
    assert parse("# %% answer zero_pad").metadata() == (
        {"grade": False, "grade_id": "zero_pad", "locked": False, "schema_version": 3, "solution": True,
         "task": False}, [])
    assert parse(f"# %% locked figure {' '.join(LOCKED_TAGS)}").metadata()[1] == list(LOCKED_TAGS)
    assert parse("# %% [markdown]") is None and parse("# %%") is None


@pytest.mark.parametrize("line", [
    "# %% anwser zero_pad", "# %% test zero_pad points=1", "# %% test zero_pad x points=1 secret",
    "# %% test zero_pad x points=one", "# %% answer zero_pad hidden", "# %% locked",
    f"# %% locked figure {' '.join(reversed(LOCKED_TAGS))}", '# %% nbgrader={"grade": false}'])
def test_anything_else_is_refused_with_its_line(line):
    with pytest.raises(HeaderError, match="notes.py:3: "):
        expand(f"x = 1\n\n{line}\ny = 2\n", "notes.py")


def test_a_hidden_test_keeps_its_leading_comments_visible():
    text = ("# %% answer f\ndef f(x):\n    return 2 * x\n\n"
            "# %% test f values points=1 hidden\n# what it tests\ncheck(f(1) == 2)\nprint(3)\n\n# %%\nz = 1\n")
    assert expand(text).split("\n")[5:10] == [
        "# what it tests", "### BEGIN HIDDEN TESTS", "check(f(1) == 2)", "print(3)", "### END HIDDEN TESTS"]
    assert shorten(expand(text)) == text
    with pytest.raises(HeaderError, match="hidden"):
        expand("# %% test f values points=1\n### BEGIN HIDDEN TESTS\nx = 1\n")
