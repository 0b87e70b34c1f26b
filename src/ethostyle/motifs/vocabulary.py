"""The motif vocabulary: sub-behaviours found without labels in the windowed pose features.

:meth:`MotifVocabulary.fit` standardises the windowed pose features of every frame it
is given (every annotator's labelled videos and the unlabelled ones), reduces them to
:data:`MOTIF_DIMENSIONS` principal components (scikit-learn's PCA) and fits diagonal
Gaussian mixtures (scikit-learn's ``GaussianMixture``) with each number of motifs in
:data:`MOTIF_CANDIDATES` that leave at least :data:`MIN_FRAMES_PER_MOTIF` frames per
motif. The number kept is the one with the lowest BIC on
:data:`BIC_FRAMES` frames drawn at random: consecutive frames are far from
independent, and on every frame BIC would keep growing the mixture to the largest
candidate (on the simulated worlds the minimum lies inside the range, near 48). The
mixture with that number is then refined on up to :data:`FIT_FRAMES` frames.
With ``groups`` (for example the reference annotator's label of each frame), the
motifs are found within each group instead, each group sized by its own BIC
(:func:`~ethostyle.motifs.mixture.grouped_mixture`), and joined into one mixture
with global ids; each motif keeps its group (:attr:`MotifVocabulary.motif_groups`).

:meth:`MotifVocabulary.assign` gives each frame its most likely motif: one matrix
product for the projection and one for the mixture's log-densities, vectorised
over frames. Everything is kept as plain arrays (:meth:`save` writes one ``.npz``
file beside a JSON configuration; never a pickle).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.concatenate([rng.normal(m, 1.0, (700, 6)) for m in (-4, 0, 4)]).astype(np.float32)
>>> vocab = MotifVocabulary.fit([x], [f"f{i}" for i in range(6)], candidates=(2, 3, 4))
>>> vocab.n_motifs, int(vocab.counts.sum())
(3, 2100)
>>> bool((vocab.assign(x[:5]) == vocab.assign(x[:5])).all())
True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.decomposition import PCA

from ethostyle.atomic import atomic_write_path
from ethostyle.data import VOCABULARY
from ethostyle.errors import DataFormatError
from ethostyle.metrics.labelled import labelled_mask
from ethostyle.motifs.files import read_arrays, read_config
from ethostyle.motifs.mixture import (
    BIC_FRAMES,
    FIT_FRAMES,
    GROUPS,
    MIN_FRAMES_PER_MOTIF,
    Mixture,
    chosen_mixture,
    grouped_mixture,
)
from ethostyle.motifs.words import MEASURES, describe_motif

__all__ = [
    "BIC_FRAMES",
    "FIT_FRAMES",
    "MIN_FRAMES_PER_MOTIF",
    "MOTIF_CANDIDATES",
    "MOTIF_DIMENSIONS",
    "MOTIF_FILE",
    "MOTIF_FORMAT",
    "MotifVocabulary",
]

logger = logging.getLogger(__name__)

#: Numbers of motifs compared by BIC ("a few dozen").
MOTIF_CANDIDATES: tuple[int, ...] = (16, 24, 32, 48, 64)
#: Principal components of the standardised windowed features the motifs live in.
MOTIF_DIMENSIONS = 16
#: The file :meth:`MotifVocabulary.save` writes.
MOTIF_FILE = "motifs.npz"
#: The version of the saved layout (1: no ``groups`` array, every motif found
#: among all frames; 2: each motif's group saved).
MOTIF_FORMAT = 2
_N_CLASSES = len(VOCABULARY)
_N_GROUPS = len(GROUPS)
# The arrays of the .npz file: name -> number of dimensions.
_ARRAYS: dict[str, int] = {
    "mean": 1,
    "scale": 1,
    "components": 2,
    "centres": 2,
    "precisions": 2,
    "log_weights": 1,
    "counts": 1,
    "profile": 2,
    "overall": 1,
    "spread": 1,
    "labelled_annotators": 1,
    "label_counts": 3,
}


@dataclass(frozen=True)
class MotifVocabulary:
    """A few dozen sub-behaviours ("motifs") found without labels in the pose features.

    Build one with :meth:`fit`; read one with :meth:`load`. Shapes: ``F`` model
    features, ``D`` principal components, ``M`` motifs, ``P`` describing measures.

    Attributes
    ----------
    mean, scale : numpy.ndarray
        ``(F,)`` float64: each feature's mean and standard deviation (standardising).
    components : numpy.ndarray
        ``(D, F)`` float64: the principal axes of the standardised features.
    centres : numpy.ndarray
        ``(M, D)`` float64: each motif's mean in the principal components.
    precisions : numpy.ndarray
        ``(M, D)`` float64: each motif's inverse variances (a diagonal Gaussian).
    log_weights : numpy.ndarray
        ``(M,)`` float64: log of each motif's share of frames in the mixture.
    counts : numpy.ndarray
        ``(M,)`` int64: frames of all the pose it was fitted on assigned to each motif.
    profile : numpy.ndarray
        ``(M, P)`` float64: the median of each describing measure
        (:data:`~ethostyle.motifs.words.MEASURES`, in px, px/s, cosines) per motif.
    overall, spread : numpy.ndarray
        ``(P,)`` float64: each measure's median and interquartile range over all frames.
    label_counts : mapping of int to numpy.ndarray
        Annotator id to ``(M, 4)`` int64: its labelled frames of each motif in each
        class (:data:`~ethostyle.data.VOCABULARY` order).
    bic : mapping of int to float
        The criterion: each candidate number of motifs to its BIC per frame (motifs
        found on every frame; empty when found within groups).
    groups : numpy.ndarray or None
        ``(M,)`` int64: the group (an index of :data:`~ethostyle.motifs.mixture.GROUPS`)
        each motif was found in, -1 for every frame; None: every motif -1.
    group_bic : mapping of int to mapping of int to float
        Per group, each candidate number of its motifs to its BIC per frame.
    """

    mean: np.ndarray
    scale: np.ndarray
    components: np.ndarray
    centres: np.ndarray
    precisions: np.ndarray
    log_weights: np.ndarray
    counts: np.ndarray
    profile: np.ndarray
    overall: np.ndarray
    spread: np.ndarray
    label_counts: Mapping[int, np.ndarray] = field(default_factory=dict)
    bic: Mapping[int, float] = field(default_factory=dict)
    groups: np.ndarray | None = None
    group_bic: Mapping[int, Mapping[int, float]] = field(default_factory=dict)

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        values: SequenceABC[np.ndarray],
        names: SequenceABC[str],
        *,
        groups: SequenceABC[np.ndarray] | None = None,
        candidates: SequenceABC[int] = MOTIF_CANDIDATES,
        seed: int = 0,
    ) -> MotifVocabulary:
        """Find the motifs of every frame given, without labels (or within groups).

        Parameters
        ----------
        values : sequence of numpy.ndarray
            ``(frames, F)`` windowed pose features (:func:`ethostyle.features.compute_features`),
            one block per source: the labelled videos' table, the unlabelled videos' table.
        names : sequence of str
            The ``F`` feature names (the describing measures are read by name).
        groups : sequence of numpy.ndarray, optional
            One ``(frames,)`` integer array per block: the group of each frame, an
            index of :data:`~ethostyle.motifs.mixture.GROUPS` (the reference
            annotator's label, ``other`` perhaps split by
            :func:`~ethostyle.motifs.mixture.reference_groups`), or -1 for a frame in
            no group (unlabelled pose). When
            given, the motifs are found within each group (:func:`.grouped_mixture`,
            BIC per group over :data:`~.mixture.GROUP_CANDIDATES`); every frame still
            shapes the principal axes, and frames of any group may fall in any motif.
        candidates : sequence of int
            Numbers of motifs compared by BIC (without ``groups``).
        seed : int
            Seed of the frame draws and of the mixtures (the result is deterministic).

        Returns
        -------
        MotifVocabulary
            With ``counts`` over every frame given and no labels yet (:meth:`with_labels`).

        Raises
        ------
        DataFormatError
            When there are fewer frames than twice the largest candidate (or no frame
            in any group), or blocks with other numbers of columns than ``names``.
        """
        kept = [i for i, v in enumerate(values) if len(v)]
        blocks = [np.asarray(values[i]) for i in kept]
        if any(b.ndim != 2 or b.shape[1] != len(names) for b in blocks):
            raise DataFormatError(f"give (frames, {len(names)}) feature blocks, one per source")
        n = sum(len(b) for b in blocks)
        candidates = sorted({int(k) for k in candidates if MIN_FRAMES_PER_MOTIF * int(k) <= n})
        if not candidates:
            raise DataFormatError(
                f"{n} frames are too few to find motifs; give at least a few minutes of pose"
            )
        group = None if groups is None else _groups(groups, values, kept, n)
        rng = np.random.default_rng(seed)
        sample, mean, scale, pca, small_rows = _axes(blocks, n, rng, seed)
        if group is None:
            z = pca.transform((sample - mean) / scale)
            mixture = chosen_mixture(z, z[small_rows], candidates, seed)
        else:
            mixture = _fit_groups(blocks, group, (mean, scale, pca), rng, seed)
        chosen = mixture.centres.shape[0]
        vocab = cls(
            mean=mean,
            scale=scale,
            components=np.asarray(pca.components_, np.float64),
            centres=mixture.centres,
            precisions=mixture.precisions,
            log_weights=mixture.log_weights,
            counts=np.zeros(chosen, np.int64),
            profile=np.zeros((chosen, len(MEASURES))),
            overall=np.zeros(len(MEASURES)),
            spread=np.ones(len(MEASURES)),
            groups=mixture.groups,
            bic={k: v for g, b in mixture.bic.items() if g < 0 for k, v in b.items()},
            group_bic={g: b for g, b in mixture.bic.items() if g >= 0},
        )
        counts = np.sum([np.bincount(vocab.assign(b), minlength=chosen) for b in blocks], 0)
        profile, overall, spread = _profiles(sample, names, vocab.assign(sample), chosen)
        return replace(vocab, counts=counts, profile=profile, overall=overall, spread=spread)

    def with_labels(
        self, motifs: np.ndarray, labels: np.ndarray, annotators: np.ndarray
    ) -> MotifVocabulary:
        """This vocabulary with the labelled frames of some annotators counted per motif.

        Parameters
        ----------
        motifs : numpy.ndarray
            ``(frames,)`` motif of each labelled frame (:meth:`assign`).
        labels : numpy.ndarray
            ``(frames,)`` class of each frame (:data:`~ethostyle.data.VOCABULARY` index);
            frames nobody labelled (:data:`~ethostyle.data.UNLABELLED`) are not counted.
        annotators : numpy.ndarray
            ``(frames,)`` annotator of each frame. An annotator counted before is
            counted again from these frames only.

        Returns
        -------
        MotifVocabulary
        """
        m, y, a = (np.asarray(v, np.int64) for v in (motifs, labels, annotators))
        counts = dict(self.label_counts)
        labelled = labelled_mask(y)
        for who in np.unique(a):
            rows = (a == who) & labelled
            flat = np.bincount(m[rows] * _N_CLASSES + y[rows], minlength=self.n_motifs * _N_CLASSES)
            counts[int(who)] = flat.reshape(self.n_motifs, _N_CLASSES)
        return replace(self, label_counts=dict(sorted(counts.items())))

    # ------------------------------------------------------------------ using
    @property
    def n_motifs(self) -> int:
        """Number of motifs ``M``."""
        return int(self.centres.shape[0])

    def assign(self, values: np.ndarray) -> np.ndarray:
        """The most likely motif of every frame.

        Parameters
        ----------
        values : numpy.ndarray
            ``(frames, F)`` windowed pose features, in the model's feature order.

        Returns
        -------
        numpy.ndarray
            ``(frames,)`` int16 motif ids in ``0 .. M - 1``.
        """
        x = np.asarray(values)
        if x.ndim != 2 or x.shape[1] != self.mean.shape[0]:
            raise DataFormatError(
                f"features of shape {x.shape}; the motifs read ({x.shape[0]}, "
                f"{self.mean.shape[0]}): the model's features"
            )
        # Standardising and projecting is one float32 matrix product; the diagonal
        # Gaussian log-density, expanded, two more (what GaussianMixture.predict
        # computes, kept here so that nothing is pickled).
        axes = (self.components / self.scale).T.astype(np.float32)
        shift = (self.mean / self.scale) @ self.components.T
        z = np.nan_to_num((x.astype(np.float32, copy=False) @ axes) - shift, posinf=0, neginf=0)
        score = (
            -0.5 * (z * z) @ self.precisions.T
            + z @ (self.centres * self.precisions).T
            + self._constant
        )
        return np.argmax(score, axis=1).astype(np.int16)

    @property
    def _constant(self) -> np.ndarray:
        """``(M,)`` the parts of each motif's log-density that do not depend on the frame."""
        return (
            self.log_weights
            + 0.5 * np.log(self.precisions).sum(axis=1)
            - 0.5 * (self.centres**2 * self.precisions).sum(axis=1)
        )

    def label_shares(self, annotator: int) -> np.ndarray:
        """How an annotator labels each motif: shares of its labelled frames per class.

        Parameters
        ----------
        annotator : int
            An annotator in :attr:`label_counts`.

        Returns
        -------
        numpy.ndarray
            ``(M, 4)`` float64; each row sums to 1 (NaN for a motif it never saw).
        """
        counts = self.label_counts[int(annotator)].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return counts / counts.sum(axis=1, keepdims=True)

    @property
    def motif_groups(self) -> np.ndarray:
        """``(M,)`` int64 the group each motif was found in (-1: among every frame)."""
        if self.groups is None:
            return np.full(self.n_motifs, -1, np.int64)
        return np.asarray(self.groups, np.int64)

    def describe(self, motif: int, px_per_cm: float | None = None) -> str:
        """One motif in words a biologist can check, with units.

        Parameters
        ----------
        motif : int
            The motif id.
        px_per_cm : float, optional
            Pixels per centimetre: distances and speeds in cm (else px and body lengths).

        Returns
        -------
        str
            E.g. "resident moving at 25 cm/s (all frames: 4 cm/s); ...", after
            "among the reference's other: " for a motif found within a group.
        """
        if not 0 <= int(motif) < self.n_motifs:
            raise ValueError(f"motif {motif} is not in 0-{self.n_motifs - 1}")
        words = describe_motif(self.profile[int(motif)], self.overall, self.spread, px_per_cm)
        group = int(self.motif_groups[int(motif)])
        return words if group < 0 else f"among the reference's {GROUPS[group]}: {words}"

    def descriptions(self, px_per_cm: float | None = None) -> list[str]:
        """:meth:`describe` of every motif, in id order."""
        return [self.describe(m, px_per_cm) for m in range(self.n_motifs)]

    # ------------------------------------------------------------------ files
    def save(self, directory: str | Path, name: str = MOTIF_FILE) -> dict[str, Any]:
        """Write the arrays to ``directory/name`` (``.npz``); return the JSON configuration.

        Parameters
        ----------
        directory : str or Path
            An existing folder (a model directory being written).
        name : str
            The file name.

        Returns
        -------
        dict
            ``{"file", "n_motifs", "n_features", "measures", "bic", "version",
            "group_bic"}``: plain JSON data :meth:`load` needs back (a model keeps it
            in ``model.json``).
        """
        labelled = sorted(self.label_counts)
        arrays = {k: getattr(self, k) for k in _ARRAYS if hasattr(self, k)}
        arrays["groups"] = self.motif_groups
        arrays["labelled_annotators"] = np.asarray(labelled, np.int64)
        arrays["label_counts"] = np.asarray(
            [self.label_counts[a] for a in labelled], np.int64
        ).reshape(len(labelled), self.n_motifs, _N_CLASSES)
        with atomic_write_path(Path(directory) / name) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        return {
            "file": name,
            "n_motifs": self.n_motifs,
            "n_features": int(self.mean.shape[0]),
            "measures": list(MEASURES),
            "bic": {str(k): v for k, v in self.bic.items()},
            "version": MOTIF_FORMAT,
            "group_bic": {
                GROUPS[g]: {str(k): v for k, v in b.items()} for g, b in self.group_bic.items()
            },
        }

    @classmethod
    def load(cls, path: str | Path, config: object, where: str) -> MotifVocabulary:
        """Read a vocabulary from :meth:`save`'s file and configuration, checking both.

        Parameters
        ----------
        path : str or Path
            The ``.npz`` file.
        config : object
            The parsed JSON that :meth:`save` returned.
        where : str
            Where the configuration was read (``"model.json: motifs"``), for errors.

        Returns
        -------
        MotifVocabulary

        Raises
        ------
        ModelFormatError
            Naming the file (or ``where``) and the field that is missing, malformed
            or of the wrong shape.
        """
        read = read_config(config, where, MEASURES, GROUPS, MOTIF_FORMAT)
        ndims = _ARRAYS | ({"groups": 1} if read.version >= 2 else {})
        a = read_arrays(Path(path), ndims, read.n_motifs, read.n_features, len(MEASURES))
        label_counts = {
            int(who): a["label_counts"][i]
            for i, who in enumerate(a["labelled_annotators"].tolist())
        }
        return cls(
            **{k: a[k] for k in _ARRAYS if k not in ("labelled_annotators", "label_counts")},
            label_counts=label_counts,
            bic=read.bic,
            groups=a["groups"].astype(np.int64) if "groups" in ndims else None,
            group_bic=read.group_bic,
        )


