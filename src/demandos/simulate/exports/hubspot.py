"""HubSpot: contacts, companies and deals as the CRM's index-page export writes them.

Files: ``hubspot/contacts.csv`` (every person), ``hubspot/contacts.xlsx`` (the same export saved
as Excel, for the first 5,000 of the same rows), ``hubspot/companies.csv``, ``hubspot/deals.csv``.

Layout followed, and where it comes from:

- Default file names and column layout of HubSpot's "all properties" export
  (``hubspot-crm-exports-all-contacts-2023-02-21.csv`` in public code that reads one): the
  record's ``Record ID`` and name columns first (``First Name``, ``Last Name`` for contacts;
  ``Company name`` for companies; ``Deal Name`` for deals), then every property by its label
  in case-insensitive alphabetical order (``Company domain name`` < ``Company Name`` <
  ``Company size``), then the association columns (``Associated Company``, then
  ``Associated Company IDs``).
- Property labels as HubSpot defines them (property definitions mirrored in public
  integrations: ``hs_lifecyclestage_lead_date`` → ``Became a Lead Date``,
  ``hs_lifecyclestage_marketingqualifiedlead_date`` → ``Became a Marketing Qualified Lead
  Date``, ``hs_lifecyclestage_salesqualifiedlead_date`` → ``Became a Sales Qualified Lead
  Date``, ``createdate`` → ``Create Date``, ``lifecyclestage`` → ``Lifecycle Stage``; the real
  contacts export above also shows ``Original Source``, ``Original Source Drill-Down 1/2``,
  ``Job Title``, ``Persona``, ``Country/Region``; deal exports read by public code carry
  ``Record ID,Deal Name,Deal Stage,Amount,Deal owner,Close Date``; ``Pipeline`` and
  ``Deal Type`` are HubSpot's standard deal properties).
- Values: option labels, not internal values (``Marketing Qualified Lead`` for
  ``marketingqualifiedlead``; ``Paid Social``, ``Organic Search`` …), amounts as typed
  (``42000``), date-times as ``YYYY-MM-DD HH:MM`` (UTC here). The date-time format is the one
  public fixtures of HubSpot exports use; it was not confirmed against HubSpot's documentation.
  HubSpot's API docs (developers.hubspot.com/docs/api/crm/exports) list CSV, XLSX and XLS as
  export formats. The XLSX has one sheet, the same header, typed cells (numbers, date-times).
- Record IDs are HubSpot-style integers, stable for a given simulation: contacts, companies and
  deals are numbered in the order of the canonical ids, so ``Associated Company IDs`` in
  contacts and deals point at ``Record ID`` in companies.
- Salesforce ids. The company runs Salesforce as its CRM of record, and HubSpot's Salesforce
  integration writes the Salesforce id of each synced record onto the HubSpot record. The
  exports carry them as the "all properties" export does, by label, sorted with the others:

  - companies: ``Salesforce Account ID`` (internal name ``salesforceaccountid``), standard;
  - contacts: ``Salesforce Contact ID`` (``salesforcecontactid``) for a person with an account,
    ``Salesforce Lead ID`` (``salesforceleadid``) for one without, and ``Salesforce Account ID``
    (``salesforceaccountid``, the contact's ``AccountId``), all standard;
  - deals: ``Salesforce Opportunity ID`` (``hs_salesforceopportunityid``), standard; and
    ``Salesforce Account ID``, the opportunity's ``AccountId``: HubSpot has no standard deal
    property for it (it turns the account into the deal's company association, which the
    export writes as a HubSpot record id), so this is a custom deal property the team maps to
    ``Opportunity.AccountId`` in the integration's deal field mappings.

  Internal names are those public code reads from HubSpot's API for records synced with
  Salesforce (contacts ``salesforcecontactid``/``salesforceleadid``/``salesforceaccountid``,
  companies ``salesforceaccountid``, deals ``hs_salesforceopportunityid``); the labels are the
  integration's as we know them, not confirmed against a real export here. Values are the
  18-character ids the Salesforce exports use for the same records (``salesforce.py``: accounts
  ``001``, contacts ``003``, leads ``00Q``, opportunities ``006``, the same numbering), so the
  two systems' files join.

Injected problems: duplicate contact and company rows, a contact without ``Email`` (CSV and
XLSX), an impossible ``Create Date``; a deal without ``Close Date``, a deal ``Amount`` typed as
``$42,000.00``, an impossible deal ``Close Date``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from demandos.simulate.exports.formats import plain_amount
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.salesforce import salesforce_id
from demandos.simulate.exports.source import Row
from demandos.simulate.exports.writer import CsvStyle, FileSpec

DATETIME = "%Y-%m-%d %H:%M"
XLSX_ROWS = 5_000
CONTACT_BASE, COMPANY_BASE, DEAL_BASE = 1_000, 4_000_000_000, 8_000_000_000


def _by_label(*labels: str) -> tuple[str, ...]:
    return tuple(sorted(labels, key=str.casefold))


CONTACTS_HEADER = (
    "Record ID",
    "First Name",
    "Last Name",
    *_by_label(
        "Became a Lead Date",
        "Became a Marketing Qualified Lead Date",
        "Became a Sales Qualified Lead Date",
        "Company Name",
        "Country/Region",
        "Create Date",
        "Email",
        "Job Title",
        "Job function",
        "Lifecycle Stage",
        "Original Source",
        "Original Source Drill-Down 1",
        "Original Source Drill-Down 2",
        "Persona",
        "Salesforce Account ID",
        "Salesforce Contact ID",
        "Salesforce Lead ID",
    ),
    "Associated Company",
    "Associated Company IDs",
)
COMPANIES_HEADER = (
    "Record ID",
    "Company name",
    *_by_label(
        "Annual Revenue",
        "Company Domain Name",
        "Country/Region",
        "Create Date",
        "Ideal Customer Profile Tier",
        "Industry",
        "Number of Employees",
        "Salesforce Account ID",
        "Segment",
        "Web Technologies",
    ),
)
DEALS_HEADER = (
    "Record ID",
    "Deal Name",
    *_by_label(
        "Amount",
        "Close Date",
        "Create Date",
        "Deal owner",
        "Deal Stage",
        "Deal Type",
        "Pipeline",
        "Salesforce Account ID",
        "Salesforce Opportunity ID",
    ),
    "Associated Company",
    "Associated Company IDs",
)

CONTACT_PROBLEMS = (
    Problem("duplicate_row"),
    Problem("blank_required", "Email"),
    Problem("bad_date", "Create Date", date_format=DATETIME),
)
XLSX_PROBLEMS = (Problem("blank_required", "Email"),)
COMPANY_PROBLEMS = (Problem("duplicate_row"),)
DEAL_PROBLEMS = (
    Problem("blank_required", "Close Date"),
    Problem("currency_format", "Amount"),
    Problem("bad_date", "Close Date", date_format=DATETIME),
)

STYLE = CsvStyle(lineterminator="\n")
CONTACTS = FileSpec("hubspot/contacts.csv", CONTACTS_HEADER, style=STYLE, problems=CONTACT_PROBLEMS)
CONTACTS_XLSX = FileSpec(
    "hubspot/contacts.xlsx", CONTACTS_HEADER, style=None, problems=XLSX_PROBLEMS
)
COMPANIES = FileSpec(
    "hubspot/companies.csv", COMPANIES_HEADER, style=STYLE, problems=COMPANY_PROBLEMS
)
DEALS = FileSpec("hubspot/deals.csv", DEALS_HEADER, style=STYLE, problems=DEAL_PROBLEMS)

LIFECYCLE = {
    "subscriber": "Subscriber",
    "lead": "Lead",
    "marketingqualifiedlead": "Marketing Qualified Lead",
    "salesqualifiedlead": "Sales Qualified Lead",
    "opportunity": "Opportunity",
    "customer": "Customer",
    "evangelist": "Evangelist",
    "other": "Other",
}
# lead source (a channel id) → HubSpot's Original Source and its first drill-down
ORIGINAL_SOURCE: dict[str, tuple[str, str]] = {
    "organic_search": ("Organic Search", "google"),
    "direct": ("Direct Traffic", ""),
    "newsletter": ("Email Marketing", "Newsletter"),
    "webinars": ("Offline Sources", "INTEGRATION"),
    "review_sites": ("Referrals", "g2.com"),
    "partners": ("Referrals", "partner"),
    "events": ("Offline Sources", "IMPORT"),
    "outbound_sdr": ("Offline Sources", "CRM_UI"),
    "google_ads": ("Paid Search", "google"),
    "linkedin_ads": ("Paid Social", "LinkedIn"),
    "meta_ads": ("Paid Social", "Facebook"),
}

# Records are numbered in the order of the canonical ids, once: HubSpot's record ids add a base,
# the Salesforce ids synced onto them take the same number (``salesforce.py`` numbers alike).
COMPANY_IDS = f"""
    SELECT account_id, row_number() OVER (ORDER BY account_id) AS n,
           row_number() OVER (ORDER BY account_id) + {COMPANY_BASE} AS rid
    FROM accounts
