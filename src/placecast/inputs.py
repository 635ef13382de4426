"""One council's inputs (stock, rates, carer supply, unit costs, budget), and their folder.

``save_inputs`` writes ``inputs.json`` (plain numbers, meant to be read and edited: carer supply,
unit costs, budget, names) and ``inputs.nc`` (rates, possibly with posterior draws, and the
starting stock); ``load_inputs`` reads them back with clear errors. Everything is aggregate: no
child-level data is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from placecast._version import __version__
from placecast.costs import Budget, UnitCosts
from placecast.errors import ConfigError, InputError
from placecast.rates import RATE_DIMS, Rates
from placecast.states import StateSpace, space_from_dict, space_to_dict
from placecast.stock import InitialStock
from placecast.supply import CarerSupply

__all__ = ["FORMAT", "CouncilInputs", "load_inputs", "read_meta", "save_inputs"]

#: Version of the saved-folder layout (inputs and comparisons).
FORMAT = 1


@dataclass(frozen=True)
class CouncilInputs:
    """Everything placecast needs about one council.

    Parameters
    ----------
    name
        Council (and calibration) name, shown in reports.
    space, initial, rates, supply, costs, budget
        State space, starting stock, rates, foster-carer supply, unit costs and budget.
    start
        Month of the starting stock (``"2020-03"`` = 31 March 2020).
    sources
        Where the numbers came from, cited in reports.
    fit_check
        For inputs made from a fit: what the fit's check found
        (:meth:`placecast.fit.quality.FitCheck.to_dict`: ``passed``, ``summary``, ``problems``
        and the numbers). Reports show it, and warn when the fit failed.
    """

    name: str
    space: StateSpace
    initial: InitialStock
    rates: Rates
    supply: CarerSupply
    costs: UnitCosts
    budget: Budget
    start: str = "2020-03"
    sources: tuple[str, ...] = field(default_factory=tuple)
    fit_check: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.initial.space != self.space or self.rates.space != self.space:
            raise ConfigError("CouncilInputs: stock, rates and space must share one StateSpace")
        self.costs.validate(self.space)

    def with_rates(self, rates: Rates) -> CouncilInputs:
        """The same inputs with other rates (e.g. posterior draws from a fit)."""
        return replace(self, rates=rates)


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
        "space": space_to_dict(space),
        "supply": asdict(inputs.supply),
        "costs": {
            "weekly_cost_gbp": dict(inputs.costs.weekly_cost_gbp),
            "price_base_financial_year": inputs.costs.price_base_financial_year,
            "inflation_per_year": {p: inputs.costs.inflation(p) for p in space.placement_names},
            "cost_cv": dict(inputs.costs.cost_cv),
        },
        "budget": {str(k): v for k, v in inputs.budget.placement_budget_gbp.items()},
        "fit_check": None if inputs.fit_check is None else dict(inputs.fit_check),
    }
    (folder / "inputs.json").write_text(json.dumps(meta, indent=2))
    data = inputs.rates.data.assign(
        initial_counts=(("placement", "age_month"), inputs.initial.counts)
    )
    data.to_netcdf(folder / "inputs.nc", engine="h5netcdf")
    return folder


def read_meta(path: Path, what: str) -> dict[str, Any]:
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
    meta = read_meta(path, "inputs")
    try:
        space = space_from_dict(meta["space"])
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
            fit_check=meta.get("fit_check"),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"inputs are incomplete or malformed: {err}", file=str(path)) from None
