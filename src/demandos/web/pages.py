"""The pages of the web app: server-rendered HTML over the same core functions as the API.

Sign-in; home (DER and the metric tree); a metric's drill-down (trend, why it moved, breakdown);
reviews (each ritual's pack for any period, recording the review); the actions board; the kernel
(versions, proposals to accept or reject); assets; data (loads, quarantine, upload).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from demandos.errors import DemandosError
from demandos.kernel.versions import Decided, last_quarter
from demandos.metrics.periods import parse_period
from demandos.spec.fields import format_duration
from demandos.web.api import RowId
from demandos.web.app import explanation, metric_table, site
from demandos.web.security import COOKIE, Caller, Editor, Viewer, WebError, current
from demandos.workspace import Workspace

router = APIRouter(include_in_schema=False)
Period = Annotated[str | None, Query(max_length=20)]


def _page(request: Request, template: str, caller: Caller | None, **context: Any) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request, template, {"caller": caller, "nav": template.split(".")[0], **context}
    )


def _back(path: str, message: str | None = None, tone: str = "good") -> RedirectResponse:
    sep = "&" if "?" in path else "?"
    target = f"{path}{sep}flash={quote(message)}&tone={tone}" if message else path
    return RedirectResponse(target, status_code=303)


def _safe_next(path: str | None) -> str:
    """Only a path of this site: never another host."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _people(ws: Workspace) -> dict[str, str]:
    return {p.id: p.name for p in ws.specs.team.people}


