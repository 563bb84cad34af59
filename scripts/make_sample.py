"""Write the small sample data set bundled with demandos (src/demandos/sample/*.csv).

Fifteen weeks of one small B2B SaaS company, in canonical shape, using the channel, program,
segment and pillar ids of the starter workspace so that the two agree. Deterministic: the same
script writes the same bytes. It carries three deliberately bad rows (a currency symbol in an
amount, an impossible date, a blank channel) so a new user sees the quarantine at work.

    .venv/bin/python scripts/make_sample.py
"""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "src" / "demandos" / "spec" / "starter"
OUT = ROOT / "src" / "demandos" / "sample"
START = date(2026, 8, 3)  # a Monday
DAYS = 105  # fifteen weeks
INDUSTRIES = ["software", "fintech", "healthcare", "manufacturing", "retail", "logistics"]
COUNTRIES = ["US", "US", "US", "GB", "DE", "CA", "NL"]
TITLES = [
    "Controller",
    "Financial Controller",
    "CFO",
    "VP Finance",
    "Head of Finance",
    "AP Manager",
    "Accounts Payable Lead",
    "Finance Operations Manager",
    "Software Engineer",
    "Office Manager",
]
STAGES = ["Discovery", "Evaluation", "Proposal", "Negotiation"]


def starter() -> tuple[list[dict[str, object]], list[dict[str, object]], list[str], list[str]]:
    yaml = YAML(typ="safe")
    channels = yaml.load((STARTER / "channels.yaml").read_text())
    kernel = yaml.load((STARTER / "kernel.yaml").read_text())
    segments = [s["id"] for s in kernel["segments"]]
    pillars = [p["id"] for p in kernel["pillars"]]
    return channels["channels"], channels["programs"], segments, pillars


def ts(day: date, rng: random.Random) -> str:
    moment = datetime.combine(day, datetime.min.time()) + timedelta(
        hours=rng.randint(7, 19), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)
    )
    return moment.isoformat(sep=" ")


