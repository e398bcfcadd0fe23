"""Cosine similarity, the similar-together order, and the most similar pairs."""

from __future__ import annotations

import numpy as np
import pytest

from embedviz.similarity import (
    cosine_matrix,
    pair_frame,
    similarity_order,
    top_k_neighbours,
    top_pairs,
)


def test_cosine_of_known_vectors():
    X = np.array([[1, 0], [1, 1], [0, 2], [-3, 0]], dtype=np.float32)
    S = cosine_matrix(X)
    assert S.dtype == np.float32
    np.testing.assert_allclose(S[0], [1, 2**-0.5, 0, -1], atol=1e-6)
    np.testing.assert_allclose(S, S.T)


def test_zero_vector_is_similar_to_nothing():
    S = cosine_matrix(np.array([[0, 0], [1, 0]], dtype=np.float32))
    np.testing.assert_array_equal(S, [[0, 0], [0, 1]])


def test_order_puts_each_group_in_one_run(clusters):
    X, groups = clusters
    shuffle = np.random.default_rng(3).permutation(len(X))
    X, groups = X[shuffle], groups[shuffle]
    order = similarity_order(cosine_matrix(X))
    assert sorted(order) == list(range(len(X)))
    runs = np.count_nonzero(np.diff(groups[order])) + 1
    assert runs == 3


@pytest.mark.parametrize("n", [0, 1, 2])
def test_order_of_tiny_inputs(n):
    assert list(similarity_order(np.eye(n, dtype=np.float32))) == list(range(n))


def test_top_pairs_are_distinct_and_sorted(use_encoder, seed_texts):
    S = cosine_matrix(use_encoder.encode(seed_texts))
    pairs = top_pairs(S, seed_texts, k=3)
    assert list(pairs["rank"]) == [1, 2, 3]
    assert (pairs.iloc[0]["text_a"], pairs.iloc[0]["text_b"]) == (seed_texts[0], seed_texts[1])
    assert pairs["cosine"].is_monotonic_decreasing
    assert (pairs["i"] < pairs["j"]).all()


def test_all_pairs_when_k_is_large_and_none_for_one_text():
    S = cosine_matrix(np.eye(4, dtype=np.float32) + 0.1)
    assert len(pair_frame(S, list("abcd"), k=100)) == 6
    assert len(pair_frame(S, list("abcd"))) == 6
    assert pair_frame(np.ones((1, 1), np.float32), ["a"]).empty


def test_duplicates_pair_at_cosine_one():
    X = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    pairs = top_pairs(cosine_matrix(X), ["花呗", "花呗", "天气"], k=1)
    assert pairs.iloc[0]["cosine"] == 1.0 and pairs.iloc[0]["text_a"] == "花呗"


def test_texts_must_match_rows():
    with pytest.raises(ValueError, match="3 rows of similarities but 2 texts"):
        pair_frame(np.eye(3, dtype=np.float32), ["a", "b"])


def test_pairs_above_matches_the_full_matrix_block_by_block(clusters):
    from embedviz.similarity import pairs_above

    X, _ = clusters
    S = cosine_matrix(X)
    i, j = np.triu_indices(len(X), k=1)
    expected = sorted(zip(i[S[i, j] >= 0.8], j[S[i, j] >= 0.8], strict=True))
    pairs, total = pairs_above(X, 0.8, block_rows=7)  # blocks that do not divide n
    assert total == len(expected) == len(pairs)
    assert sorted(zip(pairs["i"], pairs["j"], strict=True)) == expected
    assert (pairs["i"] < pairs["j"]).all()
    assert list(pairs["cosine"]) == sorted(pairs["cosine"], reverse=True)


def test_pairs_above_keeps_the_most_similar_under_a_limit(clusters):
    from embedviz.similarity import pairs_above

    X, _ = clusters
    everything, total = pairs_above(X, -1.0)
    assert total == len(everything) == 30 * 29 // 2
    top, total = pairs_above(X, -1.0, limit=10, block_rows=4)
    assert total == 435 and len(top) == 10
    assert list(top["cosine"]) == list(everything["cosine"][:10])


def test_pairs_above_rejects_a_threshold_outside_minus_one_to_one(clusters):
    from embedviz.similarity import pairs_above

    with pytest.raises(ValueError, match="between -1 and 1, got 1.5"):
        pairs_above(clusters[0], 1.5)


def test_top_k_neighbours_block_by_block_equal_a_full_sort(clusters):
    from embedviz.similarity import top_k_neighbours

    X, _ = clusters
    S = cosine_matrix(X)
    np.fill_diagonal(S, -np.inf)
    idx, sim = top_k_neighbours(X, k=5, block_rows=8)
    np.testing.assert_array_equal(idx, np.argsort(-S, axis=1, kind="stable")[:, :5])
    np.testing.assert_allclose(sim, -np.sort(-S, axis=1)[:, :5], atol=1e-6)


