"""Checks and conversions shared by every reader: one place validates a file's content.

The checkers (``checked_*``) are the boundary of :mod:`ethostyle.io`: each takes
what a file holds, returns it in the canonical type or raises a
:class:`~ethostyle.errors.DataFormatError` whose message starts with
:func:`location` (file, sequence, frame). Code past them trusts its data.

Readers turn whatever a file holds (lists or arrays, float64 or int keypoints,
labels as numbers or class names, int ids) into the canonical types of
:mod:`ethostyle.data`, or raise :class:`~ethostyle.errors.DataFormatError`
naming the file, the sequence and the frame, and saying how to fix it. The
limits below refuse files that would exhaust memory or time; each message
names the limit it hit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from numbers import Number
from pathlib import Path

import numpy as np

from ethostyle.data import FPS, VOCABULARY, Sequence
from ethostyle.errors import DataFormatError, UnsafeFileError

__all__ = [
    "KEYPOINTS_SHAPE",
    "LONG_TRACKING_GAP_FRAMES",
    "MAX_FRAMES_PER_SEQUENCE",
    "MAX_INTERPOLATED_SHARE",
    "MAX_NESTING_DEPTH",
    "MAX_PLAUSIBLE_COORDINATE_PX",
    "MAX_SCALE_RATIO",
    "MAX_SEQUENCES",
    "MAX_TOTAL_FRAMES",
    "PLAUSIBLE_BODY_LENGTH_PX",
    "SCORES_SHAPE",
    "body_length_px",
    "check_scale",
    "checked_entry",
    "checked_file",
    "checked_keypoints",
    "checked_labels",
    "checked_scores",
    "checked_sequence_id",
    "checked_sequences",
    "checked_video_fps",
    "collect_problem",
    "count_frames",
    "interpolated_share",
    "location",
    "map_vocabulary",
    "median_body_length_px",
    "pose_quality_problems",
    "preview",
    "sequence_entries",
]

logger = logging.getLogger(__name__)

#: Deepest nesting of containers a pickled file may hold. The train layout
#: needs 5 (dict, "sequences" dict, sequence dict, annotations list, item).
MAX_NESTING_DEPTH: int = 16
#: Most sequences one file may hold (CalMS21's largest file has a few thousand).
MAX_SEQUENCES: int = 100_000
#: Most frames one sequence may hold: 2,000,000 frames is 18.5 hours at 30 Hz.
MAX_FRAMES_PER_SEQUENCE: int = 2_000_000
#: Most frames one file may hold in all: 20,000,000 frames is 185 hours at 30 Hz and
#: 2.2 GB of keypoints. A pickle can point many sequences at one array, so without this
#: a small file could unfold into more data than the machine holds.
MAX_TOTAL_FRAMES: int = 20_000_000
#: Shape of one frame of keypoints: (mouse, (x, y), body part).
KEYPOINTS_SHAPE: tuple[int, int, int] = (2, 2, 7)
#: Shape of one frame of keypoint confidences: (mouse, body part).
SCORES_SHAPE: tuple[int, int] = (2, 7)

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

_PREVIEW = 5  # how many offending ids a message lists
_SCALE_STRIDE = 7  # body_length_px measures every 7th frame
_MICE = ("resident (mouse 0)", "intruder (mouse 1)")


def location(path: object, sequence: str | None = None, frame: int | None = None) -> str:
    """The start of every error message: the file, then the sequence and frame if known.

    Parameters
    ----------
    path : object
        The file (or any name for where the data came from); None for data in memory.
    sequence : str, optional
        The sequence id.
    frame : int, optional
        The frame.

    Returns
    -------
    str
        E.g. ``"train.npy, sequence 's1', frame 6"``.

    Examples
    --------
    >>> location("train.npy", "s1", 6)
    "train.npy, sequence 's1', frame 6"
    >>> location(None)
    '<in memory>'
    """
    parts = [str(path) if path is not None else "<in memory>"]
    if sequence is not None:
        parts.append(f"sequence {sequence!r}")
    if frame is not None:
        parts.append(f"frame {frame}")
    return ", ".join(parts)


def preview(ids: Iterable[object]) -> str:
    """The first few ids, quoted, and how many more there are (for a message).

    Examples
    --------
    >>> preview(["a", "b"])
    "'a', 'b'"
    >>> preview(range(7))
    '0, 1, 2, 3, 4 and 2 more'
    """
    ids = list(ids)
    shown = ", ".join(repr(i) for i in ids[:_PREVIEW])
    return shown + (f" and {len(ids) - _PREVIEW} more" if len(ids) > _PREVIEW else "")


def checked_file(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path after checking it is a readable, non-empty file.

    Parameters
    ----------
    path : str or os.PathLike
        The file a user gave.

    Returns
    -------
    pathlib.Path
        The same path.

    Raises
    ------
    DataFormatError
        If it does not exist, is a directory, cannot be read or is empty.

    Examples
    --------
    >>> checked_file("no/such/file.npy")
    Traceback (most recent call last):
    ...
    ethostyle.errors.DataFormatError: no/such/file.npy: no such file; check the path
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise DataFormatError(f"{path}: is a directory, not a file; give the file inside it")
    if not os.access(path, os.R_OK):
        raise DataFormatError(f"{path}: cannot be read (permission denied); check its permissions")
    if path.stat().st_size == 0:
        raise DataFormatError(
            f"{path}: is empty (0 bytes); it was probably not written completely. "
            f"Regenerate or re-download it"
        )
    return path


def checked_sequence_id(raw: object, path: object) -> str:
    """Return a sequence id as str: str as is, int converted, anything else refused.

    Parameters
    ----------
    raw : object
        The id as the file holds it.
    path : object
        The file, named in the message.

    Returns
    -------
    str
        The id.

    Raises
    ------
    DataFormatError
        For an id that is neither text nor an integer, or text no file could hold.

    Examples
    --------
    >>> import numpy as np
    >>> checked_sequence_id(np.int64(7), "test.npy")
    '7'
    """
    if isinstance(raw, str):
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no output file could hold the id
            raise DataFormatError(
                f"{location(path)}: sequence id {raw!r} is not valid text (it holds a lone "
                f"surrogate character); rename the sequence"
            ) from None
        return str(raw)
    if isinstance(raw, int | np.integer) and not isinstance(raw, bool | np.bool_):
        return str(int(raw))
    raise DataFormatError(
        f"{location(path)}: sequence id {raw!r} is a {type(raw).__name__}; sequence ids "
        f"must be strings (or integers, which are converted); rename the sequence"
    )


def map_vocabulary(raw: object, path: object, sequence: str | None = None) -> np.ndarray:
    """Map a file's vocabulary to :data:`VOCABULARY` by name.

    Parameters
    ----------
    raw : object
        None (the canonical vocabulary), a list of class names (label ``i`` means
        ``raw[i]``) or a dict ``{name: index}`` as in CalMS21 JSON.
    path : object
        The file, named in the message.
    sequence : str, optional
        The sequence whose vocabulary this is (CalMS21 JSON has one per sequence).

    Returns
    -------
    numpy.ndarray
        ``(classes,)`` int8 ``m`` with ``m[file_label] == canonical_label``.

    Raises
    ------
    DataFormatError
        If the vocabulary does not name exactly ethostyle's classes.

    Examples
    --------
    >>> map_vocabulary(["other", "mount", "investigation", "attack"], "train.npy").tolist()
    [3, 2, 1, 0]
    """
    if raw is None:
        return np.arange(len(VOCABULARY), dtype=np.int8)
    where = location(path, sequence)
    fix = (
        f"the vocabulary must hold exactly the classes {list(VOCABULARY)} (in any "
        f"order); rename your classes to these names"
    )
    if isinstance(raw, Mapping):
        try:
            pairs = sorted((int(i), str(name)) for name, i in raw.items())
        except (TypeError, ValueError):
            raise DataFormatError(
                f"{where}: vocabulary {raw!r} is not a mapping of class name to index; {fix}"
            ) from None
        if [i for i, _ in pairs] != list(range(len(pairs))):
            raise DataFormatError(
                f"{where}: vocabulary {raw!r} does not number its classes 0, 1, 2, ...; {fix}"
            )
        names = [name for _, name in pairs]
    elif isinstance(raw, list | tuple | np.ndarray) and all(
        isinstance(n, str) for n in np.asarray(raw, dtype=object).reshape(-1)
    ):
        names = [str(n) for n in np.asarray(raw, dtype=object).reshape(-1)]
    else:
        raise DataFormatError(f"{where}: vocabulary {raw!r} is not a list of class names; {fix}")
    unknown = [n for n in names if n not in VOCABULARY]
    missing = [n for n in VOCABULARY if n not in names]
    if unknown or missing or len(names) != len(VOCABULARY):
        raise DataFormatError(
            f"{where}: vocabulary {names} differs from ethostyle's "
            f"(unknown: {unknown}, missing: {missing}); {fix}"
        )
    return np.array([VOCABULARY.index(n) for n in names], dtype=np.int8)


def _numeric_array(raw: object, where: str, what: str) -> np.ndarray:
    """Return ``raw`` as a numeric (int or float) array, or raise naming ``what`` and the frame."""
    try:
        array = np.asarray(raw)
    except ValueError as exc:
        raise DataFormatError(
            f"{where}: {what} are not a regular numeric array ({exc}); store them as one "
            f"numeric array (or nested lists of numbers) of the same length per frame"
        ) from None
    if array.dtype.kind in "iuf":
        return array
    if array.dtype.hasobject:
        # Object arrays come from lists with None (JSON null -> NaN) or from
        # pickles; float() accepts every number and refuses other objects.
        try:
            return array.astype(np.float64)
        except (TypeError, ValueError):
            pass
        except OverflowError:  # an integer beyond float range, e.g. 10**400 in JSON
            raise DataFormatError(
                f"{where}: {what} hold a number too large for a float (beyond 1.8e308); "
                f"store pixel coordinates"
            ) from None
    raise _not_numeric(array, where, what)


def _is_number(value: object) -> bool:
    """True for a number, None (JSON null, read as NaN) or text that spells a number."""
    if value is None or isinstance(value, Number):
        return True
    if isinstance(value, str | bytes):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _not_numeric(array: np.ndarray, where: str, what: str) -> DataFormatError:
    """The error for an array holding something other than numbers, naming its first frame.

    Only built once reading has failed, so calling :func:`_is_number` on each
    element (through :func:`numpy.frompyfunc`) costs nothing in normal use.
    """
    bad = ~np.asarray(np.frompyfunc(_is_number, 1, 1)(array), dtype=bool)
    if array.ndim and bad.any():
        # C order: the first bad element in flat order lies in the earliest bad frame.
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
        value = array[index]
        value = value.item() if isinstance(value, np.generic) else value
        return DataFormatError(
            f"{where}, frame {int(index[0])}: {what} hold {value!r:.60}, which is not a "
            f"number; store numbers (pixels), with NaN (null in JSON) for a missing value"
        )
    return DataFormatError(
        f"{where}: {what} have type {array.dtype} where numbers belong; store "
        f"numbers (pixels), not {array.dtype.kind!r}-kind values"
    )


def _first_frame(mask: np.ndarray) -> int:
    """Index along axis 0 of the first frame where ``mask`` holds anywhere."""
    frames = mask.reshape(mask.shape[0], -1).any(axis=1)
    return int(np.flatnonzero(frames)[0])


def checked_keypoints(
    raw: object, path: object, sequence: str, *, notes: list[str] | None = None
) -> np.ndarray:
    """Return keypoints as a checked ``(frames, 2, 2, 7)`` float32 array.

    Lists and int/float64 arrays are converted (always to a private copy);
    infinite values become NaN, with a warning; a lost mouse, a long tracking
    gap or coordinates no camera gives are logged as warnings, and so are the
    findings of :func:`pose_quality_problems` (other units, mostly untracked).

    Parameters
    ----------
    raw : object
        The keypoints as the file holds them.
    path : object
        The file, named in messages.
    sequence : str
        The sequence id, named in messages.
    notes : list of str, optional
        When given (``ethostyle validate``), the findings of
        :func:`pose_quality_problems` are appended here instead of logged.

    Returns
    -------
    numpy.ndarray
        ``(frames, 2, 2, 7)`` float32, C order.

    Raises
    ------
    DataFormatError
        For a wrong shape, no frames, values that are not numbers or no tracked frame.
    UnsafeFileError
        For more than :data:`MAX_FRAMES_PER_SEQUENCE` frames.

    Examples
    --------
    >>> import numpy as np
    >>> checked_keypoints(np.zeros((3, 2, 2, 7)), "test.npy", "s1").dtype
    dtype('float32')
    """
    where = location(path, sequence)
    array = _numeric_array(raw, where, "keypoints")
    if array.ndim != 4 or array.shape[1:] != KEYPOINTS_SHAPE:
        hint = ""
        if array.ndim == 4 and array.shape[1:] == (2, 7, 2):
            hint = " (yours looks like (frames, mouse, part, xy): use np.swapaxes(kp, 2, 3))"
        raise DataFormatError(
            f"{where}: keypoints have shape {array.shape}; expected (frames, 2, 2, 7) = "
            f"(frame, mouse, (x, y), body part){hint}"
        )
    n_frames = array.shape[0]
    if n_frames == 0:
        raise DataFormatError(
            f"{where}: has zero frames; remove the empty sequence from the file "
            f"(a sequence needs at least one frame)"
        )
    if n_frames > MAX_FRAMES_PER_SEQUENCE:
        raise UnsafeFileError(
            f"{where}: has {n_frames} frames, more than MAX_FRAMES_PER_SEQUENCE="
            f"{MAX_FRAMES_PER_SEQUENCE}; split the video into shorter sequences"
        )
    keypoints = np.array(array, dtype=np.float32, order="C")  # always a private copy
    infinite = np.isinf(keypoints)
    if infinite.any():
        logger.warning(
            "%s: %d infinite keypoint values (first at frame %d) treated as missing (NaN)",
            where,
            int(infinite.sum()),
            _first_frame(infinite),
        )
        keypoints[infinite] = np.nan
    if np.isnan(keypoints).all():
        raise DataFormatError(
            f"{where}: every keypoint is NaN (no frame was tracked); remove the sequence "
            f"or re-run pose tracking on it"
        )
    _warn_about_tracking(keypoints, where)
    found = pose_quality_problems(keypoints, where)
    if notes is not None:
        notes.extend(found)
    for message in [] if notes is not None else found:
        logger.warning("%s", message)
    return keypoints


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


def checked_scores(raw: object, path: object, sequence: str, n_frames: int) -> np.ndarray:
    """Return keypoint confidences as a checked ``(frames, 2, 7)`` float32 array.

    Parameters
    ----------
    raw : object
        The confidences as the file holds them.
    path : object
        The file, named in messages.
    sequence : str
        The sequence id, named in messages.
    n_frames : int
        The sequence's frames (its keypoints' first axis).

    Returns
    -------
    numpy.ndarray
        ``(n_frames, 2, 7)`` float32.

    Raises
    ------
    DataFormatError
        For values that are not numbers or a shape other than ``(n_frames, 2, 7)``.

    Examples
    --------
    >>> import numpy as np
    >>> checked_scores(np.ones((3, 2, 7)), "test.npy", "s1", 3).shape
    (3, 2, 7)
    """
    where = location(path, sequence)
    array = _numeric_array(raw, where, "scores (keypoint confidences)")
    if array.shape != (n_frames, *SCORES_SHAPE):
        raise DataFormatError(
            f"{where}: scores have shape {array.shape}; expected ({n_frames}, 2, 7), one "
            f"confidence per frame, mouse and body part"
        )
    return np.array(array, dtype=np.float32, order="C")


def checked_video_fps(raw: object, path: object, sequence: str) -> float | None:
    """Return a recorded video frame rate as float (None when not recorded).

    Parameters
    ----------
    raw : object
        The entry's ``video_fps`` as the file holds it (None when absent).
    path : object
        The file, named in messages.
    sequence : str
        The sequence id, named in messages.

    Returns
    -------
    float or None
        The frame rate in Hz.

    Raises
    ------
    DataFormatError
        For anything but a positive finite number.

    Examples
    --------
    >>> checked_video_fps(25, "test.npy", "s1")
    25.0
    """
    if raw is None:
        return None
    if isinstance(raw, np.ndarray) and raw.shape == ():
        raw = raw.item()
    if isinstance(raw, int | float | np.integer | np.floating) and not isinstance(raw, bool):
        if 0 < float(raw) < np.inf:
            return float(raw)
    raise DataFormatError(
        f"{location(path, sequence)}: video_fps {raw!r} is not a frame rate; give the "
        f"video's frames per second as a positive number, or remove the entry"
    )


def _annotator_id(entry: Mapping[str, object], path: object, sequence: str) -> int:
    """Return the entry's ``annotator_id`` as int, refusing a missing or non-int one."""
    where = location(path, sequence)
    if "annotator_id" not in entry:
        raise DataFormatError(
            f"{where}: has no 'annotator_id'; add the integer id of the annotator who "
            f"labelled it (0 for the reference annotator)"
        )
    raw = entry["annotator_id"]
    if isinstance(raw, np.ndarray) and raw.shape == ():
        raw = raw.item()
    if isinstance(raw, int | np.integer) and not isinstance(raw, bool | np.bool_):
        return int(raw)
    raise DataFormatError(
        f"{where}: annotator_id {raw!r} is a {type(raw).__name__}; it must be an integer"
    )


