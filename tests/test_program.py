"""Tests of ethostyle.models.program: style programs, their search, plain data and words."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d
from sklearn.tree import DecisionTreeClassifier

from ethostyle.bouts import bout_table
from ethostyle.data import OTHER, VOCABULARY
from ethostyle.decode import DecoderParams, decode, segment_starts, shift_bouts
from ethostyle.errors import DataFormatError, ModelFormatError
from ethostyle.features import pose_features
from ethostyle.models.program import (
    DEFAULT_PENALTY,
    EDIT_KINDS,
    INCLUDE_WINDOW,
    Condition,
    Edit,
    Effect,
    StyleProgram,
    annotator_lines,
    fit_program,
    residual_gain,
)
from ethostyle.models.program.folds import MIN_RUN_FRAMES, search_folds, video_parts
from ethostyle.models.program.pipeline import near as _near
from ethostyle.models.program.rules import depth2_nodes as _depth2_nodes
from ethostyle.models.program.rules import quantile_bins as _quantile_bins
from ethostyle.simulate.behaviour import simulate_world
from ethostyle.simulate.presets import PRESETS
from ethostyle.simulate.styles import STYLES, PerBehavior, label_with_style

ATTACK, INVESTIGATION, MOUNT = (VOCABULARY.index(b) for b in ("attack", "investigation", "mount"))
REFERENCE = STYLES[0]
N_FRAMES = 6000  # 200 s per video: two of them are what an annotator typically labels


# ----------------------------------------------------------------- simulated data
@functools.cache
def _video(seed: int, index: int) -> tuple:
    """A busy simulated video: world, base pose features and their names."""
    world = simulate_world(N_FRAMES, seed=[seed, index], params=PRESETS["tiny"].behaviour)
    x, names = pose_features(world.keypoints)
    return world, x, tuple(names)


def _reference_proba(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a reference model trained on annotator 0 outputs: its labels, softened and noisy.

    The noise is smooth over a second, so it errs around bout edges and now and then
    over a stretch, as a model does, rather than flickering frame by frame.
    """
    noise = uniform_filter1d(rng.normal(0.0, 0.5, (labels.size, 4)), 31, axis=0) * np.sqrt(31)
    logits = 3.0 * uniform_filter1d(np.eye(4)[labels], 7, axis=0) + noise
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _videos(seed: int, style=REFERENCE, transform=None, n_videos: int = 2):
    """``(proba, features, labels)`` per video of an annotator, and the feature names.

    ``proba`` comes from the reference annotator's labels of the video (another
    draw of its lapses and jitter than the annotator's own), ``labels`` from
    ``style``, then ``transform(labels, features, names)`` when given.
    """
    out = []
    for i in range(n_videos):
        world, x, names = _video(seed, i)
        reference = label_with_style(world, REFERENCE, seed=[seed, i, 0])
        labels = label_with_style(world, style, seed=[seed, i, 1])
        if transform is not None:
            labels = transform(labels, x, list(names))
        out.append((_reference_proba(reference, np.random.default_rng([seed, i, 2])), x, labels))
    return out, list(names)


def _relabel_short(behaviour: int, frames: int, to: int):
    def transform(labels, x, names):
        b = bout_table(labels)
        new = b.label.copy()
        new[(new == behaviour) & (b.length < frames)] = to
        return np.repeat(new, b.length).astype(np.int8)

    return transform


def _exclude(behaviour: int, feature: str, value: float):
    def transform(labels, x, names):
        out = labels.copy()
        out[(labels == behaviour) & (x[:, names.index(feature)] < value)] = OTHER
        return out

    return transform


def _include(behaviour: int, feature: str, value: float):
    def transform(labels, x, names):
        out = labels.copy()
        near = _near(labels == behaviour, INCLUDE_WINDOW, segment_starts([labels.size]))
        out[(labels == OTHER) & near & (x[:, names.index(feature)] < value)] = behaviour
        return out

    return transform


def _own(program: StyleProgram, kind: str, behaviour: int) -> list[Edit]:
    return [e for e in program.own_edits if e.kind == kind and e.behavior == behaviour]


def _within(value: float, target: float, tolerance: float = 0.3) -> bool:
    return abs(value - target) <= tolerance * abs(target)


