"""The built-in CalMS21-like simulated data set: hidden behaviour, poses and annotator styles.

Examples
--------
>>> from ethostyle.simulate import simulate
>>> sim = simulate("tiny", seed=0)
>>> sim.train.annotators
[0, 1, 2, 3, 4, 5]
"""

from ethostyle.simulate.behaviour import BehaviourParams, WorldSequence, simulate_world
from ethostyle.simulate.presets import (
    LAYOUTS,
    PRESETS,
    Preset,
    Simulation,
    simulate,
    write_simulation,
)
from ethostyle.simulate.rules import RULES_PRESET, rule_styles, rule_truth, simulate_rules
from ethostyle.simulate.styles import (
    STYLES,
    AnnotatorStyle,
    FeatureRule,
    FeatureTest,
    PerBehavior,
    RelabelShort,
    label_with_style,
)
from ethostyle.simulate.sub_behaviours import (
    REFERENCE_SUB_LABELS,
    SUB_BEHAVIOURS,
    SubBehaviourParams,
)
from ethostyle.simulate.tracking import TrackingNoise

__all__ = [
    "LAYOUTS",
    "PRESETS",
    "REFERENCE_SUB_LABELS",
    "RULES_PRESET",
    "STYLES",
    "SUB_BEHAVIOURS",
    "AnnotatorStyle",
    "BehaviourParams",
    "FeatureRule",
    "FeatureTest",
    "PerBehavior",
    "Preset",
    "RelabelShort",
    "Simulation",
    "SubBehaviourParams",
    "TrackingNoise",
    "WorldSequence",
    "label_with_style",
    "rule_styles",
    "rule_truth",
    "simulate",
    "simulate_rules",
    "simulate_world",
    "write_simulation",
]
