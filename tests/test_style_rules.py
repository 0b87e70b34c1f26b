"""Styles learned as rules by the whole model, from two videos per annotator.

``ethostyle.simulate.simulate_rules`` gives annotators with exactly one known rule each
(and annotator 7, who labels exactly as the reference). The boosted model is trained
with its residual switched off (no behaviour has enough bouts to earn one), so what it
learns of each style is its style program.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ethostyle.data import Dataset
from ethostyle.errors import ModelFormatError
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.store import load_model, save_model
from ethostyle.simulate import rule_truth, simulate_rules
from support import run

pytestmark = pytest.mark.slow

PROGRAM_ONLY = {"reference_params": {"n_estimators": 60}, "min_bouts_for_evidence": 10**6}


@pytest.fixture(scope="module")
def rules_data() -> Dataset:
    return simulate_rules(seed=0).train


@pytest.fixture(scope="module")
def learned(rules_data) -> StyleTransferModel:
    return StyleTransferModel(**PROGRAM_ONLY, seed=0).fit(rules_data)


def _edits(model: StyleTransferModel, annotator: int) -> list[dict]:
    return [r for r in model.style_records() if r["annotator"] == annotator]


@pytest.mark.parametrize("annotator", [1, 2, 5, 6])
def test_a_planted_rule_is_recovered_as_its_kind_and_magnitude(learned, annotator) -> None:
    [truth] = rule_truth()[annotator]
    match = [
        e
        for e in _edits(learned, annotator)
        if e["kind"] == truth["kind"] and e["behavior"] == truth["behavior"]
    ]
    assert match, f"annotator {annotator}: {truth} not among {_edits(learned, annotator)}"
    edit = match[0]
    if truth.get("rule"):
        [want] = truth["rule"]
        [got] = [c for c in edit["rule"] if c["feature"] == want["feature"]]
        assert got["op"] == want["op"]
        assert got["value"] == pytest.approx(want["value"], rel=0.3)
    else:
        assert edit["frames"] == pytest.approx(truth["frames"], rel=0.3)
    assert edit["gain"] > 0


def test_the_statements_name_the_rule_with_units_and_gain(learned) -> None:
    # The planted rule comes first; what it leaves (investigation frames before an
    # attack) may be taken up by a later edit.
    statement = learned.describe_styles()[1][0]
    assert statement.startswith("Annotator 1 starts attack 0.8 s")
    assert "before the reference annotator does (held-out F1 gain +" in statement


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_annotator_labelling_as_the_reference_gets_no_edit(learned, seed) -> None:
    model = (
        learned
        if seed == 0
        else StyleTransferModel(**PROGRAM_ONLY, seed=seed).fit(
            simulate_rules(seed=seed, annotators=[0, 7]).train
        )
    )
    assert _edits(model, 7) == []
    assert model.describe_styles()[7] == []
    assert _edits(model, 0) == []


def test_describe_style_prints_rules_and_json(learned, tmp_path: Path) -> None:
    directory = save_model(learned, tmp_path / "m")
    text = run("describe-style", directory, "--px-per-cm", 10).stdout
    assert "Annotator 5 does not count as investigation" in text and " cm " in text
    # Each rule says what it changed in frames; an annotator without rules says so.
    assert "it was learned from" in text and " frames" in text
    assert "Annotator 7: no rule" in text
    records = json.loads(run("describe-style", directory, "--json").stdout)
    assert records == json.loads(json.dumps(learned.style_records()))
    for record in records:
        assert {"annotator", "behavior", "kind", "gain"} <= set(record)
        assert record["behavior"] in ("attack", "investigation", "mount")
        if record["kind"] in ("exclude_when", "include_when"):
            assert all(set(c) == {"feature", "op", "value"} for c in record["rule"])
        if record["kind"] in ("onset_shift", "offset_shift", "merge_gap", "relabel_short"):
            assert isinstance(record["frames"], int)
        if record["kind"] != "residual":
            effect = record["effect"]
            assert effect["frames_after"] - effect["frames_before"] == sum(
                effect["gained_from"].values()
            ) - sum(effect["lost_to"].values())


def test_describe_style_of_a_reference_only_model_claims_no_other_style(
    rules_data, tmp_path: Path
) -> None:
    reference = rules_data.filter([0])
    model = StyleTransferModel(
        reference_params={"n_estimators": 10}, tune_decoding=False, seed=0
    ).fit(reference.select(reference.ids[:3]))
    text = run("describe-style", save_model(model, tmp_path / "m")).stdout
    assert "trained on the reference annotator 0 only" in text
    assert "every annotator labels as" not in text


def test_a_malformed_program_names_the_file_and_the_field(learned, tmp_path: Path) -> None:
    directory = Path(shutil.copytree(save_model(learned, tmp_path / "m"), tmp_path / "bad"))
    manifest = json.loads((directory / "model.json").read_text())
    manifest["config"]["styles"]["1"]["program"]["edits"][0]["frames"] = "soon"
    (directory / "model.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFormatError, match=r"model.json: styles\.1\.program.*frames"):
        load_model(directory)
