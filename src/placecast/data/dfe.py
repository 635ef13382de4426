"""Read the DfE "Children looked after in England" local-authority tables into one tidy frame.

The underlying data come as one wide CSV per publication and table: ``CLA`` (children in care at
31 March, by placement, provider and age), ``ADM`` (children starting to be looked after) and
``CEA`` (children ceasing), one row per England / region / local authority. Each publication
repeats earlier years' totals (revised back-series), so the reader keeps, for every council, year
and measure, the value from the latest publication, and records which file it came from.

Quirks handled (see shared/README.md): ``SFR34_ADM2015`` holds the 2015 starts in a column named
``CLA_started2014``; the 2015 and 2016 ``CEA`` files name their ceases column ``CLA_cease`` with no
year; suppressed or confidential values (``x``, ``c``, ``:``, ``z``, ``..``) become NaN with
``suppressed=True``. Anything else that is not a number is an error naming the file, line and
column.

Years are the year ending 31 March: ``year=2019`` is the stock at 31 March 2019 and the starts
and ceases during April 2018 - March 2019.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placecast.data.csvfile import read_text_csv
from placecast.errors import InputError

#: Markers of a value that is not published: DfE's guidance for the tidy files (``c``
#: confidential, ``z`` not applicable, ``x`` not available, ``k`` rounds to zero but is not zero,
#: ``low``, ``u`` low reliability) and the older files' ``:`` and ``..``.
SUPPRESSED = {"x", "c", ":", "z", "..", "low", "u", "k"}

#: Column (without year) -> canonical measure, for the columns that carry no year in their name.
PUBLICATION_YEAR_COLUMNS = {
    "CLA_Fost": "placement_fostering",
    "CLA_Adopt": "placement_placed_for_adoption",
    "CLA_Parent": "placement_with_parents",
    "CLA_Ocom": "placement_other_community",
    "CLA_Secure": "placement_secure_homes_semi_independent",
    "CLA_Ores": "placement_other_residential",
    "CLA_RSch": "placement_residential_school",
    "CLA_OthPl": "placement_other",
    "CLA_Miss": "placement_missing",
    "CLA_OwnP": "provider_own_la",
    "CLA_OthLA": "provider_other_la",
    "CLA_OthPP": "provider_other_public",
    "CLA_Priv": "provider_private",
    "CLA_Vol": "provider_voluntary",
    "CLA_Par": "provider_parents_or_other",
    "CLA_Nrep": "provider_not_recorded",
    "CLA_U1": "stock_age_under_1",
    "CLA_1to4": "stock_age_1_4",
    "CLA_5to9": "stock_age_5_9",
    "CLA_10to15": "stock_age_10_15",
    "CLA_16over": "stock_age_16_over",
    "CLA_UASC": "stock_uasc",
    "SCLA_U1": "starts_age_under_1",
    "SCLA_1to4": "starts_age_1_4",
    "SCLA_5to9": "starts_age_5_9",
    "SCLA_10to15": "starts_age_10_15",
    "SCLA_16over": "starts_age_16_over",
    "CLA_cease": "ceases",
    # Ceases by age on ceasing: 2017-2019 files, then the 2016 file's names (whose 2015
    # predecessor has one "16 and over" column, see :func:`read_dfe_table`).
    "CEA_U1": "ceases_age_under_1",
    "CEA_1to4": "ceases_age_1_4",
    "CEA_5to9": "ceases_age_5_9",
    "CEA_10to15": "ceases_age_10_15",
    "CEA_16": "ceases_age_16",
    "CEA_17": "ceases_age_17",
    "CEA_18over": "ceases_age_18_over",
    "CLA_cea1": "ceases_age_under_1",
    "CLA_cea14": "ceases_age_1_4",
    "CLA_cea59": "ceases_age_5_9",
    "CLA_cea1015": "ceases_age_10_15",
    "CLA_cea16": "ceases_age_16",
    "CLA_cea17": "ceases_age_17",
    "CLA_cea18": "ceases_age_18_over",
}
#: Columns with a year in their name: regex -> measure.
YEAR_COLUMNS = {
    re.compile(r"^CLA_Mar(\d{4})$"): "children_in_care",
    re.compile(r"^CLA_started(\d{4})$"): "starts",
    re.compile(r"^CLA_cease(\d{4})$"): "ceases",
    re.compile(r"^CLA_UASC(\d{4})$"): "stock_uasc",
}
#: A column that looks like a year column once case, spaces and underscores are ignored
#: (``cla_mar2019``, ``CLA_March 2019``): a renamed measure is refused, not dropped.
_LOOKS_LIKE_YEAR_COLUMN = re.compile(r"^cla(mar|march|started|start|cease|ceased|uasc)(\d{4})$")
ID_COLUMNS = ("New_geog_code", "geog_l", "geog_n")
#: Councils whose ONS code changed without a real change of area: old code -> new code, so each
#: council keeps one series (the tables publish the same figures under both codes where they
#: overlap). The 2013 Gateshead / Northumberland boundary tweak, recoded in the 2018 tables;
#: Buckinghamshire's county council, unitary from 2020; North Yorkshire's and Somerset's, unitary
#: from 2023 (their new codes appear in the 2021-2022 rows). Councils formed in a reorganisation
#: (Bournemouth, Christchurch and Poole, and Dorset, in 2019; North and West Northamptonshire in
#: 2021) are new councils and are not joined to their predecessors.
RECODED = {
    "E08000020": "E08000037",  # Gateshead
    "E06000048": "E06000057",  # Northumberland
    "E10000002": "E06000060",  # Buckinghamshire
    "E10000023": "E06000065",  # North Yorkshire
    "E10000027": "E06000066",  # Somerset
}


def current_code(council: str) -> str:
    """``council`` as typed, stripped, or its current code if it is an old code in
    :data:`RECODED` (``"E10000002"`` gives Buckinghamshire's ``"E06000060"``)."""
    text = council.strip()
    return RECODED.get(text.upper(), text)


#: ONS codes of London's sub-regions (the wide files repeat London's E12000007 for them).
LONDON_SUBREGIONS = {"INNER LONDON": "E13000001", "OUTER LONDON": "E13000002"}
_LEVEL_OF_CODE = {
    "E92": "national",
    "E12": "region",
    **dict.fromkeys(["E06", "E07", "E08", "E09", "E10"], "la"),
}
_FILE = re.compile(r"(?P<table>CLA|ADM|CEA)(?P<year>\d{4})", re.IGNORECASE)


def _publication(path: Path) -> tuple[str, int]:
    match = _FILE.search(path.stem)
    if match is None:
        raise InputError(
            "cannot tell the table (CLA, ADM or CEA) and publication year from the file name; "
            "expected names like CLA2019.csv or SFR50_ADM2017.csv",
            file=str(path),
        )
    return match["table"].upper(), int(match["year"])


#: The largest count a DfE table may hold: England's children in care were 82,080 at
#: 31 March 2022; twice that leaves room while catching a misplaced or corrupted figure.
MAX_COUNT = 200_000


def _numbers(
    frame: pd.DataFrame, column: str, path: Path, counts: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The column's numbers and suppression markers; the rows ``counts`` marks (default all)
    must hold counts of children: whole, non-negative, finite and at most :data:`MAX_COUNT`."""
    raw = frame[column].astype(str).str.strip()
    suppressed = raw.str.lower().isin(SUPPRESSED) | (raw == "") | (raw.str.lower() == "nan")
    values = pd.to_numeric(
        raw.str.replace(",", "", regex=False).where(~suppressed), errors="coerce"
    )
    bad = values.isna() & ~suppressed
    if bad.any():
        line = int(frame.index[np.flatnonzero(bad.to_numpy())[0]]) + 2  # header = line 1
        raise InputError(
            f"{raw[bad].iloc[0]!r} is neither a number nor a suppression marker "
            f"({', '.join(sorted(SUPPRESSED))})",
            file=str(path),
            row=line,
            column=column,
        )
    numbers = values.to_numpy(dtype=float)
    checked = np.ones(len(frame), bool) if counts is None else np.asarray(counts, bool)
    with np.errstate(invalid="ignore"):
        wrong = (
            checked
            & ~suppressed.to_numpy()
            & ~(np.isfinite(numbers) & (numbers >= 0) & (numbers <= MAX_COUNT) & (numbers % 1 == 0))
        )
    if wrong.any():
        first = int(np.flatnonzero(wrong)[0])
        raise InputError(
            f"{raw.iloc[first]!r} is not a count of children (a whole number from 0 to "
            f"{MAX_COUNT:,}); correct the cell or mark it suppressed (c, x, z)",
            file=str(path),
            row=int(frame.index[first]) + 2,
            column=column,
        )
    return numbers, suppressed.to_numpy()


def _refuse_duplicates(frame: pd.DataFrame, keys: list[str], mask: Any, path: Path) -> None:
    """Two rows for the same area and label would be added up (tidy) or one would replace the
    other (wide): refuse, naming both lines."""
    keyed = frame.loc[np.asarray(mask, bool), keys]
    twice = keyed.duplicated(keep=False)
    if twice.any():
        lines = [int(i) + 2 for i in keyed.index[twice.to_numpy()][:2]]
        raise InputError(
            f"lines {lines[0]} and {lines[1]} are for the same area, year and measure "
            f"({', '.join(f'{k}={keyed.loc[lines[0] - 2, k]!r}' for k in keys)}); "
            "remove the duplicate",
            file=str(path),
            row=lines[1],
            column=keys[0],
        )


def read_dfe_table(path: str | Path) -> pd.DataFrame:
    """One DfE table as tidy rows (council, year, measure, value, suppressed, source).

    Reads both layouts: the wide underlying-data files of 2015-2019 (one row per area, measures
    in columns such as ``CLA_Mar2019``) and the tidy files published on explore-education-statistics
    from 2018 onwards (one row per area, year and characteristic: ``time_period``,
    ``geographic_level``, ``new_la_code``, ``la_name``, ... , see :func:`read_tidy_table`).
    """
    path = Path(path)
    frame = read_text_csv(path)
    if "time_period" in frame.columns:
        return read_tidy_table(path, frame)
    table, published = _publication(path)
    missing = [c for c in ID_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=str(path), column=missing[0])
    level = frame["geog_l"].str.strip().str.lower()
    blank = level == ""
    if blank.any():  # e.g. Isles of Scilly in SFR50_CLA2017: infer the level from the code
        inferred = frame.loc[blank, "New_geog_code"].str[:3].map(_LEVEL_OF_CODE)
        if inferred.isna().any():
            line = int(inferred.index[int(np.argmax(inferred.isna().to_numpy()))]) + 2
            raise InputError(
                "geographic level missing and not inferable from the code",
                file=str(path),
                row=line,
                column="geog_l",
            )
        level[blank] = inferred
    # The wide files give Inner and Outer London London's code; ONS's (and the tidy files')
    # own codes keep them from replacing London.
    sub = frame["geog_n"].str.strip().str.upper().map(LONDON_SUBREGIONS)
    frame["New_geog_code"] = frame["New_geog_code"].where(sub.isna(), sub)
    _refuse_duplicates(frame, ["New_geog_code"], np.ones(len(frame), bool), path)
    parts = []
    for column in frame.columns:
        measure, year = None, published
        for pattern, name in YEAR_COLUMNS.items():
            match = pattern.match(column)
            if match:
                measure, year = name, int(match[1])
        if measure is None and column in PUBLICATION_YEAR_COLUMNS:
            measure = PUBLICATION_YEAR_COLUMNS[column]
        if measure is None:
            _refuse_renamed(column, path)
            continue
        if table == "ADM" and published == 2015 and column == "CLA_started2014":
            year = 2015  # quirk: the 2015 publication labels its own year 2014
        if table == "CEA" and published == 2015 and column == "CLA_cea16":
            measure = "ceases_age_16_over"  # 2015's last band is 16 and over (2016: 16 only)
        values, suppressed = _numbers(frame, column, path)
        parts.append(
            pd.DataFrame(
                {
                    "la_code": frame["New_geog_code"].str.strip().to_numpy(),
                    "la_name": frame["geog_n"].str.strip().to_numpy(),
                    "geographic_level": level.to_numpy(),
                    "year": year,
                    "measure": measure,
                    "value": values,
                    "suppressed": suppressed,
                    "source": path.name,
                    "published": published,
                }
            )
        )
    if not parts:
        raise InputError("no recognised measure columns (e.g. CLA_Mar2019)", file=str(path))
    return pd.concat(parts, ignore_index=True)


_TIDY_LEVELS = {
    "national": "national",
    "country": "national",
    "regional": "region",
    "region": "region",
    "local authority": "la",
    "local_authority": "la",
    "la": "la",
}
#: Which published table a tidy file holds, from words in its file name.
_TIDY_TABLES = (("start", "starts"), ("ceas", "ceases"))
#: Characteristic labels of the tidy files -> measure (matched ignoring case, punctuation and the
#: words "year(s)"/"aged"); ``total`` becomes the table's own total. Extend with ``labels=``.
TIDY_LABELS: dict[str, str] = {
    "total": "total",
    "all children": "total",
    "under 1": "age_under_1",
    "1 to 4": "age_1_4",
    "5 to 9": "age_5_9",
    "10 to 15": "age_10_15",
    "16 and over": "age_16_over",
    "16 over": "age_16_over",
    # Ages on ceasing (the ceases table): 16 and 17 apart, then 18 and over.
    "16": "age_16",
    "17": "age_17",
    "18 and over": "age_18_over",
    "foster placements": "placement_fostering",
    "placed for adoption": "placement_placed_for_adoption",
    "placement with parents or other person with parental responsibility": (
        "placement_with_parents"
    ),
    "other placement in the community": "placement_other_community",
    # To 2020: secure units, children's homes and semi-independent living in one group (and
    # independent living among "other placements in the community"); from 2021 secure and
    # children's homes apart from independent and semi-independent living. See PLACEMENT_GROUPS.
    "secure units, children's homes and semi-independent living accommodation": (
        "placement_secure_homes_semi_independent"
    ),
    "secure homes and children's homes": "placement_secure_childrens_homes",
    "independent and semi-independent living arrangements/supported accommodation": (
        "placement_independent_semi_independent"
    ),
    "other residential settings": "placement_other_residential",
    "residential schools": "placement_residential_school",
    "other placements": "placement_other",
    "own provision (by the LA)": "provider_own_la",
    "other LA provision": "provider_other_la",
    "other public provision (e.g. by a PCT etc)": "provider_other_public",
    "other public provision (eg by PCT)": "provider_other_public",
    "private provision": "provider_private",
    "voluntary/third sector provision": "provider_voluntary",
    "parents or other person with parental responsibility": "provider_parents_or_other",
    "placement provider not reported": "provider_not_recorded",
}
#: Labels that name a whole measure, whatever the file's table (the "number and rate" files
#: hold children in care, starts and ceases together).
TIDY_MEASURES: dict[str, str] = {
    "children looked after at 31 march each year": "children_in_care",
    "children looked after on 31 march each year": "children_in_care",
    "children starting to be looked after each year": "starts",
    "children ceasing to be looked after each year": "ceases",
}
#: Label and value columns of the tidy layouts, in order of preference (recognised by header).
LABEL_COLUMNS = ("characteristic", "population_type", "population_count")
VALUE_COLUMNS = ("number", "children_count", "cla_31_march_number", "value", "count")
_PREFIX = {"stock": "stock_", "starts": "starts_", "ceases": "ceases_"}
_TOTAL = {"stock": "children_in_care", "starts": "starts", "ceases": "ceases"}


def _label(text: str) -> str:
    text = re.sub(r"[^a-z0-9 ]", "", text.lower().replace("-", " ").replace("/", " "))
    text = re.sub(r"\b(years?|year olds?|aged)\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _end_year(value: str) -> int | None:
    """``2019``, ``201819`` or ``2018/19`` -> 2019 (the year ending 31 March)."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 4:
        return int(digits)
    if len(digits) == 6:
        return int(digits[:4]) + 1
    if len(digits) == 8:
        return int(digits[4:])
    return None


def _refuse_renamed(column: str, path: Path) -> None:
    """A column that is a renamed measure (``CLA_March2019``) would be dropped without a word."""
    looks = _LOOKS_LIKE_YEAR_COLUMN.match(re.sub(r"[\s_]", "", column).lower())
    if looks:
        names = {"mar": "CLA_Mar", "march": "CLA_Mar", "start": "CLA_started"}
        names |= {"started": "CLA_started", "cease": "CLA_cease", "ceased": "CLA_cease"}
        want = names.get(looks[1], "CLA_UASC") + looks[2]
        raise InputError(
            f"column {column!r} looks like DfE's {want!r} renamed; placecast reads the "
            f"published name only, so rename it {want!r} (or remove it)",
            file=str(path),
            column=column,
        )


def _reject_first(
    bad: pd.Series, frame: pd.DataFrame, column: str, problem: str, path: Path
) -> None:
    """Raise for the first row flagged in ``bad``, naming file, line and column."""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{frame[column].iloc[i]!r} {problem}",
            file=str(path),
            row=int(frame.index[i]) + 2,
            column=column,
        )


def read_tidy_table(
    path: str | Path, frame: pd.DataFrame | None = None, labels: dict[str, str] | None = None
) -> pd.DataFrame:
    """One tidy (explore-education-statistics) DfE file as rows like :func:`read_dfe_table`'s.

    The layout is recognised from the header, so a later release of the same table reads
    without a code change. Expected columns: ``time_period`` (``2019`` or ``201819``),
    ``geographic_level`` (National, Regional, Local authority), area codes and names
    (``new_la_code``/``la_name`` for councils, ``region_code``/``region_name``,
    ``country_code``/``country_name``), a label column (the first of :data:`LABEL_COLUMNS`:
    ``characteristic``, or ``population_type`` / ``population_count`` in the "number and rate"
    releases) and a value column (the first of :data:`VALUE_COLUMNS`: ``number``,
    ``children_count``, ``cla_31_march_number``, ...). Other columns (``cla_group``,
    ``geo_breakdown``, percentages, ...) are allowed. The table (children in care at 31 March,
    starts or ceases) comes from the file name (``start`` / ``ceas`` in it, else the stock),
    except for labels that name a whole measure (:data:`TIDY_MEASURES`); characteristics are
    matched to measures with :data:`TIDY_LABELS` (plus ``labels``), unmatched ones ignored.
    Where ``cla_group`` repeats the total in every group, the largest is the total (a group
    about a subset of children has a smaller one). Several characteristics that map to one
    measure are added up. Rows at other geographic levels (not England, a region or a council)
    are skipped and counted in the result's ``attrs["skipped_levels"]``.

    Raises
    ------
    InputError
        Missing columns, a time period that is not a year, a row with no area, or a value that
        is neither a number nor a suppression marker (naming file, row and column).
    """
    path = Path(path)
    frame = read_text_csv(path) if frame is None else frame
    if {"placement_type", "placement_provider"} <= set(frame.columns):
        # England's placement type x provider x locality table: its first block is every child
        # in care by provider (the rest, by locality and type, is not read here).
        every_child = frame["placement_type"].map(_label).str.contains("all children looked after")
        frame = frame[every_child].assign(characteristic=frame["placement_provider"])
    table = next((t for key, t in _TIDY_TABLES if key in path.stem.lower()), "stock")
    value_col = next((c for c in VALUE_COLUMNS if c in frame.columns), None)
    char_col = next((c for c in LABEL_COLUMNS if c in frame.columns), None)
    needed = {
        "time_period": "time_period",
        "geographic_level": "geographic_level",
        "value": value_col,
        "characteristic": char_col,
    }
    missing = [k for k, v in needed.items() if v is None or v not in frame.columns]
    if missing:
        raise InputError(
            f"tidy DfE file without column(s) {missing} (expected time_period, geographic_level, "
            f"new_la_code, la_name, a label column ({' or '.join(LABEL_COLUMNS)}) and a value "
            f"column ({' or '.join(VALUE_COLUMNS)}))",
            file=str(path),
            column=missing[0],
        )
    assert value_col is not None and char_col is not None
    years = frame["time_period"].map(_end_year)
    _reject_first(years.isna(), frame, "time_period", "is not a year", path)
    level = frame["geographic_level"].str.strip().str.lower().map(_TIDY_LEVELS)
    # Levels that are not England, a region or a council (e.g. local authority districts or
    # parliamentary constituencies in some releases) are skipped and counted, not guessed at.
    other_levels = level.isna()
    skipped = frame.loc[other_levels, "geographic_level"].str.strip().value_counts().to_dict()

    def area(kind: str) -> pd.Series:
        cols = {
            "code": ("new_la_code", "region_code", "country_code"),
            "name": ("la_name", "region_name", "country_name"),
        }[kind]
        out = pd.Series("", index=frame.index)
        for lvl, col in zip(("la", "region", "national"), cols, strict=True):
            if col in frame.columns:
                out = out.where(level != lvl, frame[col].str.strip())
        return out

    codes, names = area("code"), area("name")
    if "geo_breakdown" in frame.columns:  # the processed layout names every area here
        names = names.where(names != "", frame["geo_breakdown"].str.strip())
    # England is the only national level of these tables; some layouts leave its code blank.
    england = (level == "national") & (codes == "")
    codes, names = (
        codes.where(~england, "E92000001"),
        names.where(~england | (names != "National"), "England"),
    )
    blank = (codes == "") & (names == "") & ~other_levels
    if blank.any():
        line = int(frame.index[np.flatnonzero(blank.to_numpy())[0]]) + 2
        raise InputError(
            "no area code or name for this row", file=str(path), row=line, column="new_la_code"
        )
    mapping = {_label(k): v for k, v in {**TIDY_LABELS, **(labels or {})}.items()}
    whole = {_label(k): v for k, v in TIDY_MEASURES.items()}
    label = frame[char_col].map(_label)
    measure = label.map(
        lambda t: (
            whole[t]
            if t in whole
            else None
            if t not in mapping
            else _TOTAL[table]
            if mapping[t] == "total"
            else (_PREFIX[table] + mapping[t] if mapping[t].startswith("age_") else mapping[t])
        )
    )
    keep = measure.notna() & ~other_levels
    if table != "stock":  # placement and provider labels only describe the stock
        keep &= ~measure.fillna("").str.match(r"^(placement|provider)_")
    values, suppressed = _numbers(frame, value_col, path, counts=keep.to_numpy())
    distinct = (  # columns that tell two rows of one characteristic apart
        "new_la_code",
        "region_code",
        "country_code",
        "la_name",
        "cla_group",
        "placement_type",
        "placement_provider",
        "geo_breakdown",
    )
    keys = ["time_period", "geographic_level", *(c for c in distinct if c in frame.columns)]
    _refuse_duplicates(frame, [*keys, char_col], keep, path)
    rows = pd.DataFrame(
        {
            "la_code": codes.where(codes != "", names).to_numpy(),
            "la_name": names.where(names != "", codes).to_numpy(),
            "geographic_level": level.to_numpy(),
            "year": years.astype(int).to_numpy(),
            "measure": measure.to_numpy(),
            "value": values,
            "suppressed": suppressed,
        }
    )[keep.to_numpy()]
    if rows.empty:
        raise InputError(
            "no recognised characteristics (e.g. 'Total', 'Foster placements', 'Under 1 year'); "
            "pass labels= to map this file's own",
            file=str(path),
            column=char_col,
        )
    keys = ["la_code", "la_name", "geographic_level", "year", "measure"]
    if "cla_group" in frame.columns:
        # Every group (age, need, legal status, ...) repeats the total, and a group about a
        # subset ("LA of placement": children placed in the council's area) has a smaller one:
        # the measure's total is the largest published. Parts of one group add up.
        rows["group"] = frame.loc[keep.to_numpy(), "cla_group"].str.strip().to_numpy()
        totals = rows["measure"].isin(list(_TOTAL.values()))
        total_rows = (
            rows[totals]
            .groupby(keys, as_index=False, sort=False)
            .agg(value=("value", "max"), suppressed=("suppressed", "all"))
        )
        rows = pd.concat([total_rows, rows[~totals].drop(columns="group")], ignore_index=True)
    # Parts mapped to one measure add up; a suppressed part makes the sum unknown.
    rows = rows.groupby(keys, as_index=False, sort=False).agg(
        value=("value", lambda v: v.sum(min_count=len(v))), suppressed=("suppressed", "any")
    )
    rows.attrs["skipped_levels"] = skipped
    # A headline table (children in care, starts and ceases by name) beats totals of breakdown
    # tables of the same release, which can differ by a child or two.
    rows["headline"] = bool(label.isin(list(whole)).any())
    rows["source"] = path.name
    rows["published"] = int(rows["year"].max())
    return rows


def read_dfe(
    paths: str | Path | Sequence[str | Path] | None = None, *, rows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read DfE CLA / ADM / CEA tables (files, folders of CSV files, or both) into one frame.

    Returns one row per (la_code, year, measure) with the value from the latest publication that
    holds it (revised back-series win), plus ``la_name`` (the latest publication's),
    ``geographic_level`` (national, region, la), ``suppressed``, ``source`` (the file) and
    ``published`` (the release's last year). Codes in :data:`RECODED` are mapped to their current
    code. ``rows`` are rows already read (e.g. the tables shipped with placecast,
    :func:`placecast.data.published.published_tables`) to combine with the files, by the same
    rule.

    Examples
    --------
    >>> tables = read_dfe(DFE_TABLES)  # a folder of DfE's 2015-2019 CSV files
    >>> int(council_series(tables, "Hackney").loc[2019, "children_in_care"])
    405
    """
    tables = [] if rows is None else [rows]
    if paths is not None:
        given = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
        files = [f for p in given for f in (sorted(p.glob("*.csv")) if p.is_dir() else [p])]
        if not files:
            raise InputError("no CSV files found", file=", ".join(map(str, given)))
        tables += [read_dfe_table(f) for f in files]
    if not tables:
        raise InputError("read_dfe: give DfE CSV files or folders of them")
    return combine_releases(tables)


def combine_releases(tables: Sequence[pd.DataFrame], *, keep_order: bool = False) -> pd.DataFrame:
    """One row per (la_code, year, measure) from rows of several releases: the latest release
    wins; within one, a headline table, then the file name (for a stable order). With
    ``keep_order`` the ``headline`` column that decides it is kept (to combine again later)."""
    skipped: dict[str, int] = {}
    for t in tables:
        for level, n in t.attrs.get("skipped_levels", {}).items():
            skipped[level] = skipped.get(level, 0) + int(n)
    tidy = pd.concat(tables, ignore_index=True)
    tidy["la_code"] = tidy["la_code"].replace(RECODED)
    if "headline" not in tidy:
        tidy["headline"] = False
    tidy["headline"] = tidy["headline"].fillna(False).astype(bool)
    tidy = tidy.sort_values(["published", "headline", "source"]).drop_duplicates(
        ["la_code", "year", "measure"], keep="last"
    )
    # One name per council: the latest publication's ("Bedford" became "Bedford Borough").
    tidy["la_name"] = tidy["la_code"].map(tidy.groupby("la_code")["la_name"].last())
    out = tidy.sort_values(["la_code", "measure", "year"]).reset_index(drop=True)
    if not keep_order:
        out = out.drop(columns="headline")
    if skipped:
        warnings.warn(
            "DfE tables: skipped rows at geographic levels that are not England, a region or a "
            f"council: {', '.join(f'{n} {level}' for level, n in sorted(skipped.items()))}",
            stacklevel=3,
        )
    out.attrs["skipped_levels"] = skipped
    return out


def council_series(tidy: pd.DataFrame, council: str) -> pd.DataFrame:
    """One council's measures as a table: one row per year, one column per measure.

    ``council`` is a local-authority name (case-insensitive) or code (an old code of a council
    in :data:`RECODED` finds it). A name two councils have had (Dorset: the county council to
    2019, the unitary council since) means the one published latest; give the other's code to
    have it.
    """
    key = current_code(council).lower()
    rows = tidy[(tidy["la_name"].str.lower() == key) | (tidy["la_code"].str.lower() == key)]
    if rows["la_code"].nunique() > 1:
        # A name two councils have had (Dorset: the county to 2019, the unitary council since)
        # means the current one, as in ``placecast batch``; the other is not joined to it.
        latest = rows.dropna(subset=["value"]).groupby("la_code")["year"].max()
        rows = rows[rows["la_code"] == (latest.idxmax() if latest.size else rows["la_code"].max())]
    if rows.empty:
        names = sorted(tidy.loc[tidy["geographic_level"] == "la", "la_name"].unique())
        lower = {n.lower(): n for n in names}
        # A part of a name ("Kingston") finds the councils it names, then near spellings.
        close = [n for n in lower if key and key in n]
        close += difflib.get_close_matches(key, [n for n in lower if n not in close], cutoff=0.6)
        hint = (
            f"did you mean {' or '.join(repr(lower[n]) for n in close[:3])}?"
            if close
            else "give a council's name as DfE writes it (e.g. 'Leeds') or its code "
            "(e.g. 'E08000035')"
        )
        raise InputError(f"no council called {council!r}; {hint}")
    table = rows.pivot_table(index="year", columns="measure", values="value", aggfunc="first")
    table.attrs["rows"] = rows[["la_code", "la_name"]].head(1)
    return table


#: Published placement groups: DfE's placement types as the cohort model's categories. The
#: ``other`` group is what remains of the total (placed with parents, placed for adoption, other
#: residential settings, residential schools, other placements).
#:
#: ``residential_semi_independent`` is defined the same way in every year: secure units,
#: children's homes, semi-independent and independent living. To 2020 DfE published secure
#: units, children's homes and semi-independent living as one type, with independent living
#: among "other placements in the community" (with residential employment, a handful of
#: children); from 2021 "secure homes and children's homes" and "independent and
#: semi-independent living arrangements / supported accommodation" (which now counts
#: independent living). So to 2020 the group is the first type plus the community placements
#: (where published), from 2021 the sum of the two new types (see :data:`GROUP_PARTS`).
PLACEMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "fostering": ("in_house_fostering", "friends_family_fostering", "ifa"),
    "residential_semi_independent": ("residential", "semi_independent"),
    "other": ("other",),
}
#: The published measures each group adds up, by definition period, as (required, optional)
#: parts: the first period whose required parts are all published for a year is used (a
#: suppressed required part leaves the group unknown that year). An optional part is added where
#: published: the community placements are suppressed for a quarter of council-years and absent
#: from the 2015-2016 files, always a handful of children, so the group is then the combined
#: type alone (those children fall in "other").
GROUP_PARTS: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    "fostering": ((("placement_fostering",), ()),),
    "residential_semi_independent": (
        (("placement_secure_homes_semi_independent",), ("placement_other_community",)),
        (("placement_secure_childrens_homes", "placement_independent_semi_independent"), ()),
    ),
}
_AGE_MEASURES = ("under_1", "1_4", "5_9", "10_15", "16_over")
#: Bands of age on ceasing: the model's age bands with 16-17 apart from those leaving at 18
#: (children in care leave it at 18 at the latest, so "18 and over" are its 18th birthdays).
CEASE_AGE_BANDS = ("under_1", "1_4", "5_9", "10_15", "16_17", "18_over")


@dataclass(frozen=True)
class PublishedCounts:
    """One council's published series, aligned by year (NaN where missing or suppressed).

    Attributes
    ----------
    council, la_code
        Name and ONS code.
    years
        Years ending 31 March, consecutive.
    children_in_care
        Stock at 31 March, shape (year,).
    stock_by_age_band
        Stock at 31 March by DfE age band (under 1, 1-4, 5-9, 10-15, 16 and over), (year, 5).
    stock_by_group
        Stock at 31 March by placement group (:data:`PLACEMENT_GROUPS`), (year, 3); ``other`` is
        the total less the two published groups.
    starts, ceases
        Children starting / ceasing to be looked after during the year, (year,).
    starts_by_age_band
        Starts by age band, (year, 5).
    ceases_by_age_band
        Ceases by age on ceasing (:data:`CEASE_AGE_BANDS`: the five age bands with 16-17 apart
        from 18 and over), (year, 6); NaN where not published (2015 has 16 and over in one
        band) and, when not given, everywhere (series saved before placecast read it).
    """

    council: str
    la_code: str
    years: np.ndarray
    children_in_care: np.ndarray
    stock_by_age_band: np.ndarray
    stock_by_group: np.ndarray
    starts: np.ndarray
    ceases: np.ndarray
    starts_by_age_band: np.ndarray
    ceases_by_age_band: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.ceases_by_age_band is None:
            blank = np.full((np.size(self.years), len(CEASE_AGE_BANDS)), np.nan)
            object.__setattr__(self, "ceases_by_age_band", blank)

    def to_dict(self) -> dict[str, Any]:
        """The series as plain values (NaN where missing), e.g. to save with a fit."""
        return {
            f.name: v.tolist() if isinstance(v, np.ndarray) else v
            for f in fields(self)
            for v in [getattr(self, f.name)]
        }

    def fingerprint(self) -> str:
        """A digest of the series (SHA-256 of its values as JSON; NaN == NaN here), to tell
        whether two series are the same."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PublishedCounts:
        """The series written by :meth:`to_dict`."""
        fields_: dict[str, Any] = {
            k: v
            if k in ("council", "la_code")
            else np.asarray(v, dtype=int if k == "years" else float)
            for k, v in values.items()
        }
        return cls(**fields_)

    def upto(self, last_year: int) -> PublishedCounts:
        """The series as known at 31 March ``last_year`` (later years dropped)."""
        return self._keep(self.years <= last_year)

    def since(self, first_year: int) -> PublishedCounts:
        """The series from ``first_year`` on (earlier years dropped)."""
        return self._keep(self.years >= first_year)

    def scaled(self, factor: float, name: str | None = None) -> PublishedCounts:
        """Every count times ``factor``, rounded to whole children (NaN stays NaN): e.g. England
        as an average council. Shares, growth and rates per child are unchanged up to the
        rounding; the counts' information (how sharply they pin the rates) scales with them."""
        if not factor > 0:
            raise InputError(f"PublishedCounts.scaled: factor must be > 0; got {factor!r}")
        counts = {
            f.name: np.round(getattr(self, f.name) * factor)
            for f in fields(self)
            if f.name not in ("council", "la_code", "years")
        }
        return replace(self, council=name or self.council, **counts)

    def _keep(self, keep: np.ndarray) -> PublishedCounts:
        return replace(
            self,
            **{
                f.name: getattr(self, f.name)[keep]
                for f in fields(self)
                if f.name not in ("council", "la_code")
            },
        )

    def children_in_care_by_year(self, upto: int | None = None) -> dict[int, float]:
        """Children in care at 31 March as published, by year (to ``upto``), years without a
        figure left out: the history a forecast's charts show before it starts."""
        return {
            int(year): float(count)
            for year, count in zip(self.years, self.children_in_care, strict=True)
            if not np.isnan(count) and (upto is None or year <= upto)
        }

    def frame(self) -> pd.DataFrame:
        """The series as a table, one row per year."""
        out = pd.DataFrame(
            {
                "children_in_care": self.children_in_care,
                "starts": self.starts,
                "ceases": self.ceases,
            },
            index=pd.Index(self.years, name="year"),
        )
        for i, g in enumerate(PLACEMENT_GROUPS):
            out[g] = self.stock_by_group[:, i]
        for i, b in enumerate(_AGE_MEASURES):
            out[f"stock_age_{b}"] = self.stock_by_age_band[:, i]
            out[f"starts_age_{b}"] = self.starts_by_age_band[:, i]
        assert self.ceases_by_age_band is not None  # set in __post_init__
        for i, b in enumerate(CEASE_AGE_BANDS):
            out[f"ceases_age_{b}"] = self.ceases_by_age_band[:, i]
        return out


def published_counts(tidy: pd.DataFrame, council: str) -> PublishedCounts:
    """One council's stocks and flows from :func:`read_dfe`'s tidy frame.

    ``council`` is a name (case-insensitive) or ONS code; England and the regions work too.

    Examples
    --------
    >>> h = published_counts(read_dfe(DFE_TABLES), "Hackney")  # DfE's 2015-2019 CSV files
    >>> h.years.tolist(), h.stock_by_group[-1].tolist()
    ([2014, 2015, 2016, 2017, 2018, 2019], [292.0, 81.0, 32.0])
    """
    table = council_series(tidy, council)
    row = table.attrs["rows"]
    if table.empty:  # Cumberland, Westmorland and Furness in the 2021-22 release
        raise InputError(
            f"{council}: every value DfE published for it in these tables is suppressed or "
            "missing, so there is nothing to fit; use a later release, or your own figures"
        )
    years = np.arange(int(table.index.min()), int(table.index.max()) + 1)
    table = table.reindex(years)

    def col(name: str) -> np.ndarray:
        if name not in table:
            return np.full(years.size, np.nan)
        return table[name].to_numpy(dtype=float)

    def group(name: str) -> np.ndarray:
        found = np.full(years.size, np.nan)
        for required, optional in GROUP_PARTS[name]:
            parts = np.column_stack([col(p) for p in required])
            use = ~np.isnan(parts).any(axis=1) & np.isnan(found)
            extra = np.zeros(years.size)
            if optional:
                extra = np.nansum(np.column_stack([col(p) for p in optional]), axis=1)
            found[use] = parts.sum(axis=1)[use] + extra[use]
        return found

    total = col("children_in_care")
    groups = np.column_stack([group(g) for g in list(PLACEMENT_GROUPS)[:2]])
    other = total - groups.sum(axis=1)
    other[other < 0] = np.nan  # inconsistent publication: do not invent a negative group
    return PublishedCounts(
        council=str(row["la_name"].iloc[0]),
        la_code=str(row["la_code"].iloc[0]),
        years=years,
        children_in_care=total,
        stock_by_age_band=np.column_stack([col(f"stock_age_{b}") for b in _AGE_MEASURES]),
        stock_by_group=np.column_stack([groups, other]),
        starts=col("starts"),
        ceases=col("ceases"),
        starts_by_age_band=np.column_stack([col(f"starts_age_{b}") for b in _AGE_MEASURES]),
        ceases_by_age_band=np.column_stack(
            [col(f"ceases_age_{b}") for b in CEASE_AGE_BANDS[:4]]
            + [col("ceases_age_16") + col("ceases_age_17"), col("ceases_age_18_over")]
        ),
    )
