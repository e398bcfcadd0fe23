"""The LLM backends, for real: a tiny GLM and a tiny ChatGLM remote-code folder built in the
test and loaded through transformers, the HTTP client against a local server, the bundled
model end to end (slow), and what the LLM features do with their answers."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from embedviz.llm import ChatModel, LLMError, load_llm
from embedviz.llm._base import to_query_history

from .chat_server import ChatServer
from .conftest import needs_sandbox
from .llm_models import build_tiny_chatglm, build_tiny_glm

ASK = [{"role": "user", "content": "这些句子在说什么？"}]


@pytest.fixture(scope="module")
def tiny_glm(tmp_path_factory, minilm_folder):
    return build_tiny_glm(tmp_path_factory.mktemp("glm") / "tiny-glm", minilm_folder)


@pytest.fixture(scope="module")
def tiny_chatglm(tmp_path_factory, minilm_folder):
    return build_tiny_chatglm(tmp_path_factory.mktemp("chatglm") / "chatglm-6b-tiny", minilm_folder)


# ---------------------------------------------------------------- transformers


def test_native_glm_answers_through_its_chat_template(tiny_glm):
    llm = load_llm(f"transformers:{tiny_glm}")
    assert llm.backend == "transformers" and llm.name == "tiny-glm (fp32 on cpu)"
    pieces = list(llm.stream(ASK, max_tokens=6))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert 1 <= llm.count_tokens("".join(pieces)) <= 8


def test_native_glm_has_no_int4(tiny_glm):
    with pytest.raises(LLMError, match="has no quantize\\(\\); int8/int4 come from ChatGLM"):
        load_llm(f"transformers:{tiny_glm}", precision="int4")


def test_remote_code_runs_only_when_allowed(tiny_chatglm):
    with pytest.raises(
        LLMError,
        match="runs its own Python code \\(configuration_chatglm.py, modeling_chatglm.py\\)",
    ):
        load_llm(f"transformers:{tiny_chatglm}")


def test_allowed_remote_code_is_bound_to_the_files_approved(tiny_chatglm, tmp_path):
    import shutil

    from embedviz.llm.transformers_chat import code_fingerprint

    folder = tmp_path / "chatglm"
    shutil.copytree(tiny_chatglm, folder)
    approved = code_fingerprint(str(folder))
    assert approved and len(approved) == 64
    llm = load_llm(f"transformers:{folder}", trust_remote_code=True, code_sha256=approved)
    assert llm.chat(ASK, max_tokens=2) is not None
    # The folder's code changes after it was approved: loading it again is refused.
    with open(folder / "modeling_chatglm.py", "a", encoding="utf-8") as f:
        f.write("\nimport os  # a line added after the approval\n")
    with pytest.raises(LLMError, match="changed since their code was allowed to run"):
        load_llm(f"transformers:{folder}", trust_remote_code=True, code_sha256=approved)


def test_chatglm_loads_like_the_seed_and_answers_with_model_chat(tiny_chatglm):
    llm = load_llm(f"transformers:{tiny_chatglm}", trust_remote_code=True)
    assert type(llm.model).__name__ == "ChatGLMForConditionalGeneration"  # AutoModel + auto_map
    answer = llm.chat(
        [
            {"role": "system", "content": "用中文回答"},
            {"role": "user", "content": "第一问"},
            {"role": "assistant", "content": "第一答"},
            {"role": "user", "content": "第二问"},
        ]
    )
    assert isinstance(answer, str) and answer.strip()


def test_chatglm_int8_through_its_own_quantize(tiny_chatglm):
    import torch

    llm = load_llm(f"transformers:{tiny_chatglm}", trust_remote_code=True, precision="int8")
    assert llm.name.endswith("(int8 on cpu)")
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in llm.model.modules())
    assert llm.chat(ASK).strip()


def test_chatglm_int4_kernel_failure_says_the_fix(tiny_chatglm):
    with pytest.raises(LLMError, match="No compiled kernel found.*gcc with OpenMP"):
        load_llm(f"transformers:{tiny_chatglm}", trust_remote_code=True, precision="int4")


def test_offline_hub_name_fails_at_once_with_the_fix():
    with pytest.raises(LLMError, match="HF_HUB_OFFLINE"):
        load_llm("transformers:THUDM/chatglm-6b-int4", trust_remote_code=True)


def test_messages_become_chatglm_query_and_history():
    query, history = to_query_history(
        [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "Q1"},
            {"role": "assistant", "content": "A1"},
            {"role": "user", "content": "Q2"},
        ]
    )
    assert (query, history) == ("Q2", [("S\n\nQ1", "A1")])
    assert to_query_history([{"role": "system", "content": "S"}, *ASK])[0].startswith("S\n\n")
    with pytest.raises(ValueError, match="last message must be the user's question"):
        to_query_history([{"role": "assistant", "content": "A"}])


# ---------------------------------------------------------------- OpenAI-compatible HTTP


@pytest.fixture
def chat_server():
    server = ChatServer()
    yield server
    server.close()


def test_http_client_streams_from_a_local_server(chat_server):
    chat_server.answer("花呗换绑银行卡", piece=2)
    llm = load_llm(f"openai:chatglm3-6b@{chat_server.url}")
    assert llm.name == f"chatglm3-6b at {chat_server.url}"
    assert list(llm.stream(ASK, max_tokens=50)) == ["花呗", "换绑", "银行", "卡"]
    path, body = chat_server.requests[-1]
    assert path == "/v1/chat/completions"
    assert body["messages"] == ASK and body["max_tokens"] == 50 and body["stream"] is True


def test_http_errors_say_what_to_do(chat_server):
    with pytest.raises(LLMError, match="refused the request \\(404\\).*named 'glm-4'"):
        load_llm(f"openai:glm-4@{chat_server.url}").chat(ASK)
    with pytest.raises(LLMError, match="No answer from http://127.0.0.1:9/v1.*Start the server"):
        load_llm("openai:chatglm3-6b@http://127.0.0.1:9/v1").chat(ASK)


def test_unknown_spec_lists_the_choices():
    with pytest.raises(LLMError, match="Use 'bundled', 'gguf:FILE.gguf', 'transformers:FOLDER'"):
        load_llm("chatglm")


# ---------------------------------------------------------------- explain, with given answers


class Answers(ChatModel):
    """Replays given answers: the input that the explain and code features must handle."""

    backend, name = "replay", "replay"

    def __init__(self, *answers):
        self.answers, self.prompts = list(answers), []

    def stream(self, messages, *, max_tokens=512, temperature=0.2, schema=None):
        self.prompts.append(list(messages))  # as sent: the caller may add to it later
        yield self.answers.pop(0)


@pytest.fixture
def with_stray(clusters):
    """The three groups, and text 9 of group 0 moved next to group 1's centre."""
    X, truth = clusters
    X = X.copy()
    X[9] = X[10:20].mean(axis=0)
    return X, truth


