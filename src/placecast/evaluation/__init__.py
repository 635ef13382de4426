"""Evaluation: backtests of the published-statistics fit against what DfE published later, and
their scores against naive forecasts.

The names below load on first use (the backtest imports PyMC; its settings do not).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "COVID_YEARS",
    "MEASURES",
    "Backtest",
    "BacktestSettings",
    "backtest",
    "backtest_council",
    "backtest_priors",
    "forecast_published",
    "la_councils",
    "measure_series",
    "naive_forecasts",
    "published_shares",
    "rolling_backtest",
]

_HOME = {
    **dict.fromkeys(
        [
            "backtest",
            "backtest_council",
            "backtest_priors",
            "forecast_published",
            "la_councils",
            "published_shares",
        ],
        "placecast.evaluation.backtesting",
    ),
    **dict.fromkeys(
        ["COVID_YEARS", "MEASURES", "Backtest", "measure_series", "naive_forecasts"],
        "placecast.evaluation.scoring",
    ),
    "BacktestSettings": "placecast.evaluation.settings",
    "rolling_backtest": "placecast.evaluation.rolling",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'placecast.evaluation' has no attribute {name!r}")
