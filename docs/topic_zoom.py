"""Take the topic tree's names on a real corpus at two zooms, as a person sees them in
Debian's chromium: docs/topics_out.png and docs/topics_in.png from the exported HTML
(opened offline), docs/topics_app_out.png and docs/topics_app_in.png from the app (a real
`streamlit run` on 127.0.0.1, "Names follow the zoom" on, zoomed by the map's own + button).
Zoomed out the coarse topics are named; zoomed in, the clusters' and the finer topics'.

    python docs/topic_zoom.py [--n 3000]

The texts are HSK learner sentences (the PyPI package hsk-sentences-audio, 19 topics; see
bench/_corpora.py), mapped with UMAP and clustered by the defaults. About 3 minutes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._corpora import CORPORA  # noqa: E402
from bench._report import scratch  # noqa: E402
from tests.test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    start_streamlit,
    wait_for_port,
)
from tests.test_topics import ZOOM_NAMES, zoom_to  # noqa: E402

DOCS = ROOT / "docs"


def main() -> None:
    import embedviz

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    corpus = CORPORA["hsk"]().subset(args.n)
    a = embedviz.analyze(corpus.texts, labels=corpus.labels, method="umap")
    print("\n".join(a.tree.lines()) if a.tree else "no topic tree")
    page_file = a.to_html(scratch("embedviz-docs-") / "topics.html", "cluster")
    layers = a.figure("cluster").layout.meta["embedviz_zoom_labels"]["layers"]
    # Zoom in on the middle level's name nearest the map's centre of mass.
    middle = layers[min(1, len(layers) - 1)]
    centre = a.coords[:, :2].mean(axis=0)
    target = min(
        middle["annotations"], key=lambda n: (n["x"] - centre[0]) ** 2 + (n["y"] - centre[1]) ** 2
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1300}, offline=True)
        page = context.new_page()
        page.goto(page_file.as_uri())
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        page.wait_for_function(f"() => ({ZOOM_NAMES})().length > 0", timeout=30_000)
        time.sleep(1)
        plot = page.locator(".js-plotly-plot").first
        plot.screenshot(path=str(DOCS / "topics_out.png"))
        print("zoomed out:", page.evaluate(ZOOM_NAMES))
        page.evaluate(zoom_to(target["x"], target["y"], middle["zoom"] * 1.2))
        page.wait_for_function(
            f"() => ({ZOOM_NAMES})().includes({json.dumps(target['text'])})", timeout=30_000
        )
        time.sleep(1)
        plot.screenshot(path=str(DOCS / "topics_in.png"))
        print("zoomed in:", page.evaluate(ZOOM_NAMES))
        print("wrote", DOCS / "topics_out.png", DOCS / "topics_in.png")
        app(browser, corpus)
        browser.close()


def app(browser, corpus) -> None:
    """The same texts uploaded to the app, names following the zoom, zoomed in twice."""
    import csv

    tmp = scratch("embedviz-docs-")
    upload = tmp / "hsk.csv"
    with open(upload, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([("text", "topic"), *zip(corpus.texts, corpus.labels, strict=True)])
    port = free_port()
    with open(tmp / "server.log", "wb") as log:
        server = start_streamlit(port, log)
        try:
            if not wait_for_port(port):
                raise SystemExit("streamlit did not start: " + (tmp / "server.log").read_text())
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_text("Upload a file").click()
            page.get_by_text("Choose a file to see its texts.").wait_for(timeout=60_000)
            page.locator("input[type=file][accept*='.csv']").set_input_files(str(upload))
            page.get_by_text(re.compile(rf"^Read {len(corpus):,} rows")).wait_for(timeout=300_000)
            page.get_by_text("Names follow the zoom").click()
            frame = page.frame_locator("iframe[title*='lean_map']").first
            frame.locator(".js-plotly-plot").wait_for(timeout=120_000)
            time.sleep(3)
            holder = page.locator("iframe[title*='lean_map']").first
            holder.screenshot(path=str(DOCS / "topics_app_out.png"))
            for _ in range(2):
                frame.locator(".modebar-btn[data-title='Zoom in']").click()
                time.sleep(1.5)
            holder.screenshot(path=str(DOCS / "topics_app_in.png"))
            print("wrote", DOCS / "topics_app_out.png", DOCS / "topics_app_in.png")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
