"""Tests of ethostyle.bouts: bout tables, painting bouts back, pairing bouts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ethostyle.bouts import Bouts, bout_table, labels_from_bouts, match_bouts
from ethostyle.errors import DataFormatError

label_lists = st.lists(st.integers(0, 3), min_size=0, max_size=120)


def test_bout_table_lists_runs_with_exclusive_stops() -> None:
    b = bout_table(np.array([3, 3, 1, 1, 1, 3, 0, 0]))
    assert b.start.tolist() == [0, 2, 5, 6]
    assert b.stop.tolist() == [2, 5, 6, 8]
    assert b.label.tolist() == [3, 1, 3, 0]
    assert b.length.tolist() == [2, 3, 1, 2]
    assert len(b) == 4


def test_bout_table_of_an_empty_array_has_no_bouts() -> None:
    b = bout_table(np.zeros(0, np.int8))
    assert len(b) == 0
    assert labels_from_bouts(b, 0).shape == (0,)


def test_bout_table_starts_a_new_bout_at_each_break() -> None:
    b = bout_table(np.array([1, 1, 1, 1, 1]), breaks=np.array([0, 2, 3]))
    assert b.start.tolist() == [0, 2, 3]
    assert b.stop.tolist() == [2, 3, 5]


def test_bout_table_rejects_two_dimensional_labels() -> None:
    with pytest.raises(DataFormatError, match="1-D"):
        bout_table(np.zeros((3, 2)))


def test_of_keeps_bouts_of_one_label_by_index_or_name() -> None:
    b = bout_table(np.array([1, 1, 3, 0, 1]))
    assert b.of(1).start.tolist() == [0, 4]
    assert b.of("investigation").stop.tolist() == [2, 5]
    with pytest.raises(DataFormatError, match="unknown behaviour"):
        b.of("grooming")


@settings(max_examples=60, deadline=None)
@given(label_lists, st.lists(st.integers(0, 119), max_size=5))
def test_labels_from_bouts_inverts_bout_table(labels: list[int], breaks: list[int]) -> None:
    y = np.array(labels, dtype=np.int8)
    b = bout_table(y, np.array(breaks, dtype=np.int64))
    assert np.array_equal(labels_from_bouts(b, y.size), y)
    # bouts tile the frames, and runs only split at label changes or breaks
    assert b.length.sum() == y.size
    if len(b) > 1:
        assert np.array_equal(b.start[1:], b.stop[:-1])
        same = b.label[1:] == b.label[:-1]
        assert np.isin(b.start[1:][same], breaks).all()


def test_labels_from_bouts_fills_uncovered_frames() -> None:
    b = bout_table(np.array([3, 0, 0, 3, 1, 1])).of(1)
    assert labels_from_bouts(b, 6).tolist() == [3, 3, 3, 3, 1, 1]
    assert labels_from_bouts(b, 6, fill=0).tolist() == [0, 0, 0, 0, 1, 1]


def test_labels_from_bouts_rejects_bouts_outside_the_sequence() -> None:
    b = Bouts(np.array([0, 4]), np.array([2, 7]), np.array([1, 1], np.int8))
    with pytest.raises(DataFormatError, match=r"bout 1 spans frames \[4, 7\)"):
        labels_from_bouts(b, 6)


def test_match_bouts_pairs_each_true_bout_with_its_overlapping_prediction() -> None:
    ref = bout_table(np.array([1, 1, 1, 1, 3, 3, 1, 1, 1, 3]))  # inv bouts 0:[0,4) 2:[6,9)
    other = bout_table(np.array([3, 1, 1, 3, 1, 1, 1, 1, 1, 3]))  # inv bouts 1:[1,3) 3:[4,9)
    ri, oi = match_bouts(ref, other, "investigation")
    assert ri.tolist() == [0, 2]
    assert oi.tolist() == [1, 3]
    # IoUs are 2/4 and 3/5: a 0.55 threshold keeps only the second pair
    ri, oi = match_bouts(ref, other, 1, min_overlap=0.55)
    assert (ri.tolist(), oi.tolist()) == ([2], [3])


def test_match_bouts_gives_a_shared_bout_to_the_larger_overlap_only() -> None:
    ref = bout_table(np.array([1, 1, 1, 3, 1, 1, 1, 1, 1, 3]))  # [0,3) and [4,9)
    other = bout_table(np.ones(10, np.int8))  # one bout [0,10): IoU 0.3 and 0.5
    ri, oi = match_bouts(ref, other, 1)
    assert (ri.tolist(), oi.tolist()) == ([2], [0])
    assert match_bouts(ref, other, 1, min_overlap=0.6)[0].size == 0


def test_match_bouts_ignores_other_behaviours_and_non_overlapping_bouts() -> None:
    ref = bout_table(np.array([0, 0, 3, 3, 1, 1]))
    other = bout_table(np.array([3, 3, 0, 0, 1, 1]))
    ri, oi = match_bouts(ref, other, "attack")
    assert ri.size == 0 and oi.size == 0
    assert match_bouts(ref, other, "investigation")[1].tolist() == [2]


def test_match_bouts_pairs_a_bout_whose_first_choice_was_taken() -> None:
    # ref bouts 0:[0,1) 2:[2,8); other bouts 0:[0,4) 2:[6,8)
    # IoU: r0-o0 1/4, r2-o0 2/8, r2-o2 2/6. Greedy takes r2-o2 first, then r0-o0 is
    # free: r0 must not stay unmatched because o0 preferred r2 (more shared frames).
    ref = bout_table(np.array([1, 3, 1, 1, 1, 1, 1, 1]))
    other = bout_table(np.array([1, 1, 1, 1, 3, 3, 1, 1]))
    ri, oi = match_bouts(ref, other, 1)
    assert (ri.tolist(), oi.tolist()) == ([0, 2], [0, 2])


def _greedy_reference(ref: Bouts, other: Bouts, code: int, min_overlap: float) -> set:
    """Plain-loop greedy matching, the definition match_bouts must reproduce."""
    pairs = []
    for i in np.flatnonzero(ref.label == code):
        for j in np.flatnonzero(other.label == code):
            shared = min(ref.stop[i], other.stop[j]) - max(ref.start[i], other.start[j])
            if shared <= 0:
                continue
            union = ref.length[i] + other.length[j] - shared
            if shared / union >= min_overlap:
                pairs.append((-shared / union, -shared, int(i), int(j)))
    used_i, used_j, out = set(), set(), set()
    for _, _, i, j in sorted(pairs):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.add((i, j))
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=80),
    st.lists(st.integers(0, 3), min_size=1, max_size=80),
    st.sampled_from([0.0, 0.3, 0.5]),
)
def test_match_bouts_equals_greedy_matching_by_iou(a: list[int], b: list[int], th: float) -> None:
    n = min(len(a), len(b))
    ref, other = bout_table(np.array(a[:n])), bout_table(np.array(b[:n]))
    for code in (0, 1):
        ri, oi = match_bouts(ref, other, code, min_overlap=th)
        got = set(zip(ri.tolist(), oi.tolist(), strict=True))
        assert got == _greedy_reference(ref, other, code, th)
        assert len(set(ri.tolist())) == ri.size and len(set(oi.tolist())) == oi.size


def test_match_bouts_rejects_overlapping_bouts_of_one_label() -> None:
    bad = Bouts(np.array([0, 2]), np.array([4, 6]), np.array([1, 1], np.int8))
    with pytest.raises(DataFormatError, match="overlap each other"):
        match_bouts(bad, bout_table(np.ones(6, np.int8)), 1)
