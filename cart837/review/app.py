"""The review page (Starlette + Jinja2): open a file, see its work list, decide, download.

Handlers only read requests, call Session (which calls the library API) and render templates;
runs happen in worker threads so a long file never blocks the page, which shows its progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import structlog
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cart837.config import Config
from cart837.ids import FindingId, RuleId
from cart837.inputs import looks_like_x12
from cart837.report.json_report import report_document
from cart837.report.segments import Piece, compare
from cart837.review.security import xsrf_value
from cart837.review.session import REJECTED_PREFIX, ClaimRow, RunState, Session, amount, severity
from cart837.rules import all_rules
from cart837.rules.base import Finding
from cart837.rules.ids import is_finding_id
from cart837.rules.sources import references

log = structlog.get_logger()

PAGE_SIZE = 25
WAIT_FOR_RUN = 3.0  # seconds a decision waits for its re-run before the page shows progress instead
DIR_LISTING_LIMIT = 500
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(slots=True)
class ReviewState:
    """The server's state: settings, open sessions, their runs."""

    token: str
    private: Path  # uploads and outputs; removed on exit
    config: Config
    folder: Path | None = None  # `cart837 serve DIR`
    sessions: dict[str, Session] = field(default_factory=dict)
    runs: dict[str, Future[None]] = field(default_factory=dict)
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, "cart837-review"))

    def start(self, session: Session) -> Future[None]:
        """Run a session in a worker thread; return the run's future."""
        future = self.executor.submit(session.run)
        self.runs[session.id] = future
        return future


