"""SpillList: findings beyond the first few thousand live on disk, and come back in order."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from cart837 import spill
from cart837.config import Config
from cart837.spill import SpillList
from tests.support import generate


@pytest.fixture(autouse=True)
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spill, "IN_MEMORY", 5)
    monkeypatch.setattr(spill, "BATCH", 3)


@pytest.mark.parametrize(("before", "after"), [(0, 0), (2, 0), (4, 9), (30, 0), (30, 12)])
def test_a_list_extended_by_spilled_lists_keeps_every_item_in_order(before: int, after: int) -> None:
    """A split file's findings: the parts' lists are joined in order, their spilled batches as bytes."""
    joined: SpillList[int] = SpillList(range(before))
    parts = [SpillList(range(1000, 1003)), SpillList(range(2000, 2017)), SpillList(range(3000, 3011))]
    for part in parts:
        joined.extend_list(part)
    joined.extend(range(4000, 4000 + after))
    expected = [*range(before), *range(1000, 1003), *range(2000, 2017), *range(3000, 3011), *range(4000, 4000 + after)]
    assert len(joined) == len(expected) and list(joined) == expected
    assert pickle.loads(pickle.dumps(joined)) == expected


def test_items_past_the_head_go_to_disk_and_come_back_in_order() -> None:
    items = SpillList(range(4))
    items.extend(range(4, 23))
    items.append(23)
    assert len(items) == 24 and items
    assert items._file is not None and len(items._head) == 5
    assert list(items) == list(range(24))
    assert list(items) == list(range(24))  # iterating twice reads the same
    assert items[3] == 3 and items[20] == 20 and items[-1] == 23 and items[2:4] == [2, 3]
    assert items == list(range(24)) and items != list(range(23))
    items.append(24)
    assert list(items)[-2:] == [23, 24]


def test_pickles_inline_or_by_reference() -> None:
    items = SpillList(f"finding {n}" for n in range(40))
    assert list(pickle.loads(pickle.dumps(items))) == list(items)
    items.by_reference()
    data = pickle.dumps(items)
    assert len(data) < 400  # the head and a file name, not the 35 spilled items
    adopted = pickle.loads(data)
    assert list(adopted) == list(items) and len(adopted) == 40


def test_empty_and_small_lists_stay_in_memory() -> None:
    assert not SpillList() and list(SpillList()) == []
    few = SpillList("abc")
    assert few._file is None and list(few) == ["a", "b", "c"]
    few.by_reference()
    assert list(pickle.loads(pickle.dumps(few))) == ["a", "b", "c"]


def test_report_streams_spilled_findings_with_the_same_bytes(tmp_path: Path) -> None:
    from cart837.api import fix_many
    from cart837.report.json_report import JsonReportWriter, file_dict

    results = fix_many([generate(all_scenarios=True, claims=80, seed=31, cart_share=0.6)], Config())
    assert len(results[0].findings) > 20 and results[0].findings._file is not None  # spilled (IN_MEMORY is 5)
    with JsonReportWriter(tmp_path / "r.json") as writer:
        writer.add(results[0])
    text = (tmp_path / "r.json").read_text()
    assert json.dumps(file_dict(results[0])) in text
    assert len(json.loads(text)["files"][0]["findings"]) == len(results[0].findings)
