"""One council's inputs (stock, rates, carer supply, unit costs, budget), and their folder.

``save_inputs`` writes ``inputs.json`` (plain numbers, meant to be read and edited: carer supply,
unit costs, budget, names) and ``inputs.nc`` (rates, possibly with posterior draws, and the
starting stock); ``load_inputs`` reads them back with clear errors. Everything is aggregate: no
child-level data is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from placecast._version import __version__
from placecast.costs import Budget, CostSubtype, CostTail, UnitCosts
from placecast.errors import ConfigError, InputError
from placecast.folders import check_finished
from placecast.rates import RATE_DIMS, Rates
from placecast.states import StateSpace, space_from_dict, space_to_dict
from placecast.stock import InitialStock
from placecast.supply import CarerSupply

__all__ = [
    "FORMAT",
    "INPUT_ITEMS",
    "STATUSES",
    "CouncilInputs",
    "inputs_fingerprint",
    "inputs_schema",
    "load_inputs",
    "read_meta",
    "save_inputs",
]

#: Version of the saved-folder layout (inputs and comparisons).
FORMAT = 1

#: The inputs whose status (where the number comes from) is recorded, and what each holds.
INPUT_ITEMS = {
    "starting_stock": "children in care at the start, by placement and age",
    "rates": "entry, move and exit rates",
    "carer_supply": "in-house foster-carer households, approvals and leaving",
    "unit_costs": "weekly cost of each placement (and the residential cost spread)",
    "cost_inflation": "unit costs' rise per year",
    "budget": "placement budget of each financial year",
}

#: What an input's status may be, and what it means (shown beside it in reports).
STATUSES = {
    "published": "a published figure (DfE, Ofsted, the council's annual report), cited in the "
    "sources",
    "council records": "counted from the council's own SSDA903 returns",
    "fitted": "estimated by a fit to the data, with its uncertainty",
    "assumed": "an assumption, stated in the sources",
    "placeholder": "a stand-in until the council enters its own figure: do not cite",
    "user-entered": "entered by the user in a figures workbook",
    "edited": "changed in inputs.json after placecast wrote it",
    "not recorded": "saved before placecast recorded where each input comes from",
}

#: Keys written only when set, so files saved before they existed keep their fingerprints.
_OPTIONAL_KEYS = ("subtypes", "tails")

#: Where each editable item lives in inputs.json (section, keys; no keys = the whole section),
#: so that an edit made after saving can be recognised.
_ITEM_PLACES: dict[str, tuple[str, tuple[str, ...]]] = {
    "carer_supply": ("supply", ()),
    "unit_costs": (
        "costs",
        ("weekly_cost_gbp", "price_base_financial_year", "cost_cv", "subtypes", "tails"),
    ),
    "cost_inflation": ("costs", ("inflation_per_year",)),
    "budget": ("budget", ()),
}


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
    published_children_in_care
        Children in care at 31 March of earlier years as published (year -> count), for inputs
        made from DfE's tables: the charts show them before the forecast so that a reader sees
        the forecast against the recent path. Empty when there is none (SSDA903 fits, inputs
        made by hand).
    status
        Where each input comes from: keys from :data:`INPUT_ITEMS` (``"starting_stock"``,
        ``"rates"``, ``"carer_supply"``, ...), values from :data:`STATUSES` (``"published"``,
        ``"fitted"``, ``"assumed"``, ``"placeholder"``, ...). Items left out read
        ``"not recorded"``. :func:`load_inputs` marks an item ``"edited"`` when its numbers in
        ``inputs.json`` changed after :func:`save_inputs` wrote them.
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
    status: Mapping[str, str] = field(default_factory=dict)
    published_children_in_care: Mapping[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.initial.space != self.space or self.rates.space != self.space:
            raise ConfigError("CouncilInputs: stock, rates and space must share one StateSpace")
        for year, count in self.published_children_in_care.items():
            if not isinstance(year, (int, np.integer)) or not np.isfinite(count) or count < 0:
                raise ConfigError(
                    f"CouncilInputs.published_children_in_care: {year!r}: {count!r}; give "
                    "whole years and counts of at least 0 (e.g. {2021: 418, 2022: 405})"
                )
        self.costs.validate(self.space)
        for item, status in self.status.items():
            if item not in INPUT_ITEMS:
                raise ConfigError(
                    f"CouncilInputs.status: unknown input {item!r}; use one of "
                    f"{', '.join(INPUT_ITEMS)}"
                )
            if status not in STATUSES:
                raise ConfigError(
                    f"CouncilInputs.status[{item!r}] = {status!r}; use one of "
                    f"{', '.join(repr(s) for s in STATUSES)}"
                )

    def status_table(self) -> pd.DataFrame:
        """Each input with its status and what that means, for reports.

        Returns
        -------
        pandas.DataFrame
            Columns ``input``, ``holds``, ``status``, ``meaning``; one row per item of
            :data:`INPUT_ITEMS`, in that order.

        Examples
        --------
        >>> from placecast.data.hackney import hackney_2022
        >>> hackney_2022().status_table().set_index("input").loc["rates", "status"]
        'fitted'
        """
        rows = []
        for item, holds in INPUT_ITEMS.items():
            status = self.status.get(item, "not recorded")
            rows.append((item.replace("_", " "), holds, status, STATUSES[status]))
        return pd.DataFrame(rows, columns=["input", "holds", "status", "meaning"])

    def with_status(self, **status: str) -> CouncilInputs:
        """The same inputs with some items' status set (e.g. after replacing the unit costs)."""
        return replace(self, status={**self.status, **status})

    def with_rates(self, rates: Rates) -> CouncilInputs:
        """The same inputs with other rates (e.g. posterior draws from a fit)."""
        return replace(self, rates=rates)


