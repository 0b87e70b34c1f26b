"""Read DeepLabCut, SLEAP, LightningPose and NWB pose files into CalMS21-layout sequences.

Files are read with ``movement`` (``pip install 'ethostyle[pose]'``), the field's
standard loader, so every format it reads behaves the same way here. One
sequence needs both mice: a multi-animal file (DeepLabCut multi-animal, SLEAP)
holds both; formats with one animal per file (LightningPose, NWB, single-animal
DeepLabCut) give the resident's file and the intruder's file. Body parts are
matched to the 7 CalMS21 parts by name (:mod:`ethostyle.importers.bodyparts`),
the frame rate is resampled to 30 Hz by linear interpolation in time, and the
trackers' keypoint confidences are kept as ``scores``.

Examples
--------
>>> result = import_pose("videoA_DLC.h5", fps=25)  # doctest: +SKIP
>>> result.sequence.keypoints.shape  # doctest: +SKIP
(1080, 2, 2, 7)
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ethostyle.data import BODY_PARTS, FPS
from ethostyle.data import Sequence as PoseSequence
from ethostyle.errors import DataFormatError
from ethostyle.importers.bodyparts import BodyPartMatch, match_bodyparts, missing_cost
from ethostyle.io import refuse_unsafe_hdf5
from ethostyle.io.frame_rate import video_frame_index

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "SOURCE_SOFTWARE",
    "PoseImport",
    "detect_source",
    "import_pose",
    "import_pose_files",
    "labels_at_fps",
    "read_pose_file",
]

logger = logging.getLogger(__name__)

#: Pose-tracking programs whose files ethostyle reads (names as ``movement`` spells them).
SOURCE_SOFTWARE: tuple[str, ...] = ("DeepLabCut", "SLEAP", "LightningPose", "NWB")
_ALIASES = {s.lower(): s for s in SOURCE_SOFTWARE} | {"dlc": "DeepLabCut", "lp": "LightningPose"}
#: Suffixes trackers add to the video's name: DeepLabCut's scorer, SLEAP's kinds of file.
_TRACKER_SUFFIX = re.compile(r"(DLC_.*|\.predictions|\.analysis|\.pkg)$")


def _require_movement() -> None:
    try:
        import movement  # noqa: F401
    except ImportError:
        raise DataFormatError(
            "reading pose files needs the 'movement' package; install it with "
            "the pose extra from the clone, .venv/bin/pip install -e '.[pose]' (pip install "
            "'ethostyle[pose]' once ethostyle is installed from a package index)"
        ) from None


def _source_name(source: str, path: Path) -> str:
    try:
        return _ALIASES[source.lower()]
    except KeyError:
        raise DataFormatError(
            f"{path}: unknown pose software {source!r}; use one of {list(SOURCE_SOFTWARE)}"
        ) from None


def detect_source(path: str | os.PathLike[str]) -> str:
    """Tell which program wrote a pose file, from its suffix and content.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.h5``, ``.csv``, ``.slp`` or ``.nwb`` file.

    Returns
    -------
    str
        One of :data:`SOURCE_SOFTWARE`. A ``.csv`` is read as DeepLabCut, whose
        layout LightningPose shares (pass ``source="LightningPose"`` to say so).

    Raises
    ------
    DataFormatError
        If the suffix or content matches no supported format.

    Examples
    --------
    >>> detect_source("session1.predictions.slp")
    'SLEAP'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".slp":
        return "SLEAP"
    if suffix == ".nwb":
        return "NWB"
    if suffix == ".csv":
        return "DeepLabCut"
    if suffix in (".h5", ".hdf5"):
        import h5py

        try:
            with h5py.File(path, "r") as fh:
                keys = set(fh.keys())
        except OSError as exc:
            raise DataFormatError(f"{path}: not a readable HDF5 file ({exc})") from None
        if "tracks" in keys:
            return "SLEAP"
        if "df_with_missing" in keys:
            return "DeepLabCut"
        raise DataFormatError(
            f"{path}: an HDF5 file that is neither a DeepLabCut file (key 'df_with_missing') "
            f"nor a SLEAP analysis file (key 'tracks'); its keys are {sorted(keys)}"
        )
    raise DataFormatError(
        f"{path}: unknown pose file type {suffix!r}; give a DeepLabCut .h5/.csv, SLEAP "
        f".slp/.h5, LightningPose .csv or NWB .nwb file, or name the program with --source"
    )


