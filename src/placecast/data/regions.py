"""Which DfE region each council belongs to, for regional and national totals.

``council_regions()`` gives every local authority in the shipped DfE tables with its region
(``E12`` code and name, London as one region) and, for London, DfE's Inner / Outer London
sub-region. The table is built from DfE's own files: the tidy 2018-2022 files carry each
council's region; councils that only appear in the 2015-2019 wide files (Buckinghamshire's
county code before 2020) take the region row they are listed under there.

Source: Department for Education, "Children looked after in England including adoptions"
(as :mod:`placecast.data.published`). Crown copyright; Open Government Licence v3.0. Rebuild
with ``python -m placecast.data.regions ../shared/data/dfe_cla_la_2015_2019
../shared/data/dfe_cla_ees_2018_2022``.
"""

from __future__ import annotations

import csv
import functools
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from placecast.data.dfe import RECODED
from placecast.data.published import bundled_rows
from placecast.errors import InputError

__all__ = [
    "REGIONS_TABLE",
    "build_regions_table",
    "council_name",
    "council_regions",
    "councils_in",
]

#: The shipped table: one row per council code.
REGIONS_TABLE = Path(__file__).parent / "tables" / "dfe_la_regions.csv"
_LONDON = ("E12000007", "London")
_COLUMNS = ["la_code", "la_name", "region_code", "region_name", "subregion"]
#: Councils are named as in the shipped tables; ``last_year`` is the latest year a code has
#: children in care published there. A council whose code changed without a change of area
#: (:data:`~placecast.data.dfe.RECODED`) has one row, under its current code; a council formed
#: in a reorganisation (Dorset's unitary council, 2019) is not its predecessor.


def council_regions() -> pd.DataFrame:
    """Every council in the shipped DfE tables with its region.

    Returns
    -------
    pandas.DataFrame
        ``la_code``, ``la_name``, ``region_code`` (``E12...``), ``region_name`` and
        ``subregion`` ("Inner London" / "Outer London" for London boroughs, else empty) and
        ``last_year``, the latest year the code has published children in care (a council
        whose code changed, as Dorset's in 2019, has a row for each code).

    Examples
    --------
    >>> regions = council_regions()
    >>> regions.set_index("la_name").loc["Hackney", ["region_name", "subregion"]].tolist()
    ['London', 'Inner London']
    """
    table = pd.read_csv(REGIONS_TABLE, dtype=str, keep_default_na=False)
    return table.astype({"last_year": int})


@functools.cache
def _names() -> dict[str, str]:
    return dict(zip(*council_regions()[["la_code", "la_name"]].T.values, strict=True))


def council_name(la_code: str) -> str:
    """A council's name as DfE writes it, from its code (the code itself if unknown).

    Examples
    --------
    >>> council_name("E09000012")
    'Hackney'
    """
    return _names().get(la_code, la_code)


def councils_in(groups: Iterable[str], regions: pd.DataFrame | None = None) -> list[str]:
    """The council codes of DfE regions or sub-regions given by name or code.

    ``"England"`` gives every council; ``"Inner London"`` / ``"Outer London"`` the sub-regions.
    Names are matched without regard to case. An unknown name is refused with the known ones.
    """
    table = council_regions() if regions is None else regions
    codes: list[str] = []
    for group in groups:
        key = group.strip().casefold()
        if key == "england":
            chosen = table
        else:
            chosen = table[
                (table["region_name"].str.casefold() == key)
                | (table["region_code"].str.casefold() == key)
                | (table["subregion"].str.casefold() == key)
            ]
        if chosen.empty:
            known = sorted({*table["region_name"], *filter(None, table["subregion"])})
            raise InputError(
                f"region {group!r} is not a DfE region; give one of {', '.join(known)}, or "
                "England (region codes E12000001-E12000009 also work)"
            )
        codes += [c for c in chosen["la_code"] if c not in codes]
    return codes


