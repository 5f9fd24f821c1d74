"""Shared test helpers: public fixtures, gen837i.py output, an 837I builder, stream joins, pyx12."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType
from typing import Any

import pyx12.error_handler
import pyx12.params
import pyx12.x12n_document

import cart837
from cart837.claims.model import Claim
from cart837.claims.reader import read_claim
from cart837.claims.stream import ClaimBytes, FileStream, Interest, Passthrough, TransactionEnd

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "fixtures" / "public"
SHARED = ROOT.parent / "shared"  # CI checks the repository out with ../shared beside it
GENERATOR = Path(os.environ.get("CART837_GEN837I", SHARED / "tools" / "gen837i.py"))
# Child processes import cart837 from where this process did: the checkout (the dev venv, editable) or
# the compiled build `make pytest` installs into build/compiled/; the checkout follows for `tests`.
CHILD_PYTHONPATH = os.pathsep.join(dict.fromkeys((str(Path(cart837.__file__).resolve().parents[1]), str(ROOT))))
if not GENERATOR.is_file():  # a clone outside the shared machine keeps a copy next to the fixtures
    GENERATOR = ROOT / "tools" / "gen837i.py"

# fixtures/public/SOURCES.md: the files cart837 must refuse, and what the refusal names.
REFUSED = {
    "hccinfhir/sample_837_1.txt": ("SV1", "837P (professional) content"),
    "imsweb-x12-parser/x223-test.txt": ("SE", "SE01 is 25 but transaction 987654 has 48 segments"),
    "inteligenz-x12parser/InstitutionalClaim5010.txt": ("SE", "SE01 is 43 but transaction 987654 has 78 segments"),
    "linuxforhealth-x12/institutional.837": ("ST", "a 4010 transaction (004010X096A1)"),
}
WELL_FORMED = (
    "inteligenz-x12parser/Spec_3.1.1.txt",
    "inteligenz-x12parser/Spec_3.1.3_PPORepricedClaim.txt",
    "inteligenz-x12parser/Spec_3.1.4_OutOfNetworkRepricedClaim.txt",
    "linuxforhealth-x12/institutional-claim.837i",
    "linuxforhealth-x12/out-of-network-repriced-claim.837i",
    "linuxforhealth-x12/two-claims-single-provider.837i",
    "stupidedi/837-institutional-claim.edi",
    "stupidedi/automobile-accident.edi",
    "stupidedi/out-of-network-repriced-claim.edi",
    "stupidedi/ppo-repriced-claim.edi",
)


class _Everything:
    """Marker: build an Interest from the data that matches every SV2 in it (see `everything`)."""


EVERYTHING = _Everything()
Wanted = Interest | _Everything


def everything(data: bytes) -> Interest:
    """Return an Interest naming every revenue code that follows an `SV2` tag in `data`."""
    return Interest(revenue_codes=frozenset(m.decode() for m in re.findall(rb"SV2[^A-Za-z0-9](\d{4})", data)))


def is_compiled(module: ModuleType) -> bool:
    """Return whether `module` runs as a mypyc extension module (`make pytest`, README Set-up): its calls
    to another compiled module's functions are direct, so patching that module's attribute is not seen."""
    return str(module.__file__).endswith(tuple(EXTENSION_SUFFIXES))


def cart837_command(
    args: Sequence[str], stdin: bytes = b"", cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the installed `cart837` console script (this tree's code first on the path) in a child process."""
    script = Path(sys.executable).parent / "cart837"
    command = [str(script)] if script.is_file() else [sys.executable, "-c", "from cart837.cli import main; main()"]
    env = {**os.environ, "PYTHONPATH": CHILD_PYTHONPATH}
    return subprocess.run([*command, *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=300)


@contextlib.contextmanager
def dask_cluster(workers: int = 2, **options: Any) -> Iterator[Any]:
    """A distributed.LocalCluster of `workers` one-thread worker processes (so everything really travels).

    `options` go to LocalCluster (and on to each worker's nanny: `env`, `local_directory`).
    """
    import pytest

    distributed = pytest.importorskip("distributed", reason="dask[distributed] is the `dask` extra")
    with distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40, **options
    ) as local:
        yield local


def visible(folder: Path, pattern: str = "*") -> list[Path]:
    """Return the entries under `folder` (rglob `pattern`), leaving out hidden names: the -o marker, temp files."""
    if not folder.exists():
        return []
    found = folder.rglob(pattern)
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def error_lines(stderr: str) -> list[str]:
    """Return the `cart837: error:` lines of a run's standard error."""
    return [line for line in stderr.splitlines() if line.startswith("cart837: error: ")]


def public_files() -> list[str]:
    """Return every X12 file under fixtures/public, relative to it."""
    return sorted(str(p.relative_to(PUBLIC)) for p in PUBLIC.rglob("*") if p.is_file() and p.suffix != ".md")


