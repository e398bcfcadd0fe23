"""The Streamlit app as it is, driven by streamlit.testing.v1.AppTest with the real encoder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).parents[1] / "streamlit_app.py")
# Loading a real model and UMAP's first compilation take longer than AppTest's default 3 s.
TIMEOUT = 180


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def hover_texts(fig: dict) -> list[str]:
    return [re.sub("<br>", "", row[1]) for trace in fig["data"] for row in trace["customdata"]]


def test_default_page_shows_the_four_sentences_right(seed_texts):
    at = run_app()
    assert at.text_area(key="texts").value.splitlines() == seed_texts
    assert at.info[0].value == "Read 4 rows; kept 4 texts."
    scatter, heatmap = figures(at)
    assert sorted(hover_texts(scatter)) == sorted(seed_texts)
    assert scatter["layout"]["title"]["text"].startswith("PCA 2-D map of 4 texts")
    assert scatter["layout"]["xaxis"]["title"]["text"].startswith("PC1 (")
    assert heatmap["data"][0]["type"] == "heatmap"
    assert heatmap["layout"]["title"]["text"].startswith("Cosine similarity of 4 texts")
    pairs = at.dataframe[0].value
    top = pairs.iloc[0]
    assert {top["text_a"], top["text_b"]} == set(seed_texts[:2])
    assert (top["row_a"], top["row_b"]) == (1, 2)
    # 哈里路大旋风 is in the three least similar pairs.
    assert all(seed_texts[3] in (a, b) for a, b in pairs[["text_a", "text_b"]].values[-3:])
    assert {b.label for b in at.get("download_button")} >= {
        "Figures as HTML (works offline)",
        "Coordinates (CSV)",
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
    clamps = [w.value for w in at.warning]
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
        assert any("Only one text" in w.value for w in at.warning)


def test_blank_and_duplicate_lines_are_reported(seed_texts):
    at = run_app()
    at.text_area(key="texts").set_value(f"{seed_texts[0]}\n\n{seed_texts[0]}\n{seed_texts[1]}")
    at.run()
    assert at.info[0].value == (
        "Read 4 rows; kept 3 texts; skipped 1 (1 blank line; rows 2); "
        "1 texts occur more than once (1 repeats, all kept)."
    )
    assert len(figures(at)) == 2


def test_empty_paste_says_what_to_do():
    at = run_app()
    at.text_area(key="texts").set_value("\n \n").run()
    assert not at.exception
    assert "Paste at least one sentence" in at.warning[0].value
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
    assert at.info[0].value == "Read 52 rows; kept 52 texts."


def test_unloadable_model_shows_the_fix_and_no_traceback():
    at = run_app()
    at.sidebar.selectbox(key="model_choice").set_value(
        "text2vec:shibing624/text2vec-base-chinese"
    ).run()
    assert not at.exception
    assert "HF_HUB_OFFLINE" in at.error[0].value and "FOLDER" in at.error[0].value
    at.sidebar.selectbox(key="model_choice").set_value(
        "Other: a Hugging Face name or a local folder"
    ).run()
    at.sidebar.text_input(key="model_custom").set_value(r"D:\Projects\text2vec-base-chinese").run()
    assert "There is no folder" in at.error[0].value


def test_local_hf_folder_is_used_when_typed_in(minilm_folder):
    at = run_app()
    at.sidebar.selectbox(key="model_choice").set_value(
        "Other: a Hugging Face name or a local folder"
    ).run()
    at.sidebar.text_input(key="model_custom").set_value(minilm_folder).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Model: model on cpu" in c.value for c in at.caption)
    assert len(figures(at)) == 2