def _axes(
    blocks: list[np.ndarray], n: int, rng: np.random.Generator, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, PCA, np.ndarray]:
    """Frames drawn at random; the features' means and scales; their principal axes
    (found on :data:`BIC_FRAMES` of the drawn frames, whose rows are returned too)."""
    rows = np.sort(rng.choice(n, min(n, FIT_FRAMES), replace=False))
    sample = np.nan_to_num(_rows(blocks, rows), posinf=0.0, neginf=0.0)
    mean = sample.mean(axis=0, dtype=np.float64)
    scale = sample.std(axis=0, dtype=np.float64)
    scale[~(scale > 1e-9)] = 1.0  # a constant column adds nothing
    z_all = (sample - mean) / scale
    small_rows = rng.choice(len(z_all), min(len(z_all), BIC_FRAMES), replace=False)
    dims = min(MOTIF_DIMENSIONS, len(small_rows), z_all.shape[1])
    pca = PCA(n_components=dims, svd_solver="randomized", random_state=seed)
    pca.fit(z_all[small_rows])
    return sample, mean, scale, pca, small_rows


def _groups(
    groups: SequenceABC[np.ndarray], values: SequenceABC[np.ndarray], kept: list[int], n: int
) -> np.ndarray:
    """``(frames,)`` int64 the group of every frame of the non-empty blocks, checked."""
    if len(groups) != len(values) or any(
        np.shape(g) != (len(v),) for g, v in zip(groups, values, strict=False)
    ):
        raise DataFormatError("give one (frames,) group array per block of features")
    group = np.concatenate([np.asarray(groups[i], np.int64) for i in kept])
    group[(group < 0) | (group >= _N_GROUPS)] = -1
    if not (group >= 0).any():
        raise DataFormatError(
            f"none of the {n} frames is in a group; give the reference annotator's labels"
        )
    return group