def test_explain_prompt_shows_typical_members_the_nearest_group_and_possible_misfits(
    with_stray, seed_texts
):
    from embedviz.explain import PER_CLUSTER, build_prompt, survey, text_language

    X, truth = with_stray
    texts = [f"句子{i}" for i in range(30)]
    shown = survey(X, truth, texts)
    assert [p.cluster for p in shown] == [0, 1, 2]
    # Its typical five first, then members from across it (never all of its texts).
    assert all(PER_CLUSTER <= len(p.members) < 10 for p in shown)
    assert all(p.members == [texts[i] for i in p.positions] for p in shown)
    # Text 9 sits with group 1, so group 0 offers it first as a possible misfit.
    assert shown[0].candidates[0] == 9 and texts[9] not in shown[0].members
    for p in shown:
        assert p.nearest is not None and p.nearest != p.cluster
    prompt = build_prompt(
        shown[0],
        shown[shown[0].nearest],
        texts,
        taken=["天气预报"],
        keywords="句子 · 天气",
        neighbour_keywords="换卡 · 银行",
    )
    # Asked in the texts' language: its members, three of the nearest group's, the offered
    # misfits, its keywords and the names taken.
    assert all(f"T{k}. {t}" in prompt for k, t in enumerate(shown[0].members, 1))
    assert all(f"N{k}. " in prompt for k in (1, 2, 3)) and "N4. " not in prompt
    assert "M1. 句子9" in prompt and "（共 10 条）" in prompt and "句子 · 天气" in prompt
    assert "别的组已经用过的名字（天气预报）" in prompt and "内容用简体中文" in prompt
    assert "最典型的几条（它的常见词：换卡 · 银行）" in prompt
    english = build_prompt(shown[0], None, [f"sentence {i}" for i in range(30)], taken=["x"])
    assert "(10 texts)" in english and "names other groups already have (x)" in english
    assert "Answer in English" in english
    assert text_language(seed_texts) == "Chinese (简体中文)"
    assert text_language(["How do I change my card?"]) == "English"


