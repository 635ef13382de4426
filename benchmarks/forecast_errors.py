"""How a rolling run's forecasts err: the skill of their predicted changes, how their errors
carry from one forecast year to the next, and the shape of the errors against the intervals.

    python benchmarks/forecast_errors.py rolling_2017_2021_h3_all_entry2 --variant exithalfkept
    python benchmarks/forecast_errors.py ... --fits benchmarks/.fits_published_noise/2019

Three tables from the stored rows (post hoc: where to look, not a result):

1. *Predicted change against what happened*, by measure and horizon: across forecasts, the
   log change from the last value the median forecast predicts and the one published; their
   correlation and the least-squares slope of the published on the predicted (1: the predicted
   changes are the right size; below 1: shrinking them towards the last value would help).
2. *Errors carried between forecast years*: for starts, ceases and children in care, the
   correlation over council-origins with three forecast years of the log errors (published over
   median) in years 1 and 2, 1 and 3, 2 and 3; with ``--fits``, the same correlations of each
   saved fit's own paths (the engine's flows and stock, no published noise), as forecast with
   the run's settings of ``--variant``.
3. *Error shape*: the absolute log error over the 90% interval's half-width times 1.645, whose
   median and 90th percentile are 0.674 and 1.645 for a calibrated normal forecast; the median
   of the same ratio signed (0 for an unbiased forecast; below 0: the forecast too high); and
   the spread of the log errors about their median (1.4826 times their median absolute
   deviation) over the median of the intervals' implied sd (the 90% interval's log width over
   3.29): 1 where the intervals are as wide as the errors once their bias is set aside.
4. *Starts' and ceases' errors together*: the correlation of the two flows' log errors in the
   same forecast year, over council-origins, by horizon, as published and with each year's
   mean over councils taken out (what England shared that year); with ``--fits``, the same
   correlation of each saved fit's own paths (where a stock's interval comes from: the more
   the flows move together, the less the stock moves).
5. *Bias by origin*: for starts, ceases and children in care, the median log error (published
   over median forecast) over councils, by origin and horizon; a diagonal is one published year.
6. *Coverage without the shared miss*: pooled 50% and 90% coverage by measure and horizon, as
   scored and with each forecast year's median log error over councils (at that horizon) taken
   out of every outcome: an oracle, not a forecast (it uses the outcomes), showing how much of
   the coverage shortfall is the movement every council shared that year.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from tables import variant_run

FLOWS_AND_STOCK = ("starts", "ceases", "children_in_care")


def _log_errors(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with a positive outcome and median, and ``error``: log(published / median)."""
    r = rows[(rows["actual"] > 0) & (rows["q50"] > 0)]
    return r.assign(error=np.log(r["actual"] / r["q50"]))


