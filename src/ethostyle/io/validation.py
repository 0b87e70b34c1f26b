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
from collections.abc import Mapping

import numpy as np

from ethostyle.data import Sequence
from ethostyle.errors import DataFormatError, UnsafeFileError
from ethostyle.io.basic_checks import (
    _first_frame,
    _numeric_array,
    checked_file,
    checked_sequence_id,
    location,
    map_vocabulary,
    preview,
)
from ethostyle.io.label_checks import checked_labels
from ethostyle.io.pose_quality import (
    LONG_TRACKING_GAP_FRAMES,
    MAX_INTERPOLATED_SHARE,
    MAX_PLAUSIBLE_COORDINATE_PX,
    MAX_SCALE_RATIO,
    PLAUSIBLE_BODY_LENGTH_PX,
    _warn_about_tracking,
    body_length_px,
    check_scale,
    interpolated_share,
    median_body_length_px,
    pose_quality_problems,
)

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


def _refuse_unusable_shape(array: np.ndarray, where: str) -> None:
    """Refuse keypoints of the wrong shape, with no frames or past the frame limit."""
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


def _infinite_to_nan(keypoints: np.ndarray, where: str) -> None:
    """Treat infinite keypoint values as missing (NaN, in place), with a warning."""
    infinite = np.isinf(keypoints)
    if infinite.any():
        logger.warning(
            "%s: %d infinite keypoint values (first at frame %d) treated as missing (NaN)",
            where,
            int(infinite.sum()),
            _first_frame(infinite),
        )
        keypoints[infinite] = np.nan


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
    _refuse_unusable_shape(array, where)
    keypoints = np.array(array, dtype=np.float32, order="C")  # always a private copy
    _infinite_to_nan(keypoints, where)
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
