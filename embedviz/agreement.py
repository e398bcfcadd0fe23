"""Measures of two models' embeddings of the same texts: do they agree on each text's
neighbours, which pairs did they rank most differently, how well does each separate a
label, where does a paraphrase rank, and how far apart are their maps. Beside
:mod:`embedviz.quality` (how far to trust one map), these say how far two models agree;
:mod:`embedviz.comparison` runs both models and holds the result.

- the agreement of neighbourhoods: per text, the share of its ``k`` nearest texts that both
  models name (and its mean over the texts, one number for the corpus);
- the pairs whose similarity moved most, on a rank scale: the raw cosines of two models are
  not comparable (one squeezes everything into 0.8-1.0), so each pair gets its percentile
  among all pairs under each model and the move is the difference of percentiles;
- with labels: leave-one-out kNN label accuracy;
- with paraphrase pairs ("twins"): where each text's twin ranks among its neighbours;
- B's map rotated, scaled and moved onto A's (orthogonal Procrustes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import orthogonal_procrustes
from scipy.stats import rankdata

from ._validation import check_embeddings
from .similarity import top_k_neighbours

#: text's nearest are not simply all the others.
AGREEMENT_K = 10
#: Neighbours that vote for a text's label in the kNN label accuracy.
LABEL_K = 5
#: Up to this many texts every pair is ranked (n = 3,000 is 4.5 million pairs); above, the
#: pairs among each text's nearest under either model, ranked against a sample of all pairs.
ALL_PAIRS_UP_TO = 3000
#: Pairs drawn to estimate the percentiles above :data:`ALL_PAIRS_UP_TO` texts.
REFERENCE_PAIRS = 1_000_000
#: Moves smaller than this many percentile points are not listed as moved (ties, rounding).
MIN_MOVE = 1.0
#: The moved pairs kept each way (closer under B, apart under B) for the table and CSV.
KEEP_MOVED = 1000


def _unit(X) -> np.ndarray:
    return check_embeddings(X)


def neighbour_agreement(
    Xa, Xb, k: int = AGREEMENT_K, near: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, int]:
    """Per text, the share of its ``k`` nearest texts (cosine) that both models name.

    Returns:
        (float32 ``(n,)`` in [0, 1], the k used: at most ``(n - 1) // 2`` and at least 1;
        NaN and 0 for one text). ``near``: each model's k nearest, when already found.
    """
    n = len(Xa)
    k = max(1, min(k, (n - 1) // 2)) if n > 1 else 0
    if k < 1:
        return np.full(n, np.nan, dtype=np.float32), 0
    if near is not None and near[0].shape[1] == k:
        near_a, near_b = near
    else:
        near_a, _ = top_k_neighbours(Xa, k)
        near_b, _ = top_k_neighbours(Xb, k)
    shared = np.empty(n, dtype=np.float32)
    step = max(1, 4_000_000 // (k * k))
    for start in range(0, n, step):
        a, b = near_a[start : start + step], near_b[start : start + step]
        shared[start : start + step] = (a[:, :, None] == b[:, None, :]).any(axis=2).sum(axis=1)
    return shared / k, k


def knn_label_accuracy(
    X, labels: Sequence[str], k: int = LABEL_K, near: np.ndarray | None = None
) -> float:
    """Leave-one-out accuracy of a vote of each text's ``k`` nearest texts for its label.

    A tie goes to the label of the nearest text among the tied ones. ``near``: each text's
    nearest (most similar first), when already found with at least ``k`` of them.
    """
    values = np.asarray([str(v) for v in labels], dtype=object)
    n = len(values)
    if n < 2:
        return float("nan")
    k = min(k, n - 1)
    near = near[:, :k] if near is not None and near.shape[1] >= k else top_k_neighbours(X, k)[0]
    _, codes = np.unique(values, return_inverse=True)
    right = 0
    for i, row in enumerate(near):
        votes = codes[row]
        counts = np.bincount(votes)
        best = np.flatnonzero(counts == counts.max())
        guess = next(v for v in votes if v in best)  # nearest first
        right += guess == codes[i]
    return right / n


def percentile_ranks(values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Each value's percentile (0-100, ties share the mid rank) among ``reference``, or
    among the values themselves."""
    values = np.asarray(values, dtype=np.float64)
    if reference is None:
        if len(values) == 0:
            return values
        return (rankdata(values, method="average") - 0.5) / len(values) * 100.0
    ref = np.sort(np.asarray(reference, dtype=np.float64))
    below = np.searchsorted(ref, values, side="left")
    upto = np.searchsorted(ref, values, side="right")
    return (below + upto) / 2.0 / len(ref) * 100.0


def _sample_pairs(n: int, m: int, rng) -> tuple[np.ndarray, np.ndarray]:
    i = rng.integers(0, n, m)
    j = rng.integers(0, n - 1, m)
    j = j + (j >= i)  # never a text with itself
    return i, j


