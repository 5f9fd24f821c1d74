"""The compact episode index: the same lines as building every claim, merged and pickled intact."""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest

from cart837.batch import interest_for
from cart837.claims.model import Claim
from cart837.claims.reader import read_claim
from cart837.claims.stream import ClaimBytes, FileStream
from cart837.claims.summary import ClaimSummary, read_summary
from cart837.codes.tables import CodeTable, Step
from cart837.config import Config
from cart837.episodes import EpisodeIndex, EpisodeLine, is_cart_relevant
from cart837.errors import ClaimStructureError
from cart837.inputs import InputFile
from cart837.inttable import IntTable, MemberIds
from cart837.parallel import build_index
from cart837.rules.engine import Engine
from cart837.x12.delimiters import Delimiters
from cart837.x12.segment import segment_list, split_segments
from tests.rules.harness import Patient, wrap
from tests.support import generate


def _item(path: Path) -> InputFile:
    return InputFile(path, str(path), Path(path.name))


def _claims(paths: list[Path], config: Config) -> list[Claim]:
    """Return the CAR-T claims of `paths`, built in full (file number and offset in the location)."""
    out: list[Claim] = []
    for number, path in enumerate(paths):
        with path.open("rb") as source:
            for event in FileStream(source, str(number), interest_for(config), passthrough=False).events():
                if isinstance(event, ClaimBytes):
                    out.append(read_claim(event, str(number)))
    return out


def _add_claim(index: EpisodeIndex, claim: Claim, ref: tuple[int, int], codes: CodeTable) -> None:
    """The reference for pass 1's summaries: a claim built in full, its relevant dated lines added."""
    lines = tuple(
        (line.number, line.revenue_code, line.code, line.date)
        for line in claim.lines
        if line.date is not None and is_cart_relevant(line.code, line.revenue_code, codes)
    )
    summary = ClaimSummary(claim.id, claim.bill_type, claim.payer_id, claim.patient.key, claim.patient.member_id, lines)
    index.add_summary(summary, ref, codes)


def _by_read_claim(paths: list[Path], config: Config) -> EpisodeIndex:
    """The reference: every claim of interest built in full and added with `_add_claim`."""
    index, engine = EpisodeIndex(), Engine(config)
    for claim in _claims(paths, config):
        ref = (int(claim.location.file), claim.location.byte_offset or 0)
        _add_claim(index, claim, ref, engine.settings(claim.payer_id)[1])
    return index


def _lines(index: EpisodeIndex, patients: Iterable[str | None]) -> dict[tuple[str, date], list[EpisodeLine]]:
    """Return (patient key, date) -> lines of `patients`, in the order the index holds them."""
    return {
        (patient, day): lines
        for patient in patients
        if patient is not None
        for day, lines in index.patient_lines(patient).items()
    }


def _sizes(index: EpisodeIndex) -> tuple[int, int, int]:
    stats = index.stats()
    return stats["patients"], stats["claims"], stats["lines"]


def _patients(paths: list[Path], config: Config) -> set[str | None]:
    return {claim.patient.key for claim in _claims(paths, config)}


@pytest.mark.parametrize(
    ("line_ending", "delims", "interchanges"),
    [("none", "*:^~", 1), ("crlf", "*:^~", 2), ("none", "|}^\\n", 3), ("lf", "|}^~", 1)],
)
def test_pass_one_summaries_index_what_full_claims_index(line_ending: str, delims: str, interchanges: int) -> None:
    paths = [
        generate(
            all_scenarios=True,
            claims=300,
            seed=seed,
            cart_share=0.6,
            line_ending=line_ending,
            delims=delims,
            claims_per_st=70,
            interchanges=interchanges,
        )
        for seed in (3, 4)
    ]
    config = Config()
    fast, failures = build_index([_item(p) for p in paths], config)
    slow = _by_read_claim(paths, config)
    assert failures == {}
    assert fast.stats()["lines"] > 100
    assert _sizes(fast) == _sizes(slow)
    assert _lines(fast, _patients(paths, config)) == _lines(slow, _patients(paths, config))
    assert len(fast.member_ids) == len(slow.member_ids) > 10
    assert all(claim.patient.member_id in fast.member_ids for claim in _claims(paths, config))
    assert "NOT-A-MEMBER" not in fast.member_ids


def test_merge_keeps_file_order_and_links_a_patient_across_files() -> None:
    paths = [generate(all_scenarios=True, claims=200, seed=9, cart_share=0.6)] * 2  # the same patients twice
    config = Config()
    merged, _ = build_index([_item(p) for p in paths], config)
    slow = _by_read_claim(paths, config)
    merged_lines = _lines(merged, _patients(paths, config))
    # the second copy's replacement claims (137) replace their twins of the first copy (RULES.md §3,
    # revision 2): those rows stay in the index but leave the episode
    visible = sum(map(len, merged_lines.values()))
    assert merged.stats()["lines"] == slow.stats()["lines"] > visible > merged.stats()["lines"] // 2
    assert merged_lines == _lines(slow, _patients(paths, config))
    # every patient's lines in file order; a patient whose first-copy claims were not replaced is in both
    # (which patient comes first in the index depends on the hash seed, so no single one is picked)
    for lines in merged_lines.values():
        assert [line.claim[0] for line in lines] == sorted(line.claim[0] for line in lines)
    assert any({line.claim[0] for line in lines} == {0, 1} for lines in merged_lines.values())


