"""CART-007: every administration needs a product on the same claim."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from cart837.claims.edits import set_units
from cart837.claims.model import ServiceLine
from cart837.codes.tables import CodeKind, Step
from cart837.config import RuleMode
from cart837.episodes import ClaimRef, EpisodeLine
from cart837.rules._lines import (
    administrations,
    dates_of,
    describe,
    has_unit_fields,
    lx_list,
    outpatient_only,
    products,
)
from cart837.rules.base import Action, Proposal, RuleContext, Severity, rule

ONE = Decimal(1)
Notes = dict[int, list[str]]  # administration LX -> what is wrong (one flag per administration line)


@rule(
    id="CART-007",
    needs=(CodeKind.STEP, CodeKind.PRODUCT),
    title="Every administration needs a product on the same claim",
    citation="[REF-CODING]; [MM11216]; [CGS-2021]; [NAHRI-2019]; [FDA-NDC]",
    default=RuleMode.FIX,
    config_keys=(
        "outpatient_bill_types",
        "split_dose_products",
        "split_dose_window_days",
        "extra_product_codes",
        "codes",
    ),
    severity=Severity.ERROR,
    next_step=(
        "add or correct the CAR-T product line (Q-code on revenue code 0891, FL 42/44, dated the "
        "administration day in FL 45) or correct the administration line; do not send until they pair"
    ),
)
def check(ctx: RuleContext) -> list[Proposal]:
    """Pair 0540T/38228 with one product line of 1 unit on the same DOS; fix the units, flag the rest.

    Bad:  SV2*0874*HC:38228*4000*UN*1 and SV2*0891*HC:Q2041*896000*UN*2, both on 2025-05-01.
    Good: SV2*0891*HC:Q2041*896000*UN*1 (charge unchanged). No product at all: an orphan flag, never a made-up line.
    """
    bounds = _out_of_bounds(ctx)  # (f): every product line of every claim (revision 2)
    if not outpatient_only(ctx):
        return bounds
    admins = administrations(ctx)
    if not admins:
        return bounds
    prods = products(ctx)
    if not prods:  # (a), except a split dose's second infusion billed on its own claim (g)
        return bounds + [_orphan(admin) for admin in admins if not _split_dose_elsewhere(ctx, admin)]
    notes: Notes = defaultdict(list)
    _two_products(admins, prods, notes)  # (e)
    _dates(ctx, admins, prods, notes)  # (b), (g)
    fixes = _units(admins, prods, notes)  # (c)
    flags = [
        Proposal(Action.FLAG, number, "; ".join(texts), (), _line(admins, number).date)
        for number, texts in sorted(notes.items())
    ]
    return fixes + flags + bounds


def _split_dose_elsewhere(ctx: RuleContext, admin: ServiceLine) -> bool:
    """RULES.md CART-007 (g), revision 2: a split dose's second infusion may sit on its own claim."""
    if admin.date is None:
        return False
    window = timedelta(days=ctx.config.split_dose_window_days)
    by_claim: dict[ClaimRef, list[EpisodeLine]] = defaultdict(list)
    for line in ctx.episode.other_claims():
        by_claim[line.claim].append(line)
    for lines in by_claim.values():
        if not any(line.product and line.code in ctx.config.split_dose_products for line in lines):
            continue
        for line in lines:
            if line.step is Step.ADMINISTRATION and line.day and line.day < admin.date <= line.day + window:
                return True
    return False


def _orphan(admin: ServiceLine) -> Proposal:
    message = (
        f"orphan administration: {describe(admin)} has no CAR-T product line (Q-code on revenue code 0891) on this "
        "claim; the product is billed with its administration. No line is added: the tool never makes up a "
        "product or a charge"
    )
    return Proposal(Action.FLAG, admin.number, message, (), admin.date)


def _two_products(admins: list[ServiceLine], prods: list[ServiceLine], notes: Notes) -> None:
    codes = sorted({line.code for line in prods})
    if len(codes) > 1:
        notes[admins[0].number].append(
            f"{len(codes)} different product codes on the claim ({', '.join(describe(p) for p in prods)}): "
            "an administration pairs with one product"
        )


