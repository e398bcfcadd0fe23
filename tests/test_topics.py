"""Clusters that hold at every size, and the topic tree around them: each size switch tested
on both sides, a real corpus that must not degenerate, the tree's levels nested, named,
saved and drawn with names that follow the zoom."""

from __future__ import annotations

import json

import numpy as np
import pytest

import embedviz
import embedviz.cluster as cluster_module
from embedviz.cluster import cluster
from embedviz.topics import topic_tree


def groups(sizes, dim=16, spread=0.08, seed=0, scale=3.0):
    """Tight groups of unit-ish vectors, their labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), dim)) * scale
    X = np.concatenate([c + rng.normal(scale=spread * scale, size=(n, dim))
                        for c, n in zip(centres, sizes, strict=True)])  # fmt: skip
    return X.astype(np.float32), np.repeat(np.arange(len(sizes)), sizes)


@pytest.fixture(autouse=True)
def fresh_spaces():
    cluster_module._SPACES.clear()
    yield
    cluster_module._SPACES.clear()


# ---------------------------------------------------------------- where clusters are found


def test_the_neighbourhood_space_from_its_threshold_and_the_embeddings_below(monkeypatch):
    X, truth = groups([20, 20, 20])
    monkeypatch.setattr(cluster_module, "CLUSTER_SPACE_FROM", 60)
    km = cluster_module.KMeansClusterer().fit(X)
    assert km.space_ == "neighbourhoods" and km.n_clusters_ == 3
    assert cluster_module.KMeansClusterer().fit(X[:59]).space_ == "embeddings"
    # asked for, either way, at any size
    assert cluster_module.KMeansClusterer(space="embeddings").fit(X).space_ == "embeddings"
    forced = cluster_module.KMeansClusterer(space="neighbourhoods").fit(X[:40])
    assert forced.space_ == "neighbourhoods"
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth, km.labels_) == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["kmeans", "hdbscan", "agglomerative"])
def test_every_clusterer_finds_its_clusters_in_the_space_of_the_runs_seed(method):
    # The space is a seeded UMAP: a run with seed 7 must cluster in seed 7's space (HDBSCAN,
    # deterministic itself, once ignored the seed and always used seed 0's).
    from embedviz._validation import check_embeddings
    from embedviz.project.umap import rows_key

    X, _ = groups([70, 70, 70])
    first = cluster(X, method, random_state=7)
    assert list(cluster_module._SPACES) == [(rows_key(check_embeddings(X)), 7)]
    again = cluster(X, method, random_state=7)
    assert (first.labels == again.labels).all()


def test_a_sampled_space_is_made_above_twice_its_sample_and_carries_labels_to_all():
    from embedviz.project.umap import neighbourhood_space

    X, truth = groups([40, 40, 40])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    whole = neighbourhood_space(X, 5, 0, fit_sample=60)  # 120 = 2 x 60: all placed
    assert not whole.sampled and whole.coords.shape == (120, 5)
    sampled = neighbourhood_space(X[:121] if len(X) > 120 else np.vstack([X, X[:1]]), 5, 0,
                                  fit_sample=60)  # fmt: skip
    assert sampled.sampled and sampled.coords.shape == (60, 5)
    from sklearn.cluster import KMeans

    part = KMeans(3, n_init=3, random_state=0).fit_predict(sampled.coords)
    labels = sampled.spread(part)
    assert labels.shape == (121,) and (labels >= 0).all()
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(np.append(truth, truth[0]), labels) > 0.95


def test_ward_links_micro_clusters_above_its_direct_limit(monkeypatch):
    X, truth = groups([60, 60, 60])
    monkeypatch.setattr(cluster_module, "CLUSTER_SPACE_FROM", 50)
    monkeypatch.setattr(cluster_module, "WARD_MICRO", 30)
    from sklearn.metrics import adjusted_rand_score

    for limit in (180, 179):  # 180 texts: direct at 180, micro-clusters at 179
        monkeypatch.setattr(cluster_module, "WARD_DIRECT_UP_TO", limit)
        found = cluster(X, "agglomerative", 3).labels
        assert adjusted_rand_score(truth, found) > 0.95, limit
        auto = cluster(X, "agglomerative")
        assert auto.n_clusters >= 2 and np.bincount(auto.labels).max() <= 0.5 * len(X)


def test_auto_k_prefers_no_cluster_over_half_the_texts():
    """Three groups and a tiny far island: silhouette alone picks 2 (the island against the
    rest, one cluster of 97 %); auto k takes the three groups."""
    X, truth = groups([40, 40, 40], dim=8, scale=1.0)
    island = np.full((4, 8), 30.0, dtype=np.float32)
    X = np.vstack([X, island + np.random.default_rng(1).normal(size=(4, 8))])
    km = cluster_module.KMeansClusterer(space="embeddings").fit(X)
    assert km.n_clusters_ >= 3
    assert np.bincount(km.labels_).max() <= 0.5 * len(X)


@pytest.mark.parametrize("max_noise", [0.0, 0.1, 0.3, 1.0])
def test_hdbscan_leaves_at_most_its_share_of_noise(max_noise):
    X, _ = groups([30, 30, 30])
    stray = np.random.default_rng(2).normal(size=(60, 16)).astype(np.float32) * 6
    X = np.vstack([X, stray])
    free = cluster(X, "hdbscan", space="embeddings", max_noise=1.0)
    own = free.n_noise / len(X)
    capped = cluster(X, "hdbscan", space="embeddings", max_noise=max_noise)
    assert capped.n_noise / len(X) <= max_noise + 1e-9
    assert capped.n_noise == min(free.n_noise, int(np.floor(max_noise * len(X))))
    assert own > 0.1  # the strays really are noise to HDBSCAN itself


# ---------------------------------------------------------------- a real corpus (slow)


@pytest.fixture(scope="module")
def hsk_sample():
    """1,000 learner sentences in 19 topics (PyPI hsk-sentences-audio, CC-BY-SA-4.0), fixed
    seed, encoded with the default model."""
    hsk = pytest.importorskip("hsk_sentences_audio", reason="pip install -r requirements-dev.txt")
    from embedviz.encoders import load_encoder

    items = hsk.load_sentences()
    keep = np.sort(np.random.default_rng(0).choice(len(items), 1000, replace=False))
    texts = [items[i]["chinese"] for i in keep]
    topics = [items[i]["topic"] for i in keep]
    return texts, topics, load_encoder().encode(texts)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["kmeans", "hdbscan", "agglomerative"])
def test_no_clusterer_degenerates_on_a_real_corpus(method, hsk_sample):
    from sklearn.metrics import adjusted_rand_score

    texts, topics, X = hsk_sample
    found = cluster(X, method, random_state=0)
    sizes = np.bincount(found.labels[found.labels >= 0])
    assert found.n_clusters >= 5, found.describe()  # 19 topics: never one or two groups
    assert sizes.max() <= 0.3 * len(texts), found.describe()
    assert found.n_noise <= 0.3 * len(texts)
    # The reason for the neighbourhood space: the raw embeddings find the topics far less.
    ari = adjusted_rand_score(topics, found.labels)
    raw = adjusted_rand_score(topics, cluster(X, method, space="embeddings").labels)
    assert ari > 0.03 and ari > raw, (ari, raw)


# ---------------------------------------------------------------- the topic tree


def test_the_tree_nests_its_levels_and_names_every_node():
    X, truth = groups([30, 30, 30, 30, 30, 30], seed=3)
    texts = [f"第{g}组 句子{i}" for g, i in zip(truth, range(len(truth)), strict=True)]
    clusters = truth.copy()
    tree = topic_tree(X, clusters, texts, random_state=0)
    assert tree.level_names == ("coarse", "clusters", "fine") and tree.base == 1
    coarse, base, fine = tree.levels
    assert 2 <= len(set(coarse)) < 6 and len(set(fine)) > 6
    for node in set(fine.tolist()):  # a fine topic lies in one cluster
        assert len(set(base[fine == node].tolist())) == 1
        assert tree.parents[2][node] == base[fine == node][0]
    for node in set(base.tolist()):  # a cluster lies in one coarse topic
        assert len(set(coarse[base == node].tolist())) == 1
    assert all(set(tree.names[k]) >= set(tree.levels[k].tolist()) for k in range(3))
    assert len(tree.lines()) == len(set(coarse)) + 6 + len(set(fine))


def test_a_large_cluster_is_split_as_its_sample_splits_it(monkeypatch):
    # Two subtopics inside one cluster of 240 texts: found whole, and with the split learned
    # on a sample of 60 (the switch lowered) and every member given its nearest part.
    import embedviz.topics as topics_module

    X, sub = groups([120, 120], seed=5)
    clusters = np.zeros(len(X), dtype=np.int64)
    texts = [f"句子{i}" for i in range(len(X))]
    for sample in (len(X), 60):
        monkeypatch.setattr(topics_module, "FINE_SAMPLE", sample)
        fine = topic_tree(X, clusters, texts, random_state=0).levels[-1]
        assert len(set(fine.tolist())) == 2
        assert all(len(set(fine[sub == g].tolist())) == 1 for g in (0, 1)), sample


def test_a_handful_of_texts_has_no_tree(seed_texts):
    a = embedviz.analyze(seed_texts, method="pca")
    assert a.tree is None and "topic_coarse" not in a.points_frame()


def test_the_tree_is_saved_tabulated_and_picked_by_level(tmp_path):
    import pandas as pd

    from .conftest import DATA

    frame = pd.read_csv(DATA / "zh_topics.csv")
    a = embedviz.analyze(list(frame.text), method="pca", labels=list(frame.topic))
    assert a.tree is not None and "coarse" in a.tree.level_names
    table = a.points_frame()
    assert table["topic_coarse"].str.match(r"^\d+ · ").all()
    b = embedviz.load(a.save(tmp_path / "saved"))
    assert b.tree.level_names == a.tree.level_names and b.tree.names == a.tree.names
    for mine, theirs in zip(a.tree.levels, b.tree.levels, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    coarse = a.at_level("coarse")
    assert coarse.n_texts == a.n_texts and set(coarse.cluster_names) == set(a.tree.names[0])
    assert "topics: coarse" in coarse.view_note
    assert coarse.heatmap().figure is not None
    named = a.with_level_names("coarse", {0: "日常生活", 1: "支付"})
    assert named.at_level("coarse").cluster_names == {0: "日常生活", 1: "支付"}
    with pytest.raises(embedviz.ParameterError, match="no topic level 'tiny'"):
        a.at_level("tiny")


def test_the_maps_names_follow_the_zoom_and_never_overlap_at_theirs():
    from embedviz.figures.labels import Placed, apart, text_box, to_pixels

    X, truth = groups([40, 40, 40, 40, 40, 40], seed=4)
    texts = [f"主题{g} 文本{i}" for g, i in zip(truth, range(len(truth)), strict=True)]
    a = embedviz.analyze(texts, embeddings=X, method="pca", cluster="kmeans", k=6)
    fig = a.figure("cluster")
    meta = fig.layout.meta["embedviz_zoom_labels"]
    zooms = [layer["zoom"] for layer in meta["layers"]]
    assert zooms == sorted(zooms) and zooms[0] == 1.0 and len(zooms) == a.tree.depth
    shown = [ann.text for ann in fig.layout.annotations if ann.name == "zoom label"]
    assert shown == [ann["text"] for ann in meta["layers"][0]["annotations"]]
    for layer in meta["layers"]:  # apart at the zoom each level shows from
        anns = layer["annotations"]
        xy = to_pixels(np.array([[an["x"], an["y"]] for an in anns]), meta["full"])
        boxes = [Placed(p, p, np.array(text_box(an["text"], an["font"]["size"])) / layer["zoom"])
                 for p, an in zip(xy, anns, strict=True)]  # fmt: skip
        assert all(apart(p, q) for i, p in enumerate(boxes) for q in boxes[i + 1 :])
    page = a.html("cluster")
    assert "embedvizZoomLabels" in page and "zoom in" in page
    plain = a.figure("cluster", zoom_labels=False)
    assert plain.layout.meta is None
    assert {ann.text for ann in plain.layout.annotations} == set(a.cluster_names.values())


#: The names the first map on a page shows at its zoom now (JavaScript, for page.evaluate).
ZOOM_NAMES = """() => { var gd = document.querySelectorAll('.js-plotly-plot')[0];
    return (gd.layout.annotations || []).filter(a => a.name === 'zoom label')
        .map(a => a.text); }"""


def zoom_to(x: float, y: float, zoom: float) -> str:
    """JavaScript that zooms the first map on a page ``zoom`` times in, centred on (x, y)."""
    return f"""() => {{ var gd = document.querySelectorAll('.js-plotly-plot')[0];
        var xr = gd.layout.xaxis.range, yr = gd.layout.yaxis.range, z = {zoom};
        var wx = (xr[1] - xr[0]) / z / 2, wy = (yr[1] - yr[0]) / z / 2;
        return Plotly.relayout(gd, {{'xaxis.range': [{x} - wx, {x} + wx],
                                     'yaxis.range': [{y} - wy, {y} + wy]}}); }}"""


@pytest.mark.browser
def test_the_exported_maps_names_change_as_you_zoom(tmp_path):
    from playwright.sync_api import sync_playwright

    from .test_browser import CHROMIUM, CHROMIUM_ARGS

    X, truth = groups([40, 40, 40, 40, 40, 40], seed=4)
    texts = [f"主题{g} 文本{i}" for g, i in zip(truth, range(len(truth)), strict=True)]
    a = embedviz.analyze(texts, embeddings=X, method="pca", cluster="kmeans", k=6)
    page_file = a.to_html(tmp_path / "zoom.html", "cluster")
    layers = a.figure("cluster").layout.meta["embedviz_zoom_labels"]["layers"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(page_file.as_uri())
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        page.wait_for_function(f"() => ({ZOOM_NAMES})().length > 0", timeout=30_000)
        coarse = sorted(a["text"] for a in layers[0]["annotations"])
        assert sorted(page.evaluate(ZOOM_NAMES)) == coarse
        target = layers[-1]["annotations"][0]
        page.evaluate(zoom_to(target["x"], target["y"], layers[-1]["zoom"]))
        page.wait_for_function(
            f"() => ({ZOOM_NAMES})().includes({json.dumps(target['text'])})", timeout=30_000
        )
        finest = {a["text"] for a in layers[-1]["annotations"]}
        assert set(page.evaluate(ZOOM_NAMES)) <= finest
        browser.close()