def gen837i(*args: str, output: Path | None = None) -> bytes:
    """Run gen837i.py with `args` and return the 837I it made: the one place tests run the generator.

    With `output`, the file (and its .truth.json unless `--no-truth` is given) is written there;
    without, the file comes from stdout and has no truth.
    """
    if not GENERATOR.is_file():
        raise FileNotFoundError(f"gen837i.py not found at {GENERATOR}")
    command = [sys.executable, str(GENERATOR), *args]
    if output is None:
        return subprocess.run([*command, "--no-truth", "-o", "-"], check=True, capture_output=True).stdout
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([*command, "-o", str(output)], check=True, capture_output=True)
    return output.read_bytes()


@functools.cache
def generate(
    claims: int = 12,
    seed: int = 7,
    cart_share: float = 0.5,
    line_ending: str = "lf",
    delims: str = "*:^~",
    claims_per_st: int = 5000,
    interchanges: int = 1,
    scenarios: tuple[str, ...] = (),
    folder: Path | None = None,
    all_scenarios: bool = False,
) -> Path:
    """Run gen837i.py once per argument set; return the .837 path (its .truth.json sits beside it)."""
    out = folder or Path(_cache_dir())
    name = f"g{claims}-{seed}-{cart_share}-{line_ending}-{delims.encode().hex()}-{claims_per_st}-{interchanges}"
    name += "-" + "-".join(scenarios) if scenarios else ""
    name += "-all" if all_scenarios else ""
    path = out / f"{name}.837"
    args = [
        "--claims",
        str(claims),
        "--seed",
        str(seed),
        "--cart-share",
        str(cart_share),
        "--line-ending",
        line_ending,
        "--delims",
        delims,
        "--claims-per-st",
        str(claims_per_st),
        "--interchanges",
        str(interchanges),
    ]
    for scenario in scenarios:
        args += ["--scenario", scenario]
    if all_scenarios:
        args.append("--all-scenarios")
    gen837i(*args, output=path)
    return path


@functools.cache
def _cache_dir() -> str:
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="cart837-gen-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # each test process made up to ~60 MB
    return folder


@dataclass
class Joined:
    """What one FileStream pass produced."""

    data: bytes
    claims: list[ClaimBytes] = field(default_factory=list)
    ends: int = 0
    counted_claims: int = 0


def stream_join(data: bytes, interest: Wanted = EVERYTHING, chunk_size: int | None = None) -> Joined:
    """Run FileStream over `data` and join every event's bytes back together."""
    if isinstance(interest, _Everything):
        interest = everything(data)
    source = io.BytesIO(data)
    stream = (
        FileStream(source, "t.837", interest)
        if chunk_size is None
        else (FileStream(source, "t.837", interest, chunk_size=chunk_size))
    )
    parts: list[bytes] = []
    joined = Joined(b"")
    for event in stream.events():
        if isinstance(event, Passthrough):
            parts.append(event.data)
        elif isinstance(event, ClaimBytes):
            parts.append(event.data)
            joined.claims.append(event)
        elif isinstance(event, TransactionEnd):
            parts.append(event.raw)
            joined.ends += 1
    joined.data = b"".join(parts)
    joined.counted_claims = stream.claims
    return joined


def read_claims(data: bytes, interest: Wanted = EVERYTHING, chunk_size: int | None = None) -> list[Claim]:
    """Return the claims FileStream hands out for `data`, built into Claim objects."""
    return [read_claim(block, "t.837") for block in stream_join(data, interest, chunk_size).claims]


def pyx12_valid(data: bytes) -> tuple[bool, list[str]]:
    """Validate X12 bytes with pyx12 (005010X223A2 map); return (valid, error messages)."""
    handler = _Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        param = pyx12.params.params()
        ok = pyx12.x12n_document.x12n_document(param, io.StringIO(data.decode("latin-1")), io.StringIO(), None)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return bool(ok), handler.messages


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


# -- an 837I builder for any delimiter style -------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How an interchange is written: its four delimiters and what follows each terminator."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"  # ISA11: "U" or the component separator mean "no repetition separator"
    segment: str = "~"
    suffixes: tuple[str, ...] = ("\n",)  # cycled over the segments (line breaks, indentation)

    def render(self, segments: Sequence[Sequence[str | Sequence[str]]]) -> bytes:
        """Write segments (elements; a list element is a composite) with this style."""
        out: list[str] = []
        for number, elements in enumerate(segments):
            texts = [e if isinstance(e, str) else self.component.join(e) for e in elements]
            out.append(self.element.join(texts) + self.segment + self.suffixes[number % len(self.suffixes)])
        return "".join(out).encode("latin-1")


