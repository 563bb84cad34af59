"""Media-mix model: what each paid channel's spend adds to weekly pipeline created, and where the
next dollar should go. Built on PyMC-Marketing, installed with ``pip install 'demandos[mmm]'``.

Data: weekly (Monday-start) media spend per channel from the canonical ``spend`` table and weekly
**pipeline created** (DESIGN: the amount of opportunities created in the week) from
``opportunities``, over the last ``weeks`` complete weeks of data.

Model (``pymc_marketing.mmm.multidimensional.MMM``):

* geometric adstock with ``l_max = 10`` weeks. In B2B the spend that brings a lead this week shows
  up as pipeline only when the lead becomes an opportunity — typically 3 to 8 weeks later for a
  mid-market deal (MQL, SDR qualification, discovery call). Ten weeks covers that lag with room
  for a slow quarter-end, without asking 78-104 weeks of data to support 13 lag weights;
* logistic saturation per channel, priors scaled like PyMC-Marketing's guidance: the effect's
  ``β`` is HalfNormal with a scale proportional to the channel's share of spend;
* controls: a linear trend and two yearly Fourier modes (the seasonality of the budget year).

The fit is saved under ``.demandos/mmm/`` (the inference data as netCDF via PyMC-Marketing's
``save``, and ``fit.json`` with the data window, the input hash and the scales) so the report,
the reallocation and the optimization-sprint pack reuse it and say when it is stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from demandos.errors import DemandosError
from demandos.feedback.mmm_response import (
    FloatArray,
    Reallocation,
    ResponseCurve,
    quantiles,
    reallocate,
)

if TYPE_CHECKING:
    from demandos.workspace import Workspace

INSTALL = "pip install 'demandos[mmm]'"
L_MAX = 10  # weeks of carry-over: see the module docstring
# The effect priors: HalfNormal scales that put the prior mean of all paid media together near a
# third of pipeline (the mean of HalfNormal(σ) is 0.8σ, saturation near 0.8 at today's spend),
# split by spend share; the data moves it. See docs/mmm.md.
PAID_SHARE = 0.5
MMM_DIR = "mmm"  # under .demandos/
MODEL_FILE = "model.nc"
META_FILE = "fit.json"
Method = Literal["nuts", "advi"]


class MMMError(DemandosError):
    """The media-mix model cannot run: the extra is missing, too little data, or no fit saved."""


def available() -> bool:
    """Whether PyMC-Marketing (the ``mmm`` extra) is installed."""
    return find_spec("pymc_marketing") is not None


@contextmanager
def quiet() -> Iterator[None]:
    """PyMC, PyTensor and ArviZ talk a lot (import notices, sampler progress, BLAS advice): the
    diagnostics that matter (R-hat, divergences) are read from the draws and reported instead."""
    loggers = [logging.getLogger(n) for n in ("pymc", "pytensor", "pymc_marketing", "arviz")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if available():  # PyMC sets its logger's level when first imported: import it first
            import pymc_marketing  # noqa: F401
        levels = [lg.level for lg in loggers]
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def require() -> None:
    if not available():
        raise MMMError("the media-mix model needs PyMC-Marketing, which is not installed",
                       hint=f"install the extra: {INSTALL}")  # fmt: skip


# -- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyData:
    """Weekly spend per channel and pipeline created: the model's input."""

    frame: pd.DataFrame  # week (Monday), one column per channel, pipeline, trend
    channels: list[str]
    currency: str

    @property
    def start(self) -> date:
        return pd.Timestamp(self.frame["week"].iloc[0]).date()

    @property
    def end(self) -> date:  # the last week's Sunday
        return pd.Timestamp(self.frame["week"].iloc[-1]).date() + timedelta(days=6)

    @property
    def n_weeks(self) -> int:
        return len(self.frame)

    def digest(self) -> str:
        """A hash of exactly what the model reads: changes when any week's spend or pipeline do."""
        cols = ["week", *self.channels, "pipeline"]
        text = self.frame[cols].to_csv(index=False, float_format="%.2f")
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def weekly_data(ws: Workspace, *, weeks: int = 104, end: date | None = None) -> WeeklyData:
    """The last ``weeks`` complete weeks (Monday to Sunday) up to ``end`` (default: the data's)."""
    spend = ws.facts.table("spend")
    opps = ws.facts.table("opportunities")
    daily = (
        spend.group_by([spend.date, spend.channel]).aggregate(amount=spend.amount.sum()).execute()
    )
    created = opps.select(day=opps.created_at.date(), amount=opps.amount).execute()
    if daily.empty or float(daily["amount"].sum()) <= 0:
        raise MMMError("no media spend in the store: the model needs weekly spend per channel",
                       hint="load the ad platforms' exports (demandos load)")  # fmt: skip
    last = end or max(pd.Timestamp(daily["date"].max()).date(), _last_day(created))
    last_week = _monday(last + timedelta(days=1)) - timedelta(days=7)  # last complete week
    first_data = pd.Timestamp(daily["date"].min()).date()
    first_week = max(last_week - timedelta(weeks=weeks - 1), _monday(first_data))
    if first_week < first_data:  # a partial first week would read as a dip in spend
        first_week += timedelta(days=7)
    index = pd.date_range(first_week, last_week, freq="7D")
    if len(index) < 26:
        raise MMMError(f"only {len(index)} complete weeks of spend: the model needs 26 or more",
                       hint="load more history, or wait for more weeks of data")  # fmt: skip
    daily["week"] = pd.to_datetime(daily["date"]).dt.to_period("W-SUN").dt.start_time
    wide = daily.pivot_table(index="week", columns="channel", values="amount", aggfunc="sum")
    wide = wide.reindex(index, fill_value=0.0).fillna(0.0)
    channels = sorted(c for c in wide.columns if float(wide[c].sum()) > 0)
    created["week"] = pd.to_datetime(created["day"]).dt.to_period("W-SUN").dt.start_time
    pipe = created.groupby("week")["amount"].sum().reindex(index, fill_value=0.0).fillna(0.0)
    frame = pd.DataFrame({"week": index})
    for c in channels:
        frame[c] = wide[c].to_numpy(dtype=np.float64)
    frame["pipeline"] = pipe.to_numpy(dtype=np.float64)
    frame["trend"] = np.linspace(0.0, 1.0, len(index))
    return WeeklyData(frame, channels, ws.specs.workspace.currency)