def write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with (OUT / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


def main() -> None:
    rng = random.Random(20261123)
    OUT.mkdir(exist_ok=True)
    channels, programs, segments, pillars = starter()
    channel_type = {c["id"]: c["type"] for c in channels}
    platform = {c["id"]: c.get("platform") or c["id"] for c in channels}
    paid = [p for p in programs if channel_type[p["channel"]] == "paid"]
    owned = [c["id"] for c in channels if c["type"] == "owned"]
    days = [START + timedelta(d) for d in range(DAYS)]

    accounts = []
    for i in range(1, 61):
        industry = rng.choice(INDUSTRIES)
        employees = int(rng.lognormvariate(5.3, 1.1)) + 10
        accounts.append(
            [
                f"acc{i:03d}",
                f"{_company(rng)} {i}",
                f"company{i:03d}.example",
                industry,
                employees,
                round(employees * rng.uniform(90_000, 220_000), -3),
                rng.choice(COUNTRIES),
                ts(days[0] - timedelta(rng.randint(30, 900)), rng),
            ]
        )
    write(
        "accounts",
        [
            "account_id",
            "name",
            "domain",
            "industry",
            "employees",
            "annual_revenue",
            "country",
            "created_at",
        ],
        accounts,
    )

    people, touches = [], []
    touch_id = 0
    for i in range(1, 241):
        account = rng.choice(accounts)
        created = rng.choice(days[:-10])
        lead = created + timedelta(rng.randint(0, 5))
        mql = lead + timedelta(rng.randint(3, 20)) if rng.random() < 0.45 else None
        sql = mql + timedelta(rng.randint(3, 15)) if mql and rng.random() < 0.5 else None
        program = rng.choice(programs)
        people.append(
            [
                f"p{i:04d}",
                account[0],
                f"person{i}@{account[2]}",
                rng.choice(TITLES),
                ts(created, rng),
                ts(lead, rng),
                ts(mql, rng) if mql and mql <= days[-1] else None,
                ts(sql, rng) if sql and sql <= days[-1] else None,
                program["channel"],
            ]
        )
        for _ in range(rng.randint(2, 14)):
            day = created + timedelta(rng.randint(0, 40))
            if day > days[-1]:
                continue
            p = rng.choice(programs)
            touch_id += 1
            touches.append(
                [
                    f"t{touch_id:05d}",
                    ts(day, rng),
                    f"p{i:04d}",
                    account[0],
                    p["channel"],
                    p["id"],
                    f"as{rng.randint(1, 15):02d}" if rng.random() < 0.4 else None,
                    rng.choice(
                        [
                            "ad_click",
                            "page_view",
                            "form_fill",
                            "email_click",
                            "webinar_attend",
                            "content_download",
                        ]
                    ),
                ]
            )
    people[17][5] = "2026-09-31 10:00:00"  # an impossible date: quarantined
    touches[41][4] = ""  # a blank channel: quarantined
    write(
        "people",
        [
            "person_id",
            "account_id",
            "email",
            "title",
            "created_at",
            "lead_at",
            "mql_at",
            "sql_at",
            "lead_source",
        ],
        people,
    )
    write(
        "touchpoints",
        [
            "touch_id",
            "ts",
            "person_id",
            "account_id",
            "channel",
            "program_id",
            "asset_id",
            "touch_type",
        ],
        touches,
    )

    spend = []
    for day in days:
        for p in paid:
            amount = round(float(p.get("monthly_budget") or 3000) / 30 * rng.uniform(0.6, 1.4), 2)
            impressions = int(amount * rng.uniform(40, 90))
            clicks = int(impressions * rng.uniform(0.004, 0.02))
            spend.append(
                [
                    day.isoformat(),
                    p["channel"],
                    platform[p["channel"]],
                    p["id"],
                    f"{amount:.2f}",
                    "USD",
                    impressions,
                    clicks,
                    round(clicks * rng.uniform(0.02, 0.08), 1),
                ]
            )
    spend[10][4] = "$1,204.00"  # a currency symbol: quarantined
    write(
        "spend",
        [
            "date",
            "channel",
            "platform",
            "program_id",
            "amount",
            "currency",
            "impressions",
            "clicks",
            "conversions",
        ],
        spend,
    )

    costs = []
    for month in (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)):
        costs += [
            [month.isoformat(), "people", "Marketing team (3 FTE, loaded)", 38_500],
            [month.isoformat(), "tools", "CRM and marketing automation", 2_150],
            [month.isoformat(), "tools", "Analytics and enrichment", 640],
            [month.isoformat(), "agency", "Paid media agency retainer", 4_000],
            [month.isoformat(), "other", "Events and travel", rng.choice([0, 1_800, 3_500])],
        ]
    write("costs", ["month", "category", "item", "amount"], costs)

    opps, history = [], []
    for i in range(1, 37):
        account = rng.choice(accounts)
        created = rng.choice(days[5:-5])
        amount = round(rng.lognormvariate(10.2, 0.5), -2)
        changed, stage_amount = created, amount
        steps = rng.randint(1, 5)
        stage = STAGES[0]
        for s in range(steps):
            stage = STAGES[s] if s < len(STAGES) else rng.choice(["Closed Won", "Closed Lost"])
            if s == 2:
                stage_amount = round(stage_amount * rng.uniform(0.8, 1.2), -2)
            if changed > days[-1]:
                break
            closed = stage.startswith("Closed")
            history.append(
                [
                    f"opp{i:03d}",
                    ts(changed, rng),
                    stage,
                    stage_amount,
                    closed,
                    stage == "Closed Won",
                ]
            )
            last_change = changed
            changed = changed + timedelta(rng.randint(7, 25))
        closed = stage.startswith("Closed")
        opps.append(
            [
                f"opp{i:03d}",
                account[0],
                ts(created, rng),
                stage_amount,
                stage,
                last_change.isoformat() if closed else (created + timedelta(90)).isoformat(),
                closed,
                stage == "Closed Won",
                rng.choice(["marketing", "marketing", "sales", "partner"]),
            ]
        )
    write(
        "opportunities",
        [
            "opp_id",
            "account_id",
            "created_at",
            "amount",
            "stage",
            "close_date",
            "is_closed",
            "is_won",
            "source",
        ],
        opps,
    )
    write(
        "opportunity_history",
        ["opp_id", "changed_at", "stage", "amount", "is_closed", "is_won"],
        history,
    )

    kinds = ["guide", "case_study", "webinar", "blog_post", "benchmark_report"]
    assets = [
        [
            f"as{i:02d}",
            f"{_topic(rng)} ({kinds[i % len(kinds)].replace('_', ' ')})",
            kinds[i % len(kinds)],
            pillars[i % len(pillars)],
            ";".join(rng.sample(segments, k=rng.randint(1, len(segments)))),
            None,
            "published",
            ts(days[0] - timedelta(rng.randint(-60, 200)), rng),
            f"as{i - 5:02d}" if i > 10 else None,
            None,
        ]
        for i in range(1, 16)
    ]
    write(
        "assets",
        [
            "asset_id",
            "title",
            "type",
            "pillar",
            "segments",
            "persona",
            "status",
            "published_at",
            "parent_asset_id",
            "owner",
        ],
        assets,
    )

    audiences = []
    for channel in owned:
        size = rng.randint(1_500, 4_000)
        for day in days:
            size += rng.randint(-3, 14)
            audiences.append([day.isoformat(), channel, size])
    write("audiences", ["date", "channel", "size"], audiences)

    feedback = []
    for i in range(1, 26):
        kind = rng.choice(["nps", "nps", "win_loss", "survey"])
        score = rng.randint(0, 10) if kind == "nps" else None
        feedback.append(
            [
                f"fb{i:03d}",
                ts(rng.choice(days), rng),
                rng.choice(accounts)[0],
                None,
                kind,
                score,
                _comment(rng, kind),
                "onboarding;pricing" if i % 3 else "reporting",
                "Competitor A" if i % 5 == 0 else None,
            ]
        )
    write(
        "feedback",
        [
            "feedback_id",
            "ts",
            "account_id",
            "person_id",
            "kind",
            "score",
            "text",
            "tags",
            "competitor",
        ],
        feedback,
    )

    signals = [
        [
            f"sig{i:02d}",
            ts(rng.choice(days), rng),
            rng.choice(["Competitor A", "Competitor B"]),
            rng.choice(["pricing_change", "launch", "hiring", "messaging"]),
            "Observed on the competitor's website",
            "manual",
        ]
        for i in range(1, 9)
    ]
    write(
        "competitor_signals", ["signal_id", "ts", "competitor", "kind", "note", "source"], signals
    )


def _company(rng: random.Random) -> str:
    return rng.choice(
        [
            "Northwind",
            "Contoso",
            "Globex",
            "Initech",
            "Umbrella",
            "Stark",
            "Wayne",
            "Hooli",
            "Vandelay",
            "Soylent",
            "Tyrell",
            "Cyberdyne",
        ]
    )


def _topic(rng: random.Random) -> str:
    return rng.choice(
        [
            "Pipeline efficiency",
            "Attribution without guesswork",
            "The weekly review",
            "ICP scoring",
            "Owned audiences",
            "Budget pacing",
        ]
    )


def _comment(rng: random.Random, kind: str) -> str:
    if kind == "win_loss":
        return rng.choice(
            [
                "Won: reporting depth",
                "Lost: price",
                "Lost: chose Competitor A",
                "Won: time to value",
            ]
        )
    return rng.choice(
        [
            "Setup took longer than expected",
            "The weekly pack saves us hours",
            "Would like more integrations",
            "Clear value",
        ]
    )


if __name__ == "__main__":
    main()
