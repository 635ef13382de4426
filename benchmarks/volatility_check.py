"""Do a council's own past ups and downs tell how wrong its forecast will be?

If the intervals were too uniform across councils (the priors pulling every council's
year-to-year variation to one size), steady councils would be covered too often and volatile
ones too rarely, and pooled coverage could look right at 90% while wrong at 50%. This script
checks that on a rolling run's stored forecasts: each council's volatility is the standard
deviation of its published yearly log changes up to the origin (children in care for the
stocks, starts and ceases for themselves; DfE's tables shipped with placecast, so no later
year is seen), and for each measure and horizon the councils are split in thirds by it:

    python benchmarks/volatility_check.py rolling_2017_2021_h3_all_entry2 --partial \
        --variant entryonly

Printed per third: median volatility, median width of the 50% interval (log q75 / q25), median
absolute log error of the median forecast, and the 50% and 90% coverage; and the correlations
(over forecasts) of log volatility with log width and with log error.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from tables import variant_run

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables

#: The published series whose past changes measure a measure's volatility.
SERIES = {
    "children_in_care": "children_in_care",
    "fostering": "children_in_care",
    "residential_semi_independent": "children_in_care",
    "starts": "starts",
    "ceases": "ceases",
}


def past_volatility(series: pd.DataFrame, origin: int) -> float:
    """The sample sd of a series' yearly log changes up to ``origin`` (NaN with fewer than
    two changes); ``series`` has columns year and value."""
    past = series[(series["year"] <= origin) & (series["value"] > 0)]
    changes = np.diff(np.log(past["value"].to_numpy(dtype=float)))
    return float(np.std(changes, ddof=1)) if changes.size >= 2 else float("nan")


def by_volatility(rows: pd.DataFrame, histories: dict[tuple[str, str], pd.DataFrame]) -> str:
    """The table by measure, horizon and third of past volatility (see the module)."""
    out = []
    for measure, part in rows.groupby("measure", sort=True):
        if measure not in SERIES:
            continue
        part = part.dropna(subset=["actual", "q05", "q25", "q50", "q75", "q95"])
        # log widths and errors need positive counts (a council with none in a group is left out)
        part = part[(part[["actual", "q25", "q50", "q75"]] > 0).all(axis=1)].copy()
        part["volatility"] = [
            past_volatility(histories[(code, SERIES[measure])], origin)
            if (code, SERIES[measure]) in histories
            else np.nan
            for code, origin in zip(part["la_code"], part["origin"], strict=True)
        ]
        part = part.dropna(subset=["volatility"])
        part = part[part["volatility"] > 0]
        part["width_50"] = np.log(part["q75"] / part["q25"])
        part["error"] = np.abs(np.log(part["actual"] / part["q50"]))
        part["in_50"] = part["actual"].between(part["q25"], part["q75"])
        part["in_90"] = part["actual"].between(part["q05"], part["q95"])
        for horizon, h in part.groupby("horizon", sort=True):
            h = h.assign(third=pd.qcut(h["volatility"], 3, labels=["steady", "middle", "volatile"]))
            table = h.groupby("third", observed=True).agg(
                volatility=("volatility", "median"),
                width_50=("width_50", "median"),
                error=("error", "median"),
                coverage_50=("in_50", "mean"),
                coverage_90=("in_90", "mean"),
            )
            log_vol = np.log(h["volatility"])
            out.append(
                f"\n{measure} at {int(horizon)} year(s), {len(h)} forecasts: corr(log volatility, "
                f"log width) {np.corrcoef(log_vol, np.log(h['width_50']))[0, 1]:.2f}, "
                f"corr(log volatility, log error) "
                f"{np.corrcoef(log_vol, np.log(h['error'] + 1e-4))[0, 1]:.2f}\n"
                + table.round(3).to_string()
            )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a rolling run's name (stored, or in runs/partial/)")
    parser.add_argument("--partial", action="store_true", help="a run in progress")
    parser.add_argument("--variant", default="base", help="the forecast variant (default base)")
    args = parser.parse_args()
    rows = variant_run(args.run, args.variant, args.partial).rows
    tidy = published_tables()
    histories = {}
    for code in rows["la_code"].unique():
        counts = published_counts(tidy, code)
        for name in set(SERIES.values()):
            values = getattr(counts, name)
            histories[(code, name)] = pd.DataFrame({"year": counts.years, "value": values})
    print(f"{args.run}, variant {args.variant}{' (partial)' if args.partial else ''}")
    print(by_volatility(rows, histories))


if __name__ == "__main__":
    main()
