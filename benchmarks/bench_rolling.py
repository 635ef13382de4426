"""Rolling-origin backtest on the data councils have today: fit to each origin, score by horizon.

Run: ``python benchmarks/bench_rolling.py [--councils N] [--origins 2017 2018 2019 2020 2021]
[--horizon 3] [--workers 2] [--tag _x]``. Reads the 2015-2019 wide and the 2018-2022 tidy DfE
tables from ``../shared/data``; for every origin T, England's priors are fitted to the years up
to T and each council to its own, then forecast for T+1..min(T+3, 2022). Writes
``benchmarks/runs/rolling_<origins>_h<H><tag>/``: ``rows.csv`` (every council, origin, measure
and year), ``settings.json`` (the command and every setting), and ``by_horizon.csv`` /
``by_horizon_no_covid.csv`` (:meth:`Backtest.by_horizon`, with and without the forecast years
2020-21), and prints both tables. Partial rows are kept in ``.rolling_*.partial/`` beside this
file, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from runs_store import write_run

from placecast.data.dfe import read_dfe
from placecast.evaluation import BacktestSettings, la_councils
from placecast.evaluation.rolling import rolling_backtest

HERE = Path(__file__).parent
SHARED = HERE.parent.parent / "shared" / "data"
COLUMNS = [
    "councils",
    "median_mase_placecast",
    "median_mase_last_value",
    "median_mase_linear_trend",
    "gap_last_value",
    "gap_last_value_q05",
    "gap_last_value_q95",
    "gap_linear_trend",
    "gap_linear_trend_q05",
    "gap_linear_trend_q95",
    "coverage_50",
    "coverage_90",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=0, help="N spread by code (0 = all)")
    parser.add_argument("--origins", type=int, nargs="+", default=[2017, 2018, 2019, 2020, 2021])
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tag", default="")
    parser.add_argument("--description", default="")
    args = parser.parse_args()

    warnings.simplefilter("ignore")
    tidy = read_dfe([SHARED / "dfe_cla_la_2015_2019", SHARED / "dfe_cla_ees_2018_2022"])
    names = la_councils(tidy)
    if args.councils:  # evenly spaced in code order, so every region is represented
        names = [names[i] for i in np.linspace(0, len(names) - 1, args.councils).astype(int)]
    settings = BacktestSettings(horizon=args.horizon)
    name = f"rolling_{args.origins[0]}_{args.origins[-1]}_h{args.horizon}{args.tag}"
    t0 = time.perf_counter()
    result = rolling_backtest(
        tidy,
        names,
        args.origins,
        settings,
        workers=args.workers,
        progress=True,
        checkpoint=HERE / f".{name}.partial",
    )
    elapsed = time.perf_counter() - t0
    record = {
        "description": args.description or name,
        "settings": settings.to_dict(),
        "origins": args.origins,
        "councils": args.councils or "all",
        "priors": result.priors_source,
        "data": ["../shared/data/dfe_cla_la_2015_2019", "../shared/data/dfe_cla_ees_2018_2022"],
        "minutes": round(elapsed / 60, 1),
        "workers": args.workers,
    }
    folder = write_run(name, result.rows, record)
    for suffix, excluded in (("", ()), ("_no_covid", (2020, 2021))):
        table = result.by_horizon(exclude_years=excluded)[COLUMNS]
        table.to_csv(folder / f"by_horizon{suffix}.csv")
        print(f"\n{name}: by horizon{' without forecast years 2020-21' if excluded else ''}")
        print(table.round(2).to_string())
    print(f"\n{len(names)} councils x {len(args.origins)} origins in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
