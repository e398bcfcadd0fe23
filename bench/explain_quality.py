"""How good are the LLM's cluster explanations? Measured on the shipped labelled sets and on
real corpora (bench/_corpora.py).

    python bench/explain_quality.py [--llm bundled] [--sets zh_topics,mixed_topics]
                                    [--corpora hsk fortunes hsk-mixed inews] [--n 10000] [--k 10]

The texts are encoded with the default model and clustered with the default clusterer; the
LLM explains the clusters (embedviz.explain). Per set:

- labels that name their cluster's majority topic: the label's embedding is nearer that
  topic's name than any other topic name (the labels are printed for a person to judge);
- labels distinct, and labels that only echo the cluster's keywords;
- quotes given, found verbatim among the cluster's texts, dropped;
- misfits: offered to the LLM, confirmed by it, and of those how many are truly of another
  topic than their cluster's majority (against the same share among all offered: does the
  LLM's confirmation add anything?);
- the prompt's handles (T1, N2, M3) shown in a sentence (must be 0), sentences in the
  texts' language, labels asked for again (another language, or a label that fit another
  cluster or one member better);
- seconds for the answer (target, issue 19: 10 clusters of a 10,000-text corpus in at most
  3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
#: what embedviz adds to a label two clusters were given (a keyword, the cluster's number):
#: not the model's distinct name
NUMBERED = re.compile(r"( · [^·]+)?( \(\d+\))?$")
sys.path.insert(0, str(ROOT))

from bench._report import print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llm", default="bundled")
    parser.add_argument("--sets", default="zh_topics,mixed_topics")
    parser.add_argument("--corpora", nargs="*", default=[])
    parser.add_argument("--n", type=int, default=10000, help="texts per corpus (a sample)")
    parser.add_argument("--k", type=int, default=10, help="clusters asked for on a corpus")
    args = parser.parse_args()
    import pandas as pd

    from bench._corpora import CORPORA
    from embedviz._validation import check_embeddings
    from embedviz.encoders import load_encoder
    from embedviz.explain import HANDLE, _cjk_share, explain_clusters, text_language
    from embedviz.llm import load_llm
    from embedviz.pipeline import analyze

    warnings.filterwarnings("ignore")
    encoder = load_encoder()
    llm = load_llm(args.llm)
    rows = []
    inputs = []
    for name in [s for s in args.sets.split(",") if s]:
        frame = pd.read_csv(ROOT / "data" / f"{name}.csv")
        inputs.append((name, list(frame.text), list(frame.topic), None))
    for name in args.corpora:
        corpus = CORPORA[name]().subset(args.n)
        inputs.append((name, corpus.texts, corpus.labels, args.k))
    for name, texts, topics, k in inputs:
        a = analyze(texts, method="pca", model=encoder, k=k, labels=topics)
        texts, topics = a.texts, a.labels
        X, labels, keywords = a.embeddings, a.clusters, a.keywords
        t = time.perf_counter()
        found = explain_clusters(llm, texts, X, labels, keywords, encoder=encoder)
        seconds = time.perf_counter() - t
        zh = text_language(texts).startswith("Chinese")
        handles = sum(bool(HANDLE.search(e.versus)) for e in found)
        matched = sum((_cjk_share(e.label + e.versus) >= 1 / 3) == zh for e in found)
        again = sum(bool(e.asked_again) for e in found)

        names = sorted(set(topics))
        N = check_embeddings(encoder.encode(names))
        L = check_embeddings(encoder.encode([e.label for e in found]))
        named = 0
        offered = confirmed = truly = offered_truly = 0
        given = kept = 0
        echo = 0
        print(f"\n{name}: {len(found)} clusters, {seconds:.0f} s")
        for e, vec in zip(found, L, strict=True):
            members = [topics[i] for i in np.flatnonzero(labels == e.cluster)]
            majority, count = Counter(members).most_common(1)[0]
            guess = names[int(np.argmax(N @ vec))]
            named += guess == majority
            words = set(keywords.get(e.cluster, "").split(" · "))
            echo += e.label in words or e.label == keywords.get(e.cluster)
            given += len(e.evidence) + len(e.dropped)
            kept += len(e.evidence)
            offered += len(e.candidates)
            offered_truly += sum(topics[i] != majority for i in e.candidates)
            confirmed += len(e.misfits)
            truly += sum(topics[i] != majority for i in e.misfits)
            print(
                f"  [{e.cluster}] {len(members)} texts, {count} {majority}: {e.label!r} "
                f"(nearest topic name: {guess}) vs {e.nearest}: {e.versus}"
            )
            for q in e.evidence:
                print(f"      evidence: {q}")
            for q in e.dropped:
                print(f"      dropped: {q}")
            for i in e.misfits:
                print(f"      misfit: {texts[i]} ({topics[i]})")
        n = len(found)
        rows.append(
            [
                name,
                n,
                f"{named}/{n}",
                f"{len({NUMBERED.sub('', e.label) for e in found})}/{n}",
                echo,
                f"{kept}/{given}",
                f"{confirmed}/{offered}",
                f"{truly}/{confirmed}",
                f"{offered_truly}/{offered}",
                sum(bool(e.versus) and e.nearest is not None for e in found),
                handles,
                f"{matched}/{n}",
                again,
                seconds,
            ]
        )
    print()
    print_table(
        [
            "set",
            "clusters",
            "label names topic",
            "distinct",
            "keyword echo",
            "quotes found",
            "misfits confirmed/offered",
            "confirmed of another topic",
            "offered of another topic",
            "contrast given",
            "handles shown",
            "language matched",
            "asked again",
            "seconds",
        ],
        rows,
    )
    print(f"LLM: {llm.name}")


if __name__ == "__main__":
    main()
