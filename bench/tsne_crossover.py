"""Where openTSNE (FFT) overtakes scikit-learn's Barnes-Hut t-SNE, on real embeddings.

    python bench/tsne_crossover.py [--sizes 2000,5000,10000,20000]

Both run 2-D, perplexity 30, cosine, PCA initialisation, on the default model's embeddings
of the recombined samples; embedviz switches at OPENTSNE_ABOVE (embedviz/project/tsne.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import measure, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000,5000,10000,20000")
    args = parser.parse_args()
    from sklearn.manifold import TSNE

    from bench._texts import make_texts
    from embedviz.encoders import load_encoder
    from embedviz.project import OPENTSNE_ABOVE, TSNEProjector, check_embeddings

    sizes = [int(s) for s in args.sizes.split(",")]
    U = check_embeddings(load_encoder().encode(make_texts(max(sizes))))
    rows = []
    for n in sizes:
        with measure() as sk:
            TSNE(perplexity=30, metric="cosine", init="pca", random_state=0).fit_transform(U[:n])
        with measure() as ot:
            TSNEProjector(perplexity=30, random_state=0)._fit_opentsne(U[:n], 30.0)
        faster = "openTSNE" if ot.seconds < sk.seconds else "scikit-learn"
        rows.append([n, sk.seconds, ot.seconds, sk.seconds / ot.seconds, faster])
        print(rows[-1], flush=True)
    print()
    print_table(["texts", "scikit-learn s", "openTSNE s", "sklearn / openTSNE", "faster"], rows)
    print(f"embedviz uses openTSNE above {OPENTSNE_ABOVE:,} texts (2-D).")


if __name__ == "__main__":
    main()
