"""The rule learner: depth-2 Gini trees on quantile-binned base pose features.

A rule (``exclude_when`` / ``include_when``) is a node of a depth-2 tree: one or two
conditions on its path. The trees are grown by hand on a histogram of quantile bins,
as a CART tree (scikit-learn's ``DecisionTreeClassifier``) splits, rather than with
scikit-learn itself, because scikit-learn's tree is not guaranteed to give the same
rules, and is slower here:

- it puts a threshold midway between the codes present in a node, so where a bin is
  empty the same split of the frames maps to another bin edge, i.e. another feature
  value, and the rule labels new videos differently;
- it breaks ties between equally good features through a random permutation, where
  the rule must be the first such feature, to be the same on every machine;
- it sorts every column at each node, where one histogram scores every column and
  bin edge at once: on 6 videos of the ``tiny`` preset (84 features, 5,400 frames)
  three depth-2 trees took 0.39 s with scikit-learn and 0.12 s here, with the same
  root splits (the search grows a tree per fold, kind and behaviour each round).

``tests/test_program.py`` checks that on data without ties and empty bins the splits
are scikit-learn's.

Examples
--------
>>> import numpy as np
>>> x = np.arange(200, dtype=np.float32)[:, None]
>>> edges, codes = quantile_bins(x)
>>> nodes = depth2_nodes(codes, x[:, 0] >= 120, min_leaf=10)
>>> [(path, positives, rows) for path, positives, rows in nodes[:2]]
[(((0, 37, '<'),), 0, 119), (((0, 37, '>'),), 80, 81)]
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceABC

import numpy as np

from ethostyle.models.program.edits import Condition

__all__ = ["depth2_nodes", "quantile_bins", "rule_features", "simplify", "tree_rules"]

# Frames a tree is fitted on at most (a stride through the region keeps it fast).
_TREE_ROWS = 30_000
# Quantile bins per feature a rule's threshold is chosen among.
_TREE_BINS = 64
# Smallest leaf of a rule's tree as a share of the frames it is fitted on.
_MIN_LEAF_SHARE = 0.02
# Rules from each fold's tree that are decoded in full.
_RULES_PER_TREE = 3

#: A tree node: its path of ``(column, bin, op)`` steps, positives, rows.
Node = tuple[tuple[tuple[int, int, str], ...], int, int]


def rule_features(names: SequenceABC[str]) -> list[int]:
    """Columns a rule may use: the named base pose features, not windowed columns.

    Parameters
    ----------
    names : sequence of str
        Feature names (e.g. :attr:`ethostyle.features.FeatureTable.names`).

    Returns
    -------
    list of int
        Indices of the base features (no ``@`` in the name), tracking quality left out.

    Examples
    --------
    >>> rule_features(["facing_cos", "facing_cos@mean7", "keypoints_missing_fraction"])
    [0]
    """
    return [i for i, n in enumerate(names) if "@" not in n and n != "keypoints_missing_fraction"]


def quantile_bins(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, 64 quantile bins: edges ``(columns, 63)`` float32 and uint8 codes.

    ``codes[t, f]`` counts the edges of column ``f`` at or below ``x[t, f]``, so
    ``codes <= b`` holds exactly where ``x < edges[f, b]``.
    """
    qs = np.linspace(0.0, 1.0, _TREE_BINS + 1)[1:-1]
    with np.errstate(invalid="ignore"):
        edges = np.nanquantile(x, qs, axis=0).T.astype(np.float32)
    edges = np.nan_to_num(edges, nan=0.0)
    codes = np.empty(x.shape, dtype=np.uint8)
    for f in range(x.shape[1]):  # a loop over the ~85 columns, not over frames
        codes[:, f] = np.searchsorted(edges[f], x[:, f], side="right")
    return edges, codes


def _best_split(codes: np.ndarray, y: np.ndarray, min_leaf: int) -> tuple[int, int] | None:
    """The Gini-best split ``codes[:, f] <= b`` of the rows, as a CART tree chooses it.

    The split must leave ``min_leaf`` rows on each side and lower the impurity;
    every column and bin edge is scored at once from one class histogram.
    """
    m, n_cols = codes.shape
    flat = (np.arange(n_cols, dtype=np.int64) * _TREE_BINS + codes) * 2 + y[:, None]
    hist = np.bincount(flat.ravel(), minlength=n_cols * _TREE_BINS * 2)
    hist = hist.reshape(n_cols, _TREE_BINS, 2).astype(np.float64)
    left = np.cumsum(hist, axis=1)[:, :-1]
    total = hist.sum(axis=1)
    right = total[:, None, :] - left
    n_left, n_right = left.sum(axis=-1), right.sum(axis=-1)
    valid = (n_left >= min_leaf) & (n_right >= min_leaf)
    if not valid.any():
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        # n * Gini = n - sum(count^2) / n, summed over both sides.
        impurity = (
            n_left - (left**2).sum(axis=-1) / n_left + n_right - (right**2).sum(axis=-1) / n_right
        )
    impurity = np.where(valid, impurity, np.inf)
    f, b = np.unravel_index(int(np.argmin(impurity)), impurity.shape)
    parent = m - float((total[0] ** 2).sum()) / m
    if impurity[f, b] >= parent - 1e-9:
        return None
    return int(f), int(b)


