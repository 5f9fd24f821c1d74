"""Pass 1: the episode index, all CAR-T-relevant lines per (patient key, date of service).

Memory grows with CAR-T lines only (DESIGN.md, Scale), and little per line: each line is one
row of parallel arrays, chained to the previous row of the same patient; claim ids share one
blob; codes and bill types are interned. EpisodeLine objects are made only when a rule asks.
On the 1M-claim cancer-centre mix (274k patients, 318k CAR-T claims, 731k lines) the index
takes 41 MB (~56 bytes a line); dicts of EpisodeLine lists took pass 1 to 252 MB peak RSS.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from cart837.claims.summary import ClaimSummary
from cart837.codes.tables import CART_REVENUE_CODES, CodeKind, CodeTable, Step
from cart837.ids import ClaimId, PatientKey
from cart837.inttable import IntTable, MemberIds

if TYPE_CHECKING:  # pass 1's records only travel through the index
    from cart837.claims.scan_record import ScanRecord

ClaimRef = tuple[int, int]  # (file number in the run, byte offset of CLM)

# RULES.md §3 Claim frequency (revision 2): CLM05-3 values that are corrected (1; 2-4 flags only)
# or that replace an earlier claim (7). Every other value (8 void, 0, 5, Q, ...) is never
# edited and joins no episode.
CORRECTED_FREQUENCIES = frozenset({"1", "2", "3", "4", "7"})
REPLACEMENT = "7"


def joins_episode(frequency: str) -> bool:
    """Return whether a claim of this CLM05-3 frequency joins the episode (an unreadable one does)."""
    return frequency == "" or frequency in CORRECTED_FREQUENCIES


def frequency_of(bill_type: str) -> str:
    """Return CLM05-3 from a three-character bill type ("" when unknown)."""
    return bill_type[2:3]


_STEPS: tuple[Step | None, ...] = (None, *Step)
_STEP_FLAG = {step: number for number, step in enumerate(_STEPS)}
_PRODUCT_FLAG = 0x80
_NO_ROW = -1
_BIG_LINE = (1 << 32) - 1


class EpisodeLine(NamedTuple):
    """One CAR-T-relevant line of some claim of the run (a named tuple: made per rule look-up, issue 14)."""

    claim: ClaimRef
    claim_id: ClaimId
    line: int
    code: str
    step: Step | None
    product: bool
    bill_type: str
    day: date | None = None  # the line's DOS (always set by the index)


class EpisodeIndex:
    """(patient key, date) -> CAR-T-relevant lines, across every file of the run.

    Add pass-1 summaries with `add_summary`, combine per-file indexes with `merge`, read one
    patient's lines with `patient_lines` or one claim's view with `view`.
    """

    __slots__ = (
        "member_ids",
        "_heads",
        "_odd_heads",
        "_strings",
        "_string_ids",
        "_big_lines",
        "_day",
        "_claim",
        "_line",
        "_code",
        "_flags",
        "_prev",
        "_claim_file",
        "_claim_offset",
        "_claim_bill",
        "_claim_id_end",
        "_claim_ids",
        "_cache",
        "scans",
    )
    _cache: tuple[str | None, dict[date, list[EpisodeLine]], dict[ClaimRef, ClaimId]]

    def __init__(self) -> None:
        self.member_ids = MemberIds()
        self._heads = IntTable()  # patient key "P" + 16 hex digits, as an int -> its newest row
        self._odd_heads: dict[str, int] = {}  # any other key (patient_key never makes one)
        self._strings: list[str] = []  # interned codes and bill types
        self._string_ids: dict[str, int] = {}
        self._big_lines: dict[int, int] = {}  # row -> LX01 too long for the array (never in valid X12)
        # one row per line: date ordinal, claim number, LX, code, step + product flags, previous row
        self._day, self._claim, self._line = array("I"), array("I"), array("I")
        self._code, self._flags, self._prev = array("I"), array("B"), array("i")
        # one row per claim: file number, CLM offset, bill type, end of its id in the blob
        self._claim_file, self._claim_offset = array("I"), array("Q")
        self._claim_bill, self._claim_id_end = array("I"), array("Q")
        self._claim_ids = bytearray()
        self._cache = (None, {}, {})
        self.scans: dict[int, ScanRecord] = {}  # file number -> what pass 1 read of it, for pass 2

    # -- building --------------------------------------------------------------------------

    def add_summary(self, claim: ClaimSummary, ref: ClaimRef, codes: CodeTable) -> None:
        """Record a pass-1 summary (its lines are already the relevant, dated ones)."""
        key = claim.patient_key
        if key is None or not claim.lines or not joins_episode(frequency_of(claim.bill_type)):
            return
        self.member_ids.add(claim.member_id)
        number = self._add_claim_row(ref, claim.id, claim.bill_type)
        prev = self._head(key)
        for line, _revenue, code, day in claim.lines:
            flags = _flags(codes, code)
            self._day.append(day.toordinal())
            self._claim.append(number)
            if line < _BIG_LINE:
                self._line.append(line)
            else:
                self._big_lines[len(self._line)] = line
                self._line.append(_BIG_LINE)
            self._code.append(self._intern(code))
            self._flags.append(flags)
            self._prev.append(prev)
            prev = len(self._day) - 1
        self._set_head(key, prev)
        self._cache = (None, {}, {})

    def _head(self, key: str) -> int:
        number = _key_number(key)
        return self._odd_heads.get(key, _NO_ROW) if number is None else self._heads.get(number, _NO_ROW)

    def _set_head(self, key: str, row: int) -> None:
        number = _key_number(key)
        if number is None:
            self._odd_heads[key] = row
        else:
            self._heads.put(number, row)

    def _head_items(self) -> Iterator[tuple[str, int]]:
        for number, row in self._heads.items():
            yield _key_text(number), row
        yield from self._odd_heads.items()

    def _add_claim_row(self, ref: ClaimRef, claim_id: str, bill_type: str) -> int:
        self._claim_file.append(ref[0])
        self._claim_offset.append(ref[1])
        self._claim_bill.append(self._intern(bill_type))
        self._claim_ids.extend(claim_id.encode("utf-8", "surrogatepass"))
        self._claim_id_end.append(len(self._claim_ids))
        return len(self._claim_file) - 1

    def _intern(self, text: str) -> int:
        number = self._string_ids.get(text)
        if number is None:
            number = self._string_ids[text] = len(self._strings)
            self._strings.append(text)
        return number

    @classmethod
    def merged(cls, parts: Iterable[EpisodeIndex]) -> EpisodeIndex:
        """Return pass-1 indexes merged in order (files in input order, a split file's parts in file order).

        The one pass-1 merge: in process, in a pool, on Dask and over a split file's parts. Each
        part is merged as it arrives, so only the merged index and one part are held at a time.
        """
        index = cls()
        for part in parts:
            index.merge(part)
        return index

    def merge(self, other: EpisodeIndex) -> None:
        """Append another index's lines (e.g. one file's, from a worker) after this one's.

        `other` must not be used afterwards: an empty index simply takes over its arrays.
        """
        scans = self.scans
        scans.update(other.scans)
        if not self._claim_file and not self.member_ids:
            for name in self.__slots__:
                setattr(self, name, getattr(other, name))
            self._cache = (None, {}, {})
            self.scans = scans
            return
        rows, claims = len(self._day), len(self._claim_file)
        strings = array("I", (self._intern(text) for text in other._strings))
        self._claim_file.extend(other._claim_file)
        self._claim_offset.extend(other._claim_offset)
        self._claim_bill.extend(strings[i] for i in other._claim_bill)
        base = len(self._claim_ids)
        self._claim_id_end.extend(end + base for end in other._claim_id_end)
        self._claim_ids.extend(other._claim_ids)
        self._day.extend(other._day)
        self._claim.extend(number + claims for number in other._claim)
        self._big_lines.update((row + rows, line) for row, line in other._big_lines.items())
        self._line.extend(other._line)
        self._code.extend(strings[i] for i in other._code)
        self._flags.extend(other._flags)
        self._prev.extend(_NO_ROW if prev == _NO_ROW else prev + rows for prev in other._prev)
        for key, head in other._head_items():
            mine = self._head(key)
            if mine != _NO_ROW:  # link the other's oldest row of this patient to our newest
                row = head + rows
                while self._prev[row] != _NO_ROW:
                    row = self._prev[row]
                self._prev[row] = mine
            self._set_head(key, head + rows)
        self.member_ids.update(other.member_ids)
        self._cache = (None, {}, {})

    # -- reading ---------------------------------------------------------------------------

    def view(self, patient: PatientKey | None, claim: ClaimRef) -> EpisodeView:
        """Return what one claim may know of its patient's other claims."""
        replacer = self.replaced_claims(patient).get(claim) if patient is not None else None
        return EpisodeView(self, patient, claim, replacer)

    def patient_lines(self, patient: str) -> dict[date, list[EpisodeLine]]:
        """Return one patient's lines by date, in the order they were added (replaced claims left out)."""
        return self._patient(patient)[0]

    def replaced_claims(self, patient: str) -> dict[ClaimRef, ClaimId]:
        """Return the patient's claims replaced by a later frequency-7 claim of the same CLM01 -> that CLM01."""
        return self._patient(patient)[1]

    def _patient(self, patient: str) -> tuple[dict[date, list[EpisodeLine]], dict[ClaimRef, ClaimId]]:
        cached = self._cache  # one tuple, read once: safe when threads share the index
        if cached[0] == patient:
            return cached[1], cached[2]
        rows: list[int] = []
        row = self._head(patient)
        while row != _NO_ROW:
            rows.append(row)
            row = self._prev[row]
        rows.reverse()
        ids = {claim: self._claim_id(claim) for claim in dict.fromkeys(self._claim[row] for row in rows)}
        replaced = self._replaced(rows, ids)
        by_day: dict[date, list[EpisodeLine]] = {}
        days: dict[int, date] = {}  # a patient's lines share few dates: each made once
        for row in rows:
            claim = self._claim[row]
            if claim not in replaced:
                ordinal = self._day[row]
                day = days.get(ordinal)
                if day is None:
                    day = days[ordinal] = date.fromordinal(ordinal)
                by_day.setdefault(day, []).append(self._episode_line(row, ids[claim], day))
        refs = {(self._claim_file[c], self._claim_offset[c]): claim_id for c, claim_id in replaced.items()}
        self._cache = (patient, by_day, refs)
        return by_day, refs

    def _replaced(self, rows: list[int], ids: dict[int, ClaimId]) -> dict[int, ClaimId]:
        """RULES.md §3 (revision 2): a replacement (7) replaces the patient's earlier claims of its CLM01."""
        seen: dict[str, list[int]] = {}  # CLM01 -> earlier claim numbers, in run order
        replaced: dict[int, ClaimId] = {}
        for row in rows:
            claim = self._claim[row]
            claim_id = ids[claim]
            earlier = seen.setdefault(claim_id, [])
            if claim in earlier:
                continue
            if frequency_of(self._strings[self._claim_bill[claim]]) == REPLACEMENT:
                replaced.update((number, claim_id) for number in earlier)
            earlier.append(claim)
        return replaced

    def _claim_id(self, claim: int) -> ClaimId:
        start = self._claim_id_end[claim - 1] if claim else 0
        return ClaimId(self._claim_ids[start : self._claim_id_end[claim]].decode("utf-8", "surrogatepass"))

    def _episode_line(self, row: int, claim_id: ClaimId, day: date) -> EpisodeLine:
        claim = self._claim[row]
        flags = self._flags[row]
        return EpisodeLine(
            (self._claim_file[claim], self._claim_offset[claim]),
            claim_id,
            self._big_lines.get(row, self._line[row]),
            self._strings[self._code[row]],
            _STEPS[flags & ~_PRODUCT_FLAG],
            bool(flags & _PRODUCT_FLAG),
            self._strings[self._claim_bill[claim]],
            day,
        )

    def stats(self) -> dict[str, int]:
        """Return sizes for logs and the benchmark: patients, claims, lines, bytes in arrays."""
        arrays = (
            self._day,
            self._claim,
            self._line,
            self._code,
            self._flags,
            self._prev,
            self._claim_file,
            self._claim_offset,
            self._claim_bill,
            self._claim_id_end,
        )
        return {
            "patients": len(self._heads) + len(self._odd_heads),
            "claims": len(self._claim_file),
            "lines": len(self._day),
            "array_bytes": sum(a.itemsize * len(a) for a in arrays) + len(self._claim_ids),
            "table_bytes": self._heads.nbytes() + self.member_ids.nbytes(),
        }

    def __getstate__(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__ if name != "_cache"}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        self._cache = (None, {}, {})


