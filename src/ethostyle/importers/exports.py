"""Predicted (or any) labels out to the files other behaviour tools load.

Three exports besides BORIS (:func:`~ethostyle.importers.export_boris`):

- :func:`write_frames_csv`: every frame of every video in one long CSV, with
  its time, label and each class's probability (``predict --frames-csv``);
- :func:`export_frame_tables`: one per-frame 0/1 table per video in the layout
  of DeepEthogram's label files (an index column, ``background``, then one
  column per behaviour), which SimBA imports as third-party annotations
  ("DeepEthogram") and pandas, R or JABS-postprocess scripts read as they are;
- :func:`export_nwb`: one NWB file per video whose ``behavior_bouts`` interval
  table (start time, stop time, behaviour) is written by ``pynwb``, the NWB
  project's own library (``pip install 'ethostyle[pose]'`` brings it).

Every label file counts frames at one rate: 30 Hz for a submission, the video's
own rate for ``predict --fps`` output; pass that rate as ``fps`` so times and
frame numbers are the video's.

Examples
--------
>>> export_frame_tables("submission.npy", "for_simba")  # doctest: +SKIP
[PosixPath('for_simba/videoA_labels.csv')]
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ethostyle.atomic import atomic_write_path
from ethostyle.bouts import bout_table
from ethostyle.data import FPS, OTHER, VOCABULARY, Predictions
from ethostyle.errors import DataFormatError, EthostyleError
from ethostyle.io import load_labels
from ethostyle.io.frame_rate import video_frame_index

__all__ = [
    "NWB_INTERVALS_NAME",
    "export_frame_tables",
    "export_nwb",
    "write_frames_csv",
]

#: Name of the interval table :func:`export_nwb` writes (under ``/intervals``).
NWB_INTERVALS_NAME = "behavior_bouts"
#: NWB needs a session start; the labels do not know it, so every file says this one.
_UNKNOWN_START = datetime(1970, 1, 1, tzinfo=UTC)


def _checked_fps(fps: float) -> float:
    if not np.isfinite(fps) or fps <= 0:
        raise DataFormatError(f"--fps {fps:g}: give the frame rate, a positive number")
    return float(fps)


def _safe_name(sequence: str) -> str:
    """A file name for a sequence id (its characters a file system may refuse replaced)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", sequence)


def write_frames_csv(
    predictions: Predictions, path: str | os.PathLike[str], *, fps: float | None = None
) -> Path:
    """Write every frame's label and class probabilities to one CSV.

    Columns: ``sequence, annotator_style, frame, time_s, label, p_attack,
    p_investigation, p_mount, p_other, fps``, one row per frame of every video.

    Parameters
    ----------
    predictions : Predictions
        Labels and probabilities at 30 Hz (from :func:`~ethostyle.models.base.predict_dataset`).
    path : str or os.PathLike
        Destination ``.csv`` (written atomically).
    fps : float, optional
        The videos' own frame rate: rows are then the video's frames, each with
        the prediction of the 30 Hz frame nearest in time (as ``predict --fps``).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> write_frames_csv(predictions, "frames.csv", fps=25)  # doctest: +SKIP
    PosixPath('frames.csv')
    """
    rate = FPS if fps is None else _checked_fps(fps)
    parts = []
    for sid, labels in predictions.labels.items():  # a loop over sequences
        index = video_frame_index(len(labels), rate)
        proba = np.asarray(predictions.proba[sid])[index]
        frames = np.arange(len(index))
        part = pd.DataFrame(
            {
                "sequence": sid,
                "annotator_style": predictions.styles[sid],
                "frame": frames,
                "time_s": np.round(frames / rate, 4),
                "label": np.asarray(VOCABULARY)[labels[index]],
            }
        )
        for k, name in enumerate(VOCABULARY):
            part[f"p_{name}"] = np.round(proba[:, k], 4)
        part["fps"] = rate
        parts.append(part)
    path = Path(path)
    with atomic_write_path(path) as tmp:
        pd.concat(parts, ignore_index=True).to_csv(tmp, index=False)
    return path


def _labels(source: Path) -> dict[str, np.ndarray]:
    labels = load_labels(source)
    if not labels:
        raise DataFormatError(f"{source}: holds no sequences to export")
    return labels


