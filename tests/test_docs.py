"""docs/rules.md is generated from the rule modules and never stale; the README stays inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from cart837.cli import main
from cart837.report.rules_doc import rules_markdown
from cart837.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent


def test_docs_rules_md_is_generated_from_the_rule_modules() -> None:
    shipped = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert shipped == rules_markdown(), "docs/rules.md is stale: run `make docs` and commit it"
    for rule in all_rules():
        assert f"## {rule.id} — {rule.title}" in shipped


def test_cart837_rules_id_prints_the_whole_rule() -> None:
    result = CliRunner().invoke(main, ["rules", "cart-005"])
    assert result.exit_code == 0, result.output
    text = result.output
    parts = (
        "## CART-005 — ",
        "**What it checks and does.**",
        "**What you do.**",
        "**Examples.**",
        "Bad:",
        "Good:",
        "**Sources.**",
        "- **MM11216**: MLN Matters MM11216",
        "Configured mode in this folder: `fix`",
    )
    for part in parts:
        assert part in text, part
    assert "Reached:" not in text  # sources in plain words, not research notes
    unknown = CliRunner().invoke(main, ["rules", "CART-999"])
    assert unknown.exit_code == 2 and "unknown rule id(s): CART-999" in unknown.stderr


def test_readme_links_only_inside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/rules.md" in readme
    for outside in ("../shared", "RULES.md", "DESIGN.md", "STYLE.md"):
        assert outside not in readme, outside
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (ROOT / target).exists(), f"README links to {target}, which is not in the repository"


def test_behaviour_says_json_is_in_rule_order_and_people_reports_in_lx_order() -> None:
    behaviour = " ".join((ROOT / "docs" / "BEHAVIOUR.md").read_text(encoding="utf-8").split())
    entry = behaviour.split("**Findings order**", 1)[1].split("- **", 1)[0]
    assert "JSON report lists them in rule order" in entry
    assert "Markdown and HTML reports show them in input LX order" in entry
