"""What a high-cost tier does to a forecast (issue 24): the embedded default council forecast on
one seed without a tier and with the LGA's 2018/19 and 2022/23 tiers; residential spend and total
cost by financial year (mean, 90% interval) and the chance of overspending. The table in
docs/costs.md comes from this run's rows.

    python benchmarks/bench_cost_tail.py --paths 2000 --months 36 --seed 5
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import pandas as pd
from runs_store import write_run

import placecast as pc
from placecast.data.cost_types import lga_high_cost_tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=2000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    council = pc.hackney_2022()
    tiers = {
        "none": {},
        "LGA 2018/19": {"residential": lga_high_cost_tail("2018/19")},
        "LGA 2022/23": {"residential": lga_high_cost_tail("2022/23")},
    }
    rows = []
    for label, tails in tiers.items():
        priced = replace(council, costs=replace(council.costs, tails=tails))
        fc = pc.forecast(priced, months=args.months, paths=args.paths, seed=args.seed)
        over = fc.overspend_summary()["probability_of_overspend"]
        for what, da in (
            ("residential", fc.spend.sel(placement="residential", drop=True)),
            ("total", fc.total_cost),
        ):
            for year in da["financial_year"].values:
                one = da.sel(financial_year=year)
                label_year = pc.calendar.financial_year_label(int(year))
                rows.append(
                    {
                        "tier": label,
                        "cost": what,
                        "financial_year": label_year,
                        "mean_gbp": float(one.mean()),
                        "p05_gbp": float(one.quantile(0.05)),
                        "p95_gbp": float(one.quantile(0.95)),
                        "probability_of_overspend": float(over.loc[label_year]),
                    }
                )
    table = pd.DataFrame(rows)
    folder = write_run(
        "cost_tail",
        table,
        {
            "description": "embedded default council, residential high-cost tier none / LGA "
            "2018/19 / LGA 2022/23 on one seed",
            "paths": args.paths,
            "months": args.months,
            "seed": args.seed,
            "tiers": {k: {p: t.to_dict() for p, t in v.items()} for k, v in tiers.items()},
        },
    )
    shown = table.assign(
        **{c: (table[c] / 1e6).round(2) for c in ("mean_gbp", "p05_gbp", "p95_gbp")}
    )
    print(shown.to_string(index=False))
    print(f"rows and settings: {folder}")


if __name__ == "__main__":
    main()
