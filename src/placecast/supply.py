"""Foster-carer supply: how many mainstream in-house places exist each month.

Approved households change by recruitment (approvals) and deregistration (resignations,
terminations, retirements). Usable places are

    places(t) = floor(households(t) x places_per_household x (1 - unusable_place_share))

where ``unusable_place_share`` is the share of approved places that cannot be matched to a child
needing a placement (carers on hold, approved for a narrow age range, sibling-only places ...).

Process noise: approvals are Poisson and deregistrations binomial each month, both drawn by
inversion from uniforms, so that a scenario with more approvals (or a lower deregistration rate)
never has fewer households on the same random numbers (a monotone coupling; see the scenario tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from placecast.errors import ConfigError, is_number
from placecast.states import MONTHS_PER_YEAR

#: The largest value of each carer-supply figure: beyond these, counts overflow the engine's
#: integer states (the audit's 1e12 households collapsed in-house capacity). England's
#: fostering households of every kind numbered 42,615 in 2023-24 (Ofsted; FIGURES.md).
SUPPLY_BOUNDS = {
    "households": 100_000,
    "places_per_household": 10,
    "approvals_per_year": 10_000,
    "deregistration_rate_per_year": 12,
}


@dataclass(frozen=True)
class CarerSupply:
    """Mainstream in-house foster-carer supply.

    Parameters
    ----------
    households
        Approved mainstream households at the start of the forecast.
    places_per_household
        Average approved places per household.
    approvals_per_year
        New households approved per year.
    deregistration_rate_per_year
        Share of households leaving per year (continuous-time rate; 0.13 ~ 13% a year).
    unusable_place_share
        Share of approved places that cannot be used for a new placement.

    Examples
    --------
    >>> s = CarerSupply(households=100, places_per_household=2.0, approvals_per_year=10,
    ...                 deregistration_rate_per_year=0.13, unusable_place_share=0.1)
    >>> s.places(np.array([100.0]), stochastic=True)
    array([180.])
    """

    households: float
    places_per_household: float
    approvals_per_year: float
    deregistration_rate_per_year: float
    unusable_place_share: float = 0.0

    def __post_init__(self) -> None:
        for name, most in SUPPLY_BOUNDS.items():
            value = getattr(self, name)
            if not is_number(value):
                raise ConfigError(f"CarerSupply.{name} must be a number, got {value!r}")
            if not np.isfinite(value) or not 0 <= value <= most:
                raise ConfigError(
                    f"CarerSupply.{name} must be a finite number from 0 to {most:,g}, got {value}"
                )
        if not 0 <= self.unusable_place_share < 1:
            raise ConfigError(
                "CarerSupply.unusable_place_share must be in [0, 1), "
                f"got {self.unusable_place_share}"
            )

    def places(
        self,
        households: np.ndarray,
        *,
        stochastic: bool,
        places_per_household: float | np.ndarray | None = None,
    ) -> np.ndarray:
        """Usable in-house places for given household counts (whole places when stochastic)."""
        pph = self.places_per_household if places_per_household is None else places_per_household
        places = households * pph * (1.0 - self.unusable_place_share)
        # A tiny epsilon keeps e.g. 100 x 2.0 x 0.9 = 179.99999999999997 from flooring to 179.
        return np.floor(places + 1e-9) if stochastic else places


def step_households(
    households: np.ndarray,
    approvals_per_year: float,
    deregistration_rate_per_year: float,
    *,
    rng: np.random.Generator | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Advance household counts one month, vectorised over paths.

    Parameters
    ----------
    households
        Households per path at the start of the month.
    approvals_per_year, deregistration_rate_per_year
        This month's recruitment and deregistration rates.
    rng
        Random generator; ``None`` gives the expected (mean-field) step.

    Returns
    -------
    households, approvals, deregistrations
        Arrays shaped like ``households``.
    """
    mean_approvals = approvals_per_year / MONTHS_PER_YEAR
    p_leave = -np.expm1(-deregistration_rate_per_year / MONTHS_PER_YEAR)
    if rng is None:
        approvals = np.full_like(households, mean_approvals, dtype=float)
        deregistrations = households * p_leave
    else:
        u = rng.random((2, households.size)).reshape(2, *households.shape)
        approvals = _poisson_quantile(u[0], mean_approvals)
        deregistrations = _binomial_quantile(u[1], households, p_leave)
    return households + approvals - deregistrations, approvals, deregistrations


def _poisson_quantile(u: np.ndarray, mean: float) -> np.ndarray:
    """The Poisson(``mean``) quantile of each uniform, the smallest ``k`` with ``F(k) >= u``
    (common random numbers: more approvals for the same uniform when the mean is higher).

    One mean for every path, so one table of the CDF and a binary search: scipy's ``ppf`` per
    path took 10 % of a 4,000-path forecast, serially (issue 26).
    """
    if mean <= 0:
        return np.zeros_like(u)
    import scipy.stats  # here, not at import: it is half of placecast's start-up

    top = int(mean + 10.0 * np.sqrt(mean) + 10.0)  # F(top) = 1 to double precision
    cdf = scipy.stats.poisson.cdf(np.arange(top + 1), mean)
    return np.minimum(np.searchsorted(cdf, u, side="left"), top).astype(float)


def _binomial_quantile(u: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """The Binomial(``n``, ``p``) quantile of each uniform, paths with their own ``n``: the CDF
    walked upwards for every path at once, one step per possible count (a handful a month)."""
    n = np.asarray(n, dtype=float)
    k = np.zeros_like(n)
    if p <= 0:
        return k
    q = 1.0 - p
    pmf = q**n
    if np.any(pmf == 0.0):  # n p beyond ~700: the walk from zero underflows; scipy's own
        import scipy.stats

        return np.maximum(np.nan_to_num(scipy.stats.binom.ppf(u, n, p)), 0.0)
    cdf = pmf.copy()
    walking = u > cdf  # k is the number of j with F(j) < u
    j = 0
    while walking.any():
        j += 1
        k += walking
        pmf = np.where(n >= j, pmf * (n - j + 1) / j * (p / q), 0.0)
        cdf += pmf
        walking &= (u > cdf) & (n > j)
    return k


class SupplyPaths(NamedTuple):
    """Carer supply by (path, month); month 0 is the start."""

    households: np.ndarray
    approvals: np.ndarray
    deregistrations: np.ndarray
    places: np.ndarray


def simulate_supply(
    supply: CarerSupply,
    *,
    approvals_per_year: np.ndarray,
    deregistration_rate_per_year: np.ndarray,
    places_per_household: np.ndarray,
    paths: int,
    rng: np.random.Generator | None,
) -> SupplyPaths:
    """Households and usable places month by month, vectorised over paths.

    Supply does not depend on the children in care, so it is simulated for all paths up front.
    The drivers are arrays over forecast months 1..T; ``rng=None`` gives the expected values.
    """
    T = len(approvals_per_year)
    stochastic = rng is not None
    households = np.zeros((paths, T + 1))
    approvals = np.zeros((paths, T + 1))
    deregistrations = np.zeros((paths, T + 1))
    households[:, 0] = np.floor(supply.households) if stochastic else supply.households
    for t in range(1, T + 1):
        households[:, t], approvals[:, t], deregistrations[:, t] = step_households(
            households[:, t - 1],
            float(approvals_per_year[t - 1]),
            float(deregistration_rate_per_year[t - 1]),
            rng=rng,
        )
    pph = np.concatenate([places_per_household[:1], places_per_household])
    places = supply.places(households, stochastic=stochastic, places_per_household=pph[None, :])
    return SupplyPaths(households, approvals, deregistrations, places)
