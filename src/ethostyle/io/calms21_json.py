"""Read and write the CalMS21 JSON release (``calms21_task2_train.json`` and kin).

Layout::

    {"annotator-id_<k>": {id: {"keypoints": (frames, 2, 2, 7),
                               "scores": (frames, 2, 7),
                               "annotations": [ints],
                               "metadata": {"annotator-id": k,
                                            "vocab": {"attack": 0, ...}}}}}

JSON carries no code, so this is the format to prefer for files from sources
you do not trust.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from ethostyle.atomic import atomic_write_path
from ethostyle.data import Dataset, Sequence
from ethostyle.errors import DataFormatError, UnsafeFileError
from ethostyle.io.validation import (
    MAX_NESTING_DEPTH,
    MAX_SEQUENCES,
    checked_entry,
    checked_file,
    checked_keypoints,
    checked_labels,
    checked_scores,
    checked_sequence_id,
    checked_video_fps,
    collect_problem,
    location,
    map_vocabulary,
)

__all__ = ["dataset_from_json", "load_calms21_json", "save_calms21_json"]

logger = logging.getLogger(__name__)

_GROUP = re.compile(r"annotator-id_(-?\d+)")


class _DuplicateKeyError(ValueError):
    """A JSON object names one key twice (``json`` itself keeps the last silently)."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        raise _DuplicateKeyError(next(key for key, n in counts.items() if n > 1))
    return obj


