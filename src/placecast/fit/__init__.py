"""Bayesian fitting of the cohort model's rates (PyMC + ArviZ).

``EpisodeModel`` fits SSDA903 episode flows; ``AggregateModel`` fits published statistics (stocks
at 31 March, starts, ceases), with priors from :func:`national_priors` or the documented defaults.
Both return the same ``Rates`` (one set per posterior draw), and save and load.

The names below load on first use, so that reading :mod:`placecast.fit.settings` (as the command
line does at start-up) does not import PyMC.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["AggregateModel", "AggregatePriors", "EpisodeModel", "EpisodePriors", "national_priors"]

_HOME = {
    "AggregateModel": "placecast.fit.aggregate",
    "AggregatePriors": "placecast.fit.priors",
    "EpisodeModel": "placecast.fit.episodes",
    "EpisodePriors": "placecast.fit.episodes",
    "national_priors": "placecast.fit.national",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'placecast.fit' has no attribute {name!r}")