def checked_labels(
    raw: object,
    path: object,
    sequence: str,
    n_frames: int | None = None,
    *,
    vocabulary_map: np.ndarray | None = None,
    names_allowed: bool = True,
) -> np.ndarray:
    """Return per-frame labels as canonical int8 indices into :data:`VOCABULARY`.

    The one check of a label array, wherever labels come from (a file, a
    submission, another annotator's labels in memory).

    Parameters
    ----------
    raw : object
        One label per frame: integer (or whole float) class indices, or class names.
    path : object
        Where the labels came from (a file, or e.g. ``"annotator 2"``), named first
        in every message.
    sequence : str
        The sequence id, named in messages.
    n_frames : int, optional
        The frames the labels must cover; unchecked when None.
    vocabulary_map : numpy.ndarray, optional
        From :func:`map_vocabulary`: maps the file's class indices to the canonical
        ones (default: the file uses :data:`VOCABULARY`'s order).
    names_allowed : bool
        Whether class names are accepted (a submission holds indices only).

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int8.

    Raises
    ------
    DataFormatError
        Naming the frame of the first label that is not a whole number, lies out of
        range or names no class; or for a wrong shape or length.

    Examples
    --------
    >>> checked_labels([3, 3, 1], "labels.npy", "s1", 3).tolist()
    [3, 3, 1]
    >>> checked_labels(["other", "mount"], "labels.npy", "s1").tolist()
    [3, 2]
    >>> checked_labels([3, 7], "labels.npy", "s1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ethostyle.errors.DataFormatError: labels.npy, sequence 's1', frame 1: label 7 is out of range...
    """
    if vocabulary_map is None:
        vocabulary_map = map_vocabulary(None, path)
    where = location(path, sequence)
    n_classes = len(vocabulary_map)
    try:
        array = np.asarray(raw)
        if array.dtype.hasobject:
            array = np.asarray(array.tolist())  # let numpy infer str or numbers
    except (TypeError, ValueError) as exc:
        raise DataFormatError(
            f"{where}: labels are not a flat list of class indices ({exc}); give one "
            f"integer label per frame"
        ) from None
    if array.ndim != 1:
        raise DataFormatError(
            f"{where}: labels have shape {array.shape}; give a flat list with one label per frame"
        )
    if array.size == 0:
        raise DataFormatError(f"{where}: has zero labels; a sequence needs at least one frame")
    if n_frames is not None and array.shape[0] != n_frames:
        raise DataFormatError(
            f"{where}: {array.shape[0]} labels for {n_frames} frames; give exactly one "
            f"label per frame"
        )
    if array.dtype.kind == "U" and names_allowed:
        names, inverse = np.unique(array, return_inverse=True)
        unknown = [str(n) for n in names if str(n) not in VOCABULARY]
        if unknown:
            frame = int(np.flatnonzero(np.isin(array, unknown))[0])
            raise DataFormatError(
                f"{location(path, sequence, frame)}: label {unknown[0]!r} is not one of "
                f"{list(VOCABULARY)}; rename it to one of these classes"
            )
        lookup = np.array([VOCABULARY.index(str(n)) for n in names], dtype=np.int8)
        return lookup[inverse.reshape(-1)]
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            frame = int(np.flatnonzero(bad)[0])
            raise DataFormatError(
                f"{location(path, sequence, frame)}: label {array[frame].item()!r} is not a whole "
                f"number; labels are class indices 0-{n_classes - 1}"
            )
    elif array.dtype.kind not in "iu":
        kind = "class names" if array.dtype.kind == "U" else f"{array.dtype} values"
        raise DataFormatError(
            f"{where}: labels are {kind}; give integer class indices 0-{n_classes - 1} "
            f"(index i means {list(VOCABULARY)}[i])"
        )
    bad = (array < 0) | (array >= n_classes)
    if bad.any():
        frame = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            f"{location(path, sequence, frame)}: label {array[frame].item()} is out of range; "
            f"labels are class indices 0-{n_classes - 1} ({list(VOCABULARY)})"
        )
    return vocabulary_map[array.astype(np.intp)]


