"""Kernel feedback from the fact store: what buyers and competitors said in a month.

    kernel_feedback(out, ctx, month)     # a "feedback" section on the month and the 3 before

Read from the ``feedback`` table (win/loss interviews, surveys, NPS: counts, scores, themes,
competitors named) and the ``competitor_signals`` table, each month against the monthly average
of the months before it. A theme that is a message pillar of kernel.yaml is marked, and so is a
competitor kernel.yaml does not list: evidence for the kernel's next version. The monthly
strategy session shows it; the quarterly strategy refresh can too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from demandos.metrics.components import in_period
from demandos.metrics.periods import Period
from demandos.reports.model import Bullets, Cell, Pack, Paragraph, Table
from demandos.reports.numbers import fmt, fmt_change
from demandos.reports.packs import PackContext
from demandos.reports.packs.monthly import labelled

THEMES = 10


def _read(ctx: PackContext, table: str, start: Any, end: Any) -> list[dict[str, Any]]:
    t = ctx.ws.facts.table(table)
    rows: list[dict[str, Any]] = (
        t.filter(in_period(t.ts, "timestamp", start, end)).to_pyarrow().to_pylist()
    )
    return rows


def kernel_feedback(out: Pack, ctx: PackContext, month: Period, window: int = 3) -> None:
    """The section: ``month``'s feedback and competitor signals against the ``window`` months
    before it."""
    section = out.section("feedback", "Kernel feedback: win/loss, surveys, competitors")
    first = month.shift(-window)
    before = f"{first.label} to {month.previous().label}"
    now = _read(ctx, "feedback", month.start, month.end)
    then = _read(ctx, "feedback", first.start, month.start)
    section.add(labelled("Responses by kind:", _responses(now, then, month, before, window)))
    if not now and then:
        section.add(Paragraph(f"No feedback was loaded for {month.label}.", "muted"))
    elif now:
        section.add(labelled("Themes:", _themes(ctx, now, then, month, before, window)))
        if any(r["kind"] == "win_loss" for r in now):
            section.add(
                Paragraph(
                    "The feedback table keeps no outcome for a win/loss interview: its themes "
                    "count won and lost deals together.",
                    "muted",
                )
            )
    signals_now = _read(ctx, "competitor_signals", month.start, month.end)
    signals_then = _read(ctx, "competitor_signals", first.start, month.start)
    found = _competitors(ctx, now, then, signals_now, signals_then, month, before, window)
    section.add(labelled("Competitors:", found))
    if signals_now:
        section.add(
            Bullets(
                tuple(
                    Paragraph(
                        f"{s['ts']:%Y-%m-%d} {s['competitor']} ({s['kind']}"
                        f"{', ' + s['source'] if s.get('source') else ''}): {s.get('note') or ''}"
                    )
                    for s in sorted(signals_now, key=lambda s: s["ts"])
                )
            )
        )


def _responses(
    now: list[dict[str, Any]],
    then: list[dict[str, Any]],
    month: Period,
    before: str,
    window: int,
) -> Table | Paragraph:
    kinds = sorted({r["kind"] for r in (*now, *then)})
    if not kinds:
        return Paragraph(f"No feedback was loaded for {month.label} or {before}.", "muted")
    rows = []
    for kind in kinds:
        mine = [r for r in now if r["kind"] == kind]
        old = [r for r in then if r["kind"] == kind]
        rows.append(
            (
                Cell(kind),
                Cell(str(len(mine)), numeric=True),
                Cell(score_text(kind, mine), numeric=True),
                Cell(fmt(len(old) / window, "count"), numeric=True),
                Cell(score_text(kind, old), numeric=True),
            )
        )
    return Table(
        ("kind", f"responses {month.label}", "score", f"per month, {before}", "score before"),
        tuple(rows),
        "Score: NPS (% 9-10 − % 0-6) for nps, else the average score.",
    )


def score_text(kind: str, rows: Sequence[dict[str, Any]]) -> str:
    """NPS for nps responses on 0-10 (% promoters − % detractors), else the mean score."""
    scores = [float(r["score"]) for r in rows if r.get("score") is not None]
    if not scores:
        return "—"
    if kind == "nps" and all(0 <= s <= 10 for s in scores):
        promoters = sum(s >= 9 for s in scores) / len(scores)
        detractors = sum(s <= 6 for s in scores) / len(scores)
        return f"NPS {100 * (promoters - detractors):+.0f}"
    return f"avg {sum(scores) / len(scores):.1f}"


def theme_counts(rows: Sequence[dict[str, Any]], win_loss: bool) -> Counter[str]:
    """How many responses carry each tag: win/loss interviews, or the others."""
    return Counter(
        tag
        for r in rows
        if (r["kind"] == "win_loss") == win_loss
        for tag in dict.fromkeys(r.get("tags") or ())
    )


def _themes(
    ctx: PackContext,
    now: list[dict[str, Any]],
    then: list[dict[str, Any]],
    month: Period,
    before: str,
    window: int,
) -> Table:
    wl, other = theme_counts(now, True), theme_counts(now, False)
    old = theme_counts(then, True) + theme_counts(then, False)
    pillars = {p.id for p in ctx.ws.specs.kernel.pillars}
    tags = sorted({*wl, *other}, key=lambda t: (-(wl[t] + other[t]), t))[:THEMES]
    rows = []
    for tag in tags:
        count, avg = wl[tag] + other[tag], old[tag] / window
        rows.append(
            (
                Cell(tag, sub="pillar" if tag in pillars else ""),
                Cell(str(wl[tag]), numeric=True),
                Cell(str(other[tag]), numeric=True),
                Cell(fmt(avg, "count"), numeric=True),
                Cell(fmt_change(count - avg, "count"), numeric=True),
            )
        )
    return Table(
        ("theme", "win/loss", "surveys and NPS", f"per month, {before}", "change"),
        tuple(rows),
        f"The {len(tags)} themes (tags) most often given in {month.label}: responses carrying "
        "each; 'pillar' marks a message pillar of kernel.yaml.",
    )


def _competitors(
    ctx: PackContext,
    now: list[dict[str, Any]],
    then: list[dict[str, Any]],
    signals_now: list[dict[str, Any]],
    signals_then: list[dict[str, Any]],
    month: Period,
    before: str,
    window: int,
) -> Table | Paragraph:
    mentions = Counter(r["competitor"] for r in now if r.get("competitor"))
    mentioned = Counter(r["competitor"] for r in then if r.get("competitor"))
    signals = Counter(s["competitor"] for s in signals_now)
    signalled = Counter(s["competitor"] for s in signals_then)
    names = sorted(
        {*mentions, *mentioned, *signals, *signalled},
        key=lambda c: (-(mentions[c] + signals[c]), c),
    )
    if not names:
        return Paragraph(
            f"No competitor was named in feedback or competitor signals in {month.label} or "
            f"{before}.",
            "muted",
        )
    known = {k for c in ctx.ws.specs.kernel.competitors for k in (c.id.lower(), c.name.lower())}
    rows = []
    for name in names:
        kinds = Counter(s["kind"] for s in signals_now if s["competitor"] == name)
        rows.append(
            (
                Cell(name, sub="" if name.lower() in known else "not in kernel.yaml"),
                Cell(str(mentions[name]), numeric=True),
                Cell(fmt(mentioned[name] / window, "count"), numeric=True),
                Cell(str(signals[name]), numeric=True),
                Cell(fmt(signalled[name] / window, "count"), numeric=True),
                Cell(", ".join(f"{k} {n}" for k, n in kinds.most_common()) or "—"),
            )
        )
    return Table(
        (
            "competitor",
            f"named in feedback {month.label}",
            "a month before",
            f"signals {month.label}",
            "a month before",
            "signals by kind",
        ),
        tuple(rows),
        f"'A month before': the monthly average over {before}. A competitor kernel.yaml does not "
        "list is a candidate for its competitors.",
    )
