"""Run the rules on one claim: proposals become findings; fixes are applied in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from cart837.claims.edits import EditKind, apply
from cart837.claims.model import Claim, ServiceLine
from cart837.codes.tables import CodeTable
from cart837.config import CollapseCharge, Config, RuleMode
from cart837.episodes import CORRECTED_FREQUENCIES, EpisodeView, is_cart_relevant
from cart837.errors import InvariantError
from cart837.ids import FindingId, PayerId, RuleId
from cart837.rules import all_rules
from cart837.rules.base import Action, ClaimFacts, Finding, Proposal, Rule, RuleContext
from cart837.rules.ids import ClaimScope, Review

FREQUENCY_RULE = RuleId("CART-023")  # its void check runs first of all: a void gets no other rule (CART-021)
INTERIM_BILLS = frozenset({"2", "3", "4"})  # RULES.md §3: inpatient interim bills get flags only


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """A claim after the rules: the (possibly new) claim and its findings."""

    claim: Claim
    findings: tuple[Finding, ...]
    changed: bool


class Engine:
    """The rule pack under one configuration (payer overrides resolved per claim)."""

    def __init__(self, config: Config, only: frozenset[RuleId] | None = None) -> None:
        self.config = config
        self.only = only
        self.rules = all_rules()
        self._payer_configs: dict[str, tuple[Config, CodeTable]] = {}
        self._plans: dict[str, tuple[tuple[Rule, RuleMode], ...]] = {}
        self._runs: dict[tuple[str, bool], tuple[tuple[tuple[Rule, RuleMode], ...], frozenset[RuleId]]] = {}

    def mode(self, rule: Rule, config: Config) -> RuleMode:
        """Return a rule's mode under `config` and `--rules`."""
        if self.only is not None and rule.id not in self.only and not rule.gate:
            return RuleMode.OFF
        return rule.mode_under(config)

    def settings(self, payer_id: PayerId) -> tuple[Config, CodeTable]:
        """Return the configuration and code table that apply to one payer."""
        if payer_id not in self._payer_configs:
            config = self.config.for_payer(payer_id)
            self._payer_configs[payer_id] = (config, config.code_table())
        return self._payer_configs[payer_id]

    def plan(self, payer_id: PayerId) -> tuple[tuple[Rule, RuleMode], ...]:
        """Return the rules that are not off for one payer, in run order, with their modes."""
        plan = self._plans.get(payer_id)
        if plan is None:
            config = self.settings(payer_id)[0]
            modes = ((rule, self.mode(rule, config)) for rule in self.rules)
            plan = self._plans[payer_id] = tuple((rule, mode) for rule, mode in modes if mode is not RuleMode.OFF)
        return plan

    def run(
        self, claim: Claim, episode: EpisodeView, scope: ClaimScope | None = None, review: Review | None = None
    ) -> ClaimOutcome:
        """Apply every rule in CART-021 order to one claim.

        With a `scope` every finding gets its id; `review` may reject a fix by id (DESIGN.md,
        Review and decisions): the later rules then see the claim without that edit.
        """
        config, codes = self.settings(claim.payer_id)
        plan, active = self._run_plan(claim.payer_id, claim.frequency in CORRECTED_FREQUENCIES)
        findings: list[_Draft] = []
        current, blocked_by = claim, ""
        if claim.frequency in INTERIM_BILLS:
            blocked_by = f"frequency {claim.frequency}"
        contexts: dict[RuleMode, RuleContext] = {}  # frozen: rules share one while the claim is unchanged
        ordinals: dict[tuple[RuleId, Action, int | None], int] = {}
        facts = ClaimFacts(claim, config, codes)  # once per claim version: the skip mask and shared look-ups
        for rule, mode in plan:
            if facts.claim is not current:
                facts = ClaimFacts(current, config, codes)
            if rule.needs and rule.needs.isdisjoint(facts.kinds):
                continue  # the rule finds nothing on a claim without these kinds
            context = contexts.get(mode)
            if context is None or context.claim is not current:
                context = contexts[mode] = RuleContext(current, config, codes, episode, mode, facts, claim, active)
            proposals = rule.check(context)
            for proposal in proposals:
                finding_id = FindingId("")
                if scope is not None:
                    key = (rule.id, proposal.action, proposal.line)
                    ordinals[key] = ordinals.get(key, 0) + 1
                    finding_id = scope.finding_id(proposal.line, rule.id, proposal.action.value, ordinals[key])
                would_fix = bool(proposal.edits) and mode is RuleMode.FIX and not blocked_by
                rejected = review is not None and review(finding_id, would_fix) and would_fix
                current, finding = self._record(rule, mode, blocked_by, current, proposal, finding_id, rejected)
                findings.append(finding)
            if rule.gate and proposals:
                blocked_by = blocked_by or rule.id
        changed = current is not claim
        if changed:
            self._check_invariants(claim, current, config, codes)
        return ClaimOutcome(current, finish(findings, current), changed)

    def _run_plan(
        self, payer_id: PayerId, corrected: bool
    ) -> tuple[tuple[tuple[Rule, RuleMode], ...], frozenset[RuleId]]:
        """Return the plan for one payer (a void's: only its frequency check) and its rule ids, once per run."""
        key = (payer_id, corrected)
        found = self._runs.get(key)
        if found is None:
            plan = self.plan(payer_id)
            if not corrected:  # RULES.md §3: a void is never edited
                plan = tuple((rule, mode) for rule, mode in plan if rule.id == FREQUENCY_RULE)
            found = self._runs[key] = (plan, frozenset(rule.id for rule, _ in plan))
        return found

    def _record(
        self,
        rule: Rule,
        mode: RuleMode,
        blocked_by: str,
        claim: Claim,
        proposal: Proposal,
        finding_id: FindingId,
        rejected: bool,
    ) -> tuple[Claim, _Draft]:
        line = None if proposal.line is None else next((ln for ln in claim.lines if ln.number == proposal.line), None)
        before = proposal.segment or (line.sv2.text() if line else None)
        day = proposal.date or (line.date if line else None)
        fix = bool(proposal.edits) and mode is RuleMode.FIX and not blocked_by and not rejected
        message = proposal.message
        after = None
        next_step = proposal.next_step or (rule.fix_next_step if fix else rule.next_step)
        amount = None
        before_claim = claim
        if fix:
            fixed_claim = apply(claim, list(proposal.edits))
            amount = moved(claim, fixed_claim, line, proposal)
            claim = fixed_claim
            kept = next((ln for ln in claim.lines if ln.number == proposal.line), None)
            after = kept.sv2.text() if kept else None
        elif rejected:
            message = f"not applied: rejected in review; the fix would be: {message}"
            amount = moved(claim, apply(claim, list(proposal.edits)), line, proposal)
            if proposal.next_step is None:
                next_step = "none: a reviewer rejected this fix (accept it in review to apply it)"
        elif proposal.edits:
            message = f"not changed ({_why_not(rule, blocked_by)}); the fix would be: {message}"
            amount = moved(claim, apply(claim, list(proposal.edits)), line, proposal)
            if proposal.next_step is None:
                next_step = _next_step_unfixed(rule, blocked_by)
        else:  # nothing moves: what `moved` returns for an unchanged claim
            amount = claim.total if line is None else line.charge
        finding: _Draft = dict(
            rule=rule.id,
            action=proposal.action if fix else Action.FLAG,
            fixed=fix,
            transaction=claim.transaction,
            claim=claim.id,
            line=proposal.line,
            date=day,
            before=before,
            after=after,
            message=message,
            citation=rule.citation,
            severity=rule.severity_of(proposal, fix),
            next_step=next_step,
            amount=amount,
            removed=removed_lines(before_claim, proposal) if fix else (),
            payer=claim.payer_id,
            first_date=first_date(claim),
            claim_segment=claim.location.segment_index,
            id=finding_id,
        )
        return claim, finding

    def _check_invariants(self, before: Claim, after: Claim, config: Config, codes: CodeTable) -> None:
        """DESIGN.md: only CAR-T claims change; charges are kept; CLM02 = sum of SV203."""
        if not any(is_cart_relevant(ln.code, ln.revenue_code, codes) for ln in before.lines):
            raise InvariantError(f"claim {before.id} has no CAR-T line but was changed", before.location)
        if config.collapse_charge is CollapseCharge.SUM and after.line_charges() != before.line_charges():
            raise InvariantError(
                f"claim {before.id}: line charges {before.line_charges()} became {after.line_charges()}",
                before.location,
            )
        if after.total != after.line_charges():
            raise InvariantError(f"claim {before.id}: CLM02 {after.total} != sum of SV203", before.location)


