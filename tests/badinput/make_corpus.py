"""Make a corpus of bad (and deceptively fine) X12 files from good 837I files.

Independent of cart837 on purpose (standard library only): each case says what a correct
reader must do with it, decided here from the bytes, not by asking cart837.

    python tests/badinput/make_corpus.py GOOD.837... -o DIR     # writes DIR/*, DIR/manifest.json

Expectations:
- `refused`: exit 2, one `cart837: error: FILE: byte B, segment N (SEG): ...` line, no output.
- `valid`: still a well-formed 837I interchange stream (a cut right after an IEA, a UTF-8 BOM,
  non-ASCII data or file names, two interchanges back to back, ...): processed, exit 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

REFUSED, VALID = "refused", "valid"
BOM8 = b"\xef\xbb\xbf"
WS = b" \t\r\n"
ISA_LEN = 106


@dataclass(frozen=True)
class Case:
    """One corpus file: its name, what must happen to it, and how it was made."""

    name: str
    expect: str
    how: str


@dataclass(frozen=True)
class Seg:
    """A segment of a good file: [start, end) including its terminator and trailing whitespace."""

    start: int
    end: int
    tag: str
    elements: list[str]


@dataclass(frozen=True)
class Source:
    """A good file and its segments (read with the delimiters its first ISA declares)."""

    stem: str
    data: bytes
    element: bytes
    term: bytes
    segs: list[Seg]

    @classmethod
    def read(cls, path: Path) -> Source:
        """Split a good file into segments."""
        data = path.read_bytes()
        start = data.find(b"ISA")
        element, term = data[start + 3 : start + 4], data[start + 105 : start + 106]
        segs: list[Seg] = []
        pos = start
        while pos < len(data):
            stop = data.index(term, pos) + 1
            end = stop
            while end < len(data) and data[end] in WS:
                end += 1
            fields = data[pos : stop - 1].decode("latin-1").split(element.decode("latin-1"))
            segs.append(Seg(pos, end, fields[0], fields))
            pos = end
        return cls(re.sub(r"[^A-Za-z0-9]+", "-", path.stem), data, element, term, segs)

    def first(self, tag: str, nth: int = 0) -> Seg:
        """Return the nth segment with this tag."""
        return [s for s in self.segs if s.tag == tag][nth]

    def interchange_ends(self) -> list[int]:
        """Return the byte offsets just after each IEA's terminator (before its line break)."""
        return [self.data.index(self.term, s.start) + 1 for s in self.segs if s.tag == "IEA"]

    def splice(self, seg: Seg, body: bytes) -> bytes:
        """Return the data with one segment's body (up to its terminator) replaced."""
        stop = self.data.index(self.term, seg.start)
        return self.data[: seg.start] + body + self.data[stop:]

    def set_element(self, seg: Seg, index: int, value: str) -> bytes:
        """Return the data with one element of one segment changed."""
        fields = list(seg.elements)
        fields[index] = value
        return self.splice(seg, self.element.join(f.encode("latin-1") for f in fields))

    def without(self, *drop: Seg) -> bytes:
        """Return the data with whole segments removed."""
        starts = {s.start for s in drop}
        return b"".join(self.data[s.start : s.end] for s in self.segs if s.start not in starts)


Mutation = tuple[str, str, bytes]  # (how, expectation, bytes)


def truncation_class(src: Source, cut: int) -> str:
    """A prefix is still valid iff it ends after a whole interchange (plus only whitespace)."""
    head = src.data[:cut].removeprefix(BOM8).lstrip(WS)
    if not head:
        return REFUSED
    ends = [e for e in src.interchange_ends() if e <= cut]
    return VALID if ends and not src.data[ends[-1] : cut].strip(WS) else REFUSED