@functools.cache
def _early_attack() -> tuple[StyleProgram, list, list[str]]:
    """The program fitted to an annotator who starts attack 24 frames early."""
    style = REFERENCE.replace(onset_shift_frames=PerBehavior(attack=-24))
    videos, names = _videos(0, style)
    return fit_program(videos, names, max_edits=3), videos, names


# ----------------------------------------------------------------- recovering rules
def test_an_earlier_attack_onset_is_recovered_as_an_onset_shift() -> None:
    program, _, _ = _early_attack()
    (edit,) = _own(program, "onset_shift", ATTACK)
    assert _within(edit.frames, -24), edit
    assert edit.gain >= DEFAULT_PENALTY


def test_a_later_investigation_offset_is_recovered_as_an_offset_shift() -> None:
    style = REFERENCE.replace(offset_shift_frames=PerBehavior(investigation=36))
    videos, names = _videos(1, style)
    program = fit_program(videos, names, max_edits=3)
    (edit,) = _own(program, "offset_shift", INVESTIGATION)
    assert _within(edit.frames, 36), edit


def test_investigation_merged_across_long_pauses_is_recovered_as_a_merge_gap() -> None:
    style = REFERENCE.replace(merge_gap_frames=PerBehavior(5, 60, 10))  # pauses under 2 s
    videos, names = _videos(2, style)
    program = fit_program(videos, names, max_edits=3)
    (edit,) = _own(program, "merge_gap", INVESTIGATION)
    assert _within(edit.frames, 60), edit


def test_short_attacks_called_investigation_are_recovered_as_relabel_short() -> None:
    videos, names = _videos(3, transform=_relabel_short(ATTACK, 30, INVESTIGATION))
    program = fit_program(videos, names, max_edits=3)
    (edit,) = _own(program, "relabel_short", ATTACK)
    assert edit.to_behavior == INVESTIGATION
    assert _within(edit.frames, 30), edit


def test_face_sniffing_left_out_is_recovered_as_an_exclude_rule() -> None:
    videos, names = _videos(4, transform=_exclude(INVESTIGATION, "r_nose-i_nose_px", 20.0))
    program = fit_program(videos, names, max_edits=3)
    (edit,) = _own(program, "exclude_when", INVESTIGATION)
    (cond,) = [c for c in edit.rule if c.feature == "r_nose-i_nose_px"]
    assert cond.op == "<" and _within(cond.value, 20.0), edit.rule


def test_a_looser_investigation_distance_is_recovered_as_an_include_rule() -> None:
    transform = _include(INVESTIGATION, "nose_to_intruder_min_px", 50.0)
    videos, names = _videos(5, transform=transform)
    program = fit_program(videos, names, max_edits=3)
    (edit,) = _own(program, "include_when", INVESTIGATION)
    (cond,) = [c for c in edit.rule if c.feature == "nose_to_intruder_min_px"]
    assert cond.op == "<" and _within(cond.value, 50.0), edit.rule


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_an_annotator_labelling_as_the_reference_gets_no_edit(seed: int) -> None:
    videos, names = _videos(seed)
    program = fit_program(videos, names)
    assert program.own_edits == (), program.own_edits
    assert program.records(3) == [] and program.describe(3) == []


def test_the_search_starts_from_the_reference_program_and_keeps_it() -> None:
    start = StyleProgram.from_decoder(DecoderParams(smooth=3, min_length=(3, 3, 3)))
    style = REFERENCE.replace(onset_shift_frames=PerBehavior(attack=-24))
    videos, names = _videos(0, style)
    program = fit_program(videos, names, start=start, max_edits=1)
    assert program.smooth == 3 and program.edits[: len(start.edits)] == start.edits
    assert program.inherited == len(start.edits)
    assert [e.kind for e in program.own_edits] == ["onset_shift"]


def test_one_video_is_cut_into_halves_for_held_out_scoring() -> None:
    style = REFERENCE.replace(onset_shift_frames=PerBehavior(attack=-24))
    videos, names = _videos(0, style, n_videos=2)
    proba = np.concatenate([v[0] for v in videos])
    x = np.concatenate([v[1] for v in videos])
    y = np.concatenate([v[2] for v in videos])
    program = fit_program([(proba, x, y)], names, max_edits=1)
    (edit,) = _own(program, "onset_shift", ATTACK)
    assert _within(edit.frames, -24)