def moved(before: Claim, after: Claim, line: ServiceLine | None, proposal: Proposal) -> Decimal:
    """Return the dollars a finding moves or puts at stake (DESIGN.md, schema 2 `amount`).

    A collapse: the removed lines' charges (summed onto the kept line, or dropped by keep-first).
    Non-covered: what SV207 grew by. Any other line finding: the line's charge (SV203); a claim-level
    finding: the claim total (CLM02).
    """
    kept = {ln.number for ln in after.lines}
    removed = [ln.charge for ln in before.lines if ln.number not in kept]
    if removed:
        return sum(removed, Decimal(0))
    if line is None:
        return before.total
    if proposal.action is Action.NONCOVERED and after is not before:
        now = after.line(line.number).noncovered or Decimal(0)
        return now - (line.noncovered or Decimal(0))
    return line.charge


def removed_lines(claim: Claim, proposal: Proposal) -> tuple[tuple[int, str], ...]:
    """Return (input LX, SV2 as it was) of each line a fix removes (a collapse), in input order."""
    numbers = sorted(e.line for e in proposal.edits if e.kind is EditKind.REMOVE_LINE)
    return tuple((number, claim.line(number).sv2.text()) for number in numbers)


def first_date(claim: Claim) -> date | None:
    """Return the claim's first line date of service (None when no line has one)."""
    return min((ln.date for ln in claim.lines if ln.date is not None), default=None)