def sequence_entries(obj: object, path: object) -> tuple[Mapping[object, object], object]:
    """Return ``(sequence entries, raw vocabulary or None)`` of a flat or nested file.

    Parameters
    ----------
    obj : object
        What a ``.npy`` file holds: ``{id: entry}`` (test, labels, submission) or
        ``{"vocabulary": ..., "sequences": {id: entry}}`` (train).
    path : object
        The file, named in messages.

    Returns
    -------
    entries : mapping
        Raw sequence id to raw entry (a dict, or a label list), in file order.
    vocabulary : object
        The file's raw vocabulary, or None; give it to :func:`map_vocabulary`.

    Raises
    ------
    DataFormatError
        If ``obj`` is not a dict or holds no sequences.
    UnsafeFileError
        For more than :data:`MAX_SEQUENCES` sequences.

    Examples
    --------
    >>> entries, vocabulary = sequence_entries({"s1": [3, 3]}, "labels.npy")
    >>> list(entries), vocabulary
    (['s1'], None)
    """
    if not isinstance(obj, Mapping):
        raise DataFormatError(
            f"{location(path)}: holds a {type(obj).__name__}, not a dict of sequences; "
            f"see docs/formats.md for the train, test, labels and submission layouts"
        )
    vocabulary = obj.get("vocabulary")
    inner = obj.get("sequences")
    # Nested unless "sequences" is itself one sequence's entry (its keypoints an array,
    # where a dict of sequences holding one named "keypoints" has a dict there).
    if isinstance(inner, Mapping) and isinstance(inner.get("keypoints", {}), Mapping):
        entries: Mapping[object, object] = inner
    else:
        # Flat: under "vocabulary", class names are the vocabulary; anything else (a
        # sequence entry, a list of labels) is a sequence that happens to be named so.
        if not _holds_class_names(vocabulary):
            vocabulary = None
        entries = {k: v for k, v in obj.items() if k != "vocabulary" or vocabulary is None}
    if not entries:
        raise DataFormatError(
            f"{location(path)}: holds no sequences; the file is empty or was written "
            f"incompletely, regenerate it"
        )
    if len(entries) > MAX_SEQUENCES:
        raise UnsafeFileError(
            f"{location(path)}: holds {len(entries)} sequences, more than MAX_SEQUENCES="
            f"{MAX_SEQUENCES}; split it into several files"
        )
    return entries, vocabulary