def read_pose_file(
    path: str | os.PathLike[str], *, source: str | None = None, fps: float | None = None
) -> xr.Dataset:
    """Read one pose file with ``movement``.

    Parameters
    ----------
    path : str or os.PathLike
        The pose file.
    source : str, optional
        The program that wrote it (one of :data:`SOURCE_SOFTWARE`, case
        ignored); detected from the file when omitted.
    fps : float, optional
        Frame rate of the video. NWB files carry their own and ignore this.

    Returns
    -------
    xarray.Dataset
        A ``movement`` poses dataset (``position``: time, space, keypoints,
        individuals; ``confidence``: time, keypoints, individuals).

    Raises
    ------
    DataFormatError
        If the file is missing or ``movement`` cannot read it.
    """
    return _read(Path(path), source, fps)[0]


def _read(path: Path, source: str | None, fps: float | None) -> tuple[xr.Dataset, str]:
    """The ``movement`` dataset of a file and the format it was read as."""
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file; check the path")
    _require_movement()
    from movement.io import load_dataset

    software = detect_source(path) if source is None else _source_name(source, path)
    if path.suffix.lower() in (".h5", ".hdf5"):  # read through PyTables, which unpickles
        refuse_unsafe_hdf5(path)
    try:
        return load_dataset(path, software, fps=None if software == "NWB" else fps), software
    except (ValueError, KeyError, OSError, TypeError, AttributeError) as exc:
        raise DataFormatError(
            f"{path}: could not be read as a {software} pose file ({exc}); check that the "
            f"file is complete and name the program with --source if it was guessed wrong"
        ) from None


def _video_stem(paths: Sequence[Path]) -> str:
    """A sequence id from file names: the video's name without the tracker's suffixes."""
    stems = [_TRACKER_SUFFIX.sub("", p.stem) for p in paths]
    if len(stems) == 1:
        return stems[0]
    # Character-wise on purpose: "videoA_resident" + "videoA_intruder" -> "videoA".
    common = os.path.commonprefix(stems).rstrip("_-. ")  # noqa: RUF071
    return common or stems[0]


@dataclass(frozen=True, slots=True)
class PoseImport:
    """One video's poses in the CalMS21 layout, and how they were made.

    Attributes
    ----------
    sequence : Sequence
        ``keypoints`` ``(frames, 2, 2, 7)`` at 30 Hz; ``scores`` ``(frames, 2, 7)``
        (NaN where the file has no confidence); ``video_fps`` the video's own
        rate (written to the pose file, so label frames convert at it); unlabelled.
    files : tuple of pathlib.Path
        The file(s) read: one, or the resident's then the intruder's.
    source_software : str
        The format they were read as (one of :data:`SOURCE_SOFTWARE`).
    individuals : tuple of str
        The file's names of the resident and the intruder.
    bodyparts : BodyPartMatch
        Which keypoint became each CalMS21 body part.
    fps : float or None
        The file's frame rate (None: unknown and taken to be 30 Hz).
    n_frames_in : int
        Frames in the file before resampling.
    """

    sequence: PoseSequence
    files: tuple[Path, ...]
    source_software: str
    individuals: tuple[str, str]
    bodyparts: BodyPartMatch
    fps: float | None
    n_frames_in: int

    def summary(self) -> str:
        """Human-readable lines: what was read, the mapping, what is missing and its cost."""
        seq = self.sequence
        names = " + ".join(str(f) for f in self.files)
        lines = [f"{seq.id}: {self.source_software} {names}"]
        if self.fps is None:
            lines.append(
                f"  {seq.n_frames} frames; the file has no frame rate, so 30 Hz is assumed "
                f"(give --fps if the video ran at another rate)"
            )
        elif abs(self.fps - FPS) > 1e-6:
            lines.append(
                f"  {self.n_frames_in} frames at {self.fps:g} Hz resampled to {seq.n_frames} "
                f"frames at {FPS} Hz"
            )
        else:
            lines.append(f"  {seq.n_frames} frames at {FPS} Hz")
        lines.append(
            f"  resident = {self.individuals[0]!r}, intruder = {self.individuals[1]!r}"
            + ("" if len(self.files) > 1 else " (swap them with --individuals)")
        )
        mapped = [f"{part}<-{name}" for part, name in self.bodyparts.source.items() if name]
        lines.append(f"  body parts: {', '.join(mapped) or 'none'}")
        missing = self.bodyparts.missing
        if missing:
            affected, total = missing_cost(missing)
            lines.append(
                f"  MISSING: {', '.join(missing)}. ethostyle puts a missing part at its "
                f"mouse's centre, so {len(affected)} of {total} pose features lose part of "
                f"their information (e.g. {', '.join(affected[:4])}); expect less accurate "
                f"labels from a model trained on all 7 parts. Map the part with --bodyparts "
                f"THEIR_NAME=part if the file has it under another name"
            )
        if self.bodyparts.unused:
            lines.append(f"  not used: {', '.join(self.bodyparts.unused)}")
        return "\n".join(lines)


