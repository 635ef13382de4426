"""Read and validate SSDA903 returns (episodes + header files) into placement episodes.

SSDA903 is the DfE's children-looked-after return: one row per episode (``CHILD, DECOM, RNE, LS,
CIN, PLACE, PLACE_PROVIDER, DEC, REC, ...``) and one header row per child (``CHILD, SEX, DOB,
...``). Councils keep one set of files per year; the same episode appears in several yearly
returns, so the reader merges them, keeping each episode's latest version.

Every problem is reported with the file, the line (the header is line 1) and the column, never
with the child's identifier. With ``on_error="raise"`` (default) the first bad row stops the read;
with ``on_error="exclude"`` bad rows are excluded and listed in :attr:`SSDA903.issues`, so nothing
is dropped silently. Unknown codes can be errors or warnings (``on_unknown_code``).

Placement codes map to placecast's categories as in Social Finance's demand model (see
``PLACEMENT_CODES``): fostering with friends/relatives U1-U3 (Q1 before 2014); other fostering
U4-U6 (Q2) is in-house with providers PR1-PR3 and IFA with PR4-PR5; residential K1, K2, R1, P3, S1;
semi-independent H5, P2, K3; everything else "other".
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from placecast.calendar import financial_year_of
from placecast.data.csvfile import read_text_csv
from placecast.errors import InputError
from placecast.states import LEAVING_AGE_YEARS, N_AGE_MONTHS, StateSpace
from placecast.stock import InitialStock

EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "DEC", "REC")
HEADER_COLUMNS = ("CHILD", "SEX", "DOB")

FOSTERING_CONNECTED = {"U1", "U2", "U3", "Q1"}
FOSTERING_OTHER = {"U4", "U5", "U6", "Q2"}

#: Placement codes (other than unconnected fostering, which depends on the provider).
PLACEMENT_CODES: dict[str, str] = {
    **dict.fromkeys(FOSTERING_CONNECTED, "friends_family_fostering"),
    **dict.fromkeys(["K1", "K2", "R1", "P3", "S1"], "residential"),
    **dict.fromkeys(["H5", "P2", "K3"], "semi_independent"),
    **dict.fromkeys(
        [
            "P1",
            "A1",
            "A2",
            "A3",
            "A4",
            "A5",
            "A6",
            "R2",
            "R3",
            "R5",
            "T0",
            "T1",
            "T2",
            "T3",
            "T4",
            "Z1",
            "Z11",
            "Z12",
            "Z13",
            "Z14",
        ],
        "other",
    ),
}
#: Providers of unconnected fostering: council's own (or another public body's) vs agencies.
FOSTER_PROVIDERS = {
    **dict.fromkeys(["PR1", "PR2", "PR3"], "in_house_fostering"),
    **dict.fromkeys(["PR4", "PR5"], "ifa"),
}
#: Reasons an episode ends -> placecast exit reasons (``None`` = the stay goes on: X1).
EXIT_CODES: dict[str, str | None] = {
    "X1": None,
    **dict.fromkeys(["E4A", "E4B", "E13"], "returned_home"),
    **dict.fromkeys(["E41", "E45", "E46", "E47", "E48"], "special_guardianship"),
    **dict.fromkeys(["E11", "E12"], "adoption"),
    **dict.fromkeys(["E9", "E14"], "custody"),
    **dict.fromkeys(["E2", "E3", "E5", "E6", "E7", "E8", "E15", "E16", "E17"], "other_exit"),
}
NEW_EPISODE_CODES = {"S", "L", "P", "T", "B", "U"}
#: Legal statuses (LS): care orders, placement orders, police protection, remand, accommodated
#: under s20 (V2) and short breaks (V1, V3, V4).
LEGAL_STATUS_CODES = {
    "C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V1", "V2", "V3", "V4",
}  # fmt: skip
PROVIDER_CODES = {"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"}


@dataclass
class SSDA903:
    """Validated episodes and children from one or more SSDA903 returns.

    Attributes
    ----------
    episodes
        One row per episode: ``child`` (an integer key, not the CHILD identifier), ``la``,
        ``start``, ``end`` (NaT while open), ``rne``, ``placement`` (placecast category),
        ``exit_reason`` (``None`` while the stay goes on), ``dob``, ``source`` (file and line).
    issues
        One row per problem found: ``file``, ``row``, ``column``, ``problem``, ``action``
        (``excluded`` or ``warning``).
    merged_duplicates
        Episodes that appeared in more than one yearly return (kept once, latest version).
    files
        The episodes files read.
    last_year
        The latest return's financial year (by its end, 2020 = the year to 31 March 2020):
        its ``YEAR``, else the year of its latest date. Nothing after it is observed. ``None``
        when unknown (then periods are not checked against it).
    """

    episodes: pd.DataFrame
    issues: pd.DataFrame
    merged_duplicates: int = 0
    files: list[str] = field(default_factory=list)
    last_year: int | None = None

    def summary(self) -> pd.DataFrame:
        """Counts a person can check: episodes kept, rows excluded or warned about, by problem."""
        rows = [
            {"item": "episodes kept", "count": len(self.episodes)},
            {"item": "children", "count": self.episodes["child"].nunique()},
            {"item": "episodes merged across yearly returns", "count": self.merged_duplicates},
        ]
        if len(self.issues):
            by_problem = self.issues.groupby(["action", "problem"]).size().reset_index(name="n")
            for action, problem, n in by_problem.itertuples(index=False):
                rows.append({"item": f"{action}: {problem}", "count": int(n)})
        return pd.DataFrame(rows)


class _Problems:
    """Collects row problems; raises at once or records them, as the caller asked."""

    def __init__(self, on_error: str, on_unknown_code: str) -> None:
        if on_error not in ("raise", "exclude"):
            raise ValueError("on_error must be 'raise' or 'exclude'")
        if on_unknown_code not in ("error", "warn"):
            raise ValueError("on_unknown_code must be 'error' or 'warn'")
        self.on_error, self.on_unknown_code = on_error, on_unknown_code
        self.rows: list[dict[str, object]] = []

    def _record(
        self, frame: pd.DataFrame, rows: pd.Series, column: str, problem: str, action: str
    ) -> None:
        for f, line in zip(frame.loc[rows, "_file"], frame.loc[rows, "_line"], strict=True):
            row = {"file": f, "row": int(line), "column": column, "problem": problem}
            self.rows.append({**row, "action": action})

    def note(self, frame: pd.DataFrame, rows: pd.Series, column: str, problem: str) -> None:
        """Record rows of ``frame`` the reader resolved by an assumption ("warning"), and warn
        once with their number and the first's location."""
        rows = rows.fillna(False).astype(bool)
        if not rows.any():
            return
        self._record(frame, rows, column, problem, "warning")
        first = frame.loc[rows].iloc[0]
        warnings.warn(
            f"{int(rows.sum())} row(s): {problem} (first: file {first['_file']}, row "
            f"{int(first['_line'])})",
            stacklevel=3,
        )

    def flag(
        self,
        frame: pd.DataFrame,
        bad: pd.Series,
        column: str,
        problem: str,
        *,
        unknown_code: bool = False,
    ) -> pd.Series:
        """Record rows of ``frame`` where ``bad``; return the mask of rows to exclude."""
        bad = bad.fillna(False).astype(bool)
        if not bad.any():
            return bad
        warn_only = unknown_code and self.on_unknown_code == "warn"
        first = frame.loc[bad].iloc[0]
        if not warn_only and self.on_error == "raise":
            raise InputError(problem, file=first["_file"], row=int(first["_line"]), column=column)
        self._record(frame, bad, column, problem, "warning" if warn_only else "excluded")
        if warn_only:
            warnings.warn(
                f"{int(bad.sum())} row(s) with {problem} (first: file {first['_file']}, row "
                f"{int(first['_line'])}, column {column!r})",
                stacklevel=3,
            )
            return pd.Series(False, index=frame.index)
        return bad

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["file", "row", "column", "problem", "action"])


