"""Attribution in the packs: which channels drove the period's pipeline and revenue, under every
model side by side, and where the models disagree.

    attribution_section(out, ctx, period)   # an "attribution" section

- **pipeline**: the opportunities created in the period (account journeys, the 90 days of
  touches before each was created), credited by channel under the first-touch, last-touch,
  linear, W-shaped, exact Markov and Shapley models (``ws.attribution_compare``);
- **revenue**: the deals won in the period, credited by Markov, with revenue influenced and
  sourced (DESIGN) and CAC by source: the channel's media spend ÷ the won deals Markov credits
  it (a channel without media spend has none);
- **findings**: the channel Markov credits most, and the channels whose data-driven credit is
  furthest above and below their last-touch credit: what a last-touch report hides.

The monthly deep-dive shows it for its month, the QBR for its quarter.
"""

from __future__ import annotations

from demandos.errors import DemandosError
from demandos.feedback import Attribution, Comparison
from demandos.metrics.catalog import COMPONENTS
from demandos.metrics.engine import read_components
from demandos.metrics.periods import Period
from demandos.reports.model import Bullets, Cell, Pack, Paragraph, Table
from demandos.reports.numbers import fmt
from demandos.reports.packs import PackContext
from demandos.reports.packs.monthly import labelled, share

MODELS = ("first", "last", "linear", "w_shaped", "markov", "shapley")
"""The models the pipeline table sets side by side (``demandos attribution compare`` has all)."""
DATA_DRIVEN = "markov"
SHOWN = 0.005  # shifts of credit smaller than half a point are not findings


def attribution_section(out: Pack, ctx: PackContext, period: Period) -> None:
    """The "attribution" section for ``period`` (see the module doc)."""
    section = out.section("attribution", f"What drove pipeline and revenue, {period.label}")
    try:
        pipeline = ctx.ws.attribution_compare(
            models=MODELS, milestone="opportunity", period=period.label, today=ctx.today
        )
        won = ctx.ws.attribution(DATA_DRIVEN, milestone="won", period=period.label,
                                 today=ctx.today)  # fmt: skip
    except DemandosError as err:
        section.add(Paragraph(f"No attribution for {period.label}: {err}", "muted"))
        return
    first = pipeline.models[0]
    if not first.conversions:
        section.add(Paragraph(f"No opportunity was created in {period.label}.", "muted"))
        return
    section.add(
        Paragraph(
            f"Each opportunity created in {period.label} is credited to the channels of its "
            f"account's touches in the {first.lookback_days} days before it was created, by six "
            "models. Markov and Shapley are data-driven: they weigh each channel by the "
            "conversions lost without it, non-converting journeys included.",
            "muted",
        )
    )
    section.add(labelled("Pipeline credited by channel:", _pipeline(out, pipeline)))
    section.add(labelled("Won deals, credited by Markov:", _revenue(out, ctx, period, won)))
    section.add(Paragraph("Findings:"), Bullets(_findings(out, pipeline, won)))


def _by_model(c: Comparison) -> dict[str, dict[str, float]]:
    return {a.model: {r.member: r.value for r in a.rows} for a in c.models}


def _pipeline(out: Pack, c: Comparison) -> Table:
    credit, cur = _by_model(c), out.currency
    data = credit[DATA_DRIVEN]
    rows = [
        (Cell(member), *(Cell(fmt(credit[m].get(member), "currency", cur), numeric=True)
                         for m in MODELS))
        for member in sorted(data, key=lambda m: (-data[m], m))
    ]  # fmt: skip
    first = c.models[0]
    if first.unattributed:
        missed = fmt(first.unattributed_value, "currency", cur)
        rows.append((Cell("no touch in the window", tone="muted"),
                     *(Cell(missed, numeric=True) for _ in MODELS)))  # fmt: skip
    total = fmt(first.value, "currency", cur)
    caption = (
        f"{first.conversions:g} opportunities, {total} of pipeline; each model's column adds up "
        "to it. W-shaped: 30% each to the first touch, the lead's and the opportunity's."
    )
    if any(v < 0 for v in credit["shapley"].values()):
        caption += (
            " A Shapley credit below zero: journeys with the channel converted less often than "
            "journeys without it."
        )
    return Table(("channel", *MODELS), tuple(rows), caption)


