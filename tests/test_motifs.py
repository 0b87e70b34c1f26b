"""The motif vocabulary: found without labels, deterministic, described with units, and
kept in plain files whose damage is named (``ethostyle.motifs``)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ethostyle.errors import ModelFormatError
from ethostyle.features import FeatureTable, compute_features
from ethostyle.models.store import load_model, save_model
from ethostyle.motifs import MOTIF_FILE, MotifVocabulary
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
    more = MotifVocabulary.fit([table.values, table.values[:5000]], table.names, seed=0)
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
