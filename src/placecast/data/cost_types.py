"""Published figures for cost sub-types and residential's high-cost tier, each with its source.

Starting points for a council without its own figures; its own (the placement list in its
finance system) are better: :meth:`placecast.CostTail.from_high_cost_list` takes that list.
Nothing here is applied unless asked for: a council's average weekly cost per category already
includes its mix of placements, so sub-types matter when the mix is expected to change (more
in-house homes, registered supported accommodation from 2024/25) or to show where the money goes,
and a high-cost tier matters for the chance of overspending, not for the expected spend.

Sources (each figure below names its own):

* DfE, "Children looked after in England including adoptions", national table "CLA on 31 March
  by placement provider, placement type and locality" 2019-2022 and the council characteristics
  file 2021-2022 (shipped with placecast's data; Crown copyright, Open Government Licence v3.0).
* Local Government Association survey of councils, reported 1 December 2023: 120 placements
  costing 10,000 GBP or more a week in 2018/19, 1,510 in 2022/23; for most councils the most
  expensive placement cost 9,600-32,500 GBP a week. LGA research on complex-needs children's
  home placements (reported by Children and Young People Now, 2023): 12,450-23,362 GBP a week.
* Children's Commissioner for England, "Who are they? Where are they?" (May 2019): a secure
  children's home place costs an estimated 210,000 GBP a year per child (2018/19).
* CMA, children's social care market study, interim report (22 October 2021): little difference
  in the cost of running children's homes between councils and independent providers.
* Home Office: 114 GBP per unaccompanied asylum-seeking child per night from April 2019, 143 GBP
  from June 2020 for councils whose UASC are 0.07% or more of their child population (Community
  Care, 10 June 2020; written answer, 23 December 2022). This is income, not a cost: enter a
  UASC sub-type's cost net of it, or leave it gross and count the grant against the budget.
"""

from __future__ import annotations

import pandas as pd

from placecast.costs import CostTail
from placecast.errors import ConfigError

__all__ = [
    "HIGH_COST_PLACEMENTS",
    "NATIONAL_CHILDRENS_HOMES",
    "NATIONAL_RESIDENTIAL_BY_PROVIDER",
    "lga_high_cost_tail",
    "published_weekly_costs",
    "residential_own_provision_share",
]

#: England at 31 March: children in "secure units, children's homes and semi-independent living
#: accommodation" (to 2020; from 2021 the same rows of DfE's provider table), placed inside and
#: outside council boundaries together, as (own provision, all providers). DfE's provider
#: table; suppressed cells ("c", under 10) count 0.
NATIONAL_RESIDENTIAL_BY_PROVIDER: dict[int, tuple[int, int]] = {
    2019: (1360, 10050),
    2020: (1360, 11140),
    2021: (1370, 11710),
    2022: (1380, 13060),
}

#: England at 31 March: children in secure homes and children's homes (DfE's characteristics
#: file; published apart from semi-independent living only from 2021).
NATIONAL_CHILDRENS_HOMES: dict[int, int] = {2021: 7440, 2022: 7610}

#: LGA: placements costing 10,000 GBP or more a week, England, by financial year.
HIGH_COST_PLACEMENTS: dict[str, int] = {"2018/19": 120, "2022/23": 1510}


def residential_own_provision_share(year: int) -> float:
    """England's share of children in secure units, children's homes and semi-independent
    living placed in their council's own provision at 31 March of ``year`` (2019-2022).

    Examples
    --------
    >>> round(residential_own_provision_share(2019), 3)
    0.135
    """
    if year not in NATIONAL_RESIDENTIAL_BY_PROVIDER:
        raise ConfigError(
            f"England's residential placements by provider are shipped for "
            f"{min(NATIONAL_RESIDENTIAL_BY_PROVIDER)}-{max(NATIONAL_RESIDENTIAL_BY_PROVIDER)}; "
            f"got {year}"
        )
    own, total = NATIONAL_RESIDENTIAL_BY_PROVIDER[year]
    return own / total


