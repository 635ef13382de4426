"""Bayesian fitting of the cohort model's rates (PyMC + ArviZ).

``EpisodeModel`` fits SSDA903 episode flows; ``AggregateModel`` fits published statistics (stocks
at 31 March, starts, ceases). Both return the same ``Rates`` (one set per posterior draw).
"""

from placecast.fit.aggregate import AggregateModel
from placecast.fit.episodes import EpisodeModel, EpisodePriors
from placecast.fit.priors import AggregatePriors

__all__ = ["AggregateModel", "AggregatePriors", "EpisodeModel", "EpisodePriors"]