@dataclass(frozen=True)
class Line:
    """One 2400 service line."""

    revenue: str
    code: str = ""
    modifiers: tuple[str, ...] = ()
    charge: str = "100.00"
    units: str = "1"
    date: str | None = "20250303"
    noncovered: str = ""


@dataclass(frozen=True)
class ClaimSpec:
    """One 2300 claim and the patient it belongs to."""

    id: str
    lines: tuple[Line, ...]
    bill: tuple[str, str, str] = ("13", "A", "1")
    statement: str = "20250301-20250305"
    member: str = "M0001"
    dependent: str | None = None  # a 2000C patient's first name, or None (the subscriber is the patient)
    filing: str = "MB"
    payer: str = "PAYER01"
    clm02: str | None = None  # written as is; default: the sum of SV203 with two decimals
    same_patient: bool = False  # another claim in the previous claim's 2000B/2000C loop (no new HL)

    @property
    def total(self) -> str:
        """Return CLM02."""
        from decimal import Decimal

        return self.clm02 or f"{sum((Decimal(line.charge) for line in self.lines), Decimal(0)):.2f}"


def isa(style: Style, control: int) -> list[str]:
    """Return the fixed-width ISA elements."""
    return [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        "SENDER".ljust(15),
        "ZZ",
        "RECEIVER".ljust(15),
        "250301",
        "1200",
        style.repetition,
        "00501",
        f"{control:09d}",
        "0",
        "T",
        style.component,
    ]


def interchange(style: Style, control: int, transactions: Sequence[Sequence[ClaimSpec | Loop]]) -> bytes:
    """Return one ISA..IEA interchange with one group and the given transactions (see `transaction`)."""
    segments: list[list[str | Sequence[str]]] = [isa(style, control)]
    segments.append(["GS", "HC", "SENDER", "RECEIVER", "20250301", "1200", str(control), "X", "005010X223A2"])
    for number, claims in enumerate(transactions, start=1):
        segments.extend(transaction(f"{number:04d}", claims))
    segments.append(["GE", str(len(transactions)), str(control)])
    segments.append(["IEA", "1", f"{control:09d}"])
    return style.render(segments)


Segments = list[list[str | Sequence[str]]]


@dataclass(frozen=True)
class Person:
    """A subscriber's or dependant's name, address and birth (all PHI in a real file)."""

    last: str = "DOE"
    first: str = "JANE"
    street: str = "2 ELM ST"
    city: str = "NASHVILLE"
    zip: str = "372030000"
    dob: str = "19600101"
    sex: str = "F"


@dataclass(frozen=True)
class Subscriber:
    """Who a 2000B loop insures: member id (2010BA NM109), person, SBR09 filing code, payer id."""

    member: str = "M0001"
    person: Person = Person()
    filing: str = "MB"
    payer: str = "PAYER01"


BuiltClaim = ClaimSpec | str  # a structured claim, or its 2300/2400 segments written out (one per line)


@dataclass(frozen=True)
class Loop:
    """One 2000B loop: the subscriber's own claims, then each 2000C dependant with theirs."""

    subscriber: Subscriber
    claims: tuple[BuiltClaim, ...] = ()
    dependents: tuple[tuple[Person, tuple[BuiltClaim, ...]], ...] = ()


def transaction(control: str, items: Iterable[ClaimSpec | Loop]) -> Segments:
    """Return ST..SE with a correct SE01: claims (each under its own subscriber) or whole 2000B loops."""
    body: Segments = [
        ["ST", "837", control, "005010X223A2"],
        ["BHT", "0019", "00", "B" + control, "20250301", "1200", "CH"],
        ["NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", "S01"],
        ["PER", "IC", "EDI", "TE", "5555550100"],
        ["NM1", "40", "2", "RECEIVER", "", "", "", "", "46", "R01"],
        ["HL", "1", "", "20", "1"],
        ["NM1", "85", "2", "HOSPITAL", "", "", "", "", "XX", "1234567893"],
        ["N3", "1 MAIN ST"],
        ["N4", "NASHVILLE", "TN", "372030000"],
        ["REF", "EI", "123456789"],
    ]
    hl = 1
    for loop in _loops(items):
        hl += 1
        subscriber_hl, who = hl, loop.subscriber
        body += [
            ["HL", str(hl), "1", "22", "1" if loop.dependents else "0"],
            ["SBR", "P", "18" if loop.claims else "", "", "", "", "", "", "", who.filing],
            ["NM1", "IL", "1", who.person.last, who.person.first, "", "", "", "MI", who.member],
            *_address_and_birth(who.person),
            ["NM1", "PR", "2", "PAYER", "", "", "", "", "PI", who.payer],
        ]
        body += [segment for claim in loop.claims for segment in _claim(claim)]
        for person, claims in loop.dependents:
            hl += 1
            body += [
                ["HL", str(hl), str(subscriber_hl), "23", "0"],
                ["PAT", "19"],
                ["NM1", "QC", "1", person.last, person.first],
                *_address_and_birth(person),
            ]
            body += [segment for claim in claims for segment in _claim(claim)]
    body.append(["SE", str(len(body) + 1), control])
    return body


