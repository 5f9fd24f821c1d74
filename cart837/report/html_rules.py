"""The HTML report's closing sections: the rules with their sources, and the configuration used."""

from __future__ import annotations

from cart837.report.html_tree import Element, header, sub
from cart837.report.model import Report, RuleEntry, dollars


def rules_section(main: Element, report: Report) -> None:
    rules = report.rules_explained()
    if not rules:
        return
    sub(main, "h2", "Rules and sources", id="rules")
    counts = report.rule_counts()
    amounts = report.rule_amounts()
    table = sub(main, "table", cls="by-rule")
    header(table, ("Rule", "Title", "Fixed", "Flagged", "Dollars", ""), numeric=(2, 3, 4))
    body = sub(table, "tbody")
    for rule in rules:
        fixed, flagged = counts.get(rule.id, (0, 0))
        row = sub(body, "tr")
        sub(sub(row, "td"), "a", rule.id, href=f"#rule-{rule.id}")
        sub(row, "td", rule.title)
        sub(row, "td", str(fixed), cls="num")
        sub(row, "td", str(flagged), cls="num")
        sub(row, "td", dollars(amounts.get(rule.id)), cls="num")
        if rule.id in counts:  # a rule only pointed to (CART-013) has no rows to filter to
            sub(sub(row, "td"), "button", "only this rule", type="button", data_only=rule.id)
        else:
            sub(row, "td")
    for rule in rules:
        _rule(main, rule, counts.get(rule.id, (0, 0)), report)


def _rule(main: Element, rule: RuleEntry, counts: tuple[int, int], report: Report) -> None:
    article = sub(main, "section", cls="rule", id=f"rule-{rule.id}")
    heading = sub(article, "h3", rule.id)
    if rule.title:
        heading.text = f"{rule.id} — {rule.title}"
    sub(article, "p", f"{counts[0]} fixed, {counts[1]} flagged. Citation: {rule.citation}")
    if rule.next_step:
        sub(article, "p", f"Its flags are {rule.severity}. Next step: {rule.next_step}", cls="next")
    if rule.references:
        sources = sub(article, "dl")
        for source, text in rule.references:
            sub(sources, "dt", source)
            sub(sources, "dd", text)
    places = sub(article, "ul", cls="where")
    for number, entry in enumerate(report.files):
        for index, group in enumerate(entry.by_claim()):
            if rule.id in group.rules:
                item = sub(sub(places, "li"), "a", href=f"#claim-{number}-{index}")
                sub(item, "code", group.claim).tail = f" in {entry.path}"


def config_section(main: Element, report: Report) -> None:
    config = report.config
    if config is None:
        return
    sub(main, "h2", "Configuration", id="config")
    sub(main, "p", f"Configuration: {config.describe()}. Code tables checked {config.code_table_date}.")
    table = sub(main, "table", cls="config")
    header(table, ("Rule", "Mode"))
    body = sub(table, "tbody")
    for rule_id, mode in config.rules.items():
        row = sub(body, "tr")
        sub(row, "td", rule_id)
        sub(row, "td", mode)
    if config.payers:
        items = sub(main, "ul")
        for payer, values in config.payers.items():
            settings = "; ".join(f"{k} = {v}" for k, v in values.items())
            sub(items, "li", f"payer {payer}: {settings}")
