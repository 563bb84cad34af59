"""The checks of the five layers of the operating system: kernel, intake, assets, distribution
and feedback (each check: ``rollout.checks``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from demandos.intake.quarantine import open_rows
from demandos.kernel.conformance import Share as KernelShare
from demandos.kernel.conformance import dated_shares
from demandos.metrics.components import UNASSIGNED, in_period
from demandos.rollout.checks import (
    AuditContext,
    Result,
    Share,
    check,
    failed,
    names,
    not_applicable,
    passed,
    pct,
)
from demandos.rollout.failures import HEROIC_SHARE, heroic, scratch
from demandos.store.schema import TABLES

SPEND_ON_KERNEL = 0.9
"""The share of media spend that must map to an ICP segment and to a message pillar."""
REACH_ON_KERNEL = 0.5
"""The share of touches and of pipeline that must come from ICP accounts (and, for touches,
carry a pillar)."""
CORE_TABLES = ("opportunities", "people", "touchpoints", "spend", "costs")
"""The tables DER and attribution cannot do without."""
FRESH_DAYS: dict[str, int] = {
    "accounts": 92, "people": 7, "touchpoints": 7, "spend": 7, "costs": 62,
    "opportunities": 7, "opportunity_history": 14, "assets": 45, "audiences": 7,
    "feedback": 31, "competitor_signals": 45, "web_sessions": 7, "email_campaigns": 31,
}  # fmt: skip
"""How old a table's newest row may be at the end of the audit (costs are monthly)."""
QUARANTINE_SHARE = 0.01
"""Open quarantine rows allowed, as a share of the rows loaded."""
ASSETS_PER_90_DAYS = 3
DERIVATIVE_SHARE = 0.2
ASSETS_ON_PILLAR = 0.9
WIN_LOSS_COVERAGE = 0.2
"""Win/loss notes for at least this share of the opportunities closed in the quarter."""


def kernel_share(a: AuditContext, what: str, by: str) -> Share:
    """The share of the quarter's spend, touches or pipeline on an ICP segment or a kernel
    pillar (``by``), measured by the conformance report (``kernel.conformance``)."""
    found: dict[str, KernelShare] = a.memo(
        "conformance",
        lambda: dated_shares(a.facts, a.specs.kernel, a.specs.channels, a.quarter.start, a.until),
    )
    s = found[what]
    part = s.on_segment if by == "segment" else s.on_pillar
    if not s.total:
        return Share(what, by, None, s.total, None, "none in the quarter")
    return Share(what, by, part / s.total, s.total, part, None)


def _share_text(s: Share, what: str) -> str:
    if s.share is None:
        return f"{what}: {s.reason}"
    return f"{pct(s.share)} of {what}"


# -- kernel ---------------------------------------------------------------------------------


@check("kernel", "k.defined", "ICP segments, personas and pillars are defined", weight=3)
def kernel_defined(a: AuditContext) -> Result:
    k = a.specs.kernel
    gaps = [f"segment {s.id} has no fit rule" for s in k.segments
            if not (s.rules.industries or s.rules.employees or s.rules.annual_revenue
                    or s.rules.countries or s.rules.technologies or s.rules.fields)]  # fmt: skip
    if not k.personas:
        gaps.append("no persona is defined")
    numbers = {"segments": len(k.segments), "personas": len(k.personas), "pillars": len(k.pillars)}
    text = f"{len(k.segments)} segments, {len(k.personas)} personas, {len(k.pillars)} pillars"
    if not gaps:
        return passed(text, numbers)
    return failed(
        text + "; " + names(gaps, 4),
        "give each segment firmographic rules and name the buyer personas in kernel.yaml",
        numbers,
        where=a.locate("kernel.yaml", "segments"),
    )


@check("kernel", "k.proof", "Every pillar is backed by a proof point", weight=1)
def pillar_proof(a: AuditContext) -> Result:
    k = a.specs.kernel
    known = {p.id for p in k.proof_points}
    bare = [p.id for p in k.pillars if not any(x in known for x in p.proof_points)]
    if not bare:
        return passed(f"all {len(k.pillars)} pillars cite a proof point")
    return failed(
        f"{len(bare)} pillar(s) without a proof point: {names(bare)}",
        "add proof points (claim, evidence, source) and cite them under the pillar",
        {"pillars": len(k.pillars), "without_proof": len(bare)},
        where=a.locate("kernel.yaml", "pillars"),
    )


