"""The REST API (``/api``): metrics, reviews, actions, decisions, the kernel, assets and ingest.

Every endpoint is a few lines over a core function the CLI calls too. Reading needs the viewer
role; writing the editor role. Errors have one shape: ``{"error": {"status", "code", "message",
"hint"}}``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from demandos.cadence.log import ActionItem, DecisionItem
from demandos.web.app import explanation, metric_table, site
from demandos.web.security import Editor, Viewer, WebError

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "model": None}
    for status, text in (
        (400, "the request names something that does not exist or is not allowed"),
        (401, "not signed in, or an unknown API token"),
        (403, "the role does not allow it, or the CSRF token is missing"),
        (422, "the request body or parameters are not valid"),
    )
}
router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)

PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=20, description="a period: 2026-10, 2026-Q3, 2026-W44, 2026; default last month"
    ),
]


RowId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="the row's number")]


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    hint: str | None = None


class ActionIn(BaseModel):
    title: str = Field(min_length=1, max_length=300, description="what will be done")
    owner: str = Field(min_length=1, max_length=100, description="one person id of team.yaml")
    due: date | None = Field(None, description="due date")
    metric: str | None = Field(None, max_length=100, description="the metric it moves")
    ritual: str | None = Field(None, max_length=100, description="the ritual it came from")
    period: str | None = Field(None, max_length=20, description="that ritual's period")


class DecisionIn(BaseModel):
    title: str = Field(min_length=1, max_length=300, description="what was decided")
    owner: str = Field(min_length=1, max_length=100, description="who decided (team.yaml id)")
    metric: str | None = Field(None, max_length=100, description="the metric it is about")
    rationale: str | None = Field(None, max_length=4000, description="why")
    ritual: str | None = Field(None, max_length=100, description="the ritual it was made at")
    period: str | None = Field(None, max_length=20, description="that ritual's period")


class ProposalDecisionIn(BaseModel):
    note: str | None = Field(None, max_length=2000, description="why")
    period: str | None = Field(None, max_length=20, description="the quarter of the proposals")


def _action(item: ActionItem) -> dict[str, Any]:
    return item.as_dict()


def _decision(item: DecisionItem) -> dict[str, Any]:
    return item.as_dict()


def _by_person(caller_person: str | None, owner: str | None) -> str | None:
    return owner or caller_person


# -- metrics --------------------------------------------------------------------------------


@router.get("/metrics", summary="The metric tree for a period")
def metrics(
    request: Request,
    caller: Viewer,
    period: PeriodQuery = None,
    by: Annotated[str | None, Query(max_length=40, description="a dimension")] = None,
) -> dict[str, Any]:
    s = site(request)
    with s.data() as ws:
        return metric_table(s, ws, period, by).as_dict()  # type: ignore[no-any-return]


@router.get("/metrics/{metric}", summary="One metric: value, target, status, and why it moved")
def metric(request: Request, metric: str, caller: Viewer, period: PeriodQuery = None) -> Any:
    s = site(request)
    with s.data() as ws:
        if metric not in ws.specs.metric_ids:
            raise WebError(404, "not_found", f"no metric {metric!r}", "GET /api/metrics lists them")
        table = metric_table(s, ws, period)
        row = table.get(metric)
        why = explanation(s, ws, metric, table.period)
        return {"period": table.period, "metric": _row(row), "explanation": why.as_dict()}


def _row(row: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {k: v for k, v in asdict(row).items() if not isinstance(v, (list, dict))}


# -- actions and decisions ------------------------------------------------------------------


@router.get("/actions", summary="Actions, soonest due first")
def actions(
    request: Request,
    caller: Viewer,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    status: Literal["open", "done"] | None = None,
    overdue: bool = False,
) -> list[dict[str, Any]]:
    with site(request).data() as ws:
        items = ws.cadence_log.list_actions(owner=owner, status=status, overdue=overdue)
        return [_action(a) for a in items]


@router.post("/actions", status_code=201, summary="Record an action with one owner")
def add_action(request: Request, body: ActionIn, caller: Editor) -> dict[str, Any]:
    with site(request).data() as ws:
        found = ws.cadence_log.add_action(
            body.title, owner=body.owner, due=body.due, metric=body.metric,
            ritual=body.ritual, period=body.period,
        )  # fmt: skip
        return {**_action(found.item), "warnings": list(found.warnings)}


@router.post("/actions/{action_id}/complete", summary="Mark an action done")
def complete(request: Request, action_id: RowId, caller: Editor) -> dict[str, Any]:
    with site(request).data() as ws:
        found = ws.cadence_log.complete(action_id)
        return {**_action(found.item), "warnings": list(found.warnings)}


@router.post("/actions/{action_id}/reopen", summary="Open a done action again")
def reopen(
    request: Request, action_id: RowId, caller: Editor, due: date | None = None
) -> dict[str, Any]:
    with site(request).data() as ws:
        found = ws.cadence_log.reopen(action_id, due=due)
        return {**_action(found.item), "warnings": list(found.warnings)}


@router.get("/decisions", summary="Decisions, newest first")
def decisions(request: Request, caller: Viewer) -> list[dict[str, Any]]:
    with site(request).data() as ws:
        return [_decision(d) for d in ws.cadence_log.list_decisions()]


@router.post("/decisions", status_code=201, summary="Record a decision")
def add_decision(request: Request, body: DecisionIn, caller: Editor) -> dict[str, Any]:
    with site(request).data() as ws:
        found = ws.cadence_log.add_decision(
            body.title, owner=body.owner, metric=body.metric, rationale=body.rationale,
            ritual=body.ritual, period=body.period,
        )  # fmt: skip
        return {**_decision(found.item), "warnings": list(found.warnings)}


# -- reviews --------------------------------------------------------------------------------


@router.get("/reviews", summary="The rituals of cadence.yaml and the reviews recorded")
def reviews(request: Request, caller: Viewer) -> dict[str, Any]:
    with site(request).data() as ws:
        rituals = [
            {"id": r.id, "name": r.name, "kind": r.kind, "owner": r.owner}
            for r in ws.specs.cadence.rituals
        ]
        recorded = [r.as_dict() for r in ws.cadence_log.reviews()]
        return {"rituals": rituals, "recorded": recorded}


@router.get(
    "/reviews/{ritual}",
    summary="A ritual's pack for a period, as self-contained HTML or Markdown",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "text/markdown": {}}}},
)
def review(
    request: Request,
    ritual: str,
    caller: Viewer,
    period: PeriodQuery = None,
    format: Literal["html", "md"] = "html",
) -> Response:
    from demandos.reports import render

    s = site(request)
    with s.data() as ws:
        pack = ws.review(ritual, period, now=s.now())
    media = "text/html" if format == "html" else "text/markdown"
    return Response(render(pack, format), media_type=f"{media}; charset=utf-8")


class ReviewIn(BaseModel):
    period: str | None = Field(None, max_length=20, description="the instance's period")
    attendees: list[str] | None = Field(None, max_length=50, description="team.yaml ids")
    notes: str | None = Field(None, max_length=20000, description="what was said")


@router.post("/reviews/{ritual}", status_code=201, summary="Record that a review was held")
def record_review(request: Request, ritual: str, body: ReviewIn, caller: Editor) -> dict[str, Any]:
    with site(request).data() as ws:
        found = ws.cadence_log.record_review(
            ritual, body.period, attendees=body.attendees, notes=body.notes
        )
        return {**found.item.as_dict(), "warnings": list(found.warnings)}


# -- kernel ---------------------------------------------------------------------------------


@router.get("/kernel", summary="The kernel's version and its history")
def kernel(request: Request, caller: Viewer) -> dict[str, Any]:
    with site(request).data() as ws:
        versions = ws.kernel_versions.versions()
        return {
            "version": ws.specs.kernel.version,
            "versions": [v.as_dict() for v in versions],
        }


@router.get("/kernel/proposals", summary="Refinement proposals of a quarter, with their fate")
def proposals(request: Request, caller: Viewer, period: PeriodQuery = None) -> dict[str, Any]:
    from demandos.kernel.versions import evidence_line
    from demandos.web.pages import proposal_quarter

    s = site(request)
    with s.data() as ws:
        quarter = proposal_quarter(ws, period, s.today())
        found = ws.kernel_proposals(quarter)
        decided = ws.kernel_versions.decisions()
        return {
            "period": quarter,
            "proposals": [
                {
                    "id": p.id, "kind": p.kind, "target": p.target, "change": p.change,
                    "confidence": p.confidence,
                    "evidence": [evidence_line(c) for c in p.evidence],
                    "counter": [evidence_line(c) for c in p.counter],
                    "decision": decided[p.id].as_dict() if p.id in decided else None,
                }
                for p in found
            ],
        }  # fmt: skip


@router.post("/kernel/proposals/{proposal_id}/{verb}", summary="Accept or reject a proposal")
def decide(
    request: Request,
    proposal_id: str,
    verb: Literal["accept", "reject"],
    body: ProposalDecisionIn,
    caller: Editor,
) -> dict[str, Any]:
    from demandos.web.pages import decide_proposal

    s = site(request)
    with s.data() as ws:
        result = decide_proposal(ws, s.today(), verb, proposal_id, body.period, caller, body.note)
        s.changed()
        return {
            "decision": result.item.as_dict(),
            "published": result.published.as_dict() if result.published else None,
            "todo": result.todo,
            "warnings": list(result.warnings),
        }


# -- assets and data ------------------------------------------------------------------------


@router.get("/assets", summary="The asset library")
def assets(request: Request, caller: Viewer) -> list[dict[str, Any]]:
    from demandos.assets import load_library

    with site(request).data() as ws:
        library = load_library(ws.facts)
        return [_asset(a) for a in sorted(library.assets.values(), key=lambda a: a.asset_id)]


class AssetIn(BaseModel):
    title: str | None = Field(None, max_length=300)
    type: str | None = Field(None, max_length=100, description="case_study, blog_post, …")
    status: str | None = Field(None, max_length=20, description="a lifecycle status")
    pillar: str | None = Field(None, max_length=100, description="a pillar of kernel.yaml")
    segments: list[str] | None = Field(None, max_length=50, description="kernel.yaml segments")
    persona: str | None = Field(None, max_length=100, description="a persona of kernel.yaml")
    published_at: str | None = Field(None, max_length=40, description="when it went live")
    parent_asset_id: str | None = Field(None, max_length=100, description="derived from")
    owner: str | None = Field(None, max_length=100, description="a person of team.yaml")


class NewAssetIn(AssetIn):
    asset_id: str = Field(min_length=1, max_length=100, description="the new asset's id")
    title: str = Field(min_length=1, max_length=300)
    type: str = Field(min_length=1, max_length=100)


@router.post("/assets", status_code=201, summary="Add an asset to the library")
def add_asset(request: Request, body: NewAssetIn, caller: Editor) -> dict[str, Any]:
    from demandos.assets.editing import save_asset

    s = site(request)
    with s.data() as ws:
        saved = save_asset(ws.facts, ws.specs, body.model_dump(exclude_none=True), now=s.now())
        s.changed()
        return _asset(saved)


@router.patch("/assets/{asset_id}", summary="Change an asset: status, dates, mapping, owner")
def change_asset(request: Request, asset_id: str, body: AssetIn, caller: Editor) -> dict[str, Any]:
    from demandos.assets.editing import save_asset

    s = site(request)
    with s.data() as ws:
        changes = body.model_dump(exclude_unset=True)
        saved = save_asset(ws.facts, ws.specs, changes, asset_id=asset_id, now=s.now())
        s.changed()
        return _asset(saved)


def _asset(asset: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(asset)
    data["segments"] = list(data["segments"])
    return data


@router.get("/loads", summary="The files loaded, newest first")
def loads(request: Request, caller: Viewer) -> list[dict[str, Any]]:
    with site(request).data() as ws:
        rows = reversed(ws.log.loads())
        return [
            {
                "batch": r.batch, "source": r.source, "file": r.file,
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "counts": r.counts,
            }
            for r in rows
        ]  # fmt: skip


SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,150}")
EXTENSIONS = (".csv", ".xlsx", ".json", ".parquet", ".tsv", ".txt")


def safe_upload_name(name: str | None) -> str:
    """The file name of an upload, refused when it has a folder in it or is not an export."""
    raw = (name or "").strip()
    if not raw or "/" in raw or "\\" in raw or ".." in raw or not SAFE_NAME.fullmatch(raw):
        raise WebError(
            400, "bad_file_name", f"the file name {raw!r} cannot be used",
            "upload the export file itself: a plain name such as contacts.csv",
        )  # fmt: skip
    if not raw.lower().endswith(EXTENSIONS):
        raise WebError(
            400, "bad_file_type", f"{raw} is not an export file demandos reads",
            f"upload one of: {', '.join(EXTENSIONS)}",
        )  # fmt: skip
    return raw


def save_upload(upload_dir: Path, name: str, data: bytes, limit: int) -> Path:
    if len(data) > limit:
        raise WebError(
            413, "too_large", f"the file has {len(data):,} bytes; the limit is {limit:,}",
            "split the export, or load it with `demandos ingest` on the server",
        )  # fmt: skip
    if not data.strip():
        raise WebError(400, "empty_file", f"{name} is empty", "export the file again")
    upload_dir.mkdir(parents=True, exist_ok=True)
    target = (upload_dir / name).resolve()
    if target.parent != upload_dir.resolve():
        raise WebError(400, "bad_file_name", f"the file name {name!r} cannot be used", None)
    target.write_bytes(data)
    return target


@router.post("/ingest", status_code=201, summary="Upload an export file and ingest it")
async def ingest(
    request: Request,
    caller: Editor,
    file: Annotated[UploadFile, File(description="a platform export: CSV, XLSX, JSON, Parquet")],
    source: Annotated[str | None, Query(max_length=60, description="the connector")] = None,
) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    s = site(request)
    name = safe_upload_name(file.filename)
    data = await file.read(s.upload_limit + 1)
    path = save_upload(s.uploads, name, data, s.upload_limit)

    def run() -> list[dict[str, Any]]:
        with s.data() as ws:
            reports = ws.ingest([path], source=source or None)
        return [
            {
                "file": r.file, "source": r.source, "rows": r.rows,
                "quarantined": r.quarantined,
                "tables": {t: vars(c) for t, c in r.tables.items()},
            }
            for r in reports
        ]  # fmt: skip

    reports = await run_in_threadpool(run)
    s.changed()
    return JSONResponse({"reports": reports}, status_code=201)
