"""The simulated company's truth: the parameters its demand engine runs on.

Everything the simulation draws from is declared here, so tests can check that what comes out
(funnel rates, delays, deal sizes, spend, each channel's incremental effect) matches what went in.
The ids match the demo workspace's specs (``simulate/company/*.yaml``): segments and personas of
``kernel.yaml``, channels and programs of ``channels.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Size = Literal["small", "medium", "large"]


@dataclass(frozen=True)
class SizeParams:
    """How big the company is: the scale knobs for tests, the demo and the benchmarks."""

    accounts: int
    # Mean contacts per account that ever become known. Every person is a lead, so this
    # follows from leads_per_day × the window's days ÷ accounts (after seasonality).
    people_per_account: float
    leads_per_day: float  # mean new leads per day across all channels (before seasonality)
    chunk_rows: int = 250_000  # rows per Parquet part when streaming


SIZES: dict[str, SizeParams] = {
    "small": SizeParams(accounts=1_500, people_per_account=7.5, leads_per_day=22.0),
    "medium": SizeParams(accounts=20_000, people_per_account=4.6, leads_per_day=180.0),
    # ≥ 10M touchpoints, ≥ 1M people, ≥ 100k opportunities over 18 months
    "large": SizeParams(accounts=370_000, people_per_account=7.0, leads_per_day=4_800.0),
}


@dataclass(frozen=True)
class SegmentParams:
    """An ICP segment (or the off-ICP rest) and how its deals truly behave."""

    id: str  # a kernel.yaml segment id, or "off_icp"
    share_of_accounts: float
    industries: tuple[str, ...]
    employees: tuple[int, int]  # min, max
    countries: tuple[str, ...]
    lead_to_mql: float  # probability a lead becomes an MQL
    mql_to_sql: float
    sql_to_opp: float
    win_rate: float  # won ÷ (won + lost)
    deal_size_mean: float  # mean opportunity amount in the workspace currency (lognormal)
    deal_size_sigma: float  # lognormal sigma
    cycle_days_mean: float  # opportunity created → closed, mean days (gamma, shape 3)


@dataclass(frozen=True)
class ChannelParams:
    """A channel: its kind, its platform, and how it truly creates demand."""

    id: str  # channels.yaml id
    type: Literal["owned", "earned", "paid"]
    platform: str  # the export the channel's data comes from (google_ads, linkedin_ads, …)
    utm_source: str
    utm_medium: str
    share_of_baseline_leads: float  # of the leads that arrive without spend (organic demand)
    # Paid channels: leads per day caused by spend, through adstock and saturation:
    #   effect(t) = max_leads_per_day * s(t) / (s(t) + half_saturation), s = adstocked spend
    max_leads_per_day: float = 0.0
    half_saturation: float = 1.0  # adstocked daily spend at which half of max is reached
    adstock_decay: float = 0.5  # share of yesterday's adstock carried to today
    cpc: float = 0.0  # cost per click (paid)
    ctr: float = 0.0  # clicks ÷ impressions (paid)
    noise_touch_rate: float = 0.0  # non-causal touches per person from this channel (exposure)


@dataclass(frozen=True)
class ProgramParams:
    """A program running on a channel; its budget drives spend for paid channels."""

    id: str  # channels.yaml program id
    channel: str
    kind: Literal["always_on", "campaign", "launch"]
    daily_budget: float = 0.0
    start: date | None = None
    end: date | None = None
    # A launch spikes: budget × spike_multiplier in its first spike_days, then decays.
    spike_multiplier: float = 1.0
    spike_days: int = 0


@dataclass(frozen=True)
class ContentParams:
    """The content engine: assets published on a rhythm, whose influence decays slowly."""

    assets_per_week: float = 2.0
    half_life_days: float = 180.0  # an asset's pull halves every half-life: it compounds
    leads_per_asset_per_day: float = 0.02  # at publication, before decay (scaled by size)


@dataclass(frozen=True)
class CompanyParams:
    """Everything the simulation of the demo company draws from."""

    name: str
    currency: str
    start: date  # first simulated day
    months: int  # 18
    segments: tuple[SegmentParams, ...]
    channels: tuple[ChannelParams, ...]
    programs: tuple[ProgramParams, ...]
    content: ContentParams = field(default_factory=ContentParams)
    seasonality: tuple[float, ...] = (  # monthly multipliers, January first
        0.95,
        1.0,
        1.1,
        1.0,
        1.0,
        0.9,
        0.75,
        0.7,
        1.05,
        1.15,
        1.1,
        0.8,
    )
    weekend_factor: float = 0.25  # leads on a Saturday or Sunday relative to a weekday
    lead_to_mql_days: float = 9.0  # mean delay (exponential), per stage
    mql_to_sql_days: float = 12.0
    sql_to_opp_days: float = 10.0
    monthly_costs: tuple[tuple[str, str, float], ...] = (  # category, item, amount per month
        ("people", "Demand team salaries and benefits (6 FTE)", 78_000.0),
        ("tools", "CRM and marketing automation", 4_200.0),
        ("tools", "Analytics, enrichment and attribution", 1_650.0),
        ("tools", "Webinar and content tools", 700.0),
        ("agency", "Paid media agency retainer", 6_000.0),
        ("agency", "Freelance writers and design", 3_500.0),
        ("other", "Events, sponsorships and travel", 5_000.0),
    )
    competitors: tuple[str, ...] = ("Ledgerly", "PayStack ERP", "BillBox")


NORTHWIND = CompanyParams(
    name="Northwind Finance Cloud",
    currency="USD",
    start=date(2025, 5, 1),
    months=18,
    segments=(
        SegmentParams(
            id="mid_market_finance",
            share_of_accounts=0.30,
            industries=("manufacturing", "wholesale", "logistics", "professional_services"),
            employees=(200, 2_000),
            countries=("US", "CA", "GB"),
            lead_to_mql=0.32,
            mql_to_sql=0.36,
            sql_to_opp=0.52,
            win_rate=0.32,
            deal_size_mean=32_000.0,
            deal_size_sigma=0.45,
            cycle_days_mean=75.0,
        ),
        SegmentParams(
            id="scaling_saas",
            share_of_accounts=0.25,
            industries=("software", "fintech"),
            employees=(50, 500),
            countries=("US", "GB", "DE", "NL"),
            lead_to_mql=0.28,
            mql_to_sql=0.33,
            sql_to_opp=0.48,
            win_rate=0.24,
            deal_size_mean=14_000.0,
            deal_size_sigma=0.40,
            cycle_days_mean=40.0,
        ),
        SegmentParams(
            id="off_icp",
            share_of_accounts=0.45,
            industries=("retail", "healthcare", "education", "nonprofit", "hospitality"),
            employees=(5, 10_000),
            countries=("US", "FR", "IN", "BR", "AU"),
            lead_to_mql=0.14,
            mql_to_sql=0.22,
            sql_to_opp=0.40,
            win_rate=0.11,
            deal_size_mean=7_000.0,
            deal_size_sigma=0.60,
            cycle_days_mean=95.0,
        ),
    ),
    channels=(
        ChannelParams(
            "organic_search", "owned", "ga4", "google", "organic", 0.26, noise_touch_rate=1.2
        ),
        ChannelParams("direct", "owned", "ga4", "(direct)", "(none)", 0.14, noise_touch_rate=0.8),
        ChannelParams(
            "newsletter", "owned", "mailchimp", "newsletter", "email", 0.10, noise_touch_rate=1.5
        ),
        ChannelParams(
            "webinars", "owned", "zoom", "webinar", "webinar", 0.08, noise_touch_rate=0.2
        ),
        ChannelParams("review_sites", "earned", "g2", "g2", "review", 0.07, noise_touch_rate=0.3),
        ChannelParams(
            "partners",
            "earned",
            "partner_portal",
            "partner",
            "referral",
            0.09,
            noise_touch_rate=0.1,
        ),
        ChannelParams("events", "earned", "events", "event", "event", 0.06, noise_touch_rate=0.1),
        ChannelParams(
            "outbound_sdr", "owned", "salesforce", "outbound", "sdr", 0.10, noise_touch_rate=0.4
        ),
        ChannelParams(
            "google_ads",
            "paid",
            "google_ads",
            "google",
            "cpc",
            0.04,
            max_leads_per_day=7.0,
            half_saturation=450.0,
            adstock_decay=0.3,
            cpc=9.5,
            ctr=0.045,
            noise_touch_rate=0.6,
        ),
        ChannelParams(
            "linkedin_ads",
            "paid",
            "linkedin_ads",
            "linkedin",
            "paid_social",
            0.03,
            max_leads_per_day=6.0,
            half_saturation=700.0,
            adstock_decay=0.6,
            cpc=11.0,
            ctr=0.006,
            noise_touch_rate=1.0,
        ),
        ChannelParams(
            "meta_ads",
            "paid",
            "meta_ads",
            "facebook",
            "paid_social",
            0.03,
            max_leads_per_day=2.5,
            half_saturation=250.0,
            adstock_decay=0.5,
            cpc=2.2,
            ctr=0.011,
            noise_touch_rate=1.2,
        ),
    ),
    programs=(
        ProgramParams("seo_content_hub", "organic_search", "always_on"),
        ProgramParams("close_notes", "newsletter", "always_on"),
        ProgramParams("month_end_webinars", "webinars", "always_on"),
        ProgramParams("review_generation", "review_sites", "always_on"),
        ProgramParams("accounting_partners", "partners", "always_on"),
        ProgramParams(
            "finance_summits", "events", "campaign", start=date(2025, 9, 1), end=date(2026, 6, 30)
        ),
        ProgramParams("sdr_outbound", "outbound_sdr", "always_on"),
        ProgramParams("direct_traffic", "direct", "always_on"),
        ProgramParams("google_high_intent", "google_ads", "always_on", daily_budget=260.0),
        ProgramParams("google_competitor", "google_ads", "always_on", daily_budget=90.0),
        ProgramParams("linkedin_controllers", "linkedin_ads", "always_on", daily_budget=300.0),
        ProgramParams("meta_retargeting", "meta_ads", "always_on", daily_budget=80.0),
        # The heroic campaign: a big launch that spikes and drops off.
        ProgramParams(
            "close_in_3_days_launch",
            "linkedin_ads",
            "launch",
            daily_budget=250.0,
            start=date(2026, 3, 2),
            end=date(2026, 5, 31),
            spike_multiplier=6.0,
            spike_days=21,
        ),
    ),
)
