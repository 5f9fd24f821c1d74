"""Write the fuzzing seed corpus: public fixtures and small generated files, each behind a chunk byte.

python -m tests.fuzz.seeds DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.fuzz.reader_target import CHUNKS
from tests.support import PUBLIC, gen837i

GENERATED = (
    ("--delims", "*:^~", "--line-ending", "none"),
    ("--delims", "|>^!", "--line-ending", "lf"),
    ("--delims", "*:^~", "--line-ending", "crlf", "--interchanges", "2"),
    ("--delims", "^:|~", "--line-ending", "none", "--all-scenarios"),
)


def seeds() -> list[bytes]:
    """Return the seed inputs (without the chunk byte)."""
    found = [p.read_bytes() for p in sorted(PUBLIC.rglob("*")) if p.is_file() and p.suffix != ".md"]
    for number, options in enumerate(GENERATED):
        found.append(gen837i("--claims", "3", "--seed", str(number), "--cart-share", "1", *options))
    return found


def write(folder: Path) -> int:
    """Write every seed with three chunk sizes into `folder`; return how many files."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for number, data in enumerate(seeds()):
        for selector in (0, 4, len(CHUNKS) - 1):
            (folder / f"seed-{number:02d}-{selector:02d}").write_bytes(bytes([selector]) + data)
            count += 1
    return count


if __name__ == "__main__":
    print(f"{write(Path(sys.argv[1]))} seeds in {sys.argv[1]}")  # noqa: T201
