"""Run the rules on one claim: proposals become findings; fixes are applied in order."""

from __future__ import annotations

from dataclasses import dataclass

from cart837.claims.edits import apply
from cart837.claims.model import Claim
from cart837.codes.tables import CodeTable
from cart837.config import Config, RuleMode
from cart837.episodes import EpisodeView, is_cart_relevant
from cart837.errors import InvariantError
from cart837.rules import all_rules
from cart837.rules.base import Action, Finding, Proposal, Rule, RuleContext
from cart837.rules.sources import cite


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """A claim after the rules: the (possibly new) claim and its findings."""

    claim: Claim
    findings: tuple[Finding, ...]
    changed: bool


class Engine:
    """The rule pack under one configuration (payer overrides resolved per claim)."""

    def __init__(self, config: Config, only: frozenset[str] | None = None) -> None:
        self.config = config
        self.only = only
        self.rules = all_rules()
        self._payer_configs: dict[str, tuple[Config, CodeTable]] = {}
        self._plans: dict[str, tuple[tuple[Rule, RuleMode], ...]] = {}

    def mode(self, rule: Rule, config: Config) -> RuleMode:
        """Return a rule's mode under `config` and `--rules`."""
        if self.only is not None and rule.id not in self.only and not rule.gate:
            return RuleMode.OFF
        return rule.mode_under(config)

    def settings(self, payer_id: str) -> tuple[Config, CodeTable]:
        """Return the configuration and code table that apply to one payer."""
        if payer_id not in self._payer_configs:
            config = self.config.for_payer(payer_id)
            self._payer_configs[payer_id] = (config, config.code_table())
        return self._payer_configs[payer_id]

    def plan(self, payer_id: str) -> tuple[tuple[Rule, RuleMode], ...]:
        """Return the rules that are not off for one payer, in run order, with their modes."""
        plan = self._plans.get(payer_id)
        if plan is None:
            config = self.settings(payer_id)[0]
            modes = ((rule, self.mode(rule, config)) for rule in self.rules)
            plan = self._plans[payer_id] = tuple((rule, mode) for rule, mode in modes if mode is not RuleMode.OFF)
        return plan

    def run(self, claim: Claim, episode: EpisodeView) -> ClaimOutcome:
        """Apply every rule in CART-021 order to one claim."""
        config, codes = self.settings(claim.payer_id)
        findings: list[Finding] = []
        current, blocked_by = claim, ""
        contexts: dict[RuleMode, RuleContext] = {}  # frozen: rules share one while the claim is unchanged
        for rule, mode in self.plan(claim.payer_id):
            context = contexts.get(mode)
            if context is None or context.claim is not current:
                context = contexts[mode] = RuleContext(current, config, codes, episode, mode)
            proposals = rule.check(context)
            for proposal in proposals:
                current, finding = self._record(rule, mode, blocked_by, current, proposal)
                findings.append(finding)
            if rule.gate and proposals:
                blocked_by = blocked_by or rule.id
        changed = current is not claim
        if changed:
            self._check_invariants(claim, current, config, codes)
        return ClaimOutcome(current, tuple(findings), changed)

    def _record(
        self, rule: Rule, mode: RuleMode, blocked_by: str, claim: Claim, proposal: Proposal
    ) -> tuple[Claim, Finding]:
        line = next((ln for ln in claim.lines if ln.number == proposal.line), None)
        before = proposal.segment or (line.sv2.text() if line else None)
        day = proposal.date or (line.date if line else None)
        fix = bool(proposal.edits) and mode is RuleMode.FIX and not blocked_by
        message = proposal.message
        after = None
        if fix:
            claim = apply(claim, list(proposal.edits))
            kept = next((ln for ln in claim.lines if ln.number == proposal.line), None)
            after = kept.sv2.text() if kept else None
        elif proposal.edits:
            reason = f"{blocked_by} flagged this claim" if blocked_by else f"{rule.id} is in flag mode"
            message = f"not changed ({reason}); the fix would be: {message}"
        finding = Finding(
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
            citation=cite(rule.citation),
        )
        return claim, finding

    def _check_invariants(self, before: Claim, after: Claim, config: Config, codes: CodeTable) -> None:
        """DESIGN.md: only CAR-T claims change; charges are kept; CLM02 = sum of SV203."""
        if not any(is_cart_relevant(ln.code, ln.revenue_code, codes) for ln in before.lines):
            raise InvariantError(f"claim {before.id} has no CAR-T line but was changed", before.location)
        if config.collapse_charge == "sum" and after.line_charges() != before.line_charges():
            raise InvariantError(
                f"claim {before.id}: line charges {before.line_charges()} became {after.line_charges()}",
                before.location,
            )
        if after.total != after.line_charges():
            raise InvariantError(f"claim {before.id}: CLM02 {after.total} != sum of SV203", before.location)