def _pick_individuals(
    ds: xr.Dataset, individuals: Sequence[str] | None, path: Path
) -> tuple[str, str]:
    names = [str(n) for n in ds.individuals.values]
    if individuals is not None:
        wanted = [str(n) for n in individuals]
        if len(wanted) != 2:
            raise DataFormatError(
                f"{path}: --individuals needs exactly two names (resident,intruder), got {wanted}"
            )
        absent = [n for n in wanted if n not in names]
        if absent:
            raise DataFormatError(
                f"{path}: no individual(s) {absent}; the file's individuals are {names}"
            )
        return wanted[0], wanted[1]
    if len(names) != 2:
        raise DataFormatError(
            f"{path}: holds {len(names)} individuals {names}; say which two are the resident "
            f"and the intruder with --individuals RESIDENT,INTRUDER"
        )
    return names[0], names[1]


def _resampled(ds: xr.Dataset, fps: float | None) -> xr.Dataset:
    """``ds`` interpolated onto a 30 Hz time grid (xarray/scipy linear interpolation)."""
    if fps is None or abs(fps - FPS) <= 1e-6:
        return ds
    times = ds.time.values.astype(np.float64)
    n_out = int(np.floor((times[-1] - times[0]) * FPS + 1e-9)) + 1
    grid = times[0] + np.arange(n_out, dtype=np.float64) / FPS
    return ds.interp(time=grid, method="linear")


def labels_at_fps(labels: np.ndarray, fps: float) -> np.ndarray:
    """Labels of a 30 Hz sequence, one per frame of its video filmed at ``fps``.

    The inverse of the resampling of :func:`import_pose`: each frame of the
    original video takes the label of the 30 Hz frame nearest to it in time, and
    the video's frame count is recovered from the 30 Hz one (exactly for videos
    of up to 30 Hz; for faster videos, the fewest frames that give it).

    Parameters
    ----------
    labels : numpy.ndarray
        ``(frames,)`` labels at 30 Hz, e.g. of a sequence from ``import-pose --fps``.
    fps : float
        The video's frame rate.

    Returns
    -------
    numpy.ndarray
        ``(video frames,)`` labels, the dtype of ``labels``.

    Examples
    --------
    >>> labels_at_fps(np.array([3, 3, 1, 1, 1, 1, 3]), 25).tolist()  # 0.2 s of video
    [3, 3, 1, 1, 1, 3]
    """
    labels = np.asarray(labels)
    return labels[video_frame_index(labels.shape[0], fps)]


def _to_sequence(
    pair: xr.Dataset,
    match: BodyPartMatch,
    *,
    sequence_id: str,
    annotator_id: int,
    scale: float,
    where: str,
) -> PoseSequence:
    """CalMS21-layout arrays from a two-individual dataset (resident first)."""
    position = np.asarray(pair.position.transpose("time", "individuals", "space", "keypoints"))
    confidence = np.asarray(pair.confidence.transpose("time", "individuals", "keypoints"))
    keypoints = np.full((position.shape[0], 2, 2, len(BODY_PARTS)), np.nan, np.float32)
    scores = np.full((position.shape[0], 2, len(BODY_PARTS)), np.nan, np.float32)
    names = [str(n) for n in pair.keypoints.values]
    for part, name in enumerate(match.source.values()):
        if name is not None:
            keypoints[..., part] = position[..., names.index(name)] * scale
            scores[..., part] = confidence[..., names.index(name)]
    if np.isnan(keypoints).all():
        raise DataFormatError(
            f"{where}: no body part could be used (every mapped keypoint is NaN or none was "
            f"matched); map the file's keypoints with --bodyparts THEIR_NAME=part"
        )
    return PoseSequence(sequence_id, keypoints, int(annotator_id), None, scores)


