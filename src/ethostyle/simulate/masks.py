"""Per-frame masks of one behaviour, edited as runs of frames: merge, prune, relabel, rules.

Everything works on run tables (start and stop frames) with numpy: no loop over frames.
"""

from __future__ import annotations

import numpy as np

from ethostyle.simulate.behaviour import WorldSequence
from ethostyle.simulate.style_parts import FeatureRule, FeatureTest, RelabelShort

__all__ = [
    "apply_feature_rules",
    "feature_rule_mask",
    "holds",
    "merge_and_prune",
    "relabel_short_bouts",
    "render",
    "runs",
]


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and (exclusive) stop frames of the runs of True in ``mask``."""
    edges = np.diff(mask.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def render(starts: np.ndarray, stops: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask that is True inside the (possibly overlapping) runs; a difference array."""
    starts = np.clip(starts, 0, n)
    stops = np.clip(stops, 0, n)
    keep = stops > starts
    diff = np.zeros(n + 1, np.int32)
    np.add.at(diff, starts[keep], 1)
    np.add.at(diff, stops[keep], -1)
    return np.cumsum(diff[:-1]) > 0


def merge_and_prune(mask: np.ndarray, gap: int, min_len: int) -> np.ndarray:
    """Join runs less than ``gap`` frames apart, then drop runs shorter than ``min_len``.

    Done on the run table rather than with morphological closing so that runs
    touching the ends of the video are treated exactly like the others.
    """
    starts, stops = runs(mask)
    if starts.size == 0:
        return mask
    opens = np.r_[True, starts[1:] - stops[:-1] >= gap]
    starts, stops = starts[opens], stops[np.r_[opens[1:], True]]
    long_enough = stops - starts >= min_len
    return render(starts[long_enough], stops[long_enough], mask.shape[0])


def relabel_short_bouts(masks: dict[str, np.ndarray], rule: RelabelShort) -> None:
    """Move the bouts of ``rule.behavior`` shorter than ``rule.frames`` to ``rule.to_behavior``."""
    starts, stops = runs(masks[rule.behavior])
    short = stops - starts < rule.frames
    moved = render(starts[short], stops[short], masks[rule.behavior].shape[0])
    masks[rule.behavior] = masks[rule.behavior] & ~moved
    if rule.to_behavior != "other":
        masks[rule.to_behavior] = masks[rule.to_behavior] | moved


def feature_rule_mask(world: WorldSequence, tests: tuple[FeatureTest, ...]) -> np.ndarray:
    """Frames of ``world`` where every test holds, on the pose features of its true keypoints.

    Parameters
    ----------
    world : WorldSequence
        A simulated video.
    tests : tuple of FeatureTest
        Conditions over :func:`ethostyle.features.pose_features` columns.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` bool.

    Examples
    --------
    >>> from ethostyle.simulate.behaviour import simulate_world
    >>> world = simulate_world(300, seed=0)
    >>> near = feature_rule_mask(world, (FeatureTest("r_nose-i_tail_base_px", "<", 1e9),))
    >>> bool(near.all())
    True
    """
    from ethostyle.features import pose_features

    values, names = pose_features(world.clean_keypoints)
    return holds(values, names, tests)


def holds(values: np.ndarray, names: list[str], tests: tuple[FeatureTest, ...]) -> np.ndarray:
    where = np.ones(values.shape[0], bool)
    for t in tests:
        column = values[:, names.index(t.feature)]
        where &= column > t.value if t.op == ">" else column < t.value
    return where


def apply_feature_rules(
    masks: dict[str, np.ndarray], world: WorldSequence, rules: tuple[FeatureRule, ...]
) -> None:
    """Leave out or let in each rule's behaviour on the frames where its tests hold."""
    from ethostyle.features import pose_features

    values, names = pose_features(world.clean_keypoints)  # once for all the rules
    for rule in rules:
        where = holds(values, names, rule.rule)
        if rule.kind == "exclude_when":
            masks[rule.behavior] = masks[rule.behavior] & ~where
        else:
            masks[rule.behavior] = masks[rule.behavior] | where
