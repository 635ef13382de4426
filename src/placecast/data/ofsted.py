"""Ofsted's local-authority fostering data: each council's own foster carers, shipped.

Ofsted's "Fostering in England" statistics publish, for every council's fostering service, the
approved households at 31 March (and how many are friends-and-family households), the approved,
filled, vacant and unavailable places, the households approved and deregistered during the year.
They are what a council's carer supply (:class:`~placecast.supply.CarerSupply`) is made of, so
:func:`published_carer_supply` fills a fitted council's supply from them instead of a
placeholder, naming the source and year.

The files come in two layouts, both with one column per area: 2017-18 (labels in the first
column) and 2018-19 (topic, sub-topic and label in the first three, a row of Ofsted reference
numbers under the area names, empty separator columns). Rows are recognised by their label and
columns by their area name, so a later release in either layout reads with no code change.
Values are counts rounded to 5 (``1,234`` with a thousands comma in 2018-19); ``..`` and ``x``
are suppressed (left out, never filled in).

Source: Ofsted, "Fostering in England 1 April 2017 to 31 March 2018" and "... 2018 to 31 March
2019", local-authority level data. Crown copyright; Open Government Licence v3.0
(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/). The shipped table
(``tables/ofsted_fostering_la_2018_2019.csv.gz``) is rebuilt with
``python -m placecast.data.ofsted ../shared/data/ofsted_fostering``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.data.csvfile import read_text_csv
from placecast.data.dfe import RECODED, current_code
from placecast.errors import InputError
from placecast.supply import CarerSupply

__all__ = [
    "OFSTED_BUNDLE",
    "CarerSupplySource",
    "build_ofsted_bundle",
    "fostering_tables",
    "published_carer_supply",
    "read_ofsted_fostering",
]

#: The shipped table: one row per council, year (ending 31 March) and measure.
OFSTED_BUNDLE = Path(__file__).parent / "tables" / "ofsted_fostering_la_2018_2019.csv.gz"
#: Row labels (lower case, letters and digits only, a prefix of the label) -> measure.
#: 2018-19 counts deregistrations of all households, 2017-18 of mainstream ones only (Ofsted's
#: footnote); 2017-18 has no total of households approved in the year.
_MEASURES = {
    "totalapprovedhouseholds": "households",
    "familyandfriends": "family_friends_households",
    "numberofapprovedfosterplaces": "places",
    "numberoffilledplaces": "filled_places",
    "numberofvacantplaces": "vacant_places",
    "numberofplacesnotavailable": "unavailable_places",
    "numberofchildrenyoungpeopleinplacementsat31march": "children_placed",
    "totalnumberofhouseholdsapprovedinyear": "households_approved",
    "ofwhichnumberoffamilyandfriendshouseholdsapprovedinyear": "family_friends_approved",
    "numberoffamilyandfriendshouseholdsapprovedinyear": "family_friends_approved",
    "numberofapplicationsapproved": "applications_approved",
    "totalhouseholdsderegisteredbetween1apriland31march": "households_deregistered",
}
#: Areas in Ofsted's columns that are not one council.
_NOT_COUNCILS = {
    "england",
    "northeast",
    "northwest",
    "yorkshireandthehumber",
    "eastmidlands",
    "westmidlands",
    "eastofengland",
    "london",
    "innerlondon",
    "outerlondon",
    "southeast",
    "southwest",
    "londontriborough",
}
_SUPPRESSED = {"..", "x", "c", ":", "z"}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _area_key(name: str) -> str:
    """Council names as Ofsted and DfE spell them, made comparable ("Kingston Upon Hull" and
    "Kingston upon Hull, City of"; "Bristol" and "Bristol, City of"; "Durham" and "County
    Durham"; "Bedford Borough" and "Bedford"; "St. Helens" and "St Helens")."""
    name = name.lower().replace("&", "and")
    name = re.sub(r",\s*(city|county) of$", "", name.strip())
    name = re.sub(r"^(county|city of) ", "", name)
    name = re.sub(r" (borough|city|council)$", "", name)
    return _key(name)


def _year_of(path: Path) -> int:
    """The year ending 31 March that a file covers, from its name (``2017-18``,
    ``2018_to_2019``)."""
    match = re.search(r"(20\d\d)\s*(?:-|_to_|_)\s*(20)?(\d\d)", path.name)
    if not match:
        raise InputError(
            "cannot tell which year the file covers from its name: keep Ofsted's name, which "
            "holds the year (e.g. Local_authority_level_fostering_data_2018_to_2019.csv)",
            file=str(path),
        )
    return 2000 + int(match.group(3))


def read_ofsted_fostering(path: str | Path) -> pd.DataFrame:
    """One Ofsted local-authority fostering file as tidy rows.

    Parameters
    ----------
    path
        A CSV file as Ofsted publishes it (2017-18 or 2018-19 layout).

    Returns
    -------
    pandas.DataFrame
        One row per council and measure: ``area`` (Ofsted's name), ``year`` (ending 31 March),
        ``measure`` (households, family_friends_households, places, filled_places,
        vacant_places, unavailable_places, children_placed, households_approved,
        family_friends_approved, applications_approved, households_deregistered), ``value``
        (NaN where suppressed), ``line`` (the row's line in the file) and ``source`` (the file
        name). Regions, England, Inner/Outer London and the London Tri-borough service are left
        out (``attrs["skipped_areas"]``).

    Raises
    ------
    InputError
        The file is not in a layout placecast knows, or a value is not a count (the error
        names the file, line and column).
    """
    path = Path(path)
    text = read_text_csv(path)
    year = _year_of(path)
    header = list(text.columns)
    # Label columns come first; the first area column is England's.
    first_area = next((i for i, h in enumerate(header) if _key(h) == "england"), None)
    if first_area is None or first_area == 0:
        raise InputError(
            "not an Ofsted local-authority fostering file: no 'England' column after the row "
            "labels",
            file=str(path),
        )
    labels = text.iloc[:, :first_area].apply(
        lambda row: next((c for c in reversed(list(row)) if c.strip()), ""), axis=1
    )
    rows = []
    seen: set[str] = set()
    for position, (index, label) in enumerate(labels.items()):
        measure = next((m for k, m in _MEASURES.items() if _key(label).startswith(k)), None)
        if measure is None or measure in seen:
            continue  # the first row of each measure (Ofsted repeats some labels lower down)
        seen.add(measure)
        for col in range(first_area, len(header)):
            area = re.sub(r"\.\d+$", "", header[col]).strip()  # pandas' suffix on repeats
            if not area or area.startswith("Unnamed"):
                continue
            raw = str(text.iat[position, col]).strip()
            rows.append(
                {
                    "area": area,
                    "year": year,
                    "measure": measure,
                    "value": _count(raw, path, int(index) + 2, header[col]),
                    "line": int(index) + 2,
                    "source": path.name,
                }
            )
    if "households" not in seen:
        raise InputError(
            "not an Ofsted local-authority fostering file: no 'Total approved households' row",
            file=str(path),
        )
    frame = pd.DataFrame(rows)
    keep = ~frame["area"].map(_key).isin(_NOT_COUNCILS)
    frame.attrs["skipped_areas"] = sorted(set(frame.loc[~keep, "area"]))
    return frame[keep].reset_index(drop=True)


def _count(raw: str, path: Path, line: int, column: str) -> float:
    if raw == "" or raw.lower() in _SUPPRESSED:
        return np.nan
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        raise InputError(
            f"{raw!r} is not a count (Ofsted's suppression marks '..' and 'x' are read as missing)",
            file=str(path),
            row=line,
            column=column,
        ) from None
    if not np.isfinite(value) or value < 0:
        raise InputError(
            f"{raw!r} is not a count: must be a whole number >= 0",
            file=str(path),
            row=line,
            column=column,
        )
    return value


def build_ofsted_bundle(folder: str | Path, out: str | Path = OFSTED_BUNDLE) -> Path:
    """Read every Ofsted file in ``folder``, match its councils to DfE's codes (the shipped
    DfE tables' names) and write the shipped table to ``out``."""
    from placecast.data.published import bundled_rows

    files = sorted(Path(folder).glob("*.csv"))
    frame = pd.concat([read_ofsted_fostering(f) for f in files], ignore_index=True)
    dfe = bundled_rows().assign(la_code=lambda r: r["la_code"].replace(RECODED))  # current
    councils = dfe[dfe["geographic_level"] == "la"].sort_values("year")
    # A name two codes share (Dorset: the county to 2019, the unitary council after) is the
    # older code's: Ofsted's years end by 31 March 2019.
    councils = councils.drop_duplicates("la_name")[["la_code", "la_name"]]
    code_of = {
        _area_key(n): c for c, n in zip(councils["la_code"], councils["la_name"], strict=True)
    }
    frame["la_code"] = frame["area"].map(_area_key).map(code_of)
    unmatched = sorted(set(frame.loc[frame["la_code"].isna(), "area"]))
    if unmatched:
        raise InputError(
            f"Ofsted areas with no council in DfE's tables: {', '.join(unmatched)}; add how "
            "they are spelt to placecast.data.ofsted._area_key",
            file=str(folder),
        )
    out = Path(out)
    frame[["la_code", "area", "year", "measure", "value", "source"]].to_csv(
        out, index=False, compression={"method": "gzip", "mtime": 0}
    )
    return out


def fostering_tables() -> pd.DataFrame:
    """The shipped Ofsted table (see :data:`OFSTED_BUNDLE`)."""
    return pd.read_csv(OFSTED_BUNDLE, dtype={"la_code": str, "area": str, "source": str})


@dataclass(frozen=True)
class CarerSupplySource:
    """A council's carer supply from Ofsted's data, and where each figure came from.

    Attributes
    ----------
    supply
        The carer supply for :class:`~placecast.inputs.CouncilInputs`.
    year
        Year ending 31 March of the Ofsted data used.
    source
        One line for the inputs' sources, citing Ofsted, the year and the figures.
    """

    supply: CarerSupply
    year: int
    source: str


def published_carer_supply(
    la_code: str, tables: pd.DataFrame | None = None
) -> CarerSupplySource | None:
    """A council's mainstream carer supply from its latest year in Ofsted's data.

    Parameters
    ----------
    la_code
        The council's ONS code (as in DfE's tables).
    tables
        Ofsted rows with ``la_code`` (default: the shipped table, :func:`fostering_tables`).

    Returns
    -------
    CarerSupplySource or None
        ``None`` when Ofsted has no usable year for the council (no households, or every
        figure needed suppressed); the caller then falls back to an estimate and says so.

    Notes
    -----
    placecast's in-house fostering is mainstream foster care (friends and family placements
    are a category of their own), so:

    * households: approved households at 31 March less friends-and-family households;
    * places per household: approved places over approved households (all households: Ofsted
      does not split places by household type);
    * unusable share: places "not available" over approved places;
    * approvals: households approved in the year less friends-and-family ones (2017-18, which
      has no such total: applications approved);
    * leaving: households deregistered in the year over households at 31 March (2018-19
      counts all households, 2017-18 mainstream ones, over which it is then divided).

    Examples
    --------
    >>> hackney = published_carer_supply("E09000012")
    >>> hackney.year, hackney.supply.households
    (2019, 105.0)
    """
    tables = fostering_tables() if tables is None else tables
    own = tables[tables["la_code"] == current_code(la_code)]
    for year in sorted(own["year"].unique(), reverse=True):
        values = own[own["year"] == year].set_index("measure")["value"]

        def get(measure: str, of: pd.Series = values) -> float:
            return float(of.get(measure, np.nan))

        households = get("households")
        mainstream = households - np.nan_to_num(get("family_friends_households"))
        places = get("places")
        if not (households > 0 and mainstream > 0 and places > 0):
            continue
        approved = get("households_approved") - np.nan_to_num(get("family_friends_approved"))
        if np.isnan(approved):
            approved = get("applications_approved")
        deregistered = get("households_deregistered")
        leaving_base = households if year >= 2019 else mainstream
        unusable = np.nan_to_num(get("unavailable_places")) / places
        missing = [
            name
            for name, v in (("approvals", approved), ("deregistrations", deregistered))
            if np.isnan(v)
        ]
        if missing:
            continue
        supply = CarerSupply(
            households=float(mainstream),
            places_per_household=round(float(places / households), 3),
            approvals_per_year=float(max(approved, 0.0)),
            deregistration_rate_per_year=round(float(deregistered / leaving_base), 4),
            unusable_place_share=round(float(min(unusable, 0.9)), 4),
        )
        area = str(own["area"].iloc[0])
        source = (
            f"published {year - 1}-{str(year)[2:]}, assumed to hold: {mainstream:.0f} mainstream "
            f"foster-carer households ({households:.0f} approved less "
            f"{households - mainstream:.0f} friends and family), {places:.0f} places "
            f"({supply.unusable_place_share:.0%} not available), {supply.approvals_per_year:.0f} "
            f"mainstream households approved and {deregistered:.0f} deregistered in the year "
            f"(Ofsted, Fostering in England, local-authority data, {area}; OGL v3)"
        )
        return CarerSupplySource(supply=supply, year=int(year), source=source)
    return None


def _main(argv: Sequence[str]) -> None:
    written = build_ofsted_bundle(argv[0] if argv else "../shared/data/ofsted_fostering")
    print(f"wrote {written} ({written.stat().st_size:,} bytes)")


if __name__ == "__main__":
    _main(sys.argv[1:])
