"""Scenarios written in a TOML file, with optional run settings."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from placecast.engine.size import MAX_MONTHS
from placecast.errors import InputError
from placecast.scenario.levers import Scenario

__all__ = ["ScenarioFile", "load_scenarios"]


@dataclass(frozen=True)
class ScenarioFile:
    """Scenarios read from a TOML file, with optional run settings.

    Attributes
    ----------
    scenarios
        The scenarios, in file order.
    months, paths, seed
        Run settings from the file's ``[run]`` table (``None`` where not given).
    """

    scenarios: list[Scenario]
    months: int | None = None
    paths: int | None = None
    seed: int | None = None


#: The [run] settings' ranges: the command line's.
_RUN_RANGES = {"months": (1, MAX_MONTHS), "paths": (1, 1_000_000), "seed": (0, 2**32 - 1)}


def load_scenarios(path: str | Path) -> ScenarioFile:
    """Read scenarios from a TOML file.

    The file holds an optional ``[run]`` table (``months``, ``paths``, ``seed``) and one
    ``[[scenario]]`` table per scenario with a ``name`` and any of the levers in
    :data:`~placecast.scenario.levers.LEVERS`, plus ``from_month`` or ``from_date``::

        [run]
        months = 60

        [[scenario]]
        name = "recruit 10 more households a year"
        extra_approvals_per_year = 10
        cost_per_recruited_household_gbp = 10000
        from_date = "2020-10"

    Raises
    ------
    InputError
        The file is missing or not valid TOML, or holds an unknown table, setting or lever; the
        message names the file and the offending key.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError("scenario file not found", file=str(path)) from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"not valid TOML: {err}", file=str(path)) from None
    unknown = sorted(set(raw) - {"run", "scenario"})
    if unknown:
        raise InputError(
            f"unknown table(s) {unknown}; expected [run] and [[scenario]]", file=str(path)
        )
    run = raw.get("run", {})
    bad = sorted(set(run) - {"months", "paths", "seed"})
    if bad:
        raise InputError(
            f"unknown [run] setting(s) {bad}; expected months, paths, seed", file=str(path)
        )
    for key, value in run.items():
        least, most = _RUN_RANGES[key]
        # TOML's true is a Python int: refuse it by name rather than run one month.
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise InputError(
                f"[run] {key} must be a whole number from {least:,} to {most:,}, got {value!r}",
                file=str(path),
                column=key,
            )
    tables = raw.get("scenario", [])
    if not isinstance(tables, list) or not tables:
        raise InputError("no [[scenario]] tables found", file=str(path))
    scenarios = [
        Scenario.from_dict(t, source=f"{path} [[scenario]] #{i + 1}") for i, t in enumerate(tables)
    ]
    return ScenarioFile(scenarios, run.get("months"), run.get("paths"), run.get("seed"))