def test_explanations_are_checked_against_the_data(with_stray):
    from embedviz.explain import explain_clusters

    X, truth = with_stray
    texts = [f"第{i}句话" for i in range(30)]
    first = {
        "label": "支付",
        "difference": "问的是付款，不是第1组的换卡。",
        # by number, verbatim, a part of one, another group's text, and one made up
        "evidence": ["T1", "第0句话", "「第1句话」", "第15句话", "一句编出来的话"],
        "misfits": ["M1", "M9"],
    }
    again = json.dumps({"label": "支付", "difference": "换卡", "evidence": [], "misfits": []})
    llm = Answers(
        "好的：\n```json\n" + json.dumps(first, ensure_ascii=False) + "\n```",
        again,  # the name the first group has: asked again ...
        again,  # ... and given again
        "我不知道",
    )
    found = explain_clusters(llm, texts, X, truth, {2: "天气"})
    e = found[0]
    typical = e.members[0]
    assert e.evidence == list(dict.fromkeys([typical, "第0句话", "第1句话"]))
    assert e.dropped == ["第15句话", "一句编出来的话"]
    assert e.misfits == [9]  # M1 was text 9; M9 was never offered
    assert e.nearest == 1 and "第1组" in e.versus
    assert "Evidence: “" in e.explanation
    notes = e.notes(texts)
    assert "2 quote(s) are not member texts and were dropped" in notes[0]
    assert notes[1] == "Does not fit: “第9句话”"
    # The second prompt was told the first name, to keep them apart, and asked again when it
    # came back; they still clash here, so both get their number. A group with no usable
    # answer keeps its keywords, and says so.
    assert "别的组已经用过的名字（支付）" in llm.prompts[1][-1]["content"]
    assert "名字「支付」已经给了别的组" in llm.prompts[2][-1]["content"]
    assert [e.label for e in found] == ["支付 (0)", "支付 (1)", "天气"]
    assert found[2].fallback and "no label" in found[2].versus


def test_a_name_given_twice_is_asked_again_then_told_apart_by_a_keyword(with_stray):
    from embedviz.explain import explain_clusters

    X, truth = with_stray
    texts = [f"第{i}句话" for i in range(30)]
    same = json.dumps({"label": "支付", "difference": "这一组讲付款，最近的一组讲别的。"})
    llm = Answers(*[same] * 5)  # the first once, the others asked again and insisting
    keywords = {0: "支付 · 花呗", 1: "银行卡 · 支付", 2: "支付"}
    found = explain_clusters(llm, texts, X, truth, keywords)
    assert [e.asked_again is not None for e in found] == [False, True, True]
    assert [e.label for e in found] == ["支付 · 花呗", "支付 · 银行卡", "支付"]


def test_the_prompts_handles_never_reach_the_reader(with_stray):
    from embedviz.explain import explain_clusters

    X, truth = with_stray
    texts = [f"第{i}句话" for i in range(30)]
    said = "T1 和 T2 问的是付款，而 N1、N2 问的是换卡；M1 例外。"
    llm = Answers(*[json.dumps({"label": f"主题{g}", "difference": said}) for g in range(3)])
    found = explain_clusters(llm, texts, X, truth)
    for e in found:
        assert not re.search(r"(?<![A-Za-z])[TNM]\d", e.versus), e.versus
        assert f"「{e.members[0]}」" in e.versus  # the text it stood for, quoted


