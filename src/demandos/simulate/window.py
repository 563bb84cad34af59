"""The simulated window: its days and months, time in seconds, and the random streams drawn over it.

Inside the engine a moment is an ``int64`` count of seconds since the first simulated day at
00:00 (naive, the workspace's time zone), a day is an ``int64`` offset from that day. Only the
writers turn them into Arrow timestamps and dates. Anything at or after ``end_s`` has not happened
yet and is never recorded.

Every random draw comes from a generator named by a :class:`Stream` and a few integer keys (the
month, for instance), derived from the one seed with ``numpy.random.SeedSequence``: streams are
independent of each other and of how the output is split into files.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum

import numpy as np
import numpy.typing as npt
import pyarrow as pa

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

DAY = 86_400
HOUR = 3_600
NONE = -1  # "not reached inside the window" for moments, "none" for indices


class Stream(IntEnum):
    """The independent random streams of the simulation."""

    ACCOUNTS = 1
    ASSETS = 2
    AUDIENCES = 3
    SPEND = 4
    ARRIVALS = 5
    PEOPLE = 6
    FUNNEL = 7
    TOUCHES = 8
    WEB = 9
    EMAIL = 10
    FEEDBACK = 11
    SIGNALS = 12


def rng(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    """The generator of ``stream`` (and ``keys``, e.g. the month) for ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(stream), *keys)))


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole calendar months (the day clipped to the month's length)."""
    year, month0 = divmod(d.month - 1 + months, 12)
    last = calendar.monthrange(d.year + year, month0 + 1)[1]
    return date(d.year + year, month0 + 1, min(d.day, last))


@dataclass(frozen=True, eq=False)
class Window:
    """The simulated months, with per-day calendar facts."""

    start: date
    months: int
    n_days: int
    month_start_day: IntArray  # months + 1 offsets: month m covers [m, m + 1)
    weekday: IntArray  # per day, Monday = 0
    calendar_month: IntArray  # per day, 1-12
    epoch_s: int  # seconds from 1970-01-01 to ``start``

    @classmethod
    def of(cls, start: date, months: int) -> Window:
        bounds = [(add_months(start, m) - start).days for m in range(months + 1)]
        days = [start + timedelta(days=i) for i in range(bounds[-1])]
        epoch = datetime(1970, 1, 1)
        return cls(
            start=start,
            months=months,
            n_days=bounds[-1],
            month_start_day=np.array(bounds, dtype=np.int64),
            weekday=np.array([d.weekday() for d in days], dtype=np.int64),
            calendar_month=np.array([d.month for d in days], dtype=np.int64),
            epoch_s=int((datetime(start.year, start.month, start.day) - epoch).total_seconds()),
        )

    @property
    def end_s(self) -> int:
        """The first moment after the window: nothing at or after it is recorded."""
        return self.n_days * DAY

    @property
    def last_day(self) -> date:
        return self.start + timedelta(days=self.n_days - 1)

    def month_days(self, month: int) -> tuple[int, int]:
        """The first day and one past the last day of month ``month`` (0-based)."""
        return int(self.month_start_day[month]), int(self.month_start_day[month + 1])

    def day_date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def day_of(self, d: date) -> int:
        return (d - self.start).days

    def timestamps(self, t: IntArray, valid: BoolArray | None = None) -> pa.Array:
        """Seconds since the start as Arrow ``timestamp[us]``; NULL where not ``valid``."""
        micros = (t + self.epoch_s) * 1_000_000
        mask = None if valid is None else ~valid
        return pa.array(micros, type=pa.timestamp("us"), mask=mask)

    def dates(self, day: IntArray, valid: BoolArray | None = None) -> pa.Array:
        """Day offsets as Arrow ``date32``; NULL where not ``valid``."""
        epoch_day = self.epoch_s // DAY
        mask = None if valid is None else ~valid
        return pa.array((day + epoch_day).astype(np.int32), type=pa.date32(), mask=mask)


def time_of_day(generator: np.random.Generator, n: int) -> IntArray:
    """Seconds into the day of ``n`` business moments: mostly office hours, never before 06:30."""
    hours = np.clip(generator.normal(12.5, 2.8, n), 6.5, 22.0)
    return (hours * HOUR).astype(np.int64)
