"""Tests of ethostyle.decode: decoding probabilities into labels, and old decoders as programs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import f1_score

from ethostyle.bouts import bout_table
from ethostyle.decode import (
    DecoderParams,
    _decode_scores,
    decode,
    log_scores,
    segment_starts,
)
from ethostyle.errors import DataFormatError, ModelFormatError
from ethostyle.metrics import macro_f1
from ethostyle.models.style_programs import saved_program, with_residual


def _onehot(labels: list[int] | np.ndarray, sure: float = 0.9) -> np.ndarray:
    y = np.asarray(labels)
    return np.eye(4)[y] * (sure - (1 - sure) / 3) + (1 - sure) / 3


def _episode(n: int, rng: np.random.Generator, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Labels made of bouts, and noisy calibrated-ish probabilities of them."""
    lengths = rng.integers(5, 90, n // 10)
    y = np.repeat(rng.choice(4, lengths.size, p=[0.1, 0.3, 0.1, 0.5]), lengths)[:n]
    logits = 1.5 * np.eye(4)[y] + rng.normal(0, noise, (y.size, 4))
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True), y


def _scale_class(p: np.ndarray, c: int, factor: float) -> np.ndarray:
    q = p.copy()
    q[:, c] *= factor
    return q / q.sum(axis=1, keepdims=True)


def _pooled_f1(probas: list[np.ndarray], labels: list[np.ndarray], params: DecoderParams) -> float:
    pred = np.concatenate([decode(p, params) for p in probas])
    return f1_score(
        np.concatenate(labels), pred, labels=[0, 1, 2], average="macro", zero_division=0
    )


def test_default_decoder_is_argmax() -> None:
    p = np.random.default_rng(0).dirichlet(np.ones(4), 500)
    out = decode(p)
    assert out.dtype == np.int8
    assert np.array_equal(out, np.argmax(p, axis=1))
    assert decode(np.zeros((0, 4))).shape == (0,)


def test_bias_makes_a_class_easier_to_call() -> None:
    p = np.array([[0.1, 0.3, 0.0, 0.6]] * 4)
    assert decode(p).tolist() == [3, 3, 3, 3]
    # log(0.3) + 0.75 > log(0.6) because 0.75 > log 2
    assert decode(p, DecoderParams(bias=(0.0, 0.75, 0.0))).tolist() == [1, 1, 1, 1]
    assert decode(p, DecoderParams(bias=(0.0, 0.6, 0.0))).tolist() == [3, 3, 3, 3]


def test_smoothing_removes_one_frame_flickers() -> None:
    y = np.array([1] * 6 + [3] + [1] * 6 + [0] + [3] * 6)
    p = _onehot(y, sure=0.7)
    assert decode(p).tolist() == y.tolist()
    smoothed = decode(p, DecoderParams(smooth=5))
    assert smoothed.tolist() == [1] * 13 + [3] * 7


def test_min_length_gives_short_bouts_to_the_runner_up() -> None:
    # a 2-frame attack inside investigation: investigation is the runner-up there
    p = _onehot([1] * 8 + [0] * 2 + [1] * 8)
    p[8:10, 1] = 0.3
    assert decode(p, DecoderParams(min_length=(3, 1, 1))).tolist() == [1] * 18
    # a 2-frame attack between other frames becomes other
    q = _onehot([3] * 5 + [0] * 2 + [3] * 5 + [0] * 3)
    out = decode(q, DecoderParams(min_length=(3, 1, 1)))
    assert out.tolist() == [3] * 12 + [0] * 3
    # bouts of other behaviours are left alone
    r = _onehot([1, 1, 3, 3, 0, 0, 0])
    assert decode(r, DecoderParams(min_length=(1, 1, 5))).tolist() == [1, 1, 3, 3, 0, 0, 0]


def test_gap_merging_fills_short_gaps_between_bouts_of_one_behaviour() -> None:
    y = [1] * 5 + [3] * 2 + [1] * 5 + [3] * 3 + [1] * 5 + [3] * 2 + [0] * 5 + [3] * 2
    p = _onehot(y)
    out = decode(p, DecoderParams(merge_gap=(0, 3, 0)))
    # the 2-frame gap is filled; the 3-frame gap is not (strictly shorter); the gap
    # between investigation and attack is not a gap within one behaviour
    assert out.tolist() == [1] * 12 + [3] * 3 + [1] * 5 + [3] * 2 + [0] * 5 + [3] * 2
    assert decode(p, DecoderParams(merge_gap=(0, 4, 0)))[:20].tolist() == [1] * 20


def test_bout_rules_hold_on_noisy_probabilities() -> None:
    rng = np.random.default_rng(3)
    p, _ = _episode(3000, rng, noise=1.5)
    params = DecoderParams(min_length=(4, 6, 9), merge_gap=(3, 5, 2))
    b = bout_table(decode(p, params))
    min_len = np.array([4, 6, 9, 1])
    assert (b.length >= min_len[b.label]).all()
    gap = np.array([3, 5, 2, 0])
    inner = np.flatnonzero((b.label == 3)[1:-1]) + 1
    same = b.label[inner - 1] == b.label[inner + 1]
    assert (b.length[inner][same] >= gap[b.label[inner - 1][same]]).all()


