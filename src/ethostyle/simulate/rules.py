"""Annotators with exactly one known rule each: the test bed for learning styles as rules.

:func:`rule_styles` gives the reference (annotator 0) and annotators 1-7, each
the reference plus ONE rule of the kinds real labs differ on, with magnitudes
beyond what the decoder's old grids searched (shifts of 0.8-1 s, merging across
1.5 s pauses, relabelling bouts by their duration, a sub-type defined by a body
part left out or let in), and annotator 7, who labels exactly like the
reference (a false-discovery check: nothing should be learned for it).
:func:`rule_truth` is each annotator's :meth:`~AnnotatorStyle.rules`, the
records a learned style program should recover. :func:`simulate_rules` makes a
small data set of them on the default kinematics: ten reference videos and two
5-minute training videos per other annotator, so a test can train on two videos
per annotator.

The rule values sit where the default kinematics give bouts (or gaps) on both
sides of them in two videos, so they can be recovered from two videos at all.
Gaps between investigation bouts are sparse between 1 and 2 s, so two videos
bracket the merge gap of annotator 3 loosely (typically between about 25 and
55 frames).

Examples
--------
>>> truth = rule_truth()
>>> truth[1]
[{'kind': 'onset_shift', 'behavior': 'attack', 'frames': -24}]
>>> truth[7]
[]
>>> sorted(len(records) for records in truth.values())
[0, 0, 1, 1, 1, 1, 1, 1]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ethostyle.errors import EthostyleError
from ethostyle.simulate.presets import PRESETS, Preset, Simulation, simulate
from ethostyle.simulate.styles import (
    STYLES,
    AnnotatorStyle,
    FeatureRule,
    FeatureTest,
    PerBehavior,
    RelabelShort,
)

__all__ = ["RULES_PRESET", "rule_styles", "rule_truth", "simulate_rules"]

_REFERENCE = STYLES[0]

#: Annotator 0 (the reference) and annotators 1-7 with one rule each (7: none).
_RULE_STYLES: dict[int, AnnotatorStyle] = {
    0: _REFERENCE,
    1: _REFERENCE.replace(
        name="early-attack-0.8s",
        description="Starts attacks 24 frames (0.8 s) earlier than annotator 0.",
        onset_shift_frames=PerBehavior(attack=-24),
    ),
    2: _REFERENCE.replace(
        name="late-investigation-end-1s",
        description="Ends investigation 30 frames (1 s) later than annotator 0.",
        offset_shift_frames=PerBehavior(investigation=30),
    ),
    3: _REFERENCE.replace(
        name="merge-investigation-1.5s",
        description=(
            "Joins investigation bouts less than 45 frames (1.5 s) apart (annotator 0: 6 frames)."
        ),
        merge_gap_frames=PerBehavior(attack=5, investigation=45, mount=10),
    ),
    4: _REFERENCE.replace(
        name="short-attack-is-investigation",
        description=(
            "Labels attacks shorter than 24 frames (0.8 s) as investigation; annotator 0 labels "
            "them attack."
        ),
        relabel_short=(RelabelShort("attack", 24, "investigation"),),
    ),
    5: _REFERENCE.replace(
        name="anogenital-investigation-only",
        description=(
            "Labels investigation only while the resident's nose is within 30 px of the "
            "intruder's tail base (face and most body sniffing left out)."
        ),
        feature_rules=(
            FeatureRule(
                "exclude_when", "investigation", (FeatureTest("r_nose-i_tail_base_px", ">", 30.0),)
            ),
        ),
    ),
    6: _REFERENCE.replace(
        name="tail-sniffing-counts",
        description=(
            "Also labels investigation whenever the resident's nose is within 35 px of the "
            "intruder's tail base (following close behind, approaching the rear)."
        ),
        feature_rules=(
            FeatureRule(
                "include_when", "investigation", (FeatureTest("r_nose-i_tail_base_px", "<", 35.0),)
            ),
        ),
    ),
    7: _REFERENCE.replace(
        name="reference-again",
        description="Labels exactly as annotator 0 does (only its own lapses and jitter differ).",
    ),
}

#: The data set of :func:`simulate_rules`: default kinematics, ten 3-minute reference
#: videos, two 5-minute training videos and two 3-minute test videos per other annotator.
RULES_PRESET: Preset = replace(
    PRESETS["calms21-task2-like"],
    name="rules",
    description=(
        "Annotators with one known rule each (ethostyle.simulate.rules): 10 reference videos "
        "and 2 training videos per other annotator, default kinematics."
    ),
    train_sequences=(10, 2),
    test_sequences=(2, 2),
    shared_sequences=1,
    reference_train_frames=(5400, 5400),
    train_frames=(9000, 9000),
    test_frames=(5400, 5400),
)


def rule_styles() -> dict[int, AnnotatorStyle]:
    """The reference and seven annotators with exactly one known rule each (annotator 7: none).

    Returns
    -------
    dict of int to AnnotatorStyle
        Annotator id -> style. 1: attack onset 24 frames earlier; 2: investigation
        offset 30 frames later; 3: investigation bouts joined across gaps under 45
        frames; 4: attacks under 24 frames relabelled investigation; 5:
        investigation left out where ``r_nose-i_tail_base_px > 30``; 6:
        investigation let in where ``r_nose-i_tail_base_px < 35``; 7: as the
        reference.

    Examples
    --------
    >>> rule_styles()[4].relabel_short
    (RelabelShort(behavior='attack', frames=24, to_behavior='investigation'),)
    """
    return dict(_RULE_STYLES)


def rule_truth(styles: dict[int, AnnotatorStyle] | None = None) -> dict[int, list[dict[str, Any]]]:
    """Each annotator's rules relative to annotator 0, as :meth:`AnnotatorStyle.rules` records.

    Parameters
    ----------
    styles : dict of int to AnnotatorStyle, optional
        Defaults to :func:`rule_styles`; annotator 0 is the reference.

    Returns
    -------
    dict of int to list of dict
        Annotator id -> its records (``[]`` for the reference and annotator 7).

    Examples
    --------
    >>> rule_truth()[5][0]["feature"], rule_truth()[5][0]["value"]
    ('r_nose-i_tail_base_px', 30.0)
    """
    styles = rule_styles() if styles is None else styles
    return {a: style.rules(styles[0]) for a, style in styles.items()}


def simulate_rules(seed: int = 0, annotators: Iterable[int] | None = None) -> Simulation:
    """Simulate :data:`RULES_PRESET` with the annotators of :func:`rule_styles`.

    Parameters
    ----------
    seed : int
        Random seed; the same seed gives identical arrays, and an annotator's
        videos do not depend on which other annotators are chosen.
    annotators : iterable of int, optional
        The annotator ids to simulate (annotator 0 is always included); all when
        omitted.

    Returns
    -------
    Simulation
        Train, test and shared videos; ``sim.styles[a].rules()`` is the truth.

    Examples
    --------
    >>> sim = simulate_rules(seed=0, annotators=[4])
    >>> sim.train.annotators, len(sim.train)
    ([0, 4], 12)
    """
    styles = rule_styles()
    chosen = sorted({0, *(int(a) for a in (styles if annotators is None else annotators))})
    unknown = [a for a in chosen if a not in styles]
    if unknown:
        raise EthostyleError(
            f"simulate_rules: no annotator {unknown}; choose from {', '.join(map(str, styles))}"
        )
    return simulate(RULES_PRESET, seed=seed, styles={a: styles[a] for a in chosen})
