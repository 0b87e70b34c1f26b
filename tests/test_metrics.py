"""Tests of ethostyle.metrics: the MABe 2021 Task 2 score and bout F1."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from ethostyle.errors import DataFormatError
from ethostyle.metrics import Task2Score, bout_f1, frame_f1, task2_score


def _one(true: list[int], pred: list[int]) -> Task2Score:
    return task2_score({"s": np.array(true)}, {"s": np.array(pred)}, {"s": 1})


def test_hand_case_with_attack_and_investigation() -> None:
    # true 0 0 0 1 1 3 3 3 / pred 0 0 1 1 1 3 3 0
    # attack: tp=2 (frames 0,1), fp=1 (frame 7), fn=1 (frame 2) -> P=R=F1=2/3
    # investigation: tp=2, fp=1 (frame 2), fn=0 -> P=2/3, R=1, F1=4/5
    # mount: absent from both -> 0 (zero_division=0)
    # macro F1 = (2/3 + 4/5 + 0) / 3 = 22/45; macro precision = (2/3 + 2/3 + 0) / 3 = 4/9
    s = _one([0, 0, 0, 1, 1, 3, 3, 3], [0, 0, 1, 1, 1, 3, 3, 0])
    assert s.f1 == pytest.approx(22 / 45)
    assert s.precision == pytest.approx(4 / 9)
    assert s.recall == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert s.per_class["investigation"].f1 == pytest.approx(0.8)
    mount = s.per_class["mount"]
    assert (mount.f1, mount.support, mount.n_predicted) == (0.0, 0, 0)


def test_hand_case_with_mount_only() -> None:
    # true 2 2 2 2 3 3 / pred 2 2 3 3 3 2
    # mount: tp=2, fp=1 (frame 5), fn=2 (frames 2,3) -> F1 = 2*2 / (2*2 + 1 + 2) = 4/7
    # attack, investigation absent -> 0; macro F1 = 4/21; macro precision = (2/3) / 3 = 2/9
    s = _one([2, 2, 2, 2, 3, 3], [2, 2, 3, 3, 3, 2])
    assert s.f1 == pytest.approx(4 / 21)
    assert s.precision == pytest.approx(2 / 9)
    assert s.per_class["mount"].support == 4
    assert s.per_class["mount"].n_predicted == 3


@pytest.mark.parametrize("seed", range(6))
def test_score_equals_sklearn_on_random_labels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # some seeds leave a class out entirely, exercising the zero_division convention
    p = rng.dirichlet(np.ones(4)) if seed % 2 else np.array([0.0, 0.5, 0.1, 0.4])
    true = {f"s{i}": rng.choice(4, rng.integers(1, 300), p=p) for i in range(5)}
    pred = {
        k: np.where(rng.random(v.size) < 0.6, v, rng.integers(0, 4, v.size))
        for k, v in true.items()
    }
    annotators = {k: i % 5 + 1 for i, k in enumerate(true)}
    s = task2_score(true, pred, annotators)
    yt = np.concatenate(list(true.values()))
    yp = np.concatenate([pred[k] for k in true])
    kw = {"labels": [0, 1, 2], "average": "macro", "zero_division": 0}
    assert s.f1 == pytest.approx(f1_score(yt, yp, **kw))
    assert s.precision == pytest.approx(precision_score(yt, yp, **kw))
    assert s.recall == pytest.approx(recall_score(yt, yp, **kw))
    per = f1_score(yt, yp, labels=[0, 1, 2], average=None, zero_division=0)
    assert [s.per_class[b].f1 for b in ("attack", "investigation", "mount")] == pytest.approx(per)
    assert s.n_frames == yt.size
    assert frame_f1(yt, yp) == pytest.approx(s.f1)


def test_frames_are_pooled_across_sequences_not_averaged() -> None:
    # a is perfect (F1 1). b alone: investigation P=1, R=1/2 -> F1 2/3, others 0 -> 2/9.
    # pooled: attack 1, mount 1, investigation tp=4 fn=2 fp=0 -> 8/10; macro = 2.8/3
    true = {"a": np.array([0, 0, 1, 1, 2, 2]), "b": np.array([1, 1, 1, 1, 3, 3])}
    pred = {"a": np.array([0, 0, 1, 1, 2, 2]), "b": np.array([3, 3, 1, 1, 3, 3])}
    s = task2_score(true, pred, {"a": 1, "b": 1})
    assert s.f1 == pytest.approx(2.8 / 3)
    assert s.f1 != pytest.approx((1 + 2 / 9) / 2)


def test_only_annotators_one_to_five_count_but_all_are_reported() -> None:
    true = {
        "a": np.array([0, 0, 1, 1, 3]),
        "b": np.array([2, 2, 2, 3, 3]),
        "z": np.array([0, 1, 2, 0, 1]),
        "q": np.array([1, 1, 1, 1, 1]),
    }
    pred = {
        "a": np.array([0, 0, 1, 1, 3]),
        "b": np.array([2, 2, 3, 3, 3]),
        "z": np.array([3, 3, 3, 3, 3]),  # all wrong, but annotator 0 is not scored
        "q": np.array([0, 0, 0, 0, 0]),  # all wrong, but annotator 7 is not scored
    }
    s = task2_score(true, pred, {"a": 1, "b": 3, "z": 0, "q": 7})
    only_scored = task2_score(
        {k: true[k] for k in "ab"}, {k: pred[k] for k in "ab"}, {"a": 1, "b": 3}
    )
    assert s.f1 == pytest.approx(only_scored.f1)
    assert s.n_frames == 10
    assert sorted(s.per_annotator) == [0, 1, 3, 7]
    assert s.per_annotator[0].scored is False and s.per_annotator[0].f1 == 0.0
    assert s.per_annotator[7].n_frames == 5
    assert s.per_annotator[1].f1 == pytest.approx(2 / 3)  # attack 1, investigation 1, mount 0
    # annotator 3: mount tp=2 fn=1 -> 4/5, the others absent -> (4/5) / 3
    assert s.per_annotator[3].f1 == pytest.approx(0.8 / 3)
    assert s.mean_over_annotators == pytest.approx((2 / 3 + 0.8 / 3) / 2)
    # other annotators can be scored on request
    assert task2_score(true, pred, {"a": 1, "b": 3, "z": 0, "q": 7}, [0]).f1 == 0.0


def test_missing_prediction_names_the_sequence() -> None:
    with pytest.raises(DataFormatError, match="no prediction for sequence 'b'"):
        task2_score({"a": np.zeros(3), "b": np.zeros(3)}, {"a": np.zeros(3)}, {"a": 1, "b": 1})


def test_length_mismatch_names_the_sequence_and_both_lengths() -> None:
    with pytest.raises(DataFormatError, match="sequence 'a': 5 true labels but 4 predicted"):
        task2_score({"a": np.zeros(5, int)}, {"a": np.zeros(4, int)}, {"a": 1})


def test_missing_annotator_and_bad_label_values_are_reported() -> None:
    with pytest.raises(DataFormatError, match="no annotator id for sequence 'a'"):
        task2_score({"a": np.zeros(3, int)}, {"a": np.zeros(3, int)}, {})
    with pytest.raises(DataFormatError, match="sequence 'a', frame 2: predicted label 7"):
        task2_score({"a": np.zeros(3, int)}, {"a": np.array([0, 1, 7])}, {"a": 1})
    with pytest.raises(DataFormatError, match=r"frame 1: true label 0\.5 is not an integer"):
        task2_score({"a": np.array([0.0, 0.5])}, {"a": np.zeros(2, int)}, {"a": 1})


def test_score_converts_to_json_and_table_rows() -> None:
    true = {"a": np.array([0, 1, 3]), "b": np.array([2, 2, 3])}
    s = task2_score(true, true, {"a": 0, "b": 2})
    data = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    assert data["f1"] == pytest.approx(1 / 3)  # only mount present for annotator 2
    assert data["per_annotator"]["0"]["scored"] is False
    assert data["per_class"]["mount"]["support"] == 2
    rows = s.table_rows()
    assert len(rows) == 1 + 2 + 1
    assert all(len(r) == len(Task2Score.TABLE_COLUMNS) for r in rows)
    assert rows[0][2] == "0.333"
    assert rows[1][0] == "annotator 0 (not scored)"


def test_no_scored_frames_gives_nan_score_and_null_json() -> None:
    s = task2_score({"a": np.array([0, 3])}, {"a": np.array([0, 3])}, {"a": 0})
    assert np.isnan(s.f1) and s.n_frames == 0
    assert s.per_annotator[0].f1 == pytest.approx(1 / 3)
    assert json.loads(json.dumps(s.to_dict(), allow_nan=False))["f1"] is None


def test_bout_f1_hand_case() -> None:
    # true investigation bouts [0,4) [6,8); attack [9,12)
    # pred investigation bouts [0,3) (IoU 3/4) and [7,8) (IoU 1/2); attack [9,10) (IoU 1/3)
    true = np.array([1, 1, 1, 1, 3, 3, 1, 1, 3, 0, 0, 0])
    pred = np.array([1, 1, 1, 3, 3, 3, 3, 1, 3, 0, 3, 3])
    s = bout_f1(true, pred)
    assert (s["investigation"].precision, s["investigation"].recall) == (1.0, 1.0)
    assert (s["attack"].f1, s["attack"].n_true, s["attack"].n_pred) == (0.0, 1, 1)
    assert (s["mount"].f1, s["mount"].n_true) == (0.0, 0)
    stricter = bout_f1(true, pred, overlap=0.6)["investigation"]
    assert (stricter.n_matched, stricter.precision, stricter.f1) == (1, 0.5, 0.5)
    assert bout_f1(true, pred, overlap=0.3)["attack"].f1 == 1.0


def test_bout_f1_matches_one_to_one() -> None:
    # one true bout [0,6); predicted [0,3) (IoU 0.5) and [4,6) (IoU 1/3): only one may match
    s = bout_f1(np.ones(6, int), np.array([1, 1, 1, 3, 1, 1]), overlap=0.3)["investigation"]
    assert (s.n_matched, s.precision, s.recall) == (1, 0.5, 1.0)
    assert s.f1 == pytest.approx(2 / 3)


def test_bout_f1_pools_sequences_without_joining_bouts_across_them() -> None:
    true = {"a": np.array([3, 1, 1]), "b": np.array([1, 1, 3])}
    pred = {"a": np.array([3, 1, 1]), "b": np.array([3, 1, 3])}
    s = bout_f1(true, pred)["investigation"]
    # joined, the two true bouts would be one [1,5) and both predictions would not match
    assert (s.n_true, s.n_pred, s.n_matched) == (2, 2, 2)
    with pytest.raises(DataFormatError, match="no prediction for sequence 'b'"):
        bout_f1(true, {"a": pred["a"]})


def test_precision_breaks_ties_between_equal_f1_overall_and_per_annotator() -> None:
    # true: 4 investigation frames, then 4 other; attack and mount absent (F1 0 each).
    # cautious finds 2 of the 4 and nothing else: P=1, R=1/2, F1=2/3 -> macro F1 2/9, P 1/3
    # eager calls all 8 frames investigation:     P=1/2, R=1, F1=2/3 -> macro F1 2/9, P 1/6
    true = np.array([1, 1, 1, 1, 3, 3, 3, 3])
    cautious = np.array([1, 1, 3, 3, 3, 3, 3, 3])
    eager = np.ones(8, int)
    a, b = _one(true, cautious), _one(true, eager)
    assert a.f1 == pytest.approx(2 / 9) and b.f1 == pytest.approx(2 / 9)
    assert (a.precision, b.precision) == (pytest.approx(1 / 3), pytest.approx(1 / 6))
    assert (a.recall, b.recall) == (pytest.approx(1 / 6), pytest.approx(1 / 3))
    # the same two predictions as two annotators' sequences: scored per annotator, then pooled
    # (pooled investigation: tp 6, fp 4, fn 2 -> P 3/5, R 3/4, F1 2/3)
    s = task2_score({"x": true, "y": true}, {"x": cautious, "y": eager}, {"x": 1, "y": 2})
    assert s.per_annotator[1].precision == pytest.approx(1 / 3)
    assert s.per_annotator[2].precision == pytest.approx(1 / 6)
    assert s.mean_over_annotators == pytest.approx(2 / 9)
    assert s.precision == pytest.approx(0.6 / 3) and s.f1 == pytest.approx(2 / 9)
    assert s.per_class["investigation"].precision == pytest.approx(0.6)
    assert s.per_class["investigation"].recall == pytest.approx(0.75)
