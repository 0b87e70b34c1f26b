"""Writing the outputs of a prediction that a lab uses.

Outputs (besides the challenge submission, :mod:`ethostyle.io.submission`): per-frame probabilities
(``.npz``, one array per sequence) and a CSV of bouts (sequence, annotator style,
behaviour, start frame, stop frame, mean probability). Every file is written
beside its destination and renamed into place when complete.
"""

from __future__ import annotations

import csv
import io as _stdio
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ethostyle.atomic import atomic_write_path
from ethostyle.bouts import behavior_bouts
from ethostyle.data import FPS, VOCABULARY, Predictions
from ethostyle.errors import DataFormatError
from ethostyle.io.frame_rate import video_frame_index

__all__ = ["write_bouts_csv", "write_probabilities"]

_VOCABULARY_KEY = "__vocabulary__"


def write_probabilities(proba: Mapping[str, np.ndarray], path: str | Path) -> Path:
    """Write per-frame probabilities to an ``.npz`` (one array per sequence id).

    The class order is stored under the key ``__vocabulary__``; ``numpy.load`` reads
    the file back as ``{sequence id: (frames, classes) array}``.

    Parameters
    ----------
    proba : mapping of str to numpy.ndarray
        ``(frames, classes)`` probabilities per sequence id.
    path : str or pathlib.Path
        Destination ``.npz`` file (written atomically, as given).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    DataFormatError
        If a sequence is named ``__vocabulary__``.

    Examples
    --------
    >>> write_probabilities(predictions.proba, "proba.npz")  # doctest: +SKIP
    PosixPath('proba.npz')
    """
    if _VOCABULARY_KEY in proba:
        raise DataFormatError(
            f"{path}: a sequence is named {_VOCABULARY_KEY!r}, the key that holds the class "
            f"names in a probabilities file; rename the sequence"
        )
    path = Path(path)
    arrays = {_VOCABULARY_KEY: np.array(VOCABULARY), **proba}
    # np.savez_compressed takes the arrays as keyword arguments, so a sequence named
    # "file" or "allow_pickle" would clash with its own parameters: write the same
    # zip of .npy members (numpy's .npz layout) directly.
    with (
        atomic_write_path(path) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for key, array in arrays.items():
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
    return path


def write_bouts_csv(
    predictions: Predictions, path: str | Path, *, fps: float | None = None
) -> Path:
    """Write every predicted bout (all behaviours but ``other``) to a CSV.

    Columns: ``sequence, annotator_style, behavior, start_frame, stop_frame,
    start_s, stop_s, mean_probability, fps``; ``stop_frame`` is exclusive and
    frames are at ``fps``. ``mean_probability`` is the model's probability of the
    behaviour over the bout, before the style program's rules (which may label
    frames the model finds unlikely). The rows are :func:`~ethostyle.bouts.behavior_bouts`
    of the predicted labels (at ``fps``, as ``predict --fps`` writes them).

    Parameters
    ----------
    predictions : Predictions
        Labels, probabilities and the style of every sequence.
    path : str or pathlib.Path
        Destination ``.csv`` file (written atomically).
    fps : float, optional
        The videos' own frame rate (``import-pose --fps``): frames count the
        video's frames (:func:`~ethostyle.io.frame_rate.video_frame_index`).
        Default: 30 Hz, the poses' rate.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> write_bouts_csv(predictions, "bouts.csv")  # doctest: +SKIP
    PosixPath('bouts.csv')
    """
    buffer = _stdio.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "sequence",
            "annotator_style",
            "behavior",
            "start_frame",
            "stop_frame",
            "start_s",
            "stop_s",
            "mean_probability",
            "fps",
        ]
    )
    rate = FPS if fps is None else fps
    at_rate = {  # index of the 30 Hz frame of each video frame
        sid: video_frame_index(len(labels), rate) for sid, labels in predictions.labels.items()
    }
    rows = behavior_bouts({sid: predictions.labels[sid][i] for sid, i in at_rate.items()})
    for sid, part in rows.sequence_slices():  # a loop over sequences, then their bouts
        proba = predictions.proba[sid][at_rate[sid]]
        csum = np.vstack(
            [np.zeros((1, proba.shape[1])), np.cumsum(proba, axis=0, dtype=np.float64)]
        )
        for start, stop, label in zip(
            rows.start[part], rows.stop[part], rows.label[part], strict=True
        ):
            mean_p = (csum[stop, label] - csum[start, label]) / max(stop - start, 1)
            writer.writerow(
                [
                    sid,
                    predictions.styles[sid],
                    VOCABULARY[label],
                    int(start),
                    int(stop),
                    f"{start / rate:.3f}",
                    f"{stop / rate:.3f}",
                    f"{mean_p:.4f}",
                    f"{rate:g}",
                ]
            )
    path = Path(path)
    with atomic_write_path(path) as tmp:
        Path(tmp).write_text(buffer.getvalue())
    return path