def _revenue(out: Pack, ctx: PackContext, period: Period, won: Attribution) -> Table | Paragraph:
    if not won.conversions:
        return Paragraph(f"No deal was won in {period.label}.", "muted")
    cur = out.currency
    media = _media(ctx, period)
    rows = []
    for r in sorted(won.rows, key=lambda r: (-r.value, r.member)):
        spend = media.get(r.member)
        cac = spend / r.conversions if spend and r.conversions else None
        rows.append((
            Cell(r.member), Cell(f"{r.conversions:.1f}", numeric=True),
            Cell(fmt(r.value, "currency", cur), numeric=True),
            Cell(fmt(r.influenced, "currency", cur), numeric=True),
            Cell(fmt(r.sourced, "currency", cur), numeric=True),
            Cell(fmt(spend, "currency", cur), numeric=True),
            Cell(fmt(cac, "currency", cur), numeric=True),
        ))  # fmt: skip
    caption = (
        f"{won.conversions:g} deals won, {fmt(won.value, 'currency', cur)}. Influenced: the "
        "revenue of every won deal the channel touched before it was created (a deal counts in "
        "each channel); sourced: where its first touch was the channel's. CAC by source: media "
        "spend ÷ the deals credited."
    )
    columns = ("channel", "deals", "revenue", "influenced", "sourced", "media", "CAC by source")
    return Table(columns, tuple(rows), caption)


def _media(ctx: PackContext, period: Period) -> dict[str, float]:
    """Media spend by channel in ``period``, as the metrics engine reads it."""
    media = COMPONENTS["media"]
    read = read_components(ctx.ws.facts, ctx.ws.specs, period, [media], by="channel")
    return {m: v for m in read.members(media.name)
            if (v := read.value(media.name, period.label, m))}  # fmt: skip


def _findings(out: Pack, pipeline: Comparison, won: Attribution) -> tuple[Paragraph, ...]:
    credit = _by_model(pipeline)
    data, last = credit[DATA_DRIVEN], credit["last"]
    total = sum(data.values())
    found = []
    top = max(data, key=lambda m: (data[m], m), default=None)
    if top is not None and total:
        found.append(Paragraph(
            f"Markov credits {top} with {share(data[top], total):.0%} of the pipeline it "
            f"attributes ({fmt(data[top], 'currency', out.currency)}); last touch gives it "
            f"{share(last.get(top, 0.0), total):.0%}."
        ))  # fmt: skip
        shift = {m: (data[m] - last.get(m, 0.0)) / total for m in data}
        up = max(shift, key=lambda m: (shift[m], m))
        down = min(shift, key=lambda m: (shift[m], m))
        if shift[up] >= SHOWN:
            found.append(Paragraph(
                f"Last touch under-credits {up} by {shift[up]:.0%} of the pipeline: it opens "
                "or carries journeys that another channel closes."
            ))  # fmt: skip
        if -shift[down] >= SHOWN:
            found.append(Paragraph(
                f"Last touch over-credits {down} by {-shift[down]:.0%} of the pipeline: it is "
                "often the touch before the opportunity, less often the one without which "
                "there would be none."
            ))  # fmt: skip
    first = pipeline.models[0]
    if first.unattributed:
        found.append(Paragraph(
            f"{first.unattributed:g} of {first.conversions:g} opportunities "
            f"({fmt(first.unattributed_value, 'currency', out.currency)}) had no touch in the "
            f"{first.lookback_days} days before them: no model can credit them.",
            "warn",
        ))  # fmt: skip
    if won.unattributed:
        found.append(Paragraph(
            f"{won.unattributed:g} of {won.conversions:g} won deals had no touch in their "
            "window.", "warn",
        ))  # fmt: skip
    return tuple(found)
