"""``placecast recruit``: how many foster-carer households to recruit, on common random numbers."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
import pandas as pd

from placecast.calendar import financial_year_label
from placecast.cli.options import SEED, FiniteRange, council_options
from placecast.cli.simulate import council_inputs
from placecast.folders import written_folder
from placecast.forecasting import SEED as DEFAULT_SEED
from placecast.report.tables import spreadsheet_safe
from placecast.scenario.recruitment import DEFAULT_APPROVALS, recruitment_curve
from placecast.summary import gbp_m


@click.command(
    "recruit",
    help="How many extra foster-carer households to approve a year: forecasts each candidate on "
    "the baseline's random numbers and prints the whole curve (cost and saving over the "
    "horizon with 90% intervals), the number with the lowest expected cost and the lowest "
    "CVaR, the break-even cost per household and, with --budget-year, the least recruitment "
    "that meets the budget with --probability. With --deregistration-rate, also tries the "
    "deregistration rates a retention offer might buy, at --retention-cost a household a "
    "year. Writes recruitment_curve.csv, a chart, recruitment.xlsx and recruitment.html.",
    short_help="how many foster carers to recruit: the curve, optimum and break-even",
)
@click.option(
    "--approvals",
    type=FiniteRange(0, 1_000),
    multiple=True,
    help="a candidate number of extra approvals a year (repeat; default "
    + ", ".join(f"{n:g}" for n in DEFAULT_APPROVALS)
    + ")",
)
@click.option(
    "--cost-per-household",
    type=FiniteRange(0, 1e7),
    default=10_000.0,
    show_default=True,
    help="one-off cost of recruiting one extra household, GBP (an assumption: use your own)",
)
@click.option(
    "--deregistration-rate",
    type=FiniteRange(0, 12),
    multiple=True,
    help="a deregistration rate a year a retention offer might buy, tried with every number "
    "of approvals (repeat; the council's own rate is always tried)",
)
@click.option(
    "--retention-cost",
    type=FiniteRange(0, 1e6),
    default=0.0,
    show_default=True,
    help="what the retention offer costs a household a year, GBP (an assumption)",
)
@click.option(
    "--refine",
    type=click.IntRange(0, 10),
    default=0,
    show_default=True,
    help="rounds of refinement: each also tries the midpoints either side of the best number",
)
@click.option(
    "--budget-year",
    type=click.IntRange(2000, 2100),
    default=None,
    help="a financial year, by the year it starts (2024 = 2024/25), for the goal-seek",
)
@click.option(
    "--probability",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.8,
    show_default=True,
    help="chance of meeting the budget the goal-seek asks for",
)
@click.option(
    "--months",
    type=click.IntRange(12, 600),
    default=60,
    show_default=True,
    help="horizon in months",
)
@click.option(
    "--paths",
    type=click.IntRange(10, 1_000_000),
    default=1000,
    show_default=True,
    help="simulated paths per candidate",
)
@click.option("--seed", type=SEED, default=DEFAULT_SEED, show_default=True, help="random seed")
@council_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("placecast-recruit"),
    show_default=True,
    help="output folder",
)
def recruit(
    approvals: tuple[float, ...],
    cost_per_household: float,
    deregistration_rate: tuple[float, ...],
    retention_cost: float,
    refine: int,
    budget_year: int | None,
    probability: float,
    months: int,
    paths: int,
    seed: int,
    inputs: Path | None,
    figures: Path | None,
    out: Path,
) -> int:
    started = time.perf_counter()
    council = council_inputs(inputs, figures)
    curve = recruitment_curve(
        council,
        approvals or DEFAULT_APPROVALS,
        cost_per_household_gbp=cost_per_household,
        deregistration_rates=deregistration_rate or None,
        retention_cost_per_household_year_gbp=retention_cost,
        refine=refine,
        months=months,
        paths=paths,
        seed=seed,
    )
    table = curve.table()
    rates = (
        {"deregistration a year": table["deregistration_rate_per_year"].map("{:.3g}".format)}
        if curve.retention
        else {}
    )
    shown = pd.DataFrame(
        {
            "extra a year": table["approvals_per_year"].map("{:g}".format),
            **rates,
            "total cost (mean)": table["total_cost_mean_gbp"].map(gbp_m),
            "saving (mean)": table["saving_mean_gbp"].map(gbp_m),
            "saving 90% interval": [
                f"{gbp_m(lo)} to {gbp_m(hi)}"
                for lo, hi in zip(table["saving_p05_gbp"], table["saving_p95_gbp"], strict=True)
            ],
            "P(saves)": table["probability_of_saving"].map(
                lambda p: "" if pd.isna(p) else f"{p:.0%}"
            ),
            "break-even cost a household": table["break_even_cost_per_household_gbp"].map(
                lambda c: "" if pd.isna(c) else f"£{c:,.0f}"
            ),
        }
    )
    print(f"placecast recruit — {council.name}")
    print(
        f"{paths} paths a candidate, seed {seed}, {months} months; recruitment at "
        f"£{cost_per_household:,.0f} a household"
        + (
            f", retention offer £{retention_cost:,.0f} a household a year (the council's own "
            f"deregistration rate, {curve.own_deregistration_rate:.3g}, has none)"
            if curve.retention
            else ""
        )
        + "; savings against no extra recruitment at the council's own rate, summed over the "
        "forecast's financial years\n"
    )
    print(shown.to_string(index=False))
    best, safest = _option(curve.best_option()), _option(curve.best_option("cvar", 0.9))
    print(
        f"\nLowest expected total cost: {best}; lowest CVaR (mean of the worst 10% of paths): "
        f"{safest}."
    )
    about: dict[str, object] = {
        "command": "recruit",
        "council": council.name,
        "paths a candidate": paths,
        "seed": seed,
        "months": months,
        "cost of recruiting a household (GBP)": f"{cost_per_household:,.0f}",
        **(
            {
                "council's own deregistration rate a year": f"{curve.own_deregistration_rate:.3g}",
                "retention offer's cost a household a year (GBP)": f"{retention_cost:,.0f}",
            }
            if curve.retention
            else {}
        ),
        "lowest expected total cost at": best,
        "lowest CVaR, worst 10% of paths, at": safest,
    }
    if budget_year is not None:
        least = curve.least_meeting_budget(budget_year, probability)
        year = financial_year_label(budget_year)
        answer = f"{least:g} extra a year" if least is not None else "none of the candidates"
        print(
            f"Least recruitment meeting the {year} budget with probability {probability:.0%}: "
            f"{answer}."
        )
        about[f"least recruitment meeting the {year} budget with P >= {probability:.0%}"] = answer
    with written_folder(
        out, {"command": "recruit", "council": council.name, "paths": paths, "seed": seed}
    ) as staging:
        spreadsheet_safe(table).to_csv(staging / "recruitment_curve.csv", index=False)
        from matplotlib.figure import Figure

        from placecast.report.charts import recruitment_chart
        from placecast.report.excel import write_recruitment_excel
        from placecast.report.html import write_recruitment_html

        fig = Figure(figsize=(9, 5))
        recruitment_chart(curve, ax=fig.subplots())
        fig.savefig(staging / "recruitment_curve.png", dpi=120, bbox_inches="tight")
        write_recruitment_excel(table, about, staging / "recruitment.xlsx")
        write_recruitment_html(shown, about, fig, staging / "recruitment.html")
    print(
        f"\nWrote recruitment_curve.csv, recruitment_curve.png, recruitment.xlsx and "
        f"recruitment.html to {out}/ in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


def _option(option: dict[str, float]) -> str:
    """A candidate in words: "5 extra a year" (", deregistration 0.05 a year" with retention)."""
    text = f"{option['approvals_per_year']:g} extra a year"
    if "deregistration_rate_per_year" in option:
        text += f", deregistration {option['deregistration_rate_per_year']:.3g} a year"
    return text
