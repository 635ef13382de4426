"""Rolling-origin backtests: fit to 31 March of each origin year, forecast the years after.

For origins T (e.g. 2017-2021) and horizons 1..min(H, last year - T), each council is fitted to
the published years up to T with national priors from England's series up to T (nothing later is
seen), forecast, and scored against what DfE published later (see
:class:`~placecast.evaluation.scoring.Backtest`, and :meth:`~Backtest.by_horizon` for the
accuracy by horizon with bootstrap intervals over councils).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from placecast.errors import ConfigError
from placecast.evaluation.backtesting import backtest, backtest_priors
from placecast.evaluation.scoring import Backtest
from placecast.evaluation.settings import BacktestSettings
from placecast.fit.priors import AggregatePriors

__all__ = ["rolling_backtest"]


def rolling_backtest(
    tidy: pd.DataFrame,
    councils: Iterable[str] | None,
    origins: Sequence[int],
    settings: BacktestSettings = BacktestSettings(),
    *,
    last_year: int | None = None,
    priors: Callable[[BacktestSettings], AggregatePriors] | None = None,
    workers: int = 1,
    progress: bool = False,
    checkpoint: str | Path | None = None,
    fits: str | Path | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
) -> Backtest:
    """Backtest from every origin in ``origins``; one :class:`Backtest` with all their rows.

    Parameters
    ----------
    tidy
        Published tables (:func:`placecast.data.dfe.read_dfe`).
    councils
        Names or codes; ``None`` for every local authority.
    origins
        Last fitted years (31 March), e.g. ``range(2017, 2022)``.
    settings
        Fit and forecast settings; ``horizon`` is the longest horizon, cut at ``last_year``.
    last_year
        The last published year to score against (default: the latest in ``tidy``).
    priors
        Priors for an origin's settings (default: England's series up to the origin,
        :func:`~placecast.evaluation.backtesting.backtest_priors`).
    workers, progress
        As for :func:`~placecast.evaluation.backtesting.backtest`.
    checkpoint
        A folder: each origin's rows are appended to ``origin_<T>.csv`` there as councils
        finish, so a long run resumes where it stopped.
    fits
        A folder of saved fits (one per origin and council), reused when only the forecast
        settings changed (:func:`~placecast.evaluation.backtesting.backtest_council`).
    variants
        Name -> forecast settings, each scored on the same fits; the rows get a ``variant``
        column (:meth:`~placecast.evaluation.scoring.Backtest.variant` picks one out).
    """
    last = int(tidy["year"].max()) if last_year is None else int(last_year)
    if not origins:
        raise ConfigError("rolling_backtest: give at least one origin year")
    late = [o for o in origins if o >= last]
    if late:
        raise ConfigError(
            f"rolling_backtest: origins {late} leave no year to score (data end in {last})"
        )
    names = list(councils) if councils is not None else None
    parts, sources, skipped = [], [], []
    for origin in origins:
        run = replace(
            settings, last_fit_year=int(origin), horizon=min(settings.horizon, last - origin)
        )
        chosen = (priors or (lambda s: backtest_priors(tidy, s)))(run)
        path = None
        if checkpoint is not None:
            Path(checkpoint).mkdir(parents=True, exist_ok=True)
            path = Path(checkpoint) / f"origin_{origin}.csv"
        result = backtest(
            tidy,
            names,
            run,
            chosen,
            workers=workers,
            progress=progress,
            checkpoint=path,
            fits=fits,
            variants=variants,
        )
        parts.append(result.rows.assign(origin=int(origin)))
        sources.append(f"{origin}: {result.priors_source}")
        skipped.append(result.skipped.assign(origin=int(origin)))
    return Backtest(
        rows=pd.concat(parts, ignore_index=True),
        settings=settings,
        priors_source=" | ".join(sources),
        skipped=pd.concat(skipped, ignore_index=True),
    )