def _fps(ds: xr.Dataset) -> float | None:
    value = ds.attrs.get("fps")
    return None if value is None else float(value)


def _combine(
    datasets: Sequence[xr.Dataset], paths: Sequence[Path], individuals: Sequence[str] | None
) -> tuple[xr.Dataset, tuple[str, str]]:
    """One dataset holding the resident then the intruder."""
    import xarray as xr

    if len(datasets) == 1:
        names = _pick_individuals(datasets[0], individuals, paths[0])
        return datasets[0].sel(individuals=list(names)), names
    first, second = datasets
    where = f"{paths[0]} + {paths[1]}"
    for ds, path in zip(datasets, paths, strict=True):
        if ds.sizes["individuals"] != 1:
            raise DataFormatError(
                f"{path}: holds {ds.sizes['individuals']} individuals; give one file with "
                f"both mice, or one file per mouse (resident first)"
            )
    if first.sizes["time"] != second.sizes["time"]:
        raise DataFormatError(
            f"{where}: the resident's file has {first.sizes['time']} frames and the "
            f"intruder's {second.sizes['time']}; both must come from the same video"
        )
    if _fps(first) != _fps(second):
        raise DataFormatError(
            f"{where}: frame rates differ ({_fps(first)} vs {_fps(second)} Hz); both files "
            f"must come from the same video"
        )
    if list(first.keypoints.values) != list(second.keypoints.values):
        raise DataFormatError(
            f"{where}: the two files track different keypoints "
            f"({list(first.keypoints.values)} vs {list(second.keypoints.values)}); use files "
            f"from the same tracking model"
        )
    names = (str(first.individuals.values[0]), str(second.individuals.values[0]))
    if names[0] == names[1]:
        names = (f"{names[0]} (resident file)", f"{names[1]} (intruder file)")
    parts = [
        ds.assign_coords(individuals=[name], time=first.time.values)
        for ds, name in zip(datasets, names, strict=True)
    ]
    return xr.concat(parts, dim="individuals"), names


def _build(
    datasets: Sequence[xr.Dataset],
    paths: Sequence[Path],
    software: str,
    *,
    fps: float | None,
    bodyparts: Mapping[str, str] | None,
    individuals: Sequence[str] | None,
    sequence_id: str | None,
    annotator_id: int,
    scale: float,
) -> PoseImport:
    where = " + ".join(str(p) for p in paths)
    pair, names = _combine(datasets, paths, individuals)
    file_fps = _fps(pair)
    if fps is not None and file_fps is not None and abs(file_fps - fps) > 1e-6:
        logger.warning(
            "%s: the file says %g Hz; using it rather than --fps %g", where, file_fps, fps
        )
    match = match_bodyparts([str(k) for k in pair.keypoints.values], bodyparts, where=where)
    if file_fps is None:
        # Guessing 30 Hz would silently stretch or squeeze every bout of a video
        # filmed at another rate.
        raise DataFormatError(
            f"{where}: the file does not record its frame rate (DeepLabCut, SLEAP and "
            f"LightningPose files never do); "
            f"give the video's rate with --fps (fps= in Python), e.g. --fps 25; poses are "
            f"resampled to {FPS} Hz and `ethostyle predict --fps` gives labels back at it"
        )
    sequence = _to_sequence(
        _resampled(pair, file_fps),
        match,
        sequence_id=sequence_id or _video_stem(paths),
        annotator_id=annotator_id,
        scale=scale,
        where=where,
    )
    return PoseImport(
        sequence=replace(sequence, video_fps=file_fps),
        files=tuple(paths),
        source_software=software,
        individuals=names,
        bodyparts=match,
        fps=file_fps,
        n_frames_in=int(pair.sizes["time"]),
    )


