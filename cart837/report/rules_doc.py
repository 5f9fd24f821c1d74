"""Every rule explained from its own module: `cart837 rules CART-005` and docs/rules.md.

The text comes from the rule module's docstring (what and why), the check's docstring (what it
does, with a bad and a good example), the rule's metadata (severity, next steps, modes,
settings) and the full text of its sources. docs/rules.md is this output for every rule
(`make docs` writes it; a test fails when it is stale), as ruff and sqlfluff do.
"""

from __future__ import annotations

import inspect
import sys
import textwrap

from cart837.rules import all_rules
from cart837.rules.base import Rule
from cart837.rules.sources import references

HEADER = """# cart837 rules

Generated from the rule modules by `make docs` (`python -m cart837.report.rules_doc`); do not edit.
`cart837 rules CART-005` prints one rule the same way. Severity says how much a finding needs a
person: **error** (will be rejected or is wrong: do not send as is), **review** (a person must
decide; every automatic modifier 25/59 is review), **info** (nothing to do). Form locators (FL)
are those of the UB-04 claim form, beside the X12 837I element names.
"""


def _module_text(rule: Rule) -> str:
    module = sys.modules.get(rule.check.__module__)
    return inspect.cleandoc(module.__doc__ or "") if module else ""


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].upper() + text[1:]).rstrip(".") + "." if text else ""


def rule_text(rule: Rule) -> str:
    """Return one rule as Markdown: what it checks and why, what it does, what you do, examples, sources."""
    lines = [f"## {rule.id} — {rule.title}", ""]
    about = _module_text(rule).split("\n", 1)
    if len(about) > 1 and about[1].strip():
        lines += ["**Why.** " + " ".join(about[1].split()), ""]
    doc = inspect.cleandoc(rule.doc)
    summary, _, examples = doc.partition("\n\n")
    if summary:
        lines += ["**What it checks and does.** " + " ".join(summary.split()), ""]
    modes = ", ".join(sorted(mode.value for mode in rule.modes))
    lines += [f"**Mode.** Default `{rule.default.value}` (allowed: {modes})."]
    if rule.config_keys:
        lines[-1] += " Settings it reads: " + ", ".join(f"`{key}`" for key in rule.config_keys) + "."
    if rule.gate:
        lines[-1] += " It cannot be turned off; a claim it flags gets no fix."
    lines += ["", f"**What you do.** Its flags are **{rule.severity.value}**: {_sentence(rule.next_step)}"]
    if "fix" in modes:
        lines += ["", f"After a fix (**{rule.fix_severity.value}**): {_sentence(rule.fix_next_step)}"]
    if examples.strip():
        lines += ["", "**Examples.**", "", "```", textwrap.dedent(examples).strip("\n"), "```"]
    sources = references(rule.citation)
    if sources:
        lines += ["", "**Sources.**", ""]
        lines += [f"- **{source}**: {_plain(text)}" for source, text in sources]
    elif rule.citation:  # the tool's own guarantees, not a billing source
        lines += ["", f"**Sources.** {rule.citation.replace('[DESIGN.md]', 'cart837 itself:')}"]
    return "\n".join(lines) + "\n"


def _plain(text: str) -> str:
    """Return what a source is, without the research notes on how it was reached and how reliable it is."""
    return " ".join(text.split(" Reached:")[0].split())


def rules_markdown() -> str:
    """Return docs/rules.md: the header, a table of contents, then every rule in run order."""
    rules = all_rules()
    toc = [f"- [{r.id}](#{r.id.lower()}--{_slug(r.title)}) — {r.title}" for r in rules]
    return "\n".join([HEADER, *toc, ""]) + "\n" + "\n".join(rule_text(r) for r in rules)


def _slug(title: str) -> str:
    """Return GitHub's heading anchor for a title (lower case, punctuation dropped, spaces to dashes)."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


if __name__ == "__main__":  # make docs
    sys.stdout.write(rules_markdown())
