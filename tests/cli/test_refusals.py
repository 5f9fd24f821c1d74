"""The public files SOURCES.md marks as mislabelled, 4010, 837P or with a wrong SE01 are refused cleanly.

Each gets exit 2 and one line on stderr naming the file and the position, no traceback and no
output; in a batch the other files are still written.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cart837.cli import main
from tests.support import PUBLIC, REFUSED, WELL_FORMED, cart837_command, error_lines, visible

BOM = b"\xef\xbb\xbf"


def _position(rel: str) -> str:
    """Locate the refused segment independently: its byte offset and 1-based segment number."""
    data = (PUBLIC / rel).read_bytes()
    tag = REFUSED[rel][0]
    isa = len(BOM) if data.startswith(BOM) else 0
    term = data[isa + 105 : isa + 106]  # the byte after ISA16
    match = re.search(re.escape(term) + rb"\s*(" + tag.encode() + rb")\*", data)  # the first such segment
    assert match is not None
    offset = match.start(1)
    return f"byte {offset}, segment {data.count(term, 0, offset) + 1} ({tag})"


@pytest.mark.parametrize("rel", sorted(REFUSED))
def test_refused_alone_with_cli_runner(rel: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fix", str(PUBLIC / rel), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    errors = error_lines(result.stderr)
    assert errors == [f"cart837: error: {PUBLIC / rel}: {_position(rel)}: {_message(rel)}"]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert visible(tmp_path / "out") == []


@pytest.mark.parametrize("rel", sorted(REFUSED))
def test_refused_alone_in_a_real_process(rel: str, tmp_path: Path) -> None:
    done = cart837_command(["fix", str(PUBLIC / rel)], cwd=tmp_path)  # to stdout: nothing may be written
    stderr = done.stderr.decode()
    assert done.returncode == 2
    assert error_lines(stderr) == [f"cart837: error: {PUBLIC / rel}: {_position(rel)}: {_message(rel)}"]
    assert "Traceback" not in stderr
    assert done.stdout == b""
    assert list(tmp_path.iterdir()) == []


def _message(rel: str) -> str:
    fragment = REFUSED[rel][1]
    if REFUSED[rel][0] == "SE":
        return fragment
    return f"not a 5010 837I: {fragment}" + (", SV1 service lines" if REFUSED[rel][0] == "SV1" else "")


@pytest.mark.parametrize("runner", ["click", "process"])
def test_batch_of_all_public_files(runner: str, tmp_path: Path) -> None:
    """One run over the whole folder: 4 refusals, 10 byte-identical outputs, the rest still written."""
    source = tmp_path / "public"
    shutil.copytree(PUBLIC, source)
    out = tmp_path / "out"
    args = ["fix", str(source), "-o", str(out)]
    if runner == "click":
        result = CliRunner().invoke(main, args)
        code, stderr = result.exit_code, result.stderr
    else:
        done = cart837_command(args)
        code, stderr = done.returncode, done.stderr.decode()
    assert code == 2
    errors = error_lines(stderr)
    assert len(errors) == len(REFUSED)
    for rel in REFUSED:
        assert [e for e in errors if f"{source / rel}: " in e] == [
            f"cart837: error: {source / rel}: {_position(rel)}: {_message(rel)}"
        ]
        assert not (out / rel).exists()
    for rel in WELL_FORMED:
        assert (out / rel).read_bytes() == (PUBLIC / rel).read_bytes(), rel
    assert "Traceback" not in stderr
    assert "15 files: 0 changed, 10 unchanged, 1 skipped, 4 failed; 0 fixes, 0 flags; 0 claims need a person" in stderr
    assert sorted(str(p.relative_to(out)) for p in visible(out) if p.is_file()) == sorted(WELL_FORMED)
