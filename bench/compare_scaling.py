"""What comparing two models costs beyond running them: the agreement of neighbourhoods,
the moved pairs and the aligned maps, by number of texts.

    python bench/compare_scaling.py [--sizes 1000,3000,20000]

Two sets of vectors stand in for the two models (512-D, and a noisy 384-D view of it), so
the figures are of embedviz.comparison alone, not of encoding or projecting. Up to
ALL_PAIRS_UP_TO texts every pair is ranked; above, the pairs among each text's nearest.
Prints seconds per step and how far resident memory rose.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import measure, print_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,3000,20000")
    args = parser.parse_args()
    from embedviz.comparison import ALL_PAIRS_UP_TO, align, moved_pairs, neighbour_agreement
    from embedviz.similarity import top_k_neighbours

    rng = np.random.default_rng(0)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        A = rng.normal(size=(n, 512)).astype(np.float32)
        B = (A[:, :384] + rng.normal(scale=0.5, size=(n, 384))).astype(np.float32)
        near = None
        with measure() as nearest:
            if n > ALL_PAIRS_UP_TO:
                near = (top_k_neighbours(A, 10)[0], top_k_neighbours(B, 10)[0])
        with measure() as agreement:
            neighbour_agreement(A, B, near=near)
        with measure() as moved:
            found = moved_pairs(A, B, near=near)
        with measure() as aligned:
            align(rng.normal(size=(n, 2)), rng.normal(size=(n, 2)))
        total = nearest.seconds + agreement.seconds + moved.seconds + aligned.seconds
        peak = max(m.peak_mib for m in (nearest, agreement, moved, aligned))
        rows.append(
            [n, nearest.seconds, agreement.seconds, moved.seconds, aligned.seconds, total, peak]
        )
        print(rows[-1], found.how, flush=True)
    print()
    print_table(
        ["texts", "nearest (s)", "agreement (s)", "moved pairs (s)", "align (s)", "total (s)",
         "RSS rise (MiB)"],
        rows,
    )  # fmt: skip


if __name__ == "__main__":
    main()