# ----------------------------------------------------------------- labelling
def _random_inputs(rng: np.random.Generator, n: int) -> np.ndarray:
    lengths = rng.integers(1, 40, n)
    y = np.repeat(rng.choice(4, lengths.size, p=[0.15, 0.3, 0.15, 0.4]), lengths)[:n]
    logits = 2.0 * np.eye(4)[y] + rng.normal(0, 1.2, (y.size, 4))
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def _random_params(rng: np.random.Generator) -> DecoderParams:
    return DecoderParams(
        bias=tuple(rng.choice([0.0, rng.uniform(-2, 2)]) for _ in range(3)),
        smooth=int(rng.choice([1, 3, 5, 9])),
        min_length=tuple(int(rng.choice([1, rng.integers(2, 20)])) for _ in range(3)),
        merge_gap=tuple(int(rng.choice([0, rng.integers(2, 20)])) for _ in range(3)),
        onset_shift=tuple(int(rng.choice([0, rng.integers(-15, 16)])) for _ in range(3)),
        offset_shift=tuple(int(rng.choice([0, rng.integers(-15, 16)])) for _ in range(3)),
    )


@pytest.mark.parametrize("seed", range(40))
def test_a_program_from_an_old_decoder_labels_exactly_as_the_decoder(seed: int) -> None:
    rng = np.random.default_rng(seed)
    params = _random_params(rng)
    program = StyleProgram.from_decoder(params)
    probas = [_random_inputs(rng, int(rng.integers(1, 600))) for _ in range(3)]
    for p in probas:
        np.testing.assert_array_equal(program.apply(p), decode(p, params))
    # Several sequences at once: each labelled as on its own.
    pooled = program.apply(np.concatenate(probas), lengths=[len(p) for p in probas])
    np.testing.assert_array_equal(pooled, np.concatenate([decode(p, params) for p in probas]))
    again = StyleProgram.from_dict(json.loads(json.dumps(program.to_dict())), "model.json")
    np.testing.assert_array_equal(again.apply(probas[0]), decode(probas[0], params))


def test_the_plain_program_is_argmax() -> None:
    p = _random_inputs(np.random.default_rng(0), 300)
    np.testing.assert_array_equal(StyleProgram().apply(p), p.argmax(axis=1))


def test_exclude_and_include_rules_change_only_their_frames() -> None:
    p = np.eye(4)[[1, 1, 1, 1, 3, 3, 3, 3, 3, 3]] * 0.9 + 0.025
    x = np.arange(10, dtype=np.float32)[:, None]
    names = ["r_nose-i_nose_px"]
    exclude = Edit("exclude_when", "investigation", rule=(Condition("r_nose-i_nose_px", "<", 2),))
    include = Edit(
        "include_when", "investigation", frames=2, rule=(Condition("r_nose-i_nose_px", "<", 7),)
    )
    assert StyleProgram(edits=(exclude,)).apply(p, x, names).tolist() == [3, 3] + [1] * 2 + [3] * 6
    # Only other frames within 2 frames of an investigation bout, where the rule holds.
    assert StyleProgram(edits=(include,)).apply(p, x, names).tolist() == [1] * 6 + [3] * 4
    with pytest.raises(DataFormatError, match="features"):
        StyleProgram(edits=(exclude,)).apply(p)
    with pytest.raises(ModelFormatError, match="r_nose-i_nose_px"):
        StyleProgram(edits=(exclude,)).apply(p, x, ["other_name"])