def depth2_nodes(codes: np.ndarray, y: np.ndarray, min_leaf: int) -> list[Node]:
    """The nodes below the root of a depth-2 Gini tree: (path, positives, rows) each.

    A path is one or two ``(column, bin, op)`` steps, ``"<"`` for ``codes <= bin``.
    """
    root = _best_split(codes, y, min_leaf)
    if root is None:
        return []
    f, b = root
    goes_left = codes[:, f] <= b
    nodes: list[Node] = []
    for op, mask in (("<", goes_left), (">", ~goes_left)):
        step = (f, b, op)
        sub_codes, sub_y = codes[mask], y[mask]
        nodes.append(((step,), int(sub_y.sum()), int(mask.sum())))
        split = _best_split(sub_codes, sub_y, min_leaf)
        if split is None:
            continue
        g, c = split
        inner = sub_codes[:, g] <= c
        nodes.append(((step, (g, c, "<")), int(sub_y[inner].sum()), int(inner.sum())))
        nodes.append(((step, (g, c, ">")), int(sub_y[~inner].sum()), int((~inner).sum())))
    return nodes


def simplify(rule: tuple[Condition, ...]) -> tuple[Condition, ...]:
    """Merge two conditions on one feature with the same direction into the tighter one."""
    if len(rule) == 2 and rule[0].feature == rule[1].feature and rule[0].op == rule[1].op:
        pick = min if rule[0].op == "<" else max
        return (Condition(rule[0].feature, rule[0].op, pick(rule[0].value, rule[1].value)),)
    return rule


def tree_rules(
    codes: np.ndarray,
    edges: np.ndarray,
    names: SequenceABC[str],
    rows: np.ndarray,
    target: np.ndarray,
    *,
    behavior: int,
    base_cm: np.ndarray,
    adds: bool,
    min_leaf: int,
) -> list[tuple[Condition, ...]]:
    """Up to three rules (tree nodes) that raise the behaviour's F1 most.

    Parameters
    ----------
    codes, edges : numpy.ndarray
        :func:`quantile_bins` of the rule columns, all frames.
    names : sequence of str
        Names of the rule columns.
    rows : numpy.ndarray
        ``(frames,)`` bool: the frames the rule may change (of the training folds).
    target : numpy.ndarray
        ``(frames,)`` bool: where the annotator wants the change.
    behavior : int
        The behaviour edited.
    base_cm : numpy.ndarray
        ``(4, 4)`` confusion matrix of the program now, on the training folds.
    adds : bool
        The rule gives its frames the behaviour (``include_when``), or takes it away.
    min_leaf : int
        Fewest frames in a leaf (grows to 2% of the frames the tree is fitted on).

    Returns
    -------
    list of tuple of Condition
        Best first; ties go to fewer conditions.
    """
    idx = np.flatnonzero(rows)
    if idx.size < 2 * min_leaf:
        return []
    if idx.size > _TREE_ROWS:  # a stride through the region: fast and deterministic
        idx = idx[np.linspace(0, idx.size - 1, _TREE_ROWS).astype(np.int64)]
    scale = np.count_nonzero(rows) / idx.size
    y = target[idx]
    if y.all() or not y.any():
        return []
    leaf = max(min_leaf, int(_MIN_LEAF_SHARE * idx.size))
    nodes = depth2_nodes(codes[idx], y, leaf)
    if not nodes:
        return []
    pos = np.array([n[1] for n in nodes], dtype=np.float64) * scale
    cnt = np.array([n[2] for n in nodes], dtype=np.float64) * scale
    neg = cnt - pos
    c = behavior
    tp = float(base_cm[c, c])
    fp = float(base_cm[:, c].sum() - tp)
    fn = float(base_cm[c, :].sum() - tp)
    if adds:  # pos gain a TP, neg add an FP
        tp2, fp2, fn2 = tp + pos, fp + neg, fn - pos
    else:  # flipped frames: pos lose an FP, neg lose a TP
        tp2, fp2, fn2 = tp - neg, fp - pos, fn + neg
    denom = 2 * tp2 + fp2 + fn2
    f1_after = np.divide(2 * tp2, denom, out=np.zeros_like(denom), where=denom > 0)
    f1_now = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) > 0 else 0.0
    conditions = [
        tuple(Condition(names[f], op, float(f"{edges[f, b]:.4g}")) for f, b, op in path)
        for path, _, _ in nodes
    ]
    order = [i for i in range(len(nodes)) if f1_after[i] > f1_now + 1e-9]
    order.sort(key=lambda i: (-f1_after[i], len(conditions[i]), i))
    rules: list[tuple[Condition, ...]] = []
    for i in order:
        rule = simplify(conditions[i])
        if rule not in rules:
            rules.append(rule)
        if len(rules) == _RULES_PER_TREE:
            break
    return rules
