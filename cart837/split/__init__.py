"""One big file across many workers: cut at ISA/ST boundaries, both passes per part, joined in order.

`--jobs N` (and Dask) run a file of at least `--split-size` bytes as parts (README, Many files):

1. `plan` (split.cuts) finds the cuts with a few C-speed searches over a memory map: the next
   interchange start or ST near each target offset; a part starting at an ST carries what is
   open there (delimiters, ISA13, GS06/GS08).
2. Pass 1 runs per part (`index_part`). A part cannot know how many groups or transactions came
   before it, so the GE01/IEA01 of an envelope opened before the part is recorded, not checked;
   `fold` then checks those counts in order, checks that each part starts in the state the one
   before it ended in, and gives pass 2 the exact start of every part (segment number, counts).
   Any part failing, or anything `fold` finds, makes the parent read the file whole, once, as
   the single-process run does: the error (or index) is that run's, byte for byte.
3. The per-part indexes merge in order (the same merge as per-file indexes).
4. Pass 2 runs per part (`fix_part`) with the exact start, writing a hidden temp file beside
   the output; the parent (`joiner`) copies them in order into the one output (AtomicFile: temp,
   fsync for --in-place, rename), merges the results, and judges the whole output (--hold,
   --validate) as for an unsplit file. Finding ids need the file's sha256: a pool task hashes
   the file during pass 1.
"""

from cart837.split.cuts import SPLIT_SIZE, Part, plan
from cart837.split.pass1 import PartIndex, SplitFile, fold, index_part, merged_index
from cart837.split.pass2 import PartFuture, PartOutput, discard, fix_part, joiner

__all__ = [
    "SPLIT_SIZE",
    "Part",
    "PartFuture",
    "PartIndex",
    "PartOutput",
    "SplitFile",
    "discard",
    "fix_part",
    "fold",
    "index_part",
    "joiner",
    "merged_index",
    "plan",
]