def lga_high_cost_tail(
    financial_year: str = "2022/23", *, mean_weekly_cost_gbp: float = 15_000.0, cv: float = 0.3
) -> CostTail:
    """Residential's high-cost tier from the LGA's count of 10,000+ GBP-a-week placements.

    The share is the LGA's count over England's children in secure and children's homes at
    the nearest 31 March DfE published apart from semi-independent living (2021 for 2018/19,
    an assumption: the 2019 figure is not published; 2022 for 2022/23): 1.6% and 19.8%. The
    tier's mean and spread are **assumed** (the LGA gives a range, 12,450-23,362 GBP a week in
    its research sample, not a mean), in that year's prices: bring them to the prices of the
    council's unit costs before use.

    Examples
    --------
    >>> t = lga_high_cost_tail("2018/19")
    >>> round(t.share, 3), t.mean_weekly_cost_gbp
    (0.016, 15000.0)
    """
    if financial_year not in HIGH_COST_PLACEMENTS:
        raise ConfigError(
            f"the LGA counted high-cost placements for {', '.join(HIGH_COST_PLACEMENTS)}; "
            f"got {financial_year!r}"
        )
    homes_year = 2021 if financial_year == "2018/19" else 2022
    count, homes = HIGH_COST_PLACEMENTS[financial_year], NATIONAL_CHILDRENS_HOMES[homes_year]
    return CostTail(
        share=count / homes,
        mean_weekly_cost_gbp=mean_weekly_cost_gbp,
        cv=cv,
        source=(
            f"LGA: {count:,} placements at £10,000+ a week in {financial_year}, over England's "
            f"{homes:,} children in secure and children's homes at 31 March {homes_year} (DfE); "
            f"the tier's mean £{mean_weekly_cost_gbp:,.0f} and CV {cv} are assumed"
        ),
    )


def published_weekly_costs() -> pd.DataFrame:
    """Published weekly costs per child for the usual cost sub-types, with year and source: a
    reference for a council entering its own, not defaults placecast applies.

    Examples
    --------
    >>> published_weekly_costs().columns.tolist()
    ['cost_type', 'placement', 'weekly_cost_gbp', 'prices', 'source']
    """
    rows = [
        (
            "secure",
            "residential",
            round(210_000 / 52.18),
            "2018/19",
            "Children's Commissioner for England (May 2019): £210,000 a year per child in a "
            "secure children's home",
        ),
        (
            "external_residential",
            "residential",
            3830,
            "c. 2020",
            "CMA interim report (2021): average weekly price at the largest children's home "
            "providers",
        ),
        (
            "in_house_residential",
            "residential",
            None,
            "",
            "CMA interim report (2021): little difference in the cost of running homes between "
            "councils and independent providers; enter the council's own cost",
        ),
        (
            "high_cost",
            "residential",
            10_000,
            "2018/19",
            "LGA (2023): placements at £10,000+ a week, 120 in 2018/19 and 1,510 in 2022/23; "
            "£12,450-£23,362 in its research sample",
        ),
        (
            "uasc",
            "semi_independent",
            114 * 7,
            "2019/20",
            "Home Office contribution (income, not cost): £114 a night per unaccompanied child "
            "from April 2019; £143 from June 2020 above 0.07% of the child population",
        ),
        (
            "supported_registered",
            "semi_independent",
            None,
            "",
            "Registered supported accommodation for 16-17-year-olds (SSDA903 code K3) from "
            "2024/25: no national cost published; enter the council's own",
        ),
        (
            "parent_and_child",
            "in_house_fostering",
            None,
            "",
            "No current national figure; Community Care (2008) reported £500-£600 a week for a "
            "parent-and-child foster placement: enter the council's own",
        ),
    ]
    return pd.DataFrame(
        rows, columns=["cost_type", "placement", "weekly_cost_gbp", "prices", "source"]
    )