def test_relabel_short_and_priority_edits() -> None:
    y = np.array([3] * 5 + [0] * 3 + [3] * 5 + [0] * 10 + [1] * 6 + [3] * 5)
    p = np.eye(4)[y] * 0.9 + 0.025
    relabel = Edit("relabel_short", "attack", frames=5, to_behavior="investigation")
    out = StyleProgram(edits=(relabel,)).apply(p)
    assert out[5:8].tolist() == [1, 1, 1] and (out[13:23] == 0).all()
    # Investigation ends 3 frames later, into the attack, only when it wins over attack.
    grow = Edit("offset_shift", "investigation", frames=3)
    plain = StyleProgram(edits=(grow,)).apply(p)
    assert plain[29:32].tolist() == [1, 1, 1]
    assert (StyleProgram(edits=(Edit("onset_shift", "investigation", frames=-3),)).apply(p))[
        20:23
    ].tolist() == [0, 0, 0]
    wins = Edit("priority", "investigation", over="attack")
    early = Edit("onset_shift", "investigation", frames=-3)
    assert StyleProgram(edits=(early, wins)).apply(p)[20:23].tolist() == [1, 1, 1]


def test_shift_bouts_takes_frames_only_where_a_priority_says_so() -> None:
    y = np.array([1, 1, 0, 0, 3], np.int8)
    onset, offset = np.zeros(4, np.int64), np.array([0, 1, 0, 0])
    seg = segment_starts([5])
    assert shift_bouts(y, onset, offset, seg).tolist() == [1, 1, 0, 0, 3]
    takes = np.zeros((4, 4), bool)
    takes[1, 0] = True
    assert shift_bouts(y, onset, offset, seg, takes).tolist() == [1, 1, 1, 0, 3]


def test_a_residual_edit_takes_its_scores_from_the_residual_model() -> None:
    y = np.repeat(np.arange(4), 50)
    p = np.full((200, 4), 0.25)
    program = StyleProgram(edits=(Edit("residual", gain=0.02),))
    np.testing.assert_array_equal(program.apply(p, residual=np.eye(4)[y]), y)
    with pytest.raises(DataFormatError, match="residual"):
        program.apply(p)
    assert residual_gain(StyleProgram(), [(p, None, y)], None, [np.eye(4)[y]]) > 0.8


def test_the_search_runs_on_residual_scores_when_the_program_has_a_residual_edit() -> None:
    style = REFERENCE.replace(onset_shift_frames=PerBehavior(attack=-24))
    videos, names = _videos(0, style)
    # The reference scores say nothing; the residual model's scores carry the behaviour.
    residual_videos = [(np.full_like(p, 0.25), x, y, p) for p, x, y in videos]
    start = StyleProgram(edits=(Edit("residual", gain=0.01),))
    program = fit_program(residual_videos, names, start=start, max_edits=1)
    (edit,) = _own(program, "onset_shift", ATTACK)
    assert _within(edit.frames, -24)
    with pytest.raises(DataFormatError, match="residual"):
        fit_program(videos, names, start=start)


# ----------------------------------------------------------------- the rule trees
def test_the_histogram_tree_splits_as_sklearns_decision_tree() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 6)).astype(np.float32)
    y = (x[:, 2] > 0.3) & (x[:, 4] < 0.5) | (rng.random(3000) < 0.05)
    edges, codes = _quantile_bins(x)
    nodes = _depth2_nodes(codes, y, min_leaf=50)
    tree = DecisionTreeClassifier(max_depth=2, min_samples_leaf=50, random_state=0)
    tree.fit(codes.astype(np.float64), y)
    t = tree.tree_
    root = nodes[0][0][0]
    assert (root[0], root[1]) == (t.feature[0], int(t.threshold[0]))
    inner = {(n[0][1][0], n[0][1][1]) for n in nodes if len(n[0]) == 2}
    sk_inner = {(t.feature[i], int(t.threshold[i])) for i in (1, 4) if t.children_left[i] > 0}
    assert inner == sk_inner
    # code <= b holds exactly where x < edges[f, b]
    f, b, _ = root
    np.testing.assert_array_equal(codes[:, f] <= b, x[:, f] < edges[f, b])


