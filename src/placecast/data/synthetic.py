"""Synthetic SSDA903 returns simulated from known rates (for tests, examples and benchmarks).

Children enter care as a Poisson process (entry age band from the entry age distribution, age
uniform within the band, first placement from the band's mix). In care, each child waits an
exponential time for its next move or exit at the total rate of its (placement, age band); the
clock restarts at every birthday that changes the band (the process is memoryless), and the stay
ends at the 18th birthday. Capacity is not applied: the synthetic council places children where
the rates say. The loop is over event steps (a few dozen), vectorised over children.

Codes follow the mapping of :mod:`placecast.data.ssda903`, so reading the files back gives the
same placement categories and exit reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from placecast.errors import ConfigError
from placecast.rates import Rates

DAYS_PER_YEAR = 365.25

#: One (PLACE, PLACE_PROVIDER) code per category, used when writing episodes.
CATEGORY_CODES = {
    "in_house_fostering": ("U4", "PR1"),
    "friends_family_fostering": ("U1", "PR1"),
    "ifa": ("U4", "PR4"),
    "residential": ("K2", "PR4"),
    "semi_independent": ("H5", "PR4"),
    "other": ("P1", "PR0"),
}
EXIT_REC = {
    "returned_home": "E4A",
    "special_guardianship": "E45",
    "adoption": "E11",
    "custody": "E9",
    "other_exit": "E8",
    "aged_18": "E8",
}


@dataclass
class SyntheticReturn:
    """Simulated SSDA903 tables (CSV-ready strings), with the rates that generated them."""

    episodes: pd.DataFrame
    header: pd.DataFrame
    rates: Rates
    start: pd.Timestamp
    end: pd.Timestamp

    def write(self, folder: str) -> tuple[str, str]:
        """Write ``episodes.csv`` and ``header.csv`` to ``folder``; returns their paths."""
        import os

        os.makedirs(folder, exist_ok=True)
        ep, hd = os.path.join(folder, "episodes.csv"), os.path.join(folder, "header.csv")
        self.episodes.to_csv(ep, index=False)
        self.header.to_csv(hd, index=False)
        return ep, hd


def simulate_episodes(
    rates: Rates,
    *,
    start: str = "2015-04-01",
    end: str = "2020-03-31",
    burn_in_years: int = 18,
    seed: int = 0,
    draw: int = 0,
) -> SyntheticReturn:
    """Simulate episodes for one council observed from ``start`` to ``end``.

    Children enter from ``burn_in_years`` before ``start`` so that the population in care at
    ``start`` is realistic; episodes that ended before ``start`` are left out of the return, as
    in a real one. Rates are constant in time except the entry trend.

    Raises
    ------
    ConfigError
        When the rates' exit rates or placements' pull change from year to year
        (``exit_change_per_year``, ``pull_change_per_year``), which this simulator does not
        follow.

    Examples
    --------
    >>> import placecast as pc
    >>> syn = simulate_episodes(pc.hackney_2020().rates, seed=1, burn_in_years=2)
    >>> list(syn.episodes.columns[:4])
    ['CHILD', 'DECOM', 'RNE', 'LS']
    """
    rng = np.random.default_rng(seed)
    space = rates.space
    ds = rates.data.isel(draw=draw)
    if float(ds["exit_change_per_year"]) != 0:
        raise ConfigError(
            "simulate_episodes holds exit rates constant; these rates change them by "
            f"{float(ds['exit_change_per_year']):+.1%} a year (exit_change_per_year)"
        )
    if (ds["pull_change_per_year"].values != 0).any():
        raise ConfigError(
            "simulate_episodes holds move rates and the entry mix constant; these rates change "
            "them from year to year (pull_change_per_year)"
        )
    P = space.n_placements
    t0 = pd.Timestamp(start) - pd.DateOffset(years=burn_in_years)
    t_end = pd.Timestamp(end)
    horizon = (t_end - t0).days / DAYS_PER_YEAR
    # Entries (time in years since t0). The trend is relative to ``start``.
    lam = float(ds["entries_per_year"])
    growth = float(ds["entry_growth_per_year"])
    offset = burn_in_years
    # Thinning of a Poisson process with intensity lam * (1 + g) ** (t - offset).
    peak = lam * max((1 + growth) ** (horizon - offset), (1 + growth) ** (-offset))
    n_max = rng.poisson(peak * horizon)
    t = np.sort(rng.random(n_max) * horizon)
    keep = rng.random(n_max) < lam * (1 + growth) ** (t - offset) / peak
    t = t[keep]
    n = t.size
    band = rng.choice(space.n_bands, size=n, p=ds["entry_age_band_share"].values)
    edges = np.asarray(space.age_band_edges_years, dtype=float)
    age = edges[band] + rng.random(n) * (edges[band + 1] - edges[band])
    mix = ds["entry_placement_share"].values[band]
    place = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)[:, :-1]).sum(axis=1)
    birth = t - age

    # Generator rates by (band, placement, destination): moves then rate-driven exits.
    move = ds["move_rate_per_year"].values  # (B, P, P)
    exit_ = ds["exit_rate_per_year"].values  # (B, P, R)
    dest_rates = np.concatenate([move, exit_], axis=2)  # (B, P, P + R)
    total = dest_rates.sum(axis=2)

    records = []  # (child, start, end, placement, exit code index or -1 = moved on)
    now, p_now = t.copy(), place.copy()
    ep_start = t.copy()
    active = np.ones(n, bool)
    first = np.ones(n, bool)
    band_now = band.copy()  # tracked, not recomputed from ages: no round-off at birthdays
    reasons = [*space.exit_reasons, "aged_18"]
    while active.any():  # one event step for every child still in care
        i = np.flatnonzero(active)
        b = band_now[i]
        next_birthday = birth[i] + edges[b + 1]
        r = total[b, p_now[i]]
        with np.errstate(divide="ignore"):
            wait = np.where(r > 0, rng.exponential(1.0, i.size) / r, np.inf)
        event_at = now[i] + wait
        hits_band = next_birthday <= np.minimum(event_at, horizon)
        out_of_window = ~hits_band & (event_at > horizon)
        event = ~hits_band & ~out_of_window
        # Band change: at 18 the stay ends; otherwise the clock restarts in the new band.
        at_18 = hits_band & (b == space.n_bands - 1)
        now[i[hits_band & ~at_18]] = next_birthday[hits_band & ~at_18]
        band_now[i[hits_band & ~at_18]] += 1
        j = i[at_18]
        aged = np.full(j.size, len(reasons) - 1)
        records.append((j, ep_start[j], next_birthday[at_18], p_now[j], aged, first[j]))
        active[j] = False
        # Still in care at the end of the window: an open episode.
        j = i[out_of_window]
        records.append(
            (j, ep_start[j], np.full(j.size, np.nan), p_now[j], np.full(j.size, -2), first[j])
        )
        active[j] = False
        # Events: move or rate-driven exit.
        j = i[event]
        probs = dest_rates[b[event], p_now[j]] / r[event][:, None]
        d = (rng.random(j.size)[:, None] > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1)
        moved = d < P
        records.append(
            (j, ep_start[j], event_at[event], p_now[j], np.where(moved, -1, d - P), first[j])
        )
        first[j] = False
        leave = j[~moved]
        active[leave] = False
        stay = j[moved]
        p_now[stay] = d[moved]
        now[stay] = event_at[event][moved]
        ep_start[stay] = now[stay]

    ids = np.concatenate([r[0] for r in records])
    starts = np.concatenate([r[1] for r in records])
    ends = np.concatenate([r[2] for r in records])
    places = np.concatenate([r[3] for r in records])
    why = np.concatenate([r[4] for r in records])
    firsts = np.concatenate([r[5] for r in records])
    keep = np.isnan(ends) | (ends >= burn_in_years)  # episodes still running at ``start``
    ids, starts, ends, places, why, firsts = (
        x[keep] for x in (ids, starts, ends, places, why, firsts)
    )
    order = np.lexsort((starts, ids))
    ids, starts, ends, places, why, firsts = (
        x[order] for x in (ids, starts, ends, places, why, firsts)
    )

    def dates(years: np.ndarray) -> pd.Series:
        days = np.floor(np.nan_to_num(years, nan=0.0) * DAYS_PER_YEAR).astype(int)
        out = pd.Series(t0 + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d")
        return out.where(~np.isnan(years), "")

    names = np.asarray(space.placement_names)
    code = np.array([CATEGORY_CODES[p] for p in names[places]])
    pseudo = rng.permutation(900_000)[:n] + 100_000  # pseudonymous 6-digit identifiers
    rec = np.full(why.size, "", dtype=object)  # open episodes have no REC
    rec[why == -1] = "X1"
    exited = why >= 0
    rec[exited] = [EXIT_REC[reasons[k]] for k in why[exited]]
    episodes = pd.DataFrame(
        {
            "CHILD": pseudo[ids],
            "DECOM": dates(starts).to_numpy(),
            "RNE": np.where(firsts, "S", "P"),
            "LS": "C2",
            "CIN": "N1",
            "PLACE": code[:, 0],
            "PLACE_PROVIDER": code[:, 1],
            "DEC": dates(ends).to_numpy(),
            "REC": rec,
            "REASON_PLACE_CHANGE": "",
            "HOME_POST": "",
            "PL_POST": "",
            "URN": "",
        }
    )
    # Dates are floored to whole days the same way, so a move's DEC equals the next DECOM.
    in_return = np.unique(ids)
    header = pd.DataFrame(
        {
            "CHILD": pseudo[in_return],
            "SEX": rng.integers(1, 3, in_return.size),
            "DOB": dates(birth[in_return]).to_numpy(),
            "ETHNIC": "WBRI",
            "UPN": "",
            "MOTHER": "",
            "MC_DOB": "",
        }
    )
    return SyntheticReturn(episodes, header, rates, pd.Timestamp(start), t_end)
