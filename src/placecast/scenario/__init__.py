"""What-if scenarios: levers (:mod:`~placecast.scenario.levers`), comparisons on common random
numbers (:mod:`~placecast.scenario.comparison`), per-rate levers
(:mod:`~placecast.scenario.rate_changes`) and TOML scenario files
(:mod:`~placecast.scenario.toml`)."""

from placecast.scenario.comparison import Comparison, compare
from placecast.scenario.levers import LEVERS, Scenario
from placecast.scenario.rate_changes import RATE_KINDS, RateChange
from placecast.scenario.recruitment import RecruitmentCurve, recruitment_curve
from placecast.scenario.toml import ScenarioFile, load_scenarios

__all__ = [
    "LEVERS",
    "RATE_KINDS",
    "Comparison",
    "RateChange",
    "RecruitmentCurve",
    "Scenario",
    "ScenarioFile",
    "compare",
    "load_scenarios",
    "recruitment_curve",
]
