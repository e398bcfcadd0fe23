"""The first UMAP a user asks for, with and without the app's background warm-up.

    python bench/umap_first_call.py [--n 1000]

Each case runs in a new process, as a fresh `streamlit run` or a one-shot command does:
- cold: import umap, then a first and a second fit (what `embedviz plot --method umap` pays);
- warmed: the app's warm-up (embedviz.project.warm_up) runs first, as it does in a background
  thread while the page loads, then the user's first and second fits.
Target: the warmed first fit within 1.5 x the second.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import print_table  # noqa: E402

CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, {root!r})
n, warm = {n}, {warm}
out = {{}}
t = time.perf_counter()
from embedviz.project import project, warm_up
import umap  # noqa: F401
out["import"] = time.perf_counter() - t
if warm:
    out["warm-up"] = warm_up()
X = np.random.default_rng(0).normal(size=(n, 512)).astype(np.float32)
for key in ("first fit", "second fit"):
    t = time.perf_counter()
    project(X, "umap")
    out[key] = time.perf_counter() - t
print(json.dumps(out))
"""


def run_case(n: int, warm: bool) -> dict:
    code = CHILD.format(root=str(ROOT), n=n, warm=warm)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    for warm in (False, True):
        r = run_case(args.n, warm)
        rows.append(
            [
                "warmed (app)" if warm else "cold (one-shot command)",
                r["import"],
                r.get("warm-up", 0.0),
                r["first fit"],
                r["second fit"],
                r["first fit"] / r["second fit"],
            ]
        )
    print(f"UMAP of {args.n:,} points, 512-D, each case in a new process\n")
    print_table(
        ["case", "import s", "warm-up s", "first fit s", "second fit s", "first / second"], rows
    )


if __name__ == "__main__":
    main()