def test_decoding_concatenated_sequences_equals_decoding_each() -> None:
    rng = np.random.default_rng(4)
    probas = [_episode(n, rng, noise=1.5)[0] for n in (300, 7, 1, 250)]
    params = DecoderParams(
        bias=(0.3, -0.2, 0.5),
        smooth=5,
        min_length=(3, 5, 9),
        merge_gap=(2, 4, 6),
        onset_shift=(-6, 3, 0),
        offset_shift=(10, -2, 4),
    )
    seg_start = segment_starts([p.shape[0] for p in probas])
    scores = np.concatenate([log_scores(p, params.smooth) for p in probas])
    joint = _decode_scores(scores, params, seg_start)
    assert np.array_equal(joint, np.concatenate([decode(p, params) for p in probas]))


def test_decoder_params_round_trip_through_json() -> None:
    params = DecoderParams(
        bias=(0.5, -1.0, 0.25),
        smooth=9,
        min_length=(3, 5, 15),
        merge_gap=(0, 3, 9),
        onset_shift=(-6, 0, 3),
        offset_shift=(0, 15, -3),
    )
    data = json.loads(json.dumps(params.to_dict()))
    assert data["bias"]["investigation"] == -1.0
    assert DecoderParams.from_dict(data) == params
    assert DecoderParams.from_dict({"smooth": 3}) == DecoderParams(smooth=3)
    assert DecoderParams.from_dict({"bias": {"mount": 1.0}}).bias == (0.0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"smooth": 4}, "odd number of frames"),
        ({"smoothing": 3}, "unknown decoder parameter"),
        ({"bias": {"grooming": 1.0}}, "unknown behaviour"),
        ({"min_length": [1, 2]}, "must hold 3 ints"),
        ({"merge_gap": {"attack": -1}}, "must be >= 0"),
        ({"bias": [0.0, float("nan"), 0.0]}, "finite"),
    ],
)
def test_invalid_decoder_params_are_rejected_clearly(data: dict, message: str) -> None:
    with pytest.raises(ModelFormatError, match=message):
        DecoderParams.from_dict(data)


def test_decode_rejects_malformed_probabilities() -> None:
    with pytest.raises(DataFormatError, match=r"shape \(5, 3\)"):
        decode(np.ones((5, 3)))
    bad = np.full((5, 4), 0.25)
    bad[3, 1] = np.nan
    with pytest.raises(DataFormatError, match="frame 3"):
        decode(bad)


@pytest.mark.parametrize("seed", range(3))
def test_fast_macro_f1_equals_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.choice(4, 400, p=[0.0, 0.5, 0.2, 0.3] if seed == 0 else None)
    z = rng.choice(4, 400, p=[0.0, 0.2, 0.3, 0.5] if seed == 0 else None)
    expected = f1_score(y, z, labels=[0, 1, 2], average="macro", zero_division=0)
    assert macro_f1(y, z) == pytest.approx(expected)


def test_boundary_shifts_move_bouts_taking_only_frames_labelled_other() -> None:
    o = 3
    #         0  1  2  3  4  5  6  7  8  9 10 11 12 13
    labels = [o, o, o, 1, 1, 1, 1, o, o, 0, 0, o, o, o]
    p = _onehot(labels)
    later = decode(p, DecoderParams(onset_shift=(0, 2, 0), offset_shift=(0, 1, 0)))
    assert later.tolist() == [o, o, o, o, o, 1, 1, 1, o, 0, 0, o, o, o]
    # investigation may not grow into the attack that follows it; attack ends later
    grown = decode(p, DecoderParams(onset_shift=(0, -5, 0), offset_shift=(3, 5, 0)))
    assert grown.tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    # a bout shifted to nothing is gone
    gone = decode(p, DecoderParams(onset_shift=(0, 3, 0), offset_shift=(0, -3, 0)))
    assert gone.tolist() == [o] * 9 + [0, 0] + [o] * 3


def test_an_old_models_decoder_labels_identically_as_its_program() -> None:
    """A model directory written before programs holds decoders: loaded as programs
    (on the reference's scores, or on a style's own as a residual), the labels stay."""
    rng = np.random.default_rng(12)
    p, _ = _episode(4000, rng, noise=1.5)
    style = _scale_class(p, 0, 2.0)
    params = DecoderParams(
        bias=(0.4, -0.3, 0.2),
        smooth=5,
        min_length=(3, 6, 9),
        merge_gap=(3, 5, 0),
        onset_shift=(-6, 0, 3),
        offset_shift=(4, -3, 0),
    )
    program = saved_program({"decoder": params.to_dict()}, "model.json: styles[0]")
    assert np.array_equal(program.apply(p), decode(p, params))
    as_style = with_residual(program)
    assert as_style.own_edits == ()  # nothing of its own to describe
    assert np.array_equal(as_style.apply(p, residual=style), decode(style, params))
    saved = saved_program({"program": as_style.to_dict()}, "model.json: styles[0]")
    assert saved == as_style
