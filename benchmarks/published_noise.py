"""How much narrower a report's intervals are than the backtest's, council by council.

The rolling backtests score forecasts of what DfE will *publish*: the engine's paths, plus the
published counts' own scatter around the model as fitted (a gamma factor on children in care,
starts and ceases with the fit's count noise; the placement groups' shares drawn around each
path's with the fit's share concentration; :func:`placecast.evaluation.forecast_published`).
A forecast's report shows the paths alone. This script fits each council as the backtest does
(``backtest_council``, saved fits reused) and reads both kinds of interval from its rows (one
forecast gives both):

    python benchmarks/published_noise.py --council Hackney --council Leeds --origin 2019

Rows (``runs/published_noise_<origin>_<n>/``): each council, measure and horizon with the log
widths of the 50% and 90% intervals both ways; printed, the median over councils of the ratio
paths / published.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from runs_store import parse_settings, write_run

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables
from placecast.evaluation import BacktestSettings
from placecast.evaluation.backtesting import backtest_council

FITS = Path(__file__).parent / ".fits_published_noise"


def widths(forecast: pd.DataFrame) -> pd.DataFrame:
    """Log widths of the 50% and 90% intervals of a backtest's rows (as
    :func:`~placecast.evaluation.forecast_published` gives them), of what DfE would publish and
    of the paths alone (``_paths``)."""
    out = forecast[["measure", "year", "horizon"]].copy()
    for suffix in ("", "_paths"):
        q = {k: forecast[f"q{k}{suffix}"] for k in ("05", "25", "75", "95")}
        out[f"width_50{suffix}"] = np.log(q["75"] / q["25"])
        out[f"width_90{suffix}"] = np.log(q["95"] / q["05"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--council", action="append", required=True, help="name or code")
    parser.add_argument("--origin", type=int, default=2019, help="last fitted year")
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--setting", action="append", default=[], help="setting=value")
    args = parser.parse_args()
    settings = BacktestSettings(
        last_fit_year=args.origin, horizon=args.horizon, **parse_settings(args.setting)
    )
    tidy = published_tables()
    rows = []
    for council in args.council:
        counts = published_counts(tidy, council)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the fit check's warnings: shown in the rows
            scored = backtest_council(counts, settings, fits=FITS)
        rows.append(widths(scored).assign(council=counts.council))
    table = pd.concat(rows, ignore_index=True)
    for level in (50, 90):
        table[f"ratio_{level}"] = table[f"width_{level}_paths"] / table[f"width_{level}"]
    summary = table.groupby(["measure", "horizon"])[["ratio_50", "ratio_90"]].median()
    print(summary.round(2).to_string())
    name = f"published_noise_{args.origin}_{len(args.council)}"
    record = {"settings": settings.to_dict(), "councils": args.council}
    print(f"rows in {write_run(name, table, record)}")


if __name__ == "__main__":
    main()
