"""Run the reader fuzz target under atheris (libFuzzer), with coverage from cart837 only.

python -m tests.fuzz.run_atheris -runs=1000000 -max_len=4096 CORPUS_DIR
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["cart837"]):
    from tests.fuzz.reader_target import one_input


def main() -> None:
    """Hand the command line (libFuzzer flags, corpus folders) to atheris and fuzz."""
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
