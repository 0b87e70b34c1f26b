"""Tests of ``ethostyle.compare.motifs``, the report's motif section and ``ethostyle motifs``:
disagreement explained per motif, the episodes' motifs, and the motif list of a model."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ethostyle.compare import compare_model
from ethostyle.compare.motifs import (
    compare_motifs,
    episode_motifs,
    motif_ids,
    motif_overview,
)
from ethostyle.data import VOCABULARY
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.store import save_model
from ethostyle.report.motifs import motif_section
from support import SMALL_PARAMS, assert_clean_error, assert_success, invoke

INV, OTHER = VOCABULARY.index("investigation"), VOCABULARY.index("other")


@pytest.fixture(scope="module")
def model(tiny) -> StyleTransferModel:
    """A small model with motifs, of annotators 0-2 of the tiny data set (about 6 s; the
    motifs need at least 500 frames each)."""
    return StyleTransferModel(**SMALL_PARAMS, motifs=True, seed=0).fit(tiny.train.filter([0, 1, 2]))


@pytest.fixture(scope="module")
def model_dir(model, tmp_path_factory) -> Path:
    return save_model(model, tmp_path_factory.mktemp("motif-model") / "model")


def planted() -> tuple[dict[int, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Two videos of 4 motifs; annotator 1 calls motif 2 investigation where the reference
    says other, and agrees elsewhere; annotator 2 labels as the reference."""
    ids = {"a": np.repeat([0, 1, 2, 3], 50), "b": np.repeat([2, 3, 0, 1], 40)}
    reference = {v: np.where(m == 1, INV, OTHER).astype(np.int8) for v, m in ids.items()}
    planted = {v: np.where(m == 2, INV, reference[v]).astype(np.int8) for v, m in ids.items()}
    return {0: reference, 1: planted, 2: dict(reference)}, ids


def test_the_motif_an_annotator_labels_differently_leads_the_ranking() -> None:
    labels, ids = planted()
    found = compare_motifs(labels, ids, [f"motif {m}" for m in range(4)], reference=0)
    first = found.ranking.iloc[0]
    assert (first["motif"], first["annotator"], first["behavior"]) == (2, 1, "investigation")
    assert first["annotator_share"] == 1.0 and first["reference_share"] == 0.0
    assert first["disagreement"] == 1.0 and first["frames"] == 90
    assert found.top(5)["motif"].tolist() == [2]  # the others are labelled alike
    # The snapshot frame lies in motif 2, where annotator 1 and the reference disagree.
    assert ids[first["video"]][first["frame"]] == 2
    assert "annotator 1 calls 100% of its frames investigation" in first["sentence"]
    shares = found.shares.set_index(["motif", "annotator"])
    assert shares.loc[(2, 1), "investigation"] == 1.0
    assert shares.loc[(2, 2), "other"] == 1.0
    assert np.allclose(found.shares[list(VOCABULARY)].sum(axis=1), 1.0)


def test_episodes_get_the_motif_most_of_their_frames_fall_in() -> None:
    _, ids = planted()
    episodes = pd.DataFrame(
        {"video": ["a", "b", "a"], "start_frame": [90, 0, 0], "end_frame": [120, 40, 10]}
    )
    out = episode_motifs(episodes, ids)
    assert out["motif"].tolist() == [2, 2, 0]
    assert out["motif_share"].tolist() == pytest.approx([20 / 30, 1.0, 1.0])


def test_compare_through_a_model_explains_disagreement_per_motif(model, tiny, tmp_path) -> None:
    videos = tiny.shared[0].without_labels()
    comparison = compare_model(model, videos)
    found = comparison.motifs
    assert found is not None and set(found.ids) == set(videos.ids)
    assert np.array_equal(found.ids[videos.ids[0]], motif_ids(model, videos)[videos.ids[0]])
    assert {"motif", "motif_share"} <= set(comparison.episodes.columns)
    assert len(found.ranking) == model.motifs_.n_motifs
    paths: dict[str, Path] = {}
    section = motif_section(comparison, tmp_path, paths)
    table = pd.read_csv(paths["motifs"])
    assert set(table["annotator"]) == {0, 1, 2} and table["motif"].nunique() == len(found.ranking)
    # The page leads with the most disputed motif (annotator 1 starts attacks early), with
    # a snapshot and its sentence.
    assert not found.top(6).empty and "motifs_figure" in paths
    assert html.escape(found.top(1)["sentence"].iloc[0]) in section[0]


def test_the_motifs_command_lists_every_motif_with_each_annotators_labels(
    model, model_dir, tmp_path
) -> None:
    csv = tmp_path / "motifs.csv"
    output = assert_success(invoke("motifs", model_dir, "--csv", csv))
    assert f"{model.motifs_.n_motifs} motifs" in output
    table, expected = pd.read_csv(csv), motif_overview(model.motifs_)
    assert table["description"].tolist() == expected["description"].tolist()
    shares = ["annotator0_other", "annotator1_attack"]
    assert np.allclose(table[shares].fillna(-1), expected[shares].fillna(-1), rtol=1e-5)
    assert {"annotator0_investigation", "annotator1_frames"} <= set(table.columns)
    assert (table["annotator0_frames"] + table["annotator1_frames"] <= table["frames"]).all()


def test_a_model_without_motifs_gets_a_clear_error(model_dir, tmp_path) -> None:
    older = Path(shutil.copytree(model_dir, tmp_path / "older"))
    manifest = older / "model.json"
    config = json.loads(manifest.read_text())
    # What a model saved before motifs holds: no vocabulary, no motif edits.
    del config["config"]["motifs"]
    for style in config["config"]["styles"].values():
        edits = style["program"]["edits"]
        style["program"]["edits"] = [e for e in edits if "motif" not in e["kind"]]
    manifest.write_text(json.dumps(config))
    assert_clean_error(invoke("motifs", older), "has no motifs", "train it again")
