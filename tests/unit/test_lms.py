"""The roster the LMS exports read, and how scores are written (coursekit/lms.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from coursekit.lms import MoodleExport, RosterError, Score, number, read_roster


def write(tmp_path, text: str):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    return path


def test_a_roster_maps_ids_and_fills_the_optional_columns(tmp_path):
    roster = read_roster(write(tmp_path, "\ufeffnbgrader_id,lms_id,email\n ada , 1001 ,a@x.edu\nben,1002,\n"))
    assert roster["ada"]["lms_id"] == "1001" and roster["ada"]["email"] == "a@x.edu"
    assert roster["ben"]["section"] == "" and set(roster) == {"ada", "ben"}


@pytest.mark.parametrize("text, words", [
    ("student,lms_id\nada,1\n", "the header lacks nbgrader_id"),
    ("nbgrader_id,lms_id\nada,\n", "line 2: nbgrader_id and lms_id must both be given"),
    ("nbgrader_id,lms_id\nada,1\nada,2\n", "line 3: 'ada' is listed twice"),
])
def test_a_malformed_roster_is_refused_with_the_line_to_fix(tmp_path, text, words):
    with pytest.raises(RosterError, match=words):
        read_roster(write(tmp_path, text))


def test_a_missing_roster_says_which_columns_to_write(tmp_path):
    with pytest.raises(RosterError, match="no roster at .*nbgrader_id, lms_id"):
        read_roster(tmp_path / "absent.csv")


@given(st.floats(0, 1e6), st.floats(0, 1e6))
def test_a_late_penalty_never_takes_a_score_below_zero(raw, penalty):
    score = Score(raw, penalty)
    assert 0 <= score.final <= raw
    assert float(number(score.final)) == pytest.approx(max(0.0, raw - penalty), abs=0.005)


def test_moodle_feedback_shows_the_points_before_the_penalty():
    assert MoodleExport.feedback_text(Score(29, 6), 40) == "23 / 40 points (29 before a late penalty of 6)"
    assert MoodleExport.feedback_text(Score(12.345, 0), 40) == "12.35 / 40 points"
    assert MoodleExport.feedback_text(None, 40) == "not submitted"
