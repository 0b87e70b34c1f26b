"""Partly labelled videos (UNLABELLED frames) and `ethostyle suggest`."""

from __future__ import annotations

import copy

import av
import numpy as np
import pandas as pd
import pytest

from ethostyle.data import UNLABELLED, Dataset
from ethostyle.errors import DataFormatError, ModelParameterError, UnknownAnnotatorError
from ethostyle.importers import labels_for_dataset, read_label_file
from ethostyle.io import load_labels, save_labels_npy, save_submission, save_test_npy
from ethostyle.metrics import task2_score
from ethostyle.models.gbdt import GBDTClassifier
from ethostyle.models.program import StyleProgram, fit_program, pooled_f1
from ethostyle.models.suggest import pick_stretches, suggest_stretches
from ethostyle.models.suggest_files import write_suggestions
from ethostyle.simulate import label_with_style
from ethostyle.video import render_videos
from support import assert_clean_error, assert_success, invoke, small_model, small_model_dir


# --------------------------------------------------------------- unlabelled frames: fitting
def test_unlabelled_frames_are_not_fitted_as_other() -> None:
    # x < 1: attack, 1 <= x < 2: investigation, x >= 2: nobody labelled. Taken as
    # other, those frames would teach the model that x >= 2 is other.
    x = np.repeat(np.arange(3.0), 200)[:, None] + np.tile(np.linspace(0, 0.9, 200), 3)[:, None]
    y = np.repeat([0, 1, UNLABELLED], 200)
    model = GBDTClassifier(n_estimators=20, num_threads=1, frame_step=1, min_child_samples=5)
    proba = np.exp(model.fit(x, y).predict_raw(np.array([[2.5]])))
    assert proba.argmax() == 1


def test_a_residual_given_no_labelled_frame_changes_no_score() -> None:
    x, start = np.linspace(0, 1, 50)[:, None], np.random.default_rng(0).normal(size=(50, 4))
    model = GBDTClassifier(n_estimators=5, num_threads=1)
    model.fit(x, np.full(50, UNLABELLED), init_score=start)
    assert not model.predict_raw(x).any()  # nothing added to the scores it starts from


def test_a_style_learns_from_one_video_labelled_only_in_its_first_seconds(tiny) -> None:
    video = tiny.train["sim-a2-train-000"]
    labels = np.where(np.arange(video.n_frames) < 300, video.labels, UNLABELLED)
    model = copy.deepcopy(small_model())
    with pytest.warns(UserWarning, match="already have a style"):
        model.adapt(Dataset([video.with_labels(labels)]))
    assert model.styles_[2].n_frames == 300  # the labelled frames, not the video's 900
    assert model.predict_sequence(video)[0].min() >= 0


def _video(p_attack: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, None, np.ndarray]:
    proba = np.zeros((len(p_attack), 4))
    proba[:, 0], proba[:, 3] = p_attack, 1 - p_attack
    return proba, None, labels


def test_the_style_search_scores_and_fits_on_labelled_frames_only() -> None:
    # Confident attack on labelled attack frames; a weaker attack where nobody labelled.
    # Counted as other, those frames would make the search raise the attack threshold.
    p = np.r_[np.full(100, 0.95), np.full(100, 0.05), np.full(100, 0.6), np.full(100, 0.05)]
    y = np.r_[np.zeros(100), np.full(100, 3), np.full(100, UNLABELLED), np.full(100, 3)]
    videos = [_video(p, y.astype(np.int64)) for _ in range(3)]
    perfect_attack = 1 / 3  # macro F1 of attack, investigation, mount: only attack occurs
    assert pooled_f1(StyleProgram(), videos, None) == pytest.approx(perfect_attack)
    assert fit_program(videos, None).edits == ()
    as_other = [_video(p, np.where(y == UNLABELLED, 3, y).astype(np.int64)) for _ in range(3)]
    assert pooled_f1(StyleProgram(), as_other, None) < 0.8 * perfect_attack
    assert fit_program(as_other, None).edits != ()  # the threshold the test guards against