def import_pose(
    file: str | os.PathLike[str],
    intruder_file: str | os.PathLike[str] | None = None,
    *,
    source: str | None = None,
    fps: float | None = None,
    bodyparts: Mapping[str, str] | None = None,
    individuals: Sequence[str] | None = None,
    sequence_id: str | None = None,
    annotator_id: int = 0,
    scale: float = 1.0,
) -> PoseImport:
    """Read one video's poses into a CalMS21-layout sequence.

    Parameters
    ----------
    file : str or os.PathLike
        A pose file with both mice, or the resident's file when the format holds
        one animal per file.
    intruder_file : str or os.PathLike, optional
        The intruder's file, for one-animal-per-file formats.
    source : str, optional
        The program that wrote the file(s); detected when omitted.
    fps : float, optional
        The video's frame rate, needed for formats that do not store it
        (DeepLabCut, SLEAP, LightningPose): without it such a file is refused
        rather than taken to be 30 Hz. Poses are resampled to 30 Hz when it
        differs; :func:`labels_at_fps` takes labels back to this rate.
    bodyparts : mapping of str to str, optional
        ``{their_keypoint: calms21_part}`` for names not recognised.
    individuals : sequence of str, optional
        ``(resident, intruder)`` names in a multi-animal file (default: the
        file's two individuals, in its order).
    sequence_id : str, optional
        Id of the sequence (default: the video's name from the file name).
    annotator_id : int
        Annotator whose style the sequence is to be labelled in (default 0).
    scale : float
        Multiplies every coordinate, to bring another camera's pixels to the
        scale of the data the model was trained on.

    Returns
    -------
    PoseImport
        The sequence and a record of how it was made (see :meth:`PoseImport.summary`).

    Raises
    ------
    DataFormatError
        Naming the file, if it cannot be read or does not hold two mice.

    Examples
    --------
    >>> result = import_pose("videoA.predictions.slp", fps=30)  # doctest: +SKIP
    >>> print(result.summary())  # doctest: +SKIP
    """
    paths = [Path(file)] + ([] if intruder_file is None else [Path(intruder_file)])
    read = [_read(p, source, fps) for p in paths]
    return _build(
        [ds for ds, _ in read],
        paths,
        read[0][1],
        fps=fps,
        bodyparts=bodyparts,
        individuals=individuals,
        sequence_id=sequence_id,
        annotator_id=annotator_id,
        scale=scale,
    )


def import_pose_files(
    files: Sequence[str | os.PathLike[str]],
    *,
    source: str | None = None,
    fps: float | None = None,
    bodyparts: Mapping[str, str] | None = None,
    individuals: Sequence[str] | None = None,
    annotator_id: int = 0,
    scale: float = 1.0,
) -> list[PoseImport]:
    """Read many videos' pose files; files with one animal are paired in order.

    A file that holds several animals is one video. A file that holds one
    animal is the resident of a video whose intruder is the next file given.

    Parameters
    ----------
    files : sequence of str or os.PathLike
        Pose files, in order.
    source, fps, bodyparts, individuals, annotator_id, scale
        As in :func:`import_pose`; the same for every file.

    Returns
    -------
    list of PoseImport
        One per video, in the order given; sequence ids from the file names.

    Raises
    ------
    DataFormatError
        If a one-animal file has no partner, or two videos get the same id.
    """
    paths = [Path(f) for f in files]
    read = [_read(p, source, fps) for p in paths]
    datasets = [ds for ds, _ in read]
    groups: list[list[int]] = []
    i = 0
    while i < len(paths):
        if datasets[i].sizes["individuals"] > 1:
            groups.append([i])
            i += 1
        elif i + 1 < len(paths) and datasets[i + 1].sizes["individuals"] == 1:
            groups.append([i, i + 1])
            i += 2
        else:
            raise DataFormatError(
                f"{paths[i]}: holds one animal, and no one-animal file follows it; give each "
                f"video's resident file then its intruder file"
            )
    results = [
        _build(
            [datasets[j] for j in group],
            [paths[j] for j in group],
            read[group[0]][1],
            fps=fps,
            bodyparts=bodyparts,
            individuals=individuals,
            sequence_id=None,
            annotator_id=annotator_id,
            scale=scale,
        )
        for group in groups
    ]
    ids = [r.sequence.id for r in results]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise DataFormatError(
            f"several videos get the sequence id(s) {repeated} from their file names; "
            f"rename the files or import them one at a time with --id"
        )
    return results
