"""The Gaussian mixtures behind a motif vocabulary, and their size chosen by BIC.

Two layouts, both one diagonal Gaussian mixture in the principal components at the
end (so that a frame's motif is one vectorised argmax of log-densities, from the
pose features alone, at any time):

- :func:`chosen_mixture`: one mixture over every frame, its number of motifs the
  candidate with the lowest BIC;
- :func:`grouped_mixture`: one mixture per group of frames (the reference's
  behaviours, ``other`` included), each with its own number of motifs chosen by
  BIC within the group, joined into one mixture whose weights are each group's
  share of frames times the motif's share within its group. A sub-behaviour that
  the reference folds into ``other`` (following, rearing) is then a motif of the
  ``other`` mixture of its own, instead of being spread over motifs that the big
  behaviours' frames dominate.

BIC is computed on at most :data:`BIC_FRAMES` frames drawn at random: consecutive
frames are far from independent, and on every frame BIC would keep growing the
mixture to the largest candidate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass

import numpy as np
from sklearn.mixture import GaussianMixture

from ethostyle.data import OTHER, VOCABULARY

__all__ = [
    "BIC_FRAMES",
    "FIT_FRAMES",
    "GROUPS",
    "GROUP_CANDIDATES",
    "MIN_FRAMES_PER_MOTIF",
    "NEAR_OTHER",
    "Mixture",
    "chosen_mixture",
    "grouped_mixture",
    "reference_groups",
]

logger = logging.getLogger(__name__)

#: Fewest frames of pose per motif on average (17 s at 30 Hz): a candidate number of
#: motifs is compared only when the frames given hold that many for each.
MIN_FRAMES_PER_MOTIF = 500
#: Frames (drawn at random) on which BIC compares the candidate numbers of motifs.
BIC_FRAMES = 4000
#: Most frames (drawn at random) the chosen mixture is fitted on.
FIT_FRAMES = 10000
#: Numbers of motifs compared by BIC within one group of frames.
GROUP_CANDIDATES: tuple[int, ...] = (2, 4, 8, 12, 16, 24)


#: The groups motifs may be found in: the classes, and ``other`` near a bout of a behaviour
#: (:func:`reference_groups`).
GROUPS: tuple[str, ...] = (*VOCABULARY, "other near a bout")
#: The group of ``other`` frames near a bout.
NEAR_OTHER = len(VOCABULARY)


def reference_groups(labels: np.ndarray, seg_start: np.ndarray, window: int) -> np.ndarray:
    """Each frame's group: its label, with ``other`` within ``window`` frames of a behaviour
    (in the same video) as :data:`NEAR_OTHER`.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(frames,)`` the reference's labels (-1: no label, no group).
    seg_start : numpy.ndarray
        ``(frames,)`` bool, True at each video's first frame.
    window : int
        Frames; 0 keeps ``other`` one group.

    Returns
    -------
    numpy.ndarray
        ``(frames,)`` int64 groups (indices of :data:`GROUPS`, or -1).

    Examples
    --------
    >>> y = np.array([3, 3, 3, 0, 3, 3, 3, 3])
    >>> reference_groups(y, np.array([1, 0, 0, 0, 0, 0, 1, 0], bool), 2).tolist()
    [3, 4, 4, 0, 4, 4, 3, 3]
    """
    out = np.asarray(labels, np.int64).copy()
    n = out.size
    behaviour = (out >= 0) & (out != OTHER)
    idx = np.arange(n)
    video = np.cumsum(seg_start) - 1
    # The nearest behaviour frame before and after each frame, in the same video.
    last = np.maximum.accumulate(np.where(behaviour, idx, -1))
    after = np.minimum.accumulate(np.where(behaviour, idx, n)[::-1])[::-1]
    close = (last >= 0) & (idx - last <= window) & (video[np.maximum(last, 0)] == video)
    close |= (after < n) & (after - idx <= window) & (video[np.minimum(after, n - 1)] == video)
    out[(out == OTHER) & close & (window > 0)] = NEAR_OTHER
    return out


@dataclass(frozen=True)
class Mixture:
    """A diagonal Gaussian mixture as plain arrays, each motif tagged with its group.

    Attributes
    ----------
    centres, precisions : numpy.ndarray
        ``(M, D)`` float64 means and inverse variances.
    log_weights : numpy.ndarray
        ``(M,)`` float64 log mixture weights (they sum to 1 over all motifs).
    groups : numpy.ndarray
        ``(M,)`` int64 the group each motif was found in (-1: every frame).
    bic : dict of int to dict of int to float
        Per group (-1: every frame) each candidate number of motifs to its BIC per frame.
    """

    centres: np.ndarray
    precisions: np.ndarray
    log_weights: np.ndarray
    groups: np.ndarray
    bic: dict[int, dict[int, float]]


def chosen_mixture(
    z: np.ndarray, small: np.ndarray, candidates: SequenceABC[int], seed: int
) -> Mixture:
    """The mixture of every frame whose size has the lowest BIC on ``small``, refined on ``z``.

    Parameters
    ----------
    z : numpy.ndarray
        ``(frames, D)`` the frames it is refined on.
    small : numpy.ndarray
        ``(frames, D)`` the frames BIC compares the candidates on.
    candidates : sequence of int
        Numbers of motifs compared (at least one).
    seed : int
        Seed of the mixtures.

    Returns
    -------
    Mixture
        Every motif in group -1.
    """
    gmm, bic = _best(z, small, candidates, seed)
    return Mixture(
        centres=np.asarray(gmm.means_, np.float64),
        precisions=np.asarray(gmm.precisions_, np.float64),
        log_weights=np.log(np.asarray(gmm.weights_, np.float64)),
        groups=np.full(gmm.n_components, -1, np.int64),
        bic={-1: bic},
    )


def grouped_mixture(z: np.ndarray, group: np.ndarray, counts: np.ndarray, seed: int) -> Mixture:
    """One mixture per group of frames, each sized by BIC, joined into one mixture.

    Parameters
    ----------
    z : numpy.ndarray
        ``(frames, D)`` frames drawn at random from the grouped frames.
    group : numpy.ndarray
        ``(frames,)`` each drawn frame's group (``0 .. G - 1``).
    counts : numpy.ndarray
        ``(G,)`` each group's number of frames in all the pose (its weight, and the
        cap on its number of motifs: :data:`MIN_FRAMES_PER_MOTIF` frames each).
    seed : int
        Seed of the frame draws and the mixtures.

    Returns
    -------
    Mixture
        The groups' motifs in group order. A group with too few frames for two
        motifs is one motif; a group with no frame drawn has none.
    """
    rng = np.random.default_rng(seed)
    share = counts / max(int(counts.sum()), 1)
    parts: list[Mixture] = []
    for g in range(len(counts)):  # a loop over groups (a handful)
        rows = np.flatnonzero(group == g)
        if rows.size < 2:
            continue
        fit_rows = rng.permutation(rows)[:FIT_FRAMES]
        candidates = [k for k in GROUP_CANDIDATES if MIN_FRAMES_PER_MOTIF * k <= counts[g]]
        candidates = [k for k in candidates if 2 * k <= fit_rows.size] or [1]
        part = chosen_mixture(z[fit_rows], z[fit_rows[:BIC_FRAMES]], candidates, seed)
        parts.append(
            Mixture(
                centres=part.centres,
                precisions=part.precisions,
                log_weights=part.log_weights + np.log(share[g]),
                groups=np.full(part.centres.shape[0], g, np.int64),
                bic={g: part.bic[-1]},
            )
        )
    return Mixture(
        centres=np.concatenate([p.centres for p in parts]),
        precisions=np.concatenate([p.precisions for p in parts]),
        log_weights=np.concatenate([p.log_weights for p in parts]),
        groups=np.concatenate([p.groups for p in parts]),
        bic={g: b for p in parts for g, b in p.bic.items()},
    )


def _best(
    z: np.ndarray, small: np.ndarray, candidates: SequenceABC[int], seed: int
) -> tuple[GaussianMixture, dict[int, float]]:
    """The mixture whose size has the lowest BIC on ``small``, refined on ``z``; the BICs."""
    mixtures = {k: _mixture(k, seed, 1e-2).fit(small) for k in candidates}
    bic = {int(k): float(g.bic(small) / len(small)) for k, g in mixtures.items()}
    chosen = min(bic, key=bic.__getitem__)
    logger.info("motifs: %d chosen by BIC per frame %s", chosen, bic)
    first = mixtures[chosen]  # refined on every sampled frame, from where it stopped
    gmm = _mixture(chosen, seed)
    gmm.set_params(
        weights_init=first.weights_, means_init=first.means_, precisions_init=first.precisions_
    )
    return gmm.fit(z), bic


def _mixture(k: int, seed: int, tol: float = 1e-3) -> GaussianMixture:
    """The Gaussian mixture of ``k`` motifs (diagonal covariances: cheap and stable)."""
    return GaussianMixture(
        n_components=k,
        covariance_type="diag",
        reg_covar=1e-3,
        tol=tol,
        max_iter=100,
        init_params="k-means++",
        random_state=seed,
    )
