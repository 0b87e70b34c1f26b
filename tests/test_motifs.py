"""The motif vocabulary: found without labels, deterministic, described with units, and
kept in plain files whose damage is named (``ethostyle.motifs``)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ethostyle.data import Sequence
from ethostyle.errors import DataFormatError, ModelFormatError
from ethostyle.features import FeatureTable, compute_features, sequence_features
from ethostyle.models.program import Edit, StyleProgram, Video, fit_program
from ethostyle.models.store import load_model, save_model
from ethostyle.motifs import MOTIF_FILE, MotifVocabulary
from ethostyle.simulate import (
    STYLES,
    BehaviourParams,
    SubBehaviourParams,
    label_with_style,
    simulate_world,
)
from support import small_model


@pytest.fixture(scope="module")
def table(tiny) -> FeatureTable:
    return compute_features(tiny.train)


@pytest.fixture(scope="module")
def vocab(table, tiny) -> MotifVocabulary:
    fitted = MotifVocabulary.fit([table.values], table.names, seed=0)
    labels = np.concatenate([s.labels for s in tiny.train])
    return fitted.with_labels(fitted.assign(table.values), labels, table.annotators)


def _same(a: MotifVocabulary, b: MotifVocabulary) -> None:
    for name in ("mean", "scale", "components", "centres", "precisions", "counts", "profile"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.label_counts.keys() == b.label_counts.keys()
    for who in a.label_counts:
        np.testing.assert_array_equal(a.label_counts[who], b.label_counts[who])


def test_motifs_are_found_without_labels_deterministically(vocab, table) -> None:
    again = MotifVocabulary.fit([table.values], table.names, seed=0)
    np.testing.assert_array_equal(vocab.centres, again.centres)
    np.testing.assert_array_equal(vocab.assign(table.values), again.assign(table.values))
    # The number of motifs is the candidate with the lowest BIC, and every frame counts.
    assert vocab.n_motifs == min(vocab.bic, key=vocab.bic.__getitem__)
    assert vocab.counts.sum() == table.n_frames
    # Unlabelled pose counts too: a second block adds its frames.
    more = MotifVocabulary.fit(
        [table.values, table.values[:5000]], table.names, candidates=(16,), seed=0
    )
    assert more.counts.sum() == table.n_frames + 5000


def test_each_annotator_s_labelled_frames_are_counted_per_motif(vocab, tiny) -> None:
    for annotator in tiny.train.annotators:
        frames = sum(s.n_frames for s in tiny.train if s.annotator_id == annotator)
        assert vocab.label_counts[annotator].sum() == frames
        shares = vocab.label_shares(annotator)
        seen = vocab.label_counts[annotator].sum(axis=1) > 0
        np.testing.assert_allclose(shares[seen].sum(axis=1), 1.0)
    # The mount motif of the reference: a motif whose frames it mostly calls mount.
    assert (vocab.label_shares(0)[:, 2] > 0.8).any()


def test_a_motif_is_described_in_units_against_all_frames(vocab) -> None:
    words = vocab.describe(0)
    assert words.startswith("resident moving at") and "px/s (all frames: " in words
    assert "cm/s (all frames: " in vocab.describe(0, px_per_cm=10.0)
    assert len(vocab.descriptions()) == vocab.n_motifs
    with pytest.raises(ValueError, match="not in 0-"):
        vocab.describe(vocab.n_motifs)


def test_a_vocabulary_round_trips_through_its_files(vocab, table, tmp_path: Path) -> None:
    config = json.loads(json.dumps(vocab.save(tmp_path)))
    loaded = MotifVocabulary.load(tmp_path / MOTIF_FILE, config, "model.json: motifs")
    _same(vocab, loaded)
    np.testing.assert_array_equal(loaded.assign(table.values), vocab.assign(table.values))
    assert loaded.descriptions(px_per_cm=8.0) == vocab.descriptions(px_per_cm=8.0)
    assert loaded.bic == vocab.bic


def _rewrite(path: Path, **changes: np.ndarray | None) -> None:
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    for name, value in changes.items():
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ({"centres": None}, "field 'centres' is missing"),
        ({"precisions": np.ones((3, 2))}, "field 'precisions' has shape (3, 2)"),
        ({"scale": np.full(612, np.nan)}, "field 'scale' holds non-finite values"),
        ({"counts": np.array(["a"])}, "field 'counts'"),
    ],
)
def test_a_damaged_motif_file_names_the_file_and_the_field(
    vocab, tmp_path: Path, damage, message
) -> None:
    config = vocab.save(tmp_path)
    _rewrite(tmp_path / MOTIF_FILE, **damage)
    with pytest.raises(ModelFormatError) as err:
        MotifVocabulary.load(tmp_path / MOTIF_FILE, config, "model.json: motifs")
    assert str(err.value).startswith(str(tmp_path / MOTIF_FILE))
    assert message in str(err.value) and "retrain" in str(err.value)


def test_a_truncated_motif_file_or_a_bad_configuration_is_named(vocab, tmp_path: Path) -> None:
    config = vocab.save(tmp_path)
    path = tmp_path / MOTIF_FILE
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelFormatError, match="not a readable motif file"):
        MotifVocabulary.load(path, config, "model.json: motifs")
    vocab.save(tmp_path)
    with pytest.raises(ModelFormatError, match=r"model.json: motifs.n_motifs must be"):
        MotifVocabulary.load(path, {**config, "n_motifs": "many"}, "model.json: motifs")
    with pytest.raises(ModelFormatError, match="field 'centres' has shape"):
        MotifVocabulary.load(path, {**config, "n_motifs": config["n_motifs"] + 1}, "m")
    assert zipfile.is_zipfile(path)  # saved as a plain .npz: arrays, no pickle


def test_a_model_keeps_its_motifs_through_the_model_store(tmp_path: Path) -> None:
    model = small_model()
    assert model.motifs_ is not None and model.motifs_.label_counts.keys() >= {0, 1}
    save_model(model, tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "model.json").read_text())
    assert (tmp_path / "m" / manifest["config"]["motifs"]["file"]).is_file()
    _same(model.motifs_, load_model(tmp_path / "m").motifs_)


# ------------------------------------------------------------------ motif edits
def _videos(tiny, vocab, table, relabel=None) -> list[Video]:
    """Two videos of annotator 1; its labels, with motif ``relabel[0]``'s
    investigation frames called ``relabel[1]`` when given; the 'reference' scores are
    the labels themselves (a reference that labels as the annotator otherwise does)."""
    videos = []
    for seq in [s for s in tiny.train if s.annotator_id == 1][:2]:
        x = table.values[table.rows(seq.id)]
        motifs = vocab.assign(x)
        y = seq.labels.astype(np.int64)
        proba = np.eye(4)[y] * 0.8 + 0.05
        if relabel is not None:
            y = np.where((motifs == relabel[0]) & (y == 1), relabel[1], y)
        videos.append(Video(proba, x, y, motifs=motifs))
    return videos


def test_a_style_that_relabels_one_motif_is_recovered_from_two_videos(tiny, vocab, table) -> None:
    # The motif whose frames annotator 1 most often calls investigation.
    motif = int(np.argmax(vocab.label_counts[1][:, 1]))
    videos = _videos(tiny, vocab, table, relabel=(motif, 0))
    program = fit_program(videos, table.names, motif_descriptions=vocab.descriptions())
    [edit] = program.own_edits
    assert (edit.kind, edit.behavior_name, edit.motif) == ("relabel_motif", "investigation", motif)
    assert edit.to_behavior == 0 and edit.gain > 0.05
    assert edit.motif_description == vocab.describe(motif)
    for v in videos:  # it labels exactly as the annotator does
        labels = program.apply(v.proba, v.features, table.names, motifs=v.motifs)
        np.testing.assert_array_equal(labels, v.labels)
    # Without the motifs given, the program cannot label.
    with pytest.raises(DataFormatError, match="give the motif of every frame"):
        program.apply(videos[0].proba, videos[0].features, table.names)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_annotator_labelling_as_the_reference_gets_no_motif_edit(
    tiny, vocab, table, seed
) -> None:
    # The annotator labels as the reference does, with its own lapses: 5% of the frames,
    # in runs of 10, get a random label.
    rng = np.random.default_rng(seed)
    videos = []
    for v in _videos(tiny, vocab, table):
        runs = np.repeat(rng.random(len(v.labels) // 10 + 1) < 0.05, 10)[: len(v.labels)]
        lapses = np.repeat(rng.integers(0, 4, len(v.labels) // 10 + 1), 10)[: len(v.labels)]
        videos.append(replace(v, labels=np.where(runs, lapses, v.labels)))
    program = fit_program(videos, table.names, motif_descriptions=vocab.descriptions())
    assert [e for e in program.own_edits if e.motif is not None] == []


def test_include_motif_adds_only_within_its_window_of_the_behaviour() -> None:
    proba = np.array([[0.9, 0.0, 0.0, 0.1]] * 2 + [[0.0, 0.0, 0.0, 1.0]] * 6)
    motifs = np.array([0, 0, 5, 5, 5, 5, 0, 5])
    near = StyleProgram(edits=(Edit("include_motif", "attack", motif=5, frames=2),))
    anywhere = StyleProgram(edits=(Edit("include_motif", "attack", motif=5, frames=0),))
    assert near.apply(proba, motifs=motifs).tolist() == [0, 0, 0, 0, 3, 3, 3, 3]
    assert anywhere.apply(proba, motifs=motifs).tolist() == [0, 0, 0, 0, 0, 0, 3, 0]


@pytest.fixture(scope="module")
def sub_world() -> tuple[list, list[np.ndarray], list[str], MotifVocabulary]:
    """Four 4-minute videos with the simulator's sub-behaviours, the intruder's upright
    defence often; motifs learned from all of their pose, without labels."""
    params = BehaviourParams(
        attack_after_investigation=0.3,
        sub_behaviours=SubBehaviourParams(upright_probability=0.8),
    )
    worlds = [simulate_world(7200, seed=s, params=params) for s in range(4)]
    features = []
    for i, w in enumerate(worlds):
        x, names = sequence_features(Sequence(id=f"v{i}", keypoints=w.keypoints, annotator_id=0))
        features.append(x)
    return worlds, features, names, MotifVocabulary.fit(features, names, seed=0)


@pytest.mark.parametrize(
    ("sub", "label", "behavior"),
    [("upright", "other", "attack"), ("allogroom", "other", "investigation")],
)
def test_a_sub_behaviour_style_is_recovered_as_an_edit_of_its_behaviour(
    sub_world, sub, label, behavior
) -> None:
    # Two videos of an annotator who labels as the reference but for one sub-behaviour;
    # the "reference" scores are the reference annotator's labels of the same videos.
    worlds, features, names, vocab = sub_world
    style = STYLES[0].replace(sub_behaviour_labels={sub: label})
    videos = [
        Video(
            np.eye(4)[label_with_style(w, STYLES[0], seed=1)] * 0.8 + 0.05,
            x,
            label_with_style(w, style, seed=1),
            motifs=vocab.assign(x),
        )
        for w, x in zip(worlds[:2], features[:2], strict=True)
    ]
    program = fit_program(videos, names, motif_descriptions=vocab.descriptions())
    kinds = [(e.kind, e.behavior_name) for e in program.own_edits]
    assert kinds and kinds[0][1] == behavior, kinds
    assert kinds[0][0] in ("exclude_motif", "relabel_motif", "exclude_when"), kinds