def _tidy_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if "region_code" not in (reader.fieldnames or []):
            return []
        rows = []
        for row in reader:
            if row["geographic_level"] != "Local authority":
                continue
            inner_outer = row["region_code"].startswith("E13")
            code, name = _LONDON if inner_outer else (row["region_code"], row["region_name"])
            rows.append(
                {
                    "la_code": row["new_la_code"],
                    "la_name": row["la_name"],
                    "region_code": code,
                    "region_name": name,
                    "subregion": row["region_name"] if inner_outer else "",
                }
            )
        return rows


def _wide_rows(path: Path) -> list[dict[str, str]]:
    """Councils of a 2015-2019 wide file under the region row listed before them."""
    with open(path, encoding="latin-1", newline="") as fh:
        reader = csv.DictReader(fh)
        if not {"LA_order", "New_geog_code", "geog_l", "geog_n"} <= set(reader.fieldnames or []):
            return []
        listed = sorted(reader, key=lambda r: int(r["LA_order"]))
    rows, region, subregion = [], ("", ""), ""
    for row in listed:
        code, level = row["New_geog_code"], row["geog_l"].strip().upper()
        name = row["geog_n"].strip().title().replace(" And ", " and ")
        if level == "REGION" and code.startswith("E12"):
            region, subregion = (code, name), ""
        elif level == "REGION" and code.startswith("E13"):
            subregion = name
        elif level == "LA":
            rows.append(
                {
                    "la_code": code,
                    "la_name": row["geog_n"].strip(),
                    "region_code": region[0],
                    "region_name": region[1],
                    "subregion": subregion,
                }
            )
    return rows


def build_regions_table(folders: Sequence[str | Path], out: str | Path = REGIONS_TABLE) -> Path:
    """Write the council-to-region table from DfE's files in ``folders``.

    The tidy files' own region columns win; the wide files fill councils they lack, with the
    tidy files' region names.
    """
    files = [f for d in folders for f in sorted(Path(d).glob("*.csv"))]
    tidy = pd.DataFrame([r for f in files for r in _tidy_rows(f)], columns=_COLUMNS)
    wide = pd.DataFrame([r for f in files for r in _wide_rows(f)], columns=_COLUMNS)
    if tidy.empty:
        raise InputError(
            f"no tidy DfE file with region columns in {[str(d) for d in folders]}; give the "
            "folder of the explore-education-statistics files"
        )
    region_names = dict(zip(tidy["region_code"], tidy["region_name"], strict=False))
    wide = wide[~wide["la_code"].isin(tidy["la_code"])].assign(
        region_name=lambda w: w["region_code"].map(region_names).fillna(w["region_name"])
    )
    shipped = bundled_rows().assign(la_code=lambda r: r["la_code"].replace(RECODED))
    shipped = shipped[(shipped["geographic_level"] == "la") & shipped["value"].notna()]
    last = shipped[shipped["measure"] == "children_in_care"].groupby("la_code")["year"].max()
    names = shipped.drop_duplicates("la_code").set_index("la_code")["la_name"]
    table = (
        pd.concat([tidy, wide], ignore_index=True)
        .assign(la_code=lambda t: t["la_code"].replace(RECODED))  # one row a council
        .drop_duplicates("la_code", keep="first")
        .loc[lambda t: t["la_code"].isin(last.index)]
        .assign(
            la_name=lambda t: t["la_code"].map(names), last_year=lambda t: t["la_code"].map(last)
        )
        .sort_values(["region_code", "la_name", "last_year"])
    )
    missing = sorted(set(last.index) - set(table["la_code"]))
    if missing:
        raise InputError(
            f"no region found for council codes {missing} in {[str(d) for d in folders]}; "
            "give the folders of both the 2015-2019 and the 2018-2022 DfE files"
        )
    out = Path(out)
    table.to_csv(out, index=False)
    return out


def _main(argv: Sequence[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m placecast.data.regions FOLDER [FOLDER ...]")
    print(build_regions_table(argv))


if __name__ == "__main__":
    _main(sys.argv[1:])