_Draft = dict[str, Any]  # a finding's fields while later rules may still change its line (`finish`)


def finish(findings: list[_Draft], after: Claim) -> tuple[Finding, ...]:
    """Add output LX numbers, say what later rules changed, and end each flag with its next step.

    A flag is recorded when its rule runs; a later rule may still change or remove the line. The
    finding then says so, so it never describes a state the output no longer has (issue 12).
    """
    if not findings:
        return ()
    output = {ln.number: position for position, ln in enumerate(after.lines, start=1)}
    done: list[Finding] = []
    fixes = [(index, draft) for index, draft in enumerate(findings) if draft["fixed"]]
    for index, draft in enumerate(findings):
        line = draft["line"]
        if not draft["fixed"]:
            if line is not None:
                draft["message"] += _since(draft, [fix for at, fix in fixes if at > index])
            if draft["next_step"]:
                draft["message"] = f"{draft['message'].rstrip('. ')}. Next step: {draft['next_step']}"
        draft["output_line"] = output.get(line) if line is not None else None
        done.append(Finding(**draft))
    return tuple(done)


def _since(finding: _Draft, later_fixes: list[_Draft]) -> str:
    """Return a note on what later fixes of other rules did to the finding's line, or ''."""
    note = ""
    line = finding["line"]
    for other in later_fixes:
        if other["rule"] == finding["rule"]:
            continue
        if any(number == line for number, _ in other["removed"]):
            return f" (since then {other['rule']} removed LX {line}: collapsed into LX {other['line']})"
        if other["line"] == line and other["after"] is not None and other["after"] != finding["before"]:
            note = f" (since then {other['rule']} changed this line to {other['after']})"
    return note


def _why_not(rule: Rule, blocked_by: str) -> str:
    """Return why a proposed fix was not applied (flag mode, a gate, or an interim bill)."""
    if blocked_by.startswith("frequency "):
        return f"{blocked_by} is an interim bill: flags only"
    return f"{blocked_by} flagged this claim" if blocked_by else f"{rule.id} is in flag mode"


def _next_step_unfixed(rule: Rule, blocked_by: str) -> str:
    if blocked_by.startswith("frequency "):
        return "an interim bill gets flags only: make this change by hand if it applies"
    if blocked_by:
        return f"settle the {blocked_by} finding first, then run cart837 again"
    return f'decide whether to make this change by hand (or set {rule.id} to "fix")'
