"""Analyse: cosine similarity between texts, an order that puts similar texts together, and
the most similar pairs.

Example:
    >>> import numpy as np
    >>> S = cosine_matrix(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]))
    >>> top_pairs(S, ["a", "b", "c"], k=1)[["text_a", "text_b"]].values.tolist()
    [['a', 'b']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .project import check_embeddings


def cosine_matrix(X) -> np.ndarray:
    """Cosine similarity of every pair of rows.

    Args:
        X: embeddings ``(n_texts, dim)``.

    Returns:
        float32 ``(n_texts, n_texts)``, symmetric, in [-1, 1]. An all-zero row has
        similarity 0 to everything, itself included.
    """
    U = check_embeddings(X)
    S = U @ U.T
    np.clip(S, -1.0, 1.0, out=S)
    return S


def similarity_order(S: np.ndarray) -> np.ndarray:
    """A permutation of the texts in which similar texts sit next to each other.

    The leaf order of an average-linkage tree on cosine distance, optimally ordered so that
    neighbouring leaves are as similar as possible.

    Returns:
        int array ``(n_texts,)``: ``S[order][:, order]`` is the reordered matrix.
    """
    n = S.shape[0]
    if n <= 2:
        return np.arange(n)
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    D = np.clip(1.0 - S.astype(np.float64), 0.0, 2.0)
    D = (D + D.T) / 2
    np.fill_diagonal(D, 0.0)
    condensed = squareform(D, checks=False)
    tree = linkage(condensed, method="average")
    return leaves_list(optimal_leaf_ordering(tree, condensed))


def pair_frame(S: np.ndarray, texts: list[str], k: int | None = None) -> pd.DataFrame:
    """Distinct pairs (i < j) by descending cosine; the ``k`` most similar, or all.

    Returns:
        DataFrame with columns ``rank, i, j, text_a, text_b, cosine`` (i, j are 0-based
        positions in ``texts``).
    """
    n = S.shape[0]
    if n != len(texts):
        raise ValueError(f"{n} rows of similarities but {len(texts)} texts.")
    i, j = np.triu_indices(n, k=1)
    values = S[i, j]
    if k is not None and k < len(values):
        top = np.argpartition(-values, k)[:k]
        order = top[np.argsort(-values[top], kind="stable")]
    else:
        order = np.argsort(-values, kind="stable")
    i, j, values = i[order], j[order], values[order]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(order) + 1),
            "i": i,
            "j": j,
            "text_a": [texts[a] for a in i],
            "text_b": [texts[b] for b in j],
            "cosine": np.round(values.astype(np.float64), 4),
        }
    )


def top_pairs(S: np.ndarray, texts: list[str], k: int = 20) -> pd.DataFrame:
    """The ``k`` most similar distinct pairs (see :func:`pair_frame`)."""
    return pair_frame(S, texts, k=k)