# ----------------------------------------------------------------- plain data
def _every_kind() -> StyleProgram:
    return StyleProgram(
        smooth=5,
        inherited=1,
        edits=(
            Edit("min_bout", "mount", frames=12),
            Edit("threshold", "attack", gain=0.02, bias=-0.75),
            Edit("onset_shift", "attack", gain=0.04, frames=-18),
            Edit("offset_shift", "investigation", gain=0.03, frames=36),
            Edit("merge_gap", "investigation", gain=0.012, frames=45),
            Edit("min_bout", "mount", gain=0.011, frames=90),
            Edit("relabel_short", "attack", gain=0.02, frames=30, to_behavior="other"),
            Edit("priority", "investigation", gain=0.015, over="attack", bias=1.0),
            Edit(
                "exclude_when",
                "investigation",
                gain=0.05,
                rule=(Condition("r_nose-i_nose_px", "<", 21.0), Condition("facing_cos", ">", 0.5)),
            ),
            Edit(
                "include_when",
                "investigation",
                gain=0.03,
                frames=60,
                rule=(Condition("nose_to_intruder_min_px", "<", 45.0),),
            ),
            Edit("include_motif", "attack", gain=0.02, motif=3, frames=60),
            Edit("exclude_motif", "mount", gain=0.01, motif=1, motif_description="still"),
            Edit("relabel_motif", "attack", gain=0.01, motif=2, to_behavior="investigation"),
            Edit("residual", gain=0.01),
        ),
    )


def test_a_program_round_trips_through_json() -> None:
    program = _every_kind()
    text = json.dumps(program.to_dict())
    assert StyleProgram.from_dict(json.loads(text), "model.json") == program


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("edits[2].frames", "soon", "edits[2].frames must be an int"),
        ("edits[2].frames", 2.5, "edits[2].frames must be an int"),
        ("edits[1].kind", "rename", "edits[1].kind must be one of"),
        ("edits[1].behavior", "grooming", "edits[1].behavior must be one of"),
        ("edits[8].rule", [], "edits[8].rule must hold 1 to 2 conditions"),
        ("edits[8].rule", [{"feature": "x", "op": "<"}], "edits[8].rule[0] must be an object"),
        (
            "edits[8].rule",
            [{"feature": "x", "op": "=", "value": 1}],
            'edits[8].rule[0].op must be "<" or ">"',
        ),
        ("edits[6].to_behavior", "attack", "edits[6].to_behavior must differ"),
        ("edits[7].over", None, "edits[7].over must be a behaviour name"),
        ("edits[4].speed", 3, "edits[4].speed is not a field of a merge_gap edit"),
        ("edits[1].gain", "big", "edits[1].gain must be a finite number"),
        ("smooth", 4, "program.smooth must be an odd int"),
        ("inherited", 99, "program.inherited must be an int in 0-14"),
        ("edits", {}, "program.edits must be a list"),
    ],
)
def test_a_malformed_program_names_the_file_and_the_field(path, value, message) -> None:
    data = _every_kind().to_dict()
    target, key = data, path
    if path.startswith("edits["):
        index = int(path[6 : path.index("]")])
        target, key = data["edits"][index], path.split(".", 1)[1]
    target[key] = value
    with pytest.raises(ModelFormatError) as err:
        StyleProgram.from_dict(data, "model.json: styles.3.program")
    assert str(err.value).startswith("model.json: styles.3.program")
    assert message in str(err.value)


def test_a_missing_field_and_a_non_object_are_refused() -> None:
    with pytest.raises(ModelFormatError, match=r"model.json: edits\[0\].frames is missing"):
        StyleProgram.from_dict(
            {"edits": [{"kind": "merge_gap", "behavior": "mount"}]}, "model.json"
        )
    with pytest.raises(ModelFormatError, match="must be a JSON object"):
        StyleProgram.from_dict([1, 2], "model.json")
    with pytest.raises(ValueError, match="frames is not used"):
        Edit("threshold", "attack", frames=3)


