"""Element-by-element comparison of before/after segments."""

from __future__ import annotations

from cart837.report.segments import ElementChange, Piece, changes, compare

STAR = {"element": "*", "component": ":", "repetition": "^", "segment": "~"}
PIPE = {"element": "|", "component": ">", "repetition": None, "segment": "~"}


def test_only_the_changed_element_is_marked_on_each_side() -> None:
    before, after = compare("SV2*0874*HC:38228*6009.53*UN*2~", "SV2*0874*HC:38228*6009.53*UN*1~", STAR)
    assert before == [Piece("SV2*0874*HC:38228*6009.53*UN*"), Piece("2", True), Piece("~")]
    assert after == [Piece("SV2*0874*HC:38228*6009.53*UN*"), Piece("1", True), Piece("~")]


def test_several_changes_and_a_grown_segment() -> None:
    before, after = compare("SV2*0360*HC:38228*100*UN*1~", "SV2*0874*HC:38228*100*UN*1**100~", STAR)
    assert [p.text for p in before if p.changed] == ["0360"]
    assert [p.text for p in after if p.changed] == ["0874", "100"]
    assert "".join(p.text for p in after) == "SV2*0874*HC:38228*100*UN*1**100~"


def test_a_flag_shows_its_segment_unmarked() -> None:
    assert compare("SV2|0874|HC>38228|1|UN|2~", None, PIPE) == ([Piece("SV2|0874|HC>38228|1|UN|2~")], [])


def test_changes_name_elements_in_the_files_own_delimiters() -> None:
    assert changes("SV2|0360|HC>0537T|1|UN|2~", "SV2|0874|HC>38225|1|UN|2~", PIPE) == [
        ElementChange("SV201", "0360", "0874"),
        ElementChange("SV202", "HC>0537T", "HC>38225"),
    ]
    assert changes("SV2*1~", None, STAR) == []
