"""The kernel review in a pack: kernel.yaml as it stands, performance by segment, persona and
pillar with intervals, the refinement proposals with their evidence, and what win/loss notes and
competitor signals said (``demandos.kernel.review_kernel``).

    review = review_kernel(ws.facts, ws.specs, quarter.label)
    kernel_section(out, ws.specs.kernel)
    performance_section(out, review)       # adds to the section "performance"
    proposals_section(out, review)
    voice_section(out, review)

The strategy refresh uses all four; the numbers come from the kernel review, not the metrics
engine (its window is four quarters and it places deals by persona and pillar, which the engine
cannot), so they are not traced: ``tests/kernel`` checks them by hand and against the engine.
"""

from __future__ import annotations

from collections import Counter

from demandos.kernel.comparisons import MEASURES, Comparison, MemberStats
from demandos.kernel.evidence import LOOKBACK_DAYS, NOTE_DAYS
from demandos.kernel.proposals import KernelReview, Proposal
from demandos.reports.model import Bullets, Cell, Group, Pack, Paragraph, Section, Table, Tone
from demandos.reports.numbers import SYMBOLS, fmt
from demandos.spec.kernel import FieldRange, FitRules, KernelSpec, Narrative, Persona
from demandos.stats import Interval

THEMES = 8  # win/loss themes shown
CONSIDERED = 8  # untested differences listed by name
KIND_LABEL = {
    "promote_segment": "Promote segment",
    "deprioritize_segment": "Deprioritize segment",
    "tighten_segment": "Tighten segment",
    "target_persona": "Target persona",
    "drop_persona": "Drop persona",
    "lead_with_pillar": "Lead with pillar",
    "retire_pillar": "Retire pillar",
    "address_competitor": "Address competitor",
}
DIMENSION_TITLE = {"segment": "segment", "persona": "persona", "pillar": "message pillar"}


# -- numbers ---------------------------------------------------------------------------------


def compact(value: float, currency: str) -> str:
    """Money in few characters: $940, $28.2k, $1.35M."""
    symbol = SYMBOLS.get(currency, "")
    sign, v = ("-" if value < 0 else ""), abs(value)
    if v >= 1e6:
        text = f"{v / 1e6:.2f}M"
    elif v >= 1e4:
        text = f"{v / 1e3:.1f}k"
    else:
        text = f"{v:,.0f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def show(value: float | None, unit: str, currency: str) -> str:
    """A value as the pack shows it; money as :func:`compact` (intervals stay short)."""
    if value is None:
        return "—"
    if unit == "currency":
        return compact(value, currency)
    if unit == "days":
        return f"{value:,.1f} d"
    return fmt(value, unit, currency)


def span(ci: Interval | None, unit: str, currency: str) -> str:
    """A 95% interval, short enough to sit beside its value in a table: ``21.4–37.5%``,
    ``$28.2–37.3k``, ``45–70 d``."""
    if ci is None:
        return ""
    if unit == "percent":
        return f"{ci.low * 100:.1f}–{ci.high * 100:.1f}%"
    if unit == "days":
        return f"{ci.low:,.0f}–{ci.high:,.0f} d"
    low, high = show(ci.low, unit, currency), show(ci.high, unit, currency)
    for suffix in ("k", "M"):  # $28.2k–$37.3k → $28.2–37.3k
        if low.endswith(suffix) and high.endswith(suffix) and ci.low >= 0:
            symbol = SYMBOLS.get(currency, "")
            return f"{low[:-1]}–{high.removeprefix(symbol)}"
    return f"{low}–{high}"


def signed(value: float, unit: str, currency: str) -> str:
    """A difference with its sign; shares in percentage points."""
    sign = "+" if value > 0 else ("-" if value < 0 else "±")
    if unit == "percent":
        return f"{sign}{abs(value) * 100:.1f} pp"
    return sign + show(abs(value), unit, currency)


def p_text(p: float | None) -> str:
    if p is None:
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


