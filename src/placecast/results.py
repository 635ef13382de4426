"""Save a comparison to a folder and load it back, so reports can be made without re-simulating.

Layout: the council's inputs as :func:`placecast.inputs.save_inputs` writes them (``inputs.json``
and ``inputs.nc``), ``comparison.json`` (format version, placecast version, scenario levers) and
one ``forecast_<k>.nc`` per forecast (the engine's output plus placement spend). Everything is
aggregate: no child-level data is written. ``load_inputs`` and ``save_inputs`` are re-exported
here for scripts written against earlier versions.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import xarray as xr

from placecast._version import __version__
from placecast.errors import ConfigError
from placecast.folders import check_complete
from placecast.forecasting import Forecast, ScenarioEffects, SupportsApply
from placecast.inputs import FORMAT, load_inputs, read_meta, save_inputs
from placecast.scenario import Comparison, Scenario

__all__ = [
    "load_comparison",
    "load_inputs",
    "save_comparison",
    "save_inputs",
    "scenario_to_dict",
]


def scenario_to_dict(scenario: SupportsApply | None) -> dict[str, Any] | None:
    """A scenario's levers as plain values (JSON), as :func:`load_comparison` reads them.

    Only a :class:`~placecast.scenario.Scenario` has levers that can be written; any other
    object with ``apply`` is refused with the fix.
    """
    if scenario is None:
        return None
    if not isinstance(scenario, Scenario):
        raise ConfigError(
            f"scenario {scenario.name!r} is a {type(scenario).__name__}, not a Scenario: only "
            "a Scenario's levers can be saved to be read back; express it as a "
            "placecast.Scenario, or write the comparison's tables instead "
            "(placecast.report.tidy_tables, write_excel, write_html)"
        )
    values = asdict(scenario)
    if values["budget_gbp"] is not None:
        values["budget_gbp"] = {str(k): v for k, v in values["budget_gbp"].items()}
    return values


def save_comparison(cmp: Comparison, folder: str | Path) -> Path:
    """Write ``cmp`` to ``folder`` (created if needed); returns the folder.

    Raises
    ------
    ConfigError
        A forecast's scenario is not a :class:`~placecast.scenario.Scenario` (its levers
        cannot be written); nothing is written then.
    """
    scenarios = [scenario_to_dict(fc.scenario) for fc in cmp.forecasts]  # refused before writing
    folder = save_inputs(cmp.baseline.inputs, folder)
    meta = {"format": FORMAT, "placecast_version": __version__, "scenarios": scenarios}
    (folder / "comparison.json").write_text(json.dumps(meta, indent=2))
    for k, fc in enumerate(cmp.forecasts):
        # Spend's financial_year is a dimension; the data's is a coordinate along month.
        spend = fc.spend.rename(financial_year="spend_financial_year")
        out = fc.data.assign(placement_spend_gbp=spend)
        # Counts are mostly small integers: byte-shuffled, the fastest zlib level shrinks them
        # about elevenfold (default council, 2,000 paths: 58 -> 5.4 MB in 0.75 s; level 4
        # without shuffling gave 6.4 MB in 1.17 s; benchmarks/README.md, "Report chain").
        encoding = {name: {"zlib": True, "complevel": 1, "shuffle": True} for name in out.data_vars}
        out.to_netcdf(folder / f"forecast_{k}.nc", engine="h5netcdf", encoding=encoding)
    return folder


def load_comparison(folder: str | Path) -> Comparison:
    """Read a comparison written by :func:`save_comparison`.

    Raises
    ------
    InputError
        The folder is incomplete (a run writing it did not finish) or mixes runs
        (:func:`placecast.folders.check_complete`).
    """
    folder = Path(folder)
    check_complete(folder)
    meta = read_meta(folder / "comparison.json", "comparison")
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
        months = data.sizes["month"] - 1
        effects = (
            ScenarioEffects.baseline(base, months)
            if scenario is None
            else scenario.apply(base, months)
        )
        forecasts.append(Forecast(scenario=scenario, data=data, spend=spend, effects=effects))
    return Comparison(baseline=forecasts[0], scenarios=forecasts[1:])