def _last_day(created: pd.DataFrame) -> date:
    days = created["day"].dropna()
    return pd.Timestamp(days.max()).date() if not days.empty else date.min


# -- fit -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitMeta:
    """What a saved fit was made from and how: enough to reuse it and to know when it is stale."""

    fitted_at: str
    method: str
    draws: int
    chains: int
    weeks: int
    start: str
    end: str
    input_hash: str
    channels: list[str]
    currency: str
    channel_scale: dict[str, float]
    target_scale: float
    current_spend: dict[str, float]  # mean weekly spend of the last 13 weeks
    l_max: int = L_MAX
    max_rhat: float | None = None
    divergences: int | None = None


@dataclass
class Fit:
    """A fitted model read back: its draws and what it was fitted on."""

    meta: FitMeta
    contributions: FloatArray  # draws × weeks × channels, in currency
    beta: FloatArray  # draws × channels
    lam: FloatArray  # draws × channels
    alpha: FloatArray  # draws × channels
    spend: FloatArray  # weeks × channels
    pipeline: FloatArray  # weeks
    stale: str | None = None  # why the data no longer matches, if it does not
    path: Path = field(default_factory=Path)

    def curves(self) -> list[ResponseCurve]:
        m = self.meta
        return [
            ResponseCurve(c, self.beta[:, i], self.lam[:, i], m.channel_scale[c], m.target_scale)
            for i, c in enumerate(m.channels)
        ]

    def contribution_rows(self) -> list[ChannelContribution]:
        rows = []
        totals = self.contributions.sum(axis=1)  # draws × channels
        for i, c in enumerate(self.meta.channels):
            spent = float(self.spend[:, i].sum())
            lo, hi = quantiles(totals[:, i])
            roi = totals[:, i] / spent if spent > 0 else np.zeros(totals.shape[0])
            r_lo, r_hi = quantiles(roi)
            adstock_lo, adstock_hi = quantiles(self.alpha[:, i])
            rows.append(
                ChannelContribution(
                    channel=c,
                    spend=spent,
                    contribution=float(totals[:, i].mean()),
                    low=lo,
                    high=hi,
                    roi=float(roi.mean()),
                    roi_low=r_lo,
                    roi_high=r_hi,
                    carryover=float(self.alpha[:, i].mean()),
                    carryover_low=adstock_lo,
                    carryover_high=adstock_hi,
                )
            )
        return rows


@dataclass(frozen=True)
class ChannelContribution:
    """A channel's pipeline over the fitted window and pipeline per dollar (ROI), with intervals."""

    channel: str
    spend: float
    contribution: float
    low: float
    high: float
    roi: float
    roi_low: float
    roi_high: float
    carryover: float  # adstock α: share of a week's effect carried to the next
    carryover_low: float
    carryover_high: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_dir(ws: Workspace) -> Path:
    return ws.data_dir / MMM_DIR


