"""Motifs found within each of the reference's behaviours (``ethostyle.motifs.mixture``),
their files, and the motif edits' penalty scaled by the bouts they rest on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ethostyle.errors import ModelFormatError
from ethostyle.models.program.motif_search import motif_options
from ethostyle.models.program.selection import (
    EVIDENCE_SCALE_TRIED,
    Candidate,
    required_gain,
)
from ethostyle.motifs import MEASURES, MOTIF_FILE, MotifVocabulary
from ethostyle.motifs.mixture import NEAR_OTHER, reference_groups

_NAMES = list(MEASURES[:6])


@pytest.fixture(scope="module")
def world() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames of investigation (two kinds) and of other, with a rare sub-behaviour of other.

    Returns the features, each frame's group (the reference's label) and a mask of
    the rare sub-behaviour (4 % of the frames, inside ``other``).
    """
    rng = np.random.default_rng(3)
    centres = {"inv_a": (-6, 0), "inv_b": (-6, 6), "other": (6, 0), "rare": (6, 3.5)}
    sizes = {"inv_a": 3000, "inv_b": 3000, "other": 6000, "rare": 500}
    blocks, groups = [], []
    for name, (a, b) in centres.items():
        x = rng.normal(0.0, 1.0, (sizes[name], len(_NAMES)))
        x[:, 0] += a
        x[:, 1] += b
        blocks.append(x)
        groups.append(np.full(sizes[name], 1 if name.startswith("inv") else 3))
    rare = np.concatenate([np.full(sizes[n], n == "rare") for n in centres])
    return np.concatenate(blocks).astype(np.float32), np.concatenate(groups), rare


@pytest.fixture(scope="module")
def grouped(world) -> MotifVocabulary:
    x, group, _ = world
    return MotifVocabulary.fit([x], _NAMES, groups=[group], seed=0)


def test_motifs_are_found_within_each_reference_behaviour_and_tagged_with_it(
    world, grouped
) -> None:
    x, _, rare = world
    groups = grouped.motif_groups
    assert set(groups.tolist()) == {1, 3}  # no attack or mount frames: no such motifs
    # Each group's number of motifs is its candidate with the lowest BIC.
    for g, bic in grouped.group_bic.items():
        assert (groups == g).sum() == min(bic, key=bic.__getitem__)
    assert grouped.bic == {}
    # Assigned from the features alone, deterministically, with global ids.
    motifs = grouped.assign(x)
    np.testing.assert_array_equal(motifs, grouped.assign(x))
    assert motifs.max() < grouped.n_motifs and grouped.counts.sum() == len(x)
    # The rare sub-behaviour of other is mostly one motif of other's, mostly its own.
    top = np.bincount(motifs[rare], minlength=grouped.n_motifs).argmax()
    assert groups[top] == 3
    assert (motifs[rare] == top).mean() > 0.7 and rare[motifs == top].mean() > 0.7
    assert grouped.describe(int(top)).startswith("among the reference's other: resident")
    assert grouped.describe(int(np.flatnonzero(groups == 1)[0])).startswith(
        "among the reference's investigation: "
    )


def test_a_grouped_vocabulary_round_trips_and_old_files_still_load(
    world, grouped, tmp_path: Path
) -> None:
    x = world[0]
    config = json.loads(json.dumps(grouped.save(tmp_path)))
    assert config["version"] == 2 and set(config["group_bic"]) == {"investigation", "other"}
    path = tmp_path / MOTIF_FILE
    loaded = MotifVocabulary.load(path, config, "model.json: motifs")
    np.testing.assert_array_equal(loaded.motif_groups, grouped.motif_groups)
    np.testing.assert_array_equal(loaded.assign(x), grouped.assign(x))
    assert loaded.group_bic == grouped.group_bic
    # A file of the first layout (no version, no groups): every motif among all frames.
    old = {k: v for k, v in config.items() if k not in ("version", "group_bic")}
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "groups"}
    np.savez(path, **arrays)
    first = MotifVocabulary.load(path, old, "model.json: motifs")
    assert (first.motif_groups == -1).all() and first.n_motifs == grouped.n_motifs
    # A newer layout, or a damaged groups field, is refused by name.
    with pytest.raises(ModelFormatError, match=r"motifs.version is 3: .* newer ethostyle"):
        MotifVocabulary.load(path, {**config, "version": 3}, "model.json: motifs")
    with pytest.raises(ModelFormatError, match="field 'groups' is missing"):
        MotifVocabulary.load(path, config, "model.json: motifs")
    np.savez(path, **arrays, groups=np.full(grouped.n_motifs, 7))
    with pytest.raises(ModelFormatError, match="field 'groups' must hold group numbers 0-4"):
        MotifVocabulary.load(path, config, "model.json: motifs")


def test_a_motif_edit_resting_on_few_bouts_must_gain_more() -> None:
    # Two videos, three runs of other (two in the first); motif 1 lies in all three,
    # motif 0 in two, motif 2 in one.
    labels = np.array([3, 3, 1, 3, 3, 1, 3, 3, 3, 3])
    motifs = np.array([1, 0, 0, 1, 2, 0, 1, 0, 1, 0])
    seg_start = np.zeros(10, bool)
    seg_start[[0, 6]] = True
    base = np.zeros((2, 4, 4))
    found = motif_options(
        [(3, 1, 0)],
        labels,
        motifs,
        labels,
        (np.arange(10) >= 6).astype(int),
        None,
        base,
        seg_start,
    )
    bouts = {m: b.size for (_, m), b in zip(found.options, found.bouts, strict=True)}
    assert bouts == {0: 2, 1: 3, 2: 1}
    # Scaled, the penalty grows as the bouts shrink, within its limits; other kinds keep
    # it, and by default (the scaling off) every edit does.
    tried = EVIDENCE_SCALE_TRIED
    needs = [
        required_gain(Candidate(0.0, None, np.zeros(2), (), n), 0.008, tried) for n in (1, 10, 90)
    ]
    assert needs == pytest.approx([0.016, 0.008, 0.004])
    assert required_gain(Candidate(0.0, None, np.zeros(2)), 0.008, tried) == 0.008
    assert required_gain(Candidate(0.0, None, np.zeros(2), (), 1), 0.008) == 0.008


def test_other_near_a_bout_can_be_a_group_of_its_own(world, tmp_path: Path) -> None:
    x, group, rare = world
    seg_start = np.zeros(len(group), bool)
    seg_start[0] = True
    # The rare sub-behaviour sits next to investigation frames: within the window.
    labels = np.concatenate([group[~rare], group[rare]])
    order = np.concatenate([np.flatnonzero(~rare), np.flatnonzero(rare)])
    labels[len(labels) - rare.sum() - 1] = 1
    groups = reference_groups(labels, seg_start, 600)
    assert (groups[-rare.sum() :] == NEAR_OTHER).all() and (groups == 3).any()
    vocab = MotifVocabulary.fit([x[order]], _NAMES, groups=[groups], seed=0)
    assert NEAR_OTHER in vocab.motif_groups
    near = int(np.flatnonzero(vocab.motif_groups == NEAR_OTHER)[0])
    assert vocab.describe(near).startswith("among the reference's other near a bout: ")
    config = json.loads(json.dumps(vocab.save(tmp_path)))
    assert "other near a bout" in config["group_bic"]
    loaded = MotifVocabulary.load(tmp_path / MOTIF_FILE, config, "model.json: motifs")
    np.testing.assert_array_equal(loaded.motif_groups, vocab.motif_groups)
