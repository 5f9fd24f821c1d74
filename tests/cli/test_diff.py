"""`cart837 diff`: one segment per line, git-style headers, claim context, summary on stderr."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cart837.cli import main
from tests.cli.terminal import run_cli
from tests.report.samples import canary_837, clean_837

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ (.*)$")


def _segments(data: bytes) -> list[str]:
    """One segment per line, as the diff counts them."""
    return [s.strip() + "~" for s in data.decode("latin-1").split("~") if s.strip()]


def apply(diff: str, old: list[str]) -> list[str]:
    """Apply a unified diff strictly: line numbers and every context line must match."""
    lines = diff.splitlines()
    new: list[str] = []
    position = 0  # lines of `old` consumed
    index = 2
    while index < len(lines):
        match = HUNK.match(lines[index])
        assert match, lines[index]
        start, count = int(match[1]), int(match[2] or 1)
        begin = start - 1 if count else start
        new.extend(old[position:begin])
        position = begin
        index += 1
        while index < len(lines) and not lines[index].startswith("@@"):
            tag, text = lines[index][0], lines[index][1:]
            if tag in " -":
                assert old[position] == text, (position, old[position], text)
                position += 1
            if tag in " +":
                new.append(text)
            index += 1
    return new + old[position:]


def test_diff_applies_to_give_exactly_what_fix_writes(tmp_path: Path) -> None:
    source = tmp_path / "in.837"
    source.write_bytes(canary_837())
    diff = CliRunner().invoke(main, ["diff", str(source)])
    assert diff.exit_code == 1
    fixed = CliRunner().invoke(main, ["fix", str(source), "-o", str(tmp_path / "out")])
    assert fixed.exit_code == 0
    expected = _segments((tmp_path / "out" / "in.837").read_bytes())
    assert apply(diff.stdout, _segments(source.read_bytes())) == expected


def test_headers_hunks_and_summary_on_stderr(tmp_path: Path) -> None:
    source = tmp_path / "in.837"
    source.write_bytes(canary_837())
    result = CliRunner().invoke(main, ["diff", str(source)])
    name = str(source).lstrip("/")
    assert result.stdout.splitlines()[:2] == [f"--- a/{name}", f"+++ b/{name}"]
    contexts = [m[5] for line in result.stdout.splitlines() if (m := HUNK.match(line))]
    assert contexts == ["claim CLAIMSUB1", "claim CLAIMDEP1", "SE trailer (segment count)"]
    assert "-SV2*0874*HC:38228*4000.00*UN*2~" in result.stdout.splitlines()
    assert result.stdout.endswith("@@ -56 +50 @@ SE trailer (segment count)\n-SE*54*0001~\n+SE*48*0001~\n")
    assert "\x1b[" not in result.stdout
    assert result.stderr.splitlines() == [
        "1 file: 1 would change, 0 unchanged; 4 fixes needed, 0 flags; $12,000.00 involved; 0 claims need a person",
        "exit 1: some claims would change",
    ]


def test_relative_path_and_nothing_to_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clean.837").write_bytes(clean_837())
    (tmp_path / "cart.837").write_bytes(canary_837())
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["diff", "clean.837"])
    assert (result.exit_code, result.stdout) == (0, "")
    cart = runner.invoke(main, ["diff", "cart.837", "clean.837"])
    assert cart.exit_code == 1 and cart.stdout.startswith("--- a/cart.837\n+++ b/cart.837\n@@ ")


def test_colour_only_on_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "in.837"
    source.write_bytes(canary_837())
    coloured = run_cli(["diff", str(source)], stdout_tty=True)
    assert coloured.code == 1
    assert "\x1b[31m-SV2*0874*HC:38228*4000.00*UN*2~" in coloured.stdout
    assert "\x1b[32m+SV2*0874*HC:38228*4000.00*UN*1~" in coloured.stdout
    assert "\x1b[36m@@ " in coloured.stdout
    assert "would change" in coloured.stderr and "\x1b[" not in coloured.stderr
    piped = run_cli(["diff", str(source)])
    assert "\x1b[" not in piped.stdout and piped.stdout.startswith("--- a/")


def test_a_collapsed_line_is_removed_whole_not_paired_with_its_neighbour(tmp_path: Path) -> None:
    """Issue 12: LX 2 (a duplicate collection) is removed; LX 3 becomes LX 2 and pairs with itself."""
    source = tmp_path / "in.837"
    source.write_bytes(canary_837())
    lines = CliRunner().invoke(main, ["diff", str(source)]).stdout.splitlines()
    start = lines.index("-SV2*0871*HC:38225*2000.00*UN*1~") - 1
    assert lines[start : start + 8] == [
        "-LX*2~",
        "-SV2*0871*HC:38225*2000.00*UN*1~",
        "-DTP*472*D8*20250304~",
        "-LX*3~",
        "-SV2*0874*HC:38228*4000.00*UN*2~",
        "+LX*2~",
        "+SV2*0874*HC:38228*4000.00*UN*1~",
        " DTP*472*D8*20250304~",
    ]
    assert lines[start - 3 : start] == [
        "-SV2*0871*HC:38225*1800.00*UN*1~",
        "+SV2*0871*HC:38225*3800.00*UN*1~",
        " DTP*472*D8*20250304~",
    ]
