"""Salesforce: report exports as CSV (Export → Details Only → .csv).

Files: ``salesforce/opportunity_history.csv`` (the "Opportunity History" report, one row per
stage or amount change of a deal) and ``salesforce/campaign_members.csv`` (a "Campaign Members"
report, one row per touch; see the campaign members section below).

Layout followed, and where it comes from:

- Columns of the Opportunity History report type. The field labels ``Amount``, ``Close Date``,
  ``Created Date`` and ``Opportunity ID`` are those of Salesforce's ``OpportunityHistory``
  object (developer.salesforce.com field reference, "OpportunityHistory"); ``From Stage``,
  ``To Stage``, ``Edit Date``, ``Opportunity Owner``, ``Account Name``, ``Opportunity Name``,
  ``Closed`` and ``Won`` are the report's column labels as we know them, not confirmed
  against a real export here.
- Every field in double quotes, US-locale values: dates ``5/1/2025``, date-times
  ``5/1/2025 3:04 PM``, amounts without separators (``42000.00``), checkboxes ``1``/``0``
  (a choice: no source for the checkbox format was found).
- Opportunity IDs are 18-character Salesforce ids (key prefix ``006``, with the 3-character
  case-safe suffix computed as Salesforce does), stable for a given simulation.
- The report footer after the rows: an empty line, ``"Grand Totals (N records)"``, an empty
  line, ``"Confidential Information - Do Not Distribute"`` and ``"Copyright (c) 2000-YYYY
  salesforce.com, inc. All rights reserved."`` (public code that cleans these exports drops
  exactly these lines: "EXCLUSION_KEYWORDS = ['Confidential Information - Do Not Distribute',
  'Copyright © 2000-2025 salesforce.com, inc. All rights reserved.']", and test fixtures append
  ``"Grand Totals (5700 records)"`` before them). The year is the data's last year.

Injected problems: a duplicated history row; an impossible ``Close Date`` (``2/30/2026``).

Campaign members, and where the layout comes from:

- Field labels of the ``CampaignMember`` object (developer.salesforce.com field reference,
  "CampaignMember"): ``Campaign ID``, ``Lead/Contact ID``, ``First Name``, ``Last Name``,
  ``Company (Account)``, ``Email``, ``Responded`` (``HasResponded``), ``Created Date``,
  ``First Responded Date`` (a date). ``Campaign Name``, ``Campaign Type``, ``Member Type``
  and ``Member Status`` are the report's column labels as we know them (Campaign Type takes the
  standard picklist values of the campaign ``Type`` field: Advertisement, Email, Webinar,
  Conference, Partners, Referral Program, Telemarketing, Other), not confirmed against a real
  export; ``Account ID`` is the contact's account.
- A person is a member of a campaign once, but touches a campaign many times (ad clicks, page
  views, emails). Orgs that report touches in Salesforce keep them as a custom child object of
  the member, shown by a custom report type "Campaign Members with Touches": one row per touch,
  the member's and campaign's fields repeated. Its fields: ``Touch ID``, ``Touch Date``,
  ``Touch Type``, ``Asset ID``, ``UTM Source``, ``UTM Medium``, ``UTM Campaign`` (UTM fields
  are the custom fields UTM-capture guides add to leads, contacts and members). The member's
  ``Created Date`` is its first touch of the campaign, ``First Responded Date`` the day of its
  first responding touch, ``Member Status`` the status its latest touch gave it.
- Ids: campaigns ``701…``, contacts ``003…`` (a person with an account), leads ``00Q…``
  (without), accounts ``001…``, numbered in the order of the canonical ids like opportunities.
  A touch without a person cannot be a campaign member and is left out; a touch without a
  program belongs to its channel's catch-all campaign (``<channel> - unassigned``).
- Same quoting, US dates and date-times, footer and user time zone as the history report.

Injected problems: a duplicated row; a blank ``Touch Type``; an impossible ``Touch Date``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from demandos.simulate.exports.formats import money, to_cents, us_date, us_datetime
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import CsvExport, CsvStyle, FileSpec

HEADER = (
    "Opportunity Owner",
    "Account Name",
    "Opportunity Name",
    "Opportunity ID",
    "Created Date",
    "Edit Date",
    "From Stage",
    "To Stage",
    "Amount",
    "Close Date",
    "Closed",
    "Won",
)
PROBLEMS = (Problem("duplicate_row"), Problem("bad_date", "Close Date", date_format="%-m/%-d/%Y"))
OPPORTUNITY_HISTORY = FileSpec(
    "salesforce/opportunity_history.csv", HEADER, style=CsvStyle(quoting="all"), problems=PROBLEMS
)
CONFIDENTIAL = "Confidential Information - Do Not Distribute"

QUERY = """
    WITH o AS (SELECT *, row_number() OVER (ORDER BY opp_id) AS n FROM opportunities)
    SELECT h.opp_id, h.changed_at, h.stage, h.amount, h.is_closed, h.is_won,
           lag(h.stage) OVER (PARTITION BY h.opp_id ORDER BY h.changed_at) AS from_stage,
           o.n, o.name, o.owner, o.created_at, o.close_date, a.name AS account
    FROM opportunity_history h
    LEFT JOIN o ON o.opp_id = h.opp_id
    LEFT JOIN accounts a ON a.account_id = o.account_id
    ORDER BY h.opp_id, h.changed_at
