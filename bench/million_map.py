"""A map of a million points in Debian's chromium without a GPU (software WebGL): the lean
map embedviz draws above LEAN_MAP_ABOVE points against the same map with its text shipped
per point (what embedviz drew before), in one run.

    python bench/million_map.py [--n 1000000]

For each page: HTML size, seconds from opening the file to the first draw (plotly draws while
the page loads), hover (mouse on a point until its text shows), and zoom/pan (the slowest of
three relayouts).
Targets (issue 10): first draw <= 10 s after the data arrives; pan and zoom without
freezing; hover shows the text.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1]))

from bench._report import print_table  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

POINT_ON_SCREEN = """(i) => {
  const gd = document.querySelector('.js-plotly-plot');
  const t = gd._fullData.find(t => t.x && t.x.length > 0 && t.mode === 'markers');
  const L = gd._fullLayout, r = gd.getBoundingClientRect(), k = i % t.x.length;
  return [r.left + L._size.l + L.xaxis.l2p(t.x[k]), r.top + L._size.t + L.yaxis.l2p(t.y[k])];
}"""


def make_map(n: int, lean: bool, path: Path) -> float:
    """Write the map page of n clustered points; returns seconds spent building it."""
    import embedviz.figures.scatter as scatter
    from bench._texts import make_texts
    from embedviz.export import standalone_html

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=8, size=(12, 2))
    labels = rng.integers(0, 12, size=n)
    coords = (centres[labels] + rng.normal(size=(n, 2))).astype(np.float32)
    texts = make_texts(n)
    start = time.perf_counter()
    saved = scatter.LEAN_MAP_ABOVE
    scatter.LEAN_MAP_ABOVE = saved if lean else n + 1
    try:
        fig = scatter.projection_scatter(
            coords, texts, labels=[f"cluster {c}" for c in labels], label_name="cluster"
        )
        scripts = [scatter.lean_hover_script(texts)] if lean else []
        path.write_text(
            standalone_html([fig], title=f"{n:,} points", post_scripts=scripts), encoding="utf-8"
        )
    finally:
        scatter.LEAN_MAP_ABOVE = saved
    return time.perf_counter() - start


def open_map(browser, path: Path, lean: bool) -> dict:
    context = browser.new_context(viewport={"width": 1300, "height": 900}, offline=True)
    page = context.new_page()
    start = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=300_000)
    loaded = time.perf_counter()
    page.wait_for_function(
        "() => { const gd = document.querySelector('.js-plotly-plot');"
        " return gd && gd._fullLayout && gd.querySelector('canvas'); }",
        timeout=300_000,
        polling=50,
    )
    drawn = time.perf_counter()
    x, y = page.evaluate(POINT_ON_SCREEN, 12345)
    hover_start = time.perf_counter()
    page.mouse.move(x, y)
    if lean:
        box = page.locator(".embedviz-hover-text")
        page.wait_for_function(
            "() => { const b = document.querySelector('.embedviz-hover-text');"
            " return b && b.style.display === 'block' && b.textContent.length > 0; }",
            timeout=60_000,
        )
        text = box.text_content()
    else:
        page.locator(".hoverlayer .hovertext").first.wait_for(timeout=60_000)
        text = page.locator(".hoverlayer .hovertext").first.text_content()
    hovered = time.perf_counter() - hover_start
    relayouts = page.evaluate(
        """async () => {
          const gd = document.querySelector('.js-plotly-plot'), out = [];
          const [x0, x1] = gd._fullLayout.xaxis.range, [y0, y1] = gd._fullLayout.yaxis.range;
          const w = x1 - x0, h = y1 - y0;
          const steps = [[x0 + w / 4, x1 - w / 4, y0 + h / 4, y1 - h / 4],
                         [x0 + w / 3, x1 - w / 6, y0 + h / 4, y1 - h / 4],
                         [x0, x1, y0, y1]];
          for (const [a, b, c, d] of steps) {
            const t = performance.now();
            await Plotly.relayout(gd, {'xaxis.range': [a, b], 'yaxis.range': [c, d]});
            out.push((performance.now() - t) / 1000);
          }
          return out;
        }"""
    )
    context.close()
    return {
        "load": loaded - start,
        "draw": drawn - loaded,
        "hover": hovered,
        "hover_text": (text or "")[:40],
        "zoom_pan": max(relayouts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    work = Path(tempfile.mkdtemp(prefix="embedviz-million-"))
    rows = []
    with sync_playwright() as p:
        for lean in (False, True):
            path = work / ("lean.html" if lean else "text_per_point.html")
            built = make_map(args.n, lean, path)
            # A browser of its own for each page: after the 174 MB page a second one in the
            # same browser drew 4x slower than alone.
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            got = open_map(browser, path, lean)
            browser.close()
            name = "lean (embedviz now)" if lean else "text per point (before)"
            rows.append(
                [name, path.stat().st_size / 2**20, built, got["load"] + got["draw"],
                 got["hover"], got["zoom_pan"], got["hover_text"]]
            )  # fmt: skip
            print(rows[-1], flush=True)
    print(f"\n{args.n:,} points in chromium (headless, no GPU: software WebGL)\n")
    print_table(
        ["map", "HTML MB", "build s", "open to first draw s", "hover s", "zoom/pan s",
         "hover shows"],
        rows,
    )  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