def save_inputs(inputs: CouncilInputs, folder: str | Path) -> Path:
    """Write a council's inputs to ``folder``: ``inputs.json`` (plain numbers, meant to be read
    and edited: carer supply, unit costs, budget, names) and ``inputs.nc`` (rates, possibly with
    posterior draws, and the starting stock). Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = _meta(inputs)
    meta["written"] = _fingerprints(meta)
    (folder / "inputs.json").write_text(json.dumps(meta, indent=2))
    data = inputs.rates.data.assign(
        initial_counts=(("placement", "age_month"), inputs.initial.counts)
    )
    data.to_netcdf(folder / "inputs.nc", engine="h5netcdf")
    return folder


def _meta(inputs: CouncilInputs) -> dict[str, Any]:
    """The contents of ``inputs.json`` (without the edit fingerprints)."""
    space = inputs.space
    return {
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
            **_cost_types(inputs.costs),
        },
        "budget": {str(k): v for k, v in inputs.budget.placement_budget_gbp.items()},
        "fit_check": None if inputs.fit_check is None else dict(inputs.fit_check),
        "status": dict(inputs.status),
        "published_children_in_care": {
            str(year): float(count)
            for year, count in sorted(inputs.published_children_in_care.items())
        },
    }


def _cost_types(costs: UnitCosts) -> dict[str, Any]:
    """Sub-types and high-cost tiers for inputs.json, only when the council has them."""
    out: dict[str, Any] = {}
    if costs.subtypes:
        out["subtypes"] = [t.to_dict() for t in costs.subtypes]
    if costs.tails:
        out["tails"] = {p: t.to_dict() for p, t in costs.tails.items()}
    return out


def inputs_fingerprint(inputs: CouncilInputs) -> str:
    """SHA-256 of everything a forecast takes from ``inputs`` (the numbers of ``inputs.json``
    and the rates and starting stock of ``inputs.nc``), so a report can cite exactly which
    inputs it ran on: equal inputs give equal fingerprints, whatever folder they came from.

    Examples
    --------
    >>> from placecast.data.hackney import hackney_2020
    >>> len(inputs_fingerprint(hackney_2020()))
    64
    """
    digest = hashlib.sha256()
    meta = _meta(inputs)
    digest.update(json.dumps(meta, sort_keys=True, default=str).encode())
    for name in sorted(str(n) for n in inputs.rates.data.data_vars):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(inputs.rates.data[name].values, dtype=float).tobytes())
    digest.update(np.ascontiguousarray(inputs.initial.counts, dtype=float).tobytes())
    return digest.hexdigest()


def _fingerprints(meta: Mapping[str, Any]) -> dict[str, str]:
    """A short hash of each editable item's numbers as saved, to recognise a later edit (numbers
    compared as floats, so "9" and "9.0" are the same)."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return value

    out = {}
    for item, (section, keys) in _ITEM_PLACES.items():
        body = meta.get(section)
        if isinstance(body, dict) and keys:
            body = {k: body.get(k) for k in keys if k in body or k not in _OPTIONAL_KEYS}
        text = json.dumps(plain(body), sort_keys=True)
        out[item] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def _edited(meta: Mapping[str, Any]) -> list[str]:
    """The editable items whose numbers differ from what save_inputs wrote (none for files
    written before fingerprints were kept)."""
    written = meta.get("written")
    if not isinstance(written, dict):
        return []
    now = _fingerprints(meta)
    return [item for item in _ITEM_PLACES if item in written and written[item] != now[item]]


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
    if not isinstance(meta, dict):
        raise InputError(
            f"must hold one JSON object of settings ({{...}}), got a {type(meta).__name__}",
            file=str(path),
        )
    if meta.get("format") != FORMAT:
        raise InputError(
            f"unknown format {meta.get('format')!r}; expected {FORMAT}", file=str(path)
        )
    return dict(meta)