# -- the kernel as it stands -----------------------------------------------------------------


def rules_text(rules: FitRules, currency: str) -> str:
    """A segment's fit rules in one line (``any account`` when it sets none)."""
    parts = []
    if rules.industries:
        parts.append("industries " + ", ".join(rules.industries))
    for name, label in (("employees", "employees"), ("annual_revenue", "revenue")):
        bounds = getattr(rules, name)
        if bounds is None:
            continue
        money = name == "annual_revenue"

        def end(v: float | None, money: bool = money) -> str:
            return "…" if v is None else (compact(v, currency) if money else f"{v:,.0f}")

        parts.append(f"{label} {end(bounds.min)}–{end(bounds.max)}")
    if rules.countries:
        parts.append("countries " + ", ".join(rules.countries))
    if rules.technologies:
        parts.append("uses " + " or ".join(rules.technologies))
    for column, fit in rules.fields.items():
        if isinstance(fit, FieldRange):
            low, high = (
                "…" if v is None else f"{v:g}" if isinstance(v, float) else v.isoformat()
                for v in (fit.min, fit.max)
            )
            parts.append(f"{column} {low}–{high}")
        else:
            parts.append(f"{column} " + ", ".join(fit))
    return "; ".join(parts) or "any account"


def _persona_rules(persona: Persona) -> str:
    parts = []
    if persona.titles:
        parts.append("titles " + ", ".join(persona.titles))
    if persona.departments:
        parts.append("departments " + ", ".join(persona.departments))
    return "; ".join(parts)


def _narrative(section: Section, narrative: Narrative) -> None:
    section.add(Paragraph(f"Master narrative: {narrative.statement}"))
    if narrative.products:
        section.add(
            Table(
                ("product", "its part of the story", "segments", "pillars", "programs"),
                tuple(
                    (
                        Cell(p.name, sub=p.id),
                        Cell(p.role),
                        Cell(", ".join(p.segments) or "—"),
                        Cell(", ".join(p.pillars) or "—"),
                        Cell(", ".join(p.programs) or "—"),
                    )
                    for p in narrative.products
                ),
                "The products the master narrative connects.",
            )
        )


def kernel_section(out: Pack, kernel: KernelSpec) -> None:
    """kernel.yaml as it stands: version, positioning, segments, personas, pillars, competitors."""
    section = out.section("kernel", f"The kernel as it stands (kernel.yaml v{kernel.version})")
    section.add(Paragraph(f"Positioning: {kernel.positioning.statement}"))
    if kernel.positioning.value:
        section.add(Paragraph(f"Value: {kernel.positioning.value}"))
    section.add(
        Table(
            ("segment", "priority", "fit rules", "personas"),
            tuple(
                (
                    Cell(s.name, sub=s.id),
                    Cell(s.priority),
                    Cell(rules_text(s.rules, out.currency)),
                    Cell(", ".join(p.id for p in kernel.personas if s.id in p.segments) or "—"),
                )
                for s in kernel.segments
            ),
            "ICP segments in kernel.yaml's order: an account is in the first it fits.",
        )
    )
    if kernel.personas:
        section.add(
            Table(
                ("persona", "seniority", "rules"),
                tuple(
                    (
                        Cell(p.name, sub=p.id),
                        Cell(p.seniority.replace("_", " ")),
                        Cell(_persona_rules(p)),
                    )
                    for p in kernel.personas
                ),
            )
        )
    else:
        section.add(Paragraph("kernel.yaml names no persona.", "muted"))
    if kernel.narrative is not None:
        _narrative(section, kernel.narrative)
    proofs = {p.id: p.claim for p in kernel.proof_points}
    section.add(
        Table(
            ("message pillar", "message", "proof points"),
            tuple(
                (
                    Cell(p.name, sub=p.id),
                    Cell(p.message),
                    Cell("; ".join(proofs.get(x, x) for x in p.proof_points) or "none"),
                )
                for p in kernel.pillars
            ),
        )
    )
    names = ", ".join(f"{c.name} ({c.id})" for c in kernel.competitors)
    section.add(
        Paragraph(f"Competitors in kernel.yaml: {names}.")
        if names
        else Paragraph("kernel.yaml names no competitor.", "muted")
    )


