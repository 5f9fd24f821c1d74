"""The code tables of RULES.md §2: validity windows at their boundaries, crosswalk, unknown codes."""

from __future__ import annotations

from datetime import date

import pytest

from cart837.codes.tables import (
    CodeKind,
    Confirmation,
    Step,
    build_table,
    default_codes,
)
from cart837.episodes import is_cart_relevant

TABLE = build_table()
CAT_III = ("0537T", "0538T", "0539T", "0540T")
CAT_I = ("38225", "38226", "38227", "38228")


@pytest.mark.parametrize(("old", "new"), list(zip(CAT_III, CAT_I, strict=True)))
def test_cat_iii_ends_2024_12_31_and_cat_i_starts_2025_01_01(old: str, new: str) -> None:
    assert TABLE.valid_on(old, date(2024, 12, 31)) is True
    assert TABLE.valid_on(old, date(2025, 1, 1)) is False
    assert TABLE.valid_on(new, date(2024, 12, 31)) is False
    assert TABLE.valid_on(new, date(2025, 1, 1)) is True


@pytest.mark.parametrize("code", CAT_III)
def test_cat_iii_starts_2019_01_01(code: str) -> None:
    assert TABLE.valid_on(code, date(2018, 12, 31)) is False
    assert TABLE.valid_on(code, date(2019, 1, 1)) is True


@pytest.mark.parametrize(("old", "new"), list(zip(CAT_III, CAT_I, strict=True)))
def test_crosswalk_follows_the_date_of_service(old: str, new: str) -> None:
    assert TABLE.code_for(old, date(2025, 1, 1)) == new
    assert TABLE.code_for(old, date(2024, 12, 31)) == old
    assert TABLE.code_for(new, date(2024, 12, 31)) == old
    assert TABLE.code_for(new, date(2025, 1, 1)) == new
    assert TABLE.code_for(new, date(2019, 1, 1)) == old


@pytest.mark.parametrize("code", CAT_III + CAT_I)
def test_no_code_of_the_family_before_2019(code: str) -> None:
    assert TABLE.code_for(code, date(2018, 12, 31)) is None


def test_steps_and_revenue_codes_match_in_both_eras() -> None:
    steps = (Step.COLLECTION, Step.OUTBOUND_PREP, Step.INBOUND_PREP, Step.ADMINISTRATION)
    for old, new, step, revenue in zip(CAT_III, CAT_I, steps, ("0871", "0872", "0873", "0874"), strict=True):
        assert TABLE.step(old) is TABLE.step(new) is step
        assert TABLE.get(old).revenue_code == TABLE.get(new).revenue_code == revenue  # type: ignore[union-attr]
        # RULES.md §2.3: the Cat I pairings are inferred by crosswalk (P)
        assert TABLE.get(new).revenue_confirmation is Confirmation.PARTLY  # type: ignore[union-attr]


@pytest.mark.parametrize("code", ["J3393", "Q2057"])
def test_other_cell_and_gene_therapies_are_never_car_t(code: str) -> None:
    # RULES.md §2.4 revision 2: non_car_t_products (Zynteglo, Lyfgenia, Tecelra, ...) on 0891/0892
    assert TABLE.kind(code) is CodeKind.OTHER_THERAPY
    assert not is_cart_relevant(code, "0891", TABLE)
    assert is_cart_relevant("Q2041", "0891", TABLE) and is_cart_relevant("", "0891", TABLE)
    assert build_table(non_car_t=()).get(code) is None


@pytest.mark.parametrize("code", ["0541T", "", "99999", "38229"])
def test_unknown_codes_answer_none(code: str) -> None:
    assert TABLE.get(code) is None
    assert TABLE.kind(code) is None
    assert TABLE.step(code) is None
    assert TABLE.valid_on(code, date(2025, 1, 1)) is None
    assert TABLE.code_for(code, date(2025, 1, 1)) is None


def test_products_have_no_start_date_unless_configured() -> None:
    products = TABLE.of_kind(CodeKind.PRODUCT)
    assert products == {"Q2041", "Q2042", "Q2053", "Q2054", "Q2055", "Q2056", "Q2058"}
    assert all(TABLE.get(code).valid_from is None for code in products)  # type: ignore[union-attr]
    assert TABLE.get("Q2058").fda_listing == date(2024, 11, 8)  # type: ignore[union-attr]
    assert TABLE.valid_on("Q2041", date(2019, 1, 1)) is True


def test_every_entry_carries_a_confirmation_tag() -> None:
    assert all(info.confirmation in set(Confirmation) for info in default_codes().values())
    assert TABLE.get("Q2053").confirmation is Confirmation.PARTLY  # type: ignore[union-attr]
    assert TABLE.get("0540T").confirmation is Confirmation.CONFIRMED  # type: ignore[union-attr]


def test_configured_grace_period_keeps_the_cat_iii_code() -> None:
    table = build_table({"0540T": {"valid_to": "2025-03-31"}})
    assert table.code_for("0540T", date(2025, 3, 31)) == "0540T"
    assert table.code_for("0540T", date(2025, 4, 1)) == "38228"
    assert table.get("0540T").confirmation is Confirmation.CONFIRMED  # type: ignore[union-attr]


def test_configured_product_start_and_extra_products() -> None:
    table = build_table({"Q2058": {"valid_from": "2025-04-01"}}, extra_products=("C9399",))
    assert table.valid_on("Q2058", date(2025, 3, 31)) is False
    assert table.valid_on("Q2058", date(2025, 4, 1)) is True
    assert table.kind("C9399") is CodeKind.PRODUCT
    assert table.valid_on("C9399", date(2019, 1, 1)) is True


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"Q2058": {"valid_form": "2025-04-01"}}, "unknown key"),
        ({"Q2058": {"valid_from": "2025-13-01"}}, "not a date"),
        ({"X1234": {"valid_from": "2025-01-01"}}, "needs a kind"),
        ({"X1234": {"kind": "drug"}}, "not one of the allowed values"),
    ],
)
def test_bad_overrides_name_the_problem(raw: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_table(raw)
