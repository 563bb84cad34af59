"""Mailchimp: the campaign reports export (Reports → Download all reports → CSV).

File: ``mailchimp/campaigns.csv``, one row per sent email campaign.

Layout followed, and where it comes from:

- The aggregated campaign report's columns, in Mailchimp's order: ``Title``, ``Subject``,
  ``List``, ``Send Date``, ``Send Weekday``, ``Total Recipients``, ``Successful Deliveries``,
  ``Soft Bounces``, ``Hard Bounces``, ``Total Bounces``, ``Times Forwarded``,
  ``Forwarded Opens``, ``Unique Opens``, ``Open Rate``, ``Total Opens``, ``Unique Clicks``,
  ``Click Rate``, ``Total Clicks``, ``Unsubscribes``, ``Abuse Complaints``,
  ``Times Liked on Facebook``, ``Folder Id``, ``Unique Id``, ``Total Orders``,
  ``Total Gross Sales``, ``Total Revenue`` (as in real exports used as fixtures by public
  Mailchimp report parsers). Open and click rates are over successful deliveries, as Mailchimp
  defines them ("About Email Campaign Reports", mailchimp.com/help/about-email-campaign-reports:
  "Open rate: Percentage of successfully delivered campaigns that registered as an open").
- Mailchimp's quoting: a field is quoted when it holds a space (``"Send Date"``, ``"Main
  List"``), bare otherwise (``Title``, ``Saturday``, ``27.78%``).
- ``Send Date`` as ``Jun 09, 2018 09:30 pm`` (zero-padded day and 12-hour time, lower-case
  am/pm); rates as percentages with two decimals; ``Unique Id`` a 10-hex-digit campaign id.
- ``Title`` is the campaign's name, which Mailchimp shows only to the account's users and, with
  Google Analytics link tracking on, writes into every link as ``utm_campaign`` by default
  (``utm_source=mailchimp&utm_medium=email&utm_campaign=<campaign name>``, per public
  Mailchimp UTM guides). The company names each send after its program (``Close Notes
  (biweekly newsletter)``, the program's name in channels.yaml, as every platform names that
  program's campaigns here), so the report, the links and the program agree; the issue is told
  apart by ``Subject``, ``Send Date`` and ``Unique Id``. The simulation's own per-send title
  (``Close Notes #1``) is therefore not in the export. The program of a send is the simulation's
  ``program_id`` when its table has one, else the program whose audience it went to (the
  simulation names each newsletter audience ``<program id> subscribers``).
- Total opens and clicks are not in the simulation; they are derived from the unique counts
  (1.9 opens and 1.3 clicks per unique). Forwards, complaints, likes and e-commerce columns
  are 0.

Injected problem: a campaign row without ``Send Date``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from demandos.simulate.exports.formats import month_abbr, percent, weekday
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import CsvStyle, FileSpec

HEADER = (
    "Title",
    "Subject",
    "List",
    "Send Date",
    "Send Weekday",
    "Total Recipients",
    "Successful Deliveries",
    "Soft Bounces",
    "Hard Bounces",
    "Total Bounces",
    "Times Forwarded",
    "Forwarded Opens",
    "Unique Opens",
    "Open Rate",
    "Total Opens",
    "Unique Clicks",
    "Click Rate",
    "Total Clicks",
    "Unsubscribes",
    "Abuse Complaints",
    "Times Liked on Facebook",
    "Folder Id",
    "Unique Id",
    "Total Orders",
    "Total Gross Sales",
    "Total Revenue",
)
PROBLEMS = (Problem("blank_required", "Send Date"),)
CAMPAIGNS = FileSpec(
    "mailchimp/campaigns.csv", HEADER, style=CsvStyle(quoting="spaces"), problems=PROBLEMS
)
QUERY = "SELECT * FROM email_campaigns ORDER BY send_time, campaign_id"
AUDIENCE = " subscribers"  # the simulation's audiences: "<program id> subscribers"


def program_of(row: dict[str, object]) -> str | None:
    """The program a simulated send belongs to: its ``program_id``, else its audience's."""
    program = row.get("program_id")
    if program:
        return str(program)
    audience = str(row.get("list_name") or "")
    return audience.removesuffix(AUDIENCE) if audience.endswith(AUDIENCE) else None


def title(ctx: ExportContext, row: dict[str, object]) -> str:
    """The campaign name: the program's name, else (no program) the simulation's title."""
    program = program_of(row)
    return ctx.campaign(program) if program else str(row.get("title") or "")


def send_date(ts: datetime) -> str:
    """``Jun 09, 2018 09:30 pm``."""
    hour = ts.hour % 12 or 12
    ampm = "am" if ts.hour < 12 else "pm"
    return f"{month_abbr(ts)} {ts.day:02d}, {ts.year} {hour:02d}:{ts.minute:02d} {ampm}"


def unique_id(campaign_id: str) -> str:
    return hashlib.blake2b(campaign_id.encode(), digest_size=5).hexdigest()


@register("mailchimp", "Mailchimp", files=(CAMPAIGNS,))
def export_mailchimp(ctx: ExportContext) -> list[Path]:
    ctx.sim.require("email_campaigns")
    n = ctx.sim.rows("email_campaigns")
    with ctx.csv(CAMPAIGNS, n_rows=n) as out:
        for r in ctx.sim.stream(QUERY):
            delivered = int(r["delivered"])
            opens, clicks = int(r["unique_opens"]), int(r["unique_clicks"])
            soft, hard = int(r["soft_bounces"]), int(r["hard_bounces"])
            sent: datetime | None = r["send_time"]
            out.row(
                [
                    title(ctx, r),
                    r["subject"] or "",
                    r["list_name"] or "",
                    send_date(sent) if sent else "",
                    weekday(sent) if sent else "",
                    str(int(r["recipients"])),
                    str(delivered),
                    str(soft),
                    str(hard),
                    str(soft + hard),
                    "0",
                    "0",
                    str(opens),
                    percent(opens, delivered, missing="0%"),
                    str(opens * 19 // 10),
                    str(clicks),
                    percent(clicks, delivered, missing="0%"),
                    str(clicks * 13 // 10),
                    str(int(r["unsubscribes"])),
                    "0",
                    "0",
                    "0",
                    unique_id(str(r["campaign_id"])),
                    "0",
                    "0",
                    "0",
                ]
            )
    return [out.path]
