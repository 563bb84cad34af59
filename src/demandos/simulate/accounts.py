"""The market: accounts with firmographics drawn per segment, and how much each one engages.

Each account belongs to one segment (``SegmentParams``, by ``share_of_accounts``); its industry,
country and size are drawn from the segment's ranges, and its annual revenue is employees × a
revenue per head. Leads pick their account by an engagement weight: the segment's (ICP segments
engage more) × a per-account lognormal factor (some accounts are simply more active). Targeted
channels (paid, outbound, events, partners) tilt further towards the ICP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from demandos.simulate.names import (
    COMPANY_SUFFIXES,
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    CRMS,
    ERP_BY_SIZE,
    FIRST_NAMES,
    LAST_NAMES,
    SALES_REPS,
)
from demandos.simulate.params import CompanyParams, SizeParams
from demandos.simulate.window import DAY, BoolArray, FloatArray, IntArray, Window

OFF_ICP = "off_icp"
ENGAGEMENT = {"mid_market_finance": 1.6, "scaling_saas": 1.4, OFF_ICP: 0.6}  # per segment
ENGAGEMENT_SIGMA = 0.9  # lognormal spread of engagement between accounts of a segment
TARGETED_TILT = 2.5  # targeted channels favour ICP accounts by this factor
REVENUE_PER_HEAD = 210_000.0  # mean, lognormal
PRE_WINDOW_SHARE = 0.4  # of accounts already in the CRM when the window opens
PRE_WINDOW_DAYS = 730


@dataclass(frozen=True, eq=False)
class Accounts:
    """The accounts, as arrays; ``name_offset`` spreads contact names within an account."""

    segment: IntArray  # index into params.segments
    in_icp: BoolArray
    ids: pa.Array
    names: pa.Array
    domains: pa.Array
    owner: IntArray  # index into SALES_REPS
    name_offset: IntArray
    import_t: IntArray  # when the account would be created in the CRM without any lead
    weight_broad: FloatArray  # normalized engagement, for inbound channels
    weight_targeted: FloatArray  # normalized, tilted towards the ICP
    columns: dict[str, pa.Array]  # firmographic columns of the accounts table

    def __len__(self) -> int:
        return int(self.segment.size)


def _company_names(n: int, generator: np.random.Generator) -> tuple[list[str], list[str]]:
    a, b, c = len(COMPANY_WORDS_A), len(COMPANY_WORDS_B), len(COMPANY_SUFFIXES)
    combos = a * b * c
    perm = generator.permutation(combos)
    names: list[str] = []
    domains: list[str] = []
    for i in range(n):
        k = int(perm[i % combos])
        name = f"{COMPANY_WORDS_A[k // (b * c)]} {COMPANY_WORDS_B[(k // c) % b]}"
        name += f" {COMPANY_SUFFIXES[k % c]}"
        if i >= combos:
            name += f" {i // combos + 1}"
        names.append(name)
        domains.append(re.sub(r"[^a-z0-9]", "", name.lower()) + ".example")
    return names, domains


def _technologies(employees: IntArray) -> list[list[str]]:
    """Each company's ERP (by its size) and CRM, chosen by its row number: no random draw, so
    the rest of the simulation is the same with or without them."""
    out = []
    for i, size in enumerate(employees.tolist()):
        erps = next(options for limit, options in ERP_BY_SIZE if size < limit)
        crm = CRMS[i % len(CRMS)]
        techs = [erps[i % len(erps)], crm]
        out.append(sorted(set(techs)))
    return out


def make_accounts(
    params: CompanyParams, size: SizeParams, window: Window, generator: np.random.Generator
) -> Accounts:
    g = generator
    n = size.accounts
    segs = params.segments
    shares = np.array([s.share_of_accounts for s in segs])
    segment = g.choice(len(segs), size=n, p=shares / shares.sum()).astype(np.int64)
    ind_arr = np.empty(n, dtype=object)
    cty_arr = np.empty(n, dtype=object)
    employees = np.zeros(n, dtype=np.int64)
    ind_u, cty_u, emp_u = g.random(n), g.random(n), g.random(n)
    for k, s in enumerate(segs):
        rows = np.flatnonzero(segment == k)
        ind = np.minimum((ind_u[rows] * len(s.industries)).astype(np.int64), len(s.industries) - 1)
        cw = 1.0 / np.arange(1, len(s.countries) + 1) ** 1.2
        cty = np.searchsorted(np.cumsum(cw / cw.sum()), cty_u[rows], side="right")
        cty = np.minimum(cty, len(s.countries) - 1)
        lo, hi = np.log(s.employees[0]), np.log(s.employees[1])
        employees[rows] = np.rint(np.exp(lo + emp_u[rows] * (hi - lo))).astype(np.int64)
        ind_arr[rows] = np.array(s.industries, dtype=object)[ind]
        cty_arr[rows] = np.array(s.countries, dtype=object)[cty]
    per_head = REVENUE_PER_HEAD * g.lognormal(-0.5 * 0.35**2, 0.35, size=n)
    revenue = np.round(employees * per_head, -3)

    names, domains = _company_names(n, g)
    in_icp = np.array([segs[int(k)].id != OFF_ICP for k in segment], dtype=np.bool_)
    seg_weight = np.array([ENGAGEMENT.get(s.id, 1.0) for s in segs])[segment]
    sigma = ENGAGEMENT_SIGMA
    weight = seg_weight * g.lognormal(-0.5 * sigma**2, sigma, size=n)
    targeted = weight * np.where(in_icp, TARGETED_TILT, 1.0)
    pre = g.random(n) < PRE_WINDOW_SHARE
    import_t = np.where(
        pre,
        -g.integers(1, PRE_WINDOW_DAYS * DAY, size=n),
        g.integers(0, window.end_s, size=n),
    ).astype(np.int64)
    ids = pa.array([f"acc-{i + 1:07d}" for i in range(n)], pa.string())
    columns = {
        "account_id": ids,
        "name": pa.array(names, pa.string()),
        "domain": pa.array(domains, pa.string()),
        "industry": pa.array(list(ind_arr), pa.string()),
        "employees": pa.array(employees, pa.int64()),
        "annual_revenue": pa.array(revenue.astype(np.float64), pa.float64()),
        "country": pa.array(list(cty_arr), pa.string()),
        "technologies": pa.array(_technologies(employees), pa.list_(pa.string())),
        "segment": pa.array([segs[int(k)].id for k in segment], pa.string()),
        "in_icp": pa.array(in_icp, pa.bool_()),
    }
    return Accounts(
        segment=segment,
        in_icp=in_icp,
        ids=ids,
        names=columns["name"],
        domains=columns["domain"],
        owner=g.integers(0, len(SALES_REPS), size=n).astype(np.int64),
        name_offset=g.integers(0, len(FIRST_NAMES) * len(LAST_NAMES), size=n).astype(np.int64),
        import_t=import_t,
        weight_broad=weight / weight.sum(),
        weight_targeted=targeted / targeted.sum(),
        columns=columns,
    )


def accounts_columns(
    accounts: Accounts, first_person_t: IntArray, window: Window
) -> dict[str, pa.Array]:
    """The accounts table: created when imported or when its first person appeared, if earlier."""
    created = np.minimum(accounts.import_t, first_person_t)
    return {**accounts.columns, "created_at": window.timestamps(created)}