# -- performance by segment, persona and pillar ---------------------------------------------


def _member_row(m: MemberStats, currency: str, *, cost: bool) -> tuple[Cell, ...]:
    tone: Tone = None if m.in_kernel else "muted"
    cells = [
        Cell(m.member, tone),
        Cell(f"{m.closed:,}", tone, numeric=True),
        Cell(show(m.win_rate, "percent", currency), tone, numeric=True,
             sub=span(m.win_rate_ci, "percent", currency)),
        Cell(f"{m.created:,}", tone, numeric=True),
        Cell(show(m.deal_size, "currency", currency), tone, numeric=True,
             sub=span(m.deal_size_ci, "currency", currency)),
        Cell(f"{m.won:,}", tone, numeric=True),
        Cell(show(m.cycle_days, "days", currency), tone, numeric=True,
             sub=span(m.cycle_ci, "days", currency)),
        Cell(show(m.pipeline, "currency", currency), tone, numeric=True),
    ]  # fmt: skip
    if cost:
        cells.append(Cell(fmt(m.pipeline_per_media, "ratio"), tone, numeric=True))
    return tuple(cells)


def performance_section(out: Pack, review: KernelReview) -> None:
    """Deals by segment, persona and pillar over the review's window, with 95% intervals."""
    section = out.section(
        "performance", f"Performance by segment, persona and pillar, {review.window.label}"
    )
    window = review.window
    section.add(
        Paragraph(
            f"The evidence window is {window.describe()}: {review.deals:,} deals created or "
            "closed in it. Win rate counts the deals closed in the window, average deal size and "
            "pipeline the deals created in it, sales cycle the deals won in it (creation day to "
            "close date). A deal is in its account's segment; its persona is that of the first "
            f"lead on its account in the {LOOKBACK_DAYS} days before it, its pillar that of the "
            "first touch on its account carrying one in those days. Small print: the 95% "
            "interval (Wilson for win rates, Student t for means)."
        )
    )
    for note in review.caveats:
        section.add(Paragraph(note, "muted"))
    for dimension, rows in review.performance.items():
        cost = all(m.media is not None for m in rows)
        columns = [DIMENSION_TITLE[dimension], "closed", "win rate", "created", "avg deal",
                   "won", "cycle", "pipeline"]  # fmt: skip
        if cost:
            columns.append("per media $")
        caption = (
            "Per media $: the member's pipeline over the media spend of the programs "
            "channels.yaml maps to it (first listed); people, tools and agency costs map to none."
            if cost
            else "Spend maps to no persona: no cost column."
        )
        title = DIMENSION_TITLE[dimension]
        section.add(
            Group(
                (
                    Paragraph(
                        f"By {title}: kernel.yaml's {title}s first, then deals outside them."
                    ),
                    Table(
                        tuple(columns),
                        tuple(_member_row(m, out.currency, cost=cost) for m in rows),
                        f"{window.label}. {caption}",
                    ),
                )
            )
        )


# -- proposals -------------------------------------------------------------------------------


def group_name(c: Comparison) -> str:
    """What a comparison's group is, in words: ``mid_market_finance``, ``mid_market_finance:
    industry healthcare``, ``mid_market_finance: employees below 870``."""
    if c.dimension != "rule":
        return c.member
    field = {"industries": "industry", "countries": "country"}.get(c.rule or "", c.rule or "")
    if c.member.startswith("<"):
        return f"{c.segment}: {field} below {float(c.member[1:]):,.0f}"
    return f"{c.segment}: {field} {c.member}"