def _as_list(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    return [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]


def _read(paths: list[Path], required: Sequence[str]) -> pd.DataFrame:
    frames = []
    for order, path in enumerate(paths):
        frame = read_text_csv(path)
        frame.columns = [str(c).upper() for c in frame.columns]
        missing = [c for c in required if c not in frame.columns]
        if missing:
            raise InputError(
                f"missing column(s) {missing}; an SSDA903 file needs {list(required)}",
                file=str(path),
                column=missing[0],
            )
        frame = frame.apply(lambda s: s.str.strip())
        frame["_file"] = str(path)
        frame["_line"] = frame.index + 2  # the line in the file (the header is line 1)
        frame["_order"] = order
        frame["_has_la"] = "LA" in frame.columns
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _refuse_mixed_la(ep: pd.DataFrame, hd: pd.DataFrame) -> None:
    """Children are keyed by (LA, CHILD): an LA column in some files only would leave every
    child of the others without a match ("no row in the header file")."""
    files = pd.concat([ep, hd]).drop_duplicates("_file")
    if files["_has_la"].nunique() > 1:
        with_la = files.loc[files["_has_la"], "_file"].iloc[0]
        without = files.loc[~files["_has_la"].astype(bool), "_file"].iloc[0]
        raise InputError(
            f"has no LA column but {with_la} has one; children are matched by LA and CHILD, "
            "so give every episodes and header file an LA column, or none",
            file=str(without),
            column="LA",
        )


def _return_years(ep: pd.DataFrame) -> dict[int, int]:
    """Each episodes file's return year (the financial year, by its end, of its latest start or
    end date), so yearly returns merge oldest first whatever order they were given in. Two
    files that look like one year's return and share children are refused: which one holds
    the later version of an episode cannot be told."""
    dates = pd.concat([parse_dates(ep["DECOM"]), parse_dates(ep["DEC"])], axis=1).max(axis=1)
    latest = dates.groupby(ep["_order"]).max()
    by_end = financial_year_of(latest.fillna(pd.Timestamp(0))) + 1  # 2020 = the year to March 2020
    years = {
        int(order): int(year) if pd.notna(d) else int(order)
        for (order, d), year in zip(latest.items(), by_end, strict=True)
    }
    by_year: dict[int, list[int]] = {}
    for order, year in years.items():
        by_year.setdefault(year, []).append(order)
    for year, orders in by_year.items():
        if len(orders) < 2:
            continue
        keys = [
            set(zip(*(ep.loc[ep["_order"] == o, c] for c in ("LA", "CHILD")), strict=True))
            for o in orders
        ]
        if set.intersection(*keys):
            files = [ep.loc[ep["_order"] == o, "_file"].iloc[0] for o in orders]
            raise InputError(
                f"{' and '.join(files)} both look like the return for the year to 31 March "
                f"{year} (their latest dates) and share children, so which holds the later "
                "version of an episode cannot be told; add a YEAR column (the return's year) "
                "to each file",
                file=files[-1],
                column="YEAR",
            )
    return years


def _today() -> pd.Timestamp:
    """Today's date: no episode or birth can be later."""
    return pd.Timestamp.today().normalize()


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates written as ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (both appear in SSDA903 files).

    Empty strings give NaT; anything else that fails to parse gives NaT too (callers flag it).
    """
    iso = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(values, format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk)


def read_ssda903(
    episodes: str | Path | Sequence[str | Path],
    header: str | Path | Sequence[str | Path],
    *,
    on_error: str = "raise",
    on_unknown_code: str = "error",
    placement_codes: Mapping[str, str] | None = None,
) -> SSDA903:
    """Read, merge and validate SSDA903 episodes and header files.

    Parameters
    ----------
    episodes, header
        One file or a list of files (e.g. one per year). Files with ``LA`` (and ``YEAR``)
        columns may hold several councils; children are keyed by (LA, CHILD).
    on_error
        ``"raise"``: stop at the first bad row with an :class:`~placecast.errors.InputError`
        naming file, row and column. ``"exclude"``: exclude bad rows and list them in
        ``issues`` (a bad episode excludes the child's later episodes too, since the stay
        can no longer be followed).
    on_unknown_code
        ``"error"``: unknown PLACE / PLACE_PROVIDER / RNE / REC codes are errors (handled as
        ``on_error`` says). ``"warn"``: keep the row (unknown placement -> ``"other"``,
        unknown reason for leaving -> ``"other_exit"``) and warn.
    placement_codes
        Extra or replacement PLACE code -> category mappings.

    Returns
    -------
    SSDA903
    """
    problems = _Problems(on_error, on_unknown_code)
    ep = _read(_as_list(episodes), EPISODE_COLUMNS)
    hd = _read(_as_list(header), HEADER_COLUMNS)
    _refuse_mixed_la(ep, hd)
    for frame in (ep, hd):
        if "LA" not in frame.columns:
            frame["LA"] = ""
    inferred: dict[int, int] = {}
    if "YEAR" not in ep.columns:  # order the returns by their dates, not the command line
        inferred = _return_years(ep)
        ep["YEAR"] = ep["_order"].map(inferred)
        if "YEAR" not in hd.columns and hd["_order"].nunique() == len(inferred):
            hd["YEAR"] = hd["_order"].map(inferred)  # header files given in the same order
    for frame in (ep, hd):
        frame["YEAR"] = pd.to_numeric(frame.get("YEAR", frame["_order"]), errors="coerce")

    # Header: one date of birth per child (latest return wins).
    hd["dob"] = parse_dates(hd["DOB"])
    drop = problems.flag(hd, hd["CHILD"] == "", "CHILD", "missing child identifier")
    drop |= problems.flag(
        hd,
        hd["dob"].isna(),
        "DOB",
        "date of birth missing or not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    )
    drop |= problems.flag(hd, ~drop & (hd["dob"] > _today()), "DOB", "date of birth is after today")
    hd = hd.loc[~drop].sort_values(["YEAR", "_order", "_line"])
    latest_dob = hd.groupby(["LA", "CHILD"])["dob"].transform("last")
    problems.note(
        hd,
        hd["dob"] != latest_dob,
        "DOB",
        "date of birth differs from the child's in a later header row or return; the latest "
        "is used",
    )
    dob = hd.drop_duplicates(["LA", "CHILD"], keep="last").set_index(["LA", "CHILD"])["dob"]

    # Episodes: merge yearly returns, keeping each episode's latest version.
    ep["start"] = parse_dates(ep["DECOM"])
    ep["end"] = parse_dates(ep["DEC"])
    drop = problems.flag(ep, ep["CHILD"] == "", "CHILD", "missing child identifier")
    drop |= problems.flag(
        ep,
        ep["start"].isna(),
        "DECOM",
        "episode start date missing or not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    )
    drop |= problems.flag(
        ep,
        (ep["DEC"] != "") & ep["end"].isna(),
        "DEC",
        "episode end date is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    )
    # Within one file a repeated row is kept once (and said); a second, different episode of a
    # child with the same start would replace the first, losing an exit: refused.
    content = [c for c in ep.columns if not c.startswith("_")]
    exact = ep.duplicated(["_order", *content], keep="first") & ~drop
    problems.note(ep, exact, "CHILD", "exact copy of an earlier row of the same file, kept once")
    drop |= exact
    clash = ep.loc[~drop].duplicated(["_order", "LA", "CHILD", "start"], keep="first")
    drop |= problems.flag(
        ep,
        clash.reindex(ep.index, fill_value=False),
        "DECOM",
        "a second episode of this child starting on the same date in the same file, with other "
        "details: one would replace the other; correct the start date or remove one",
    )
    ep = ep.loc[~drop].sort_values(["YEAR", "_order", "_line"])
    before = len(ep)
    ep = ep.drop_duplicates(["LA", "CHILD", "start"], keep="last")
    merged = before - len(ep)  # the same episode in several yearly returns: the latest kept

    codes = {**PLACEMENT_CODES, **(placement_codes or {})}
    ep["placement"] = ep["PLACE"].map(codes)
    fostering = ep["PLACE"].isin(FOSTERING_OTHER)
    ep.loc[fostering, "placement"] = ep.loc[fostering, "PLACE_PROVIDER"].map(FOSTER_PROVIDERS)
    ep["exit_reason"] = ep["REC"].map(lambda c: EXIT_CODES.get(c, "?") if c else None)
    ep["dob"] = pd.Series(
        dob.reindex(pd.MultiIndex.from_frame(ep[["LA", "CHILD"]])).to_numpy(), index=ep.index
    )

    checks = [
        (
            ep["dob"].isna(),
            "CHILD",
            "child has no row (or no valid date of birth) in the header file",
            False,
        ),
        (ep["end"] < ep["start"], "DEC", "episode ends before it starts", False),
        (
            ~ep["RNE"].isin(NEW_EPISODE_CODES),
            "RNE",
            "unknown reason for new episode (RNE) code",
            True,
        ),
        (ep["placement"].isna() & ~fostering, "PLACE", "unknown placement (PLACE) code", True),
        (
            ep["placement"].isna() & fostering,
            "PLACE_PROVIDER",
            "foster placement U4-U6 needs a provider PR1-PR5",
            True,
        ),
        (ep["exit_reason"] == "?", "REC", "unknown reason for leaving (REC) code", True),
        (ep["end"].notna() & (ep["REC"] == ""), "REC", "episode has an end date but no REC", False),
        (
            ep["end"].isna() & ~ep["REC"].isin(["", "X1"]),
            "DEC",
            "episode has a reason for leaving (REC) but no end date",
            False,
        ),
        (~ep["LS"].isin(LEGAL_STATUS_CODES), "LS", "unknown legal status (LS) code", True),
        (
            ep["start"] >= ep["dob"] + pd.DateOffset(years=18),
            "DECOM",
            "child aged 18 or over at the start of the episode",
            False,
        ),
        (
            ep["start"] < ep["dob"],
            "DECOM",
            "episode starts before the child's date of birth",
            False,
        ),
        (ep["start"] > _today(), "DECOM", "episode starts after today", False),
        (ep["end"] > _today(), "DEC", "episode ends after today", False),
    ]
    drop = pd.Series(False, index=ep.index)
    for bad, column, problem, unknown in checks:
        drop |= problems.flag(ep, bad & ~drop, column, problem, unknown_code=unknown)
    ep.loc[ep["placement"].isna(), "placement"] = "other"  # only kept when warned about
    ep.loc[ep["exit_reason"] == "?", "exit_reason"] = "other_exit"
    # Some systems write X1 on the open episode: the stay goes on (19-21% of the rows of
    # third-party samples, which used to be excluded).
    problems.note(
        ep,
        ~drop & ep["end"].isna() & (ep["REC"] == "X1"),
        "REC",
        "REC X1 on an episode with no end date: read as open (the stay goes on)",
    )
    # A stay cannot be followed past an excluded episode: the child's later episodes would
    # read as a new entry, so they go too, listed. (An episode with no valid start cannot be
    # placed in the stay; the child's other episodes are kept.)
    first_bad = ep.loc[drop].groupby(["LA", "CHILD"])["start"].min()
    keys = pd.MultiIndex.from_frame(ep[["LA", "CHILD"]])
    after = pd.Series(first_bad.reindex(keys).to_numpy(), index=ep.index)
    later = ~drop & (ep["start"] > after)
    drop |= problems.flag(
        ep,
        later,
        "DECOM",
        "follows an excluded episode of the same child (the stay cannot be followed past it)",
    )
    ep = ep.loc[~drop]

    # Overlaps: a child's next episode may not start before the previous one ends.
    ep = ep.sort_values(["LA", "CHILD", "start"])
    same_child = (ep["LA"] == ep["LA"].shift()) & (ep["CHILD"] == ep["CHILD"].shift())
    prev_end = ep["end"].shift()
    overlap = same_child & (prev_end.isna() | (ep["start"] < prev_end))
    bad = problems.flag(
        ep,
        overlap,
        "DECOM",
        "episode overlaps the child's previous episode (previous one open or ending later)",
    )
    if bad.any():  # the stay cannot be followed past a bad episode: report the rest too
        after = bad.groupby([ep["LA"], ep["CHILD"]]).cummax() & ~bad
        problems.flag(ep, after, "DECOM", "follows an overlapping episode of the same child")
        ep = ep.loc[~(bad | after)]

    # Assumptions about a stay's course, said with their rows.
    same_child = (ep["LA"] == ep["LA"].shift()) & (ep["CHILD"] == ep["CHILD"].shift())
    goes_on = ep["exit_reason"].isna() & ep["end"].notna()  # ended with X1
    is_last = ~same_child.shift(-1, fill_value=False)
    problems.note(
        ep,
        goes_on & is_last,
        "REC",
        "episode ends with REC X1 (the stay goes on) but the child has no later episode: "
        "read as unobserved after its end (censored), not as leaving care",
    )
    gap = same_child & goes_on.shift(fill_value=False) & (ep["start"] > ep["end"].shift())
    problems.note(
        ep,
        gap,
        "DECOM",
        "starts after the previous episode of the same stay ended with X1 (a gap): the stay "
        "goes on and the days between are not counted as time in care",
    )

    key = pd.factorize(pd.MultiIndex.from_frame(ep[["LA", "CHILD"]]))[0]
    out = pd.DataFrame(
        {
            "child": key,
            "la": ep["LA"].to_numpy(),
            "start": ep["start"].to_numpy(),
            "end": ep["end"].to_numpy(),
            "rne": ep["RNE"].to_numpy(),
            "placement": ep["placement"].to_numpy(),
            "exit_reason": ep["exit_reason"].to_numpy(),
            "dob": ep["dob"].to_numpy(),
            "source": (ep["_file"] + ":" + ep["_line"].astype(str)).to_numpy(),
        }
    ).reset_index(drop=True)
    # The latest return kept: its given YEAR, else the year (by its end) of the latest date kept.
    if inferred:
        latest = pd.concat([ep["start"], ep["end"]]).max() if len(ep) else pd.NaT
        last_year = None if pd.isna(latest) else int(financial_year_of([latest])[0]) + 1
    else:
        given = pd.to_numeric(ep["YEAR"], errors="coerce")
        last_year = int(given.max()) if given.notna().any() else None
    files = [str(p) for p in _as_list(episodes)]
    return SSDA903(out, problems.frame(), merged, files, last_year)


@dataclass
class EpisodeFlows:
    """Transition counts and time at risk from episodes, by financial year and age band.

    Attributes
    ----------
    moves
        Moves between placement categories: (financial_year, age_band, from_placement,
        to_placement).
    exits
        Rate-driven exits (not the 18th birthday): (financial_year, age_band, placement,
        exit_reason).
    exposure_years
        Child-years in care before the 18th birthday: (financial_year, age_band, placement).
    entries
        Children starting a period of care: (financial_year, age_band, placement).
    entries_by_month
        The same by calendar month and age in completed years: (month, age_years, placement).
    aged_18
        Children leaving care at 18, by financial year (not used by the rates: the model's
        18th-birthday exit is exact).
    """

    moves: xr.DataArray
    exits: xr.DataArray
    exposure_years: xr.DataArray
    entries: xr.DataArray
    entries_by_month: xr.DataArray
    aged_18: xr.DataArray

    def crude_rates(self) -> xr.Dataset:
        """Events per child-year (no pooling), for a first look; NaN without exposure."""
        exposure = self.exposure_years.sum("financial_year")
        with np.errstate(invalid="ignore", divide="ignore"):
            move = self.moves.sum("financial_year") / exposure.rename(placement="from_placement")
            exit_ = self.exits.sum("financial_year") / exposure
        return xr.Dataset({"move_rate_per_year": move, "exit_rate_per_year": exit_})


def episode_flows(
    data: SSDA903,
    space: StateSpace,
    *,
    period_start: str,
    period_end: str,
) -> EpisodeFlows:
    """Count entries, moves and exits and child-years at risk between two dates.

    Parameters
    ----------
    data
        Validated episodes (:func:`read_ssda903`).
    space
        The state space (placement categories, age bands, exit reasons).
    period_start, period_end
        The window observed, e.g. ``"2015-04-01"`` and ``"2020-03-31"``: events outside it are
        not counted, exposure is clipped to it, and episodes still open at the end are censored.

    Notes
    -----
    A *stay* is a run of episodes of one child with no exit between them. Its first episode is an
    entry; a change of placement category between consecutive episodes is a move (episodes that
    only change legal status or carer within a category are not); the end of its last episode is
    an exit with the REC's reason, or ``aged_18`` when it ends on or after the day before the
    18th birthday. Exposure stops at the 18th birthday.
    """
    start, end = (_period_date(d, n) for d, n in ((period_start, "start"), (period_end, "end")))
    end = end + pd.Timedelta(days=1)  # the end date is included
    if end <= start:
        raise InputError(f"period_end {period_end} is not after period_start {period_start}")
    _refuse_unobserved(data, start, end - pd.Timedelta(days=1))
    ep = data.episodes.sort_values(["child", "start"]).reset_index(drop=True)
    unknown = set(ep["placement"]) - set(space.placement_names)
    if unknown:
        raise InputError(
            f"episodes use placement categories {sorted(unknown)} that the state space lacks"
        )
    years = np.arange(
        financial_year_of(pd.DatetimeIndex([start]))[0],
        financial_year_of(pd.DatetimeIndex([end - pd.Timedelta(days=1)]))[0] + 1,
    )
    edges = np.asarray(space.age_band_edges_years)
    bands = space.age_band_labels
    # Band boundaries are birthdays (calendar years); the last edge is the 18th birthday.
    birthdays = [ep["dob"] + pd.DateOffset(years=int(edge)) for edge in edges]
    eighteen = birthdays[-1]

    def band_at(when: pd.Series) -> np.ndarray:
        passed = [(when >= day.loc[when.index]).to_numpy() for day in birthdays[1:-1]]
        return np.sum(passed, axis=0).astype(int) if passed else np.zeros(len(when), int)

    same_child = ep["child"].eq(ep["child"].shift())
    prev_exit = ep["exit_reason"].shift()
    new_stay = ~same_child | prev_exit.notna()
    in_window = lambda when: (when >= start) & (when < end)  # noqa: E731

    def table(
        dims: tuple[str, ...], coords: dict[str, Sequence[object]], keys: pd.DataFrame
    ) -> xr.DataArray:
        shape = tuple(len(coords[d]) for d in dims)
        counts = np.zeros(shape)
        if len(keys):
            idx = tuple(pd.Index(list(coords[d])).get_indexer(pd.Index(keys[d])) for d in dims)
            for d, i in zip(dims, idx, strict=True):
                if (i < 0).any():  # never count an unknown label into another cell
                    unknown = sorted(set(keys[d].to_numpy()[i < 0].tolist()))
                    raise InputError(f"episodes use {d} values {unknown} the state space lacks")
            np.add.at(counts, idx, 1)
        return xr.DataArray(counts, dims=dims, coords={d: list(coords[d]) for d in dims})

    coords: dict[str, Sequence[object]] = {
        "financial_year": list(years),
        "age_band": bands,
        "placement": space.placement_names,
        "from_placement": space.placement_names,
        "to_placement": space.placement_names,
        "exit_reason": space.exit_reasons,
    }
    # Entries.
    e = ep.loc[new_stay & in_window(ep["start"])]
    entries = table(
        ("financial_year", "age_band", "placement"),
        coords,
        pd.DataFrame(
            {
                "financial_year": financial_year_of(e["start"]),
                "age_band": np.asarray(bands)[band_at(e["start"])],
                "placement": e["placement"],
            }
        ),
    )
    # Moves: consecutive episodes of a stay with a change of category.
    prev_place = ep["placement"].shift()
    m = ep.loc[~new_stay & (ep["placement"] != prev_place) & in_window(ep["start"])]
    moves = table(
        ("financial_year", "age_band", "from_placement", "to_placement"),
        coords,
        pd.DataFrame(
            {
                "financial_year": financial_year_of(m["start"]),
                "age_band": np.asarray(bands)[band_at(m["start"])],
                "from_placement": prev_place[m.index],
                "to_placement": m["placement"],
            }
        ),
    )
    # Exits.
    x = ep.loc[ep["exit_reason"].notna() & ep["end"].notna()]
    x = x.loc[in_window(x["end"])]
    at_18 = x["end"] >= eighteen[x.index] - pd.Timedelta(days=1)
    aged = x.loc[at_18]
    aged_18 = xr.DataArray(
        pd.Series(financial_year_of(aged["end"]))
        .value_counts()
        .reindex(years, fill_value=0)
        .to_numpy(),
        dims="financial_year",
        coords={"financial_year": years},
    )
    x = x.loc[~at_18]
    exits = table(
        ("financial_year", "age_band", "placement", "exit_reason"),
        coords,
        pd.DataFrame(
            {
                "financial_year": financial_year_of(x["end"]),
                "age_band": np.asarray(bands)[band_at(x["end"])],
                "placement": x["placement"],
                "exit_reason": x["exit_reason"],
            }
        ),
    )
    # Exposure: each episode's time in the window before the 18th birthday, split by age band
    # and financial year (loops over bands and years, vectorised over episodes).
    lo = ep["start"].clip(lower=start)
    hi = ep["end"].fillna(end).clip(upper=end)
    hi = hi.where(hi < eighteen, eighteen)
    exposure = np.zeros((len(years), len(bands), space.n_placements))
    p_idx = pd.Index(space.placement_names).get_indexer(pd.Index(ep["placement"]))
    for b in range(len(bands)):
        band_lo, band_hi = birthdays[b], birthdays[b + 1]
        first = pd.concat([lo, band_lo], axis=1).max(axis=1)
        last = pd.concat([hi, band_hi], axis=1).min(axis=1)
        for y_i, y in enumerate(years):
            a = first.clip(lower=pd.Timestamp(f"{y}-04-01"))
            z = last.clip(upper=pd.Timestamp(f"{y + 1}-04-01"))
            days = ((z - a) / pd.Timedelta(days=1)).clip(lower=0).fillna(0).to_numpy()
            np.add.at(exposure[y_i, b], p_idx, days / 365.25)
    exposure_years = xr.DataArray(
        exposure,
        dims=("financial_year", "age_band", "placement"),
        coords={
            "financial_year": years,
            "age_band": list(bands),
            "placement": list(space.placement_names),
        },
    )
    dob = ep.loc[e.index, "dob"]
    age_years = (e["start"].dt.year - dob.dt.year) - (
        (e["start"].dt.month < dob.dt.month)
        | ((e["start"].dt.month == dob.dt.month) & (e["start"].dt.day < dob.dt.day))
    ).astype(int)
    month_coords: dict[str, Sequence[object]] = {
        "month": list(pd.period_range(start, end - pd.Timedelta(days=1), freq="M").astype(str)),
        "age_years": list(range(LEAVING_AGE_YEARS)),
        "placement": list(space.placement_names),
    }
    entries_by_month = table(
        ("month", "age_years", "placement"),
        month_coords,
        pd.DataFrame(
            {
                "month": e["start"].dt.to_period("M").astype(str).to_numpy(),
                "age_years": age_years.clip(0, LEAVING_AGE_YEARS - 1).to_numpy(),
                "placement": e["placement"].to_numpy(),
            }
        ),
    )
    return EpisodeFlows(moves, exits, exposure_years, entries, entries_by_month, aged_18)


def _period_date(value: str, which: str) -> pd.Timestamp:
    """A period's date, read like the files' dates (``YYYY-MM-DD`` or day-first
    ``DD/MM/YYYY``: 01/04/2015 is 1 April)."""
    parsed = parse_dates(pd.Series([str(value).strip()])).iloc[0]
    if pd.isna(parsed):
        raise InputError(
            f"period_{which} {value!r} is not a date; use YYYY-MM-DD or DD/MM/YYYY "
            "(e.g. 2015-04-01 or 01/04/2015)",
            column=f"period_{which}",
        )
    return pd.Timestamp(parsed)


def _refuse_unobserved(data: SSDA903, start: pd.Timestamp, last_day: pd.Timestamp) -> None:
    """A window reaching past the latest return, or starting before any episode, would count
    unobserved time as time in which nothing happened (the audit: rates 42% low)."""
    if data.last_year is not None:
        covered = pd.Timestamp(f"{data.last_year}-03-31")
        if last_day > covered:
            raise InputError(
                f"period_end {last_day.date()} is after the latest return, which ends on "
                f"{covered.date()}: nothing after it was observed. Set period_end to "
                f"{covered.date()} or earlier, or add the later returns",
                column="period_end",
            )
    if len(data.episodes):
        first = pd.Timestamp(data.episodes["start"].min())
        begins = pd.Timestamp(f"{financial_year_of(pd.DatetimeIndex([first]))[0]}-04-01")
        if last_day < first or start < begins:
            raise InputError(
                f"period_start {start.date()} is before the financial year of the earliest "
                f"episode ({first.date()}), so those years were not observed. Set "
                f"period_start to {begins.date()} or later (the first day your returns cover)",
                column="period_start",
            )


def stock_at(data: SSDA903, space: StateSpace, date: str) -> InitialStock:
    """Children in care on ``date`` (e.g. 31 March), by placement and age in months.

    Use it as the starting stock of a forecast fitted to the same episodes.
    """
    when = _period_date(date, "end")
    ep = data.episodes
    open_then = (ep["start"] <= when) & (ep["end"].isna() | (ep["end"] > when))
    ep = ep.loc[open_then]
    if ep.empty:
        raise InputError(f"no child is in care on {date} in these episodes")
    months = (when.year - ep["dob"].dt.year) * 12 + (when.month - ep["dob"].dt.month)
    months = months - (when.day < ep["dob"].dt.day)  # completed months
    counts = np.zeros((space.n_placements, N_AGE_MONTHS), dtype=np.int64)
    np.add.at(
        counts,
        (
            pd.Index(space.placement_names).get_indexer(pd.Index(ep["placement"])),
            np.clip(months.to_numpy(), 0, N_AGE_MONTHS - 1),
        ),
        1,
    )
    return InitialStock(space, counts)