def _fit_groups(
    blocks: list[np.ndarray],
    group: np.ndarray,
    scaling: tuple[np.ndarray, np.ndarray, PCA],
    rng: np.random.Generator,
    seed: int,
) -> Mixture:
    """:func:`.grouped_mixture` on up to :data:`FIT_FRAMES` frames drawn from each group."""
    mean, scale, pca = scaling
    counts = np.bincount(group[group >= 0], minlength=_N_GROUPS)
    rows = np.sort(
        np.concatenate(
            [
                rng.permutation(np.flatnonzero(group == g))[:FIT_FRAMES]
                for g in range(_N_GROUPS)  # a loop over groups
            ]
        )
    )
    x = np.nan_to_num(_rows(blocks, rows), posinf=0.0, neginf=0.0)
    return grouped_mixture(pca.transform((x - mean) / scale), group[rows], counts, seed)


def _rows(blocks: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    """``(rows, F)`` float64: the given rows of the blocks stacked end to end."""
    offsets = np.cumsum([0, *(len(b) for b in blocks)])
    block = np.searchsorted(offsets, rows, side="right") - 1
    return np.concatenate(
        [blocks[i][rows[block == i] - offsets[i]] for i in range(len(blocks))]
    ).astype(np.float64)


def _profiles(
    sample: np.ndarray, names: SequenceABC[str], motifs: np.ndarray, n_motifs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per motif the median of each describing measure; each measure's median and IQR."""
    index = {n: i for i, n in enumerate(names)}
    have = [j for j, m in enumerate(MEASURES) if m in index]  # measures the features hold
    values = sample[:, [index[MEASURES[j]] for j in have]]
    overall = np.full(len(MEASURES), np.nan)
    spread = np.ones(len(MEASURES))
    profile = np.full((n_motifs, len(MEASURES)), np.nan)
    if have and len(values):
        overall[have] = np.median(values, axis=0)
        q1, q3 = np.percentile(values, [25, 75], axis=0)
        spread[have] = np.where(q3 > q1, q3 - q1, 1.0)
        profile[:, have] = overall[have]  # a motif no sampled frame fell in
        for m in np.unique(motifs):  # a loop over motifs (a few dozen), not frames
            profile[m, have] = np.median(values[motifs == m], axis=0)
    return profile, overall, spread
