"""Analyse: can the picture be trusted? How well a projection keeps each text's neighbours.

Two scores, both 1.0 for a perfect map:

- **trustworthiness** (Venna & Kaski; scikit-learn's ``trustworthiness``): penalises texts that
  look like neighbours in the picture but are not in the embedding space;
- **kNN recall**: the share of each text's ``k`` nearest neighbours in the embedding space
  (cosine) that are also among its ``k`` nearest in the picture (Euclidean). A random picture
  scores about ``k / (n - 1)``.

Above ``max_points`` texts both are computed on a fixed random sample (neighbours found among
the sample), so the cost stays bounded.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.normal(size=(50, 2))
    >>> X = np.hstack([Y, np.zeros((50, 8))])  # the picture is the data
    >>> s = neighbourhood_scores(X, Y, metric="euclidean")
    >>> round(s.trustworthiness, 3), round(s.knn_recall, 3)
    (1.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Neighbours compared per text.
DEFAULT_K = 10
#: Above this many texts the scores use a random sample of this size.
MAX_POINTS = 3000


@dataclass
class NeighbourhoodScores:
    """Attributes:
    trustworthiness: in [0, 1]; None when there are too few texts (fewer than 4).
    knn_recall: mean share of kept neighbours, in [0, 1]; None when too few texts.
    per_point: recall per text, float32 ``(n_texts,)``; NaN for texts outside the sample.
    k: neighbours compared (lowered for small inputs).
    n_scored: texts the scores are computed on.
    n_texts: all texts.
    """

    trustworthiness: float | None
    knn_recall: float | None
    per_point: np.ndarray
    k: int
    n_scored: int
    n_texts: int

    def describe(self) -> str:
        if self.trustworthiness is None:
            return "Too few texts to score how well the picture keeps neighbours (4 needed)."
        text = (
            f"trustworthiness {self.trustworthiness:.2f}, "
            f"kNN recall {self.knn_recall:.2f} (k = {self.k})"
        )
        if self.n_scored < self.n_texts:
            text += f", on a random sample of {self.n_scored:,} of {self.n_texts:,} texts"
        return text


def _neighbours(D: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's k nearest (self excluded) from a distance matrix."""
    D = D.copy()
    np.fill_diagonal(D, np.inf)
    return np.argpartition(D, k - 1, axis=1)[:, :k]


def _distances(X: np.ndarray, metric: str) -> np.ndarray:
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(X, metric=metric).astype(np.float32)


def neighbourhood_scores(
    X,
    Y,
    *,
    k: int = DEFAULT_K,
    metric: str = "cosine",
    max_points: int = MAX_POINTS,
    random_state: int = 0,
) -> NeighbourhoodScores:
    """Trustworthiness and kNN recall of the picture ``Y`` of the embeddings ``X``.

    Args:
        X: embeddings ``(n_texts, dim)``.
        Y: their projection ``(n_texts, 2 or 3)``.
        k: neighbours per text; lowered to ``(n - 1) // 2`` for small inputs (the
            trustworthiness formula needs ``k < n / 2``).
        metric: distance in the embedding space (cosine for sentence embeddings).
        max_points: above this many texts, score a random sample of this many.
        random_state: seed of the sample.
    """
    X = np.asarray(X, dtype=np.float32)
    Y = np.asarray(Y, dtype=np.float32)
    n = X.shape[0]
    if Y.shape[0] != n:
        raise ValueError(f"{n} embeddings but {Y.shape[0]} projected points.")
    per_point = np.full(n, np.nan, dtype=np.float32)
    if n < 4:
        return NeighbourhoodScores(None, None, per_point, 0, n, n)
    sample = np.arange(n)
    if n > max_points:
        sample = np.sort(np.random.default_rng(random_state).choice(n, max_points, replace=False))
    m = len(sample)
    k = max(1, min(k, (m - 1) // 2))
    Dx = _distances(X[sample], metric)
    Dy = _distances(Y[sample], "euclidean")
    near_x = _neighbours(Dx, k)
    near_y = _neighbours(Dy, k)
    kept = np.array(
        [len(np.intersect1d(a, b, assume_unique=True)) for a, b in zip(near_x, near_y, strict=True)]
    )
    per_point[sample] = kept / k
    return NeighbourhoodScores(
        trustworthiness=_trustworthiness(Dx, Dy, k),
        knn_recall=float(kept.mean() / k),
        per_point=per_point,
        k=k,
        n_scored=m,
        n_texts=n,
    )


def _trustworthiness(Dx: np.ndarray, Dy: np.ndarray, k: int) -> float:
    """Venna & Kaski's trustworthiness from two distance matrices (as scikit-learn's, which
    would recompute the distances)."""
    n = Dx.shape[0]
    Dx = Dx.copy()
    np.fill_diagonal(Dx, -np.inf)  # each point ranks itself 0
    order_x = np.argsort(Dx, axis=1, kind="stable")
    ranks = np.empty_like(order_x)
    rows = np.arange(n)[:, None]
    ranks[rows, order_x] = np.arange(n)[None, :]
    near_y = _neighbours(Dy, k)
    penalty = np.maximum(ranks[rows, near_y] - k, 0).sum()
    return float(1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))
