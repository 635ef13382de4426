"""Where a forecast's first-year ceases come from: the fit's last year against the engine's first.

Run: ``python benchmarks/ceases_decomposition.py [--origin 2018] [--councils 14] [--fits DIR]``.

For councils spread by code (every ``150 // N``-th from the second, as a quick sample), each is
fitted to 31 March ``origin`` with the backtest's settings and England's priors up to then
(``--fits``: fits saved there are reused, new ones saved), and its first forecast year's ceases
are split into steps, each a log ratio (columns of ``rows.csv``):

* ``fit_vs_published``: the fit's expected ceases in the origin year against DfE's;
* ``engine_vs_fit``: the engine's first-year ceases at the last fitted exit level (no drift, no
  fresh shock) against the fit's last year; ``stock_gap`` is how much of it the children at
  risk explain (the engine's mean stock over the year against the fit's over the origin year)
  and ``rate_gap`` the exit rate per child, ages 18 apart;
* ``level_effect``: the forecast's exit level in its first year (drift, the forecast shock
  with the stock-growth prior's adjustment) against the last fitted level;
* ``forecast_vs_published`` and ``actual_vs_published``: the forecast's mean and what DfE
  published the year after, both against the origin year's published ceases.

Writes ``benchmarks/runs/ceases_decomposition_<origin>_<N>/`` (rows and settings) and prints the
rows and their medians. Exploration, not a rule: it says where to look.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from runs_store import write_run

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables
from placecast.engine import simulate
from placecast.errors import InputError
from placecast.evaluation import BacktestSettings, la_councils
from placecast.evaluation.backtesting import _UNLIMITED, backtest_priors
from placecast.fit.aggregate import AggregateModel
from placecast.rates import Rates

PATHS = 400


def _first_year(model: AggregateModel, rates: Rates) -> dict[str, float]:
    """The engine's mean ceases (all, and at 18) and mean stock over the first forecast year."""
    out = simulate(
        model.initial_stock(),
        rates,
        _UNLIMITED,
        months=12,
        paths=PATHS,
        seed=0,
        start=f"{model.last_year_}-03",
    )
    exits = out["exits"].isel(month=slice(1, 13)).sum(("month", "placement")).mean("path")
    stock = out["children"].isel(month=slice(0, 13)).sum(("placement", "age_band"))
    return {
        "ceases": float(exits.sum()),
        "ceases_at_18": float(exits.sel(exit_reason="aged_18")),
        "mean_stock": float(stock.mean()),
    }


def decompose(model: AggregateModel, published: pd.DataFrame) -> dict[str, float]:
    """One council's first forecast year of ceases, step by step (see the module's docstring)."""
    origin = model.last_year_
    post = model.idata_.posterior
    names = ("expected_children_in_care", "expected_ceases", "expected_ceases_by_age_band")
    mean = {k: post[k].mean(("chain", "draw")).values for k in names}
    fitted_stock = mean["expected_children_in_care"]
    fit = {
        "ceases": float(mean["expected_ceases"][-1]),
        "ceases_at_18": float(mean["expected_ceases_by_age_band"][-1, -1]),
        "mean_stock": float(fitted_stock[-2:].mean()),
    }
    forecast = _first_year(model, model.rates_)
    level = model.rates_.data.copy()
    level["exit_level_by_year"] = xr.ones_like(level["exit_level_by_year"])
    held = _first_year(model, Rates(model.rates_.space, level))

    def rate(d: dict[str, float]) -> float:
        return (d["ceases"] - d["ceases_at_18"]) / d["mean_stock"]

    ceases = published["ceases"]
    return {
        "published_ceases": float(ceases[origin]),
        "fitted_ceases": fit["ceases"],
        "forecast_ceases": forecast["ceases"],
        "published_next_year": float(ceases.get(origin + 1, np.nan)),
        "fit_vs_published": np.log(fit["ceases"] / ceases[origin]),
        "engine_vs_fit": np.log(held["ceases"] / fit["ceases"]),
        "stock_gap": np.log(held["mean_stock"] / fit["mean_stock"]),
        "rate_gap": np.log(rate(held) / rate(fit)),
        "at_18_gap": np.log(held["ceases_at_18"] / fit["ceases_at_18"]),
        "level_effect": np.log(forecast["ceases"] / held["ceases"]),
        "forecast_vs_published": np.log(forecast["ceases"] / ceases[origin]),
        "actual_vs_published": np.log(ceases.get(origin + 1, np.nan) / ceases[origin]),
        "exit_drift": float(post["exit_drift"].mean()),
        "exit_forecast_adjust_z": float(post["exit_forecast_adjust_z"].mean())
        if "exit_forecast_adjust_z" in post
        else np.nan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origin", type=int, default=2018)
    parser.add_argument("--councils", type=int, default=14)
    parser.add_argument("--fits", type=Path, default=None, help="folder of fits to reuse / save")
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)  # diagnostics are in the rows

    tidy = published_tables()
    settings = BacktestSettings(last_fit_year=args.origin, horizon=3)
    priors = backtest_priors(tidy, settings)
    codes = la_councils(tidy)[1 :: max(1, 150 // args.councils)][: args.councils]
    rows = []
    for code in codes:
        path = None if args.fits is None else args.fits / f"{code}_{args.origin}.nc"
        try:
            counts = published_counts(tidy, code)
            if path is not None and path.is_file():
                model = AggregateModel.load(path)
            else:
                model = AggregateModel(priors, settings).fit(
                    counts.upto(args.origin), seed=settings.seed
                )
                if path is not None:
                    model.save(path)
        except InputError as e:  # nothing to fit (the Isles of Scilly; councils formed later)
            print(f"{code}: not fitted: {e}")
            continue
        rows.append(
            {
                "council": counts.council,
                "la_code": code,
                "max_r_hat": float(model.diagnostics_["max_r_hat"].max()),
                **decompose(model, counts.frame()),
            }
        )
    table = pd.DataFrame(rows)
    name = f"ceases_decomposition_{args.origin}_{args.councils}"
    write_run(
        name,
        table,
        {
            "origin": args.origin,
            "councils": codes,
            "settings": settings.to_dict(),
            "paths": PATHS,
            "note": "log ratios; see the script's docstring",
        },
    )
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.round(3).to_string(index=False))
        steps = [c for c in table.columns if c.endswith(("_gap", "_effect", "_published", "_fit"))]
        print("\nmedians over councils:")
        print(table[[*steps, "exit_drift", "exit_forecast_adjust_z"]].median().round(3))


if __name__ == "__main__":
    main()