def _holds_class_names(value: object) -> bool:
    """True for a vocabulary: class names in a list, or a ``{name: index}`` mapping."""
    if isinstance(value, Mapping):
        return "keypoints" not in value
    if isinstance(value, np.ndarray):
        value = value.tolist() if value.ndim == 1 else None
    return isinstance(value, list | tuple) and all(isinstance(n, str) for n in value)


def checked_entry(raw: object, path: object, sequence: str) -> Mapping[str, object]:
    """Return a pose file's sequence entry after checking it is a dict with keypoints.

    Parameters
    ----------
    raw : object
        The entry as the file holds it.
    path : object
        The file, named in messages.
    sequence : str
        The sequence id, named in messages.

    Returns
    -------
    mapping
        ``raw`` itself.

    Raises
    ------
    DataFormatError
        If ``raw`` is not a dict or has no ``"keypoints"``.

    Examples
    --------
    >>> checked_entry({"keypoints": []}, "test.npy", "s1")
    {'keypoints': []}
    """
    if not isinstance(raw, Mapping):
        raise DataFormatError(
            f"{location(path, sequence)}: is a {type(raw).__name__}, not a dict with "
            f"'keypoints' and 'annotator_id'; see docs/formats.md"
        )
    if "keypoints" not in raw:
        raise DataFormatError(
            f"{location(path, sequence)}: has no 'keypoints'; add the (frames, 2, 2, 7) pose array"
        )
    return raw