"""
CONTACTS_QUERY = f"""
    WITH c AS ({COMPANY_IDS}),
    p AS (SELECT *, row_number() OVER (ORDER BY person_id) AS n FROM people)
    SELECT p.n + {CONTACT_BASE} AS rid, p.n AS sf_n, p.first_name, p.last_name, p.email,
           p.title, p.department, p.created_at, p.lead_at,
           p.mql_at, p.sql_at, p.lead_source, p.lifecycle_stage, p.persona,
           a.name AS company, a.country, c.rid AS company_rid, c.n AS company_n
    FROM p LEFT JOIN accounts a ON a.account_id = p.account_id
    LEFT JOIN c ON c.account_id = p.account_id
    ORDER BY p.n
"""
COMPANIES_QUERY = f"""
    WITH c AS ({COMPANY_IDS})
    SELECT c.rid, c.n AS sf_n, a.* FROM accounts a JOIN c USING (account_id) ORDER BY c.rid
"""
DEALS_QUERY = f"""
    WITH c AS ({COMPANY_IDS}),
    d AS (SELECT *, row_number() OVER (ORDER BY opp_id) AS n FROM opportunities)
    SELECT d.n + {DEAL_BASE} AS rid, d.n AS sf_n, d.name, d.amount, d.close_date, d.created_at,
           d.owner, d.stage,
           a.name AS company, c.rid AS company_rid, c.n AS company_n
    FROM d LEFT JOIN accounts a ON a.account_id = d.account_id
    LEFT JOIN c ON c.account_id = d.account_id
    ORDER BY d.n