def truncations(src: Source, rng: random.Random) -> Iterator[Mutation]:
    """Cut the file at the start, inside the ISA, at segment edges, mid-segment and at IEA ends."""
    size = len(src.data)
    cuts = {0, 1, 3, 4, 50, 105, 106, 107, size - 1}
    for seg in rng.sample(src.segs, min(6, len(src.segs))):
        cuts.update({seg.start, seg.start + 2, (seg.start + seg.end) // 2})
    for end in src.interchange_ends():
        cuts.update({end - 1, end, end + 1})
    cuts.update(rng.sample(range(1, size), 4))
    for cut in sorted(c for c in cuts if 0 <= c < size):
        yield f"truncated at byte {cut}", truncation_class(src, cut), src.data[:cut]


def isa_damage(src: Source) -> Iterator[Mutation]:
    """Break the fixed-width ISA: length, separators, terminator."""
    d, isa = src.data, src.first("ISA")
    s = isa.start
    unused = next(c for c in (b"!", b"#", b"@", b"&", b"{") if c not in d)
    other = b"+" if src.element != b"+" else b"|"
    yield "ISA one byte short (ISA06 padding)", REFUSED, d[: s + 40] + d[s + 41 :]
    yield "ISA one byte long (ISA06 padding)", REFUSED, d[: s + 40] + b" " + d[s + 40 :]
    yield "ISA element separator is a letter", REFUSED, d[:s] + b"ISAX" + d[s + 4 :]
    yield "ISA element separator differs from the others", REFUSED, d[:s] + b"ISA" + other + d[s + 4 :]
    yield "ISA16 equals the element separator", REFUSED, d[: s + 104] + src.element + d[s + 105 :]
    yield "ISA segment terminator is a letter", REFUSED, d[: s + 105] + b"Q" + d[s + 106 :]
    yield "ISA segment terminator is a space", REFUSED, d[: s + 105] + b" " + d[s + 106 :]
    yield "ISA declares a terminator the file never uses", REFUSED, d[: s + 105] + unused + d[s + 106 :]
    yield "ISA tag misspelt", REFUSED, d[:s] + b"IZA" + d[s + 3 :]
    yield "ISA13 differs from IEA02", REFUSED, src.set_element(isa, 13, "999999999")


def envelope_damage(src: Source) -> Iterator[Mutation]:
    """Wrong counts and control numbers, misspelt and displaced envelope segments."""
    se, ge, iea, st, gs = (src.first(t) for t in ("SE", "GE", "IEA", "ST", "GS"))
    count = int(se.elements[1])
    yield "SE01 one too high", REFUSED, src.set_element(se, 1, str(count + 1))
    yield "SE01 one too low", REFUSED, src.set_element(se, 1, str(count - 1))
    yield "SE01 not a number", REFUSED, src.set_element(se, 1, "X")
    yield "SE01 empty", REFUSED, src.set_element(se, 1, "")
    yield "SE02 differs from ST02", REFUSED, src.set_element(se, 2, "7777")
    yield "GE01 one too high", REFUSED, src.set_element(ge, 1, str(int(ge.elements[1]) + 1))
    yield "GE01 zero", REFUSED, src.set_element(ge, 1, "0")
    yield "GE02 differs from GS06", REFUSED, src.set_element(ge, 2, "424242")
    yield "IEA01 one too high", REFUSED, src.set_element(iea, 1, str(int(iea.elements[1]) + 1))
    yield "IEA01 not a number", REFUSED, src.set_element(iea, 1, "one")
    yield "ST01 is 835", REFUSED, src.set_element(st, 1, "835")
    yield "ST03 and GS08 say 837P", REFUSED, src.data.replace(b"005010X223A2", b"005010X222A1")
    yield "GS08 says 4010", REFUSED, src.set_element(gs, 8, "004010X096A1").replace(b"005010X223A2", b"")
    for seg in (se, ge, iea, st, gs):
        yield f"{seg.tag} separator garbled", REFUSED, src.splice(seg, "+".join(seg.elements).encode("latin-1"))
        yield f"{seg.tag} tag misspelt", REFUSED, src.set_element(seg, 0, seg.tag[0] + "X" + seg.tag[2:])


def segment_damage(src: Source, rng: random.Random) -> Iterator[Mutation]:
    """Delete, swap and merge segments; each changes what ST..SE counts or the envelope order."""
    tags = ["ISA", "GS", "ST", "SE", "GE", "IEA"]
    for tag in tags:
        yield f"{tag} deleted", REFUSED, src.without(src.first(tag))
    body = [s for s in src.segs if s.tag not in tags]
    for seg in rng.sample(body, min(5, len(body))):
        yield f"body segment {seg.tag} at byte {seg.start} deleted (SE01 now wrong)", REFUSED, src.without(seg)
    yield "SE and GE swapped", REFUSED, _swap(src, src.first("SE"), src.first("GE"))
    yield "GE and IEA swapped", REFUSED, _swap(src, src.first("GE"), src.first("IEA"))
    yield "ST and BHT swapped (BHT outside the transaction)", REFUSED, _swap(src, src.first("ST"), src.first("BHT"))
    yield "GS and ST swapped", REFUSED, _swap(src, src.first("GS"), src.first("ST"))
    seg = rng.choice(body[1:-1])
    stop = src.data.index(src.term, seg.start)
    merged = src.data[:stop] + src.element + src.data[stop + 1 :]
    yield f"terminator of {seg.tag} at byte {seg.start} became a separator (segments merged)", REFUSED, merged
    per = next((s for s in src.segs if s.tag == "PER"), None)
    if per is not None:
        se = src.first("SE")
        kept = src.without(per)
        yield "PER deleted and SE01 recounted", VALID, _recount(src, kept, se.start - (per.end - per.start), -1)


def _swap(src: Source, a: Seg, b: Seg) -> bytes:
    first, second = sorted((a, b), key=lambda s: s.start)
    d = src.data
    middle = d[first.end : second.start]
    return d[: first.start] + d[second.start : second.end] + middle + d[first.start : first.end] + d[second.end :]


def bytes_damage(src: Source, rng: random.Random) -> Iterator[Mutation]:
    """NUL and control bytes, binary noise, huge segments, non-ASCII data."""
    d = src.data
    mid = src.first("CLM").start + 5
    yield "NUL byte inside a CLM", REFUSED, d[:mid] + b"\x00" + d[mid:]
    yield "NUL bytes after the IEA", REFUSED, d + b"\x00" * 16
    yield "control byte 0x1a (DOS EOF) at the end", REFUSED, d + b"\x1a"
    yield "control byte 0x07 in an NM1", REFUSED, d.replace(b"NM1" + src.element, b"NM1" + src.element + b"\x07", 1)
    noise = bytes(rng.randrange(256) for _ in range(300))
    yield "binary noise spliced into the middle", REFUSED, d[: len(d) // 2] + noise + d[len(d) // 2 :]
    yield "binary noise after the IEA", REFUSED, d + noise
    subscriber = next(s for s in src.segs if s.tag == "NM1" and s.elements[1] in ("IL", "QC"))
    yield "latin-1 letters in a name (still X12)", VALID, src.set_element(subscriber, 3, "MÜLLER-ÉÀ")
    address = src.first("N3")
    utf8 = "ÇÃO ".encode().decode("latin-1") + address.elements[1]
    yield "UTF-8 letters in an address (still X12)", VALID, src.set_element(address, 1, utf8)
    huge = b"NTE" + src.element + b"ADD" + src.element + b"A" * (1 << 20) + src.term
    clm = src.first("CLM")
    grown = d[: clm.end] + huge + d[clm.end :]
    yield "a 1 MB segment, SE01 not recounted", REFUSED, grown
    yield "a 1 MB segment, SE01 recounted", VALID, _recount(src, grown, src.first("SE").start + len(huge), +1)
    yield "a 1 MB segment without terminator at the end", REFUSED, d + huge[:-1]
    yield "1 MB of text after the IEA", REFUSED, d + b"B" * (1 << 20)


def _recount(src: Source, data: bytes, at: int, delta: int) -> bytes:
    """Return `data` with the SE01 of the SE starting at byte `at` moved by `delta`."""
    sep = src.element
    head, count, tail = data[at:].split(sep, 2)
    assert head == b"SE", data[at : at + 20]
    return data[:at] + head + sep + str(int(count) + delta).encode() + sep + tail


def bom_variants(src: Source) -> Iterator[Mutation]:
    """UTF-8 BOM (allowed) and every other BOM or encoding (refused)."""
    d = src.data
    yield "UTF-8 BOM", VALID, BOM8 + d
    yield "UTF-8 BOM and a blank line", VALID, BOM8 + b"\r\n" + d
    yield "two UTF-8 BOMs", REFUSED, BOM8 + BOM8 + d
    yield "UTF-16 LE with BOM", REFUSED, b"\xff\xfe" + d.decode("latin-1").encode("utf-16-le")
    yield "UTF-16 BE with BOM", REFUSED, b"\xfe\xff" + d.decode("latin-1").encode("utf-16-be")
    yield "UTF-16 LE without BOM", REFUSED, d.decode("latin-1").encode("utf-16-le")
    yield "UTF-32 with BOM", REFUSED, d.decode("latin-1").encode("utf-32")
    yield "UTF-8 BOM before a second interchange", REFUSED, d + BOM8 + d
    yield "UTF-8 BOM at the end", REFUSED, d + BOM8


def concatenations(src: Source, other: Source) -> Iterator[Mutation]:
    """Two files glued: right (back-to-back interchanges) and wrong."""
    a, b = src.data, other.data
    iea = src.first("IEA")
    yield "two files back to back", VALID, a + b
    yield "two files, no line break between IEA and ISA", VALID, a.rstrip(WS) + b
    yield "two files with a blank line between", VALID, a + b"\n\n" + b
    yield "first file cut before its IEA, second appended", REFUSED, a[: iea.start] + b
    yield (
        "second file's ISA inside the first's transaction",
        REFUSED,
        a[: src.first("SE").start] + b + a[src.first("SE").start :],
    )
    yield "garbage line between two files", REFUSED, a + b"----- next file -----\n" + b
    yield "first file cut mid-segment, second appended", REFUSED, a[: (iea.start + src.first("GE").start) // 2] + b


def whole_file_junk(rng: random.Random) -> Iterator[Mutation]:
    """Files that are not X12 at all."""
    yield "empty file", REFUSED, b""
    yield "only whitespace", REFUSED, b" \r\n\t\n"
    yield "only a UTF-8 BOM", REFUSED, BOM8
    yield "only NUL bytes", REFUSED, b"\x00" * 4096
    for n in range(4):
        yield f"random binary #{n}", REFUSED, bytes(rng.randrange(256) for _ in range(rng.choice((10, 200, 5000))))
    yield "random binary starting with ISA", REFUSED, b"ISA" + bytes(rng.randrange(256) for _ in range(400))
    yield "a CSV file", REFUSED, b"claim,charge\nA1,100.00\n"
    yield "an 835 remittance", REFUSED, _an_835()
    yield "a lone ISA", REFUSED, _isa() + b"\n"


def _isa(term: bytes = b"~") -> bytes:
    return (
        b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250101*1200*^*00501*000000001*0*P*:"
        + term
    )


def _an_835() -> bytes:
    body = [
        "ST*835*0001*005010X221A1",
        "BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20250101",
        "TRN*1*12345*1512345678",
        "N1*PR*PAYER",
        "N1*PE*PAYEE*XX*1234567893",
        "LX*1",
        "CLP*A1*1*100*100**MA*1234",
        "SE*8*0001",
    ]
    text = "GS*HP*SENDER*RECEIVER*20250101*1200*1*X*005010X221A1~" + "~".join(body) + "~GE*1*1~IEA*1*000000001~"
    return _isa() + text.encode()


def odd_names(src: Source) -> Iterator[tuple[str, str, str, bytes]]:
    """(file name, how, expectation, bytes): good and bad files under unusual names."""
    truncated = src.data[: len(src.data) // 2]
    yield f"réclamation-{src.stem}.837", "accented file name", VALID, src.data
    yield f"請求-{src.stem}.837", "CJK file name", VALID, src.data
    yield f"claim 😀 {src.stem}.837", "emoji and spaces in the name", VALID, src.data
    yield f"tronqué-{src.stem}.837", "accented name, truncated file", REFUSED, truncated
    stem = src.stem.encode()
    yield os.fsdecode(b"bad-\xff\xfe-" + stem + b".837"), "non-UTF-8 file name, truncated", REFUSED, truncated
    yield os.fsdecode(b"ok-\xff-" + stem + b".837"), "non-UTF-8 file name, good file", VALID, src.data


def mutations(src: Source, other: Source, rng: random.Random) -> Iterator[Mutation]:
    """Every per-source mutation."""
    makers: list[Callable[[], Iterator[Mutation]]] = [
        lambda: truncations(src, rng),
        lambda: isa_damage(src),
        lambda: envelope_damage(src),
        lambda: segment_damage(src, rng),
        lambda: bytes_damage(src, rng),
        lambda: bom_variants(src),
        lambda: concatenations(src, other),
    ]
    for make in makers:
        yield from make()


def build(sources: list[Path], outdir: Path, seed: int = 837) -> list[Case]:
    """Write the corpus into `outdir` (plus manifest.json) and return its cases."""
    rng = random.Random(seed)
    outdir.mkdir(parents=True, exist_ok=True)
    goods = [Source.read(p) for p in sources]
    cases: list[Case] = []

    def write(name: str, how: str, expect: str, data: bytes) -> None:
        (outdir / name).write_bytes(data)
        cases.append(Case(name, expect, how))

    for number, src in enumerate(goods):
        other = goods[(number + 1) % len(goods)]
        for index, (how, expect, data) in enumerate(mutations(src, other, rng)):
            write(f"{src.stem}-{index:03d}.x12", f"{src.stem}: {how}", expect, data)
        for name, how, expect, data in odd_names(src):
            write(name, f"{src.stem}: {how}", expect, data)
    for index, (how, expect, data) in enumerate(whole_file_junk(rng)):
        write(f"junk-{index:02d}.x12", how, expect, data)
    manifest = [asdict(c) | {"name": c.name.encode("utf-8", "surrogateescape").hex()} for c in cases]
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return cases


def main() -> None:
    """Command line: make the corpus from the given good files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=837)
    args = parser.parse_args()
    cases = build(args.sources, args.output, args.seed)
    refused = sum(1 for c in cases if c.expect == REFUSED)
    print(f"{len(cases)} files: {refused} refused, {len(cases) - refused} valid")  # noqa: T201


if __name__ == "__main__":
    main()