def _key_number(key: str) -> int | None:
    """Return patient_key's "P" + 16 hex digits as an int (None for any other text)."""
    if len(key) == 17 and key[0] == "P":
        try:
            number = int(key[1:], 16)
        except ValueError:
            return None
        if _key_text(number) == key:
            return number
    return None


def _key_text(number: int) -> str:
    return f"P{number:016x}"


def _flags(codes: CodeTable, code: str) -> int:
    info = codes.get(code)
    if info is None:
        return 0
    return _STEP_FLAG[info.step] | (_PRODUCT_FLAG if info.kind is CodeKind.PRODUCT else 0)


def is_cart_relevant(code: str, revenue_code: str, codes: CodeTable) -> bool:
    """RULES.md §3: a step code, a product code, or revenue code 0871-0874/0891/0892.

    A line whose HCPCS is in `non_car_t_products` (other cell and gene therapies, revision 2) is
    never CAR-T-relevant, whatever its revenue code.
    """
    return is_cart_relevant_kind(codes.kind(code), revenue_code)


def is_cart_relevant_kind(kind: CodeKind | None, revenue_code: str) -> bool:
    """Return is_cart_relevant for a line whose code's kind is already looked up."""
    if kind is CodeKind.OTHER_THERAPY:
        return False
    return revenue_code in CART_REVENUE_CODES or kind in _CART_KINDS