#: What each section of inputs.json holds, for messages naming the section.
_SECTIONS = {
    "name": (str, 'the council\'s name, e.g. "Hackney"'),
    "start": (str, 'the stock date\'s month, e.g. "2022-03"'),
    "sources": (list, 'a list of texts, e.g. ["DfE tables 2022"]'),
    "space": (dict, "the state space placecast saved"),
    "supply": (dict, "carer supply: households, approvals_per_year, ..."),
    "costs": (dict, "unit costs: weekly_cost_gbp, price_base_financial_year, ..."),
    "budget": (dict, 'budget by financial year, e.g. {"2022": 19200000}'),
}


def _check_sections(meta: dict[str, Any], path: Path) -> None:
    """Each section present and of its kind; unit costs with an explicit inflation."""
    for key, (kind, what) in _SECTIONS.items():
        if key not in meta:
            raise InputError(f"no {key!r} section; it should hold {what}", file=str(path))
        if not isinstance(meta[key], kind):
            raise InputError(
                f"{key!r} should hold {what}; got {meta[key]!r:.80}", file=str(path), column=key
            )
    try:
        pd.Period(meta["start"], freq="M")
    except (ValueError, TypeError):
        raise InputError(
            f"start={meta['start']!r} is not a month; it should hold {_SECTIONS['start'][1]}",
            file=str(path),
            column="start",
        ) from None
    if "inflation_per_year" not in meta["costs"]:
        # Missing inflation used to mean 0% a year, without a word.
        raise InputError(
            "costs has no inflation_per_year: give one rate a year for every placement (e.g. "
            "0.03) or one per placement; 0 holds prices at the base year's",
            file=str(path),
            column="costs.inflation_per_year",
        )


def _financial_year(key: Any, path: Path) -> int:
    """A budget's financial year from its JSON key ("2022" = 2022/23)."""
    try:
        return int(key)
    except ValueError:
        raise InputError(
            f"budget year {key!r} is not a financial year; use the year it starts, e.g. "
            '"2022" for 2022/23',
            file=str(path),
            column="budget",
        ) from None


def _published_history(meta: Mapping[str, Any], path: Path) -> dict[int, float]:
    """``published_children_in_care`` of inputs.json (none in inputs saved before it was
    written), each year's count checked."""
    raw = meta.get("published_children_in_care") or {}
    if not isinstance(raw, dict):
        raise InputError(
            'published_children_in_care should hold counts by year, e.g. {"2022": 405}',
            file=str(path),
            column="published_children_in_care",
        )
    out = {}
    for key, value in raw.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        year_like = str(key).isdigit() and len(str(key)) == 4
        if not year_like or not number or not np.isfinite(value) or value < 0:
            raise InputError(
                f"published_children_in_care: {key!r}: {value!r}; give each year's count of "
                'children in care (at least 0) under the year, e.g. "2022": 405',
                file=str(path),
                column=f"published_children_in_care.{key}",
            )
        out[int(key)] = float(value)
    return out


def load_inputs(folder: str | Path) -> CouncilInputs:
    """Read inputs written by :func:`save_inputs` (after any edits to ``inputs.json``)."""
    folder = Path(folder)
    check_finished(folder)  # not a fit's half-written folder (inputs.json may be edited)
    path = folder / "inputs.json"
    meta = read_meta(path, "inputs")
    _check_sections(meta, path)
    nc = folder / "inputs.nc"
    try:
        with xr.open_dataset(nc, engine="h5netcdf") as ds:
            ds = ds.load()
    except FileNotFoundError:
        raise InputError(
            "missing: inputs.json needs the rates and starting stock saved beside it; save the "
            "inputs again (placecast.save_inputs, or placecast fit / fit-published)",
            file=str(nc),
        ) from None
    except (OSError, ValueError) as err:  # truncated or not netCDF
        raise InputError(
            f"cannot be read as netCDF ({err}); it may be truncated: save the inputs again",
            file=str(nc),
        ) from None
    status = meta.get("status") or {}
    sources = tuple(meta["sources"])
    edited = _edited(meta)
    if edited:
        # The sources and status a fit wrote no longer describe these numbers.
        status = {**status, **dict.fromkeys(edited, "edited")}
        named = ", ".join(item.replace("_", " ") for item in edited)
        sources = (*sources, f"edited: {named} changed in inputs.json after placecast wrote it")
    try:
        space = space_from_dict(meta["space"])
        return CouncilInputs(
            name=meta["name"],
            space=space,
            initial=InitialStock(space, np.asarray(ds["initial_counts"].values)),
            # Inputs saved before exit_change_per_year existed: exit rates held constant.
            rates=Rates.build(space, **{name: ds[name] for name in RATE_DIMS if name in ds}),
            supply=CarerSupply(**meta["supply"]),
            costs=UnitCosts(**meta["costs"]),
            budget=Budget({_financial_year(k, path): v for k, v in meta["budget"].items()}),
            start=meta["start"],
            sources=sources,
            fit_check=meta.get("fit_check"),
            status=status,
            published_children_in_care=_published_history(meta, path),
        )
    except InputError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"inputs are incomplete or malformed: {err}", file=str(path)) from None