@check("kernel", "k.programs", "Every program maps to a segment and a pillar", weight=2)
def programs_on_kernel(a: AuditContext) -> Result:
    segments, pillars = set(a.specs.segment_ids), set(a.specs.pillar_ids)
    programs = a.specs.channels.programs
    off = [(i, p) for i, p in enumerate(programs)
           if not set(p.segments) & segments or not set(p.pillars) & pillars]  # fmt: skip
    numbers = {"programs": len(programs), "off_kernel": len(off)}
    if not programs:
        return not_applicable("channels.yaml lists no program", numbers)
    if not off:
        return passed(f"all {len(programs)} programs target a segment and carry a pillar", numbers)
    return failed(
        f"{len(off)} of {len(programs)} programs are off-kernel: {names([p.id for _, p in off])}",
        "give each program `segments:` and `pillars:` from kernel.yaml, or stop it",
        numbers,
        owner=off[0][1].owner,
        where=a.locate("channels.yaml", "programs", off[0][0]),
    )


@check("kernel", "k.spend", "Media spend maps to the kernel", weight=2)
def spend_on_kernel(a: AuditContext) -> Result:
    seg, pil = kernel_share(a, "spend", "segment"), kernel_share(a, "spend", "pillar")
    numbers = {"segment_share": seg.share, "pillar_share": pil.share, "media_spend": seg.total}
    if seg.share is None and pil.share is None:
        return not_applicable(f"no media spend in {a.quarter.label}", numbers)
    text = (f"{_share_text(seg, 'media spend')} maps to an ICP segment and "
            f"{_share_text(pil, 'it')} to a message pillar ({a.quarter.label})")  # fmt: skip
    if min(seg.share or 0.0, pil.share or 0.0) >= SPEND_ON_KERNEL:
        return passed(text, numbers)
    return failed(
        text + f"; at least {pct(SPEND_ON_KERNEL)} should",
        "map the programs that spend to segments and pillars in channels.yaml, or cut their spend",
        numbers,
    )


@check("kernel", "k.touches", "Touches reach ICP accounts with a message pillar", weight=1)
def touches_on_kernel(a: AuditContext) -> Result:
    seg, pil = kernel_share(a, "touches", "segment"), kernel_share(a, "touches", "pillar")
    numbers = {"segment_share": seg.share, "pillar_share": pil.share, "touches": seg.total}
    if seg.share is None:
        return not_applicable(f"no touches in {a.quarter.label}", numbers)
    text = (f"{_share_text(seg, 'touches')} reached an account in an ICP segment and "
            f"{_share_text(pil, 'touches')} carried a pillar ({a.quarter.label})")  # fmt: skip
    if min(seg.share or 0.0, pil.share or 0.0) >= REACH_ON_KERNEL:
        return passed(text, numbers)
    return failed(
        text + f"; at least {pct(REACH_ON_KERNEL)} should",
        "aim programs at the ICP (audiences, lists, keywords) and tag assets with their pillar",
        numbers,
    )


@check("kernel", "k.pipeline", "Pipeline comes from ICP accounts", weight=2)
def pipeline_on_kernel(a: AuditContext) -> Result:
    seg = kernel_share(a, "pipeline", "segment")
    numbers = {"segment_share": seg.share, "pipeline": seg.total}
    if seg.share is None:
        return not_applicable(f"no pipeline created in {a.quarter.label}", numbers)
    text = f"{pct(seg.share)} of pipeline created in {a.quarter.label} is on ICP accounts"
    if seg.share >= REACH_ON_KERNEL:
        return passed(text, numbers)
    return failed(
        text + f"; at least {pct(REACH_ON_KERNEL)} should",
        "check the fit rules against the deals you win, then point programs at the ICP",
        numbers,
    )