"""

MEMBERS_HEADER = (
    "Campaign Name",
    "Campaign ID",
    "Campaign Type",
    "Member Type",
    "Lead/Contact ID",
    "First Name",
    "Last Name",
    "Company (Account)",
    "Account ID",
    "Email",
    "Member Status",
    "Responded",
    "Created Date",
    "First Responded Date",
    "Touch ID",
    "Touch Date",
    "Touch Type",
    "Asset ID",
    "UTM Source",
    "UTM Medium",
    "UTM Campaign",
)
MEMBER_PROBLEMS = (
    Problem("duplicate_row"),
    Problem("blank_required", "Touch Type"),
    Problem("bad_date", "Touch Date", date_format="%-m/%-d/%Y %-I:%M %p"),
)
CAMPAIGN_MEMBERS = FileSpec(
    "salesforce/campaign_members.csv",
    MEMBERS_HEADER,
    style=CsvStyle(quoting="all"),
    problems=MEMBER_PROBLEMS,
)
# channel → the campaign's Type (the standard picklist of the Campaign object)
CAMPAIGN_TYPES = {
    "google_ads": "Advertisement",
    "linkedin_ads": "Advertisement",
    "meta_ads": "Advertisement",
    "newsletter": "Email",
    "webinars": "Webinar",
    "events": "Conference",
    "partners": "Partners",
    "review_sites": "Referral Program",
    "outbound_sdr": "Telemarketing",
}
# touch type → the member status it gives; the first four count as responses
MEMBER_STATUS = {
    "form_fill": "Responded",
    "content_download": "Responded",
    "webinar_attend": "Attended",
    "event_visit": "Attended",
    "ad_click": "Clicked",
    "email_click": "Clicked",
    "partner_referral": "Referred",
    "page_view": "Visited",
    "review_visit": "Visited",
    "sdr_call": "Contacted",
}
RESPONDED = ("Responded", "Attended", "Clicked", "Referred")
_RESPONSES = ", ".join(f"'{t}'" for t, s in MEMBER_STATUS.items() if s in RESPONDED)

# Every touch of a known person, keyed by its campaign: the program, else the channel.
MEMBER_TOUCHES = """
    SELECT t.*, COALESCE(t.program_id, '~' || COALESCE(t.channel, '')) AS campaign_key
    FROM touchpoints t SEMI JOIN people p ON p.person_id = t.person_id
"""
MEMBERS_QUERY = f"""
    WITH t AS ({MEMBER_TOUCHES}),
    c AS (SELECT campaign_key, row_number() OVER (ORDER BY campaign_key) AS campaign_n
          FROM (SELECT DISTINCT campaign_key FROM t)),
    m AS (SELECT person_id, campaign_key, min(ts) AS joined,
                 min(ts) FILTER (WHERE touch_type IN ({_RESPONSES})) AS first_responded,
                 arg_max(touch_type, {{'ts': ts, 'id': touch_id}}) AS last_type
          FROM t GROUP BY person_id, campaign_key),
    p AS (SELECT person_id, account_id, email, first_name, last_name,
                 row_number() OVER (ORDER BY person_id) AS person_n FROM people),
    a AS (SELECT account_id, name, row_number() OVER (ORDER BY account_id) AS account_n
          FROM accounts)
    SELECT t.touch_id, t.ts, t.channel, t.program_id, t.asset_id, t.touch_type,
           t.utm_source, t.utm_medium, t.utm_campaign, c.campaign_n,
           m.joined, m.first_responded, m.last_type,
           p.person_n, p.email, p.first_name, p.last_name, a.account_n, a.name AS company
    FROM t JOIN c USING (campaign_key)
    JOIN m ON m.person_id = t.person_id AND m.campaign_key = t.campaign_key
    JOIN p ON p.person_id = t.person_id
    LEFT JOIN a ON a.account_id = p.account_id
    ORDER BY t.touch_id