def _read_json(path: Path) -> object:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh, object_pairs_hook=_unique_keys)
    except _DuplicateKeyError as exc:
        raise DataFormatError(
            f"{path}: the key {exc.args[0]!r} appears twice in one JSON object (for a sequence "
            f"id: two sequences share it, and one would be lost); rename one of them"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataFormatError(
            f"{path}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            f"the file is truncated or corrupt, regenerate or re-download it"
        ) from None
    except UnicodeDecodeError:
        raise DataFormatError(
            f"{path}: is not UTF-8 text, so not a JSON file; give the CalMS21 .json file"
        ) from None
    except RecursionError:
        raise UnsafeFileError(
            f"{path}: data nested far deeper than MAX_NESTING_DEPTH={MAX_NESTING_DEPTH} "
            f"levels; the file is corrupt or hostile"
        ) from None
    except MemoryError:
        raise DataFormatError(
            f"{path}: too large to load into this machine's memory; use a machine with "
            f"more memory or split the file"
        ) from None


def _json_sequence(
    raw: object,
    path: Path,
    sequence: str,
    group_annotator: int | None,
    notes: list[str] | None = None,
) -> Sequence:
    entry = checked_entry(raw, path, sequence)
    metadata = entry.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise DataFormatError(
            f"{location(path, sequence)}: 'metadata' is not a dict; see the layout"
        )
    annotator = metadata.get("annotator-id", group_annotator)
    if annotator is None:
        raise DataFormatError(
            f"{location(path, sequence)}: has no annotator id (neither metadata "
            f"'annotator-id' nor an 'annotator-id_<k>' group); add metadata 'annotator-id'"
        )
    if not isinstance(annotator, int) or isinstance(annotator, bool):
        raise DataFormatError(
            f"{location(path, sequence)}: annotator-id {annotator!r} is not an integer"
        )
    if group_annotator is not None and annotator != group_annotator:
        raise DataFormatError(
            f"{location(path, sequence)}: metadata says annotator {annotator} but the sequence "
            f"sits in group 'annotator-id_{group_annotator}'; move it to the right group"
        )
    keypoints = checked_keypoints(entry["keypoints"], path, sequence, notes=notes)
    n_frames = keypoints.shape[0]
    labels = None
    if entry.get("annotations") is not None:
        mapping = map_vocabulary(metadata.get("vocab"), path, sequence)
        labels = checked_labels(
            entry["annotations"], path, sequence, n_frames, vocabulary_map=mapping
        )
    scores = None
    if entry.get("scores") is not None:
        scores = checked_scores(entry["scores"], path, sequence, n_frames)
    video_fps = checked_video_fps(metadata.get("video_fps"), path, sequence)
    return Sequence(sequence, keypoints, annotator, labels, scores, video_fps)


def dataset_from_json(
    path: str | os.PathLike[str],
    problems: list[str] | None = None,
    notes: list[str] | None = None,
) -> Dataset:
    """Read a CalMS21 JSON file, stopping at the first problem or collecting them all.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.json`` file.
    problems : list of str, optional
        When given, a sequence that fails is left out and its message appended
        here (as ``ethostyle validate`` needs); otherwise the first error is raised.
    notes : list of str, optional
        When given, what makes a readable sequence's labels untrustworthy
        (:func:`~ethostyle.io.validation.pose_quality_problems`) is appended here
        instead of logged.

    Returns
    -------
    Dataset
        The sequences that read cleanly.

    Examples
    --------
    >>> problems = []
    >>> ds = dataset_from_json("calms21_task2_train.json", problems)  # doctest: +SKIP
    """
    path = checked_file(path)
    data = _read_json(path)
    if not isinstance(data, dict) or not data:
        raise DataFormatError(
            f"{path}: holds {'an empty dict' if data == {} else type(data).__name__}, not "
            f"{{'annotator-id_<k>': {{sequence id: ...}}}} groups; see docs/formats.md"
        )
    sequences: list[Sequence] = []
    seen: set[str] = set()
    count = 0
    # Pop as we go: the parsed JSON (Python lists of floats) is several times the
    # size of the arrays, and each sequence's lists are freed once converted.
    for group_name in list(data):
        group = data.pop(group_name)
        match = _GROUP.fullmatch(str(group_name))
        group_annotator = int(match.group(1)) if match else None
        if not isinstance(group, dict):
            raise DataFormatError(
                f"{path}: group {group_name!r} is a {type(group).__name__}, not a dict of "
                f"sequences; see docs/formats.md"
            )
        count += len(group)
        if count > MAX_SEQUENCES:
            raise UnsafeFileError(
                f"{path}: holds more than MAX_SEQUENCES={MAX_SEQUENCES} sequences; split "
                f"it into several files"
            )
        for raw_id in list(group):
            raw = group.pop(raw_id)
            try:
                sequence = checked_sequence_id(raw_id, path)
                if sequence in seen:
                    raise DataFormatError(
                        f"{location(path, sequence)}: appears twice (in two annotator groups); "
                        f"sequence ids must be unique, rename one"
                    )
                seen.add(sequence)
                sequences.append(_json_sequence(raw, path, sequence, group_annotator, notes=notes))
            except DataFormatError as error:
                collect_problem(problems, error)
            del raw
        del group
    if not sequences and problems is None:
        raise DataFormatError(f"{path}: holds no sequences; regenerate it")
    return Dataset(sequences)


def load_calms21_json(path: str | os.PathLike[str]) -> Dataset:
    """Load a CalMS21 JSON file, with keypoint confidences (``scores``) when present.

    The result is the same as for the ``.npy`` files: keypoints
    ``(frames, 2, 2, 7)`` float32 (JSON ``null``/``NaN`` become NaN), labels
    int8 indices into :data:`~ethostyle.data.VOCABULARY` (remapped by name
    through each sequence's ``metadata.vocab``), the annotator id from
    ``metadata['annotator-id']`` or the ``annotator-id_<k>`` group.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.json`` file.

    Returns
    -------
    Dataset
        Sequences in file order (grouped by annotator, as the file is);
        labelled where the file has annotations.

    Examples
    --------
    >>> ds = load_calms21_json("calms21_task2_train.json")  # doctest: +SKIP
    """
    return dataset_from_json(path)


def _json_entry(sequence: Sequence, vocabulary: list[str]) -> dict[str, object]:
    entry: dict[str, object] = {"keypoints": sequence.keypoints.tolist()}
    if sequence.scores is not None:
        entry["scores"] = sequence.scores.tolist()
    if sequence.labels is not None:
        entry["annotations"] = sequence.labels.astype(int).tolist()
    metadata: dict[str, object] = {
        "annotator-id": int(sequence.annotator_id),
        "vocab": {name: i for i, name in enumerate(vocabulary)},
    }
    if sequence.video_fps is not None:
        metadata["video_fps"] = float(sequence.video_fps)
    entry["metadata"] = metadata
    return entry


def save_calms21_json(dataset: Dataset, path: str | os.PathLike[str]) -> Path:
    """Write a data set in the CalMS21 JSON layout, atomically.

    Sequences are grouped under ``"annotator-id_<k>"`` in order of first
    appearance, so a data set whose annotators interleave is read back grouped.
    Missing keypoints are written as ``NaN``, which Python's ``json`` reads back
    (strict JSON parsers do not).

    Parameters
    ----------
    dataset : Dataset
        Sequences to write, labelled or not.
    path : str or os.PathLike
        Destination ``.json`` file.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> save_calms21_json(dataset, "data.json")  # doctest: +SKIP
    PosixPath('data.json')
    """
    if len(dataset) == 0:
        raise DataFormatError(f"{location(path)}: refusing to write a data set with no sequences")
    groups: dict[int, list[Sequence]] = {}
    for sequence in dataset:
        groups.setdefault(int(sequence.annotator_id), []).append(sequence)
    vocabulary = list(dataset.vocabulary)
    path = Path(path)
    with atomic_write_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        # One sequence at a time: never the whole file as Python lists in memory.
        fh.write("{")
        for g, (annotator, members) in enumerate(groups.items()):
            fh.write(("," if g else "") + json.dumps(f"annotator-id_{annotator}") + ": {")
            for i, sequence in enumerate(members):
                entry = json.dumps(_json_entry(sequence, vocabulary))
                fh.write(("," if i else "") + json.dumps(sequence.id) + ": " + entry)
            fh.write("}")
        fh.write("}\n")
    return path