# -- intake ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """A canonical table's newest row against the end of the audit."""

    table: str
    rows: int
    latest: date | None
    age_days: int | None  # days from the newest row to the last day audited (0 when later)
    limit: int

    @property
    def stale(self) -> bool:
        return self.age_days is not None and self.age_days > self.limit


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def freshness(a: AuditContext) -> list[Freshness]:
    """Every canonical table, with the age of its newest row at the end of the audit."""
    last = date.fromordinal(a.until.toordinal() - 1)
    out = []
    for name in TABLES:
        s = a.tables.get(name)
        latest = _day(s.max_time) if s else None
        age = max(0, (last - latest).days) if latest is not None else None
        out.append(Freshness(name, s.rows if s else 0, latest, age, FRESH_DAYS.get(name, 31)))
    return out


@check("intake", "i.core", "The tables DER needs have data for the quarter", weight=3)
def core_tables(a: AuditContext) -> Result:
    if a.days <= 0:
        return not_applicable(f"{a.quarter.label} has not started")
    empty = []
    for name in CORE_TABLES:
        s = a.tables.get(name)
        lo, hi = (_day(s.min_time), _day(s.max_time)) if s else (None, None)
        if lo is None or hi is None or lo >= a.until or hi < a.quarter.start:
            empty.append(name)
    numbers = {"tables": len(CORE_TABLES), "empty": len(empty)}
    if not empty:
        return passed(f"{', '.join(CORE_TABLES)} all have rows in {a.quarter.label}", numbers)
    return failed(
        f"no rows in {a.quarter.label} for: {', '.join(empty)}",
        "ingest the exports that feed them (`demandos ingest`; `docs/intake.md` lists the "
        "connectors)",
        numbers,
    )


@check("intake", "i.freshness", "Every table is fresh", weight=2)
def fresh_tables(a: AuditContext) -> Result:
    found = [f for f in freshness(a) if f.rows]
    stale = [f for f in found if f.stale]
    last = date.fromordinal(a.until.toordinal() - 1)
    numbers = {"tables": len(found), "stale": len(stale)}
    if not found:
        return not_applicable("the fact store is empty", numbers)
    if not stale:
        return passed(
            f"all {len(found)} tables with data have rows within their limit of {last}", numbers
        )
    return failed(
        f"{len(stale)} table(s) stale at {last}: "
        + names(
            [f"{f.table} (newest {f.latest}, {f.age_days} days; limit {f.limit})" for f in stale], 4
        ),
        "ingest the latest exports, or schedule the sync (`demandos sync`)",
        numbers,
    )


@check("intake", "i.quarantine", "Few rows are stuck in the quarantine", weight=2)
def quarantine_size(a: AuditContext) -> Result:
    stuck = int(open_rows(a.facts).count().to_pyarrow().as_py())
    loaded = sum(s.rows for name, s in a.tables.items() if name in TABLES)
    share = stuck / (loaded + stuck) if loaded + stuck else None
    numbers = {"open_rows": stuck, "rows": loaded, "share": share}
    if share is None:
        return not_applicable("nothing has been loaded", numbers)
    by_source: dict[str, int] = {}
    for group in a.quarantine:
        by_source[group.source] = by_source.get(group.source, 0) + group.rows
    text = f"{stuck:,} open quarantine row(s), {share:.2%} of {loaded:,} rows loaded"
    if share <= QUARANTINE_SHARE:
        return passed(text, numbers)
    return failed(
        text
        + "; by source (reasons): "
        + names([f"{k} {v}" for k, v in sorted(by_source.items())], 4),
        "read `demandos quarantine list`, fix the cause (a mapping, a rate, the export), then "
        "`demandos quarantine retry`",
        numbers,
    )


@check("intake", "i.signals", "Competitor signals are gathered", weight=1)
def competitor_signals(a: AuditContext) -> Result:
    if a.days <= 0:
        return not_applicable(f"{a.quarter.label} has not started")
    found = a.count("competitor_signals", "ts", a.quarter.start, a.until)
    if found:
        return passed(
            f"{found} competitor signal(s) logged in {a.quarter.label}", {"signals": found}
        )
    return failed(
        f"no competitor signal logged in {a.quarter.label}",
        "log what competitors launch, say and price (competitor_signals), at least monthly",
        {"signals": 0},
    )