def _evidence_row(c: Comparison, currency: str, *, against: bool = False) -> tuple[Cell, ...]:
    name, unit = MEASURES[c.measure]
    test = c.test
    tone: Tone = "warn" if against else None
    label = f"against: {name}" if against else name
    return (
        Cell(label, tone, sub=f"vs {c.against}"),
        Cell(show(c.value, unit, currency), numeric=True),
        Cell(show(c.other, unit, currency), numeric=True),
        Cell(
            signed(test.difference, unit, currency) if test else "—",
            numeric=True,
            sub=span(test.interval, unit, currency) if test else "",
        ),
        Cell(f"{c.n:,} vs {c.n_other:,}", numeric=True),
        Cell(f"{test.statistic:+.2f}" if test else "—", numeric=True, sub=c.test_name),
        Cell(
            p_text(c.adjusted_p), numeric=True, sub=f"raw {p_text(test.p_value if test else None)}"
        ),
    )


EVIDENCE_COLUMNS = ("evidence", "group", "rest", "difference", "deals", "z", "p (Holm)")


def _proposal_block(p: Proposal, currency: str) -> Group:
    what = p.evidence[0]
    head = Paragraph(
        f"{p.id} · {KIND_LABEL[p.kind]} {group_name(what)} — {p.confidence} confidence. "
        f"Change: {p.change}.",
        "good" if p.confidence == "high" else None,
    )
    rows = [_evidence_row(c, currency) for c in p.evidence]
    rows += [_evidence_row(c, currency, against=True) for c in p.counter]
    caption = (
        "Difference: group minus rest, with its 95% interval; p: Holm-adjusted over every "
        "comparison tested, raw below."
    )
    return Group((head, Table(EVIDENCE_COLUMNS, tuple(rows), caption)))


def _considered_line(c: Comparison, currency: str) -> Paragraph:
    name, unit = MEASURES[c.measure]
    where = c.dimension if c.dimension != "rule" else "segment rule"
    raw = p_text(c.test.p_value if c.test else None)
    return Paragraph(
        f"{group_name(c)} ({where}): {name} {show(c.value, unit, currency)} against "
        f"{show(c.other, unit, currency)} for {c.against} (unadjusted p {raw}); not tested: "
        f"{c.reason}.",
        "muted",
    )


def proposals_section(out: Pack, review: KernelReview) -> None:
    """The proposals with their evidence, mixed evidence, and what was too small to test."""
    section = out.section("proposals", "Kernel refinement proposals")
    cur = out.currency
    tested = review.tested
    untested = len(review.comparisons) - len(tested)
    section.add(
        Paragraph(
            f"Over {review.window.label}, every segment, persona and pillar of kernel.yaml was "
            "compared with the rest of the deals (win rate, average deal size, sales cycle), "
            "every segment rule inside its segment, and every competitor's share of win/loss "
            f"notes in the last quarter against the quarters before: {len(tested)} comparisons "
            f"tested, {untested} left untested for want of deals (each side needs 30). Holm's "
            "correction over all tested comparisons keeps the chance of any false proposal "
            "under 5%. Rules: docs/kernel.md."
        )
    )
    if review.proposals:
        for p in review.proposals:
            section.add(_proposal_block(p, cur))
    else:
        section.add(
            Paragraph(
                f"No proposal for {review.window.label}: none of the {len(tested)} comparisons "
                "tested differs once corrected for the number of comparisons."
                if tested
                else f"No proposal for {review.window.label}: no comparison had the deals to be "
                "tested.",
                "muted",
            )
        )
    for dimension, _, found in review.mixed:
        what = ", ".join(
            f"{MEASURES[c.measure][0]} {'better' if c.better else 'worse'}" for c in found
        )
        section.add(
            Paragraph(
                f"{group_name(found[0])} ({dimension}): the evidence points both ways ({what}): "
                "no proposal.",
                "muted",
            )
        )
    if review.considered:
        shown = review.considered[:CONSIDERED]
        items = [_considered_line(c, cur) for c in shown]
        if len(review.considered) > len(shown):
            more = len(review.considered) - len(shown)
            items.append(Paragraph(f"… and {more} more.", "muted"))
        section.add(
            Paragraph(
                "Considered, not made: differences that look notable but rest on too few deals "
                "to support a proposal.",
                "muted",
            ),
            Bullets(tuple(items)),
        )