# --------------------------------------------------------------- unlabelled frames: scoring
def test_scores_leave_unlabelled_frames_out() -> None:
    true = {"a": np.array([0, 0, UNLABELLED, UNLABELLED, 3]), "b": np.array([1, 1, 3])}
    pred = {"a": np.array([0, 0, 0, 1, 3]), "b": np.array([1, 1, 3])}
    score = task2_score(true, pred, {"a": 1, "b": 1})
    assert score.n_frames == 6
    assert score.per_class["attack"].f1 == pytest.approx(1.0)
    with pytest.raises(DataFormatError, match="predicted label -1"):
        task2_score(pred, true, {"a": 1, "b": 1})


# --------------------------------------------------------------- unlabelled frames: files
def test_label_files_carry_unlabelled_frames_and_submissions_refuse_them(tmp_path) -> None:
    path = save_labels_npy({"s": ["unlabelled", "attack", "other"]}, tmp_path / "labels.npy")
    assert load_labels(path)["s"].tolist() == [UNLABELLED, 0, 3]
    with pytest.raises(DataFormatError, match="label -1 is out of range"):
        save_submission({"s": np.array([UNLABELLED, 0, 3])}, tmp_path / "submission.npy")


def test_importers_mark_unlabelled_rows_and_behaviour_bouts_win(tiny, tmp_path) -> None:
    poses = tiny.test.without_labels().select(["sim-a1-test-000"])
    csv = tmp_path / "bouts.csv"
    csv.write_text(
        "sequence,start,stop,behavior\n"
        "sim-a1-test-000,0,300,Unlabelled\nsim-a1-test-000,290,310,attack\n"
        "sim-a1-test-000,600,900,not scored\n"
    )
    labels = labels_for_dataset(
        poses, [read_label_file(csv)], behaviors={"not scored": "unlabelled"}
    )["sim-a1-test-000"]
    assert (labels[:290] == UNLABELLED).all() and (labels[290:310] == 0).all()
    assert (labels[310:600] == 3).all() and (labels[600:] == UNLABELLED).all()
    boris = tmp_path / "boris.tsv"
    pd.DataFrame(
        {
            "Observation id": "sim-a1-test-000",
            "Subject": "",
            "Behavior": ["unlabelled", "mount"],
            "Behavior type": "STATE",
            "Start (s)": [0.0, 12.0],
            "Stop (s)": [10.0, 13.0],
            "Media file name": "",
        }
    ).to_csv(boris, sep="\t", index=False)
    labels = labels_for_dataset(poses, [read_label_file(boris)])["sim-a1-test-000"]
    assert (labels[:300] == UNLABELLED).all() and (labels[360:390] == 2).all()
    assert (labels[300:360] == 3).all()


# --------------------------------------------------------------- suggest
def test_pick_stretches_do_not_overlap_and_take_the_best_windows() -> None:
    scores = {"a": np.r_[np.zeros(50), np.ones(30), np.zeros(50)], "b": np.full(40, 0.6)}
    picks = pick_stretches(scores, 4, 20)
    assert picks[0] == ("a", 50, 70) and picks[1][0] == "b"
    covered = [np.zeros(130, int), np.zeros(40, int)]
    for sid, start, stop in picks:
        covered[sid == "b"][start:stop] += 1
    assert max(c.max() for c in covered) == 1


def _disagreement(tiny, annotator: int) -> dict[str, np.ndarray]:
    """Frames where the annotator's rules and the reference annotator's differ (the truth)."""
    return {
        s.id: label_with_style(tiny.worlds[s.id], tiny.styles[annotator], 0)
        != label_with_style(tiny.worlds[s.id], tiny.styles[0], 0)
        for s in tiny.test
    }


