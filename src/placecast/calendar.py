"""Months and financial years: the one place that knows a financial year runs April to March.

Financial years are labelled by the calendar year they start in (2020 = 2020/21) in data, and
as "2020/21" wherever a person reads them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from placecast.errors import ConfigError

__all__ = ["financial_year_label", "financial_year_of", "first_financial_year", "month_end_dates"]


def month_end_dates(start: str | pd.Period, months: int) -> pd.DatetimeIndex:
    """Month-end dates from the stock date ``start`` (month 0) to ``months`` months later."""
    try:
        period = pd.Period(start, freq="M")
    except (ValueError, TypeError) as err:
        raise ConfigError(f"start={start!r} is not a month (use e.g. '2020-03')") from err
    return pd.period_range(period, periods=months + 1, freq="M").to_timestamp(how="end").normalize()


def financial_year_of(dates: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Financial year (April-March) labelled by its starting calendar year: 2020 = 2020/21."""
    d = pd.DatetimeIndex(dates)
    return np.where(d.month >= 4, d.year, d.year - 1)


def first_financial_year(start: str | pd.Period) -> int:
    """The financial year of the first forecast month after the stock month ``start``."""
    first = pd.Period(start, freq="M") + 1
    return first.year if first.month >= 4 else first.year - 1


def financial_year_label(year: int) -> str:
    """The financial year starting in April of ``year``: 2024 -> '2024/25'."""
    return f"{year}/{str(year + 1)[-2:]}"
