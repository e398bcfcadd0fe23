"""Figures say what they show: titles, axes, whole sentences in the hover."""

from __future__ import annotations

import html
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from embedviz.figures import projection_scatter, similarity_heatmap
from embedviz.figures._style import short_label, wrap_text
from embedviz.figures.view import heatmap_figure, map_figure
from embedviz.similarity import cosine_matrix, similarity_order

LONG = "花呗更改绑定银行卡以后原来的自动还款设置会不会失效，需要重新开通吗？" * 2


def unwrap(s: str) -> str:
    return re.sub(r"<br>", "", s).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_wrap_keeps_every_character_and_bounds_line_width():
    wrapped = wrap_text(LONG, width=20)
    assert unwrap(wrapped) == LONG
    assert all(
        sum(2 if "\u4e00" <= c <= "\u9fff" or c in "，？" else 1 for c in line) <= 20
        for line in wrapped.split("<br>")
    )
    english = "the quick brown fox jumps over the lazy dog again and again"
    assert all(not line.startswith(" ") for line in wrap_text(english, 16).split("<br>"))
    assert wrap_text(english, 16).replace("<br>", " ") == english


def test_hover_text_is_escaped():
    assert wrap_text("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert short_label("如何更换花呗绑定银行卡", 10) == "如何更换…"


def test_scatter_hover_holds_each_whole_sentence(seed_texts):
    texts = [*seed_texts, LONG]
    coords = np.arange(10, dtype=np.float32).reshape(5, 2)
    fig = projection_scatter(
        coords, texts, ids=[3, 4, 5, 6, 9], title="t", axis_titles=["PC1", "PC2"]
    )
    (trace,) = fig.data
    assert isinstance(trace, go.Scatter)
    assert [unwrap(c[1]) for c in trace.customdata] == texts
    assert [c[0] for c in trace.customdata] == [3, 4, 5, 6, 9]
    assert "customdata[1]" in trace.hovertemplate
    assert fig.layout.title.text == "t"
    assert fig.layout.xaxis.title.text == "PC1" and fig.layout.yaxis.title.text == "PC2"
    assert trace.mode == "markers+text"  # few points carry a label on the plot


def test_scatter_has_one_coloured_trace_per_label():
    coords = np.zeros((5, 3), dtype=np.float32)
    labels = ["支付", "天气", "支付", "支付", "天气"]
    fig = projection_scatter(coords, list("abcde"), labels=labels, label_name="topic")
    assert [t.name for t in fig.data] == ["支付", "天气"]
    assert all(isinstance(t, go.Scatter3d) for t in fig.data)
    assert len({t.marker.color for t in fig.data}) == 2
    assert [unwrap(c[1]) for c in fig.data[1].customdata] == ["b", "e"]
    assert fig.layout.legend.title.text == "topic"
    assert "topic: %{customdata[2]}" in fig.data[0].hovertemplate


def test_many_points_draw_with_webgl_and_without_labels():
    coords = np.random.default_rng(0).normal(size=(3500, 2)).astype(np.float32)
    fig = projection_scatter(coords, [f"t{i}" for i in range(3500)])
    assert isinstance(fig.data[0], go.Scattergl) and fig.data[0].mode == "markers"


def test_heatmap_is_reordered_and_hover_shows_both_sentences(use_encoder, seed_texts):
    S = cosine_matrix(use_encoder.encode(seed_texts))
    order = similarity_order(S)
    fig = similarity_heatmap(S, seed_texts, order=order, title="cos")
    (trace,) = fig.data
    np.testing.assert_allclose(np.asarray(trace.z), S[np.ix_(order, order)])
    assert [unwrap(x).split(": ", 1)[1] for x in trace.x] == [seed_texts[i] for i in order]
    assert "%{y}" in trace.hovertemplate and "%{x}" in trace.hovertemplate
    assert "cosine %{z:.3f}" in trace.hovertemplate
    assert trace.texttemplate == "%{z:.2f}"  # values written in the cells for few texts
    assert fig.layout.yaxis.autorange == "reversed"


def test_heatmap_keeps_duplicate_texts_apart():
    S = np.ones((2, 2), dtype=np.float32)
    fig = similarity_heatmap(S, ["花呗", "花呗"], ids=[1, 2])
    assert len(set(fig.data[0].x)) == 2


def test_view_titles_say_method_model_count_and_what_is_shown(seed_texts):
    scatter = map_figure(
        coords=np.zeros((4, 2)),
        axis_titles=["a", "b"],
        method_name="t-SNE",
        model_name="USE",
        texts=seed_texts,
        ids=[1, 2, 3, 4],
    )
    assert scatter.layout.title.text == "t-SNE 2-D map of 4 texts · model: USE"
    common = dict(texts=seed_texts, ids=[1, 2, 3, 4])
    full = heatmap_figure(S=np.eye(4, dtype=np.float32), **common)
    assert full.layout.title.text.startswith("Cosine similarity of 4 texts<br>")
    by_cluster = heatmap_figure(S=np.eye(4), boundaries=[2], what="selected texts", **common)
    assert by_cluster.layout.title.text.startswith("Cosine similarity of 4 selected texts")
    assert "ordered by cluster" in by_cluster.layout.title.text
    summary = heatmap_figure(
        S=None, cluster_summary=(np.eye(2), ["花呗", "天气"], [3, 1]), **common
    )
    assert summary.layout.title.text.startswith("Mean cosine similarity between 2 clusters")
    assert heatmap_figure(S=None, **common) is None


@pytest.mark.parametrize("bad", [np.zeros((3, 4)), np.zeros((2, 2))])
def test_scatter_rejects_wrong_shapes(bad):
    with pytest.raises(ValueError):
        projection_scatter(bad, ["a", "b", "c"])


def test_many_labels_share_one_grey_group_but_hover_names_each():
    from embedviz.figures.scatter import MAX_COLOURED_LABELS, OTHER_COLOUR

    labels = [f"类{i}" for i in range(30)] + ["类0"] * 5
    fig = projection_scatter(np.zeros((35, 2)), [f"t{i}" for i in range(35)], labels=labels)
    assert len(fig.data) == MAX_COLOURED_LABELS
    assert fig.data[0].name == "类0" and len(fig.data[0].x) == 6
    other = fig.data[-1]
    assert other.name == "11 other labels" and other.marker.color == OTHER_COLOUR
    assert sum(len(t.x) for t in fig.data) == 35
    assert {c[2] for c in other.customdata} == {f"类{i}" for i in range(19, 30)}


def test_heatmap_marks_cluster_boundaries_across_the_matrix():
    from embedviz.figures.heatmap import similarity_heatmap

    S = np.eye(5, dtype=np.float32)
    fig = similarity_heatmap(S, list("abcde"), boundaries=[2, 4])
    xs = sorted({s.x0 for s in fig.layout.shapes if s.x0 == s.x1})
    ys = sorted({s.y0 for s in fig.layout.shapes if s.y0 == s.y1})
    assert xs == ys == [1.5, 3.5]


def test_cluster_heatmap_names_clusters_and_sizes():
    from embedviz.figures.heatmap import cluster_heatmap

    M = np.array([[0.8, 0.1], [0.1, 0.7]], dtype=np.float32)
    fig = cluster_heatmap(M, ["银行卡 · 花呗", "下雨 · 气温"], [12, 10])
    assert list(fig.data[0].x) == ["银行卡 · 花呗 (12)", "下雨 · 气温 (10)"]
    assert "mean cosine" in fig.data[0].hovertemplate
    with pytest.raises(ValueError, match="one name and size per cluster"):
        cluster_heatmap(M, ["a"], [1])


def test_query_point_is_a_star_inside_the_axes():
    from embedviz.figures.scatter import add_query_point, projection_scatter

    fig = projection_scatter(np.array([[0, 0], [1, 1.0]]), ["a", "b"])
    add_query_point(fig, np.array([5.0, -3.0]), "花呗怎么换卡")
    star = fig.data[-1]
    assert star.name == "query" and star.marker.symbol == "star"
    assert "花呗怎么换卡" in star.hovertemplate
    assert fig.layout.xaxis.range[1] > 5 and fig.layout.yaxis.range[0] < -3


def test_scatter_colours_by_value_with_unscored_points_grey():
    fig = projection_scatter(
        np.random.default_rng(0).normal(size=(4, 2)),
        list("abcd"),
        values=np.array([1.0, 0.5, np.nan, 0.0]),
        value_name="kept",
    )
    scored, unscored = fig.data
    assert (
        list(scored.marker.color) == [1.0, 0.5, 0.0] and scored.marker.colorbar.title.text == "kept"
    )
    assert unscored.name == "not scored (1)" and unscored.marker.color == "#b0b0b0"


def boxes_of(fig, scale=(1.0, 1.0)):
    """Nominal pixel boxes of a 2-D figure's point labels, as the placement sees them, with
    the plot drawn ``scale`` times the nominal size."""
    from embedviz.figures.labels import (
        MARKER_RADIUS_PX,
        NOMINAL_PLOT_PX,
        POINT_FONT_PX,
        POINT_POSITIONS,
        text_box,
    )

    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    where = {name: (fx, fy) for name, fx, fy in POINT_POSITIONS}
    boxes = []
    for trace in fig.data:
        for x, y, text, pos in zip(trace.x, trace.y, trace.text, trace.textposition, strict=True):
            if not text:
                continue
            w, h = text_box(html.unescape(text), POINT_FONT_PX)
            fx, fy = where[pos]
            cx = (x - x0) / (x1 - x0) * NOMINAL_PLOT_PX[0] * scale[0]
            cy = (y - y0) / (y1 - y0) * NOMINAL_PLOT_PX[1] * scale[1]
            cx += fx * (MARKER_RADIUS_PX + w / 2)
            cy += fy * (MARKER_RADIUS_PX + h / 2)
            boxes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return boxes


def overlapping(boxes):
    return [
        (a, b)
        for k, a in enumerate(boxes)
        for b in boxes[k + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


@pytest.mark.parametrize("n", [4, 30, 200])
def test_point_labels_never_overlap_at_any_larger_size(n):
    rng = np.random.default_rng(n)
    texts = [f"第{i}句 如何更换花呗绑定银行卡 sentence {i}" for i in range(n)]
    coords = rng.normal(size=(n, 2))
    coords[1] = coords[0] + 1e-3  # two points on top of each other
    fig = projection_scatter(coords, texts, point_labels=True)
    labelled = sum(1 for t in fig.data for x in t.text if x)
    assert labelled >= min(n, 10)  # most of a few, and many of many, keep their label
    for scale in [(1.0, 1.0), (1.6, 1.0), (1.0, 2.5), (3.0, 3.0)]:
        assert overlapping(boxes_of(fig, scale)) == []


def test_cluster_names_are_written_once_at_their_clusters_when_points_are_not():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [5, 0], [0, 5]])
    coords = np.vstack([c + rng.normal(scale=0.3, size=(10, 2)) for c in centres])
    labels = [f"{c} · name{c}" for c in range(3) for _ in range(10)]
    fig = projection_scatter(
        coords,
        [f"text {i}" for i in range(30)],
        labels=labels,
        group_names={f"{c} · name{c}": f"name{c}" for c in range(3)},
    )
    assert all(not t.text for t in fig.data)  # 30 points: no per-point text by default
    notes = {a.text: (a.x, a.y) for a in fig.layout.annotations}
    assert set(notes) == {"name0", "name1", "name2"}
    for c, centre in enumerate(centres):
        assert np.linalg.norm(np.array(notes[f"name{c}"]) - centre) < 1.5
    # With point labels on, the clusters are named by the legend alone.
    fig = projection_scatter(
        coords,
        [f"t{i}" for i in range(30)],
        labels=labels,
        point_labels=True,
        group_names={f"{c} · name{c}": f"name{c}" for c in range(3)},
    )
    assert not fig.layout.annotations and any(t.text for t in fig.data)


def test_a_lean_map_ships_binary_points_and_no_text_per_point(monkeypatch):
    """Above LEAN_MAP_ABOVE points: coordinates and [row, position] as binary arrays, no text
    in the figure; the standalone page carries the texts once, packed, for the hover."""
    import base64
    import gzip
    import json

    import embedviz
    import embedviz.figures.scatter as scatter

    monkeypatch.setattr(scatter, "LEAN_MAP_ABOVE", 20)
    rng = np.random.default_rng(0)
    texts = [f"第{i}句话 sentence {i}" for i in range(40)]
    texts[7] = "<img src=x onerror=alert(1)>"
    X = rng.normal(size=(40, 8)).astype(np.float32)
    a = embedviz.analyze(texts, embeddings=X, method="pca", cluster="kmeans", k=2)
    fig = a.figure()
    spec = json.loads(fig.to_json())
    points = [t for t in spec["data"] if t.get("customdata")]
    assert all("bdata" in t["x"] and t["customdata"]["dtype"] == "i4" for t in points)
    custom = np.vstack([np.asarray(t.customdata) for t in fig.data if t.customdata is not None])
    assert sorted(custom[:, 1].tolist()) == list(range(40))  # each position once
    np.testing.assert_array_equal(np.asarray(a.rows)[custom[:, 1]], custom[:, 0])
    payload = fig.to_json()
    assert "第12句话" not in payload and "onerror" not in payload
    assert all("%{customdata[1]}" not in (t.hovertemplate or "") for t in fig.data)

    page = a.html()
    packed = re.search(r"packed = '([A-Za-z0-9+/=]+)'", page).group(1)
    assert json.loads(gzip.decompress(base64.b64decode(packed))) == texts
    assert "<img src=x" not in page  # never as markup (the heatmap's rows name it escaped)
    assert "40 texts: the map carries no text per point" in page
    assert "box.textContent = texts[custom[1]]" in page  # shown as text, never markup


def test_a_selection_on_a_lean_map_names_the_same_texts_as_on_a_full_one():
    from types import SimpleNamespace

    from embedviz.ui.panels import selected_positions

    full = {"points": [{"customdata": [12, "text", "", 11]}, {"customdata": [3, "t", "", 2]}]}
    lean = {"points": [{"customdata": [12, 11]}, {"customdata": [3, 2]}, {"customdata": [3, 2]}]}
    assert selected_positions(SimpleNamespace(selection=full)) == [2, 11]
    assert selected_positions(SimpleNamespace(selection=lean)) == [2, 11]
