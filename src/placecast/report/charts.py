"""Charts of a forecast: fans of children in care, spend against budget, savings against the
baseline, foster-place sufficiency (matplotlib; return the Axes or Figure for adjusting)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placecast.calendar import financial_year_label
from placecast.summary import QUANTILES

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from placecast.forecasting import Forecast
    from placecast.scenario.comparison import Comparison
    from placecast.scenario.recruitment import RecruitmentCurve


def _fan(ax: Axes, x: Any, da: xr.DataArray, colour: str, label: str) -> None:
    q = da.quantile(list(QUANTILES), dim="path").values
    ax.fill_between(x, q[0], q[4], color=colour, alpha=0.15, linewidth=0)
    ax.fill_between(x, q[1], q[3], color=colour, alpha=0.3, linewidth=0)
    ax.plot(x, q[2], color=colour, label=f"{label} (median, 50% and 90% bands)")


def _axes(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    return ax


def _colours() -> list[str]:
    import matplotlib

    return list(matplotlib.rcParams["axes.prop_cycle"].by_key()["color"])


def fan_chart(
    forecasts: list[Forecast],
    *,
    placement: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Median and 50% / 90% bands of children in care over time, one fan per forecast.

    Parameters
    ----------
    forecasts
        Forecasts to draw (e.g. ``comparison.forecasts``).
    placement
        A placement category, or ``None`` for all children in care: then the published
        31 March figures of up to :data:`HISTORY_YEARS` years before the start, where the
        inputs carry them (:attr:`~placecast.inputs.CouncilInputs.published_children_in_care`),
        are drawn as points before the fans.
    ax
        Axes to draw on; a new figure is made if omitted.
    """
    ax = _axes(ax)
    colours = _colours()
    for i, fc in enumerate(forecasts):
        da = _series(fc, placement)
        _fan(ax, pd.DatetimeIndex(da["date"].values), da, colours[i % len(colours)], fc.name)
    dates = pd.DatetimeIndex(_series(forecasts[0], placement)["date"].values)
    if placement is None:
        dates = _published_points(ax, forecasts[0], dates)
    ax.set_title(f"{_shorten(forecasts[0].inputs.name, 60)}: {_what(forecasts[0], placement)}")
    _financial_year_ticks(ax, dates)
    ax.set_ylabel("children")
    if placement is not None:
        ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    return ax


#: Published years shown before a forecast (enough to see the recent path, not to shrink it).
HISTORY_YEARS = 5


def _published_history(forecast: Forecast, start: pd.Timestamp) -> pd.Series:
    """The inputs' published children in care at 31 March of the years before ``start``
    (at most :data:`HISTORY_YEARS`), indexed by date; empty when they carry none."""
    published = forecast.inputs.published_children_in_care
    years = sorted(y for y in published if pd.Timestamp(year=y, month=3, day=31) < start)
    years = years[-HISTORY_YEARS:]
    return pd.Series(
        [published[y] for y in years],
        index=pd.DatetimeIndex([pd.Timestamp(year=y, month=3, day=31) for y in years]),
        dtype=float,
    )


