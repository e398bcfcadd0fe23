"""Take the screenshots in docs/ the way a person sees the app: a real `streamlit run` on
127.0.0.1 and Debian's chromium.

    python docs/screenshots.py

seed.png (the seed's four sentences), thirty.png (30 mixed texts, cluster names),
thirty_labels.png (every text written beside its point), filter.png (a topic filter),
selection.png (a box selection), three_d.png (3-D), models.png (the sample under USE and
MiniLM, "Compare models"), many.png (1,500 texts) and exported.png (the downloaded HTML,
opened offline). About 4 minutes.
"""

from __future__ import annotations

import csv
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import scratch  # noqa: E402
from bench._texts import make_texts  # noqa: E402
from tests.test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    PASTED,
    free_port,
    pick,
    start_streamlit,
    wait_for_port,
    wait_until,
)

DOCS = ROOT / "docs"
VIEW = {"width": 1400, "height": 1900}


def shoot(page, name: str) -> None:
    time.sleep(1.5)  # plotly's transitions
    page.screenshot(path=str(DOCS / name), full_page=True)
    print("wrote", DOCS / name, flush=True)


def wait_for_plots(page, count: int = 2) -> None:
    page.locator(".js-plotly-plot").nth(count - 1).wait_for(timeout=120_000)


def upload(page, path: Path, rows: int) -> None:
    page.get_by_text("Upload a file").click()
    page.get_by_text("Choose a file to see its texts.").wait_for(timeout=30_000)
    page.locator("input[type=file][accept*='.csv']").set_input_files(str(path))
    page.get_by_text(re.compile(rf"^Read {rows} rows")).wait_for(timeout=180_000)
    wait_for_plots(page)


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = scratch("embedviz-docs-")
    with open(ROOT / "data" / "mixed_topics.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:30]
    thirty = tmp / "thirty.csv"
    with open(thirty, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([("text", "topic"), *[(r["text"], r["topic"]) for r in rows]])
    many = tmp / "many.csv"
    with open(many, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([("text",), *[(t,) for t in make_texts(1500)]])

    port = free_port()
    with open(tmp / "server.log", "wb") as log:
        server = start_streamlit(port, log)
        try:
            if not wait_for_port(port):
                raise SystemExit("streamlit did not start: " + (tmp / "server.log").read_text())
            url = f"http://127.0.0.1:{port}"
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                context = browser.new_context(viewport=VIEW, accept_downloads=True)

                page = context.new_page()
                page.goto(url)
                area = page.get_by_label("One text per line")
                area.wait_for(timeout=60_000)
                area.fill("\n".join(PASTED[:4]))
                area.press("Control+Enter")
                page.get_by_text("Read 4 rows; kept 4 texts.").wait_for(timeout=90_000)
                wait_for_plots(page)
                shoot(page, "seed.png")
                page.close()

                page = context.new_page()
                page.goto(url)
                upload(page, thirty, 30)
                shoot(page, "thirty.png")
                with page.expect_download(timeout=60_000) as info:
                    page.get_by_role("button", name="This view as HTML (works offline)").click()
                exported = tmp / "view.html"
                info.value.save_as(exported)
                page.get_by_text("Write each text beside its point").click()
                wait_until(lambda: page.locator(".textpoint text").count() > 5)
                shoot(page, "thirty_labels.png")
                page.get_by_text("Filter by a column").click()
                pick(page, "Columns to filter by", "topic")
                pick(page, "topic: keep texts whose value is one of", re.compile(r"^payments \("))
                page.get_by_text("that pass the filter").wait_for(timeout=60_000)
                shoot(page, "filter.png")
                page.close()

                page = context.new_page()
                page.goto(url)
                page.get_by_text("Sample dataset").click()
                page.get_by_text("Read 48 rows; kept 48 texts.").wait_for(timeout=90_000)
                scatter = page.locator(".js-plotly-plot").first
                scatter.locator(".scatterlayer .point").first.wait_for(timeout=60_000)
                box = scatter.locator(".nsewdrag").first.bounding_box()
                page.mouse.move(box["x"] + 5, box["y"] + 5)
                page.mouse.down()
                page.mouse.move(
                    box["x"] + box["width"] * 0.45, box["y"] + box["height"] - 5, steps=12
                )
                page.mouse.up()
                page.get_by_text(re.compile(r"^\d+ selected texts$")).wait_for(timeout=60_000)
                shoot(page, "selection.png")
                page.get_by_text("3-D", exact=True).click()
                page.get_by_text(re.compile(r"3-D map of 48 texts")).first.wait_for(timeout=90_000)
                time.sleep(3)  # WebGL draws after the title
                shoot(page, "three_d.png")
                page.close()

                page = context.new_page()
                page.goto(url)
                page.get_by_text("Sample dataset").click()
                page.get_by_text("Read 48 rows; kept 48 texts.").wait_for(timeout=90_000)
                pick(page, "Colour by (optional label column)", "topic")
                wait_for_plots(page)
                page.get_by_role("tab", name="Compare models").click()
                page.get_by_role("button", name="Compare A and B").click()
                page.get_by_text("Pairs whose similarity moved most").wait_for(timeout=180_000)
                # The tab's top at the top of the window: its metrics, both maps, the pairs.
                page.get_by_text(re.compile(r"^A is the page's model")).evaluate(
                    "e => e.scrollIntoView({block: 'start'})"
                )
                shoot(page, "models.png")
                page.close()

                page = context.new_page()
                page.goto(url)
                upload(page, many, 1500)
                shoot(page, "many.png")
                page.close()

                offline = browser.new_context(viewport=VIEW, offline=True)
                view = offline.new_page()
                view.goto(exported.as_uri())
                view.locator(".js-plotly-plot").nth(1).wait_for(timeout=60_000)
                shoot(view, "exported.png")
                offline.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
