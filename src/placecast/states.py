"""Placement categories, age bands and the state space of the cohort model.

The state of one child is (placement category, age in completed months). Ages run 0..215 months;
the month a child would turn 18 (216 months) they leave care, exactly. Rates are given per age band
(bands are whole years), while ageing is tracked monthly so that band changes and 18th birthdays
happen on the right month.

Friends-and-family (connected persons) fostering is its own category rather than a sub-type of
in-house fostering: connected carers are approved for a named child, so they neither provide nor
use the council's pool of mainstream in-house places. Folding them into in-house fostering would
overstate the places recruitment can free up.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from placecast.errors import ConfigError

MONTHS_PER_YEAR = 12
LEAVING_AGE_YEARS = 18
N_AGE_MONTHS = LEAVING_AGE_YEARS * MONTHS_PER_YEAR  # ages 0..215 months
AGED_18 = "aged_18"


@dataclass(frozen=True)
class Placement:
    """One placement category.

    Parameters
    ----------
    name
        Identifier used in tables and configuration (``snake_case``).
    label
        Human-readable name for reports.
    min_age_years
        Youngest age (whole years) at which a child may be in this placement; must be an age-band
        edge so that rates by band can respect it (e.g. semi-independent from 16).
    """

    name: str
    label: str
    min_age_years: int = 0


DEFAULT_PLACEMENTS: tuple[Placement, ...] = (
    Placement("in_house_fostering", "In-house fostering"),
    Placement("friends_family_fostering", "Friends and family fostering"),
    Placement("ifa", "Independent fostering agency"),
    Placement("residential", "Residential (children's homes, secure)"),
    Placement("semi_independent", "Semi-independent / supported accommodation", 16),
    Placement("other", "Other (placed with parents, for adoption, ...)"),
)

#: Exit reasons driven by rates; leaving at the 18th birthday (``aged_18``) is added by the model.
DEFAULT_EXIT_REASONS: tuple[str, ...] = (
    "returned_home",
    "special_guardianship",
    "adoption",
    "custody",
    "other_exit",
)

#: DfE's published age bands: under 1, 1-4, 5-9, 10-15, 16-17.
DEFAULT_AGE_BAND_EDGES_YEARS: tuple[int, ...] = (0, 1, 5, 10, 16, 18)


@dataclass(frozen=True)
class StateSpace:
    """Placement categories x monthly age, with the roles the capacity model needs.

    Parameters
    ----------
    placements
        The placement categories, in reporting order.
    age_band_edges_years
        Edges of the age bands used for rates and reports, from 0 to 18 (whole years).
    exit_reasons
        Rate-driven reasons for leaving care. ``aged_18`` is always added as the last reason.
    capacity_placement
        The category whose places are limited by the foster-carer supply (mainstream in-house).
    overflow_placement
        Where a child goes when they need a ``capacity_placement`` place and none is free (IFA).

    Examples
    --------
    >>> space = StateSpace()
    >>> space.placement_names[:3]
    ('in_house_fostering', 'friends_family_fostering', 'ifa')
    >>> space.age_band_labels
    ('under_1', '1_4', '5_9', '10_15', '16_17')
    >>> int(space.band_of_age_month[12 * 16])  # a child aged exactly 16 is in the 16-17 band
    4
    """

    placements: tuple[Placement, ...] = DEFAULT_PLACEMENTS
    age_band_edges_years: tuple[int, ...] = DEFAULT_AGE_BAND_EDGES_YEARS
    exit_reasons: tuple[str, ...] = DEFAULT_EXIT_REASONS
    capacity_placement: str = "in_house_fostering"
    overflow_placement: str = "ifa"
    band_of_age_month: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [p.name for p in self.placements]
        if len(names) < 2:
            raise ConfigError("StateSpace.placements: need at least two placement categories")
        if len(set(names)) != len(names):
            raise ConfigError(f"StateSpace.placements: names must be unique, got {names}")
        edges = list(self.age_band_edges_years)
        if edges[0] != 0 or edges[-1] != LEAVING_AGE_YEARS or np.any(np.diff(edges) <= 0):
            raise ConfigError(
                "StateSpace.age_band_edges_years must increase strictly from 0 to 18, "
                f"got {tuple(edges)}"
            )
        for role in ("capacity_placement", "overflow_placement"):
            if getattr(self, role) not in names:
                raise ConfigError(
                    f"StateSpace.{role}={getattr(self, role)!r} is not one of the placements "
                    f"{names}"
                )
        if self.capacity_placement == self.overflow_placement:
            raise ConfigError("StateSpace: capacity_placement and overflow_placement must differ")
        for p in self.placements:
            if p.min_age_years not in edges[:-1]:
                raise ConfigError(
                    f"Placement {p.name!r}: min_age_years={p.min_age_years} must be one of the "
                    f"age-band lower edges {edges[:-1]} so that rates by band can respect it"
                )
        overflow = self.placements[names.index(self.overflow_placement)]
        capacity = self.placements[names.index(self.capacity_placement)]
        if overflow.min_age_years > capacity.min_age_years:
            raise ConfigError(
                f"overflow placement {overflow.name!r} must accept every age the capacity "
                f"placement {capacity.name!r} accepts"
            )
        reasons = list(self.exit_reasons)
        if AGED_18 in reasons or len(set(reasons)) != len(reasons) or not reasons:
            raise ConfigError(
                "StateSpace.exit_reasons must be unique, non-empty and must not include "
                f"{AGED_18!r} (added automatically), got {reasons}"
            )
        ages_years = np.arange(N_AGE_MONTHS) // MONTHS_PER_YEAR
        band = np.searchsorted(np.asarray(edges[1:]), ages_years, side="right")
        object.__setattr__(self, "band_of_age_month", band.astype(np.intp))

    # -- names and sizes ---------------------------------------------------------------------
    @property
    def placement_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.placements)

    @property
    def n_placements(self) -> int:
        return len(self.placements)

    @property
    def all_exit_reasons(self) -> tuple[str, ...]:
        """Rate-driven exit reasons followed by ``aged_18``."""
        return (*self.exit_reasons, AGED_18)

    @property
    def n_bands(self) -> int:
        return len(self.age_band_edges_years) - 1

    @property
    def age_band_labels(self) -> tuple[str, ...]:
        e = self.age_band_edges_years
        return tuple(
            f"under_{hi}" if lo == 0 else f"{lo}_{hi - 1}" for lo, hi in itertools.pairwise(e)
        )

    @property
    def band_start_months(self) -> np.ndarray:
        """First age month of each band (for ``np.add.reduceat`` over the age axis)."""
        return np.asarray(self.age_band_edges_years[:-1]) * MONTHS_PER_YEAR

    @property
    def band_width_months(self) -> np.ndarray:
        return np.diff(np.asarray(self.age_band_edges_years)) * MONTHS_PER_YEAR

    def index(self, placement: str) -> int:
        """Position of a placement category, with a clear error for unknown names."""
        try:
            return self.placement_names.index(placement)
        except ValueError:
            raise ConfigError(
                f"unknown placement {placement!r}; known placements: {self.placement_names}"
            ) from None

    @property
    def min_age_band(self) -> np.ndarray:
        """For each placement, the first age band in which it is allowed."""
        edges = list(self.age_band_edges_years)
        return np.array([edges.index(p.min_age_years) for p in self.placements])

    @property
    def allowed(self) -> np.ndarray:
        """Boolean (placement, age month): may a child of that age be in that placement?"""
        min_month = np.array([p.min_age_years for p in self.placements]) * MONTHS_PER_YEAR
        return np.arange(N_AGE_MONTHS)[None, :] >= min_month[:, None]

    def to_bands(self, by_age_month: np.ndarray) -> np.ndarray:
        """Sum an array whose last axis is age in months into age bands."""
        return np.add.reduceat(by_age_month, self.band_start_months, axis=-1)


def space_to_dict(space: StateSpace) -> dict[str, Any]:
    """The state space as plain values (for JSON files and netCDF attributes)."""
    return {
        "placements": [[p.name, p.label, p.min_age_years] for p in space.placements],
        "age_band_edges_years": list(space.age_band_edges_years),
        "exit_reasons": list(space.exit_reasons),
        "capacity_placement": space.capacity_placement,
        "overflow_placement": space.overflow_placement,
    }


def space_from_dict(values: dict[str, Any]) -> StateSpace:
    """The state space written by :func:`space_to_dict`."""
    return StateSpace(
        placements=tuple(Placement(n, label, age) for n, label, age in values["placements"]),
        age_band_edges_years=tuple(values["age_band_edges_years"]),
        exit_reasons=tuple(values["exit_reasons"]),
        capacity_placement=values["capacity_placement"],
        overflow_placement=values["overflow_placement"],
    )