def _dates(ctx: RuleContext, admins: list[ServiceLine], prods: list[ServiceLine], notes: Notes) -> None:
    admin_days = dates_of(admins)
    codes = {line.code for line in prods}
    if len(codes) == 1 and next(iter(codes)) in ctx.config.split_dose_products:
        _split_dose(admins, prods, admin_days, notes)
        return
    product_days = dates_of(prods)
    lonely_days = [day for day in admin_days if day not in product_days]
    lonely_products = [p for p in prods if p.date is not None and p.date not in admin_days]
    if len(lonely_days) == 1 and len(lonely_products) == 1:
        product, day = lonely_products[0], lonely_days[0]
        notes[_anchor(admins, day).number].append(
            f"product {describe(product)} is not dated on the administration date {day.isoformat()}: the product "
            "is billed on the date of the administration (no edit changes a date)"
        )
        return
    for day in lonely_days:
        notes[_anchor(admins, day).number].append(
            f"no product line dated {day.isoformat()} for this administration (products: "
            f"{', '.join(describe(p) for p in prods)})"
        )
    for product in lonely_products:
        notes[admins[0].number].append(f"product {describe(product)} has no administration on its date")


def _split_dose(admins: list[ServiceLine], prods: list[ServiceLine], admin_days: list[date], notes: Notes) -> None:
    """RULES.md CART-007 (g): one split-dose product line pairs with administrations on up to two dates."""
    first = admins[0].number
    code = prods[0].code
    if len(prods) > 1:
        notes[first].append(
            f"split-dose product {code} is billed on {len(prods)} lines ({lx_list(prods)}): one dose is one "
            "product line, paired with administrations on up to two dates"
        )
    if len(admin_days) > 2:
        days = ", ".join(day.isoformat() for day in admin_days)
        notes[first].append(f"administrations on {len(admin_days)} dates ({days}): split-dose {code} covers two")
    for product in prods:
        if product.date is not None and product.date not in admin_days:
            notes[first].append(f"product {describe(product)} has no administration on its date")


def _units(admins: list[ServiceLine], prods: list[ServiceLine], notes: Notes) -> list[Proposal]:
    odd = [p for p in prods if p.units != ONE]
    if not odd:
        return []
    admin_days = dates_of(admins)
    dated = all(line.date is not None for line in (*admins, *prods))
    if len(prods) == 1 and len(admin_days) == 1 and dated and has_unit_fields(prods[0]):
        product = prods[0]
        message = (
            f"product {describe(product)} billed with {_units_text(product)}: the unit is one therapeutic dose and "
            f"the claim has one administration date ({admin_days[0].isoformat()}); set to 1 unit, charge unchanged"
        )
        return [Proposal(Action.UNITS, product.number, message, (set_units(product.number, ONE),), product.date)]
    why = f"{len(admin_days)} administration date(s) and {len(prods)} product line(s)"
    if not all(has_unit_fields(product) for product in odd):
        why += "; a line without SV204/SV205 gets no SV205 alone (a syntax error)"
    for product in odd:
        notes[_anchor(admins, product.date).number].append(
            f"product {describe(product)} billed with {_units_text(product)}; with {why} the units are not "
            "changed automatically"
        )
    return []


def _out_of_bounds(ctx: RuleContext) -> list[Proposal]:
    """(f): a product dated outside its configured window or before its FDA listing, on any claim."""
    proposals: list[Proposal] = []
    for product in ctx.facts.product_lines:
        info = ctx.codes.get(product.code)
        if info is None or product.date is None:
            continue
        notes = []
        if info.valid_from and product.date < info.valid_from:
            notes.append(f"dated before its configured HCPCS start {info.valid_from.isoformat()}")
        if info.valid_to and product.date > info.valid_to:
            notes.append(f"dated after its configured HCPCS end {info.valid_to.isoformat()}")
        if info.fda_listing and product.date < info.fda_listing:
            notes.append(f"dated before its FDA listing {info.fda_listing.isoformat()}")
        if notes:
            message = f"product {describe(product)} is {' and '.join(notes)}: almost certainly wrong; review the date"
            proposals.append(Proposal(Action.FLAG, product.number, message, (), product.date))
    return proposals


def _anchor(admins: list[ServiceLine], day: date | None) -> ServiceLine:
    """Return the administration line a product finding belongs to: same DOS, else the first."""
    return next((line for line in admins if day is not None and line.date == day), admins[0])


def _line(lines: list[ServiceLine], number: int) -> ServiceLine:
    return next(line for line in lines if line.number == number)


def _units_text(line: ServiceLine) -> str:
    return "no units" if line.units is None else f"{line.units} units"
