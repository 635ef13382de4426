"""How far councils' own trends differ from one another, in the published data to each origin.

Run: ``python benchmarks/drift_spread.py [--origins 2017 2018 2019 2020 2021]``.

The fit gives each council its own drift beyond England's: entries' log growth (prior sd
``AggregatePriors.entry_growth_sd``, 0.1 a year) and the exit level's drift (``exit_drift_sd``,
0.03), and the forecast carries them on. Whether councils' trends really differ is a question
the published series answer without any fit: for every council with an unbroken series from
2015 to the origin, its drift is the mean yearly change of log starts, and of log ceases per
child in care (ceases over the mean of the two 31 March stocks), 2015 to the origin. Part of the
spread of those drifts across councils is each council's noise: a mean of ``n`` yearly changes
with variance ``s2`` and lag-1 autocorrelation ``rho`` (count noise makes consecutive changes
reverse; ``rho`` pooled over councils) has variance ``s2 * (n + (2n - 2) rho) / n**2``. What is
left is the spread of true drifts between councils, estimated two ways:

* ``pooled``: the variance of the drifts less the mean noise variance (method of moments);
* ``weighted``: DerSimonian and Laird's estimator, each council weighted by its own noise
  (whose estimate from a handful of changes is itself noisy, which inflates it).

Both lean high: ``rho`` from a handful of demeaned changes is biased down (about ``-1/n`` for a
pure random walk), which makes the noise variance smaller than it is. With two changes (2017)
``rho`` is -0.5 whatever the data, so that origin says little.

Both with a 90% bootstrap interval over councils. Uses the published series up to each origin
only (nothing after it), so it may inform a prior without looking at what a backtest scores.
Writes ``benchmarks/runs/drift_spread/`` (each council's drift and noise by origin and measure,
``rows.csv``; the estimates, ``summary.csv``; settings) and prints the estimates.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from runs_store import RUNS, write_run

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables
from placecast.errors import InputError
from placecast.evaluation import la_councils

FIRST_YEAR = 2015
RESAMPLES = 2000


def council_series(tidy: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each council's log starts and log ceases per child in care, by 31 March year."""
    out = {}
    for code in la_councils(tidy):
        try:
            counts = published_counts(tidy, code)
        except InputError:  # nothing published (every value suppressed): no series
            continue
        stock = pd.Series(counts.children_in_care, index=counts.years)
        mean_stock = (stock + stock.shift(1)) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            frame = pd.DataFrame(
                {
                    "starts": np.log(pd.Series(counts.starts, index=counts.years)),
                    "ceases_per_child": np.log(
                        pd.Series(counts.ceases, index=counts.years) / mean_stock
                    ),
                }
            )
        out[code] = frame.replace([np.inf, -np.inf], np.nan)
    return out


def drifts(series: dict[str, pd.DataFrame], origin: int, measure: str) -> pd.DataFrame:
    """Each council's drift (mean yearly change) to ``origin``, the variance of its yearly
    changes and their lag-1 autocovariance; councils with a gap or fewer than two changes are
    left out."""
    rows = []
    for code, frame in series.items():
        y = frame.loc[FIRST_YEAR:origin, measure].dropna()
        years = y.index.to_numpy()
        if len(y) < 3 or (np.diff(years) != 1).any():
            continue
        change = np.diff(y.to_numpy())
        centred = change - change.mean()
        rows.append(
            {
                "la_code": code,
                "origin": origin,
                "measure": measure,
                "changes": len(change),
                "drift": change.mean(),
                "change_var": change.var(ddof=1),
                "lag1_autocov": float((centred[1:] * centred[:-1]).mean()),
            }
        )
    out = pd.DataFrame(rows)
    rho = out["lag1_autocov"].mean() / out["change_var"].mean()
    n = out["changes"]
    out["noise_var"] = (out["change_var"] * (n + (2 * n - 2) * rho) / n**2).clip(lower=1e-8)
    out["pooled_lag1_autocorrelation"] = rho
    return out


def _pooled(drift: np.ndarray, noise: np.ndarray) -> float:
    return float(np.sqrt(max(drift.var(ddof=1) - noise.mean(), 0.0)))


def _weighted(drift: np.ndarray, noise: np.ndarray) -> float:
    w = 1 / noise
    centre = (w * drift).sum() / w.sum()
    q = (w * (drift - centre) ** 2).sum()
    tau2 = (q - (len(drift) - 1)) / (w.sum() - (w**2).sum() / w.sum())
    return float(np.sqrt(max(tau2, 0.0)))


def estimate(rows: pd.DataFrame, seed: int = 0) -> dict[str, float]:
    """Between-council sd of drifts, both ways, with 90% bootstrap intervals over councils."""
    d, v = rows["drift"].to_numpy(), rows["noise_var"].to_numpy()
    pick = np.random.default_rng(seed).integers(0, len(d), (RESAMPLES, len(d)))
    out: dict[str, float] = {
        "councils": len(d),
        "median_changes": float(rows["changes"].median()),
        "lag1_autocorrelation": float(rows["pooled_lag1_autocorrelation"].iloc[0]),
        "mean_drift": float(d.mean()),
        "sd_of_drifts": float(d.std(ddof=1)),
        "noise_sd": float(np.sqrt(v.mean())),
    }
    for name, fn in (("pooled", _pooled), ("weighted", _weighted)):
        boots = np.array([fn(d[i], v[i]) for i in pick])
        out[f"between_sd_{name}"] = fn(d, v)
        out[f"between_sd_{name}_q05"], out[f"between_sd_{name}_q95"] = np.quantile(
            boots, [0.05, 0.95]
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, nargs="+", default=[2017, 2018, 2019, 2020, 2021])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    series = council_series(published_tables())
    rows, summary = [], []
    for origin in args.origins:
        for measure in ("starts", "ceases_per_child"):
            found = drifts(series, origin, measure)
            if found["changes"].max() < 2:
                continue  # one yearly change (ceases per child to 2017): no noise to estimate
            rows.append(found)
            summary.append({"origin": origin, "measure": measure, **estimate(found)})
    table = pd.DataFrame(summary)
    folder = write_run(
        "drift_spread",
        pd.concat(rows, ignore_index=True),
        {"origins": args.origins, "first_year": FIRST_YEAR, "resamples": RESAMPLES},
    )
    table.to_csv(folder / "summary.csv", index=False)
    pd.set_option("display.width", 200)
    print(table.round(3).to_string(index=False))
    print(f"\nwritten to {folder.relative_to(RUNS.parent.parent)}")


if __name__ == "__main__":
    main()
