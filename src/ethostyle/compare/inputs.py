"""The checks and choices before a comparison: whose labels, which poses, which reference."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ethostyle.compare.pairwise import consensus_annotator
from ethostyle.data import FPS, Dataset
from ethostyle.errors import DataFormatError, UnknownAnnotatorError
from ethostyle.io import checked_labels

__all__ = ["checked_label_sets", "checked_poses", "chosen_reference", "video_rates"]

# The log of compare's entry points (ethostyle.compare.core), whose checks these are.
logger = logging.getLogger("ethostyle.compare.core")


def checked_label_sets(
    labels: Mapping[int, Mapping[str, np.ndarray]], anchor: int | None
) -> tuple[dict[int, dict[str, np.ndarray]], tuple[str, ...], int]:
    """Validate that every annotator labelled the anchor's sequences, frame for frame.

    ``anchor`` is the reference when one was chosen; otherwise annotator 0 when
    it has labels, else the lowest annotator id. Returns the labels, the
    sequence ids and the anchor.
    """
    if not isinstance(labels, Mapping) or not labels:
        raise DataFormatError(
            "compare needs labels of at least two annotators: {annotator: {sequence id: labels}}"
        )
    annotators = sorted(int(a) for a in labels)
    if anchor is None:
        anchor = 0 if 0 in annotators else annotators[0]
    elif anchor not in annotators:
        raise UnknownAnnotatorError(
            f"reference annotator {anchor} is not among the compared annotators "
            f"{annotators}; choose one of them as the reference"
        )
    if len(annotators) < 2:
        raise DataFormatError(
            f"only annotator {anchor} has labels; compare needs at least two annotators' "
            "labels of the same videos"
        )
    ref = labels[anchor]
    ids = tuple(ref)
    if not ids:
        raise DataFormatError(f"annotator {anchor} labelled no sequence")
    out: dict[int, dict[str, np.ndarray]] = {}
    for annotator in annotators:
        given = labels[annotator]
        out[annotator] = {}
        for sid in ids:
            if sid not in given:
                raise DataFormatError(
                    f"annotator {annotator} has no labels for sequence {sid!r}, which annotator "
                    f"{anchor} labelled; compare needs every annotator's labels of the same "
                    "videos"
                )
            out[annotator][sid] = checked_labels(
                given[sid], f"annotator {annotator}", sid, len(ref[sid]), names_allowed=False
            )
        extra = set(given) - set(ids)
        if extra:
            logger.warning(
                "annotator %d: ignoring %d sequence(s) annotator %d did not label, e.g. %r",
                annotator,
                len(extra),
                anchor,
                sorted(extra)[0],
            )
    return out, ids, anchor


def chosen_reference(
    reference: int | None, anchor: int, pairwise: pd.DataFrame, annotators: list[int]
) -> tuple[int, str]:
    """The reference and why: as chosen, annotator 0, or the best-agreeing annotator."""
    if reference is not None:
        return reference, f"annotator {reference}, as chosen"
    if anchor == 0:
        return 0, "annotator 0 (the reference annotator of the data)"
    best, kappa = consensus_annotator(pairwise)
    return best, (
        f"annotator {best}, chosen because no annotator 0 was given: of annotators "
        f"{', '.join(map(str, annotators))} it agrees best with all the others (mean Cohen's "
        f"kappa {kappa:.2f} over its pairs and behaviours)"
    )


def video_rates(sequences: Dataset | None, ids: tuple[str, ...]) -> dict[str, float]:
    """Frames per second of each video: its own rate where the data carry one, else FPS."""
    rates = {}
    for sid in ids:
        own = (
            None
            if sequences is None or sid not in sequences
            else getattr(sequences[sid], "fps", None)
        )
        rates[sid] = float(own) if own else float(FPS)
    return rates


def checked_poses(
    sequences: Dataset, ids: tuple[str, ...], labels: dict[str, np.ndarray]
) -> Dataset:
    missing = [i for i in ids if i not in sequences]
    if missing:
        raise DataFormatError(
            f"no poses for sequence {missing[0]!r}; give the poses of every compared video"
        )
    chosen = sequences.select(ids)
    for seq in chosen:
        if seq.n_frames != len(labels[seq.id]):
            raise DataFormatError(
                f"sequence {seq.id!r}: {seq.n_frames} frames of poses but "
                f"{len(labels[seq.id])} labels; give the poses the labels were made on"
            )
    return chosen