# -- assets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Library:
    published: int
    recent: int  # published in the 90 days before the end of the audit
    derivatives: int
    on_pillar: int


def library(a: AuditContext) -> Library:
    def make() -> Library:
        t = a.facts.table("assets")
        t = t.filter(t.status.lower() == "published", t.published_at.notnull(),
                     in_period(t.published_at, "timestamp", date(1900, 1, 1), a.until))  # fmt: skip
        since, _ = a.window(90)
        recent = in_period(t.published_at, "timestamp", since, a.until)
        pillars = sorted(a.specs.pillar_ids)
        row = (
            t.aggregate(
                published=t.count(),
                recent=recent.sum(),
                derivatives=t.parent_asset_id.notnull().sum(),
                on_pillar=t.pillar.isin(pillars).fill_null(False).sum(),
            )
            .to_pyarrow()
            .to_pylist()[0]
        )
        return Library(
            *(int(row[k] or 0) for k in ("published", "recent", "derivatives", "on_pillar"))
        )

    result: Library = a.memo("library", make)
    return result


@check("assets", "a.library", "An asset library exists", weight=2)
def asset_library(a: AuditContext) -> Result:
    lib = library(a)
    if lib.published:
        return passed(
            f"{lib.published} published assets in the library", {"published": lib.published}
        )
    return failed(
        "no published asset in the assets table",
        "load the content library (assets: id, title, type, pillar, status, published_at)",
        {"published": 0},
    )


@check("assets", "a.rhythm", "Assets are published on a rhythm", weight=2)
def asset_rhythm(a: AuditContext) -> Result:
    lib = library(a)
    since, until = a.window(90)
    last = date.fromordinal(until.toordinal() - 1)
    text = f"{lib.recent} asset(s) published in the 90 days {since} to {last}"
    numbers = {"recent": lib.recent, "needed": ASSETS_PER_90_DAYS}
    if lib.recent >= ASSETS_PER_90_DAYS:
        return passed(text, numbers)
    return failed(
        text + f"; a rhythm is at least {ASSETS_PER_90_DAYS} (one a month)",
        "plan production on the monthly planning agenda, one asset a month at least",
        numbers,
    )


@check("assets", "a.derivatives", "Assets are reused as derivatives", weight=1)
def asset_derivatives(a: AuditContext) -> Result:
    lib = library(a)
    if not lib.published:
        return not_applicable("no published asset")
    share = lib.derivatives / lib.published
    text = (
        f"{lib.derivatives} of {lib.published} published assets are derivatives of another "
        f"({pct(share)})"
    )
    numbers = {"derivatives": lib.derivatives, "published": lib.published, "share": share}
    if share >= DERIVATIVE_SHARE:
        return passed(text, numbers)
    return failed(
        text + f"; {pct(DERIVATIVE_SHARE)} or more shows the library compounding",
        "cut each flagship asset into derivatives (posts, clips, checklists) with "
        "parent_asset_id set",
        numbers,
    )


@check("assets", "a.pillars", "Assets carry a message pillar", weight=1)
def asset_pillars(a: AuditContext) -> Result:
    lib = library(a)
    if not lib.published:
        return not_applicable("no published asset")
    share = lib.on_pillar / lib.published
    text = (
        f"{lib.on_pillar} of {lib.published} published assets carry a pillar of kernel.yaml "
        f"({pct(share)})"
    )
    numbers = {"on_pillar": lib.on_pillar, "published": lib.published, "share": share}
    if share >= ASSETS_ON_PILLAR:
        return passed(text, numbers)
    return failed(text, "tag each asset with the kernel pillar it argues", numbers)