# ----------------------------------------------------------------- in words
def test_describe_states_each_own_edit_with_units_and_gain() -> None:
    lines = _every_kind().describe(3, px_per_cm=10.0)
    text = "\n".join(lines)
    assert len(lines) == 13  # the inherited min_bout is the reference's, not annotator 3's
    assert lines[1] == (
        "Annotator 3 starts attack 0.6 s (18 frames) before the reference annotator does "
        "(held-out F1 gain +0.04)."
    )
    assert "ends investigation 1.2 s (36 frames) after the reference annotator does" in text
    assert "pauses shorter than 1.5 s (45 frames)" in text
    assert "shorter than 3.0 s (90 frames); the reference annotator: 12 frames" in text
    assert "labels attack bouts shorter than 1.0 s (30 frames) as other" in text
    assert "labels investigation rather than attack" in text
    # Distances in cm when px_per_cm is given, cosines as angles in degrees.
    assert "nose to the intruder's nose is below 2.1 cm" in text
    assert "is at most 60°" in text
    assert "within 2.0 s (60 frames) of an investigation bout" in text
    assert "is below 4.5 cm" in text
    assert "residual" in lines[-1]
    assert lines[-4].startswith(
        "Annotator 3 also calls motif 3 attack within 2.0 s (60 frames) of an attack bout, "
        "where the reference annotator says other (held-out F1 gain +0.02)"
    )
    assert lines[-3].startswith("Annotator 3 does not call motif 1 — still — mount (held-out")
    assert "calls motif 2 investigation where the reference annotator says attack" in lines[-2]
    assert "21.0 px" in "\n".join(_every_kind().describe(3))
    ref = StyleProgram(edits=(Edit("onset_shift", "attack", gain=0.02, frames=6),)).describe(0)
    assert ref == [
        "Annotator 0 starts attack 0.2 s (6 frames) after the reference model's raw predictions "
        "do (held-out F1 gain +0.02)."
    ]


def test_records_carry_the_fields_of_each_kind() -> None:
    records = _every_kind().records(3)
    assert len(records) == 13 and all(r["annotator"] == 3 for r in records)
    by_kind = {r["kind"]: r for r in records}
    assert by_kind["onset_shift"] == {
        "annotator": 3,
        "behavior": "attack",
        "kind": "onset_shift",
        "gain": 0.04,
        "frames": -18,
    }
    assert by_kind["relabel_short"]["to_behavior"] == "other"
    assert by_kind["priority"]["over"] == "attack"
    assert by_kind["threshold"]["bias"] == -0.75
    assert by_kind["exclude_when"]["rule"] == [
        {"feature": "r_nose-i_nose_px", "op": "<", "value": 21.0},
        {"feature": "facing_cos", "op": ">", "value": 0.5},
    ]
    assert by_kind["residual"]["behavior"] is None
    assert by_kind["relabel_motif"] == {
        "annotator": 3,
        "behavior": "attack",
        "kind": "relabel_motif",
        "gain": 0.01,
        "motif": 2,
        "motif_description": "",
        "to_behavior": "investigation",
    }
    assert by_kind["include_motif"]["frames"] == 60
    assert by_kind["exclude_motif"]["motif_description"] == "still"
    json.dumps(records)


# ----------------------------------------------------------------- effects in frames
def test_each_accepted_edit_stores_the_frames_it_changed_on_the_fitted_videos() -> None:
    program, videos, names = _early_attack()
    assert program.own_edits and all(e.effect is not None for e in program.own_edits)
    proba = np.concatenate([v[0] for v in videos])
    x = np.concatenate([v[1] for v in videos])
    lengths = [len(v[0]) for v in videos]
    for i, edit in enumerate(program.edits):
        without = StyleProgram(edits=program.edits[:i]).apply(proba, x, names, lengths=lengths)
        with_it = StyleProgram(edits=program.edits[: i + 1]).apply(proba, x, names, lengths=lengths)
        c, effect = edit.behavior, edit.effect
        assert (effect.videos, effect.frames) == (2, sum(lengths))
        assert effect.frames_before == np.count_nonzero(without == c)
        assert effect.frames_after == np.count_nonzero(with_it == c)
        gained = [np.count_nonzero((without == k) & (with_it == c)) for k in range(4)]
        gained[c] = 0
        assert list(effect.gained_from) == gained
        assert effect.bouts_before == _bouts(without, c, lengths)
        assert effect.bouts_after == _bouts(with_it, c, lengths)
    # The effect travels with the program through its JSON.
    assert StyleProgram.from_dict(json.loads(json.dumps(program.to_dict())), "m") == program


def _bouts(labels: np.ndarray, c: int, lengths: list[int]) -> int:
    b = bout_table(labels, np.cumsum([0, *lengths[:-1]]))
    return int(np.count_nonzero(b.label == c))