"""


def stamp(value: datetime | date | None) -> str:
    """A HubSpot date-time cell: ``2026-03-04 15:22``; a date is midnight; empty when unset."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value.strftime(DATETIME)


def original_source(lead_source: str | None) -> tuple[str, str]:
    if not lead_source:
        return "", ""
    return ORIGINAL_SOURCE.get(lead_source, ("Other Campaigns", lead_source))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _minute(value: datetime | None) -> datetime | None:
    """HubSpot shows date-times to the minute."""
    return value.replace(second=0, microsecond=0) if value else None


def contact_cells(r: Row) -> dict[str, object]:
    """A contact's typed cells by header label (datetimes stay datetimes, for the XLSX)."""
    source, drill = original_source(r["lead_source"])
    stage = r["lifecycle_stage"]
    return {
        "Record ID": int(r["rid"]),
        "First Name": _text(r["first_name"]),
        "Last Name": _text(r["last_name"]),
        "Became a Lead Date": _minute(r["lead_at"]),
        "Became a Marketing Qualified Lead Date": _minute(r["mql_at"]),
        "Became a Sales Qualified Lead Date": _minute(r["sql_at"]),
        "Company Name": _text(r["company"]),
        "Country/Region": _text(r["country"]),
        "Create Date": _minute(r["created_at"]),
        "Email": _text(r["email"]),
        "Job Title": _text(r["title"]),
        "Job function": _text(r["department"]),
        "Lifecycle Stage": LIFECYCLE.get(stage, _text(stage).title()) if stage else "",
        "Original Source": source,
        "Original Source Drill-Down 1": drill,
        "Original Source Drill-Down 2": "",
        "Persona": _text(r["persona"]),
        **salesforce_ids(r),
        "Associated Company": _text(r["company"]),
        "Associated Company IDs": _text(r["company_rid"]),
    }


def salesforce_ids(r: Row) -> dict[str, str]:
    """The Salesforce ids the integration syncs onto a contact: its contact (with an account) or
    lead (without) id, and its account's id, numbered as the Salesforce exports number them."""
    if r["company_n"] is None:
        lead = salesforce_id("00Q", int(r["sf_n"]))
        return {
            "Salesforce Account ID": "",
            "Salesforce Contact ID": "",
            "Salesforce Lead ID": lead,
        }
    return {
        "Salesforce Account ID": salesforce_id("001", int(r["company_n"])),
        "Salesforce Contact ID": salesforce_id("003", int(r["sf_n"])),
        "Salesforce Lead ID": "",
    }


