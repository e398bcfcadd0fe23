"""Synthetic but realistic texts for benchmarks: the shipped samples recombined."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).parents[1] / "data"


def make_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct short Chinese/English texts made by joining two sample sentences."""
    base = pd.concat([pd.read_csv(DATA / "zh_topics.csv"), pd.read_csv(DATA / "mixed_topics.csv")])[
        "text"
    ].tolist()
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        a, b = rng.choice(len(base), size=2, replace=False)
        text = f"{base[a]}，{base[b]}" if len(seen) % 3 else f"{base[a]}"
        if len(out) >= len(base) and text in seen:
            text = f"{text} #{len(out)}"
        seen.add(text)
        out.append(text)
    return out