def test_a_threshold_is_stated_in_frames_not_as_a_score_factor() -> None:
    effect = Effect(2, 12000, 900, 1140, 10, 12, (0, 180, 0, 60), (0, 0, 0, 0))
    edit = Edit("threshold", "attack", gain=0.02, bias=3.3, effect=effect)
    (line,) = StyleProgram(edits=(edit,)).describe(3)
    assert "multiplied" not in line and "score" not in line
    assert "240 more frames (8.0 s) as attack: 900 -> 1140 frames" in line
    assert "180 of them investigation and 60 other before" in line
    assert "10 -> 12 bouts" in line and "On the 2 videos it was learned from" in line
    fewer = Effect(1, 9000, 300, 250, 5, 5, (0, 0, 0, 0), (0, 0, 0, 50))
    edit = Edit("threshold", "mount", bias=-1.0, effect=fewer)
    (line,) = StyleProgram(edits=(edit,)).describe(3)
    assert "50 fewer frames (1.7 s) as mount" in line and "50 of them other after" in line
    # A model from before effects were measured says so, and how to see them.
    (old,) = StyleProgram(edits=(Edit("threshold", "attack", bias=3.3),)).describe(3)
    assert "was not measured" in old and "train it again" in old


def test_a_malformed_effect_names_its_field() -> None:
    data = StyleProgram(edits=(Edit("min_bout", "mount", frames=9),)).to_dict()
    data["edits"][0]["effect"] = {"videos": 2}
    with pytest.raises(ModelFormatError, match=r"m.json: edits\[0\].effect must have exactly"):
        StyleProgram.from_dict(data, "m.json")


def test_an_annotator_without_rules_gets_a_line_and_a_reference_only_model_claims_nothing() -> None:
    lines = annotator_lines({0: [], 2: ["Annotator 2 starts attack 1 s early."], 4: []}, 0)
    assert lines[0].startswith("Annotator 0 is the reference annotator")
    assert "Annotator 2 starts attack 1 s early." in lines
    assert any(line.startswith("Annotator 4: no rule") for line in lines)
    only = " ".join(annotator_lines({0: []}, 0))
    assert "trained on the reference annotator 0 only" in only
    assert "every annotator labels as" not in only


def test_the_residual_record_names_its_boosting_rounds() -> None:
    (record,) = StyleProgram(edits=(Edit("residual", gain=0.01, frames=40),)).records(2)
    assert record["rounds"] == 40 and "frames" not in record


def test_docs_styles_documents_every_record_field() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "styles.md").read_text()
    effect = Effect(2, 12000, 900, 1140, 10, 12, (0, 180, 0, 60), (0, 0, 0, 5))
    records = _every_kind().records(3) + StyleProgram(
        edits=(Edit("threshold", "attack", bias=1.0, effect=effect),)
    ).records(3)
    names = {k for r in records for k in r} | {k for r in records for k in r.get("effect", {})}
    names |= {k for r in records for c in r.get("rule", []) for k in c}
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"docs/styles.md does not document {missing}"
    for kind in EDIT_KINDS:
        assert f"`{kind}`" in doc, kind


def test_the_search_holds_out_runs_of_each_video_long_enough_to_score() -> None:
    labelled = np.ones(10, bool)
    labelled[:2] = False  # the first video starts unlabelled: its runs count labels
    assert video_parts(labelled, [6, 4], [2, 2]).tolist() == [0, 0, 0, 0, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ValueError, match="at least 1 run"):
        video_parts(labelled, [6, 4], [2, 0])
    long = 4 * MIN_RUN_FRAMES
    # Two long videos: their halves; one: its quarters; three: their halves.
    for videos, folds in ((2, 4), (1, 4), (3, 6)):
        fold = search_folds(np.ones(videos * long, bool), [long] * videos)
        assert np.bincount(fold).tolist() == [videos * long // folds] * folds
    # Videos too short to cut are held out whole; a single one is still cut in two.
    short = MIN_RUN_FRAMES
    assert np.bincount(search_folds(np.ones(2 * short, bool), [short] * 2)).tolist() == [short] * 2
    assert np.bincount(search_folds(np.ones(short, bool), [short])).tolist() == [short // 2] * 2
