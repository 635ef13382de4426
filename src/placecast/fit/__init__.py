"""Bayesian fitting of the cohort model's rates (PyMC + ArviZ)."""

from placecast.fit.episodes import EpisodeModel, EpisodePriors

__all__ = ["EpisodeModel", "EpisodePriors"]