def _published_points(ax: Axes, forecast: Forecast, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Draw the published history before ``dates`` (the forecast's) as points; returns the
    dates the axis then spans."""
    history = _published_history(forecast, dates[0])
    if history.empty:
        return dates
    ax.plot(
        history.index,
        history.values,
        "o",
        color="black",
        markersize=4,
        label="published, 31 March (DfE)",
    )
    return history.index.append(dates)


def _financial_year_ticks(ax: Axes, dates: pd.DatetimeIndex) -> None:
    """Ticks at each 1 April, labelled with the financial year that starts: "2023/24"."""
    starts = [d for d in pd.date_range(dates[0], dates[-1], freq="MS") if d.month == 4]
    if starts:
        ax.set_xticks(starts, [financial_year_label(d.year) for d in starts])


def _what(forecast: Forecast, placement: str | None) -> str:
    return "children in care" if placement is None else f"children in {_label(forecast, placement)}"


def _series(fc: Forecast, placement: str | None) -> xr.DataArray:
    da = fc.children_by_placement()
    return da.sum("placement") if placement is None else da.sel(placement=placement)


def fan_panels(
    forecasts: list[Forecast], *, placement: str | None = None, fig: Figure | None = None
) -> Figure:
    """One panel per scenario against the baseline (small multiples): with several scenarios
    one chart's bands merge into a smear and hide the baseline.

    Each panel shows the scenario's median and 50% / 90% bands over the baseline's median
    (dashed) and 90% band (grey), on a shared scale.
    """
    from matplotlib.figure import Figure

    base, scenarios = forecasts[0], forecasts[1:]
    columns = 2
    rows = max(1, -(-len(scenarios) // columns))
    fig = Figure(figsize=(11, 2.9 * rows + 0.6)) if fig is None else fig
    axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).ravel()
    colours = _colours()
    base_da = _series(base, placement)
    dates = pd.DatetimeIndex(base_da["date"].values)
    q = base_da.quantile([0.05, 0.5, 0.95], dim="path").values
    for i, ax in enumerate(axes):
        if i >= len(scenarios):
            ax.set_visible(False)
            continue
        fc = scenarios[i]
        ax.fill_between(dates, q[0], q[2], color="grey", alpha=0.15, linewidth=0)
        ax.plot(dates, q[1], color="black", linestyle="--", linewidth=1, label="baseline")
        _fan(ax, dates, _series(fc, placement), colours[(i + 1) % len(colours)], "scenario")
        ticks = _published_points(ax, base, dates) if placement is None else dates
        ax.set_title(_shorten(fc.name), fontsize="medium")
        ax.grid(alpha=0.3)
        if placement is not None:
            ax.set_ylim(bottom=0)
        _financial_year_ticks(ax, ticks)
    axes[0].legend(loc="upper left", fontsize="x-small")
    fig.suptitle(
        f"{_shorten(base.inputs.name, 60)}: {_what(base, placement)}\neach scenario against "
        "the baseline (dashed: its median; grey: its 90% band)"
    )
    fig.supylabel("children")
    return fig


def _shorten(text: str, most: int = 45) -> str:
    """A title that fits its panel: long names are cut with an ellipsis."""
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def spend_chart(forecasts: list[Forecast], *, ax: Axes | None = None) -> Axes:
    """Total cost per financial year against budget: median and 50% / 90% bands per forecast."""
    ax = _axes(ax)
    colours = _colours()
    first = forecasts[0]
    years = first.total_cost["financial_year"].values
    x = np.arange(len(years))
    width = 0.8 / len(forecasts)
    for i, fc in enumerate(forecasts):
        q = fc.total_cost.quantile(list(QUANTILES), dim="path").values / 1e6
        pos = x - 0.4 + width * (i + 0.5)
        _interval_bars(ax, pos, q, colours[i % len(colours)], f"{fc.name} (median)")
    budget = first.inputs.budget.as_dataarray(years).values / 1e6
    ax.step(
        np.r_[x - 0.5, x[-1] + 0.5],
        np.r_[budget, budget[-1]],
        where="post",
        color="black",
        linestyle="--",
        label="placement budget",
    )
    ax.set_xticks(x, [financial_year_label(int(y)) for y in years])
    ax.set_ylabel("£ million")
    ax.set_title(
        f"{_shorten(first.inputs.name, 60)}: placement cost by financial year (50% and 90% bands)"
    )
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def _interval_bars(ax: Axes, x: Any, q: np.ndarray, colour: str, label: str) -> None:
    """Bars of the 90% (light) and 50% (dark) intervals with the median as a ring, at ``x``;
    ``q`` holds the :data:`QUANTILES` by row."""
    ax.vlines(x, q[0], q[4], color=colour, alpha=0.35, linewidth=6)
    ax.vlines(x, q[1], q[3], color=colour, alpha=0.8, linewidth=6)
    ax.plot(x, q[2], "o", color="white", markeredgecolor=colour, label=label)


def savings_chart(cmp: Comparison, *, ax: Axes | None = None) -> Axes:
    """Each scenario's saving against the baseline by financial year: median and 50% / 90%
    bands of the difference, path by path on common random numbers (positive = saves money,
    after the scenario's own costs). With several scenarios this stays readable where their
    cost fans would overlap."""
    ax = _axes(ax)
    colours = _colours()
    savings = cmp.savings() / 1e6
    years = savings["financial_year"].values
    x = np.arange(len(years))
    width = 0.8 / max(len(cmp.scenarios), 1)
    for i, fc in enumerate(cmp.scenarios):
        q = savings.sel(scenario=fc.name).quantile(list(QUANTILES), dim="path").values
        pos = x - 0.4 + width * (i + 0.5)
        c = colours[(i + 1) % len(colours)]  # the baseline's colour stays the baseline's
        _interval_bars(ax, pos, q, c, _shorten(fc.name, 60))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [financial_year_label(int(y)) for y in years])
    ax.set_ylabel("£ million saved (below 0: costs more)")
    ax.set_title(
        f"{_shorten(cmp.baseline.inputs.name, 60)}: saving against the baseline\n"
        "(median, 50% and 90% bands; same random numbers as the baseline)"
    )
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def recruitment_chart(curve: RecruitmentCurve, *, ax: Axes | None = None) -> Axes:
    """The saving over the horizon against extra approvals a year: median and 50% / 90% bands
    of each candidate's saving against no extra recruitment, after the recruitment's cost, on
    common random numbers; the candidate with the lowest expected cost is marked."""
    ax = _axes(ax)
    saving = curve.saving().sum("financial_year") / 1e6
    approvals = saving["approvals_per_year"].values
    # With a retention grid, one series per deregistration rate, side by side at each number.
    rates = list(saving["deregistration_rate_per_year"].values) if curve.retention else [None]
    step = np.diff(approvals).min() if len(approvals) > 1 else 1.0
    for i, rate in enumerate(rates):
        one = saving if rate is None else saving.sel(deregistration_rate_per_year=rate)
        q = one.quantile(list(QUANTILES), dim="path").transpose("quantile", ...).values
        x = approvals + (i - (len(rates) - 1) / 2) * step * 0.25
        colour = _colours()[(i + 1) % len(_colours())]
        what = "" if rate is None else f", deregistration {rate:.3g} a year"
        _interval_bars(ax, x, q, colour, f"saving{what} (median, 50% and 90% bands)")
        ax.plot(x, one.mean("path").values, color=colour, lw=1, label=f"mean{what}")
    best = curve.best_option()
    ax.axvline(
        best["approvals_per_year"],
        color="black",
        ls=":",
        lw=1,
        label="lowest expected cost: "
        + f"{best['approvals_per_year']:g} a year"
        + (
            f", deregistration {best['deregistration_rate_per_year']:.3g}"
            if curve.retention
            else ""
        ),
    )
    ax.axhline(0, color="black", lw=0.8)
    years = curve.placement_cost["financial_year"].values
    span = f"{financial_year_label(int(years[0]))} to {financial_year_label(int(years[-1]))}"
    ax.set_xlabel("extra carer households approved a year")
    ax.set_ylabel(f"£ million saved, {span}")
    ax.set_title(
        f"Recruitment: saving against no extra recruitment, at "
        f"£{curve.cost_per_household_gbp:,.0f} a household"
        + (
            f"; retention £{curve.retention_cost_per_household_year_gbp:,.0f} a household a year"
            if curve.retention
            else ""
        )
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    return ax


def sufficiency_chart(forecasts: list[Forecast], *, ax: Axes | None = None) -> Axes:
    """In-house foster places against the children needing a foster place, at each month end.

    The need is the children in in-house fostering and in the overflow placement (IFA, where
    children go when in-house places run out); the places are the usable places of in-house
    carer households. Bands are the baseline's 90%; each scenario adds its places' median, so
    the chart shows how much of the need recruitment covers.
    """
    ax = _axes(ax)
    colours = _colours()
    base = forecasts[0]
    space = base.inputs.space
    cap, overflow = space.capacity_placement, space.overflow_placement
    children = base.children_by_placement()
    dates = pd.DatetimeIndex(children["date"].values)
    need = children.sel(placement=[cap, overflow]).sum("placement")
    in_house = children.sel(placement=cap)
    for da, colour, label in (
        (need, "grey", f"children in {_label(base, cap)} or {_label(base, overflow)}"),
        (in_house, colours[0], f"children in {_label(base, cap)}"),  # no scenario uses [0]
    ):
        q = da.quantile([0.05, 0.5, 0.95], dim="path").values
        ax.fill_between(dates, q[0], q[2], color=colour, alpha=0.15, linewidth=0)
        ax.plot(dates, q[1], color=colour, label=f"{label} (median, 90% band)")
    for i, fc in enumerate(forecasts):
        places = fc.data["in_house_places"].median("path").values
        # The baseline's places in black; each scenario's in its colour of the other charts.
        colour = "black" if i == 0 else colours[i % len(colours)]
        ax.plot(
            dates,
            places,
            color=colour,
            linestyle="-" if i == 0 else "--",
            drawstyle="steps-post",
            label=f"in-house places, {_shorten(fc.name, 40)} (median)",
        )
    ax.set_title(f"{_shorten(base.inputs.name, 60)}: in-house foster places against need")
    _financial_year_ticks(ax, dates)
    ax.set_ylabel("children / places")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    # Below the axes: with several scenarios a legend inside covered the places' lines.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize="small")
    return ax


def _label(forecast: Forecast, placement: str) -> str:
    space = forecast.inputs.space
    return space.placements[space.index(placement)].label.lower()


def comparison_charts(cmp: Comparison) -> list[tuple[str, Figure]]:
    """The charts of a comparison's reports, drawn once: (file stem, figure) pairs.

    Figures are made without pyplot, so the library never chooses a matplotlib backend; the
    caller saves them (see :func:`placecast.report.outputs.write_all`).
    """
    from matplotlib.figure import Figure

    space = cmp.baseline.inputs.space
    drawn: list[tuple[str, Figure]] = []
    fig = Figure(figsize=(9, 5))
    spend_chart(cmp.forecasts, ax=fig.subplots())
    drawn.append(("spend", fig))
    if cmp.scenarios:
        fig = Figure(figsize=(9, 5))
        savings_chart(cmp, ax=fig.subplots())
        drawn.append(("savings", fig))
    fig = Figure(figsize=(9, 5))
    sufficiency_chart(cmp.forecasts, ax=fig.subplots())
    drawn.append(("sufficiency", fig))
    residential = ("residential",) if "residential" in space.placement_names else ()
    for placement in (None, space.capacity_placement, space.overflow_placement, *residential):
        stem = f"fan_{placement or 'all_children'}"
        if len(cmp.scenarios) >= SMALL_MULTIPLES_FROM:
            drawn.append((stem, fan_panels(cmp.forecasts, placement=placement)))
            continue
        fig = Figure(figsize=(9, 5))
        fan_chart(cmp.forecasts, placement=placement, ax=fig.subplots())
        drawn.append((stem, fig))
    return drawn


#: From this many scenarios the fan charts are small multiples (one panel per scenario).
SMALL_MULTIPLES_FROM = 3


def backtest_chart(
    rows: pd.DataFrame,
    *,
    measure: str = "children_in_care",
    year: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Published value against the forecast, one point per council, with the 90% interval.

    ``rows`` are :attr:`placecast.backtest.Backtest.rows` (or the CSV the backtest writes);
    ``year`` defaults to the furthest forecast year. Points on the diagonal were forecast exactly;
    a bar crossing it means the published value was inside the 90% interval. Log scales, so small
    and large councils are equally visible.
    """
    ax = _axes(ax)
    r = rows[(rows["measure"] == measure)].dropna(subset=["actual", "q50"])
    year = int(r["year"].max()) if year is None else year
    r = r[(r["year"] == year) & (r["actual"] > 0)]
    inside = (r["actual"] >= r["q05"]) & (r["actual"] <= r["q95"])
    for ok, colour, label in ((True, "#1f77b4", "inside"), (False, "#d62728", "outside")):
        s = r[inside == ok]
        ax.errorbar(
            s["actual"],
            s["q50"],
            yerr=[s["q50"] - s["q05"], s["q95"] - s["q50"]],
            fmt="o",
            ms=3,
            lw=0.8,
            color=colour,
            alpha=0.8,
            label=f"published value {label} the 90% interval ({len(s)} councils)",
        )
    lo, hi = float(r[["actual", "q05"]].min().min()), float(r[["actual", "q95"]].max().max())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--", label="forecast = published")
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:,.0f}")
    # Label minor ticks 2x and 5x only, so a wide range does not crowd the axis.
    sparse = FuncFormatter(lambda v, _: f"{v:,.0f}" if f"{v:.0e}"[0] in "25" else "")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(sparse)
    ax.set_xlabel(
        f"published, 31 March {year}"
        if measure != "starts" and measure != "ceases"
        else f"published, year to 31 March {year}"
    )
    ax.set_ylabel("forecast median and 90% interval")
    ax.set_title(f"{measure.replace('_', ' ').capitalize()}: backtest forecasts, {year}")
    ax.legend(loc="upper left", fontsize=8)
    return ax
