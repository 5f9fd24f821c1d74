"""What a rule is: id, title, citation, default mode, and a pure check(ctx) -> proposals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cart837.claims.edits import Edit
from cart837.claims.model import Claim, ServiceLine
from cart837.codes.tables import CodeKind, CodeTable, Step
from cart837.config import Config, RuleMode
from cart837.episodes import EpisodeView, is_cart_relevant_kind
from cart837.ids import ClaimId, FindingId, RuleId
from cart837.rules._markers import Markers, markers

__all__ = [
    "Action",
    "ClaimFacts",
    "Finding",
    "Proposal",
    "Rule",
    "RuleContext",
    "RuleMode",
    "Severity",
    "line_kinds",
    "rule",
    "REGISTRY",
]

Day = date  # `Finding.date` shadows the type inside the class
SENT_AS_CORRECTED = "Nothing: the line goes out corrected as shown."


class Action(StrEnum):
    """What a finding did."""

    CROSSWALK = "crosswalk"
    COLLAPSE = "collapse"
    UNITS = "units"
    NONCOVERED = "noncovered"
    REVENUE_CODE = "revenue_code"
    MODIFIER = "modifier"
    FLAG = "flag"


class Severity(StrEnum):
    """How much a finding needs a person (DESIGN.md, schema 2)."""

    ERROR = "error"  # will be rejected or is wrong: do not send the claim as it is
    REVIEW = "review"  # a person must decide (every automatic 25/59, every fix a coder may check)
    INFO = "info"  # nothing to do

    @property
    def rank(self) -> int:
        """Return 0 for error, 1 for review, 2 for info (sort order: most urgent first)."""
        return (Severity.ERROR, Severity.REVIEW, Severity.INFO).index(self)


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a rule returns: an action on a line (or the claim), with the edits that make it."""

    action: Action
    line: int | None
    message: str
    edits: tuple[Edit, ...] = ()
    date: date | None = None
    segment: str | None = None  # the flagged segment when it is not the line's SV2
    severity: Severity | None = None  # None: the rule's (`Rule.severity_of`)
    next_step: str | None = None  # None: the rule's `next_step` (flags) or `fix_next_step` (fixes)


@dataclass(frozen=True, slots=True)
class Finding:
    """One report entry (DESIGN.md, Report contract)."""

    rule: RuleId
    action: Action
    fixed: bool
    transaction: str
    claim: ClaimId
    line: int | None
    date: date | None
    before: str | None
    after: str | None
    message: str
    citation: str
    severity: Severity = Severity.INFO
    next_step: str = ""
    amount: Decimal | None = None  # the dollars the finding moves or puts at stake (DESIGN.md, schema 2)
    output_line: int | None = None  # the line's LX in the output; None when removed or claim level
    removed: tuple[tuple[int, str], ...] = ()  # a collapse: (input LX, SV2 before) of each line it removed
    payer: str = ""  # NM1*PR NM109 of the claim (the work list's payer id)
    first_date: Day | None = None  # the claim's first date of service (the work list's)
    claim_segment: int | None = None  # the CLM's segment number in the file: tells apart claims sharing a CLM01

    @property
    def input_line(self) -> int | None:
        """Return the line's LX in the input (`line`)."""
        return self.line

    id: FindingId = FindingId("")  # DESIGN.md, Finding ids: set by the engine when it knows the claim's scope


class ClaimFacts:
    """What several rules read of one version of a claim, worked out once instead of once per rule.

    The engine makes one for each version of the claim (a fix makes a new version) and every
    rule's context shares it (issue 14: the same look-ups were repeated by up to ten rules).
    """

    __slots__ = ("claim", "kinds", "cart_lines", "product_lines", "_by_step", "_markers")

    def __init__(self, claim: Claim, config: Config, codes: CodeTable) -> None:
        self.claim = claim
        kinds: set[CodeKind] = set()
        by_step: dict[Step, list[ServiceLine]] = {}
        cart_lines: list[ServiceLine] = []
        product_lines: list[ServiceLine] = []
        for line in claim.lines:
            info = codes.get(line.code)
            kind = None if info is None else info.kind
            if info is not None:
                kinds.add(info.kind)
                if info.step is not None:
                    kinds.add(CodeKind.STEP)
                    by_step.setdefault(info.step, []).append(line)
            if line.code in config.extra_em_codes:
                kinds.add(CodeKind.EM)
            if is_cart_relevant_kind(kind, line.revenue_code):
                cart_lines.append(line)
            if kind is CodeKind.PRODUCT:
                product_lines.append(line)
        # the engine's skip mask: STEP as `RuleContext.step` sees it, EM as `RuleContext.is_em`
        self.kinds: frozenset[CodeKind] = frozenset(kinds)
        self.cart_lines = tuple(cart_lines)  # RULES.md §3: the CAR-T-relevant lines, in claim order
        self.product_lines = tuple(product_lines)  # `RuleContext.is_product`, in claim order
        self._by_step = by_step
        self._markers: Markers | None = None

    def lines_of_step(self, step: Step) -> list[ServiceLine]:
        """Return the claim's lines of one CAR-T step, in claim order (a new list)."""
        return list(self._by_step.get(step, ()))

    @property
    def has_step(self) -> bool:
        """Return whether any line's code has a CAR-T step."""
        return bool(self._by_step)

    @property
    def markers(self) -> Markers:
        """Return the claim's trial and expanded-access markers (read on first use)."""
        if self._markers is None:
            self._markers = markers(self.claim)
        return self._markers


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may look at for one claim."""

    claim: Claim
    config: Config
    codes: CodeTable
    episode: EpisodeView
    mode: RuleMode
    facts: ClaimFacts  # shared look-ups of `claim` (the same version)
    original: Claim | None = None  # the claim as read, before any rule changed it (CART-023)
    active_rules: frozenset[RuleId] = frozenset()  # the rules on for this claim (CART-013's text needs it)

    @property
    def outpatient(self) -> bool:
        """Return whether the bill type is in `outpatient_bill_types` (RULES.md §3)."""
        return self.claim.bill_type[:2] in self.config.outpatient_bill_types

    @property
    def inpatient(self) -> bool:
        """Return whether the bill type is 11x."""
        return self.claim.bill_type.startswith("11")

    @property
    def medicare_ffs(self) -> bool:
        """Return whether SBR09 says Medicare fee-for-service."""
        return self.claim.filing_code in self.config.medicare_filing_codes

    def step(self, line: ServiceLine) -> Step | None:
        """Return the CAR-T step of a line's code, or None."""
        return self.codes.step(line.code)

    def is_product(self, line: ServiceLine) -> bool:
        """Return whether the line bills a CAR-T product (§2.4 or `extra_product_codes`)."""
        return self.codes.kind(line.code) is CodeKind.PRODUCT

    def is_other_therapy(self, line: ServiceLine) -> bool:
        """Return whether the line bills a cell or gene therapy that is not CAR-T (`non_car_t_products`)."""
        return self.codes.kind(line.code) is CodeKind.OTHER_THERAPY

    def is_em(self, line: ServiceLine) -> bool:
        """Return whether the line is a facility E/M (§2.5 or `extra_em_codes`)."""
        return self.codes.kind(line.code) is CodeKind.EM or line.code in self.config.extra_em_codes

    def lines_of_step(self, step: Step) -> list[ServiceLine]:
        """Return the claim's lines of one CAR-T step."""
        return self.facts.lines_of_step(step)

    @property
    def has_cart_line(self) -> bool:
        """Return whether the claim itself carries a CAR-T-relevant line (RULES.md §3)."""
        return bool(self.facts.cart_lines)


