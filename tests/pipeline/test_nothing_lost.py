"""Issue 16 item 1: nothing lost in silence (real processes)."""

from __future__ import annotations

import os
from pathlib import Path

from cart837 import fix_many
from cart837.inputs import OUTPUT_MARKER
from tests.pipeline.support import CHANGING, CLEAN, copy_batch, report_of, run
from tests.support import error_lines


def _batch(folder: Path) -> Path:
    """car-t.837 (changes), sub/clean.edi, notes.txt (not X12)."""
    batch = copy_batch(folder / "in", {"car-t.837": CHANGING, "sub/clean.edi": CLEAN})
    (batch / "notes.txt").write_text("not a claim file\n")
    return batch


def test_unreadable_file_and_folder_are_errors_naming_them(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    secret, locked = batch / "secret.837", batch / "locked"
    secret.write_bytes(CHANGING.read_bytes())
    secret.chmod(0o000)
    locked.mkdir()
    (locked / "inside.837").write_bytes(CLEAN.read_bytes())
    locked.chmod(0o000)
    report = tmp_path / "report.json"
    done = run("fix", str(batch), "-o", str(tmp_path / "out"), "--report", str(report), modes_bind=True)
    assert done.code == 2, done.stderr
    assert sorted(error_lines(done.stderr)) == [
        f"cart837: error: {locked}: cannot read the directory: Permission denied",
        f"cart837: error: {secret}: cannot read: Permission denied",
    ]
    entries = {f["path"]: f for f in report_of(report)["files"]}
    assert (entries[str(secret)]["status"], entries[str(secret)]["code"]) == ("failed", "E-READ")
    assert (entries[str(locked)]["status"], entries[str(locked)]["code"]) == ("failed", "E-READ")
    notes = entries[str(batch / "notes.txt")]
    assert (notes["status"], notes["code"], notes["reason"], notes["error"]) == (
        "skipped",
        "S-NOT-X12",
        "not an X12 file",
        None,
    )
    assert "Traceback" not in done.stderr


def test_symlinked_folders_are_followed_once_and_loops_end(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    (batch / "alias").symlink_to(batch / "sub", target_is_directory=True)  # a second way to sub/
    (batch / "sub" / "loop").symlink_to(batch, target_is_directory=True)  # a loop back up
    elsewhere = copy_batch(tmp_path / "elsewhere", {"linked.837": CHANGING})
    (batch / "linked").symlink_to(elsewhere, target_is_directory=True)
    report = tmp_path / "report.json"
    done = run("fix", str(batch), "-o", str(tmp_path / "out"), "--report", str(report))
    assert done.code == 0, done.stderr
    processed = sorted(f["path"] for f in report_of(report)["files"] if f["status"] in ("changed", "unchanged"))
    relative = [Path(p).relative_to(batch).as_posix() for p in processed]
    assert relative == ["alias/clean.edi", "car-t.837", "linked/linked.837"]
    assert (tmp_path / "out" / "linked" / "linked.837").is_file()
    why = "not read again: the folder was already read (a symlink loop or a second link)"
    texts = [f"{batch / 'alias' / 'loop'}: {why}", f"{batch / 'sub'}: {why}"]  # scanned in sorted order
    assert [line for line in done.lines if "warning" in line] == [f"cart837: warning: {text}" for text in texts]
    assert report_of(report)["warnings"] == texts  # in the report too


def test_hidden_entries_are_left_out_of_scans_unless_named(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    copy_batch(batch / ".snapshot", {"car-t.837": CHANGING})
    copy_batch(batch, {".hidden.837": CHANGING})
    scanned = run("check", str(batch))
    assert scanned.lines[-2].startswith("3 files: 1 would change, 1 unchanged, 1 skipped;")
    named = run("check", str(batch / ".snapshot"), str(batch / ".hidden.837"))
    assert named.lines[-2].startswith("2 files: 2 would change")


def test_o_equal_to_an_input_is_a_usage_error(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    done = run("fix", str(batch), "-o", str(batch))
    assert done.code == 2
    assert done.lines[-1] == f"Error: -o {batch} is also an input: write the fixed files to another folder"
    assert not (batch / OUTPUT_MARKER).exists()


def test_earlier_output_trees_are_never_read_again(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    first = run("fix", str(batch), "-o", str(batch / "fixed-monday"))
    assert first.code == 0 and (batch / "fixed-monday" / OUTPUT_MARKER).is_file()
    second = run("fix", str(batch), "-o", str(batch / "fixed-tuesday"))
    assert second.code == 0
    assert second.lines[-1].startswith("3 files: 1 changed, 1 unchanged, 1 skipped")
    assert not (batch / "fixed-tuesday" / "fixed-monday").exists()
    library = fix_many([batch], outdir=tmp_path / "library-out")
    assert sorted(Path(r.path).name for r in library) == ["car-t.837", "clean.edi", "notes.txt"]


def test_a_run_that_processed_no_file_is_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run("fix", str(empty), "-o", str(tmp_path / "out"))
    assert (done.code, done.lines) == (
        2,
        [f"cart837: error: {empty}: no X12 file in this directory (a file is X12 when it starts with ISA)"],
    )
    only_notes = tmp_path / "notes"
    only_notes.mkdir()
    (only_notes / "readme.txt").write_text("hello\n")
    (only_notes / ".hidden.837").write_bytes(CHANGING.read_bytes())
    assert run("check", str(only_notes)).code == 2


def test_a_fifo_in_a_scan_is_skipped_with_its_own_code(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    os.mkfifo(batch / "queue.837")  # opening it would block: the scan must not read it
    report = tmp_path / "report.json"
    done = run("fix", str(batch), "-o", str(tmp_path / "out"), "--report", str(report))
    assert done.code == 0, done.stderr
    codes = {Path(f["path"]).name: (f["status"], f["code"]) for f in report_of(report)["files"]}
    assert codes["queue.837"] == ("skipped", "S-NOT-FILE")
    assert codes["notes.txt"] == ("skipped", "S-NOT-X12")