def export_frame_tables(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    names: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write one per-frame 0/1 behaviour table per video (SimBA, DeepEthogram layout).

    Each ``<sequence>_labels.csv`` has an unnamed frame-index column, then
    ``background`` (1 where no behaviour is scored: ethostyle's ``other``) and
    one column per behaviour (``attack``, ``investigation``, ``mount``, or the
    lab's names), 1 in the frames the behaviour is labelled. One row per frame
    of the labels file.

    Parameters
    ----------
    source : str or os.PathLike
        A labels or submission ``.npy`` (predicted labels, or any annotator's).
    out_dir : str or os.PathLike
        Folder for the tables (created if missing).
    names : mapping of str to str, optional
        ethostyle's behaviour names to the lab's (e.g. ``{"investigation": "sniff"}``).

    Returns
    -------
    list of pathlib.Path
        The files written, one per sequence.

    Examples
    --------
    >>> export_frame_tables("submission.npy", "for_simba")  # doctest: +SKIP
    [PosixPath('for_simba/videoA_labels.csv')]
    """
    source, out = Path(source), Path(out_dir)
    labels = _labels(source)
    out.mkdir(parents=True, exist_ok=True)
    columns = ["background", *((names or {}).get(b, b) for b in VOCABULARY[:OTHER])]
    written = []
    for sid, values in labels.items():  # a loop over sequences
        onehot = np.zeros((len(values), len(VOCABULARY)), dtype=np.int8)
        onehot[np.arange(len(values)), values] = 1
        table = pd.DataFrame(
            np.column_stack([onehot[:, OTHER], onehot[:, :OTHER]]), columns=columns
        )
        path = out / f"{_safe_name(sid)}_labels.csv"
        with atomic_write_path(path) as tmp:
            table.to_csv(tmp, index=True)
        written.append(path)
    return written


def _require_pynwb() -> None:
    try:
        import pynwb  # noqa: F401
    except ImportError:
        raise EthostyleError(
            "writing NWB files needs the 'pynwb' package; install it with "
            "the pose extra from the clone, .venv/bin/pip install -e '.[pose]' (pip install "
            "'ethostyle[pose]' once ethostyle is installed from a package index)"
        ) from None


def export_nwb(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    fps: float = FPS,
    names: Mapping[str, str] | None = None,
    description: str = "behaviour labels written by ethostyle",
) -> list[Path]:
    """Write each video's labelled bouts as an NWB interval table, one ``.nwb`` per video.

    Every file holds one ``TimeIntervals`` table named :data:`NWB_INTERVALS_NAME`
    under ``/intervals``: one row per bout of a behaviour (``other`` is not
    written), with ``start_time`` and ``stop_time`` in seconds from the video's
    first frame, ``behavior`` and the frames it spans (``start_frame``,
    ``stop_frame``, exclusive). Written by ``pynwb``; read back with
    ``pynwb.NWBHDF5IO(path).read().intervals["behavior_bouts"].to_dataframe()``.
    NWB requires a session start time, which a labels file does not know: it is
    1970-01-01 UTC; the identifier is ``ethostyle-<sequence>``.

    Parameters
    ----------
    source : str or os.PathLike
        A labels or submission ``.npy``.
    out_dir : str or os.PathLike
        Folder for ``<sequence>.nwb`` files (created if missing).
    fps : float
        The rate the labels count frames at: 30 for a submission, the video's
        own rate for ``predict --fps`` output.
    names : mapping of str to str, optional
        ethostyle's behaviour names to the lab's.
    description : str
        The files' session description.

    Returns
    -------
    list of pathlib.Path
        The files written, one per sequence.

    Raises
    ------
    EthostyleError
        If ``pynwb`` is not installed, saying how to install it.

    Examples
    --------
    >>> export_nwb("submission.npy", "nwb")  # doctest: +SKIP
    [PosixPath('nwb/videoA.nwb')]
    """
    _require_pynwb()
    source, out = Path(source), Path(out_dir)
    fps = _checked_fps(fps)
    labels = _labels(source)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for sid, values in labels.items():  # a loop over sequences
        path = out / f"{_safe_name(sid)}.nwb"
        _write_nwb(path, _nwb_file(sid, values, source, fps, names, description))
        written.append(path)
    return written


def _nwb_file(
    sid: str,
    values: np.ndarray,
    source: Path,
    fps: float,
    names: Mapping[str, str] | None,
    description: str,
) -> Any:
    """One sequence's labels as an ``NWBFile`` holding its table of bouts."""
    from hdmf.common import VectorData
    from pynwb import NWBFile
    from pynwb.epoch import TimeIntervals

    bouts = bout_table(values)
    keep = bouts.label != OTHER
    start, stop = bouts.start[keep].astype(np.int64), bouts.stop[keep].astype(np.int64)
    behavior = np.array([(names or {}).get(b, b) for b in VOCABULARY])[bouts.label[keep]]
    columns = [  # whole typed columns: hdmf cannot type an empty column filled row by row
        ("start_time", "bout start (s from the first frame)", start / fps),
        ("stop_time", "bout end (s, exclusive)", stop / fps),
        ("behavior", "the behaviour labelled", behavior),
        ("start_frame", f"first frame of the bout (at {fps:g} Hz)", start),
        ("stop_frame", "first frame after the bout", stop),
    ]
    table = TimeIntervals(
        name=NWB_INTERVALS_NAME,
        description=f"bouts of {', '.join(VOCABULARY[:OTHER])} in {source.name}",
        columns=[VectorData(name=n, description=d, data=v) for n, d, v in columns],
    )
    nwbfile = NWBFile(
        session_description=description,
        identifier=f"ethostyle-{sid}",
        session_start_time=_UNKNOWN_START,
    )
    nwbfile.add_time_intervals(table)
    return nwbfile


def _write_nwb(path: Path, nwbfile: Any) -> None:
    """Write ``nwbfile`` to ``path`` atomically."""
    from pynwb import NWBHDF5IO

    with atomic_write_path(path) as tmp, warnings.catch_warnings():
        # pynwb advises a .nwb suffix; the temporary file gets it on its rename.
        warnings.filterwarnings("ignore", "The file path provided", UserWarning)
        with NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwbfile)