@check("assets", "a.scratch", "Campaigns leave assets or an audience behind", weight=3)
def not_from_scratch(a: AuditContext) -> Result:
    found = scratch(a)
    notes = []
    if found.undated:
        notes.append(
            f"no end date in channels.yaml for {names(found.undated)}: cannot tell whether "
            "they ended"
        )
    if not found.ended:
        return not_applicable(
            "no campaign or launch ended in the year before the audit"
            + ("; " + "; ".join(notes) if notes else "")
        )
    if not found.known:
        ended = names([p.program for p in found.ended])
        return not_applicable(
            f"no touch is recorded for the campaigns that ended ({ended}): nothing says whom "
            "they reached"
        )
    bad = found.from_scratch
    numbers = {"ended": len(found.ended), "from_scratch": len(bad)}
    parts = [
        f"{p.program} (ended {p.end}) reached {p.reached} people, {p.kept} still reached on "
        f"owned channels in the {p.after_days} days after; {p.assets_kept} of its "
        f"{p.assets} assets used since"
        for p in found.ended
    ]
    text = "; ".join(parts + notes)
    if not bad:
        return passed(text, numbers)
    return failed(
        f"{len(bad)} of {len(found.ended)} ended campaign(s) left no asset in use and no "
        f"audience: {text}",
        "build each campaign on durable assets and route the people it reaches into an owned "
        "audience (newsletter, webinars) before it ends",
        numbers,
        owner=bad[0].owner,
    )


# -- distribution ---------------------------------------------------------------------------


def channel_shares(a: AuditContext) -> dict[str, float | None]:
    """Shares of the quarter's pipeline created by the type of the channel it came from
    (owned, earned, paid, or none when the deal's source maps to no channel)."""
    total, parts = a.members("pipeline_created", "channel")
    types = {c.id: c.type for c in a.specs.channels.channels}
    out: dict[str, float | None] = {"owned": None, "earned": None, "paid": None, "none": None}
    if not total:
        return out
    for kind in ("owned", "earned", "paid"):
        out[kind] = sum(v for k, v in parts.items() if types.get(k) == kind) / total
    out["none"] = sum(v for k, v in parts.items() if k not in types or k == UNASSIGNED) / total
    return out


@check("distribution", "d.owned", "Owned channels bring more pipeline than paid ones", weight=2)
def owned_over_paid(a: AuditContext) -> Result:
    shares = channel_shares(a)
    numbers = {f"{k}_share": v for k, v in shares.items()}
    if shares["owned"] is None:
        return not_applicable(f"no pipeline created in {a.quarter.label}", numbers)
    text = (
        f"of pipeline created in {a.quarter.label}, {pct(shares['owned'])} came from owned "
        f"channels, {pct(shares['earned'])} earned, {pct(shares['paid'])} paid"
    )
    if shares["none"]:
        text += f", {pct(shares['none'])} from no known channel"
    if (shares["owned"] or 0.0) >= (shares["paid"] or 0.0):
        return passed(text, numbers)
    return failed(
        text + ": the system rents more demand than it keeps",
        "grow owned channels (newsletter, webinars, organic content) and route paid reach into "
        "them",
        numbers,
    )


@check("distribution", "d.audience", "Owned audiences grow", weight=2)
def audience_growth(a: AuditContext) -> Result:
    row = a.probe("channel").get("owned_audience_growth")
    numbers = {"growth": row.value}
    if row.value is None:
        return not_applicable(
            f"owned-audience growth is unknown for {a.quarter.label}: {row.reason}", numbers
        )
    text = f"owned audiences grew {row.value:+.1%} over {a.quarter.label}"
    if row.value > 0:
        return passed(text, numbers)
    return failed(
        text, "give owned channels a reason to subscribe and a program that feeds them", numbers
    )


@check("distribution", "d.always_on", "Every owned channel has an always-on program", weight=1)
def always_on(a: AuditContext) -> Result:
    owned = [c.id for c in a.specs.channels.channels if c.type == "owned"]
    running = {p.channel for p in a.specs.channels.programs if p.kind == "always_on"}
    bare = [c for c in owned if c not in running]
    numbers = {"owned_channels": len(owned), "without_program": len(bare)}
    if not owned:
        return failed(
            "channels.yaml types no channel as owned",
            "add the channels you keep: site, newsletter, webinars",
            numbers,
        )
    if not bare:
        return passed(f"all {len(owned)} owned channels run an always-on program", numbers)
    return failed(
        f"{len(bare)} of {len(owned)} owned channels have no always-on program: {names(bare)}",
        "give each owned channel an always-on program with an owner",
        numbers,
    )