def test_a_sentence_that_copies_the_texts_or_the_prompt_is_asked_for_again(with_stray):
    # What the bundled model did on Chinese texts: strung the members' texts together, or
    # read the prompt's headings back. Asked again once; a second copy gives way to a
    # sentence written from the keywords, which the notes say.
    from embedviz.explain import explain_clusters

    X, truth = with_stray
    texts = [f"第{i}句话讲的事情" for i in range(30)]
    listed = "T1、T2、T3、T4与N1、N2不同。"
    echoed = "第0句话讲的事情。与它最接近的另一组最典型的几条：第10句话讲的事情。"
    llm = Answers(
        json.dumps({"label": "付款", "difference": listed}, ensure_ascii=False),
        json.dumps({"label": "付款", "difference": listed}, ensure_ascii=False),
        json.dumps({"label": "换卡", "difference": echoed}, ensure_ascii=False),
        json.dumps({"label": "换卡", "difference": "这一组问换卡，最近的一组问付款。"}),
        json.dumps({"label": "天气", "difference": "这一组问天气，最近的一组问付款。"}),
    )
    keywords = {0: "付款 · 花呗", 1: "换卡 · 银行卡", 2: "天气 · 下雨"}
    found = explain_clusters(llm, texts, X, truth, keywords)
    assert "照抄了原文或题目" in llm.prompts[1][-1]["content"]
    assert found[0].versus_from_keywords and "付款、花呗" in found[0].versus
    assert "换卡、银行卡" in found[0].versus and "「" not in found[0].versus
    assert any("written from the keywords" in n for n in found[0].notes(texts))
    assert "照抄了原文或题目" in llm.prompts[3][-1]["content"]
    assert found[1].versus == "这一组问换卡，最近的一组问付款。"
    assert not found[1].versus_from_keywords and found[1].asked_again
    assert found[2].asked_again is None and found[2].versus.startswith("这一组问天气")
    assert not llm.answers  # five answers for three clusters: two asked again


def test_a_sentence_that_says_the_same_of_both_groups_is_asked_for_again(with_stray):
    # What the bundled model wrote on real news titles: "这一组讲的是拆迁，最接近的那一组讲的是
    # 拆迁。" A contrast with the same thing on both sides tells the reader nothing.
    from embedviz.explain import explain_clusters

    X, truth = with_stray
    texts = [f"第{i}句话讲的事情" for i in range(30)]
    same = "这一组讲的是拆迁，最接近的那一组讲的是关于拆迁的问题。"
    llm = Answers(
        json.dumps({"label": "拆迁", "difference": same}, ensure_ascii=False),
        json.dumps({"label": "拆迁", "difference": same}, ensure_ascii=False),
        json.dumps({"label": "换卡", "difference": "这一组讲的是换卡，最接近的那一组讲的是拆迁。"}),
        json.dumps({"label": "天气", "difference": "这一组讲的是天气，最接近的那一组讲的是换卡。"}),
    )
    keywords = {0: "拆迁 · 补偿", 1: "换卡 · 银行卡", 2: "天气 · 下雨"}
    found = explain_clusters(llm, texts, X, truth, keywords)
    assert "说这两组讲的是同一件事" in llm.prompts[1][-1]["content"]
    assert found[0].versus_from_keywords and "拆迁、补偿" in found[0].versus
    assert [e.asked_again is None for e in found] == [False, True, True]
    assert found[1].versus == "这一组讲的是换卡，最接近的那一组讲的是拆迁。"
    assert not llm.answers


def test_an_answer_in_the_wrong_language_is_asked_for_again(with_stray):
    from embedviz.explain import explain_clusters

    X, truth = with_stray
    texts = [f"第{i}句话" for i in range(30)]
    llm = Answers(
        json.dumps({"label": "Payments", "difference": "These are about paying."}),
        json.dumps({"label": "付款", "difference": "这一组问的是付款。"}),
        json.dumps({"label": "换卡", "difference": "这一组问的是换卡。"}),
        json.dumps({"label": "天气", "difference": "这一组问的是天气。"}),
    )
    found = explain_clusters(llm, texts, X, truth)
    assert [e.label for e in found] == ["付款", "换卡", "天气"]
    assert found[0].asked_again and "简体中文" in llm.prompts[1][-1]["content"]
    assert all(e.asked_again is None for e in found[1:])


def test_a_label_that_fits_another_group_better_is_asked_for_again(use_encoder):
    from embedviz.explain import explain_clusters

    weather = ["今天北京下雨吗", "明天上海会下雪吗", "周末天气怎么样", "后天气温多少度"]
    cards = ["花呗怎么换绑银行卡", "如何办理信用卡", "银行卡丢了怎么办", "花呗还款日是哪天"]
    texts = weather + cards
    X = use_encoder.encode(texts)
    truth = np.repeat([0, 1], 4)
    llm = Answers(
        json.dumps({"label": "银行卡和花呗", "difference": "这一组问的是卡。"}),
        json.dumps({"label": "天气预报", "difference": "这一组问的是天气。"}),
        json.dumps({"label": "银行卡和花呗", "difference": "这一组问的是卡。"}),
    )
    found = explain_clusters(llm, texts, X, truth, encoder=use_encoder)
    assert [e.label for e in found] == ["天气预报", "银行卡和花呗"]
    assert "更贴近另一组" in llm.prompts[1][-1]["content"] and found[0].asked_again
    assert found[1].asked_again is None