def _loops(items: Iterable[ClaimSpec | Loop]) -> list[Loop]:
    """Put each ClaimSpec under a subscriber loop of its own, or (same_patient) under the previous one."""
    loops: list[Loop] = []
    for item in items:
        if isinstance(item, Loop):
            loops.append(item)
        elif item.same_patient and loops:
            last = loops[-1]
            if last.dependents:
                person, claims = last.dependents[-1]
                loops[-1] = replace(last, dependents=(*last.dependents[:-1], (person, (*claims, item))))
            else:
                loops[-1] = replace(last, claims=(*last.claims, item))
        else:
            subscriber = Subscriber(item.member, Person(), item.filing, item.payer)
            if item.dependent:
                child = Person(first=item.dependent, dob="20100101", sex="M")
                loops.append(Loop(subscriber, dependents=((child, (item,)),)))
            else:
                loops.append(Loop(subscriber, (item,)))
    return loops


def _address_and_birth(person: Person) -> Segments:
    return [["N3", person.street], ["N4", person.city, "TN", person.zip], ["DMG", "D8", person.dob, person.sex]]


def _claim(claim: BuiltClaim) -> Segments:
    if isinstance(claim, ClaimSpec):
        return claim_segments(claim)
    lines = (line.strip().removesuffix("~") for line in claim.strip().splitlines())
    return [list(segment.split("*")) for line in lines if line for segment in line.split("~") if segment]


def claim_segments(claim: ClaimSpec) -> list[list[str | Sequence[str]]]:
    """Return the 2300 and 2400 segments of one claim."""
    segments: list[list[str | Sequence[str]]] = [
        ["CLM", claim.id, claim.total, "", "", list(claim.bill), "", "A", "Y", "Y"],
        ["DTP", "434", "RD8", claim.statement],
        ["CL1", "1", "1", "01"],
        ["HI", ["ABK", "C8310"]],
    ]
    for number, line in enumerate(claim.lines, start=1):
        procedure: list[str] | str = ["HC", line.code, *line.modifiers] if line.code else ""
        sv2: list[str | Sequence[str]] = ["SV2", line.revenue, procedure, line.charge, "UN", line.units]
        if line.noncovered:
            sv2 += ["", line.noncovered]
        segments += [["LX", str(number)], sv2]
        if line.date:
            segments.append(["DTP", "472", "D8", line.date])
    return segments


CART_CLAIM = ClaimSpec(
    "CLAIM1",
    (
        Line("0871", "38225", charge="1800.00", date="20250303"),
        Line("0871", "38225", charge="1800.00", date="20250303"),
        Line("0874", "38228", ("JW",), charge="2500.50", date="20250305"),
        Line("0891", "Q2041", charge="400000.00", date="20250305"),
        Line("0250", "", charge="12.34", date="20250305"),
    ),
)
PLAIN_CLAIM = ClaimSpec("CLAIM2", (Line("0450", "99284", ("25",), charge="950", units="2"),), member="M0002")
DEPENDENT_CLAIM = ClaimSpec(
    "CLAIM3", (Line("0874", "38228", charge="3000.00"),), member="M0003", dependent="TIM", filing="CI"
)


def rules_found(path: Path, rule_ids: frozenset[str] | set[str]) -> dict[str, set[str]]:
    """Run `check` on one file with the default configuration; return claim -> rules (of `rule_ids`) with findings."""
    from cart837.batch import Batch
    from cart837.config import Config
    from cart837.inputs import expand_inputs
    from cart837.parallel import build_index
    from cart837.results import RunMode
    from cart837.rules.engine import Engine

    config = Config()
    inputs, _ = expand_inputs([str(path)])
    index, failures = build_index(inputs, config)
    assert not failures
    result = Batch(config, Engine(config), index, RunMode.CHECK).process(0, inputs[0])
    assert result.error is None, result.error
    found: dict[str, set[str]] = {}
    for finding in result.findings:
        if finding.rule in rule_ids:
            found.setdefault(finding.claim, set()).add(finding.rule)
    return found


def segment_starts(data: bytes, style: Style) -> list[int]:
    """Return where each segment starts, after the whitespace that follows the previous terminator.

    Written independently of cart837, so tests can check its reader against it.
    """
    term, starts, pos = style.segment.encode("latin-1"), [], 0
    while pos < len(data):
        while pos < len(data) and data[pos : pos + 1] in b" \t\r\n":
            pos += 1
        if pos < len(data):
            starts.append(pos)
            pos = data.index(term, pos) + 1
    return starts