def _as_text(value: object) -> str:
    return stamp(value) if isinstance(value, (datetime, date)) else _text(value)


def _export_contacts(ctx: ExportContext) -> list[Path]:
    n = ctx.sim.rows("people")  # one row per person: the left joins add none
    found = ctx.sim.all("SELECT max(created_at) AS last FROM people")
    last = found[0]["last"] or datetime(2000, 1, 1)
    n_xlsx = min(n, XLSX_ROWS)
    csv_out = ctx.csv(CONTACTS, n_rows=n)
    xlsx_out = ctx.xlsx(
        CONTACTS_XLSX,
        n_rows=n_xlsx,
        stamp=datetime.combine(last.date(), time()),
        number_formats={h: "yyyy-mm-dd hh:mm" for h in CONTACTS_HEADER if "Date" in h},
    )
    with csv_out, xlsx_out:
        for i, r in enumerate(ctx.sim.stream(CONTACTS_QUERY)):
            cells = contact_cells(r)
            csv_out.row([_as_text(cells[h]) for h in CONTACTS_HEADER])
            if i < n_xlsx:
                xlsx_out.row([cells[h] if cells[h] != "" else None for h in CONTACTS_HEADER])
    return [csv_out.path, xlsx_out.path]


def _export_companies(ctx: ExportContext) -> Path:
    icp = ctx.sim.has_column("accounts", "in_icp")
    seg = ctx.sim.has_column("accounts", "segment")
    with ctx.csv(COMPANIES, n_rows=ctx.sim.rows("accounts")) as out:
        for r in ctx.sim.stream(COMPANIES_QUERY):
            tier = (
                ("Tier 1" if r["in_icp"] else "Tier 3") if icp and r["in_icp"] is not None else ""
            )
            industry = _text(r["industry"]).replace("_", " ").title()
            cells = {
                "Record ID": _text(r["rid"]),
                "Company name": _text(r["name"]),
                "Annual Revenue": plain_amount(r["annual_revenue"]),
                "Company Domain Name": _text(r["domain"]),
                "Country/Region": _text(r["country"]),
                "Create Date": stamp(r["created_at"]),
                "Ideal Customer Profile Tier": tier,
                "Industry": industry,
                "Number of Employees": _text(r["employees"]),
                "Salesforce Account ID": salesforce_id("001", int(r["sf_n"])),
                "Segment": _text(r["segment"]) if seg else "",
                # a multiple checkboxes property: HubSpot exports its values joined by ';'
                "Web Technologies": ";".join(r["technologies"] or ()),
            }
            out.row([cells[h] for h in COMPANIES_HEADER])
    return out.path


def _export_deals(ctx: ExportContext) -> Path:
    with ctx.csv(DEALS, n_rows=ctx.sim.rows("opportunities")) as out:
        for r in ctx.sim.stream(DEALS_QUERY):
            cells = {
                "Record ID": _text(r["rid"]),
                "Deal Name": _text(r["name"]),
                "Amount": plain_amount(r["amount"]),
                "Close Date": stamp(r["close_date"]),
                "Create Date": stamp(r["created_at"]),
                "Deal owner": _text(r["owner"]),
                "Deal Stage": _text(r["stage"]),
                "Deal Type": "New Business",
                "Pipeline": "Sales Pipeline",
                "Salesforce Account ID": (
                    salesforce_id("001", int(r["company_n"])) if r["company_n"] is not None else ""
                ),
                "Salesforce Opportunity ID": salesforce_id("006", int(r["sf_n"])),
                "Associated Company": _text(r["company"]),
                "Associated Company IDs": _text(r["company_rid"]),
            }
            out.row([cells[h] for h in DEALS_HEADER])
    return out.path


@register("hubspot", "HubSpot", files=(CONTACTS, CONTACTS_XLSX, COMPANIES, DEALS))
def export_hubspot(ctx: ExportContext) -> list[Path]:
    ctx.sim.require("people", "accounts", "opportunities")
    contacts = _export_contacts(ctx)
    return [*contacts, _export_companies(ctx), _export_deals(ctx)]