def _sequence(
    raw: object,
    path: object,
    sequence: str,
    vocabulary_map: np.ndarray,
    *,
    labelled: bool | None,
    notes: list[str] | None = None,
) -> Sequence:
    """Build one checked :class:`Sequence` from a file entry.

    ``labelled`` True requires ``annotations``, False ignores them, None reads
    them when present; ``notes`` as in :func:`checked_keypoints`.
    """
    entry = checked_entry(raw, path, sequence)
    keypoints = checked_keypoints(entry["keypoints"], path, sequence, notes=notes)
    n_frames = keypoints.shape[0]
    annotator = _annotator_id(entry, path, sequence)
    labels = None
    if labelled is True and "annotations" not in entry:
        raise DataFormatError(
            f"{location(path, sequence)}: has no 'annotations'; a train file labels every "
            f"sequence (store unlabelled sequences in a test file)"
        )
    if labelled is not False and "annotations" in entry:
        labels = checked_labels(
            entry["annotations"], path, sequence, n_frames, vocabulary_map=vocabulary_map
        )
    scores = None
    if entry.get("scores") is not None:
        scores = checked_scores(entry["scores"], path, sequence, n_frames)
    video_fps = checked_video_fps(entry.get("video_fps"), path, sequence)
    return Sequence(sequence, keypoints, annotator, labels, scores, video_fps)


