"""Checks of label arrays before they are scored: one label per frame, each a class index."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import numpy as np

from ethostyle.data import UNLABELLED, VOCABULARY
from ethostyle.errors import DataFormatError

__all__ = ["check_frame_labels", "paired_labels", "pool_labels"]

# The scores' logger: these checks are part of scoring (ethostyle.metrics).
logger = logging.getLogger("ethostyle.metrics")


def _check_labels(arr: object, seq_id: str, what: str, unlabelled_ok: bool = False) -> np.ndarray:
    """Return ``arr`` as int64 labels, or raise naming the sequence and first bad frame.

    With ``unlabelled_ok`` (true labels), :data:`UNLABELLED` marks frames nobody labelled.
    """
    a = np.asarray(arr)
    if a.ndim != 1:
        raise DataFormatError(
            f"sequence {seq_id!r}: {what} labels have shape {a.shape}; give one label per frame"
        )
    if a.dtype.kind not in "iub":
        if a.dtype.kind != "f":
            raise DataFormatError(
                f"sequence {seq_id!r}: {what} labels are {a.dtype}, not integers; "
                f"give indices into {list(VOCABULARY)}"
            )
        bad = np.flatnonzero(~np.isfinite(a) | (a != np.round(a)))
        if bad.size:
            raise DataFormatError(
                f"sequence {seq_id!r}, frame {bad[0]}: {what} label {a[bad[0]].item()} is not an "
                f"integer; give indices into {list(VOCABULARY)}"
            )
    a = a.astype(np.int64)
    low = UNLABELLED if unlabelled_ok else 0
    bad = np.flatnonzero((a < low) | (a >= len(VOCABULARY)))
    if bad.size:
        allowed = f" ({UNLABELLED}: unlabelled)" if unlabelled_ok else ""
        raise DataFormatError(
            f"sequence {seq_id!r}, frame {bad[0]}: {what} label {a[bad[0]]} is outside "
            f"{low}-{len(VOCABULARY) - 1}; labels index {list(VOCABULARY)}{allowed}"
        )
    return a


def check_frame_labels(labels: object, n_frames: int, where: str) -> np.ndarray:
    """Check one label per frame, each an index into the vocabulary; return them as int64.

    The check of the labels a decoder or a style program is fitted to, beside the
    probabilities of the same frames.

    Parameters
    ----------
    labels : array-like
        ``(frames,)`` integer labels.
    n_frames : int
        Frames of the probabilities the labels go with.
    where : str
        Names the input in the error message (a video, a sequence).

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int64; :data:`~ethostyle.data.UNLABELLED` (-1) marks frames
        nobody labelled, which fitting and scoring leave out.

    Raises
    ------
    DataFormatError
        On a wrong shape, or a label outside -1-3 (naming the frame).

    Examples
    --------
    >>> check_frame_labels([0, 3, 1], 3, "video 0").dtype
    dtype('int64')
    """
    y = np.asarray(labels)
    if y.shape != (n_frames,):
        raise DataFormatError(
            f"{where}: {n_frames} frames of probabilities but labels of shape "
            f"{y.shape}; give one label per frame"
        )
    n = len(VOCABULARY)
    if y.size and (y.min() < UNLABELLED or y.max() >= n):
        frame = int(np.flatnonzero((y < UNLABELLED) | (y >= n))[0])
        raise DataFormatError(
            f"{where}, frame {frame}: label {y[frame]} is outside 0-{n - 1} "
            f"({UNLABELLED}: unlabelled)"
        )
    return y.astype(np.int64)


def paired_labels(
    true: Mapping[str, np.ndarray], pred: Mapping[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Validate that ``pred`` covers ``true`` with equal lengths; return id -> (true, pred)."""
    missing = [k for k in true if k not in pred]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DataFormatError(
            f"no prediction for sequence {missing[0]!r}{more}; predict every sequence that "
            "has true labels"
        )
    extra = [k for k in pred if k not in true]
    if extra:
        logger.info("ignoring %d predicted sequences without true labels", len(extra))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for seq_id, t in true.items():
        t = _check_labels(t, seq_id, "true", unlabelled_ok=True)
        p = _check_labels(pred[seq_id], seq_id, "predicted")
        if t.shape != p.shape:
            raise DataFormatError(
                f"sequence {seq_id!r}: {t.shape[0]} true labels but {p.shape[0]} predicted; "
                "give exactly one predicted label per frame"
            )
        out[seq_id] = (t, p)
    return out


def pool_labels(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The true and the predicted labels of several sequences, each end to end.

    Frames whose true label is :data:`~ethostyle.data.UNLABELLED` are left out:
    nobody labelled them, so they are not scored.
    """
    pairs = list(pairs)
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    true = np.concatenate([t for t, _ in pairs])
    pred = np.concatenate([p for _, p in pairs])
    keep = true != UNLABELLED
    return true[keep], pred[keep]
