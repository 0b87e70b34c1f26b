"""Predicting whole data sets and writing the outputs a lab uses.

Outputs: the challenge submission (``{id: labels}``), per-frame probabilities
(``.npz``, one array per sequence) and a CSV of bouts (sequence, annotator style,
behaviour, start frame, stop frame, mean probability). Every file is written
beside its destination and renamed into place when complete.
"""

from __future__ import annotations

import csv
import io as _stdio
import os
import zipfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ethostyle.atomic import atomic_write_path
from ethostyle.bouts import bout_table
from ethostyle.data import FPS, OTHER, VOCABULARY, Dataset
from ethostyle.errors import DataFormatError
from ethostyle.models.style_api import StylePredictor
from ethostyle.progress import NULL_PROGRESS, Progress

__all__ = ["Predictions", "predict_dataset", "write_bouts_csv", "write_probabilities"]

_VOCABULARY_KEY = "__vocabulary__"


@dataclass(frozen=True, slots=True)
class Predictions:
    """Labels and probabilities of every sequence of a data set.

    Attributes
    ----------
    labels : dict of str to numpy.ndarray
        ``(frames,)`` int8 per sequence: a valid submission.
    proba : dict of str to numpy.ndarray
        ``(frames, classes)`` float32 per sequence.
    styles : dict of str to int
        The annotator style each sequence was labelled in.
    """

    labels: dict[str, np.ndarray]
    proba: dict[str, np.ndarray]
    styles: dict[str, int]


def predict_dataset(
    model: StylePredictor,
    dataset: Dataset,
    *,
    style: int | None = None,
    progress: Progress = NULL_PROGRESS,
) -> Predictions:
    """Label every sequence, each in the style of its ``annotator_id`` (or of ``style``).

    Sequences are labelled on as many threads as the machine has cores (numpy and
    LightGBM release the GIL), one sequence per thread, so the working memory
    stays bounded by a few sequences' features.

    Parameters
    ----------
    model : StylePredictor
        A fitted model of any family (boosted, neural, ensemble).
    dataset : Dataset
        Sequences to label.
    style : int, optional
        Label every sequence in this annotator's style instead of its own.
    progress : Progress, optional
        Receives progress in frames.

    Returns
    -------
    Predictions
        Labels, probabilities and the style used per sequence.
    """
    advance = progress.task("predicting", dataset.n_frames)
    styles = {s.id: s.annotator_id if style is None else int(style) for s in dataset}
    labels, proba = {}, {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        done = pool.map(lambda s: model.predict_sequence(s, styles[s.id]), dataset)
        for seq, (seq_labels, seq_proba) in zip(dataset, done, strict=True):
            labels[seq.id], proba[seq.id] = seq_labels, seq_proba
            advance(seq.n_frames)
    return Predictions(labels, proba, styles)


def write_probabilities(proba: Mapping[str, np.ndarray], path: str | Path) -> Path:
    """Write per-frame probabilities to an ``.npz`` (one array per sequence id).

    The class order is stored under the key ``__vocabulary__``; ``numpy.load`` reads
    the file back as ``{sequence id: (frames, classes) array}``.

    Raises
    ------
    DataFormatError
        If a sequence is named ``__vocabulary__``.
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


def write_bouts_csv(predictions: Predictions, path: str | Path) -> Path:
    """Write every predicted bout (all behaviours but ``other``) to a CSV.

    Columns: ``sequence, annotator_style, behavior, start_frame, stop_frame,
    start_s, stop_s, mean_probability``; ``stop_frame`` is exclusive.
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
        ]
    )
    for sid, labels in predictions.labels.items():
        bouts = bout_table(labels)
        keep = bouts.label != OTHER
        proba = predictions.proba[sid]
        csum = np.vstack(
            [np.zeros((1, proba.shape[1])), np.cumsum(proba, axis=0, dtype=np.float64)]
        )
        for start, stop, label in zip(
            bouts.start[keep], bouts.stop[keep], bouts.label[keep], strict=True
        ):
            mean_p = (csum[stop, label] - csum[start, label]) / max(stop - start, 1)
            writer.writerow(
                [
                    sid,
                    predictions.styles[sid],
                    VOCABULARY[label],
                    int(start),
                    int(stop),
                    f"{start / FPS:.3f}",
                    f"{stop / FPS:.3f}",
                    f"{mean_p:.4f}",
                ]
            )
    path = Path(path)
    with atomic_write_path(path) as tmp:
        Path(tmp).write_text(buffer.getvalue())
    return path
