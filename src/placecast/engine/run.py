"""Run the engine over a horizon: :func:`simulate` (stochastic paths) and :func:`expected`
(the mean-field cohort model), with results as an ``xarray.Dataset`` with named dimensions."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from placecast.calendar import financial_year_of, month_end_dates
from placecast.engine.drivers import Drivers
from placecast.engine.size import run_size
from placecast.engine.step import (
    RESULTS,
    Batch,
    result_shapes,
    step_expected,
    step_sampled,
)
from placecast.errors import ConfigError
from placecast.rates import Rates
from placecast.states import MONTHS_PER_YEAR, N_AGE_MONTHS, StateSpace
from placecast.stock import InitialStock
from placecast.supply import CarerSupply, SupplyPaths, simulate_supply

__all__ = ["Branch", "expected", "simulate", "simulate_with_branches"]


def _outputs(space: StateSpace, paths: int, months: int, sampled: bool) -> dict[str, np.ndarray]:
    """The engine's results for every path (:data:`~placecast.engine.step.RESULTS`), by (month,
    path, ...), which the batches fill in place, month by month."""
    # int32 counts halve the memory traffic (2^31 children per cell).
    count = np.int32 if sampled else float
    shapes = result_shapes(space)
    return {name: np.zeros((months + 1, paths, *shapes[name]), dtype=count) for name in RESULTS}


def _run_batch(
    initial: InitialStock | np.ndarray,
    regimes: list[list[tuple[Rates, np.ndarray]]],
    places: np.ndarray,
    drivers: Drivers,
    draw: np.ndarray,
    run_key: np.uint64 | None,
    rows: slice,
    out: dict[str, np.ndarray],
    first_month: int = 1,
    kept: dict[int, np.ndarray] | None = None,
) -> None:
    """Simulate children for a batch of paths, filling ``out[name][:, rows]`` (the mean-field
    model when ``run_key`` is None).

    ``regimes`` holds (rates, monthly probabilities) by forecast year for the council's rates
    and, if the drivers have lever rates, for those (used from ``drivers.lever_from_month``).
    ``places`` holds the usable in-house places of each path, shape (S, T + 1). The batch's
    paths are paths ``rows`` of the run, whose random numbers are keyed by ``run_key``
    (:mod:`placecast.engine.kernels`). The run starts from ``initial`` at the end of month
    ``first_month - 1`` (an initial stock at month 0, or the batch's children by (path,
    placement, age month) then, whose months up to there are already in ``out``); the
    children at the end of each month in ``kept`` are copied into the batch's rows of it.
    """
    space = regimes[0][0][0].space
    batches = [[Batch.gather(rates, probs, draw) for rates, probs in years] for years in regimes]
    S = draw.size
    sampled = run_key is not None
    counts = initial.counts if isinstance(initial, InitialStock) else initial
    n = np.array(  # C order: astype would keep the broadcast's order
        np.broadcast_to(counts, (S, space.n_placements, N_AGE_MONTHS)),
        dtype=np.int32 if sampled else float,
        order="C",
    )
    if first_month == 1:
        out["children"][0, rows] = space.to_bands(n)
    spare = np.empty_like(n)  # a step writes the month's end here: no new array a month
    for t in range(first_month, drivers.months + 1):
        multiplier = float(drivers.entry_multiplier[t - 1])
        by_year = batches[-1] if t >= drivers.lever_from_month else batches[0]
        batch = by_year[min((t - 1) // MONTHS_PER_YEAR, len(by_year) - 1)]
        mine = {name: out[name][t, rows] for name in RESULTS}  # contiguous views
        if run_key is not None:
            step_sampled(n, spare, places[:, t], batch, t, multiplier, run_key, rows.start, mine)
        else:
            step_expected(n, spare, places[:, t], batch, t, multiplier, mine)
        n, spare = spare, n
        if kept is not None and t in kept:
            kept[t][rows] = n


def _in_batches(run: Callable[[int], None], n: int, workers: int) -> None:
    """``run(i)`` for each batch ``i``, on ``workers`` threads."""
    # The compiled steps release the GIL, so threads give real parallelism here.
    if workers > 1 and n > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, range(n)))
    else:
        for i in range(n):
            run(i)


def _supply_vars(supply: SupplyPaths) -> dict[str, np.ndarray]:
    return {
        "carer_households": supply.households,
        "carer_approvals": supply.approvals,
        "carer_deregistrations": supply.deregistrations,
        "in_house_places": supply.places,
    }


def _to_dataset(
    out: dict[str, np.ndarray],
    space: StateSpace,
    draw: np.ndarray,
    start: str | pd.Period,
    attrs: dict[str, Any],
) -> xr.Dataset:
    T = out["children"].shape[1] - 1
    dates = month_end_dates(start, T)
    dims = {
        "children": ("path", "month", "placement", "age_band"),
        "entries": ("path", "month", "placement"),
        "exits": ("path", "month", "placement", "exit_reason"),
        "moves": ("path", "month", "from_placement", "to_placement"),
    }
    data_vars = {name: (dims.get(name, ("path", "month")), values) for name, values in out.items()}
    ds = xr.Dataset(
        data_vars,
        coords={
            "path": np.arange(draw.size),
            "month": np.arange(T + 1),
            "placement": list(space.placement_names),
            "from_placement": list(space.placement_names),
            "to_placement": list(space.placement_names),
            "age_band": list(space.age_band_labels),
            "exit_reason": list(space.all_exit_reasons),
            "date": ("month", dates),
            "financial_year": ("month", financial_year_of(dates)),
            "draw": ("path", draw),
        },
        attrs=attrs,
    )
    ds["children"].attrs["description"] = (
        "children in care at the end of the month (month 0 = start)"
    )
    ds["entries"].attrs["description"] = (
        "children entering care during the month, by first placement"
    )
    ds["exits"].attrs["description"] = "children leaving care during the month, by last placement"
    ds["moves"].attrs["description"] = "moves between placement categories during the month"
    ds["redirected_to_overflow"].attrs["description"] = (
        f"children who needed a {space.capacity_placement} place but went to "
        f"{space.overflow_placement} because none was free"
    )
    ds["displaced_to_overflow"].attrs["description"] = (
        f"children moved from {space.capacity_placement} to {space.overflow_placement} because "
        "capacity fell below the children placed"
    )
    return ds


def _regimes(rates: Rates, drivers: Drivers) -> list[list[tuple[Rates, np.ndarray]]]:
    """The council's rates and any lever rates, each with its monthly probabilities by forecast
    year (one year when no rate changes from year to year)."""
    sets = [rates] if drivers.lever_rates is None else [rates, drivers.lever_rates]
    for other in sets[1:]:
        if other.space != rates.space or other.n_draws != rates.n_draws:
            raise ConfigError(
                "Drivers.lever_rates must share the state space and draws of the rates"
            )
    years = -(-drivers.months // MONTHS_PER_YEAR)
    return [_by_year(r, years if r.changes_by_year else 1) for r in sets]


def _by_year(rates: Rates, years: int) -> list[tuple[Rates, np.ndarray]]:
    """Each forecast year's rates and monthly probabilities, kept on the rates once made: the
    baseline and every scenario that leaves the rates alone share them (a compare's N+1
    forecasts made them N+1 times). Rates are immutable, so what is kept cannot go stale."""
    made = rates.__dict__.get("_monthly_by_year", [])
    if len(made) < years:
        made = [(y, y.monthly_probabilities()) for y in map(rates.in_year, range(years))]
        object.__setattr__(rates, "_monthly_by_year", made)  # not a field: not compared
    return made[:years]


def _check_inputs(initial: InitialStock, rates: Rates) -> None:
    if initial.space != rates.space:
        raise ConfigError("InitialStock and Rates were built on different state spaces")


def simulate(
    initial: InitialStock,
    rates: Rates,
    supply: CarerSupply,
    *,
    months: int = 60,
    paths: int = 1000,
    seed: int | np.random.SeedSequence = 0,
    start: str | pd.Period = "2020-03",
    drivers: Drivers | None = None,
    batch_paths: int = 500,
    workers: int | None = None,
    branch: Branch | None = None,
) -> xr.Dataset:
    """Simulate children in care, month by month, on many paths.

    Parameters
    ----------
    initial
        Children in care at the start (the stock date is ``start``).
    rates
        Entry, move and exit rates; path ``i`` uses rate draw ``i % rates.n_draws``.
    supply
        Mainstream in-house foster-carer supply (capacity).
    months
        Forecast horizon in months.
    paths
        Number of simulated paths.
    seed
        Seed for all random numbers; the same seed gives the same result.
    start
        Month of the starting stock, e.g. ``"2020-03"`` for 31 March 2020.
    drivers
        Month-by-month drivers (scenarios); default holds everything constant.
    batch_paths
        Paths simulated together in one batch (affects memory and how the work is shared among
        threads, not the numbers: each path's random numbers are keyed by the seed and its
        index).
    workers
        Threads running batches in parallel (default: number of CPUs, at most 4).
    branch
        Carry on from this point of another run (:func:`simulate_with_branches`) instead of
        running its months again: the same numbers as running this one whole. The run must
        share that one's seed, paths, stock, rates, and drivers and carer supply up to the
        branch's month.

    Returns
    -------
    xarray.Dataset
        Dimensions ``path``, ``month`` (0 = start), ``placement``, ``age_band``, ``exit_reason``,
        ``from_placement``, ``to_placement``; variables ``children``, ``entries``, ``exits``,
        ``moves``, ``redirected_to_overflow``, ``displaced_to_overflow``, ``carer_households``,
        ``carer_approvals``, ``carer_deregistrations``, ``in_house_places``. Coordinates ``date``
        (month end) and ``financial_year`` along ``month``; ``draw`` along ``path``.

    Examples
    --------
    >>> import placecast as pc
    >>> inputs = pc.hackney_2020()
    >>> ds = simulate(inputs.initial, inputs.rates, inputs.supply, months=12, paths=20, seed=1)
    >>> int(ds["children"].isel(month=0).sum(("placement", "age_band"))[0])
    432
    """
    return simulate_with_branches(
        initial,
        rates,
        supply,
        (),
        months=months,
        paths=paths,
        seed=seed,
        start=start,
        drivers=drivers,
        batch_paths=batch_paths,
        workers=workers,
        branch=branch,
    )[0]


def simulate_with_branches(
    initial: InitialStock,
    rates: Rates,
    supply: CarerSupply,
    keep: Sequence[int],
    *,
    months: int = 60,
    paths: int = 1000,
    seed: int | np.random.SeedSequence = 0,
    start: str | pd.Period = "2020-03",
    drivers: Drivers | None = None,
    batch_paths: int = 500,
    workers: int | None = None,
    branch: Branch | None = None,
) -> tuple[xr.Dataset, dict[int, Branch]]:
    """:func:`simulate`, keeping a :class:`Branch` at the end of each month in ``keep`` (after
    ``branch``'s month, if given, and before the last), from which runs that differ from this one
    only later carry on: a comparison's scenarios from their levers' first month. A branch holds
    every path's children by age month (10 MB at 2,000 paths) and views of this run's results."""
    keep = sorted({int(m) for m in keep})
    first = 1 if branch is None else branch.month + 1
    if any(not first <= m < months for m in keep):
        raise ConfigError(
            f"simulate_with_branches: keep months {first} to {months - 1}, got {keep}"
        )
    drivers = Drivers.constant(supply, months) if drivers is None else drivers
    if drivers.months != months:
        raise ConfigError(f"drivers cover {drivers.months} months but months={months}")
    if paths < 1 or batch_paths < 1:
        raise ConfigError(f"paths and batch_paths must be >= 1, got {paths}, {batch_paths}")
    _check_inputs(initial, rates)
    month_end_dates(start, months)  # validates ``start`` before any work
    children = float(initial.counts.sum())
    run_size(rates.space, paths=paths, months=months, children=children).check()
    draw = np.arange(paths) % rates.n_draws
    batches = [draw[i : i + batch_paths] for i in range(0, paths, batch_paths)]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    supply_seed, children_seed = root.spawn(2)
    run_key = children_seed.generate_state(1, np.uint64)[0]  # keys every path's uniforms
    carers = simulate_supply(
        supply,
        approvals_per_year=drivers.approvals_per_year,
        deregistration_rate_per_year=drivers.deregistration_rate_per_year,
        places_per_household=drivers.places_per_household,
        paths=paths,
        rng=np.random.default_rng(supply_seed),
    )
    workers = workers or min(4, os.cpu_count() or 1)
    regimes = _regimes(rates, drivers)  # transition probabilities once for all batches

    out = _outputs(rates.space, paths, months, sampled=True)
    if branch is not None:
        why = branch.mismatch(initial, rates, drivers, carers.places, run_key)
        if why is not None:
            raise ConfigError(
                f"simulate: this run cannot carry on from the branch at month {branch.month}: it "
                f"has {why}; run it whole (branch=None)"
            )
        for name in RESULTS:
            out[name][:first] = branch.results[name]
    shape = (paths, rates.space.n_placements, N_AGE_MONTHS)
    kept = {m: np.empty(shape, dtype=np.int32) for m in keep}

    def run(i: int) -> None:
        rows = slice(i * batch_paths, i * batch_paths + batches[i].size)
        state = initial if branch is None else branch.children[rows]
        places = carers.places[rows]
        _run_batch(state, regimes, places, drivers, batches[i], run_key, rows, out, first, kept)

    _in_batches(run, len(batches), workers)
    branches = {
        m: Branch(
            month=m,
            children=state,
            results={name: out[name][: m + 1] for name in RESULTS},
            places=carers.places[:, : m + 1],
            run_key=run_key,
            initial=initial,
            rates=rates,
            drivers=drivers,
        )
        for m, state in kept.items()
    }
    out = {name: np.moveaxis(values, 0, 1) for name, values in out.items()}  # (path, month)
    out.update(_supply_vars(carers))
    attrs = {
        "seed": str(root.entropy),
        "batch_paths": batch_paths,
        "model": "stochastic",
        "start": str(pd.Period(start, freq="M")),
    }
    return _to_dataset(out, rates.space, draw, start, attrs), branches


@dataclass(frozen=True, eq=False)
class Branch:
    """A stochastic run at the end of month ``month``: every path's children by (path,
    placement, age month), the run's results for months 0 to ``month`` (by month, path, ...)
    and what made them. Every uniform is keyed by (seed, month, path, cell), so a run that
    shares the seed, paths, stock and rates, and whose drivers and carer supply agree up to
    ``month``, has exactly these months: :func:`simulate` carries on from here (``branch``)."""

    month: int
    children: np.ndarray
    results: dict[str, np.ndarray]
    places: np.ndarray  # usable in-house places by (path, month), months 0 to ``month``
    run_key: np.uint64
    initial: InitialStock
    rates: Rates
    drivers: Drivers

    def mismatch(
        self,
        initial: InitialStock,
        rates: Rates,
        drivers: Drivers,
        places: np.ndarray,
        run_key: np.uint64,
    ) -> str | None:
        """What a run with these inputs does not share with this one (``None``: nothing)."""
        if run_key != self.run_key:
            return "another seed"
        if places.shape[0] != self.children.shape[0]:
            return f"{places.shape[0]:,} paths, not {self.children.shape[0]:,}"
        if drivers.months <= self.month:
            return f"{drivers.months} months, which end by the branch's month"
        if initial is not self.initial and not np.array_equal(initial.counts, self.initial.counts):
            return "another starting stock"
        if rates is not self.rates and not rates.data.identical(self.rates.data):
            return "other rates"
        shared = drivers.shared_months(self.drivers)
        if shared < self.month:
            return f"drivers that differ from month {shared + 1}"
        if not np.array_equal(places[:, : self.month + 1], self.places):
            return "another carer supply before the branch's month"
        return None


def expected(
    initial: InitialStock,
    rates: Rates,
    supply: CarerSupply,
    *,
    months: int = 60,
    start: str | pd.Period = "2020-03",
    drivers: Drivers | None = None,
    draws: Sequence[int] | None = None,
    batch_draws: int = 250,
    workers: int | None = None,
) -> xr.Dataset:
    """The mean-field cohort model: the engine's step applied to expected values.

    Same output layout as :func:`simulate`, with one "path" per rate draw and fractional counts.
    Flows and stocks are expectations conditional on the capacity rule being applied to expected
    numbers (capacity makes the true expectation slightly different; see the methodology page).
    ``batch_draws`` draws are stepped together, batches on ``workers`` threads (default: the
    number of CPUs, at most 4); neither changes the numbers.
    """
    drivers = Drivers.constant(supply, months) if drivers is None else drivers
    if drivers.months != months:
        raise ConfigError(f"drivers cover {drivers.months} months but months={months}")
    if batch_draws < 1:
        raise ConfigError(f"batch_draws must be >= 1, got {batch_draws}")
    _check_inputs(initial, rates)
    month_end_dates(start, months)
    draw = np.arange(rates.n_draws) if draws is None else np.asarray(draws)
    carers = simulate_supply(
        supply,
        approvals_per_year=drivers.approvals_per_year,
        deregistration_rate_per_year=drivers.deregistration_rate_per_year,
        places_per_household=drivers.places_per_household,
        paths=draw.size,
        rng=None,
    )
    regimes = _regimes(rates, drivers)
    batches = [draw[i : i + batch_draws] for i in range(0, draw.size, batch_draws)]

    out = _outputs(rates.space, draw.size, months, sampled=False)

    def run(i: int) -> None:
        rows = slice(i * batch_draws, i * batch_draws + batches[i].size)
        _run_batch(initial, regimes, carers.places[rows], drivers, batches[i], None, rows, out)

    # Batches keep each month's arrays in cache and let threads share the work; every draw's
    # numbers are its own, whatever the batch.
    _in_batches(run, len(batches), workers or min(4, os.cpu_count() or 1))
    out = {name: np.moveaxis(values, 0, 1) for name, values in out.items()}  # (path, month)
    out.update(_supply_vars(carers))
    attrs = {"model": "mean_field", "start": str(pd.Period(start, freq="M"))}
    return _to_dataset(out, rates.space, draw, start, attrs)
