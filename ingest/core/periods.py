"""Month arithmetic, once, on pendulum: police.uk months are calendar months in London time.

A month is written `YYYY-MM` everywhere (police.uk's own notation). Its
bounds, neighbours and the Airflow logical date of the run that loads it are
computed here and nowhere else, in Europe/London, so summer time is the time
zone database's business, not ours.
"""

from __future__ import annotations

import re
from datetime import date

import pendulum

TIMEZONE = "Europe/London"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def parse_month(month: str) -> pendulum.Date:
    """`YYYY-MM` → the month's first day; ValueError for anything else."""
    if not MONTH.match(month or ""):
        raise ValueError(f"expected a month YYYY-MM, got {month!r}")
    return pendulum.date(int(month[:4]), int(month[5:]), 1)


def month_of(value: date) -> str:
    """The `YYYY-MM` a date (or London-local datetime) falls in."""
    return f"{value.year:04d}-{value.month:02d}"


def add_months(month: str, n: int) -> str:
    return month_of(parse_month(month).add(months=n))


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included; ValueError when last < first."""
    start, end = parse_month(first), parse_month(last)
    if end < start:
        raise ValueError(f"{last} is before {first}")
    return [month_of(d) for d in pendulum.interval(start, end).range("months")]


def month_bounds(month: str) -> tuple[date, date]:
    """First day of the month and first day of the next (half-open)."""
    start = parse_month(month)
    return start, start.add(months=1)


def month_start_london(month: str) -> pendulum.DateTime:
    """Midnight London time on the month's first day."""
    start = parse_month(month)
    return pendulum.datetime(start.year, start.month, 1, tz=TIMEZONE)


def month_of_instant(instant) -> str:
    """The London month an aware datetime falls in (an Airflow data interval's start, say)."""
    return month_of(pendulum.instance(instant).in_timezone(TIMEZONE))
