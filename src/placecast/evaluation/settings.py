"""What a backtest fits and forecasts."""

from __future__ import annotations

from dataclasses import dataclass

from placecast.fit.settings import RETRIES, AggregateSettings, setting

__all__ = ["SCORING_SETTINGS", "STOCK_NOISES", "BacktestSettings"]

#: What a forecast's published children in care is: each path's total times a factor of the
#: fit's count noise, or the path's total as it is (DfE counts the children in care on 31 March
#: with no noise beyond counting: ``benchmarks/persistence.py``).
STOCK_NOISES = ("count", "none")
#: Settings that change only how a forecast is scored (what "published" means), not the fit or
#: the model's forecast: a backtest variant may set them with the forecast settings.
SCORING_SETTINGS = ("stock_noise",)


@dataclass(frozen=True)
class BacktestSettings(AggregateSettings):
    """What to fit and forecast: the fit's settings (inherited from
    :class:`~placecast.fit.settings.AggregateSettings`, where they are typed once) and the
    backtest's own.

    Parameters
    ----------
    last_fit_year
        Last year (ending 31 March) the model sees.
    horizon
        Years forecast after it.
    first_fit_year
        First year used (the starting stock); default: the first with a published breakdown.
    paths
        Simulated paths per council.
    seed
        Seed for the fit and the simulation.
    draws, tune, chains, cores, entry_model, exit_model, placement_model, ...
        The fit's settings per council, as in :class:`~placecast.fit.settings.AggregateSettings`
        (``cores`` processes sample the chains; 1 runs them in turn, as needed when councils
        run in parallel).
    retry
        ``"none"`` here (``"auto"`` in a fit): a backtest scores the first attempt, so that its
        rows show how often the fit check's convergence limits fail on two chains; pass
        ``retry="auto"`` to score what ``placecast fit-published`` gives.
    stock_noise
        What the scored forecast of children in care (and the total the placement groups'
        shares split) is: ``"count"`` (default), each path's total times a gamma factor with the
        fit's count noise, as for starts and ceases; ``"none"``, the path's total as it is.
        Starts, ceases and the groups' share noise are the same either way (the same draws).
    """

    last_fit_year: int = setting(2017, "last year (to 31 March) the model sees")
    horizon: int = setting(2, "years forecast after it")
    first_fit_year: int | None = setting(None, "first year used (default: first with a breakdown)")
    paths: int = setting(1000, "simulated paths per council")
    seed: int = setting(0, "seed for the fit and the simulation", minimum=0)
    retry: str = setting(
        "none",
        "sample again when a fit fails the check's convergence limits, or not (default)",
        choices=RETRIES,
    )
    stock_noise: str = setting(
        "count",
        "the scored children in care: each path's total times the fit's count noise (default) "
        "or as it is (none)",
        choices=STOCK_NOISES,
    )