def _parameters(cls: type) -> dict[str, str]:
    """Each parameter's description from a numpydoc ``Parameters`` section (one line each)."""
    lines = (cls.__doc__ or "").splitlines()
    out: dict[str, str] = {}
    names: list[str] = []
    inside = False
    for line in lines:
        text = line.strip()
        if text == "Parameters":
            inside = True
            continue
        if not inside or set(text) == {"-"}:
            continue
        if text and line.startswith("    ") and not line.startswith("        "):
            if text in ("Examples", "Returns", "Raises", "Notes", "Attributes"):
                break
            names = [n.strip() for n in text.split(",")]
            out.update(dict.fromkeys(names, ""))
        elif text:
            for name in names:
                out[name] = f"{out[name]} {text}".strip()
    return out


def _subtype_schema() -> dict[str, Any]:
    """One cost sub-type in inputs.json (see :class:`placecast.CostSubtype`)."""
    doc = _parameters(CostSubtype)
    share = {"type": "number", "minimum": 0, "maximum": 1}
    pounds = {"type": "number", "minimum": 0}
    return {
        "type": "object",
        "required": ["name", "placement", "share"],
        "additionalProperties": False,
        "oneOf": [{"required": ["weekly_cost_gbp"]}, {"required": ["uplift"]}],
        "properties": {
            "name": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
            "placement": {"type": "string", "description": doc["placement"]},
            "share": {
                "description": doc["share"] + ' By year: {"2024": 0.3}.',
                "oneOf": [
                    share,
                    {
                        "type": "object",
                        "propertyNames": {"pattern": r"^\d{4}$"},
                        "additionalProperties": share,
                        "minProperties": 1,
                    },
                ],
            },
            "weekly_cost_gbp": {**pounds, "description": doc["weekly_cost_gbp"]},
            "uplift": {"type": "number", "exclusiveMinimum": -1, "description": doc["uplift"]},
            "label": {"type": "string"},
            "source": {"type": "string"},
        },
    }


def _tail_schema() -> dict[str, Any]:
    """One high-cost tier in inputs.json (see :class:`placecast.CostTail`)."""
    doc = _parameters(CostTail)
    return {
        "type": "object",
        "required": ["share", "mean_weekly_cost_gbp"],
        "additionalProperties": False,
        "properties": {
            "share": {
                "type": "number",
                "exclusiveMinimum": 0,
                "exclusiveMaximum": 1,
                "description": doc["share"],
            },
            "mean_weekly_cost_gbp": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": doc["mean_weekly_cost_gbp"],
            },
            "cv": {"type": "number", "minimum": 0, "default": 0, "description": doc["cv"]},
            "source": {"type": "string", "description": doc["source"]},
        },
    }