def _compile_cache(ws: Workspace) -> None:
    """Keep PyTensor's compiled code in the workspace: later fits skip the ~40 s compile."""
    if "base_compiledir" not in os.environ.get("PYTENSOR_FLAGS", ""):
        cache = ws.data_dir / "pytensor"
        cache.mkdir(parents=True, exist_ok=True)
        flags = os.environ.get("PYTENSOR_FLAGS", "")
        os.environ["PYTENSOR_FLAGS"] = ",".join(f for f in (flags, f"base_compiledir={cache}") if f)


def _build(data: WeeklyData) -> Any:
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    totals = data.frame[data.channels].sum().to_numpy()
    share = totals / totals.sum()
    y = data.frame["pipeline"].to_numpy()
    level = float(y.mean() / np.abs(y).max())  # mean weekly pipeline in the model's units
    model_config = {
        "intercept": Prior("HalfNormal", sigma=2 * level),
        "likelihood": Prior("Normal", sigma=Prior("HalfNormal", sigma=level), dims="date"),
        "gamma_control": Prior("Normal", mu=0, sigma=level, dims="control"),
        "gamma_fourier": Prior("Laplace", mu=0, b=level / 4, dims="fourier_mode"),
    }
    adstock = GeometricAdstock(
        l_max=L_MAX, priors={"alpha": Prior("Beta", alpha=2, beta=3, dims="channel")}
    )
    saturation = LogisticSaturation(
        priors={
            "beta": Prior(
                "HalfNormal", sigma=(PAID_SHARE * level * share).tolist(), dims="channel"
            ),
            "lam": Prior("Gamma", alpha=3, beta=1, dims="channel"),
        }
    )
    return MMM(
        date_column="week",
        channel_columns=data.channels,
        target_column="pipeline",
        control_columns=["trend"],
        yearly_seasonality=2,
        adstock=adstock,
        saturation=saturation,
        model_config=model_config,
    )


def fit_mmm(
    ws: Workspace,
    *,
    weeks: int = 104,
    method: Method = "nuts",
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 7,
    end: date | None = None,
) -> Fit:
    """Fit the model on the workspace's data, save it under ``.demandos/mmm/``, return it."""
    require()
    _compile_cache(ws)
    data = weekly_data(ws, weeks=weeks, end=end)
    with quiet():
        return _fit(ws, data, method=method, draws=draws, tune=tune, chains=chains, seed=seed)


def _fit(
    ws: Workspace,
    data: WeeklyData,
    *,
    method: Method,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
) -> Fit:
    mmm = _build(data)
    X = data.frame[["week", *data.channels, "trend"]]
    y = data.frame["pipeline"]
    rng = np.random.default_rng(seed)
    if method == "advi":
        mmm.approximate_fit(X, y, progressbar=False, random_seed=seed,
                            fit_kwargs={"n": 20_000, "method": "advi"},
                            sample_kwargs={"draws": draws * chains})  # fmt: skip
        max_rhat, divergences, chains_used = None, None, 1
    else:
        mmm.fit(X, y, draws=draws, tune=tune, chains=chains, cores=1, progressbar=False,
                random_seed=rng, target_accept=0.9)  # fmt: skip
        max_rhat, chains_used = _diagnostics(mmm.idata), chains
        divergences = int(mmm.idata.sample_stats["diverging"].sum())
    scales = mmm.get_scales_as_xarray()
    recent = data.frame[data.channels].tail(13).mean()
    meta = FitMeta(
        fitted_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        method=method,
        draws=draws,
        chains=chains_used,
        weeks=data.n_weeks,
        start=data.start.isoformat(),
        end=data.end.isoformat(),
        input_hash=data.digest(),
        channels=data.channels,
        currency=data.currency,
        channel_scale={c: float(scales["channel_scale"].sel(channel=c)) for c in data.channels},
        target_scale=float(scales["target_scale"]),
        current_spend={c: float(recent[c]) for c in data.channels},
        max_rhat=max_rhat,
        divergences=divergences,
    )
    folder = model_dir(ws)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (MODEL_FILE + ".tmp")
    mmm.save(str(tmp))
    tmp.replace(folder / MODEL_FILE)  # a failed save leaves the previous fit intact
    (folder / META_FILE).write_text(json.dumps(asdict(meta), indent=2) + "\n", encoding="utf-8")
    return load_fit(ws, check=False)


def _diagnostics(idata: Any) -> float:
    import arviz as az

    rhat = az.rhat(  # type: ignore[no-untyped-call]
        idata, var_names=["saturation_beta", "saturation_lam", "adstock_alpha"]
    )
    return float(max(float(rhat[v].max()) for v in rhat.data_vars))


