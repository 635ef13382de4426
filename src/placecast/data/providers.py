"""Split a council's fostering into in-house and agency from DfE's provider counts.

DfE's council tables give children in care at 31 March by placement type (fostering,
residential, ...) and, separately, by provider (own provision, other councils, private,
voluntary, ...), but not the two crossed, so they do not say how many fostered children are
with the council's own carers. England's table does cross them: of the children placed by
their council's own provision 92% were fostered in 2019, of those placed privately 62%, by the
voluntary sector 65%. Applying England's shares to a council's own provider counts estimates its
in-house and agency fostering; the estimate's in-house share then splits its published fostering.

Checked against Ofsted's count of children placed with each council's own fostering households
(the same 31 March): median error 5.7% (61 councils, 2018) and 4.8% (27 councils, 2019), against
12.9% for the flat national split placecast used before (``tests/test_providers.py``).

Source: Department for Education, "Children looked after in England including adoptions",
national table "CLA on 31 March by placement provider, placement type and locality" (2019-2022),
Crown copyright, Open Government Licence v3.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["NATIONAL_FOSTERED_BY_PROVIDER", "FosteringSplit", "fostering_split"]

#: England at 31 March: (children fostered, children in all placements) by provider and year,
#: placed inside and outside council boundaries together (DfE's national table; "z" = 0).
NATIONAL_FOSTERED_BY_PROVIDER: dict[int, dict[str, tuple[float, float]]] = {
    2019: {
        "provider_own_la": (35550, 38700),
        "provider_other_la": (210, 960),
        "provider_private": (16840, 27390),
        "provider_voluntary": (3150, 4880),
    },
    2020: {
        "provider_own_la": (35750, 38740),
        "provider_other_la": (180, 950),
        "provider_private": (17490, 28800),
        "provider_voluntary": (3530, 5070),
    },
    2021: {
        "provider_own_la": (35440, 38440),
        "provider_other_la": (190, 1010),
        "provider_private": (17780, 29210),
        "provider_voluntary": (3590, 5090),
    },
    2022: {
        "provider_own_la": (34660, 37470),
        "provider_other_la": (230, 1100),
        "provider_private": (18110, 31050),
        "provider_voluntary": (4220, 5750),
    },
}
_AGENCY = ("provider_other_la", "provider_private", "provider_voluntary")


@dataclass(frozen=True)
class FosteringSplit:
    """A council's fostering split into the model's three fostering placements.

    Attributes
    ----------
    shares
        In-house (council carers, not family and friends), friends and family, agency (IFA),
        summing to 1.
    in_house_children, agency_children
        The provider-based estimates behind the split (children at 31 March).
    year
        The 31 March of the council's provider counts (the year asked for, or up to two years
        before when that year's are not published: DfE gave none for 2020).
    source
        Where the split comes from, for the inputs' sources.
    """

    shares: tuple[float, float, float]
    in_house_children: float
    agency_children: float
    year: int
    source: str


def fostering_split(
    tidy: pd.DataFrame,
    la_code: str,
    year: int,
    friends_family_share: float = 0.19 / 0.67,
) -> FosteringSplit | None:
    """The council's fostering split from its provider counts at 31 March ``year``.

    Parameters
    ----------
    tidy
        Published tables (:func:`placecast.data.published.published_tables`).
    la_code
        The council's code.
    year
        The 31 March to split (the fit's last year).
    friends_family_share
        The share of a council's own fostering that is with family and friends carers (DfE's
        council tables do not give it; default England's, 19 of 67).

    Returns
    -------
    FosteringSplit or None
        ``None`` when the council's own-provision count or every agency count is suppressed
        or missing that year and the two before (then the caller keeps its assumed split,
        and says so).

    Examples
    --------
    >>> from placecast.data.published import published_tables
    >>> split = fostering_split(published_tables(), "E09000012", 2022)
    >>> [round(s, 2) for s in split.shares]  # Hackney: in-house, family and friends, agency
    [0.41, 0.16, 0.43]
    """
    council = tidy[(tidy["la_code"] == la_code) & tidy["measure"].str.startswith("provider_")]
    # DfE published no council providers for 2020: a year's gap takes the latest year before.
    for counted in range(year, year - 3, -1):
        counts = council[council["year"] == counted].set_index("measure")["value"]
        own = float(counts.get("provider_own_la", np.nan))
        agency = np.array([float(counts.get(m, np.nan)) for m in _AGENCY])
        if np.isfinite(own) and np.isfinite(agency).any():
            break
    else:
        return None
    known = (
        counted
        if counted in NATIONAL_FOSTERED_BY_PROVIDER
        else min(NATIONAL_FOSTERED_BY_PROVIDER, key=lambda y: abs(y - counted))
    )
    national = NATIONAL_FOSTERED_BY_PROVIDER[known]
    share = {m: fostered / placed for m, (fostered, placed) in national.items()}
    in_house = own * share["provider_own_la"]
    agency_fostered = float(np.nansum(agency * np.array([share[m] for m in _AGENCY])))
    if in_house + agency_fostered <= 0:
        return None
    own_share = in_house / (in_house + agency_fostered)
    shares = (
        own_share * (1 - friends_family_share),
        own_share * friends_family_share,
        1 - own_share,
    )
    note = "" if known == counted else f" (England's shares of {known}, the nearest published)"
    return FosteringSplit(
        shares=shares,
        in_house_children=in_house,
        agency_children=agency_fostered,
        year=counted,
        source=(
            f"fostering split in-house {own_share:.0%} / agency {1 - own_share:.0%}: estimated "
            f"from the council's placement providers at 31 March {counted} with England's shares "
            f"fostered by provider{note} (DfE); family and friends "
            f"{friends_family_share:.0%} of in-house (England's)"
        ),
    )