# -- what the market said --------------------------------------------------------------------


def voice_section(out: Pack, review: KernelReview) -> None:
    """The window's win/loss themes and competitors."""
    section = out.section("voice", "What the market said: win/loss themes and competitors")
    notes = review.notes
    section.add(
        Paragraph(
            f"{len(notes):,} win/loss notes and {review.signals:,} competitor signals in "
            f"{review.window.describe()}."
        )
    )
    if notes:
        unplaced = sum(1 for n in notes if n.outcome is None)
        if unplaced:
            section.add(
                Paragraph(
                    f"{unplaced:,} of {len(notes):,} notes are matched to no deal their account "
                    f"closed in the {NOTE_DAYS} days before (their account is unknown, or closed "
                    "nothing then): their themes count, but not as after a win or a loss.",
                    "muted",
                )
            )
        themes = Counter(t for n in notes for t in n.tags)
        won = Counter(t for n in notes if n.outcome == "won" for t in n.tags)
        lost = Counter(t for n in notes if n.outcome == "lost" for t in n.tags)
        placed = unplaced < len(notes)  # some notes follow a known win or loss
        rows = []
        for tag, count in sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))[:THEMES]:
            row = [
                Cell(tag),
                Cell(f"{count:,}", numeric=True),
                Cell(fmt(count / len(notes), "percent"), numeric=True),
            ]
            if placed:
                row += [Cell(f"{won[tag]:,}", numeric=True), Cell(f"{lost[tag]:,}", numeric=True)]
            rows.append(tuple(row))
        columns: tuple[str, ...] = ("theme", "notes", "share of notes")
        if placed:
            columns += ("after a win", "after a loss")
        if rows:
            section.add(
                Table(
                    columns,
                    tuple(rows),
                    f"The {len(rows)} most frequent tags of the window's win/loss notes.",
                )
            )
        else:
            section.add(Paragraph("The window's win/loss notes carry no tags.", "muted"))
    else:
        section.add(Paragraph("No win/loss note in the window.", "muted"))
    _competitors(out, review)


def _competitors(out: Pack, review: KernelReview) -> None:
    section = out.get("voice")
    if not review.competitors:
        section.add(Paragraph("No competitor is named in the window's notes or signals.", "muted"))
        return
    shares = {c.member: c for c in review.comparisons if c.measure == "mention_share"}
    rows = []
    for c in review.competitors:
        trend = shares.get(c.name)
        rows.append(
            (
                Cell(c.name, sub=c.kernel_id or ""),
                Cell("yes" if c.kernel_id else "no", None if c.kernel_id else "warn"),
                Cell(f"{c.mentions:,}", numeric=True),
                Cell(f"{c.recent:,}", numeric=True),
                Cell(
                    f"{show(trend.value, 'percent', '')} vs {show(trend.other, 'percent', '')}"
                    if trend
                    else "—",
                    numeric=True,
                ),
                Cell(f"{c.signals:,}", numeric=True),
            )
        )
    section.add(
        Table(
            (
                "competitor",
                "in kernel.yaml",
                "notes naming it",
                "in the last quarter",
                "share of notes: last quarter vs before",
                "signals",
            ),
            tuple(rows),
            f"{review.window.label}; the last quarter is the window's last.",
        )
    )
    unlisted = [c.name for c in review.competitors if c.kernel_id is None and c.mentions]
    kernel = {c.kernel_id for c in review.competitors if c.kernel_id}
    if unlisted:
        section.add(
            Paragraph(
                f"Named in win/loss notes but not in kernel.yaml's competitors: "
                f"{', '.join(unlisted)}.",
                "warn",
            )
        )
    if review.notes and not kernel:
        section.add(
            Paragraph("No competitor of kernel.yaml is named in the window's notes.", "muted")
        )