def line_kinds(claim: Claim, config: Config, codes: CodeTable) -> frozenset[CodeKind]:
    """Return the code kinds of a claim's lines as the rules see them (the engine's skip mask).

    STEP: a line whose code has a CAR-T step (`RuleContext.step`); EM: `RuleContext.is_em`
    (`extra_em_codes` included); any other kind: `CodeTable.kind`.
    """
    return ClaimFacts(claim, config, codes).kinds


Check = Callable[[RuleContext], list[Proposal]]
DefaultWhen = Callable[[Config], RuleMode]


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule."""

    id: RuleId
    title: str
    citation: str
    default: RuleMode
    check: Check
    modes: frozenset[RuleMode]
    config_keys: tuple[str, ...] = ()
    gate: bool = False  # CART-021/022: a finding blocks every fix on the claim
    doc: str = field(default="", repr=False)
    default_when: DefaultWhen | None = None  # a default that follows a setting (CART-011)
    severity: Severity = Severity.REVIEW  # of the rule's flags (a proposal may say otherwise)
    next_step: str = ""  # what the biller does about a flag, in billing words
    fix_severity: Severity = Severity.INFO  # of an applied fix; an added modifier is always review
    fix_next_step: str = SENT_AS_CORRECTED  # what the biller does about an applied fix
    # the rule finds nothing on a claim with no line of these kinds (`line_kinds`); empty: every claim
    needs: frozenset[CodeKind] = frozenset()

    def severity_of(self, proposal: Proposal, fixed: bool) -> Severity:
        """Return a finding's severity: the proposal's, else by what happened to it.

        A fix not applied (flag mode, or a gate blocked the claim) is a decision for a person:
        at least `review`. Every automatic modifier needs a chart that supports it: `review`.
        """
        if proposal.severity is not None:
            return proposal.severity
        if fixed:
            return Severity.REVIEW if proposal.action is Action.MODIFIER else self.fix_severity
        if proposal.edits:
            return min(self.severity, Severity.REVIEW, key=lambda s: s.rank)
        return self.severity

    def mode_under(self, config: Config) -> RuleMode:
        """Return the mode under `config`: `[rules]` first, else the (setting-dependent) default."""
        configured = config.rules.get(self.id)
        if configured is not None:
            return configured
        return self.default_when(config) if self.default_when else self.default


REGISTRY: dict[RuleId, Rule] = {}


def rule(
    *,
    id: str,
    title: str,
    citation: str,
    default: RuleMode,
    can_fix: bool | None = None,
    can_turn_off: bool = True,
    config_keys: tuple[str, ...] = (),
    gate: bool = False,
    default_when: DefaultWhen | None = None,
    severity: Severity = Severity.REVIEW,
    next_step: str = "",
    fix_severity: Severity = Severity.INFO,
    fix_next_step: str = SENT_AS_CORRECTED,
    needs: tuple[CodeKind, ...] = (),
) -> Callable[[Check], Check]:
    """Register a rule's check function under its CART id.

    `severity`/`next_step` describe the rule's flags, `fix_severity`/`fix_next_step` its applied
    fixes (DESIGN.md, schema 2); a proposal may override both for one finding. `needs`: the code
    kinds (as `line_kinds` sees them) without which the check finds nothing; the engine then skips it.
    """

    def register(check: Check) -> Check:
        fixes = default is RuleMode.FIX if can_fix is None else can_fix
        modes = {RuleMode.FLAG}
        if fixes:
            modes.add(RuleMode.FIX)
        if can_turn_off:
            modes.add(RuleMode.OFF)
        REGISTRY[RuleId(id)] = Rule(
            RuleId(id),
            title,
            citation,
            default,
            check,
            frozenset(modes),
            config_keys,
            gate,
            check.__doc__ or "",
            default_when,
            severity,
            next_step,
            fix_severity,
            fix_next_step,
            frozenset(needs),
        )
        return check

    return register
