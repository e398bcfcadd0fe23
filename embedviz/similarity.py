"""Analyse: cosine similarity between texts, an order that puts similar texts together, and
the most similar pairs.

Example:
    >>> import numpy as np
    >>> S = cosine_matrix(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]))
    >>> top_pairs(S, ["a", "b", "c"], k=1)[["text_a", "text_b"]].values.tolist()
    [['a', 'b']]
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ._validation import check_embeddings

log = logging.getLogger(__name__)


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


def pair_cosine(X, a: int, b: int) -> float:
    """Cosine similarity of texts ``a`` and ``b`` (0 when either embedding is all zeros)."""
    return float(cosine_matrix(np.asarray(X)[[a, b]])[0, 1])


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


#: Cells per block when similarities are computed block by block: 32 M cells are 128 MB of
#: float32 (and 256 MB of int64 indices where a block is partitioned).
BLOCK_CELLS = 32_000_000


def _block_rows(n: int) -> int:
    return int(np.clip(BLOCK_CELLS // max(n, 1), 64, 4096))


def pairs_above(
    X, threshold: float, *, limit: int | None = None, block_rows: int | None = None
) -> tuple[pd.DataFrame, int]:
    """Every distinct pair (i < j) with cosine >= ``threshold``, most similar first.

    Computed block by block, so memory stays bounded at any number of texts (no n x n matrix).

    Args:
        X: embeddings ``(n_texts, dim)``.
        threshold: the lowest cosine to list, in [-1, 1].
        limit: keep at most this many pairs (the most similar); None keeps all.

    Returns:
        (pairs, total): a DataFrame with columns ``i, j, cosine`` and the number of pairs at or
        above the threshold, which is larger than ``len(pairs)`` when ``limit`` cut them.
    """
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between -1 and 1, got {threshold}.")
    U = check_embeddings(X)
    n = U.shape[0]
    block_rows = block_rows or _block_rows(n)
    found_i, found_j, found_v = [], [], []
    total = 0
    for start in range(0, n, block_rows):
        block = U[start : start + block_rows] @ U[start:].T
        # Keep only the upper triangle: column c of this block is text start + c.
        rows, cols = np.nonzero(block >= threshold)
        keep = cols > rows
        rows, cols = rows[keep], cols[keep]
        total += len(rows)
        values = np.minimum(block[rows, cols], 1.0)
        found_i.append(rows + start)
        found_j.append(cols + start)
        found_v.append(values)
        if limit is not None and sum(len(v) for v in found_v) > 4 * limit:
            found_i, found_j, found_v = _keep_top(found_i, found_j, found_v, limit)
    i, j, v = (np.concatenate(a) if a else np.array([]) for a in (found_i, found_j, found_v))
    order = np.lexsort((j, i, -v))
    if limit is not None:
        order = order[:limit]
    frame = pd.DataFrame(
        {
            "i": i[order].astype(np.int64),
            "j": j[order].astype(np.int64),
            "cosine": np.round(v[order].astype(np.float64), 4),
        }
    )
    return frame, total


def _keep_top(found_i, found_j, found_v, limit):
    i, j, v = (np.concatenate(a) for a in (found_i, found_j, found_v))
    top = np.argpartition(-v, limit - 1)[:limit] if len(v) > limit else np.arange(len(v))
    return [i[top]], [j[top]], [v[top]]


#: Above this many texts the k nearest come from an HNSW graph (faiss) instead of exact
#: blocks: at 20,000 real texts 4.3x faster at recall@14 0.98, at 100,000 12x at 0.99
#: (bench/ann_neighbours.py). Exact search grows with n^2: 209 s at 100,000 on 2 cores.
ANN_ABOVE = 10_000
#: HNSW's links per node, how wide it searches when building and when asked, and how it
#: keeps its copy of the rows.
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_ROWS = 32, 64, 64, "float32"
#: From this many rows, for a graph that refines a layout UMAP already has (a sampled
#: UMAP's graph of all texts: ``lean=True``), a sparser graph searched narrower, its rows in
#: float16: 100,000 texts' own neighbours in ~8 s instead of 13.5 s at recall@14 0.97
#: instead of 0.98, half the memory (bench/ann_neighbours.py). Not for a fit from scratch:
#: a full fit of 100,000 texts on it saved 6 s of 54 for 0.008 less kNN recall among all
#: texts (0.604 against 0.612; with the spectral start it had crawled, 522-531 s against
#: 199-275 s). Below it the sample's own graph would fall to 0.95.
HNSW_LEAN_FROM, HNSW_LEAN = 50_000, (24, 48, 40, "float16")


def hnsw_settings(n: int, lean: bool = False) -> tuple[int, int, int, str]:
    """HNSW's (M, efConstruction, efSearch, rows) for an index of ``n`` rows: the sparser
    :data:`HNSW_LEAN` from :data:`HNSW_LEAN_FROM` rows when ``lean``."""
    if lean and n >= HNSW_LEAN_FROM:
        return HNSW_LEAN
    return HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_ROWS


def top_k_neighbours(
    X, k: int = 10, *, block_rows: int | None = None, exact: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each text's ``k`` most similar other texts.

    Exact, block by block (bounded memory), up to :data:`ANN_ABOVE` texts; above, from an
    approximate HNSW index (recall@10 about 0.98 on sentence embeddings), unless ``exact``
    says otherwise.

    Returns:
        (indices, cosines): int64 and float32 arrays ``(n_texts, k)``, most similar first.
    """
    U = check_embeddings(X)
    n = U.shape[0]
    k = min(k, n - 1)
    if k <= 0:
        return np.empty((n, 0), dtype=np.int64), np.empty((n, 0), dtype=np.float32)
    index = NeighbourIndex(U, exact=exact, block_rows=block_rows)
    idx, sims = index.search(U, k + 1)
    if (idx < 0).any():  # HNSW found fewer than asked: never seen here, but exact is right
        return top_k_neighbours(U, k, exact=True, block_rows=block_rows)
    # Drop each row's own entry: usually first, but a duplicate text may come before it;
    # when it was not found at all, the last (farthest) goes instead.
    own = idx == np.arange(n)[:, None]
    last = ~own.any(axis=1)
    own[last, -1] = True
    order = np.argsort(own, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(sims, order, axis=1)


class NeighbourIndex:
    """Rows of embeddings that answer "which rows are most similar to this one?" for any
    query: exact blocks up to :data:`ANN_ABOVE` rows, faiss's HNSW graph above (or when
    ``exact=False``); exact when faiss is not installed.

    Example:
        >>> import numpy as np
        >>> index = NeighbourIndex(np.eye(3, dtype=np.float32))
        >>> idx, cos = index.search(np.array([[0.6, 0.8, 0.0]]), 2)
        >>> idx.tolist(), cos.astype(float).round(2).tolist()
        ([[1, 0]], [[0.8, 0.6]])
    """

    def __init__(
        self, X, *, exact: bool | None = None, block_rows: int | None = None, lean: bool = False
    ):
        self.U = check_embeddings(X)
        n = self.U.shape[0]
        self.block_rows = block_rows or _block_rows(n)
        self.hnsw = None
        if exact is False or (exact is None and n > ANN_ABOVE):
            m, ef_construction, self.ef_search, rows = hnsw_settings(n, lean)
            try:
                self.hnsw = _hnsw_index(self.U, m, ef_construction, rows)
            except ImportError:
                log.info("faiss is not installed: exact neighbours among %d texts", n)

    @property
    def exact(self) -> bool:
        return self.hnsw is None

    def __len__(self) -> int:
        return self.U.shape[0]

    def search(self, Q, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows most similar to each query (a query equal to a row finds it).

        Returns:
            (indices, cosines): int64 and float32 ``(n_queries, k)``, most similar first;
            a lean HNSW index's cosines are within ~1e-3 (its rows kept in float16), and
            an HNSW search that finds fewer than ``k`` pads with index -1.
        """
        Q = check_embeddings(Q)
        if Q.shape[1] != self.U.shape[1]:
            raise ValueError(
                f"The queries have {Q.shape[1]} dimensions but the index {self.U.shape[1]}: "
                "encode both with the same model."
            )
        k = min(k, len(self))
        if self.hnsw is not None:
            self.hnsw.hnsw.efSearch = max(self.ef_search, 2 * k)
            sims, idx = self.hnsw.search(np.ascontiguousarray(Q, dtype=np.float32), k)
            return idx.astype(np.int64), np.clip(sims, -1.0, 1.0).astype(np.float32)
        idx = np.empty((Q.shape[0], k), dtype=np.int64)
        sim = np.empty((Q.shape[0], k), dtype=np.float32)
        for start in range(0, Q.shape[0], self.block_rows):
            block = Q[start : start + self.block_rows] @ self.U.T
            near = np.argpartition(-block, k - 1, axis=1)[:, :k]
            values = np.take_along_axis(block, near, axis=1)
            order = np.argsort(-values, axis=1, kind="stable")
            stop = start + block.shape[0]
            idx[start:stop] = np.take_along_axis(near, order, axis=1)
            sim[start:stop] = np.clip(np.take_along_axis(values, order, axis=1), -1.0, 1.0)
        return idx, sim


def _hnsw_index(U: np.ndarray, m: int, ef_construction: int, rows: str = "float32"):
    """faiss's HNSW graph over unit rows, searched by inner product (= cosine), keeping its
    copy of the rows in ``rows`` ("float32" or "float16": half the memory, the same
    recall@14 at 100,000 texts, cosines within ~1e-3; bench/ann_neighbours.py)."""
    import faiss

    metric = faiss.METRIC_INNER_PRODUCT
    if rows == "float16":
        index = faiss.IndexHNSWSQ(U.shape[1], faiss.ScalarQuantizer.QT_fp16, m, metric)
    else:
        index = faiss.IndexHNSWFlat(U.shape[1], m, metric)
    index.hnsw.efConstruction = ef_construction
    for start in range(0, U.shape[0], 65_536):  # a block at a time: U may be on disk
        index.add(np.ascontiguousarray(U[start : start + 65_536], dtype=np.float32))
    return index


def rank_by_query(X, query, top_k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The ``top_k`` texts most similar to a query embedding.

    Args:
        X: embeddings ``(n_texts, dim)``.
        query: the query's embedding ``(dim,)``.

    Returns:
        (indices, cosines), most similar first.
    """
    U = check_embeddings(X)
    q = check_embeddings(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]
    if q.shape[0] != U.shape[1]:
        raise ValueError(
            f"The query has {q.shape[0]} dimensions but the texts {U.shape[1]}: encode both "
            "with the same model."
        )
    scores = U @ q
    k = min(top_k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return top, np.clip(scores[top], -1.0, 1.0)