"""

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(prefix: str, n: int) -> str:
    """An 18-character Salesforce id: key prefix, base-62 number, case-safe suffix."""
    digits = ""
    while n:
        n, r = divmod(n, 62)
        digits = _BASE62[r] + digits
    short = prefix + digits.rjust(12, "0")
    suffix = ""
    for chunk in (short[0:5], short[5:10], short[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if c.isupper())
        suffix += _SUFFIX[bits]
    return short + suffix


def _flag(value: object) -> str:
    return "" if value is None else ("1" if value else "0")


def _footer(out: CsvExport, n: int, last: datetime | None) -> None:
    """The report footer: record count, confidentiality line, copyright up to the data's year."""
    out.line([])
    out.line([f"Grand Totals ({n} records)"])
    out.line([])
    out.line([CONFIDENTIAL])
    year = last.year if last else 2000
    out.line([f"Copyright (c) 2000-{year} salesforce.com, inc. All rights reserved."])


def _export_history(ctx: ExportContext) -> Path:
    n = ctx.sim.rows("opportunity_history")
    found = ctx.sim.all("SELECT max(changed_at) AS last FROM opportunity_history")
    last: datetime | None = found[0]["last"]
    with ctx.csv(OPPORTUNITY_HISTORY, n_rows=n) as out:
        for r in ctx.sim.stream(QUERY):
            amount = r["amount"]
            out.row(
                [
                    r["owner"] or "",
                    r["account"] or "",
                    r["name"] or "",
                    salesforce_id("006", int(r["n"])) if r["n"] is not None else "",
                    us_date(r["created_at"]) if r["created_at"] else "",
                    us_datetime(r["changed_at"]),
                    r["from_stage"] or "",
                    r["stage"] or "",
                    money(to_cents(amount)) if amount is not None else "",
                    us_date(r["close_date"]) if r["close_date"] else "",
                    _flag(r["is_closed"]),
                    _flag(r["is_won"]),
                ]
            )
        _footer(out, n, last)
    return out.path


def _export_campaign_members(ctx: ExportContext) -> Path:
    n = ctx.sim.count(MEMBER_TOUCHES)
    found = ctx.sim.all(f"SELECT max(ts) AS last FROM ({MEMBER_TOUCHES})")
    last: datetime | None = found[0]["last"]
    with ctx.csv(CAMPAIGN_MEMBERS, n_rows=n) as out:
        for r in ctx.sim.stream(MEMBERS_QUERY):
            contact = r["account_n"] is not None
            person = salesforce_id("003" if contact else "00Q", int(r["person_n"]))
            program = r["program_id"]
            cells = {
                "Campaign Name": ctx.campaign(program) if program else unassigned(r["channel"]),
                "Campaign ID": salesforce_id("701", int(r["campaign_n"])),
                "Campaign Type": CAMPAIGN_TYPES.get(r["channel"] or "", "Other"),
                "Member Type": "Contact" if contact else "Lead",
                "Lead/Contact ID": person,
                "First Name": r["first_name"] or "",
                "Last Name": r["last_name"] or "",
                "Company (Account)": r["company"] or "",
                "Account ID": salesforce_id("001", int(r["account_n"])) if contact else "",
                "Email": r["email"] or "",
                "Member Status": MEMBER_STATUS.get(r["last_type"] or "", "Sent"),
                "Responded": _flag(r["first_responded"] is not None),
                "Created Date": us_datetime(r["joined"]),
                "First Responded Date": (
                    us_date(r["first_responded"]) if r["first_responded"] else ""
                ),
                "Touch ID": r["touch_id"],
                "Touch Date": us_datetime(r["ts"]),
                "Touch Type": r["touch_type"] or "",
                "Asset ID": r["asset_id"] or "",
                "UTM Source": r["utm_source"] or "",
                "UTM Medium": r["utm_medium"] or "",
                "UTM Campaign": r["utm_campaign"] or "",
            }
            out.row([cells[h] for h in MEMBERS_HEADER])
        _footer(out, n, last)
    return out.path


def unassigned(channel: str | None) -> str:
    """The catch-all campaign of a channel's touches that no program claims."""
    return f"{channel or 'unknown'} - unassigned"


@register("salesforce", "Salesforce", files=(OPPORTUNITY_HISTORY, CAMPAIGN_MEMBERS))
def export_salesforce(ctx: ExportContext) -> list[Path]:
    ctx.sim.require("opportunity_history", "opportunities", "accounts", "touchpoints", "people")
    return [_export_history(ctx), _export_campaign_members(ctx)]