def change_skill(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 1 (see the module)."""
    r = rows[(rows["actual"] > 0) & (rows["last_value"] > 0) & (rows["q50"] > 0)]
    r = r.assign(
        predicted=np.log(r["q50"] / r["last_value"]),
        published=np.log(r["actual"] / r["last_value"]),
    )
    out = []
    for (measure, horizon), g in r.groupby(["measure", "horizon"], sort=True):
        out.append(
            {
                "measure": measure,
                "horizon": int(horizon),
                "forecasts": len(g),
                "correlation": g["predicted"].corr(g["published"]),
                "slope": np.polyfit(g["predicted"], g["published"], 1)[0],
                "sd predicted": g["predicted"].std(),
                "sd published": g["published"].std(),
                "mean predicted": g["predicted"].mean(),
                "mean published": g["published"].mean(),
            }
        )
    return pd.DataFrame(out).set_index(["measure", "horizon"])


def carried_errors(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 2's published part: correlations of a forecast's log errors between its years."""
    r = _log_errors(rows)
    wide = r.pivot_table(
        index=["council", "origin"], columns=["measure", "horizon"], values="error"
    )
    out = []
    for measure in FLOWS_AND_STOCK:
        if measure not in wide.columns.get_level_values("measure"):
            continue
        g = wide[measure].dropna()
        out.append({"measure": measure, "source": f"published ({len(g)} council-origins)"})
        out[-1].update({f"{a}-{b}": g[a].corr(g[b]) for a, b in ((1, 2), (1, 3), (2, 3))})
    return pd.DataFrame(out)


def flows_together(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 4's published part (see the module)."""
    r = _log_errors(rows[rows["measure"].isin(["starts", "ceases"])])
    wide = r.pivot_table(index=["council", "year", "horizon"], columns="measure", values="error")
    wide = wide.dropna()
    shared = wide.groupby(["year", "horizon"]).transform("mean")
    out = []
    for label, errors in (("published", wide), ("published, each year's mean out", wide - shared)):
        row = {"source": label}
        for horizon, g in errors.groupby(level="horizon"):
            row[int(horizon)] = g["starts"].corr(g["ceases"])
        out.append(row)
    return pd.DataFrame(out)


def bias_by_origin(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 5 (see the module)."""
    r = _log_errors(rows[rows["measure"].isin(FLOWS_AND_STOCK)])
    r = r.assign(horizon=r["horizon"].astype(int))
    return r.pivot_table(
        index=["measure", "origin"], columns="horizon", values="error", aggfunc="median"
    )


def coverage_without_shared_miss(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 6 (see the module); the rows scored as :meth:`Backtest.scored` scores them."""
    r = _log_errors(rows[rows["scale"] > 0] if "scale" in rows else rows)
    shared = r.groupby(["measure", "year", "horizon"])["error"].transform("median")
    out = {}
    for label, actual in (
        ("scored", r["actual"]),
        ("shared miss out", r["actual"] / np.exp(shared)),
    ):
        inside = pd.DataFrame(
            {
                "50%": (actual >= r["q25"]) & (actual <= r["q75"]),
                "90%": (actual >= r["q05"]) & (actual <= r["q95"]),
            }
        )
        out[label] = inside.groupby([r["measure"], r["horizon"].astype(int)]).mean()
    return pd.concat(out, axis=1)


def paths_carried(fits: Path, settings: dict[str, object]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tables 2's and 4's paths parts: each saved fit's own paths, forecast with ``settings``."""
    import warnings

    from placecast.evaluation.backtesting import paths_published
    from placecast.fit import AggregateModel
    from placecast.fit.settings import FORECAST_SETTINGS

    warnings.simplefilter("ignore")
    forecast = {k: v for k, v in settings.items() if k in FORECAST_SETTINGS}
    out, together = [], []
    for path in sorted(fits.glob("*.nc")):
        model = AggregateModel.load(path).reforecast(**forecast)
        own = paths_published(model, 3, paths=1000, seed=0)  # the paths the backtest scores
        logs = {  # (year, path)
            "starts": np.log(own["starts"].values),
            "ceases": np.log(own["ceases"].values),
            "children_in_care": np.log(own["stock"].sum("group").values),
        }
        source = f"paths: {model.counts_.council}"
        for measure, log in logs.items():
            row = {"measure": measure, "source": source}
            for a, b in ((1, 2), (1, 3), (2, 3)):
                row[f"{a}-{b}"] = float(np.corrcoef(log[a - 1], log[b - 1])[0, 1])
            out.append(row)
        together.append(
            {"source": source}
            | {
                h: float(np.corrcoef(logs["starts"][h - 1], logs["ceases"][h - 1])[0, 1])
                for h in (1, 2, 3)
            }
        )
    return pd.DataFrame(out), pd.DataFrame(together)


def error_shape(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 3 (see the module)."""
    r = _log_errors(rows[rows["q05"] > 0])
    half = np.log(r["q95"] / r["q05"]) / 2
    frame = pd.DataFrame(
        {
            "measure": r["measure"],
            "horizon": r["horizon"],
            "error": r["error"],
            "signed": r["error"] / half * 1.645,
            "implied sd": half / 1.645,
        }
    )
    g = frame.groupby(["measure", "horizon"])
    spread = g["error"].agg(lambda e: 1.4826 * (e - e.median()).abs().median())
    return pd.DataFrame(
        {
            "forecasts": g.size(),
            "median": g["signed"].agg(lambda z: z.abs().median()),
            "90th percentile": g["signed"].agg(lambda z: z.abs().quantile(0.9)),
            "median signed": g["signed"].median(),
            "error spread / implied sd": spread / g["implied sd"].median(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--variant", default="base")
    parser.add_argument("--partial", action="store_true", help="a run in progress")
    parser.add_argument("--fits", type=Path, help="a folder of saved fits (one origin)")
    args = parser.parse_args()
    bt = variant_run(args.run, args.variant, args.partial)
    rows = bt.rows
    print(f"## {args.run}, {args.variant}: predicted change against what happened\n")
    print(change_skill(rows).round(3).to_string())
    carried, together = carried_errors(rows), flows_together(rows)
    if args.fits:
        paths, paths_together = paths_carried(args.fits, bt.settings.to_dict())
        carried = pd.concat([carried, paths])
        together = pd.concat([together, paths_together])
    print("\n## errors carried between forecast years (correlation of log errors)\n")
    print(carried.round(2).to_string(index=False))
    print("\n## error shape: |log error| / 90% half-width x 1.645 (normal: 0.674, 1.645)\n")
    print(error_shape(rows).round(2).to_string())
    print("\n## starts' and ceases' log errors in the same forecast year: correlation by horizon\n")
    print(together.round(2).to_string(index=False))
    print("\n## median log error (published over median forecast) by origin and horizon\n")
    print(bias_by_origin(rows).round(3).to_string())
    print("\n## pooled coverage, scored and with each year's shared miss taken out (an oracle)\n")
    print(coverage_without_shared_miss(rows).round(3).to_string())


if __name__ == "__main__":
    main()