# -- sign-in --------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query(max_length=300)] = None):  # type: ignore[no-untyped-def]
    return _page(request, "login.html", None, next=_safe_next(next), failed=False)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    login: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=300)] = "/",
) -> Response:
    s = site(request)
    address = request.client.host if request.client else "unknown"
    who = login.strip().lower()
    wait = s.per_login.retry_after(who) or s.per_address.retry_after(address)
    if wait is not None:
        raise WebError(
            429, "rate_limited", "too many failed sign-ins",
            f"try again in {wait} seconds", headers={"retry-after": str(wait)},
        )  # fmt: skip
    account = s.users.authenticate(login, password)
    if account is None:
        s.per_login.failed(who)
        s.per_address.failed(address)
        response = _page(request, "login.html", None, next=_safe_next(next), failed=True)
        response.status_code = 401
        return response
    token, _ = s.users.start_session(account)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=14 * 24 * 3600,
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, caller: Viewer) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        site(request).users.end_session(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- home and metrics -----------------------------------------------------------------------


def _tree(table: Any) -> list[tuple[int, Any]]:
    """The metric tree's rows in tree order with their depth."""
    totals = table.totals()
    ids = {r.metric for r in totals}
    children: dict[str | None, list[Any]] = {}
    for row in totals:
        children.setdefault(row.parent if row.parent in ids else None, []).append(row)
    out: list[tuple[int, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for row in children.get(parent, []):
            out.append((depth, row))
            walk(row.metric, depth + 1)

    walk(None, 0)
    return out


@router.get("/", response_class=HTMLResponse)
def home(request: Request, period: Period = None) -> Response:
    caller = current(request)
    if caller is None:
        return RedirectResponse("/login", status_code=303)
    s = site(request)
    with s.data() as ws:
        table = metric_table(s, ws, period)
        people = _people(ws)
        currency = ws.specs.workspace.currency
    rows = _tree(table)
    top = rows[0][1] if rows else None
    return _page(
        request, "home.html", caller, table=table, rows=rows, top=top, people=people,
        currency=currency,
    )  # fmt: skip


@router.get("/metrics/{metric}", response_class=HTMLResponse)
def metric_page(
    request: Request,
    metric: str,
    caller: Viewer,
    period: Period = None,
    by: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    from demandos.metrics import DIMENSIONS, compute_many
    from demandos.reports.charts import to_svg, trend_spec

    s = site(request)
    with s.data() as ws:
        if metric not in ws.specs.metric_ids:
            raise WebError(404, "not_found", f"no metric {metric!r}", "the home page lists them")
        table = metric_table(s, ws, period)
        row = table.get(metric)
        current_period = parse_period(table.period)
        labels = [current_period.shift(-k).label for k in range(11, -1, -1)]
        version = ws.specs.kernel.version
        series = s.cached(
            ("series", table.period, s.today(), version),
            lambda: compute_many(ws.facts, ws.specs, labels, today=s.today()),
        )
        why = explanation(s, ws, metric, table.period)
        breakdown = metric_table(s, ws, table.period, by).members(metric) if by else []
        people = _people(ws)
        currency = ws.specs.workspace.currency
        metric_ids = ws.specs.metric_ids
    points = [(t.period, t.get(metric).value) for t in series]

    def draw() -> str:  # the chart costs more than the rest of the page: drawn once
        spec = trend_spec(
            f"{row.name}, last {len(points)} periods",
            points,
            unit_label=f"{metric} ({row.unit})",
            target=row.target,
            amber=row.amber,
            red=row.red,
            percent=row.unit == "percent",
        )
        return to_svg(spec)

    chart = s.cached(("chart", metric, table.period, s.today(), version), draw)
    return _page(
        request, "metric.html", caller, row=row, chart=chart, why=why.as_dict(), by=by,
        dimensions=sorted(DIMENSIONS), breakdown=breakdown, people=people, currency=currency,
        period=table.period, metric_ids=metric_ids,
    )  # fmt: skip


# -- actions --------------------------------------------------------------------------------


@router.get("/actions", response_class=HTMLResponse)
def actions_board(
    request: Request,
    caller: Viewer,
    owner: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    s = site(request)
    with s.data() as ws:
        items = ws.cadence_log.list_actions(owner=owner or None)
        people = _people(ws)
        metric_ids = ws.specs.metric_ids
    today = s.today()
    columns = {
        "overdue": [a for a in items if a.status == "open" and a.due and a.due < today],
        "open": [a for a in items if a.status == "open" and not (a.due and a.due < today)],
        "done": sorted(
            (a for a in items if a.status == "done"),
            key=lambda a: a.done_at or a.created_at,
            reverse=True,
        )[:30],
    }
    return _page(
        request, "actions.html", caller, columns=columns, people=people, owner=owner,
        metric_ids=metric_ids, today=today,
    )  # fmt: skip


@router.post("/actions")
def create_action(
    request: Request,
    caller: Editor,
    title: Annotated[str, Form(max_length=300)],
    owner: Annotated[str, Form(max_length=100)],
    due: Annotated[str, Form(max_length=20)] = "",
    metric: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    with site(request).data() as ws:
        found = ws.cadence_log.add_action(
            title, owner=owner, due=due or None, metric=metric or None
        )
    note = "; ".join(found.warnings)
    return _back("/actions", f"Action #{found.item.id} recorded. {note}".strip())


@router.post("/actions/{action_id}/assign")
def assign_action(
    request: Request, action_id: RowId, caller: Editor, owner: Annotated[str, Form(max_length=100)]
) -> Response:
    with site(request).data() as ws:
        found = ws.cadence_log.assign(action_id, owner)
    return _back("/actions", f"Action #{action_id} is {found.item.owner}'s.")


@router.post("/actions/{action_id}/{verb}")
def change_action(request: Request, action_id: RowId, verb: str, caller: Editor) -> Response:
    with site(request).data() as ws:
        if verb == "complete":
            found = ws.cadence_log.complete(action_id)
        elif verb == "reopen":
            found = ws.cadence_log.reopen(action_id)
        else:
            raise WebError(404, "not_found", f"no action change {verb!r}", "complete or reopen")
    return _back("/actions", f"Action #{action_id} {found.item.status}.")


# -- reviews --------------------------------------------------------------------------------


@router.get("/reviews", response_class=HTMLResponse)
def reviews(request: Request, caller: Viewer) -> Response:
    with site(request).data() as ws:
        rituals = list(ws.specs.cadence.rituals)
        recorded = ws.cadence_log.reviews()
        people = _people(ws)
    return _page(
        request, "reviews.html", caller, rituals=rituals, recorded=recorded[-20:][::-1],
        people=people,
    )  # fmt: skip


@router.get("/reviews/{ritual}", response_class=HTMLResponse)
def review_page(request: Request, ritual: str, caller: Viewer, period: Period = None) -> Response:
    from demandos.reports.packs import find_ritual

    s = site(request)
    with s.data() as ws:
        spec = find_ritual(ws, ritual)
        pack = ws.review(spec.id, period, now=s.now())
        instance = pack.instance.split(" ", 1)[1] if pack.instance else pack.period
        people = _people(ws)
        decisions = ws.cadence_log.list_decisions(ritual=spec.id, period=instance)
        actions = ws.cadence_log.list_actions(ritual=spec.id, period=instance)
        recorded = [r for r in ws.cadence_log.reviews(ritual=spec.id) if r.period == instance]
        metric_ids = ws.specs.metric_ids
    return _page(
        request, "review.html", caller, ritual=spec, pack=pack, people=people,
        decisions=decisions, actions=actions, instance=instance, period=period or pack.period,
        recorded=recorded[0] if recorded else None, metric_ids=metric_ids,
    )  # fmt: skip


@router.get("/reviews/{ritual}/pack", response_class=HTMLResponse)
def review_pack(request: Request, ritual: str, caller: Viewer, period: Period = None) -> Response:
    from demandos.reports import render

    s = site(request)
    with s.data() as ws:
        pack = ws.review(ritual, period, now=s.now())
    return HTMLResponse(render(pack, "html"))


@router.post("/reviews/{ritual}/record")
def record_review(
    request: Request,
    ritual: str,
    caller: Editor,
    period: Annotated[str, Form(max_length=20)],
    attendees: Annotated[list[str] | None, Form()] = None,
    notes: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    with site(request).data() as ws:
        ws.cadence_log.record_review(ritual, period, attendees=attendees, notes=notes or None)
    return _back(f"/reviews/{ritual}?period={period}", "Review recorded.")


@router.post("/reviews/{ritual}/decisions")
def add_decision(
    request: Request,
    ritual: str,
    caller: Editor,
    period: Annotated[str, Form(max_length=20)],
    title: Annotated[str, Form(max_length=300)],
    owner: Annotated[str, Form(max_length=100)],
    metric: Annotated[str, Form(max_length=100)] = "",
    rationale: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    with site(request).data() as ws:
        found = ws.cadence_log.add_decision(
            title, owner=owner, metric=metric or None, ritual=ritual, period=period,
            rationale=rationale or None,
        )  # fmt: skip
    return _back(f"/reviews/{ritual}?period={period}", f"Decision #{found.item.id} recorded.")


@router.post("/reviews/{ritual}/actions")
def add_review_action(
    request: Request,
    ritual: str,
    caller: Editor,
    period: Annotated[str, Form(max_length=20)],
    title: Annotated[str, Form(max_length=300)],
    owner: Annotated[str, Form(max_length=100)],
    due: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    with site(request).data() as ws:
        found = ws.cadence_log.add_action(
            title, owner=owner, due=due or None, ritual=ritual, period=period
        )
    return _back(f"/reviews/{ritual}?period={period}", f"Action #{found.item.id} recorded.")


# -- kernel ---------------------------------------------------------------------------------


def proposal_quarter(ws: Workspace, period: str | None, today: date) -> str:
    fy = ws.specs.workspace.fiscal_year_start_month
    return period or last_quarter(today, fiscal_year_start_month=fy)


def decide_proposal(
    ws: Workspace,
    today: date,
    verb: str,
    proposal_id: str,
    period: str | None,
    caller: Caller,
    note: str | None,
) -> Decided:
    if verb not in ("accept", "reject"):
        raise WebError(404, "not_found", f"no proposal decision {verb!r}", "accept or reject")
    quarter = proposal_quarter(ws, period, today)
    return ws.decide_kernel_proposal(
        verb,  # type: ignore[arg-type]
        proposal_id,
        quarter,
        by=caller.account.person_id,
        note=note,
        today=today,
    )


@router.get("/kernel", response_class=HTMLResponse)
def kernel(request: Request, caller: Viewer, period: Period = None) -> Response:
    from demandos.kernel.conformance import conformance, last_full_month

    s = site(request)
    with s.data() as ws:
        quarter = proposal_quarter(ws, period, s.today())
        versions = ws.kernel_versions.versions()
        version = ws.specs.kernel.version
        found = s.cached(("proposals", quarter, version), lambda: ws.kernel_proposals(quarter))
        decided = ws.kernel_versions.decisions()
        kernel_spec = ws.specs.kernel
        fy = ws.specs.workspace.fiscal_year_start_month
        month = last_full_month(s.today(), fiscal_year_start_month=fy)
        fit = s.cached(
            ("conformance", month.label, version),
            lambda: conformance(ws.facts, ws.specs.kernel, ws.specs.channels, month),
        )
        people = _people(ws)
    return _page(
        request, "kernel.html", caller, kernel=kernel_spec, versions=versions[::-1],
        proposals=found, decided=decided, quarter=quarter, fit=fit, people=people,
    )  # fmt: skip


@router.get("/kernel/diff", response_class=HTMLResponse)
def kernel_diff(
    request: Request,
    caller: Viewer,
    a: Annotated[int, Query(ge=1, le=100_000)],
    b: Annotated[int, Query(ge=1, le=100_000)],
) -> Response:
    with site(request).data() as ws:
        diff = ws.kernel_versions.diff(a, b)
    return _page(request, "kernel_diff.html", caller, diff=diff)


@router.post("/kernel/proposals/{proposal_id}/{verb}")
def kernel_decide(
    request: Request,
    proposal_id: str,
    verb: str,
    caller: Editor,
    period: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    s = site(request)
    with s.data() as ws:
        result = decide_proposal(ws, s.today(), verb, proposal_id, period or None, caller, note)
    s.changed()
    text = f"{result.item.proposal_id} {result.item.decision}."
    if result.published is not None:
        text += f" Kernel v{result.published.version} published."
    if result.todo:
        text += f" Next: {result.todo}"
    return _back(f"/kernel?period={period}" if period else "/kernel", text)


# -- assets and data ------------------------------------------------------------------------


@router.get("/assets", response_class=HTMLResponse)
def assets(request: Request, caller: Viewer) -> Response:
    from demandos.assets import load_library

    with site(request).data() as ws:
        try:
            library = load_library(ws.facts)
            problem = None
            items = sorted(
                library.assets.values(),
                key=lambda a: (a.published_at or datetime.min, a.asset_id),
                reverse=True,
            )
        except DemandosError as exc:
            problem, items = exc, []
        people = _people(ws)
    return _page(request, "assets.html", caller, items=items, problem=problem, people=people)


def _asset_form(
    request: Request,
    caller: Caller,
    ws: Workspace,
    asset: Any,
    problem: str | None = None,
    *,
    existing: bool = False,
) -> Response:
    from demandos.assets.library import LIFECYCLE

    response = _page(
        request, "asset_form.html", caller, asset=asset, problem=problem, lifecycle=LIFECYCLE,
        people=_people(ws), pillars=ws.specs.pillar_ids, segments=ws.specs.segment_ids,
        personas=[p.id for p in ws.specs.kernel.personas], existing=existing,
    )  # fmt: skip
    if problem:
        response.status_code = 400
    return response


@router.get("/assets/new", response_class=HTMLResponse)
def new_asset(request: Request, caller: Editor) -> Response:
    with site(request).data() as ws:
        return _asset_form(request, caller, ws, None)


@router.get("/assets/{asset_id}", response_class=HTMLResponse)
def edit_asset(request: Request, asset_id: str, caller: Editor) -> Response:
    from demandos.assets import load_library

    with site(request).data() as ws:
        asset = load_library(ws.facts).get(asset_id)
        return _asset_form(request, caller, ws, asset, existing=True)


AssetField = Annotated[str, Form(max_length=300)]


@router.post("/assets")
def save_asset_form(
    request: Request,
    caller: Editor,
    title: AssetField,
    type: AssetField,
    status: AssetField,
    asset_id: AssetField = "",
    existing: AssetField = "",
    pillar: AssetField = "",
    persona: AssetField = "",
    owner: AssetField = "",
    published_at: AssetField = "",
    parent_asset_id: AssetField = "",
    segments: Annotated[list[str] | None, Form()] = None,
) -> Response:
    from demandos.assets.editing import save_asset

    s = site(request)
    changes = {
        "title": title, "type": type, "status": status, "pillar": pillar, "persona": persona,
        "owner": owner, "published_at": published_at, "parent_asset_id": parent_asset_id,
        "segments": segments or [],
    }  # fmt: skip
    with s.data() as ws:
        try:
            if existing:
                saved = save_asset(ws.facts, ws.specs, changes, asset_id=existing, now=s.now())
            else:
                changes["asset_id"] = asset_id
                saved = save_asset(ws.facts, ws.specs, changes, now=s.now())
        except DemandosError as exc:
            from types import SimpleNamespace

            shown = SimpleNamespace(**{**changes, "asset_id": existing or asset_id,
                                       "segments": tuple(segments or ())})  # fmt: skip
            text = exc.message + (f" — {exc.hint}" if exc.hint else "")
            return _asset_form(request, caller, ws, shown, text, existing=bool(existing))
    s.changed()
    return _back("/assets", f"Asset {saved.asset_id} saved ({saved.status}).")


# -- the rest of the operating system: workflows, channels, stack, rollout -------------------


@router.get("/workflows", response_class=HTMLResponse)
def workflows(request: Request, caller: Viewer, period: Period = None) -> Response:
    from demandos.kernel.conformance import last_full_month
    from demandos.workflows.leads import lead_flow

    s = site(request)
    with s.data() as ws:
        fy = ws.specs.workspace.fiscal_year_start_month
        month = (
            parse_period(period)
            if period
            else last_full_month(s.today(), fiscal_year_start_month=fy)
        )
        runs = [r for r in ws.workflows.status() if r.is_open]
        overdue = ws.workflows.overdue(s.now())
        procedures = [source.spec for source in ws.specs.workflow_sources]
        try:
            flow, problem = lead_flow(ws.facts, ws.specs, month, now=s.now(), by="segment"), None
        except DemandosError as exc:
            flow, problem = None, exc
        people = _people(ws)
    return _page(
        request, "workflows.html", caller, runs=runs, overdue=overdue, procedures=procedures,
        flow=flow, problem=problem, people=people, month=month, written=format_duration,
        span=lambda v: "—" if v is None or flow is None else flow.clock.describe(v),
    )  # fmt: skip


@router.get("/channels", response_class=HTMLResponse)
def channels(request: Request, caller: Viewer, period: Period = None) -> Response:
    from demandos.distribution import distribution_report

    s = site(request)
    with s.data() as ws:
        report = distribution_report(ws, period, today=s.today())
        people = _people(ws)
        currency = ws.specs.workspace.currency
    return _page(
        request, "channels.html", caller, report=report.as_dict(), people=people,
        currency=currency,
    )  # fmt: skip


@router.get("/stack", response_class=HTMLResponse)
def stack(request: Request, caller: Viewer, period: Period = None) -> Response:
    from demandos.stack import stack_audit

    s = site(request)
    with s.data() as ws:
        found = stack_audit(ws, period, today=s.today())
        people = _people(ws)
    return _page(request, "stack.html", caller, audit=found.as_dict(), people=people)


@router.get("/rollout", response_class=HTMLResponse)
def rollout(request: Request, caller: Viewer) -> Response:
    from demandos.rollout import audit
    from demandos.rollout.plan import rollout_progress

    s = site(request)
    with s.data() as ws:
        progress = rollout_progress(ws, today=s.today())
        report = audit(ws, today=s.today())
        people = _people(ws)
    return _page(
        request, "rollout.html", caller, progress=progress.as_dict(), audit=report.as_dict(),
        people=people,
    )  # fmt: skip


@router.get("/data", response_class=HTMLResponse)
def data(request: Request, caller: Viewer) -> Response:
    from demandos.intake.quarantine import summary as quarantine

    with site(request).data() as ws:
        every = list(reversed(ws.log.loads()))
        loads = every[:50]
        latest: dict[str, Any] = {}
        for load in every:
            latest.setdefault(load.source, load)
        summary = ws.summary()
        quarantined = quarantine(ws.facts)[:200]
    return _page(
        request, "data.html", caller, loads=loads, summary=summary, quarantined=quarantined,
        latest=sorted(latest.values(), key=lambda load: load.source),
    )  # fmt: skip


@router.post("/data/upload")
async def upload(
    request: Request,
    caller: Editor,
    file: Annotated[UploadFile, File()],
    source: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    from starlette.concurrency import run_in_threadpool

    from demandos.web.api import safe_upload_name, save_upload

    s = site(request)
    name = safe_upload_name(file.filename)
    path = save_upload(s.uploads, name, await file.read(s.upload_limit + 1), s.upload_limit)

    def run() -> str:
        with s.data() as ws:
            (report,) = ws.ingest([path], source=source or None)
        return (
            f"{report.file}: {report.rows:,} rows read by {report.source}, "
            f"{report.quarantined:,} quarantined."
        )

    text = await run_in_threadpool(run)
    s.changed()
    return _back("/data", text)