def test_search_ranks_the_paraphrase_first(use_encoder, seed_texts):
    from embedviz.similarity import rank_by_query

    X = use_encoder.encode(seed_texts)
    q = use_encoder.encode(["花呗怎么换绑定的银行卡"])[0]
    top, cosines = rank_by_query(X, q, top_k=4)
    assert top[0] in (0, 1) and top[-1] == 3
    assert list(cosines) == sorted(cosines, reverse=True)
    with pytest.raises(ValueError, match="encode both with the same model"):
        rank_by_query(X, q[:10])


def test_approximate_neighbours_agree_with_exact_ones_and_skip_the_text_itself():
    # Sentence-like data: 3,000 unit vectors in 40 groups, with exact duplicates.
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, 64))
    X = centres[rng.integers(0, 40, 3000)] + rng.normal(scale=0.6, size=(3000, 64))
    X[1] = X[0]  # a duplicate text: it may come before the text itself
    X = X.astype(np.float32)
    exact, _ = top_k_neighbours(X, 10, exact=True)
    approx, sims = top_k_neighbours(X, 10, exact=False)
    assert approx.shape == (3000, 10) and approx.dtype == np.int64
    assert not (approx == np.arange(3000)[:, None]).any()  # never its own neighbour
    assert approx[0, 0] == 1 and approx[1, 0] == 0 and sims[0, 0] == pytest.approx(1.0)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])
    assert recall >= 0.95, recall
    assert np.all(np.diff(sims, axis=1) <= 1e-6)  # most similar first


def test_the_index_is_used_above_its_size_only(monkeypatch):
    import embedviz.similarity as similarity

    calls = []
    real = similarity._hnsw_index
    monkeypatch.setattr(
        similarity, "_hnsw_index", lambda U, *settings: calls.append(len(U)) or real(U, *settings)
    )
    X = np.random.default_rng(1).normal(size=(300, 16)).astype(np.float32)
    monkeypatch.setattr(similarity, "ANN_ABOVE", 300)
    similarity.top_k_neighbours(X, 5)
    assert calls == []
    monkeypatch.setattr(similarity, "ANN_ABOVE", 299)
    similarity.top_k_neighbours(X, 5)
    assert calls == [300]


def test_a_large_lean_index_links_fewer_neighbours_and_still_finds_the_nearest(monkeypatch):
    """From HNSW_LEAN_FROM rows a lean index (asked for by a sampled UMAP's refinement) is
    sparser, its rows in float16 (faster to build and search at 100,000 texts); it must
    still find what exact search finds, at cosines within 1e-3."""
    import embedviz.similarity as similarity

    X = np.random.default_rng(2).normal(size=(400, 16)).astype(np.float32)
    monkeypatch.setattr(similarity, "HNSW_LEAN_FROM", 400)
    dense = similarity.NeighbourIndex(X, exact=False)  # only a caller that asks gets it
    lean = similarity.NeighbourIndex(X, exact=False, lean=True)
    # faiss keeps M links per node above the bottom layer
    assert dense.hnsw.hnsw.nb_neighbors(1) == similarity.HNSW_M
    assert lean.hnsw.hnsw.nb_neighbors(1) == similarity.HNSW_LEAN[0] < similarity.HNSW_M
    truth, cosines = similarity.NeighbourIndex(X, exact=True).search(X[:50], 5)
    found, near = lean.search(X[:50], 5)
    assert np.mean(found == truth) > 0.9
    same = found == truth
    assert np.abs(near[same] - cosines[same]).max() < 1e-3


def test_unit_rows_pass_the_check_without_a_copy_and_others_are_normalised():
    """Every stage checks its embeddings; at a million texts each copy was 2 GB."""
    from embedviz._validation import check_embeddings
    from embedviz.errors import InputError

    X = np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32)
    U = check_embeddings(X)
    assert U is not X and np.allclose(np.linalg.norm(U, axis=1), 1.0, atol=1e-6)
    assert check_embeddings(U) is U
    zero = np.vstack([U, np.zeros((1, 8), np.float32)])
    assert check_embeddings(zero) is zero
    huge = check_embeddings(np.array([[3e30, 4e30], [0.0, 0.0]], dtype=np.float32))
    np.testing.assert_allclose(huge, [[0.6, 0.8], [0.0, 0.0]], atol=1e-6)
    with pytest.raises(InputError, match="NaN or infinity"):
        check_embeddings(np.array([[np.nan, 1.0]], dtype=np.float32))
