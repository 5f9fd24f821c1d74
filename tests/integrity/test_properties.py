"""Nothing lost (hypothesis): generated 837I files, and claims built line by line around CAR-T codes.

The quick profile (default, `make test`) tries a few dozen inputs; `HYPOTHESIS_PROFILE=fuzz`
(`make fuzz`) tries hundreds. The properties themselves are in properties.py.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cart837.config import Config, from_mapping
from cart837.rules import all_rules, known_rules
from tests.integrity.properties import check_nothing_lost
from tests.support import ClaimSpec, Line, Style, gen837i, interchange

# A gen837i call plus two fixes plus two pyx12 runs take one to two seconds: fewer examples.
SLOW = settings(
    max_examples=15 if (settings.default.max_examples or 100) <= 100 else 300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
DELIMS = ("*:^~", "|>^!", "^:|~", "!>^~", "*:^\\n")


@st.composite
def generator_args(draw: st.DrawFn) -> list[str]:
    """Draw gen837i.py options: seed, size, CAR-T share, delimiters, line ending, interchanges."""
    delims = draw(st.sampled_from(DELIMS))
    ending = "none" if delims.endswith("\\n") else draw(st.sampled_from(["none", "lf", "crlf"]))
    interchanges = draw(st.integers(1, 3))
    args = [
        "--seed",
        str(draw(st.integers(0, 2**31 - 1))),
        "--claims",
        str(draw(st.integers(interchanges, 30))),
        "--cart-share",
        str(draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))),
        "--delims",
        delims,
        "--line-ending",
        ending,
        "--interchanges",
        str(interchanges),
        "--claims-per-st",
        str(draw(st.sampled_from([1, 3, 5000]))),
    ]
    return [*args, "--all-scenarios"] if draw(st.booleans()) else args


@st.composite
def rule_configs(draw: st.DrawFn) -> Config:
    """Draw any rules on (each rule in any mode it allows) and the settings that change what fixes do.

    `collapse_charge` stays "sum": with "keep-first" dropping a duplicate's charge is the point.
    """
    modes = {rule.id: draw(st.sampled_from(sorted(m.value for m in rule.modes))) for rule in all_rules()}
    raw = {
        "rules": modes,
        "prefer_x_modifiers": draw(st.booleans()),
        "bundled_admin_action": draw(st.sampled_from(["flag", "noncovered"])),
    }
    return from_mapping(raw, known_rules(), "drawn")


@SLOW
@given(generator_args(), st.none() | rule_configs())
def test_nothing_lost_on_generated_files(args: list[str], config: Config | None) -> None:
    check_nothing_lost(gen837i(*args), config=config)


# -- claims built directly: odd amounts, duplicates, mismatched totals, dependants -----------------

CODES = [
    ("0871", "38225"),
    ("0871", "0537T"),
    ("0872", "38226"),
    ("0872", "0538T"),
    ("0873", "38227"),
    ("0874", "38228"),
    ("0874", "0540T"),
    ("0891", "Q2041"),
    ("0891", "Q2055"),
    ("0891", "Q2058"),
    ("0360", "38228"),
    ("0450", "99284"),
    ("0510", "G0463"),
    ("0260", "96365"),
    ("0260", "96360"),
    ("0335", "96413"),
    ("0636", "J9185"),
    ("0250", ""),
    ("0120", ""),
]
AMOUNTS = st.one_of(
    st.integers(0, 900_000).map(str),
    st.decimals(0, 900_000, places=2, allow_nan=False).map(lambda d: f"{d:.2f}"),
    st.decimals(0, 9_000, places=1, allow_nan=False).map(lambda d: f"{d:.1f}"),
)
DATES = st.sampled_from(["20241230", "20241231", "20250101", "20250303", "20250304", None])


@st.composite
def lines(draw: st.DrawFn) -> Line:
    """Draw a service line, mostly CAR-T steps and products, with any amount format."""
    revenue, code = draw(st.sampled_from(CODES))
    modifiers = tuple(draw(st.lists(st.sampled_from(["JW", "25", "59", "KX", "XU", "Q0"]), max_size=2, unique=True)))
    units = draw(st.sampled_from(["1", "2", "1.5", "0", "3"]))
    return Line(revenue, code, modifiers if code else (), draw(AMOUNTS), units, draw(DATES))


@st.composite
def claims(draw: st.DrawFn, number: int) -> ClaimSpec:
    """Draw one claim of a small pool of patients (so episodes cross claims)."""
    return ClaimSpec(
        f"C{number}",
        tuple(draw(st.lists(lines(), min_size=1, max_size=8))),
        bill=(draw(st.sampled_from(["13", "11", "85", "12"])), "A", "1"),
        statement=draw(st.sampled_from(["20250303-20250303", "20250301-20250305", "20241230-20250102"])),
        member=draw(st.sampled_from(["M1", "M2"])),
        dependent=draw(st.sampled_from([None, None, "TIM"])),
        filing=draw(st.sampled_from(["MB", "MA", "CI"])),
    )


@st.composite
def built_files(draw: st.DrawFn) -> bytes:
    """Draw a file of 1-4 claims in one style; sometimes one claim's CLM02 is off by one."""
    specs = [draw(claims(n)) for n in range(draw(st.integers(1, 4)))]
    style = draw(st.sampled_from([Style(), Style("|", ">", "^", "!", ("\r\n",)), Style("*", ":", "U", "~", ("",))]))
    data = interchange(style, 1, [specs])
    if draw(st.booleans()):
        spec = draw(st.sampled_from(specs))
        sep = style.element.encode()
        old = b"CLM" + sep + spec.id.encode() + sep + spec.total.encode() + sep
        new = b"CLM" + sep + spec.id.encode() + sep + f"{Decimal(spec.total) + 1:.2f}".encode() + sep
        data = data.replace(old, new, 1)
    return data


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(built_files(), st.none() | rule_configs())
def test_nothing_lost_on_built_claims(data: bytes, config: Config | None) -> None:
    check_nothing_lost(data, with_pyx12=False, config=config)


@SLOW
@given(built_files(), st.none() | rule_configs())
def test_built_claims_get_no_new_ig_errors(data: bytes, config: Config | None) -> None:
    check_nothing_lost(data, with_pyx12=True, config=config)