def test_suggest_picks_stretches_where_the_styles_disagree_more_than_random(tiny) -> None:
    videos = tiny.test.without_labels()
    gains = []
    for annotator in (1, 2, 3, 4, 5):
        truth = _disagreement(tiny, annotator)
        stretches = suggest_stretches(small_model(), videos, annotator, 1.0, stretch_s=10)
        assert len(stretches) == 6 and all(s.stop - s.start == 300 for s in stretches)
        picked = np.mean([truth[s.sequence][s.start : s.stop].mean() for s in stretches])
        everywhere = np.mean(np.concatenate(list(truth.values())))
        gains.append(picked / everywhere)
    # Random stretches hold the disagreement of all frames (a ratio of 1 on average).
    assert min(gains) > 1.1 and np.mean(gains) > 1.5, gains


def test_suggest_refuses_what_cannot_work(tiny) -> None:
    videos = tiny.test.without_labels()
    with pytest.raises(UnknownAnnotatorError, match="no style for annotator 9"):
        suggest_stretches(small_model(), videos, 9, 1.0)
    with pytest.raises(ModelParameterError, match=r"last 6\.00 minute"):
        suggest_stretches(small_model(), videos, 1, 7.0)
    with pytest.raises(ModelParameterError, match="10-30 seconds"):
        suggest_stretches(small_model(), videos, 1, 1.0, stretch_s=5)
    one = videos.select(["sim-a1-test-000"])
    with pytest.raises(ModelParameterError, match="2 stretch"):  # a 30-s video, 2 x 20 s
        suggest_stretches(small_model(), one, 1, 0.5, stretch_s=20)
    done = Dataset([tiny.test["sim-a1-test-000"]])  # annotator 1 labelled all of it
    with pytest.raises(ModelParameterError, match=r"0\.00 s not yet labelled"):
        suggest_stretches(small_model(), one, 1, 0.25, stretch_s=15, labelled=done)


def test_suggested_files_import_back_as_partly_labelled_videos(tiny, tmp_path) -> None:
    videos = tiny.test.without_labels()
    stretches = suggest_stretches(small_model(), videos, 3, 0.5, stretch_s=15)
    written = write_suggestions(stretches, videos, tmp_path)
    listed = pd.read_csv(tmp_path / "stretches.csv")
    assert listed["start_frame"].tolist() == [s.start for s in stretches]
    boris = [p for p in written if p.suffix == ".xlsx"]
    assert len(boris) == len({s.sequence for s in stretches})
    for files in ([tmp_path / "to_label.csv"], boris):  # the CSV, or one BORIS file a video
        labels = labels_for_dataset(videos, [read_label_file(path) for path in files])
        assert set(labels) == {s.sequence for s in stretches}
        for sid, y in labels.items():
            inside = np.zeros(len(y), bool)
            for s in (s for s in stretches if s.sequence == sid):
                inside[s.start : s.stop] = True
            assert (y[inside] == 3).all() and (y[~inside] == UNLABELLED).all(), files


def test_suggest_videos_cuts_one_clip_per_stretch_and_checks_the_videos_first(
    tiny, tmp_path
) -> None:
    """--videos: a clip of exactly each stretch's frames in OUT/clips; a missing video
    is refused before anything is written."""
    one = tiny.test.without_labels().select(["sim-a1-test-000"])  # 30 s
    save_test_npy(one, tmp_path / "test.npy")
    render_videos(one, tmp_path / "footage", width=160)
    args = (small_model_dir(), tmp_path / "test.npy", "--annotator", 3, "--minutes", 0.34)
    args += ("--stretch", 10, "--videos", tmp_path / "footage")
    out = tmp_path / "out"
    assert_success(invoke("suggest", *args, "--out", out))
    listed = pd.read_csv(out / "stretches.csv")
    clips = sorted((out / "clips").glob("*.mp4"))
    assert len(clips) == len(listed) == 2  # 2 x 10 s
    for clip, (_, row) in zip(clips, listed.iterrows(), strict=True):
        with av.open(str(clip)) as box:
            n_shown = sum(1 for _ in box.decode(video=0))
        assert n_shown == row["stop_frame"] - row["start_frame"], clip
    (tmp_path / "footage" / "sim-a1-test-000.mp4").unlink()
    result = invoke("suggest", *args, "--out", tmp_path / "refused")
    assert_clean_error(result, "no video for 1")
    assert not (tmp_path / "refused").exists()