def count_frames(total: int, n_frames: int, path: object) -> int:
    """Return ``total + n_frames``, refusing a file past :data:`MAX_TOTAL_FRAMES`.

    Parameters
    ----------
    total : int
        Frames of the file counted so far.
    n_frames : int
        Frames of the sequence just read.
    path : object
        The file, named in the message.

    Returns
    -------
    int
        The new total.

    Raises
    ------
    UnsafeFileError
        Once the total passes :data:`MAX_TOTAL_FRAMES`.

    Examples
    --------
    >>> count_frames(100, 20, "test.npy")
    120
    """
    total += n_frames
    if total > MAX_TOTAL_FRAMES:
        raise UnsafeFileError(
            f"{location(path)}: holds more than MAX_TOTAL_FRAMES={MAX_TOTAL_FRAMES} frames in "
            f"all; split it into several files"
        )
    return total


def collect_problem(problems: list[str] | None, error: DataFormatError) -> None:
    """Record ``error`` in ``problems``, or raise it when not collecting.

    Readers take ``problems``: None to stop at the first error (loading), a list
    to read on and report every problem (``ethostyle validate``). An
    :class:`~ethostyle.errors.UnsafeFileError` is always raised: reading on
    past a size limit is what the limit prevents.

    Parameters
    ----------
    problems : list of str or None
        Where to record the message, or None to raise.
    error : DataFormatError
        The error.

    Examples
    --------
    >>> from ethostyle.errors import DataFormatError
    >>> problems = []
    >>> collect_problem(problems, DataFormatError("test.npy: bad"))
    >>> problems
    ['test.npy: bad']
    """
    if problems is None or isinstance(error, UnsafeFileError):
        raise error
    problems.append(str(error))


