"""Review decisions (DESIGN.md, Review and decisions): which fixes a run must not apply.

`--skip ID,...` and `--only ID,...` name finding ids; a decisions file names them per input
file, by the file's sha256, so a file that changed since its review gets none of them. Every
id must match a finding of the run: a decision that silently matched nothing would let a
pipeline send a fix the biller rejected.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cart837.errors import DecisionsError, Location
from cart837.ids import FindingId
from cart837.rules.ids import FILE_TAG_LENGTH, is_finding_id

if TYPE_CHECKING:
    import jsonschema

DECISIONS_SCHEMA = 1
SCHEMA_FILE = "decisions.schema.json"


@dataclass(slots=True)
class FileReview:
    """One file's decisions while it runs: called per finding, it says whether a fix is rejected."""

    skip: frozenset[FindingId] = frozenset()
    only: frozenset[FindingId] | None = None  # None: every fix not skipped is applied
    wanted: frozenset[FindingId] = frozenset()  # the ids that must match a finding of this file
    matched: set[FindingId] = field(default_factory=set)
    skipped: list[FindingId] = field(default_factory=list)  # the rejected fixes' ids, in file order

    def __call__(self, finding_id: FindingId, would_fix: bool) -> bool:
        """Record that `finding_id` exists; return whether its fix is rejected."""
        if finding_id in self.wanted:
            self.matched.add(finding_id)
        if not would_fix:
            return False
        rejected = finding_id in self.skip or (self.only is not None and finding_id not in self.only)
        if rejected:
            self.skipped.append(finding_id)
        return rejected

    def unmatched(self) -> list[FindingId]:
        """Return the ids given for this file that no finding of it has."""
        return sorted(self.wanted - self.matched)


@dataclass(frozen=True, slots=True)
class Decisions:
    """What a run must not apply: `--skip`, `--only` and a decisions file (it pickles for workers)."""

    skip: frozenset[FindingId] = frozenset()
    only: frozenset[FindingId] | None = None
    rejected: Mapping[str, frozenset[FindingId]] = field(default_factory=dict)  # file sha256 -> ids
    source: str = "--decisions"
    strict: bool = True  # an id no finding has fails its file; the review page drops such ids instead

    @property
    def empty(self) -> bool:
        """Return whether nothing is decided (every fix applies)."""
        return not self.skip and self.only is None and not self.rejected

    def for_file(self, sha256: str) -> FileReview:
        """Return the review of the file whose input has this sha256."""
        tag = sha256[:FILE_TAG_LENGTH]
        skip = frozenset(i for i in self.skip if i.startswith(tag)) | self.rejected.get(sha256, frozenset())
        only = frozenset(i for i in self.only if i.startswith(tag)) if self.only is not None else None
        return FileReview(skip, only, skip | (only or frozenset()))

    def check_files(self, sha256s: Iterable[str]) -> None:
        """Refuse ids (and decisions-file entries) that can name no file of the run, before anything runs."""
        present = set(sha256s)
        tags = {sha[:FILE_TAG_LENGTH] for sha in present}
        for finding_id in sorted(self.skip | (self.only or frozenset())):
            if finding_id[:FILE_TAG_LENGTH] not in tags:
                raise DecisionsError(f"unknown finding id {finding_id}: no file of this run has it")
        for sha, ids in sorted(self.rejected.items()):
            if sha not in present and ids:
                raise DecisionsError(
                    f"unknown finding id {min(ids)}: its file (sha256 {sha[:12]}…) is not in this run "
                    "(changed since the review?)",
                    Location(self.source),
                )


def parse_ids(text: str, option: str) -> frozenset[FindingId]:
    """Return the ids of a comma-separated `--skip`/`--only` value; refuse one that is not an id."""
    given = [part.strip() for part in text.split(",") if part.strip()]
    if not given:  # `--only ""` from a script would otherwise apply no fix, `--skip ""` none of the asked
        raise DecisionsError(f"{option}: names no finding id: give ids separated by commas")
    for finding_id in given:
        if not is_finding_id(finding_id.lower()):
            raise DecisionsError(f"{option}: {finding_id!r} is not a finding id (16 hex digits)")
    return frozenset(FindingId(finding_id.lower()) for finding_id in given)


@cache
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema  # ~0.08 s to import: only a run that reads a decisions file pays it

    schema = json.loads(resources.files("cart837").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def load_decisions(path: Path) -> dict[str, frozenset[FindingId]]:
    """Read a decisions file: file sha256 -> rejected ids. Any problem is one DecisionsError."""
    source = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DecisionsError(f"cannot read: {error.strerror or error}", Location(source)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DecisionsError(f"not a JSON decisions file: {error}", Location(source)) from None
    return parse_decisions(document, source)


def parse_decisions(document: Any, source: str = "-") -> dict[str, frozenset[FindingId]]:
    """Validate a decisions document and return file sha256 -> rejected ids."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        message = " ".join(error.message.split())[:200]
        raise DecisionsError(f"not a cart837 schema-1 decisions file: {where}: {message}", Location(source))
    return {sha: frozenset(map(FindingId, entry["reject"])) for sha, entry in document["file_sha256"].items()}


def decisions_document(rejected: Mapping[str, Iterable[FindingId]]) -> dict[str, Any]:
    """Return the decisions file for file sha256 -> rejected ids (sorted: the same choices, the same bytes)."""
    files = {sha: {"reject": sorted(set(ids))} for sha, ids in sorted(rejected.items()) if ids}
    return {"schema": DECISIONS_SCHEMA, "file_sha256": files}


def dump_decisions(rejected: Mapping[str, Iterable[FindingId]]) -> str:
    """Return the decisions file's text."""
    return json.dumps(decisions_document(rejected), indent=2) + "\n"