def load_fit(ws: Workspace, *, check: bool = True) -> Fit:
    """The saved fit; ``stale`` says why it no longer matches the store, if it does not."""
    folder = model_dir(ws)
    if not (folder / META_FILE).exists() or not (folder / MODEL_FILE).exists():
        raise MMMError("no media-mix model has been fitted in this workspace",
                       hint="fit one: demandos mmm fit")  # fmt: skip
    require()
    with quiet():
        import arviz as az

        meta = FitMeta(**json.loads((folder / META_FILE).read_text(encoding="utf-8")))
        idata = az.from_netcdf(folder / MODEL_FILE)  # type: ignore[no-untyped-call]
    post = idata.posterior

    def stack(name: str) -> FloatArray:
        arr = post[name].stack(sample=("chain", "draw"))
        return np.asarray(arr.transpose("sample", ...).to_numpy(), dtype=np.float64)

    fit = Fit(
        meta=meta,
        contributions=stack("channel_contribution") * meta.target_scale,
        beta=stack("saturation_beta"),
        lam=stack("saturation_lam"),
        alpha=stack("adstock_alpha"),
        spend=np.asarray(idata.fit_data[meta.channels].to_dataframe().to_numpy(), np.float64),
        pipeline=np.asarray(idata.fit_data["pipeline"].to_numpy(), dtype=np.float64),
        path=folder,
    )
    if check:
        fit.stale = staleness(ws, meta)
    return fit


def staleness(ws: Workspace, meta: FitMeta) -> str | None:
    """Why the saved fit no longer matches the store (new weeks, changed data), or None."""
    try:
        now = weekly_data(ws, weeks=meta.weeks)
    except MMMError as e:
        return f"the store no longer gives the model's input ({e.message})"
    if now.end.isoformat() != meta.end:
        return f"fitted on data to {meta.end}; the store now runs to {now.end.isoformat()}"
    if now.digest() != meta.input_hash:
        return f"the spend or pipeline of {meta.start} to {meta.end} changed since the fit"
    return None


def budget_reallocation(
    fit: Fit, *, budget: float | None = None, max_shift: float = 0.3, weeks: int = 13
) -> Reallocation:
    """The constrained reallocation of the current weekly budget on the fit's response curves."""
    return reallocate(fit.curves(), fit.meta.current_spend, budget=budget, max_shift=max_shift,
                      weeks=weeks)  # fmt: skip


def curve_spec(fit: Fit) -> dict[str, Any]:
    """A Vega-Lite chart of every channel's weekly response curve with its interval band."""
    rows = []
    for curve in fit.curves():
        now = fit.meta.current_spend[curve.channel]
        for spend, mean, lo, hi in curve.points(np.linspace(0.0, 2.0 * now, 41)):
            point = {"spend": spend, "pipeline": mean, "low": lo, "high": hi}
            rows.append({"channel": curve.channel, **{k: round(v, 2) for k, v in point.items()}})
    today = [
        {"channel": c.channel, "spend": round(s, 2), "pipeline": round(c.mean(s), 2)}
        for c in fit.curves()
        for s in [fit.meta.current_spend[c.channel]]
    ]
    cur = fit.meta.currency
    x = {"field": "spend", "type": "quantitative", "title": f"weekly spend ({cur})"}
    color = {"field": "channel", "type": "nominal"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 480,
        "height": 260,
        "layer": [
            {
                "data": {"values": rows},
                "mark": {"type": "area", "opacity": 0.18},
                "encoding": {
                    "x": x,
                    "y": {"field": "low", "type": "quantitative"},
                    "y2": {"field": "high"},
                    "color": color,
                },
            },
            {
                "data": {"values": rows},
                "mark": "line",
                "encoding": {
                    "x": x,
                    "color": color,
                    "y": {
                        "field": "pipeline",
                        "type": "quantitative",
                        "title": f"weekly pipeline created ({cur})",
                    },
                },
            },
            {
                "data": {"values": today},
                "mark": {"type": "point", "filled": True, "size": 70},
                "encoding": {
                    "x": x,
                    "y": {"field": "pipeline", "type": "quantitative"},
                    "color": color,
                },
            },
        ],
    }


def response_chart(fit: Fit, path: Path) -> None:
    """Write the response curves to ``path``: SVG, or self-contained HTML for ``.html``."""
    import vl_convert

    spec = curve_spec(fit)
    if path.suffix.lower() in (".html", ".htm"):
        path.write_text(vl_convert.vegalite_to_html(spec, bundle=True), encoding="utf-8")
    elif path.suffix.lower() == ".svg":
        path.write_text(vl_convert.vegalite_to_svg(spec), encoding="utf-8")
    else:
        raise MMMError(f"cannot write a chart as {path.name}",
                       hint="name the file .svg or .html")  # fmt: skip