def create_app(state: ReviewState) -> Starlette:
    """Return the review app over `state` (the Guard middleware wraps it in `server.py`)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cart837.review", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.globals.update(xsrf=xsrf_value(state.token), compare=compare, severity=severity, amount=amount)
    pages = _Pages(state, env)
    static = resources.files("cart837.review").joinpath("static")
    routes = [
        Route("/", pages.home),
        Route("/upload", pages.upload, methods=["POST"]),
        Route("/open", pages.open_file, methods=["POST"]),
        Route("/f/{sid}", pages.file_page),
        Route("/f/{sid}/status", pages.status),
        Route("/f/{sid}/decide", pages.decide, methods=["POST"]),
        Route("/f/{sid}/download/{what}", pages.download),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={Exception: pages.crashed, 404: pages.not_found})


@dataclass(slots=True)
class _Pages:
    state: ReviewState
    env: jinja2.Environment

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(name).render(**context), status_code=status)

    async def home(self, request: Request) -> Response:
        return self.render(
            "home.html",
            files=self._folder_files(),
            sessions=list(self.state.sessions.values()),
            folder=str(self.state.folder) if self.state.folder else None,
            message=None,
        )

    def _folder_files(self) -> list[str]:
        folder = self.state.folder
        if folder is None:
            return []
        found = (p for p in sorted(folder.rglob("*")) if p.is_file() and looks_like_x12(p))
        return [str(p.relative_to(folder)) for _, p in zip(range(DIR_LISTING_LIMIT), found, strict=False)]

    async def upload(self, request: Request) -> Response:
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._home_message("choose a file to upload first", 400)
        session = self._new_session(upload.filename)
        with session.source.open("wb") as handle:
            while chunk := await upload.read(1 << 20):
                handle.write(chunk)
        await upload.close()
        return await self._opened(session)

    async def open_file(self, request: Request) -> Response:
        form = await request.form()
        relative = str(form.get("path", ""))
        folder = self.state.folder
        if folder is None:
            return self._home_message("this server was started without a folder", 400)
        source = (folder / relative).resolve()
        if folder.resolve() not in source.parents or not source.is_file():
            return self._home_message("no such file in the folder", 404)
        session = self._new_session(relative)
        await asyncio.to_thread(_copy, source, session.source)  # a snapshot: the decisions name its sha256
        return await self._opened(session)

    def _new_session(self, name: str) -> Session:
        clean = _SAFE_NAME.sub("_", Path(name).name).strip("._") or "claims.837"
        session = Session(name=clean, source=Path(), folder=Path(), config=self.state.config)
        session.folder = self.state.private / session.id
        (session.folder / "in").mkdir(parents=True)
        session.source = session.folder / "in" / clean
        return session

    async def _opened(self, session: Session) -> Response:
        self.state.sessions[session.id] = session
        log.info("review_file_opened", session=session.id, bytes=session.input_size)
        await _wait(self.state.start(session), WAIT_FOR_RUN)
        return RedirectResponse(f"/f/{session.id}", status_code=303)

    def _home_message(self, message: str, status: int) -> HTMLResponse:
        return self.render(
            "home.html",
            status,
            files=self._folder_files(),
            sessions=list(self.state.sessions.values()),
            folder=str(self.state.folder) if self.state.folder else None,
            message=message,
        )

    def _session(self, request: Request) -> Session | None:
        return self.state.sessions.get(request.path_params["sid"])

    async def status(self, request: Request) -> Response:
        session = self._session(request)
        if session is None:
            return JSONResponse({"state": "unknown"}, 404)
        phase, percent = session.progress() if session.state is RunState.RUNNING else ("", 100)
        return JSONResponse(
            {
                "state": session.state.value,
                "phase": phase,
                "percent": percent,
                "runs": session.runs,
                "error": session.error,
            }
        )

    async def file_page(self, request: Request) -> Response:
        session = self._session(request)
        if session is None:
            return await self.not_found(request, None)
        if session.state is RunState.RUNNING:
            phase, percent = session.progress()
            return self.render("progress.html", session=session, phase=phase, percent=percent)
        if session.state is RunState.FAILED:
            return self.render("failed.html", 422, session=session)
        work = session.worklist()
        pages = max(1, math.ceil(len(work) / PAGE_SIZE))
        page = min(max(1, _int(request.query_params.get("page"), 1)), pages)
        shown = work[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        reveal = _int(request.query_params.get("reveal"), -1)
        claims = [_ClaimView(row, session.findings_of(row), self._patient(session, row, reveal)) for row in shown]
        return self.render(
            "file.html",
            session=session,
            claims=claims,
            page=page,
            pages=pages,
            rules=self._rules(session),
            totals=session.totals,
            result=session.result,
            delimiters=(session.result.delimiters if session.result is not None else None) or {},
            rejected_prefix=REJECTED_PREFIX,
        )

    @staticmethod
    def _patient(session: Session, row: ClaimRow, reveal: int) -> dict[str, str] | None:
        if row.number != reveal or session.result is None:
            return None
        return session.result.patients.get(row.claim)

    @staticmethod
    def _rules(session: Session) -> list[dict[str, Any]]:
        titles = {rule.id: rule.title for rule in all_rules()}
        return [
            {
                "id": rule,
                "title": titles.get(rule, ""),
                "fixes": len(ids),
                "rejected": sum(1 for i in ids if i in session.rejected),
            }
            for rule, ids in sorted(session.rule_fixes.items())
        ]

    async def decide(self, request: Request) -> Response:
        session = self._session(request)
        if session is None:
            return await self.not_found(request, None)
        form = await request.form()
        verdict, scope, target = (str(form.get(k, "")) for k in ("verdict", "scope", "target"))
        page = _int(str(form.get("page", "1")), 1)
        running = self.state.runs.get(session.id)
        if running is not None and not running.done():
            await asyncio.wrap_future(running)  # decisions apply to a finished run's findings
        ids = _targets(session, scope, target)
        if verdict not in ("reject", "accept") or ids is None:
            return self.render("failed.html", 400, session=session, message="unknown decision")
        session.decide(ids, verdict == "reject")
        log.info("review_decision", session=session.id, verdict=verdict, scope=scope, count=len(ids))
        await _wait(self.state.start(session), WAIT_FOR_RUN)
        anchor = {"claim": f"#claim-{target}", "finding": f"#finding-{target}", "rule": "#rules"}[scope]
        return RedirectResponse(f"/f/{session.id}?page={page}{anchor}", status_code=303)

    async def download(self, request: Request) -> Response:
        session = self._session(request)
        if session is None or session.state is not RunState.READY or session.result is None:
            return await self.not_found(request, None)
        what = request.path_params["what"]
        stem = Path(session.name).stem
        if what == "fixed":
            data = await asyncio.to_thread(session.output.read_bytes)
            return _attachment(data, session.name, "application/edi-x12")
        if what == "decisions":
            return _attachment(session.decisions_text().encode(), f"{stem}.decisions.json", "application/json")
        if what in ("report.json", "report.md", "report.html"):
            text = await asyncio.to_thread(_report_text, session, what)
            kinds = {"report.json": "application/json", "report.md": "text/markdown", "report.html": "text/html"}
            return _attachment(text.encode(), f"{stem}.{what}", kinds[what])
        return await self.not_found(request, None)

    async def not_found(self, request: Request, error: Exception | None) -> Response:
        return self.render("failed.html", 404, session=None, message="nothing here (the server may have restarted)")

    async def crashed(self, request: Request, error: Exception) -> Response:
        log.error("review_internal_error", error=type(error).__name__, path=request.url.path)  # never values: PHI
        return self.render("failed.html", 500, session=None, message="internal error: the page could not be shown")


@dataclass(frozen=True, slots=True)
class _ClaimView:
    row: ClaimRow
    findings: list[Finding]
    patient: dict[str, str] | None

    def sources(self, finding: Finding) -> list[tuple[str, str]]:
        return references(finding.citation)

    def pieces(self, finding: Finding, delimiters: dict[str, str | None]) -> tuple[list[Piece], list[Piece]]:
        if finding.before is None:
            return [], []
        return compare(finding.before, finding.after, delimiters)


def _targets(session: Session, scope: str, target: str) -> list[FindingId] | None:
    """Return the fix ids a decision acts on: one finding, a claim's fixes, a rule's fixes."""
    if scope == "finding":
        return [FindingId(target)] if is_finding_id(target) else None
    if scope == "claim":
        number = _int(target, -1)
        row = next((r for r in session.claims if r.number == number), None)
        return list(row.fix_ids) if row is not None else None
    if scope == "rule":
        return list(session.rule_fixes[RuleId(target)]) if target in session.rule_fixes else None
    return None


def _report_text(session: Session, what: str) -> str:
    document = report_document([session.report_result()])
    if what == "report.json":
        return json.dumps(document, indent=1) + "\n"
    from cart837.report import html, markdown
    from cart837.report.model import Report

    report = Report.from_dict(document)
    return markdown.render(report) if what == "report.md" else html.render(report)


def _attachment(data: bytes, name: str, media_type: str) -> Response:
    return Response(data, media_type=media_type, headers={"content-disposition": f'attachment; filename="{name}"'})


def _copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)


def _int(text: str | None, default: int) -> int:
    return int(text) if text is not None and text.lstrip("-").isdigit() and len(text) < 10 else default


async def _wait(future: Future[None], seconds: float) -> None:
    """Wait for a run a little: a small file's page then opens ready, a big one on its progress."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), seconds)