def checked_sequences(
    entries: Mapping[object, object],
    path: object,
    vocabulary_map: np.ndarray,
    *,
    labelled: bool | None,
    problems: list[str] | None = None,
    notes: list[str] | None = None,
) -> list[Sequence]:
    """Build checked sequences from file entries (in order).

    Parameters
    ----------
    entries : mapping
        Raw id to raw entry, from :func:`sequence_entries`.
    path : object
        The file, named in messages.
    vocabulary_map : numpy.ndarray
        From :func:`map_vocabulary`.
    labelled : bool or None
        True requires ``annotations`` in every entry, False ignores them, None
        reads them where present.
    problems : list of str, optional
        When given, a sequence that fails is skipped and its message appended
        here (see :func:`collect_problem`); otherwise the first error is raised.
    notes : list of str, optional
        When given (``ethostyle validate``), the findings of
        :func:`pose_quality_problems` about sequences that do read are appended
        here instead of logged as warnings.

    Returns
    -------
    list of Sequence
        The sequences that read cleanly, in file order.

    Examples
    --------
    >>> import numpy as np
    >>> raw = {"s1": {"keypoints": np.ones((3, 2, 2, 7)), "annotator_id": 0}}
    >>> [s.id for s in checked_sequences(raw, "test.npy", map_vocabulary(None, None),
    ...                                  labelled=False)]
    ['s1']
    """
    out: list[Sequence] = []
    seen: set[str] = set()
    total = 0
    for raw_id, raw in entries.items():
        try:
            sequence = checked_sequence_id(raw_id, path)
            if sequence in seen:
                raise DataFormatError(
                    f"{location(path, sequence)}: appears twice (id {raw_id!r} repeats an "
                    f"earlier id once ids are converted to text); rename one of them"
                )
            seen.add(sequence)
            out.append(
                _sequence(raw, path, sequence, vocabulary_map, labelled=labelled, notes=notes)
            )
            total = count_frames(total, out[-1].n_frames, path)
        except DataFormatError as error:
            collect_problem(problems, error)
    return out