def test_answers_in_prose_in_a_list_or_cut_off_still_parse():
    from embedviz.explain import parse_answer

    assert parse_answer('Sure: [{"label": "a", "difference": "b"}] ok')["label"] == "a"
    cut = '{"label": "花呗换卡", "difference": "问的是换卡", "evidence": ["T1", "T'
    assert parse_answer(cut) == {"label": "花呗换卡", "difference": "问的是换卡"}


def test_no_usable_answer_is_an_error_that_shows_it(clusters):
    from embedviz.explain import explain_clusters

    X, truth = clusters
    llm = Answers("I cannot help", "I cannot help", "I cannot help")
    with pytest.raises(LLMError, match="holds no JSON object: 'I cannot help'"):
        explain_clusters(llm, [f"t{i}" for i in range(30)], X, truth)


def test_http_backend_asks_for_the_schema_and_does_without_where_refused(chat_server, clusters):
    from embedviz.explain import EXPLANATION_SCHEMA, explain_clusters

    X, truth = clusters
    texts = [f"t{i}" for i in range(30)]
    llm = load_llm(f"openai:chatglm3-6b@{chat_server.url}")
    for g in range(3):
        chat_server.answer(json.dumps({"label": f"g{g}", "difference": "differs"}))
    assert [e.label for e in explain_clusters(llm, texts, X, truth)] == ["g0", "g1", "g2"]
    sent = chat_server.requests[-1][1]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["schema"] == EXPLANATION_SCHEMA
    # A server without structured output refuses the field: asked again without it, once.
    chat_server.refuse_schema = True
    for g in range(3):
        chat_server.answer(json.dumps({"label": f"g{g}", "difference": "differs"}))
    fresh = load_llm(f"openai:chatglm3-6b@{chat_server.url}")
    assert [e.label for e in explain_clusters(fresh, texts, X, truth)] == ["g0", "g1", "g2"]
    asked = [("response_format" in body) for _, body in chat_server.requests[-4:]]
    assert asked == [True, False, False, False] and fresh.takes_schema is False


def test_misfits_are_kept_drawn_saved_and_follow_a_filter(seed_texts, tmp_path):
    import embedviz

    X = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    a = embedviz.analyze(seed_texts, embeddings=X, method="pca", k=2)
    a = a.with_llm_labels({0: "x", 1: "y"}, {0: "", 1: ""}, {int(a.clusters[2]): [2]})
    assert a.misfit_positions == [2]
    ring = [t for t in a.figure().data if "do not fit" in (t.name or "")]
    assert len(ring) == 1 and list(ring[0].x) == [pytest.approx(float(a.coords[2, 0]))]
    assert a.points_frame()["llm_misfit"].tolist() == [False, False, True, False]
    assert any("The LLM says 1 text does not fit its cluster" in n for n in a.notes)
    again = embedviz.load(a.save(tmp_path / "saved"))
    assert again.misfits == a.misfits
    assert a.subset([3, 2], "filter").misfit_positions == [1]
    assert a.subset([0, 1], "filter").misfits == {}


# ---------------------------------------------------------------- the bundled model (slow)


@pytest.fixture(scope="module")
def bundled():
    pytest.importorskip("llama_cpp", reason="pip install -r requirements-llm.txt")
    return load_llm("bundled")