_CART_KINDS = (CodeKind.STEP, CodeKind.PRODUCT)


@dataclass(slots=True)  # not frozen only for its other_claims() cache
class EpisodeView:
    """The episode lines of one patient, seen from one claim.

    Voids join no episode; a replaced claim's lines have left it, and a replaced claim does not
    see its replacement (RULES.md §3 Claim frequency, revision 2).
    """

    index: EpisodeIndex
    patient: PatientKey | None
    claim: ClaimRef
    replaced_by: ClaimId | None = None  # this claim's CLM01 when a later replacement replaced it
    # other_claims(), made on first use: several rules read it for one claim
    _others: list[EpisodeLine] | None = field(default=None, init=False, repr=False, compare=False)

    def lines_on(self, day: date) -> list[EpisodeLine]:
        """Return every claim's CAR-T-relevant lines of this patient on `day`."""
        if self.patient is None:
            return []
        return self.index.patient_lines(self.patient).get(day, [])

    def other_claims_on(self, day: date) -> list[EpisodeLine]:
        """Return the lines of this patient's *other* claims on `day` (never this claim's replacement)."""
        replacer = self.replaced_by
        return [
            line
            for line in self.lines_on(day)
            if line.claim != self.claim and (replacer is None or line.claim_id != replacer)
        ]

    def other_claims(self) -> Iterator[EpisodeLine]:
        """Return every line of this patient's other claims, oldest date first."""
        if self._others is None:
            days = sorted(self.index.patient_lines(self.patient)) if self.patient is not None else []
            self._others = [line for day in days for line in self.other_claims_on(day)]
        return iter(self._others)

    def administration_elsewhere(self, day: date) -> bool:
        """Return whether another claim of the patient has a CAR-T administration on `day`."""
        return any(line.step is Step.ADMINISTRATION for line in self.other_claims_on(day))

    def step_elsewhere(self, step: Step, day: date, exclude_inpatient: bool = True) -> list[EpisodeLine]:
        """Return other claims' lines of `step` on `day` (11x claims left out by default)."""
        return [
            line
            for line in self.other_claims_on(day)
            if line.step is step and not (exclude_inpatient and line.bill_type.startswith("11"))
        ]