def inputs_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of ``inputs.json``, the file :func:`save_inputs` writes and
    a person may edit.

    Descriptions come from the docstrings of :class:`~placecast.supply.CarerSupply`,
    :class:`~placecast.costs.UnitCosts` and :class:`~placecast.costs.Budget`, and bounds from
    their checks, so the schema and the code say the same. :func:`load_inputs` applies the
    same rules with messages naming the section; the schema is for editors and other tools.

    Returns
    -------
    dict
        The schema, ready for :func:`json.dumps`.

    Examples
    --------
    >>> sorted(inputs_schema()["properties"]["supply"]["properties"])[:2]
    ['approvals_per_year', 'deregistration_rate_per_year']
    """
    from placecast.supply import SUPPLY_BOUNDS

    supply_doc = _parameters(CarerSupply)
    costs_doc = _parameters(UnitCosts)
    placements = ", ".join(StateSpace().placement_names)
    number = {"type": "number", "minimum": 0}
    rate = {"type": "number", "exclusiveMinimum": -1}  # a yearly change: above -100%
    by_placement = {
        "type": "object",
        "additionalProperties": number,
        "description": f"by placement category ({placements} in the default state space)",
    }
    supply = {
        name: {**number, "maximum": most, "description": supply_doc[name]}
        for name, most in SUPPLY_BOUNDS.items()
    }
    supply["unusable_place_share"] = {
        "type": "number",
        "minimum": 0,
        "exclusiveMaximum": 1,
        "default": 0,
        "description": supply_doc["unusable_place_share"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "placecast inputs.json",
        "description": (
            "One council's inputs as saved by placecast.save_inputs (and placecast fit, "
            "fit-published): carer supply, unit costs and budget are meant to be edited; the "
            "rates and starting stock live in inputs.nc beside it."
        ),
        "type": "object",
        "required": ["format", *_SECTIONS],
        "properties": {
            "format": {"const": FORMAT, "description": "version of the saved-folder layout"},
            "placecast_version": {
                "type": "string",
                "description": "placecast version that wrote the file (for the record)",
            },
            "name": {"type": "string", "description": _SECTIONS["name"][1]},
            "start": {
                "type": "string",
                "pattern": r"^\d{4}-\d{2}$",
                "description": _SECTIONS["start"][1] + " (31 March 2022 is 2022-03)",
            },
            "sources": {
                "type": "array",
                "items": {"type": "string"},
                "description": "where the numbers came from, cited in reports",
            },
            "space": {
                "type": "object",
                "description": "the state space placecast saved; do not edit (inputs.nc "
                "follows it)",
            },
            "supply": {
                "type": "object",
                "description": _parameters_title(CarerSupply),
                "required": list(SUPPLY_BOUNDS),
                "additionalProperties": False,
                "properties": supply,
            },
            "costs": {
                "type": "object",
                "description": _parameters_title(UnitCosts),
                "required": ["weekly_cost_gbp", "inflation_per_year"],
                "additionalProperties": False,
                "properties": {
                    "weekly_cost_gbp": {
                        **by_placement,
                        "description": f"{costs_doc['weekly_cost_gbp']} Pounds, without £ "
                        f"or commas; {by_placement['description']}.",
                    },
                    "price_base_financial_year": {
                        "type": "integer",
                        "default": 2019,
                        "description": costs_doc["price_base_financial_year"],
                    },
                    "inflation_per_year": {
                        "description": f"{costs_doc['inflation_per_year']} 0.03 is 3% a year; "
                        "0 holds prices at the base year's.",
                        "oneOf": [
                            rate,
                            {"type": "object", "additionalProperties": rate, "minProperties": 1},
                        ],
                    },
                    "cost_cv": {**by_placement, "description": costs_doc["cost_cv"]},
                    "subtypes": {
                        "type": "array",
                        "description": costs_doc["subtypes"],
                        "items": _subtype_schema(),
                    },
                    "tails": {
                        "type": "object",
                        "description": costs_doc["tails"],
                        "additionalProperties": _tail_schema(),
                    },
                },
            },
            "budget": {
                "type": "object",
                "description": _parameters(Budget)["placement_budget_gbp"]
                + ' The key is the year the financial year starts, e.g. "2022" for 2022/23.',
                "propertyNames": {"pattern": r"^\d{4}$"},
                "additionalProperties": number,
            },
            "fit_check": {
                "type": ["object", "null"],
                "description": "for inputs made from a fit: what its check found (passed, "
                "summary, problems and the numbers); reports warn when it failed",
            },
            "status": {
                "type": "object",
                "description": "where each input comes from; reports show it. Keys: "
                + ", ".join(INPUT_ITEMS)
                + "; an item left out reads 'not recorded'",
                "propertyNames": {"enum": list(INPUT_ITEMS)},
                "additionalProperties": {"enum": list(STATUSES)},
            },
            "published_children_in_care": {
                "type": "object",
                "description": "children in care at 31 March of earlier years as published "
                '(DfE), for the charts; the key is the year, e.g. {"2022": 405}',
                "propertyNames": {"pattern": r"^\d{4}$"},
                "additionalProperties": {"type": "number", "minimum": 0},
            },
            "written": {
                "type": "object",
                "description": "hashes of the editable numbers as placecast wrote them, so that "
                "an edit is recognised and reported (status 'edited'); do not edit",
                "additionalProperties": {"type": "string"},
            },
        },
    }


def _parameters_title(cls: type) -> str:
    """The first line of a class's docstring."""
    return (cls.__doc__ or "").strip().splitlines()[0]