def _row_cosines(U: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Cosines of the pairs (i[k], j[k]) of unit rows, gathered in chunks of bounded memory."""
    out = np.empty(len(i), dtype=np.float32)
    step = max(1, 2**26 // (4 * U.shape[1]))  # ~64 MB of gathered rows a side
    for start in range(0, len(i), step):
        a, b = U[i[start : start + step]], U[j[start : start + step]]
        out[start : start + len(a)] = np.einsum("ij,ij->i", a, b)
    # Rounded: equal pairs must rank equal, not by float32 noise in the last bit.
    return np.round(np.clip(out, -1.0, 1.0), 6)


@dataclass
class MovedPairs:
    """Pairs (i < j) with their cosine and percentile under each model.

    ``change`` is B's percentile minus A's: positive when B finds the pair more alike than A
    does, relative to all other pairs. ``how`` says which pairs were ranked.
    """

    i: np.ndarray
    j: np.ndarray
    cosine_a: np.ndarray
    cosine_b: np.ndarray
    percentile_a: np.ndarray
    percentile_b: np.ndarray
    n_pairs: int
    how: str

    @property
    def change(self) -> np.ndarray:
        return self.percentile_b - self.percentile_a


def moved_pairs(
    Xa,
    Xb,
    *,
    keep: int = KEEP_MOVED,
    random_state: int = 0,
    near: tuple[np.ndarray, np.ndarray] | None = None,
) -> MovedPairs:
    """The pairs that moved most between two models, ``keep`` each way.

    Up to :data:`ALL_PAIRS_UP_TO` texts every pair is ranked; above, the candidates are the
    pairs among each text's :data:`AGREEMENT_K` nearest under either model, and their
    percentiles come from :data:`REFERENCE_PAIRS` random pairs. ``near``: each model's
    :data:`AGREEMENT_K` nearest, when already found.
    """
    Ua, Ub = _unit(Xa), _unit(Xb)
    n = len(Ua)
    n_pairs = n * (n - 1) // 2
    if n <= ALL_PAIRS_UP_TO:
        i, j = np.triu_indices(n, k=1)
        # The n x n products (36 MB at 3,000 texts), not gathered rows per pair.
        ca = np.round(np.clip((Ua @ Ua.T)[i, j], -1.0, 1.0), 6)
        cb = np.round(np.clip((Ub @ Ub.T)[i, j], -1.0, 1.0), 6)
        pa, pb = percentile_ranks(ca), percentile_ranks(cb)
        how = f"all {n_pairs:,} pairs ranked"
    else:
        k = min(AGREEMENT_K, n - 1)
        if near is None or near[0].shape[1] != k:
            near = (top_k_neighbours(Ua, k)[0], top_k_neighbours(Ub, k)[0])
        cand = [np.stack([np.repeat(np.arange(n), k), found.ravel()], axis=1) for found in near]
        both = np.sort(np.concatenate(cand), axis=1)
        both = np.unique(both, axis=0)
        i, j = both[:, 0], both[:, 1]
        ca, cb = _row_cosines(Ua, i, j), _row_cosines(Ub, i, j)
        rng = np.random.default_rng(random_state)
        ri, rj = _sample_pairs(n, min(REFERENCE_PAIRS, n_pairs), rng)
        pa = percentile_ranks(ca, _row_cosines(Ua, ri, rj))
        pb = percentile_ranks(cb, _row_cosines(Ub, ri, rj))
        how = (
            f"the {len(i):,} pairs among each text's {k} nearest under either model, "
            f"ranked against {min(REFERENCE_PAIRS, n_pairs):,} random pairs"
        )
    change = pb - pa
    order = np.argsort(-change, kind="stable")
    if len(order) > 2 * keep:
        order = np.concatenate([order[:keep], order[-keep:]])
    return MovedPairs(
        i=i[order],
        j=j[order],
        cosine_a=ca[order],
        cosine_b=cb[order],
        percentile_a=pa[order],
        percentile_b=pb[order],
        n_pairs=n_pairs,
        how=how,
    )


def twin_ranks(X, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """For each (text, twin): the twin's rank among the text's neighbours (1 = nearest;
    ties count in the twin's favour). int ``(len(pairs),)``."""
    U = _unit(X)
    ranks = np.empty(len(pairs), dtype=np.int64)
    for p, (i, j) in enumerate(pairs):
        row = U @ U[i]
        row[i] = -np.inf
        ranks[p] = 1 + int((row > row[j]).sum())
    return ranks


def align(coords_a: np.ndarray, coords_b: np.ndarray) -> tuple[np.ndarray, float]:
    """B's points rotated (or reflected), scaled and moved to lie as close to A's as they can.

    Returns:
        (B's aligned coordinates, the disparity: the squared distance left after aligning,
        over A's spread; 0 when the maps are the same up to rotation and scale, 1 when
        unrelated).
    """
    A = np.asarray(coords_a, dtype=np.float64)
    B = np.asarray(coords_b, dtype=np.float64)
    mean_a, mean_b = A.mean(axis=0), B.mean(axis=0)
    A0, B0 = A - mean_a, B - mean_b
    norm_a, norm_b = np.linalg.norm(A0), np.linalg.norm(B0)
    if norm_a == 0 or norm_b == 0:
        return (B0 + mean_a).astype(np.float32), 0.0
    R, s = orthogonal_procrustes(B0 / norm_b, A0 / norm_a)
    aligned = (B0 / norm_b) @ R * s * norm_a + mean_a
    disparity = float(((aligned - A) ** 2).sum() / norm_a**2)
    return aligned.astype(np.float32), disparity