@check("distribution", "d.heroic", "No heroic campaign carries the pipeline", weight=3)
def no_heroic_campaign(a: AuditContext) -> Result:
    h = heroic(a)
    numbers = {"top_program_share": h.top_share, "peak_to_median": h.peak_to_median,
               "after_level": h.after_level}  # fmt: skip
    if h.present is None:
        return not_applicable(
            f"campaign dependence is unknown: {h.top_reason or h.peak_reason}", numbers
        )
    text = (f"largest program {h.top_program or '—'} brought {pct(h.top_share)} of pipeline; best "
            f"week {h.peak_week} at {h.peak_to_median or 0:.1f}× the median week"
            + (f", the {len(h.after_weeks)} weeks after it at {pct(h.after_level)} of a median week"
               if h.after_level is not None else ""))  # fmt: skip
    if not h.present:
        return passed(text, numbers)
    return failed(
        "heroic campaign: " + text,
        f"spread pipeline over always-on programs: no program above {pct(HEROIC_SHARE)}, and "
        "keep running what the big week started",
        numbers,
    )


# -- feedback -------------------------------------------------------------------------------


@check("feedback", "f.rows", "Customer feedback flows in", weight=2)
def feedback_rows(a: AuditContext) -> Result:
    if a.days <= 0:
        return not_applicable(f"{a.quarter.label} has not started")
    t = a.facts.table("feedback")
    t = t.filter(in_period(t.ts, "timestamp", a.quarter.start, a.until))
    kinds = {
        r["kind"]: int(r["n"])
        for r in t.group_by("kind").aggregate(n=t.count()).to_pyarrow().to_pylist()
    }
    total = sum(kinds.values())
    numbers = {"rows": total, "months": a.months, **{f"kind_{k}": v for k, v in kinds.items()}}
    text = f"{total} feedback row(s) in {a.quarter.label}" + (
        " (" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")" if kinds else ""
    )
    if total >= a.months:
        return passed(text, numbers)
    return failed(
        text + ": fewer than one a month",
        "run a short survey or NPS and log customer interviews every month (feedback)",
        numbers,
    )


@check("feedback", "f.win_loss", "Won and lost deals get a win/loss note", weight=2)
def win_loss(a: AuditContext) -> Result:
    if a.days <= 0:
        return not_applicable(f"{a.quarter.label} has not started")
    notes = a.count("feedback", "ts", a.quarter.start, a.until, kind="win_loss")
    o = a.facts.table("opportunities")
    o = o.filter(o.is_closed, in_period(o.close_date, "date", a.quarter.start, a.until))
    closed = int(o.count().to_pyarrow().as_py())
    numbers = {"notes": notes, "closed": closed, "coverage": notes / closed if closed else None}
    if not closed:
        return not_applicable(f"no opportunity closed in {a.quarter.label}", numbers)
    coverage = notes / closed
    text = (
        f"{notes} win/loss note(s) for {closed} opportunities closed in {a.quarter.label} "
        f"({pct(coverage)})"
    )
    if coverage >= WIN_LOSS_COVERAGE:
        return passed(text, numbers)
    return failed(
        text + f"; at least {pct(WIN_LOSS_COVERAGE)} should have one",
        "ask sales for a win/loss note on every closed deal above a size, and load them",
        numbers,
    )


@check("feedback", "f.loop", "Decisions act on measured metrics", weight=1)
def decisions_on_metrics(a: AuditContext) -> Result:
    made = [d for d in a.decisions if a.quarter.start <= d.made_at.date() < a.until]
    measured = [d for d in made if d.metric_id]
    numbers = {"decisions": len(made), "with_metric": len(measured)}
    if not made:
        return failed(
            f"no decision logged in {a.quarter.label}: nothing shows results flowing back into "
            "the plan",
            "log each review's decisions with the metric they should move "
            "(`demandos decision add --metric`)",
            numbers,
        )
    text = (
        f"{len(measured)} of {len(made)} decisions in {a.quarter.label} name the metric they act on"
    )
    if measured:
        return passed(text, numbers)
    return failed(
        text, "name the metric with `--metric`, so the next review shows how it moved", numbers
    )
