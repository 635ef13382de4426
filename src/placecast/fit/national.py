"""National priors: what England's own published series imply for a council's fit.

The one place national priors are built; :func:`national_priors` runs a fit of England, so it
sits above both the priors and the aggregate model.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from placecast.data.dfe import published_counts
from placecast.fit.aggregate import AggregateModel
from placecast.fit.priors import AggregatePriors

__all__ = ["national_priors"]


def national_priors(
    tidy: pd.DataFrame,
    last_year: int,
    *,
    first_year: int | None = None,
    seed: int = 0,
    placement_model: str = "random_walk",
    **overrides: object,
) -> AggregatePriors:
    """Priors centred on what England's published series imply.

    Fits :class:`~placecast.fit.aggregate.AggregateModel` to the England rows of ``tidy``
    (years up to ``last_year``, so a backtest never peeks ahead) with wide priors, and returns
    priors whose means are England's posterior means: the entry age mix, the exit multipliers
    by band, the entry and move tilts, the entry growth and the drift of the exit level. The
    spreads stay as documented, so a council can differ from England.

    England's own year-to-year change of the exit level is given a small prior sd (0.02, not
    a council's 0.1): a national change averages some 150 councils' own changes, so what is
    left is mostly the common drift. ``placement_model="drift"`` fits England with a drift
    of the residential / semi-independent pull too and centres that prior on it (use it for
    councils fitted with the same model). ``placement_model="random_walk"`` takes no centre
    from England (its prior is the persistence of councils' shares), so England is fitted with
    the fixed pull: the same priors as for ``"fixed"``, which keeps the two models' backtests
    a paired comparison.
    """
    wide_settings: dict[str, object] = {
        "log_exit_scale_sd": 1.0,
        "entry_tilt_sd": 1.0,
        "move_tilt_sd": 1.0,
        "entry_age_concentration": 2.0,
        "exit_year_sd": 0.02,
        "exit_drift_sd": 0.1,
        "residential_drift_sd": 0.2,
        "starts_counted_share_sd": 0.05,
        **overrides,
    }
    wide = AggregatePriors(**wide_settings)  # type: ignore[arg-type]
    england = published_counts(tidy, "E92000001").upto(last_year)
    if first_year is not None:
        england = england.since(first_year)
    # England's counts are so large that the misfit noise and the exit multipliers of
    # neighbouring age bands form a narrow funnel; PyMC's NUTS (C backend, slower to start)
    # explores it better than nutpie does here (R-hat 1.07-1.24 with nutpie).
    england_model = "fixed" if placement_model == "random_walk" else placement_model
    model = AggregateModel(
        priors=wide, draws=300, tune=500, sampler="pymc", placement_model=england_model
    ).fit(england, seed=seed)
    post = model.idata_.posterior
    mean = {k: post[k].mean(("chain", "draw")).values for k in post.data_vars}
    # England's published stock growth over the fitted years (geometric mean per year).
    first, last = model.first_year_, model.last_year_
    total = dict(zip(england.years.tolist(), england.children_in_care, strict=True))
    stock_growth = float(np.log(total[last] / total[first]) / (last - first))
    drift = float(mean.get("residential_drift", 0.0))
    return replace(
        wide,
        residential_drift_mean=drift,
        residential_drift_sd=AggregatePriors.residential_drift_sd,
        entry_age_share=tuple(float(v) for v in mean["entry_age_band_share"]),
        entry_age_concentration=AggregatePriors.entry_age_concentration,
        log_exit_scale_mean=tuple(float(v) for v in mean["log_exit_scale"]),
        log_exit_scale_sd=AggregatePriors.log_exit_scale_sd,
        entry_tilt_mean=(float(mean["entry_tilt"][0]), float(mean["entry_tilt"][1])),
        entry_tilt_sd=AggregatePriors.entry_tilt_sd,
        move_tilt_mean=float(mean["move_tilt"]),
        move_tilt_sd=AggregatePriors.move_tilt_sd,
        entry_growth_mean=float(mean["entry_log_growth"]),
        exit_year_sd=AggregatePriors.exit_year_sd,
        exit_drift_mean=float(mean["exit_drift"]),
        exit_drift_sd=AggregatePriors.exit_drift_sd,
        starts_counted_share=float(mean["starts_counted_share"]),
        stock_growth_mean=float(np.expm1(stock_growth)),
        stock_growth_sd=0.025,
        source=f"England's published series {model.first_year_}-{last_year} "
        "(DfE, children looked after in England), fitted with wide priors: entry growth "
        f"{np.expm1(mean['entry_log_growth']):+.1%} a year, exit level "
        f"{np.expm1(mean['exit_drift']):+.1%} a year, "
        f"{float(mean['starts_counted_share']):.1%} of joiners counted as starts, "
        + (
            f"pull of residential / semi-independent {np.expm1(drift):+.1%} a year, "
            if "residential_drift" in mean
            else ""
        )
        + f"children in care {np.expm1(stock_growth):+.1%} a year",
    )
