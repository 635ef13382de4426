"""Summaries over simulated paths: the quantiles placecast reports, as tidy tables."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from placecast.calendar import financial_year_label

__all__ = ["QUANTILES", "gbp_m", "gbp_m_interval", "interval_summary"]

#: The quantiles of every interval placecast reports: the middle 50% and 90%, and the median.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def interval_summary(
    da: xr.DataArray, dim: str = "path", *, probability_above_zero: bool = False
) -> pd.DataFrame:
    """Mean, median and 50% / 90% intervals over ``dim``, as a tidy DataFrame.

    With ``probability_above_zero``, adds the share of paths above zero (e.g. the probability of
    overspending). A ``financial_year`` index level is labelled as people write it, "2022/23"
    (the labels sort in time order), the same in every table placecast returns or writes.
    """
    q = da.quantile(list(QUANTILES), dim=dim)
    frame = q.to_dataframe(name="value")["value"].unstack("quantile")
    frame.columns = ["p05", "p25", "median", "p75", "p95"]
    frame.insert(0, "mean", da.mean(dim).to_series().reindex(frame.index))
    if probability_above_zero:
        frame["probability_above_zero"] = (da > 0).mean(dim).to_series().reindex(frame.index)
    if "financial_year" in (frame.index.names or []):
        frame = frame.rename(index=lambda y: financial_year_label(int(y)), level="financial_year")
    return frame


def gbp_m(x: float) -> str:
    """Millions of pounds, sign first: -640000 -> '-£0.64m'."""
    return f"{'-' if x < 0 else ''}£{abs(x) / 1e6:,.2f}m"


def gbp_m_interval(low: float, high: float) -> str:
    """An interval in millions of pounds: '-£0.10m to £0.08m'."""
    return f"{gbp_m(low)} to {gbp_m(high)}"