@pytest.mark.slow
def test_bundled_model_explains_chinese_clusters_in_chinese(bundled, use_encoder):
    from embedviz.cluster import cluster
    from embedviz.explain import explain_clusters
    from embedviz.inputs import read_path, texts_from_table
    from embedviz.keywords import keyword_labels

    from .conftest import DATA

    batch = texts_from_table(read_path(DATA / "zh_topics.csv"), "text", label_column="topic")
    X = use_encoder.encode(batch.texts)
    labels = cluster(X, "kmeans", 5).labels
    found = explain_clusters(bundled, batch.texts, X, labels, keyword_labels(batch.texts, labels))
    assert len(found) == 5
    assert len({e.label for e in found}) == 5
    cjk = [e for e in found if any("\u4e00" <= ch <= "\u9fff" for ch in e.label + e.versus)]
    assert len(cjk) >= 4, [(e.label, e.versus) for e in found]
    # The grammar holds it to the schema: every group answered, with evidence that is found
    # among its members (quotes that are not were dropped and are said).
    members = {c: {t for t, x in zip(batch.texts, labels, strict=True) if x == c} for c in range(5)}
    assert sum(bool(e.evidence) for e in found) >= 4, [(e.evidence, e.dropped) for e in found]
    for e in found:
        assert all(any(q in m for m in members[e.cluster]) for q in e.evidence)
        assert e.nearest in members and e.nearest != e.cluster


@pytest.mark.slow
def test_bundled_model_answers_and_counts_tokens(bundled):
    answer = bundled.chat(
        [{"role": "user", "content": "用四个字概括：如何更换花呗绑定银行卡"}], max_tokens=24
    )
    assert answer.strip() and bundled.count_tokens(answer) <= 24


def test_figure_diff_names_each_property_that_changed():
    import plotly.graph_objects as go

    from embedviz.codegen import figure_diff, outline

    before = go.Figure(go.Scatter(x=list(range(10)), y=list(range(10)), name="花呗"))
    after = go.Figure(before)
    after.update_layout(title_text="花呗问题的地图", showlegend=False)
    after.update_traces(marker=dict(size=15), y=list(range(10, 20)))
    after.update_layout(template="plotly_dark")
    changes = figure_diff(before.to_json(), after.to_json())
    assert "layout.title.text: added '花呗问题的地图'" in changes
    assert "layout.showlegend: added False" in changes
    assert "data[0].marker.size: added 15" in changes
    assert any(c.startswith("data[0].y: ") for c in changes)  # an array: by what it is
    assert "layout.template: a template -> a template" in changes  # one line, not thousands
    assert figure_diff(before.to_json(), before.to_json()) == []
    text = outline(after.to_json())
    assert "trace 0 (map): type=scatter, name='花呗'" in text and "title.text=" in text
    assert "0, 1, 2" not in text  # no data


@needs_sandbox
def test_a_change_is_lines_added_run_and_compared_with_the_figure_before(seed_texts):
    from embedviz.codegen import CHANGES_MARK, View, revise_script, template_script

    script = template_script(View(seed_texts, "use-multilingual", "pca", 2, labels=list("aabc")))
    llm = Answers(
        "```python\nlegend_size = 12\n```",  # runs, changes nothing
        'Here:\n```python\nfig.update_layout(title_text="花呗")\n```',
    )
    revision = revise_script(llm, script, "加一个标题")
    assert revision.done and revision.attempts == 2
    assert revision.changes == ["layout.title.text: added '花呗'"]
    assert CHANGES_MARK + 'fig.update_layout(title_text="花呗")\n' in revision.code
    assert json.loads(revision.result.figure_json)["layout"]["title"]["text"] == "花呗"
    first, second = llm.prompts
    # The LLM sees what the figure holds, never the texts; the second answer is told why.
    assert "(heatmap): type=heatmap" in first[0]["content"]
    assert not any(t in m["content"] for m in first for t in seed_texts)
    assert first[-1]["content"].endswith("加一个标题")
    assert "left the figure exactly as it was" in second[-1]["content"]


@needs_sandbox
def test_a_change_that_never_changes_the_figure_is_not_done(seed_texts):
    from embedviz.codegen import View, revise_script, template_script

    script = template_script(View(seed_texts, "use-multilingual", "pca", 2))
    llm = Answers("```python\nfig.update_layout()\n```", "```python\npass\n```")
    revision = revise_script(llm, script, "make it nicer")
    assert revision.result.ok and not revision.changes and not revision.done


def test_quotes_of_members_cut_in_the_prompt_still_count():
    from embedviz.explain import check_quotes

    members = ["如何更换花呗绑定银行卡，并且保留原来的还款记录", "花呗更改绑定银行卡"]
    found, dropped = check_quotes(
        ["如何更换花呗绑定银行卡…", "“花呗更改绑定银行卡”", "换卡"], members
    )
    assert found == ["如何更换花呗绑定银行卡", "花呗更改绑定银行卡"]
    assert dropped == ["换卡"]  # two characters: too short to count as a part of one
