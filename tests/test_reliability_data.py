"""Bad data, clear answers: the data cases of docs/reliability.md, run through the CLI.

Each case either gives a correct result (checked against what the clean input gives,
with a warning where the user should know) or exits with code 1 and one message that
names the file, the sequence and the frame and says how to fix it; never a traceback,
never a silently wrong answer.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ethostyle import io
from ethostyle.data import VOCABULARY, Dataset, Sequence
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.store import load_model
from support import (
    SMALL_PARAMS,
    assert_clean_error,
    assert_success,
    entry,
    invoke,
    run_cli_subprocess,
    save_pickle_npy,
    small_model_dir,
    warnings_in,
)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return small_model_dir()


@pytest.fixture(scope="module")
def model(model_dir):
    return load_model(model_dir)


@pytest.fixture(scope="module")
def seq(tiny) -> Sequence:
    """A test sequence of annotator 1 (a style the model knows), 900 frames."""
    return next(s for s in tiny.test if s.annotator_id == 1)


def expected_labels(model, keypoints: np.ndarray, annotator: int) -> np.ndarray:
    """What the model says for clean float32 keypoints, via the Python API."""
    clean = Sequence("x", np.asarray(keypoints, np.float32), annotator)
    return model.predict_sequence(clean)[0]


def predict(tmp_path: Path, model_dir: Path, entries: dict, *extra: object):
    """Write ``entries`` as a test.npy, run ``ethostyle predict`` on it."""
    test = save_pickle_npy(tmp_path / "test.npy", entries)
    out = tmp_path / "submission.npy"
    return invoke("predict", model_dir, test, "--out", out, *extra), test, out


def submission(path: Path) -> dict[str, np.ndarray]:
    return io.load_submission(path)


# ----------------------------------------------------------------- sequence length


def test_zero_length_sequence_is_refused_naming_file_and_sequence(tmp_path, model_dir, seq):
    entries = {"good": entry(seq.keypoints, 1), "empty": entry(seq.keypoints[:0], 1)}
    result, test, out = predict(tmp_path, model_dir, entries)
    assert_clean_error(result, re.escape(f"{test}, sequence 'empty': has zero frames"), "remove")
    assert not out.exists()


@pytest.mark.parametrize("n_frames", [1, 2, 4])
def test_very_short_sequence_gets_one_label_per_frame(tmp_path, model_dir, model, seq, n_frames):
    kp = seq.keypoints[100 : 100 + n_frames]
    result, _, out = predict(tmp_path, model_dir, {"short": entry(kp, 1)})
    assert_success(result)
    labels = submission(out)["short"]
    assert labels.shape == (n_frames,)
    np.testing.assert_array_equal(labels, expected_labels(model, kp, 1))


# ----------------------------------------------------------------- missing / odd keypoints


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


def test_scattered_nan_keypoints_are_interpolated(tmp_path, model_dir, model, seq):
    kp = seq.keypoints.copy()
    rng = np.random.default_rng(0)
    kp[rng.random(kp.shape) < 0.05] = np.nan  # 5% of values lost at random
    result, _, out = predict(tmp_path, model_dir, {"s": entry(kp, 1)})
    assert_success(result)
    clean = expected_labels(model, seq.keypoints, 1)
    assert agreement(submission(out)["s"], clean) > 0.9


def test_mouse_lost_for_seconds_is_interpolated_with_a_warning(tmp_path, model_dir, model, seq):
    kp = seq.keypoints.copy()
    kp[300:600, 1] = np.nan  # the intruder untracked for 10 s
    result, test, out = predict(tmp_path, model_dir, {"gap": entry(kp, 1)})
    output = assert_success(result)
    warned = [w for w in warnings_in(output) if "'gap'" in w]
    assert warned, output
    assert re.search(r"intruder.*frames 300-599.*10\.0 s", warned[0]), warned[0]
    assert str(test) in warned[0]
    labels, clean = submission(out)["gap"], expected_labels(model, seq.keypoints, 1)
    outside = np.r_[0:240, 660:900]  # beyond the gap and the 2 s windows around it
    assert agreement(labels[outside], clean[outside]) > 0.9


def test_mouse_never_tracked_warns_and_still_labels_every_frame(tmp_path, model_dir, seq):
    kp = seq.keypoints.copy()
    kp[:, 1] = np.nan
    result, _, out = predict(tmp_path, model_dir, {"alone": entry(kp, 1)})
    output = assert_success(result)
    assert "Mean of empty slice" not in output  # numpy's own noise is not a message
    warned = [w for w in warnings_in(output) if "'alone'" in w]
    assert warned and re.search(r"intruder.*never tracked", warned[0]), output
    assert submission(out)["alone"].shape == (seq.n_frames,)


def test_infinite_keypoints_are_treated_as_missing_with_a_warning(tmp_path, model_dir, seq):
    with_inf, with_nan = seq.keypoints.copy(), seq.keypoints.copy()
    with_inf[50:55, 0, :, 2] = np.inf
    with_inf[70, 1, 1, 0] = -np.inf
    with_nan[np.isinf(with_inf)] = np.nan
    entries = {"inf": entry(with_inf, 1), "nan": entry(with_nan, 1)}
    result, _, out = predict(tmp_path, model_dir, entries)
    output = assert_success(result)
    assert any(re.search(r"'inf'.*11 infinite.*frame 50", w) for w in warnings_in(output)), output
    labels = submission(out)
    np.testing.assert_array_equal(labels["inf"], labels["nan"])


@pytest.mark.parametrize("scale", [1e3, 1e30])
def test_coordinates_far_outside_the_arena_are_flagged(tmp_path, model_dir, seq, scale):
    kp = seq.keypoints.copy()
    kp[400:] *= scale  # e.g. micrometres or a unit mix-up from frame 400 on
    result, _test, out = predict(tmp_path, model_dir, {"far": entry(kp, 1)})
    output = assert_success(result)
    assert "encountered" not in output  # no numpy overflow noise
    warned = [w for w in warnings_in(output) if "'far'" in w]
    assert warned and re.search(r"frame 400.*outside.*pixels", warned[0]), output
    assert submission(out)["far"].shape == (seq.n_frames,)


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda kp: np.round(kp).astype(np.int32), id="int32"),
        pytest.param(lambda kp: np.round(kp).astype(np.int64), id="int64"),
        pytest.param(lambda kp: kp.astype(np.float64), id="float64"),
        pytest.param(lambda kp: kp.tolist(), id="nested lists"),
        pytest.param(lambda kp: np.asfortranarray(kp.astype(">f4")), id="big-endian fortran"),
    ],
)
def test_keypoint_types_give_the_same_labels_as_float32(tmp_path, model_dir, model, seq, convert):
    kp = seq.keypoints[:300]
    given = convert(kp)
    result, _, out = predict(tmp_path, model_dir, {"s": entry(given, 1)})
    assert_success(result)
    same_values = np.asarray(given, dtype=np.float32)
    np.testing.assert_array_equal(submission(out)["s"], expected_labels(model, same_values, 1))


# ----------------------------------------------------------------- sequence ids


@pytest.mark.parametrize(
    ("raw_id", "shown"),
    [(1.5, "1.5"), ((1, 2), r"\(1, 2\)"), (None, "None"), (True, "True"), (b"s1", "b's1'")],
)
def test_non_text_sequence_ids_are_refused(tmp_path, model_dir, seq, raw_id, shown):
    result, test, _ = predict(tmp_path, model_dir, {raw_id: entry(seq.keypoints, 1)})
    assert_clean_error(result, re.escape(str(test)), f"sequence id {shown}", "rename")


def test_integer_ids_become_text_and_a_clash_with_text_is_refused(tmp_path, model_dir, seq):
    result, _, out = predict(tmp_path, model_dir, {7: entry(seq.keypoints, np.int16(1))})
    assert_success(result)
    assert list(submission(out)) == ["7"]
    clash = {1: entry(seq.keypoints, 1), "1": entry(seq.keypoints, 1)}
    result, test, _ = predict(tmp_path, model_dir, clash)
    assert_clean_error(result, re.escape(f"{test}, sequence '1': appears twice"), "rename")


def test_duplicate_ids_in_a_json_group_are_refused(tmp_path, model_dir, seq):
    one = json.dumps(entry(seq.keypoints[:30].tolist(), 1))
    path = tmp_path / "test.json"
    path.write_text('{"annotator-id_1": {"v1": ' + one + ', "v1": ' + one + "}}")
    result = invoke("predict", model_dir, path, "--out", tmp_path / "sub.npy")
    assert_clean_error(result, re.escape(f"{path}"), "'v1'", "twice", "rename")


def test_ids_that_are_not_valid_text_are_refused(tmp_path, model_dir, seq):
    # A pickle can carry a lone UTF-16 surrogate, which no output file can hold.
    result, test, _ = predict(tmp_path, model_dir, {"bad\udc80id": entry(seq.keypoints, 1)})
    assert_clean_error(result, re.escape(str(test)), "not valid text", "rename")


@pytest.mark.parametrize("odd_id", ["file", "allow_pickle", "a/b", "x,y\nz", "ünï 😀", ""])
def test_odd_but_valid_ids_reach_every_output(tmp_path, model_dir, seq, odd_id):
    # the same video under the odd id and a plain one: every output must agree
    probabilities, bouts = tmp_path / "p.npz", tmp_path / "b.csv"
    entries = {odd_id: entry(seq.keypoints, 1), "plain": entry(seq.keypoints, 1)}
    result, _, out = predict(
        tmp_path, model_dir, entries, "--probabilities", probabilities, "--bouts", bouts
    )
    assert_success(result)
    labels = submission(out)
    assert list(labels) == [odd_id, "plain"]
    np.testing.assert_array_equal(labels[odd_id], labels["plain"])
    with np.load(probabilities) as npz:
        np.testing.assert_array_equal(npz[odd_id], npz["plain"])
        assert list(npz["__vocabulary__"]) == list(VOCABULARY)
    with open(bouts, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    plain = [{**r, "sequence": odd_id} for r in rows if r["sequence"] == "plain"]
    assert plain and [r for r in rows if r["sequence"] == odd_id] == plain


def test_id_that_names_the_class_list_of_the_probabilities_file_is_refused(
    tmp_path, model_dir, seq
):
    probabilities = tmp_path / "p.npz"
    entries = {"__vocabulary__": entry(seq.keypoints[:50], 1)}
    result, _, out = predict(tmp_path, model_dir, entries, "--probabilities", probabilities)
    assert_clean_error(result, re.escape(str(probabilities)), "'__vocabulary__'", "rename")
    assert out.exists() and not probabilities.exists()


# ----------------------------------------------------------------- annotators


def test_missing_annotator_id_is_refused(tmp_path, model_dir, seq):
    result, test, _ = predict(tmp_path, model_dir, {"s": {"keypoints": seq.keypoints}})
    assert_clean_error(result, re.escape(f"{test}, sequence 's': has no 'annotator_id'"))


@pytest.mark.parametrize("bad", ["1", 1.0, True, None, [1]])
def test_annotator_id_that_is_not_an_integer_is_refused(tmp_path, model_dir, seq, bad):
    result, test, _ = predict(tmp_path, model_dir, {"s": entry(seq.keypoints, bad)})
    assert_clean_error(result, re.escape(f"{test}, sequence 's': annotator_id"), "integer")


def test_unknown_annotator_gets_the_reference_style_and_a_warning(tmp_path, model_dir, model, seq):
    result, _, out = predict(tmp_path, model_dir, {"s": entry(seq.keypoints, 42)})
    output = assert_success(result)
    warned = warnings_in(output)
    assert len(warned) == 1 and re.search(r"'s'.*annotator 42.*reference style", warned[0])
    reference = expected_labels(model, seq.keypoints, model.reference_annotator)
    np.testing.assert_array_equal(submission(out)["s"], reference)
    assert not np.array_equal(reference, expected_labels(model, seq.keypoints, 1))


def test_mixed_test_file_warns_only_for_the_annotators_the_model_never_saw(
    tmp_path, model_dir, model, tiny
):
    picks = list(tiny.test)[::3][:4]
    given = dict(zip([s.id for s in picks], [1, 7, 2, -3], strict=True))
    entries = {s.id: entry(s.keypoints, given[s.id]) for s in picks}
    result, _, out = predict(tmp_path, model_dir, entries)
    output = assert_success(result)
    warned = " | ".join(warnings_in(output))
    assert re.search(r"annotator 7 ", warned) and re.search(r"annotator -3 ", warned)
    assert not re.search(r"annotator [12] ", warned)
    labels = submission(out)
    for s in picks:
        style = given[s.id] if given[s.id] in (1, 2) else model.reference_annotator
        np.testing.assert_array_equal(labels[s.id], expected_labels(model, s.keypoints, style))


def test_json_test_file_gives_the_same_labels_as_npy(tmp_path, model_dir, tiny):
    picks = tiny.test.select(tiny.test.ids[:3])
    npy = io.save_test_npy(picks, tmp_path / "test.npy")
    js = io.save_calms21_json(picks.without_labels(), tmp_path / "test.json")
    assert_success(invoke("predict", model_dir, npy, "--out", tmp_path / "a.npy"))
    assert_success(invoke("predict", model_dir, js, "--out", tmp_path / "b.npy"))
    a, b = submission(tmp_path / "a.npy"), submission(tmp_path / "b.npy")
    assert list(a) == list(b)
    for sid in a:
        np.testing.assert_array_equal(a[sid], b[sid])


# ----------------------------------------------------------------- labels


def train_layout(sequences: dict, vocabulary: list[str] | None = None) -> dict:
    obj: dict[str, object] = {"sequences": sequences}
    if vocabulary is not None:
        obj["vocabulary"] = vocabulary
    return obj


def test_labels_as_class_names_read_like_indices(tmp_path, tiny):
    s = next(iter(tiny.train))
    names = np.array(VOCABULARY)[s.labels]
    by_name = save_pickle_npy(
        tmp_path / "names.npy",
        train_layout({"s": entry(s.keypoints, 0, annotations=names.tolist())}),
    )
    by_index = save_pickle_npy(
        tmp_path / "index.npy", train_layout({"s": entry(s.keypoints, 0, annotations=s.labels)})
    )
    assert "no problems found" in assert_success(invoke("validate", by_name))
    np.testing.assert_array_equal(io.load(by_name)["s"].labels, io.load(by_index)["s"].labels)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (lambda y: np.where(np.arange(len(y)) == 17, 4, y), r"sequence 's', frame 17: label 4"),
        (lambda y: np.where(np.arange(len(y)) == 5, -2, y), r"sequence 's', frame 5: label -2"),
        (lambda y: y[:-3], r"sequence 's': 897 labels for 900 frames"),
        (lambda y: np.r_[y, 3], r"sequence 's': 901 labels for 900 frames"),
        (lambda y: y.astype(np.float64) + 0.5, r"sequence 's', frame 0: label .* not a whole"),
        (lambda y: y.reshape(30, 30), r"sequence 's': labels have shape \(30, 30\)"),
    ],
    ids=["index 4", "negative", "too short", "too long", "fractional", "2-d"],
)
def test_bad_training_labels_stop_train_with_the_frame(tmp_path, tiny, labels, message):
    s = next(iter(tiny.train))
    path = save_pickle_npy(
        tmp_path / "train.npy",
        train_layout({"s": entry(s.keypoints, 0, annotations=labels(s.labels))}),
    )
    result = invoke("train", path, "--out", tmp_path / "model")
    assert_clean_error(result, re.escape(str(path)), message)
    assert not (tmp_path / "model").exists()


def test_vocabulary_in_another_order_scores_the_same(tmp_path, tiny):
    # evaluate with a train-layout labels file whose vocabulary is reversed: classes
    # must be matched by name, so the score cannot change
    test = tiny.test
    truth = {s.id: s.labels for s in test}
    order = list(reversed(VOCABULARY))
    remap = np.array([order.index(name) for name in VOCABULARY])
    reordered = train_layout(
        {s.id: entry(s.keypoints, s.annotator_id, annotations=remap[s.labels]) for s in test},
        order,
    )
    test_file = io.save_test_npy(test, tmp_path / "test.npy")
    canonical = io.save_labels_npy(truth, tmp_path / "labels.npy")
    shuffled = save_pickle_npy(tmp_path / "labels_reordered.npy", reordered)
    rng = np.random.default_rng(0)
    pred = {s.id: np.where(rng.random(s.n_frames) < 0.3, 3, s.labels) for s in test}
    sub = io.save_submission(pred, tmp_path / "sub.npy")
    a = assert_success(invoke("evaluate", sub, test_file, canonical))
    b = assert_success(invoke("evaluate", sub, test_file, shuffled))
    score = re.findall(r"task2_f1=\S+", a)
    assert score and score == re.findall(r"task2_f1=\S+", b)


def test_submission_with_class_names_is_refused(tmp_path, tiny):
    test = tiny.test.select(tiny.test.ids[:2])
    test_file = io.save_test_npy(test, tmp_path / "test.npy")
    labels = io.save_labels_npy({s.id: s.labels for s in test}, tmp_path / "labels.npy")
    sub = save_pickle_npy(
        tmp_path / "sub.npy", {s.id: np.array(VOCABULARY)[s.labels].tolist() for s in test}
    )
    result = invoke("evaluate", sub, test_file, labels)
    assert_clean_error(result, re.escape(str(sub)), f"sequence '{test.ids[0]}'", "class names")


# ----------------------------------------------------------------- training data


def short(s: Sequence, n: int) -> Sequence:
    return replace(s, keypoints=s.keypoints[:n], labels=s.labels[:n])


@pytest.mark.parametrize("n_frames", [1, 2])
def test_training_on_almost_no_frames_is_refused_with_a_fix(tmp_path, tiny, n_frames):
    ds = Dataset([short(next(iter(tiny.train)), n_frames)])
    path = io.save_train_npy(ds, tmp_path / "train.npy")
    result = run_cli_subprocess("train", path, "--out", tmp_path / "model")
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    flat = re.sub(r"\s+", " ", result.stderr)
    assert re.search(r"error: .*annotator 0.*too few labelled frames.*label more", flat), flat
    assert not (tmp_path / "model").exists()


def test_annotator_with_a_one_frame_video_keeps_the_reference_style(tiny):
    ref = [s for s in tiny.train if s.annotator_id == 0][:3]
    tiny_video = short(next(s for s in tiny.train if s.annotator_id == 2), 1)
    three_frames = replace(
        short(next(s for s in tiny.train if s.annotator_id == 3), 3),
        labels=np.array([0, 3, 0], np.int8),  # two attack bouts in three frames
    )
    ds = Dataset([*(short(s, 300) for s in ref), tiny_video, three_frames])
    model = StyleTransferModel(**SMALL_PARAMS, seed=0).fit(ds)
    assert model.annotators_ == [0, 2, 3]
    for annotator in (2, 3):
        probe = Sequence("p", ref[0].keypoints[:300], annotator)
        reference = Sequence("p", ref[0].keypoints[:300], 0)
        np.testing.assert_array_equal(
            model.predict_sequence(probe)[0], model.predict_sequence(reference)[0]
        )


def test_unlabelled_file_given_to_train_is_refused(tmp_path, tiny):
    path = io.save_test_npy(tiny.train.select(tiny.train.ids[:2]), tmp_path / "test.npy")
    result = invoke("train", path, "--out", tmp_path / "model")
    assert_clean_error(result, "needs labels on every sequence", "annotations")


def test_labelled_data_without_the_reference_annotator_is_refused(tmp_path, tiny):
    path = io.save_train_npy(tiny.train.filter([1, 2]), tmp_path / "train.npy")
    result = invoke("train", path, "--out", tmp_path / "model")
    assert_clean_error(result, "no sequence of the reference annotator 0", "--reference")
