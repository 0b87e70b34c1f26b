"""Whether poses look like a camera's: body length, scale, tracking gaps, interpolation.

The findings are warnings (or, for ``validate``, notes), except
:func:`check_scale`, which refuses to label sequences at another pixel scale than
the model's. :mod:`ethostyle.io.validation` re-exports the public names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np

from ethostyle.data import FPS, Sequence
from ethostyle.errors import DataFormatError
from ethostyle.io.basic_checks import _first_frame, preview

__all__ = [
    "LONG_TRACKING_GAP_FRAMES",
    "MAX_INTERPOLATED_SHARE",
    "MAX_PLAUSIBLE_COORDINATE_PX",
    "MAX_SCALE_RATIO",
    "PLAUSIBLE_BODY_LENGTH_PX",
    "body_length_px",
    "check_scale",
    "interpolated_share",
    "median_body_length_px",
    "pose_quality_problems",
]

# The warnings keep the name of the module they came from before the split.
logger = logging.getLogger("ethostyle.io.validation")

#: Coordinates further than this from the origin come from no camera (an 8K frame is
#: 7680 pixels wide): the file is in other units, or corrupt. They are kept, with a warning.
MAX_PLAUSIBLE_COORDINATE_PX: float = 10_000.0
#: A mouse untracked for at least this many consecutive frames (1 s) gets a warning.
LONG_TRACKING_GAP_FRAMES: int = FPS
#: Median body length (px, nose to tail base) a mouse can have in a video. CalMS21's
#: mice measure about 100 px in a 1024 x 570 frame (the simulator draws 85-108 px); a
#: sequence outside this range is in other units (cm: about 10, mm: about 100 is fine).
PLAUSIBLE_BODY_LENGTH_PX: tuple[float, float] = (20.0, 1000.0)
#: ``predict`` refuses a sequence whose median body length differs from the one the
#: model was trained on by more than this factor (either way): its distance and speed
#: features then mean other things than the model learned.
MAX_SCALE_RATIO: float = 2.0
#: A sequence with a body part missing (so filled in by interpolation) in more than
#: this share of its frames gets a warning, and is a problem for ``validate``.
MAX_INTERPOLATED_SHARE: float = 0.2

_SCALE_STRIDE = 7  # body_length_px measures every 7th frame
_MICE = ("resident (mouse 0)", "intruder (mouse 1)")


def body_length_px(keypoints: np.ndarray) -> float:
    """Median body length of a sequence's mice: nose to tail base, in the file's units.

    Measured on every 7th frame (a scale needs no more).

    Parameters
    ----------
    keypoints : numpy.ndarray
        ``(frames, 2, 2, 7)`` keypoints (NaN where untracked).

    Returns
    -------
    float
        The median over frames and both mice of the nose-to-tail-base distance
        (where it is above 0); NaN when no frame has both parts of a mouse apart.

    Examples
    --------
    >>> import numpy as np
    >>> kp = np.zeros((4, 2, 2, 7), np.float32)
    >>> kp[:, :, 0, 0] = 100.0  # every nose 100 px right of its tail base
    >>> body_length_px(kp)
    100.0
    """
    # Every 7th frame: the median of a scale needs no more, and it keeps load cheap.
    sample = keypoints[::_SCALE_STRIDE]
    # float64: coordinates of a corrupt file (1e30) square beyond float32's range.
    delta = sample[..., 0].astype(np.float64) - sample[..., 6]  # (frames, mouse, xy)
    lengths = np.sqrt(np.square(delta).sum(axis=-1))
    lengths = lengths[lengths > 0]  # NaN compares False; a nose on its tail base is no measure
    return float(np.median(lengths)) if lengths.size else float("nan")


def median_body_length_px(sequences: Iterable[Sequence]) -> float:
    """The median over sequences of :func:`body_length_px`: a data set's pixel scale.

    Recorded with a trained model (its manifest's ``training_data.body_length_px``)
    so that :func:`check_scale` can refuse videos at another scale.

    Parameters
    ----------
    sequences : iterable of Sequence
        E.g. a :class:`~ethostyle.data.Dataset`.

    Returns
    -------
    float
        NaN when no sequence has a measurable body.
    """
    lengths = np.array([body_length_px(s.keypoints) for s in sequences], dtype=np.float64)
    lengths = lengths[np.isfinite(lengths)]
    return float(np.median(lengths)) if lengths.size else float("nan")


def interpolated_share(keypoints: np.ndarray) -> float:
    """Share of a sequence's frames in which a tracked body part is missing.

    Missing positions are filled in by linear interpolation before features are
    computed, so in those frames the pose is partly made up. A part missing in
    every frame (a tracker without it) is not counted: ``import-pose`` reports it.

    Parameters
    ----------
    keypoints : numpy.ndarray
        ``(frames, 2, 2, 7)`` keypoints (NaN where untracked).

    Returns
    -------
    float
        Between 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> kp = np.ones((20, 2, 2, 7), np.float32)
    >>> kp[1::2, 1, :, 3] = np.nan  # the intruder's neck lost in every other frame
    >>> interpolated_share(kp)
    0.5
    """
    # x + y is NaN where either is: one (frames, 14) array of the parts' presence.
    with np.errstate(over="ignore"):  # huge coordinates add to inf, which is not NaN
        flat = (keypoints[:, :, 0] + keypoints[:, :, 1]).reshape(len(keypoints), -1)
    missing = np.isnan(flat)
    tracked_somewhere = ~missing.all(axis=0)
    return float(missing[:, tracked_somewhere].any(axis=1).mean())


def pose_quality_problems(keypoints: np.ndarray, where: str) -> list[str]:
    """What makes a sequence's labels untrustworthy though its file is well formed.

    Two findings, each with its measure and its fix: a median body length
    outside :data:`PLAUSIBLE_BODY_LENGTH_PX` (keypoints in cm, m or another
    unit), and body parts interpolated in more than :data:`MAX_INTERPOLATED_SHARE`
    of the frames (a mostly untracked video).

    Parameters
    ----------
    keypoints : numpy.ndarray
        ``(frames, 2, 2, 7)`` keypoints.
    where : str
        The start of each message (see :func:`location`).

    Returns
    -------
    list of str
        One message per finding; empty for a sound sequence.

    Examples
    --------
    >>> import numpy as np
    >>> kp = np.zeros((4, 2, 2, 7), np.float32)
    >>> kp[:, :, 0, 0] = 2.5  # a 2.5-unit mouse: centimetres, not pixels
    >>> pose_quality_problems(kp, "test.npy")[0][:60]
    'test.npy: the mice measure 2.5 px from nose to tail base (me'
    """
    found = []
    length = body_length_px(keypoints)
    lo, hi = PLAUSIBLE_BODY_LENGTH_PX
    if np.isfinite(length) and not lo <= length <= hi:
        found.append(
            f"{where}: the mice measure {length:.3g} px from nose to tail base (median), "
            f"where a mouse in a video measures {lo:g}-{hi:g} px (about 100 in CalMS21); the "
            f"keypoints are in other units. Give them in pixels: multiply by the pixels per "
            f"unit (`ethostyle import-pose --scale PX_PER_UNIT`, e.g. the pixels per cm)"
        )
    share = interpolated_share(keypoints)
    if share > MAX_INTERPOLATED_SHARE:
        found.append(
            f"{where}: {share:.0%} of frames have a body part missing, filled in by "
            f"interpolation (more than MAX_INTERPOLATED_SHARE={MAX_INTERPOLATED_SHARE:.0%}); "
            f"labels of this sequence are largely guesses. Re-run pose tracking on it, or "
            f"lower the tracker's confidence cut-off"
        )
    return found


def check_scale(sequences: Iterable[Sequence], trained_px: float, model: object) -> None:
    """Refuse sequences whose pixel scale is not a model's (within :data:`MAX_SCALE_RATIO`).

    Parameters
    ----------
    sequences : iterable of Sequence
        The sequences to label.
    trained_px : float
        The median body length of the model's training data
        (:func:`median_body_length_px`); NaN skips the check.
    model : object
        The model, named in the message.

    Raises
    ------
    DataFormatError
        Naming every sequence out of scale, its body length and the factor that
        brings it to the model's scale.
    """
    if not np.isfinite(trained_px) or trained_px <= 0:
        return
    off = {}
    for seq in sequences:  # a loop over sequences; each one vectorised over frames
        length = body_length_px(seq.keypoints)
        if (
            np.isfinite(length)
            and not 1 / MAX_SCALE_RATIO <= length / trained_px <= MAX_SCALE_RATIO
        ):
            off[seq.id] = length
    if off:
        length = next(iter(off.values()))
        raise DataFormatError(
            f"sequence(s) {preview(off)}: the mice measure {length:.3g} px from nose to tail "
            f"base (median{'' if len(off) == 1 else ', first sequence'}), but {model} was "
            f"trained on mice of {trained_px:.3g} px, so its distance and speed features would "
            f"mean other things and the labels would be wrong. Bring the poses to its scale: "
            f"re-import them with `ethostyle import-pose --scale {trained_px / length:.3g}` "
            f"(keypoints in cm: --scale = the videos' pixels per cm)"
        )


def _longest_run(mask: np.ndarray) -> tuple[int, int, int]:
    """``(start, stop, count)``: the longest run of True in a 1-d mask and how many runs."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        return 0, 0, 0
    longest = int(np.argmax(stops - starts))
    return int(starts[longest]), int(stops[longest]), len(starts)


def _warn_about_tracking(keypoints: np.ndarray, where: str) -> None:
    """Warn about what the features can only paper over: lost mice, implausible coordinates."""
    lost = np.isnan(keypoints).all(axis=(2, 3))  # (frames, mouse): every part of it missing
    for mouse, name in enumerate(_MICE):
        if lost[:, mouse].all():
            logger.warning(
                "%s: the %s is never tracked; every feature that needs it is made up, so "
                "this sequence's labels are guesses. Re-run pose tracking on this video",
                where,
                name,
            )
            continue
        start, stop, runs = _longest_run(lost[:, mouse])
        if stop - start >= LONG_TRACKING_GAP_FRAMES:
            logger.warning(
                "%s: the %s is not tracked in frames %d-%d (%.1f s; %d gap(s) in all); its "
                "positions there are interpolated, so labels there are less reliable",
                where,
                name,
                start,
                stop - 1,
                (stop - start) / FPS,
                runs,
            )
    far = np.abs(keypoints) > MAX_PLAUSIBLE_COORDINATE_PX  # NaN compares False
    if far.any():
        first = _first_frame(far)
        logger.warning(
            "%s: %d coordinates, from frame %d on, lie beyond MAX_PLAUSIBLE_COORDINATE_PX=%d, "
            "far outside any video frame (first: %.4g); keypoints must be in pixels, check "
            "the units of this file",
            where,
            int(far.sum()),
            first,
            MAX_PLAUSIBLE_COORDINATE_PX,
            float(keypoints[first][far[first]][0]),
        )
