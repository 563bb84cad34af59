"""The survey tool and the win/loss programme: NPS/CSAT responses and win/loss interviews.

Files:

- ``survey/nps_responses.csv``: the ``feedback`` rows of kind ``nps`` and ``survey``, as an
  NPS/CSAT tool's response export writes them (Delighted- or Typeform-like): ``Response ID``,
  ``Created At``, ``Email``, ``Name``, ``Company``, ``Survey Type`` (``NPS`` or ``CSAT``),
  ``Score``, ``Comment``, ``Tags``. Response ids are numeric, times ISO 8601 in UTC
  (``2026-03-04T15:22:10Z``: the simulation's workspace-local times converted from the
  workspace's zone, ``ExportContext.timezone``, so the ``Z`` is true), tags comma-separated in
  one cell (``onboarding, pricing``).
  No source was found for one specific tool's exact header; this follows the common shape of
  such exports (one row per response, respondent columns, score, comment, tags).
- ``survey/win_loss.csv``: the ``feedback`` rows of kind ``win_loss``, as a product-marketing
  team keeps its win/loss interview log in a sheet: ``Interview ID`` (``WL-0001``),
  ``Interview Date`` (US ``5/1/2025``), ``Company``, ``Contact Email``, ``Rating``,
  ``Competitor``, ``Summary``, ``Themes`` (``; ``-separated).

Injected problems: a duplicated response and a response without ``Score``; a win/loss interview
dated day-first (``31/02/2026``).
"""

from __future__ import annotations

from pathlib import Path

from demandos.simulate.exports.formats import us_date
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import CsvStyle, FileSpec

NPS_HEADER = (
    "Response ID",
    "Created At",
    "Email",
    "Name",
    "Company",
    "Survey Type",
    "Score",
    "Comment",
    "Tags",
)
WIN_LOSS_HEADER = (
    "Interview ID",
    "Interview Date",
    "Company",
    "Contact Email",
    "Rating",
    "Competitor",
    "Summary",
    "Themes",
)
NPS_PROBLEMS = (Problem("duplicate_row"), Problem("blank_required", "Score"))
WIN_LOSS_PROBLEMS = (Problem("bad_date", "Interview Date"),)
NPS = FileSpec(
    "survey/nps_responses.csv",
    NPS_HEADER,
    style=CsvStyle(lineterminator="\r\n"),
    problems=NPS_PROBLEMS,
)
WIN_LOSS = FileSpec("survey/win_loss.csv", WIN_LOSS_HEADER, problems=WIN_LOSS_PROBLEMS)
SURVEY_TYPES = {"nps": "NPS", "survey": "CSAT"}
RESPONSE_BASE = 40_000_000

QUERY = """
    SELECT f.feedback_id, f.ts, f.kind, f.score, f.text, f.tags, f.competitor,
           p.email, p.first_name, p.last_name, a.name AS company
    FROM feedback f
    LEFT JOIN people p ON p.person_id = f.person_id
    LEFT JOIN accounts a ON a.account_id = f.account_id
    WHERE f.kind IN ({kinds})
    ORDER BY f.ts, f.feedback_id
"""


def score_text(score: float | None) -> str:
    if score is None:
        return ""
    return str(int(score)) if float(score).is_integer() else f"{score:g}"


def _name(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, last) if p)


def _export_nps(ctx: ExportContext) -> Path:
    sql = QUERY.format(kinds="'nps', 'survey'")
    with ctx.csv(NPS, n_rows=ctx.sim.count(sql)) as out:
        for i, r in enumerate(ctx.sim.stream(sql), start=1):
            out.row(
                [
                    str(RESPONSE_BASE + i),
                    f"{ctx.utc(r['ts']):%Y-%m-%dT%H:%M:%SZ}",
                    r["email"] or "",
                    _name(r["first_name"], r["last_name"]),
                    r["company"] or "",
                    SURVEY_TYPES.get(r["kind"], str(r["kind"]).upper()),
                    score_text(r["score"]),
                    r["text"] or "",
                    ", ".join(r["tags"] or []),
                ]
            )
    return out.path


def _export_win_loss(ctx: ExportContext) -> Path:
    sql = QUERY.format(kinds="'win_loss'")
    with ctx.csv(WIN_LOSS, n_rows=ctx.sim.count(sql)) as out:
        for i, r in enumerate(ctx.sim.stream(sql), start=1):
            out.row(
                [
                    f"WL-{i:04d}",
                    us_date(r["ts"]),
                    r["company"] or "",
                    r["email"] or "",
                    score_text(r["score"]),
                    r["competitor"] or "",
                    r["text"] or "",
                    "; ".join(r["tags"] or []),
                ]
            )
    return out.path


@register("survey", "Survey tool and win/loss log", files=(NPS, WIN_LOSS))
def export_survey(ctx: ExportContext) -> list[Path]:
    ctx.sim.require("feedback", "people", "accounts")
    return [_export_nps(ctx), _export_win_loss(ctx)]
