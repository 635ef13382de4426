"""Regional and national totals of a batch forecast or comparison, with honest intervals.

Totals are summed path by path, never by adding intervals: the total's path ``i`` is the sum
of every council's path ``i``, and its intervals are taken over those sums. Councils' paths
are independent draws (each council has its own fit and its own seed; the fits share England's
priors but no shock in common), so a regional interval assumes councils' surprises are
independent. Where councils move together (a national change in entries, as in 2020-21) the
true regional interval is wider than this one: the pairing is stated with every total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from placecast.batch.jobs import PATHS_FILE
from placecast.batch.runner import resolve_councils
from placecast.data.regions import council_regions
from placecast.errors import InputError
from placecast.summary import interval_summary

__all__ = ["PAIRING", "RegionalTotals", "regional_totals"]

#: How councils' paths are paired in a total, said in every table and report.
PAIRING = (
    "independent: each council's paths are its own fit's draws with its own seed, summed path "
    "by path; placecast's fits share no shock across councils, so an interval assumes "
    "councils' surprises are independent (a national change would make it wider)"
)


@dataclass(frozen=True)
class RegionalTotals:
    """Totals of a batch's councils by group (DfE region, a cooperative, England).

    Attributes
    ----------
    paths
        Summed paths: ``children`` (group, path, year, placement), ``total_cost_gbp`` and
        ``overspend_gbp`` (group, path, financial_year), and for a comparison ``saving_gbp``
        (group, scenario, path, financial_year).
    councils
        One row per council and group: ``group``, ``la_code``, ``council``, and its own median
        children in care and cost in the first and last forecast years.
    pairing
        How councils' paths are paired (:data:`PAIRING`).
    """

    paths: xr.Dataset
    councils: pd.DataFrame
    pairing: str = PAIRING

    def children(self) -> pd.DataFrame:
        """Children in care at each 31 March by group and year (all placements), intervals."""
        return interval_summary(self.paths["children"].sum("placement"))

    def children_by_placement(self) -> pd.DataFrame:
        """Children at each 31 March by group, year and placement, with intervals."""
        return interval_summary(self.paths["children"])

    def cost(self) -> pd.DataFrame:
        """Total cost by group and financial year (GBP), with intervals."""
        return interval_summary(self.paths["total_cost_gbp"])

    def overspend(self) -> pd.DataFrame:
        """Overspend by group and financial year (GBP), intervals and chance of overspending."""
        return interval_summary(self.paths["overspend_gbp"], probability_above_zero=True)

    def savings(self) -> pd.DataFrame:
        """Each scenario's saving by group and financial year (GBP), intervals and the chance
        it saves; empty for a forecast batch."""
        if "saving_gbp" not in self.paths:
            return pd.DataFrame()
        return interval_summary(self.paths["saving_gbp"], probability_above_zero=True)


def _council_paths(folder: Path, codes: Sequence[str]) -> dict[str, xr.Dataset]:
    found = {}
    for code in codes:
        path = folder / "councils" / code / PATHS_FILE
        if path.is_file():
            with xr.open_dataset(path) as ds:
                found[code] = ds.load()
    return found


def regional_totals(
    folder: str | Path, groups: str | Mapping[str, Sequence[str]] = "region"
) -> RegionalTotals:
    """Sum a batch forecast's or comparison's councils by group.

    Parameters
    ----------
    folder
        A ``placecast batch forecast`` or ``compare`` folder.
    groups
        ``"region"`` (DfE regions; London as one), ``"england"`` (every council in the batch),
        or a mapping of group name to council names, codes or regions (a cooperative's list).

    Raises
    ------
    InputError
        No council has finished, a group has no finished council, or councils differ in paths
        or forecast years (they must be forecast alike to be summed).
    """
    folder = Path(folder)
    available = _council_paths(folder, sorted(p.name for p in (folder / "councils").glob("E*")))
    if not available:
        raise InputError(
            f"{folder}: no finished council forecast (councils/<code>/{PATHS_FILE}); run "
            "'placecast batch forecast' or 'compare' into it first"
        )
    table = council_regions().drop_duplicates("la_code").set_index("la_code")
    if groups == "region":
        chosen = {
            name: [c for c in available if c in set(members.index)]
            for name, members in table.loc[table.index.isin(available)].groupby("region_name")
        }
    elif groups == "england":
        chosen = {"England": list(available)}
    elif isinstance(groups, str):
        raise InputError(f"groups={groups!r}: use 'region', 'england' or name -> councils")
    else:
        chosen = {}
        for name, members in groups.items():
            codes = [c for m in members for c in _codes(m)]
            missing = [c for c in codes if c not in available]
            if missing:
                raise InputError(
                    f"group {name!r}: councils {missing} have no finished forecast in {folder}; "
                    "run them, or leave them out of the group"
                )
            chosen[name] = codes
    _check_alike(available)
    summed, rows = [], []
    for group, codes in chosen.items():
        datasets = [available[c] for c in codes]
        total = xr.concat(datasets, dim="council").sum("council")
        summed.append(total.expand_dims(group=[group]))
        for code, ds in zip(codes, datasets, strict=True):
            children = ds["children"].sum("placement").median("path")
            cost = ds["total_cost_gbp"].median("path")
            rows.append(
                {
                    "group": group,
                    "la_code": code,
                    "council": table["la_name"].get(code, ds.attrs.get("council", code)),
                    "start": ds.attrs.get("start", ""),
                    f"children_{int(children['year'][0])}": float(children[0]),
                    f"children_{int(children['year'][-1])}": float(children[-1]),
                    "first_year_cost_gbp": float(cost[0]),
                    "last_year_cost_gbp": float(cost[-1]),
                    "placeholders": ds.attrs.get("placeholders", ""),
                }
            )
    paths = xr.concat(summed, dim="group")
    paths.attrs = {"pairing": PAIRING}
    return RegionalTotals(paths=paths, councils=pd.DataFrame(rows))


def _codes(member: str) -> list[str]:
    """A group member: a council code or name, or a region (as the batch's own councils)."""
    try:
        return resolve_councils([member])
    except InputError:
        return resolve_councils(regions=[member])


def _check_alike(available: Mapping[str, xr.Dataset]) -> None:
    shapes = {
        code: (ds.sizes["path"], tuple(ds["year"].values), tuple(ds["financial_year"].values))
        for code, ds in available.items()
    }
    if len(set(shapes.values())) > 1:
        first = next(iter(shapes))
        other = next(c for c, s in shapes.items() if s != shapes[first])
        raise InputError(
            f"councils {first} and {other} were forecast with different paths or years "
            f"({shapes[first][0]} paths from {shapes[first][1][0]} vs {shapes[other][0]} from "
            f"{shapes[other][1][0]}); totals need every council forecast alike: fit them to "
            "the same last year and forecast with the same --months and --paths"
        )
