"""Do children who start in care leave sooner than the model lets them? Published against fitted.

``python benchmarks/exit_response.py [--fits benchmarks/.fits_76_none/2017] [--every 4]``

The model's exit rates depend on age, placement and year, not on time in care. If children who
have just started leave much sooner than others of their age, a surge of starts would leave
care sooner than the model says, and the model's stock would carry too much of it on. Two
numbers answer it, both in extra ceases per extra start:

1. *Published*: across every council's years in the shipped tables, the regression of log
   ceases in a year on log starts that year, log starts the year before and log children in care
   at the start of the year, with council and year fixed effects (each council's level and
   England's year taken out); its elasticities times the median ceases per start (per child in
   care for the stock), with 90% bootstrap intervals over councils. The year after, a start also
   leaves through the stock it joined: the second year's response is the previous year's
   coefficient plus the stock's times the share of the extra starters still in care at the year's
   end (one less the first year's response). Not causal: a year of many starts may differ in
   other ways; it says how large the difference could be.
2. *Fitted*: for each saved fit (every ``--every``-th in the folder), the engine's mean field
   (:func:`placecast.engine.expected`, every 10th posterior draw) with the first forecast
   year's entry level 10% higher against as fitted: the extra exits in forecast years 1 and 2
   per extra entrant in year 1.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables
from placecast.engine import expected
from placecast.errors import InputError
from placecast.evaluation.backtesting import _UNLIMITED, la_councils
from placecast.fit import AggregateModel
from placecast.rates import Rates

MIN_STOCK = 50  # smaller councils' log counts are mostly counting noise
TERMS = ("starts", "starts_before", "stock_before")


def council_years() -> pd.DataFrame:
    """One row per council and year with starts, ceases and the stock at the year's start."""
    tables = published_tables()
    rows = []
    for code in la_councils(tables):
        try:
            p = published_counts(tables, code)
        except InputError:  # nothing published (a council formed later): no years to use
            continue
        for i in range(1, len(p.years)):
            rows.append(
                {
                    "council": code,
                    "year": int(p.years[i]),
                    "ceases": p.ceases[i],
                    "starts": p.starts[i],
                    "starts_before": p.starts[i - 1],
                    "stock_before": p.children_in_care[i - 1],
                }
            )
    d = pd.DataFrame(rows).dropna()
    return d[(d["stock_before"] >= MIN_STOCK) & (d[["ceases", *TERMS]] > 0).all(axis=1)]


def elasticities(d: pd.DataFrame) -> np.ndarray:
    """Least-squares elasticities of ceases on ``TERMS`` with council and year fixed effects."""
    fixed = pd.get_dummies(d[["council", "year"]].astype(str), drop_first=True, dtype=float)
    x = np.column_stack([np.log(d[list(TERMS)].to_numpy(float)), fixed, np.ones(len(d))])
    return np.linalg.lstsq(x, np.log(d["ceases"].to_numpy(float)), rcond=None)[0][: len(TERMS)]


def published_response(d: pd.DataFrame, boots: int = 300, seed: int = 1) -> pd.DataFrame:
    """Table 1 (see the module): extra ceases per extra start, this year and the next."""

    def response(rows: pd.DataFrame) -> np.ndarray:
        b = elasticities(rows)
        per_start = float((rows["ceases"] / rows["starts"]).median())
        per_child = float((rows["ceases"] / rows["stock_before"]).median())
        first = b[0] * per_start
        return np.array([first, b[1] * per_start + b[2] * per_child * (1 - first)])

    by_council = {c: g for c, g in d.groupby("council")}
    rng = np.random.default_rng(seed)
    names = np.array(list(by_council))
    draws = np.array(
        [
            response(
                pd.concat(
                    [
                        by_council[c].assign(council=f"{c}#{i}")  # a council drawn twice: two
                        for i, c in enumerate(rng.choice(names, names.size))
                    ]
                )
            )
            for _ in range(boots)
        ]
    )
    low, high = np.percentile(draws, [5, 95], axis=0)
    return pd.DataFrame(
        {"extra ceases per extra start": response(d), "90% low": low, "90% high": high},
        index=pd.Index(["same year", "next year"], name="published"),
    )


def _flows(model: AggregateModel, rates: Rates) -> tuple[np.ndarray, np.ndarray]:
    """Mean entries and exits in the first two forecast years, over the draws."""
    out = expected(
        model.initial_stock(model.last_year_),
        rates,
        _UNLIMITED,
        months=24,
        start=f"{model.last_year_}-03",
        workers=1,
    )
    years = (slice(1, 13), slice(13, 25))
    entries = [out["entries"].isel(month=y).sum().item() for y in years]
    exits = [out["exits"].isel(month=y).sum().item() for y in years]
    return np.array(entries) / rates.n_draws, np.array(exits) / rates.n_draws


def fitted_response(fits: Path, every: int) -> pd.DataFrame:
    """Table 2 (see the module): the engine's extra exits per extra entrant, by saved fit."""
    out = []
    for path in sorted(fits.glob("*.nc"))[::every]:
        model = AggregateModel.load(path)
        rates = model.rates_.select_draws(np.arange(0, model.rates_.n_draws, 10))
        data = rates.data.copy()
        data["entry_level_by_year"] = data["entry_level_by_year"].copy()
        data["entry_level_by_year"][..., 0] *= 1.1
        entries, exits = _flows(model, rates)
        more_entries, more_exits = _flows(model, Rates(rates.space, data))
        extra = more_entries[0] - entries[0]
        out.append(
            {
                "council": model.counts_.council,
                "same year": (more_exits[0] - exits[0]) / extra,
                "next year": (more_exits[1] - exits[1]) / extra,
            }
        )
    return pd.DataFrame(out).set_index("council")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=Path, default=Path("benchmarks/.fits_76_none/2017"))
    parser.add_argument("--every", type=int, default=4)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    d = council_years()
    print(f"Published: {len(d)} council-years, {d['council'].nunique()} councils")
    print(published_response(d).round(3).to_string())
    fitted = fitted_response(args.fits, args.every)
    print(f"\nFitted ({args.fits}, {len(fitted)} fits): extra exits per extra entrant")
    print(fitted.describe().loc[["min", "25%", "50%", "75%", "max"]].round(3).to_string())


if __name__ == "__main__":
    main()
