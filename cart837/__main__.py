"""Run the command line: `python -m cart837 ...` (the benchmark uses it)."""

from cart837.cli import main

main()
