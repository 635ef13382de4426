"""Save a comparison to a folder and load it back, so reports can be made without re-simulating.

Layout: ``comparison.json`` (format version, placecast version, council inputs that are plain
numbers, scenario levers), ``inputs.nc`` (rates and starting stock) and one
``forecast_<k>.nc`` per forecast (the engine's output plus placement spend). Everything is
aggregate: no child-level data is written.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from placecast import __version__
from placecast.costs import Budget, UnitCosts
from placecast.errors import InputError
from placecast.forecast import CouncilInputs, Forecast
from placecast.rates import RATE_DIMS, Rates
from placecast.scenario import Comparison, Scenario
from placecast.simulate import InitialStock
from placecast.states import Placement, StateSpace
from placecast.supply import CarerSupply

FORMAT = 1


def _scenario_dict(scenario: Scenario | None) -> dict[str, Any] | None:
    if scenario is None:
        return None
    values = asdict(scenario)
    if values["budget_gbp"] is not None:
        values["budget_gbp"] = {str(k): v for k, v in values["budget_gbp"].items()}
    return values


def save_inputs(inputs: CouncilInputs, folder: str | Path) -> Path:
    """Write a council's inputs to ``folder``: ``inputs.json`` (plain numbers, meant to be read
    and edited: carer supply, unit costs, budget, names) and ``inputs.nc`` (rates, possibly with
    posterior draws, and the starting stock). Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    space = inputs.space
    meta = {
        "format": FORMAT,
        "placecast_version": __version__,
        "name": inputs.name,
        "start": inputs.start,
        "sources": list(inputs.sources),
        "space": {
            "placements": [[p.name, p.label, p.min_age_years] for p in space.placements],
            "age_band_edges_years": list(space.age_band_edges_years),
            "exit_reasons": list(space.exit_reasons),
            "capacity_placement": space.capacity_placement,
            "overflow_placement": space.overflow_placement,
        },
        "supply": asdict(inputs.supply),
        "costs": {
            "weekly_cost_gbp": dict(inputs.costs.weekly_cost_gbp),
            "price_base_financial_year": inputs.costs.price_base_financial_year,
            "inflation_per_year": {p: inputs.costs.inflation(p) for p in space.placement_names},
            "cost_cv": dict(inputs.costs.cost_cv),
        },
        "budget": {str(k): v for k, v in inputs.budget.placement_budget_gbp.items()},
    }
    (folder / "inputs.json").write_text(json.dumps(meta, indent=2))
    data = inputs.rates.data.assign(
        initial_counts=(("placement", "age_month"), inputs.initial.counts)
    )
    data.to_netcdf(folder / "inputs.nc", engine="h5netcdf")
    return folder


def _read_meta(path: Path, what: str) -> dict[str, Any]:
    """Read one of our JSON files, with clear errors for a missing, broken or foreign file."""
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(
            f"no saved {what} here ({path.name} missing)", file=str(path.parent)
        ) from None
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err}", file=str(path)) from None
    if meta.get("format") != FORMAT:
        raise InputError(
            f"unknown format {meta.get('format')!r}; expected {FORMAT}", file=str(path)
        )
    return dict(meta)


def load_inputs(folder: str | Path) -> CouncilInputs:
    """Read inputs written by :func:`save_inputs` (after any edits to ``inputs.json``)."""
    folder = Path(folder)
    path = folder / "inputs.json"
    meta = _read_meta(path, "inputs")
    try:
        s = meta["space"]
        space = StateSpace(
            placements=tuple(Placement(n, label, age) for n, label, age in s["placements"]),
            age_band_edges_years=tuple(s["age_band_edges_years"]),
            exit_reasons=tuple(s["exit_reasons"]),
            capacity_placement=s["capacity_placement"],
            overflow_placement=s["overflow_placement"],
        )
        with xr.open_dataset(folder / "inputs.nc", engine="h5netcdf") as ds:
            ds = ds.load()
        return CouncilInputs(
            name=meta["name"],
            space=space,
            initial=InitialStock(space, np.asarray(ds["initial_counts"].values)),
            # Inputs saved before exit_change_per_year existed: exit rates held constant.
            rates=Rates.build(space, **{name: ds[name] for name in RATE_DIMS if name in ds}),
            supply=CarerSupply(**meta["supply"]),
            costs=UnitCosts(**meta["costs"]),
            budget=Budget({int(k): v for k, v in meta["budget"].items()}),
            start=meta["start"],
            sources=tuple(meta["sources"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"inputs are incomplete or malformed: {err}", file=str(path)) from None


def save_comparison(cmp: Comparison, folder: str | Path) -> Path:
    """Write ``cmp`` to ``folder`` (created if needed); returns the folder."""
    folder = save_inputs(cmp.baseline.inputs, folder)
    meta = {
        "format": FORMAT,
        "placecast_version": __version__,
        "scenarios": [_scenario_dict(fc.scenario) for fc in cmp.forecasts],
    }
    (folder / "comparison.json").write_text(json.dumps(meta, indent=2))
    for k, fc in enumerate(cmp.forecasts):
        # Spend's financial_year is a dimension; the data's is a coordinate along month.
        spend = fc.spend.rename(financial_year="spend_financial_year")
        out = fc.data.assign(placement_spend_gbp=spend)
        # Counts are mostly small integers: compression shrinks them about tenfold.
        encoding = {name: {"zlib": True, "complevel": 4} for name in out.data_vars}
        out.to_netcdf(folder / f"forecast_{k}.nc", engine="h5netcdf", encoding=encoding)
    return folder


def load_comparison(folder: str | Path) -> Comparison:
    """Read a comparison written by :func:`save_comparison`."""
    folder = Path(folder)
    meta = _read_meta(folder / "comparison.json", "comparison")
    base = load_inputs(folder)
    forecasts = []
    for k, values in enumerate(meta["scenarios"]):
        scenario = None
        if values is not None:
            values = {k: v for k, v in values.items() if v is not None}
            scenario = Scenario.from_dict(values, source=str(folder / "comparison.json"))
        with xr.open_dataset(folder / f"forecast_{k}.nc", engine="h5netcdf") as data:
            data = data.load()
        spend = data["placement_spend_gbp"].rename(spend_financial_year="financial_year")
        data = data.drop_vars(["placement_spend_gbp", "spend_financial_year"])
        inputs = base if scenario is None else scenario.priced_inputs(base)
        forecasts.append(Forecast(inputs=inputs, scenario=scenario, data=data, spend=spend))
    return Comparison(baseline=forecasts[0], scenarios=forecasts[1:])