def test_index_survives_pickling() -> None:
    path = generate(all_scenarios=True, claims=120, seed=5, cart_share=0.6)
    index, _ = build_index([_item(path)], Config())
    copy = pickle.loads(pickle.dumps(index))
    patients = _patients([path], Config())
    assert _lines(copy, patients) == _lines(index, patients) != {}
    assert len(copy.member_ids) == len(index.member_ids) > 5
    assert copy.stats() == index.stats()


def test_view_answers_from_the_compact_rows() -> None:
    index = EpisodeIndex()
    config = Config()
    codes = config.code_table()
    visit = """
        CLM*{id}*300***13:A:1**A*Y*Y
        DTP*434*D8*20250304
        LX*1
        SV2*0874*HC:38228*100*UN*1
        LX*2
        SV2*0891*HC:Q2042*100*UN*1
        LX*3
        SV2*0510*HC:G0463*100*UN*1
    """
    data = wrap([(Patient(), visit.format(id="A1")), (Patient(), visit.format(id="B2"))])
    blocks = _blocks(data)
    for block in blocks:
        _add_claim(index, read_claim(block, "t.837"), (0, block.offset), codes)
    claim = read_claim(blocks[0], "t.837")
    view = index.view(claim.patient.key, (0, blocks[0].offset))
    day = date(2025, 3, 4)
    assert [(line.claim_id, line.line, line.code) for line in view.lines_on(day)] == [
        ("A1", 1, "38228"),
        ("A1", 2, "Q2042"),
        ("B2", 1, "38228"),
        ("B2", 2, "Q2042"),
    ]
    other = view.other_claims_on(day)
    assert other[0] == EpisodeLine((0, blocks[1].offset), "B2", 1, "38228", Step.ADMINISTRATION, False, "131", day)
    assert other[1].product and other[1].step is None
    assert view.administration_elsewhere(day)
    assert view.lines_on(date(2025, 3, 5)) == []
    assert index.view(None, (0, 0)).lines_on(day) == []
    assert claim.patient.key is not None and list(index.patient_lines(claim.patient.key)) == [day]
    assert index.stats()["patients"] == 1


def test_a_bad_amount_fails_pass_one_with_read_claims_message() -> None:
    bad = """
        CLM*X9*100***13:A:1**A*Y*Y
        LX*1
        SV2*0874*HC:38228*1OO.00*UN*1
        DTP*472*D8*20250304
    """
    data = wrap([(Patient(), bad)])
    block = _blocks(data)[0]
    codes = Config().code_table()
    with pytest.raises(ClaimStructureError) as full:
        read_claim(block, "t.837")
    with pytest.raises(ClaimStructureError) as light:
        read_summary(block, "t.837", lambda payer, revenue, code: is_cart_relevant(code, revenue, codes))
    assert light.value.one_line() == full.value.one_line()
    assert "'1OO.00' is not an amount" in light.value.message


def _blocks(data: bytes) -> list[ClaimBytes]:
    stream = FileStream(io.BytesIO(data), "t.837", interest_for(Config()))
    return [event for event in stream.events() if isinstance(event, ClaimBytes)]


def test_int_table_grows_and_pickles() -> None:
    table = IntTable()
    keys = [(i * 0x9E3779B97F4A7C15) % (1 << 64) for i in range(5000)]
    for value, key in enumerate(keys):
        table.put(key, value)
    table.put(keys[7], 70)
    assert len(table) == 5000
    assert table.get(keys[7]) == 70 and table.get(keys[4999]) == 4999
    assert table.get(12345) == -1 and 12345 not in table
    copy = pickle.loads(pickle.dumps(table))
    assert sorted(copy.items()) == sorted(table.items())
    empty = pickle.loads(pickle.dumps(MemberIds()))
    assert len(empty) == 0 and "X" not in empty


def test_odd_patient_keys_still_work() -> None:
    index = EpisodeIndex()
    summary = ClaimSummary("C€1", "131", "P1", "not-a-hash", "M1", ((1, "0874", "38228", date(2025, 3, 4)),))
    index.add_summary(summary, (0, 10), Config().code_table())
    assert index.stats()["patients"] == 1 and list(index.patient_lines("not-a-hash")) == [date(2025, 3, 4)]
    assert [line.claim_id for line in index.view("not-a-hash", (1, 0)).lines_on(date(2025, 3, 4))] == ["C€1"]


def test_member_ids_turn_from_a_set_into_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MemberIds, "SMALL", 3)
    small, big = MemberIds(), MemberIds()
    small.add("A1")
    for text in ("B1", "B2", "B3", "B4"):
        big.add(text)
    assert small._set == {"A1"} and big._set is None and len(big) == 4
    merged = pickle.loads(pickle.dumps(small))
    merged.update(big)
    assert merged._set is None and len(merged) == 5
    assert all(text in merged for text in ("A1", "B1", "B4")) and "B5" not in merged and 7 not in merged
    assert "A1" in pickle.loads(pickle.dumps(merged))


def test_segment_list_splits_as_split_segments() -> None:
    cases = [
        b"",
        b"A",
        b"A~",
        b"A~~",
        b"~A",
        b"A*1~\nB*2~\r\n",
        b"A~  ~B",
        b"A*B:C~ \t\r\nD",
        b"X~\n\n",
    ]
    for delimiters in (Delimiters(b"*", b":", b"^", b"~"), Delimiters(b"*", b":", None, b"\n")):
        for data in cases:
            assert segment_list(data, delimiters) == list(split_segments(data, delimiters)), data
