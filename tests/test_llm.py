"""The LLM backends, for real: a tiny GLM and a tiny ChatGLM remote-code folder built in the
test and loaded through transformers, the HTTP client against a local server, the bundled
model end to end (slow), and what the LLM features do with their answers."""

from __future__ import annotations

import json

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

    def stream(self, messages, *, max_tokens=512, temperature=0.2):
        self.prompts.append(messages)
        yield self.answers.pop(0)


def test_explain_prompt_quotes_representatives_not_every_text(clusters, seed_texts):
    from embedviz.explain import PER_CLUSTER, build_prompt, text_language

    X, truth = clusters
    texts = [f"句子{i}" for i in range(30)]
    prompt, ids, shown = build_prompt(texts, X, truth, {0: "a", 1: "b", 2: "c"})
    assert ids == [0, 1, 2]
    assert all(len(m) == PER_CLUSTER for m in shown.values())
    assert sum(prompt.count(t + "\n") for t in texts) == 3 * PER_CLUSTER
    assert "Chinese" in prompt and "keywords: a" in prompt
    assert text_language(seed_texts) == "Chinese (简体中文)"
    assert text_language(["How do I change my card?"]) == "English"


def test_explanations_keep_labels_distinct_and_fill_gaps(clusters):
    from embedviz.explain import explain_clusters

    X, truth = clusters
    answer = (
        "好的，结果如下：\n```json\n"
        '[{"group": 0, "label": "支付", "explanation": "都在问「花呗」"},'
        ' {"group": 1, "label": "支付", "explanation": "银行卡"}]\n```'
    )
    found = explain_clusters(Answers(answer), [f"t{i}" for i in range(30)], X, truth, {2: "天气"})
    assert [e.label for e in found] == ["支付 (0)", "支付 (1)", "天气"]
    assert "no label" in found[2].explanation


def test_an_answer_without_json_is_an_error_that_shows_it(clusters):
    from embedviz.explain import explain_clusters

    X, truth = clusters
    with pytest.raises(LLMError, match="holds no JSON list: 'I cannot help'"):
        explain_clusters(Answers("I cannot help"), [f"t{i}" for i in range(30)], X, truth)


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
    cjk = [e for e in found if any("\u4e00" <= ch <= "\u9fff" for ch in e.label + e.explanation)]
    assert len(cjk) >= 4, [(e.label, e.explanation) for e in found]


@pytest.mark.slow
def test_bundled_model_answers_and_counts_tokens(bundled):
    answer = bundled.chat(
        [{"role": "user", "content": "用四个字概括：如何更换花呗绑定银行卡"}], max_tokens=24
    )
    assert answer.strip() and bundled.count_tokens(answer) <= 24


@needs_sandbox
def test_the_llm_sees_the_script_without_its_data_and_the_data_comes_back(seed_texts):
    from embedviz.codegen import View, compact_script, revise_script, template_script

    script = template_script(View(seed_texts, "use-multilingual", "pca", 2, labels=list("aabc")))
    compact, restore = compact_script(script)
    assert not any(t in compact for t in seed_texts) and "TEXTS = [...]" in compact
    assert restore(compact) == script
    changed = compact.replace("fig.write_html(", 'fig.update_layout(title="花呗")\nfig.write_html(')
    assert changed != compact
    llm = Answers(f"```python\n{changed}```")
    revision = revise_script(llm, script, "add a title")
    assert revision.result.ok and revision.attempts == 1
    assert all(t in revision.code for t in seed_texts) and 'title="花呗"' in revision.code
    assert json.loads(revision.result.figure_json)["layout"]["title"]["text"] == "花呗"
    sent = llm.prompts[0][-1]["content"]
    assert "add a title" in sent and seed_texts[0] not in sent
