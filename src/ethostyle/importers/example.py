"""A small, made-up lab project to try the import route on: pose files and a BORIS export.

The videos are simulated (:mod:`ethostyle.simulate`); their pose files are written
by the trackers' own writers (``movement``'s DeepLabCut writer, ``sleap-io``'s
SLEAP writer) with a lab's body-part names and frame rate, and their labels are
those of a made-up lab annotator, exported as BORIS aggregated events with the
lab's behaviour names. ``docs/walkthrough.md`` runs on these files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ethostyle.atomic import atomic_write_path
from ethostyle.bouts import behavior_bouts
from ethostyle.data import BODY_PARTS, FPS
from ethostyle.simulate.behaviour import simulate_world
from ethostyle.simulate.presets import PRESETS
from ethostyle.simulate.styles import STYLES, AnnotatorStyle, PerBehavior, label_with_style

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["LAB_BEHAVIORS", "LAB_BODYPARTS", "LAB_STYLE", "LabExample", "write_lab_example"]

#: The made-up lab's keypoint names, in CalMS21 body-part order ("tail_1" is not
#: recognised by name, so the walk-through maps it with ``--bodyparts``).
LAB_BODYPARTS: tuple[str, ...] = (
    "snout",
    "ear_left",
    "ear_right",
    "neck",
    "hip_left",
    "hip_right",
    "tail_1",
)
#: The lab's names of the CalMS21 behaviours in its BORIS ethogram.
LAB_BEHAVIORS: dict[str, str] = {
    "attack": "attack",
    "investigation": "sniffing",
    "mount": "mounting",
}
#: The lab annotator's labelling style: looser investigation, late attack onsets.
LAB_STYLE: AnnotatorStyle = STYLES[0].replace(
    name="lab-alice",
    description=(
        "Labels investigation while the nose is within 45 px (annotator 0: 30 px) and "
        "starts attacks 5 frames (0.17 s) later."
    ),
    investigation_max_distance_px=45.0,
    onset_shift_frames=PerBehavior(attack=5),
)
_LAB_FPS = 25.0


@dataclass(frozen=True)
class LabExample:
    """The files :func:`write_lab_example` wrote.

    Attributes
    ----------
    dlc_files : list of pathlib.Path
        DeepLabCut multi-animal ``.h5`` files at 25 Hz (labelled videos).
    sleap_files : list of pathlib.Path
        SLEAP ``.slp`` files at 25 Hz (the first is labelled, the last is not).
    boris_file : pathlib.Path
        BORIS aggregated events (TSV) of the labelled videos.
    labels : dict of str to numpy.ndarray
        The lab annotator's true labels per video at 30 Hz, for checking.
    """

    dlc_files: list[Path]
    sleap_files: list[Path]
    boris_file: Path
    labels: dict[str, np.ndarray]


def _movement_dataset(keypoints: np.ndarray, fps: float) -> xr.Dataset:
    """A ``movement`` poses dataset of CalMS21-layout keypoints, resampled to ``fps``."""
    from movement.io import load_poses

    position = np.transpose(keypoints, (0, 2, 3, 1)).astype(np.float64)  # time, xy, part, mouse
    ds = load_poses.from_numpy(
        position,
        np.full((len(keypoints), len(BODY_PARTS), 2), 0.95),
        individual_names=["resident", "intruder"],
        keypoint_names=list(LAB_BODYPARTS),
        fps=float(FPS),
        source_software="DeepLabCut",
    )
    if fps == FPS:
        return ds
    grid = np.arange(int(np.floor(ds.time.values[-1] * fps)) + 1) / fps
    out = ds.interp(time=grid)
    out.attrs["fps"] = fps
    return out


def _written_by(writer: Callable[[Path], None], path: Path) -> Path:
    """Run a writer that insists on a suffix, atomically onto ``path``."""
    with atomic_write_path(path) as tmp:
        target = tmp.with_suffix(path.suffix)
        writer(target)
        target.replace(tmp)
    return path


def _write_slp(poses: xr.Dataset, path: Path, video_name: str) -> Path:
    import sleap_io as sio

    points = np.transpose(poses.position.values, (0, 3, 2, 1))  # time, mouse, part, xy
    scores = np.full((*points.shape[:3], 1), 0.95)
    labels = sio.Labels.from_numpy(
        np.concatenate([points, scores], axis=-1),
        videos=[sio.Video(filename=f"{video_name}.mp4")],
        skeletons=[sio.Skeleton(list(LAB_BODYPARTS))],
        tracks=[sio.Track("resident"), sio.Track("intruder")],
        return_confidence=True,
    )
    return _written_by(lambda target: sio.save_slp(labels, str(target)), path)


def _boris_rows(video: str, labels: np.ndarray) -> pd.DataFrame:
    bouts = behavior_bouts({video: labels})
    start = bouts.start / FPS
    stop = bouts.stop / FPS
    names = [LAB_BEHAVIORS[name] for name in bouts.behavior]
    n = len(names)
    return pd.DataFrame(
        {
            "Observation id": video,
            "Observation date": "2026-01-15 10:00:00",
            "Description": "",
            "Observation type": "Media file",
            "Source": f"player #1:C:/lab/videos/{video}.mp4",
            "Time offset (s)": 0.0,
            "Media duration (s)": round(len(labels) / FPS, 3),
            "FPS": _LAB_FPS,
            "Subject": "resident",
            "Observation duration by subject by observation": round(len(labels) / FPS, 3),
            "Behavior": names,
            "Behavioral category": "social",
            "Behavior type": "STATE",
            "Start (s)": np.round(start, 3),
            "Stop (s)": np.round(stop, 3),
            "Duration (s)": np.round(stop - start, 3),
            "Media file name": f"C:/lab/videos/{video}.mp4",
            "Image index start": np.rint(start * _LAB_FPS).astype(int),
            "Image index stop": np.rint(stop * _LAB_FPS).astype(int),
            "Image file path start": ["NA"] * n,
            "Image file path stop": ["NA"] * n,
            "Comment start": "",
            "Comment stop": "",
        }
    )


def write_lab_example(out_dir: str | os.PathLike[str], *, seed: int = 0) -> LabExample:
    """Write a made-up lab's DeepLabCut and SLEAP pose files and a BORIS export.

    Four simulated 30-s videos filmed at 25 Hz: ``videoA`` and ``videoB`` tracked
    with DeepLabCut, ``videoC`` and ``videoD`` with SLEAP; the lab
    annotator (:data:`LAB_STYLE`) labelled videos A-C, exported from BORIS as
    aggregated events, with a point event BORIS users often add.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Folder to write into (created if missing).
    seed : int
        Random seed; the same seed writes the same files.

    Returns
    -------
    LabExample
        The paths written and the true labels.

    Examples
    --------
    >>> example = write_lab_example("lab")  # doctest: +SKIP
    >>> [p.name for p in example.dlc_files]  # doctest: +SKIP
    ['videoADLC_resnet50_labJan1shuffle1_100000.h5', 'videoBDLC_resnet50_labJan1shuffle1_100000.h5']
    """
    from movement.io import save_poses

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    preset = PRESETS["tiny"]
    root = np.random.SeedSequence(seed, spawn_key=(6,))
    dlc_files, sleap_files, rows, truth = [], [], [], {}
    for index, video in enumerate(("videoA", "videoB", "videoC", "videoD")):
        stream = root.spawn(index + 1)[-1]
        world = simulate_world(900, stream, preset.behaviour, preset.tracking, video)
        if index < 3:
            truth[video] = label_with_style(world, LAB_STYLE, stream.spawn(1)[0])
            rows.append(_boris_rows(video, truth[video]))
        poses = _movement_dataset(world.keypoints, _LAB_FPS)
        if index < 2:
            dlc_files.append(
                _written_by(
                    lambda target, poses=poses: save_poses.to_dlc_file(poses, target),
                    out / f"{video}DLC_resnet50_labJan1shuffle1_100000.h5",
                )
            )
        else:
            sleap_files.append(_write_slp(poses, out / f"{video}.predictions.slp", video))
    boris = pd.concat(rows, ignore_index=True)
    point = boris.iloc[[0]].assign(
        **{"Behavior": "tail rattle", "Behavior type": "POINT", "Duration (s)": "NA"}
    )
    boris = pd.concat([boris, point], ignore_index=True)
    boris_file = out / "alice_boris_aggregated.tsv"
    with atomic_write_path(boris_file) as tmp:
        boris.to_csv(tmp, sep="\t", index=False)
    return LabExample(dlc_files, sleap_files, boris_file, truth)
