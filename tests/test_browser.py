"""A person's path through the app, in a real browser.

Debian's chromium (apt-get install chromium) driven by Playwright against a live
`streamlit run` server: paste sentences, see both plots, download the HTML and open it with
the network off. Screenshots land in artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags chromium keeps dialling out, which a closed
# network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASTED = [
    "如何更换花呗绑定银行卡",
    "花呗更改绑定银行卡",
    "如何办理银行卡",
    "哈里路大旋风",
    "信用卡怎么还款",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(port: int, log=subprocess.DEVNULL, **env: str) -> subprocess.Popen:
    """`streamlit run` the app on 127.0.0.1:port, as a user would, with no hub access.

    ``log``: a file for the server's output (a pipe nobody reads would stall the server);
    ``env``: the operator's settings.
    """
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
        ],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for_port(port: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with open(log_path, "wb") as log:
        proc = start_streamlit(port, log)
        if not wait_for_port(port):
            proc.kill()
            pytest.fail("streamlit did not start: " + log_path.read_text(errors="replace"))
        yield f"http://127.0.0.1:{port}"
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: apt-get install -y chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def test_paste_see_both_plots_download_and_open_offline(server, browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1500, "height": 1300}, accept_downloads=True)
    page = context.new_page()
    page.goto(server)
    area = page.get_by_label("One text per line")
    area.wait_for(timeout=60_000)
    area.fill("\n".join(PASTED))
    area.press("Control+Enter")
    page.get_by_text(f"Read {len(PASTED)} rows; kept {len(PASTED)} texts.").wait_for(timeout=90_000)
    plots = page.locator(".js-plotly-plot")
    plots.nth(1).wait_for(timeout=60_000)
    assert plots.count() == 2
    # The heatmap's ticks and the scatter's point labels show the pasted Chinese.
    page.locator(".js-plotly-plot .xtick text").first.wait_for()
    ticks = page.locator(".js-plotly-plot .xtick text").all_text_contents()
    assert any("哈里路大旋风" in t for t in ticks)
    assert page.get_by_text("Most similar pairs").is_visible()

    # Hover a point: the whole sentence shows.
    point = page.locator(".js-plotly-plot").first.locator(".scatterlayer .point").first
    point.hover(force=True)
    page.locator(".hoverlayer .hovertext").first.wait_for(timeout=10_000)
    hover = page.locator(".hoverlayer .hovertext").first.text_content()
    assert any(s in hover.replace("\n", "") for s in PASTED)
    page.screenshot(path=str(ARTIFACTS / "app_four_sentences.png"), full_page=True)
    # plotly.js offers "Share chart...", which uploads the figure, every text in it, to
    # Plotly Cloud: no figure of ours shows it.
    assert page.locator(".modebar-btn").count() > 0
    assert page.locator(SHARE_BUTTON).count() == 0

    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="This view as HTML (works offline)").click()
    saved = tmp_path / "figures.html"
    info.value.save_as(saved)
    assert saved.stat().st_size > 3_000_000

    offline = browser.new_context(viewport={"width": 1200, "height": 1300}, offline=True)
    requests = []
    view = offline.new_page()
    view.on("request", lambda r: requests.append(r.url))
    view.goto(saved.as_uri())
    view.locator(".js-plotly-plot").nth(1).wait_for(timeout=30_000)
    assert view.evaluate("typeof Plotly") == "object"
    assert view.locator(".js-plotly-plot").count() == 2
    exported_ticks = view.locator(".xtick text").all_text_contents()
    assert any("花呗更改绑定" in t for t in exported_ticks)
    assert [u for u in requests if not u.startswith("file:")] == []
    view.locator(".js-plotly-plot").first.hover()
    assert view.locator(".modebar-btn").count() > 0 and view.locator(SHARE_BUTTON).count() == 0
    view.screenshot(path=str(ARTIFACTS / "exported_html.png"), full_page=True)
    offline.close()
    context.close()


def test_upload_gbk_semicolon_csv_and_colour_by_label(server, browser, tmp_path):
    rows = [
        ("如何更换花呗绑定银行卡", "支付"),
        ("花呗更改绑定银行卡", "支付"),
        ("明天北京会下雨吗", "天气"),
        ("今天上海气温多少度", "天气"),
        ("", "空"),
    ]
    upload = tmp_path / "问题.csv"
    upload.write_bytes(("问题;类别\n" + "\n".join(f"{t};{c}" for t, c in rows)).encode("gbk"))
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    page.goto(server)
    page.get_by_text("Upload a file").click()
    # Wait for the upload box: until the rerun ends, the paste view's .npy box is there too.
    page.get_by_text("Choose a file to see its texts.").wait_for(timeout=30_000)
    page.locator("input[type=file][accept*='.csv']").set_input_files(str(upload))
    page.get_by_text("Read 5 rows; kept 4 texts; skipped 1 (1 empty cell; rows 5).").wait_for(
        timeout=60_000
    )
    assert page.get_by_text("Read 问题.csv as GB18030 (GBK).").is_visible()
    assert page.get_by_text("Columns are separated by ';'.").is_visible()
    page.get_by_label("Colour by (optional label column)").click()
    page.get_by_role("option", name="类别").click()
    # The map is redrawn coloured by the label column (it was coloured by cluster); while the
    # page reruns, Streamlit may still show the stale map beside the new one.
    legend = page.locator(".js-plotly-plot .legend .traces text")
    deadline = time.monotonic() + 60
    while set(legend.all_text_contents()) != {"支付", "天气"} and time.monotonic() < deadline:
        time.sleep(0.25)
    assert set(legend.all_text_contents()) == {"支付", "天气"}
    page.screenshot(path=str(ARTIFACTS / "app_upload_gbk.png"), full_page=True)
    page.close()


def test_box_select_on_the_map_lists_the_texts_and_narrows_the_heatmap(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(server)
    page.get_by_text("Sample dataset").click()
    page.get_by_text("Read 48 rows; kept 48 texts.").wait_for(timeout=90_000)  # mixed_topics
    scatter = page.locator(".js-plotly-plot").first
    scatter.locator(".scatterlayer .point").first.wait_for(timeout=60_000)
    # Drag a box over the left half of the plotting area, as a person does.
    area = scatter.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 5, area["y"] + 5)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.5, area["y"] + area["height"] - 5, steps=12)
    page.mouse.up()
    heading = page.get_by_text(re.compile(r"^\d+ selected texts$"))
    heading.wait_for(timeout=60_000)
    selected = int(heading.text_content().split()[0])
    assert 0 < selected < 48
    page.get_by_text(f"The heatmap shows the {selected} selected texts.").wait_for(timeout=30_000)
    title = page.locator(".js-plotly-plot").nth(1).locator(".gtitle").text_content()
    assert title.startswith(f"Cosine similarity of {selected} selected texts")
    page.screenshot(path=str(ARTIFACTS / "app_box_selection.png"), full_page=True)
    page.close()


def use_chat_server(page, chat) -> None:
    """Pick the OpenAI-compatible backend in the sidebar, point it at ``chat`` as a person
    types it, and open the LLM tab."""
    page.get_by_role("combobox", name="Explain clusters and write code with").click()
    page.get_by_role("option", name="OpenAI-compatible server").click()
    url = page.get_by_label("Base URL")
    url.fill(chat.url)
    url.press("Enter")
    model = page.get_by_label("Model name")
    model.fill(chat.model)
    model.press("Enter")
    page.get_by_role("tab", name="Ask the LLM").click()


def test_llm_panel_explains_clusters_and_relabels_the_map(server, browser):
    import json

    from .chat_server import ChatServer

    chat = ChatServer()
    labels = [
        {
            "label": "花呗与银行卡",
            "difference": "都在问银行卡：「如何办理银行卡」",
            "evidence": ["T1"],
        },
        {"label": "无关的名字", "difference": "「哈里路大旋风」与支付无关", "evidence": ["T1"]},
    ]
    for answer in labels:  # one question per cluster
        chat.answer(json.dumps(answer, ensure_ascii=False))
    page = browser.new_page(viewport={"width": 1500, "height": 1300})
    try:
        page.goto(server)
        page.get_by_text("Read 4 rows; kept 4 texts.").wait_for(timeout=90_000)
        use_chat_server(page, chat)
        page.get_by_role("button", name="Explain the 2 clusters").click()
        legend = page.locator(".js-plotly-plot .legend .traces text", has_text="花呗与银行卡")
        legend.wait_for(timeout=60_000)
        page.get_by_role("tab", name="Ask the LLM").click()
        assert page.get_by_text("「哈里路大旋风」与支付无关").is_visible()
        assert chat.requests and chat.requests[-1][0] == "/v1/chat/completions"
        page.screenshot(path=str(ARTIFACTS / "app_llm_labels.png"), full_page=True)
    finally:
        page.close()
        chat.close()


class LeakCatcher:
    """A real HTTP server on 127.0.0.1 that counts every request: a remote image or link in
    a hostile string would reach it when the browser renders the string as markup."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.paths: list[str] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                catcher.paths.append(self.path)
                self.send_response(404)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_hostile_strings_show_as_text_and_nothing_is_fetched(server, browser, tmp_path):
    import json

    from .chat_server import ChatServer

    leak, chat = LeakCatcher(), ChatServer()
    img = f'<img src="{leak.url}/html.png">'
    rows = [
        (f"![t]({leak.url}/text.png) 如何更换花呗绑定银行卡", f"[点我]({leak.url}/label)"),
        ("花呗更改绑定银行卡", "支付"),
        (f"{img}明天北京会下雨吗", "<b>天气</b>"),
        ("今天上海气温多少度", "天气"),
    ]
    upload = tmp_path / "hostile.csv"
    column = f"![c]({leak.url}/column.png)类别"
    import pandas as pd

    pd.DataFrame(rows, columns=["text", column]).to_csv(upload, index=False)
    answers = [
        {  # enough words of its own that it is not asked again (explain.own_words_problem)
            "label": f"![l]({leak.url}/llm.png)",
            "difference": f"{img} 解释：这一组讲的是怎样换绑付款的卡",
            "evidence": ["T1"],
        },
        {
            "label": "<script>alert(1)</script>",
            "difference": f"[x]({leak.url}/e)",
            "evidence": ["T1"],
        },
    ]
    for answer in answers:  # one question per cluster; T1 quotes a hostile text back
        chat.answer(json.dumps(answer, ensure_ascii=False))
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    try:
        page.goto(server)
        page.get_by_text("Upload a file").click()
        page.get_by_text("Choose a file to see its texts.").wait_for(timeout=30_000)
        page.locator("input[type=file][accept*='.csv']").set_input_files(str(upload))
        # The pasted seed also has 4 rows: wait for the file's own line.
        page.get_by_text("Read hostile.csv as UTF-8.").wait_for(timeout=90_000)
        page.get_by_label("Colour by (optional label column)").click()
        page.get_by_role("option", name=column).click()
        page.locator(".js-plotly-plot").nth(1).wait_for(timeout=60_000)
        use_chat_server(page, chat)
        page.get_by_role("button", name=re.compile(r"^Explain the \d+ clusters$")).click()
        page.get_by_text("解释").first.wait_for(timeout=60_000)
        page.get_by_text("Compare two texts").click()
        page.wait_for_timeout(3000)
        # Shown as written: the heatmap's ticks and the legend carry the literal strings.
        ticks = " ".join(page.locator(".js-plotly-plot .ytick text").all_text_contents())
        assert "![t](" in ticks and "<img" in ticks
        legend = " ".join(page.locator(".js-plotly-plot .legend text").all_text_contents())
        assert "<b>天气</b>" in legend or "[点我](" in legend, legend
        assert page.get_by_text(f"{img} 解释").count() >= 1  # the explanation, as text
        # Nothing rendered as markup: no image or link to the catcher, no request reached it.
        port = leak.url.rsplit(":", 1)[1]
        assert page.locator(f"img[src*='{port}']").count() == 0
        # Not even a link to a bare address (the typed LLM URL included).
        assert page.locator("a[href*='127.0.0.1']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "app_hostile_strings.png"), full_page=True)
        assert leak.paths == []
    finally:
        page.close()
        chat.close()
        leak.close()


# Bounding boxes of the text written on the first map of the page (point and cluster labels).
MAP_LABEL_BOXES = """() => {
  const map = document.querySelectorAll('.js-plotly-plot')[0];
  return [...map.querySelectorAll('.textpoint text, .annotation-text')]
    .filter(e => e.textContent.trim())
    .map(e => { const r = e.getBoundingClientRect();
                return [e.textContent, r.left, r.top, r.right, r.bottom]; });
}"""


def overlaps(boxes) -> list:
    return [
        (a[0], b[0])
        for k, a in enumerate(boxes)
        for b in boxes[k + 1 :]
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


#: plotly.js's modebar button that uploads the figure to Plotly Cloud.
SHARE_BUTTON = ".modebar-btn[data-title^='Share chart']"


def pick(page, label: str, option) -> None:
    """Choose an option of a select or multiselect box, as a person does: open it, click."""
    box = page.get_by_label(label)
    box.wait_for(timeout=30_000)
    for _ in range(5):  # a rerun can redraw the list as it opens
        box.click()
        choice = page.get_by_role("option", name=option, exact=isinstance(option, str))
        try:
            choice.first.click(timeout=5_000)
        except Exception:  # noqa: BLE001 - Playwright's timeout: open it again
            page.keyboard.press("Escape")
            time.sleep(0.5)
            continue
        page.keyboard.press("Escape")
        return
    raise AssertionError(f"no option {option!r} in {label!r}")


def wait_until(check, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    return check()


def test_thirty_mixed_texts_labels_filter_and_views_in_step(server, browser, tmp_path):
    """The map-page issue's checks: no two labels overlap, a filter narrows map and heatmap
    together, every compare-projection score shows whole, compare boxes follow new texts."""
    import csv

    ARTIFACTS.mkdir(exist_ok=True)
    with open(ROOT / "data" / "mixed_topics.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:30]
    upload = tmp_path / "thirty.csv"
    with open(upload, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "topic"])
        writer.writerows([r["text"], r["topic"]] for r in rows)
    page = browser.new_page(viewport={"width": 1500, "height": 2400})
    page.goto(server)
    page.get_by_text("Upload a file").click()
    page.get_by_text("Choose a file to see its texts.").wait_for(timeout=30_000)
    page.locator("input[type=file][accept*='.csv']").set_input_files(str(upload))
    page.get_by_text("Read 30 rows; kept 30 texts.").wait_for(timeout=90_000)
    page.locator(".js-plotly-plot").nth(1).wait_for(timeout=60_000)

    # Cluster names, then every point's text: never one label over another.
    names = wait_until(lambda: page.evaluate(MAP_LABEL_BOXES))
    assert names and overlaps(names) == []
    page.get_by_text("Write each text beside its point").click()
    written = wait_until(
        lambda: len(page.evaluate(MAP_LABEL_BOXES)) > len(names) and page.evaluate(MAP_LABEL_BOXES)
    )
    assert len(written) >= 12 and overlaps(written) == []
    page.screenshot(path=str(ARTIFACTS / "app_thirty_labels.png"), full_page=True)

    # A filter by the topic column narrows the map and the heatmap together.
    payments = sum(r["topic"] == "payments" for r in rows)
    page.get_by_text("Filter by a column").click()
    pick(page, "Columns to filter by", "topic")
    pick(page, "topic: keep texts whose value is one of", re.compile(r"^payments \("))
    page.get_by_text(f"Showing the {payments} of 30 texts that pass the filter").wait_for(
        timeout=60_000
    )

    def shown() -> tuple[int, int] | None:  # None while the rerun has not drawn both yet
        return page.evaluate(
            """() => { const p = document.querySelectorAll('.js-plotly-plot');
                if (p.length < 2 || !p[0]._fullData || !p[1]._fullData) return null;
                const map = p[0]._fullData.filter(t => t.name !== 'query')
                    .reduce((n, t) => n + t.x.length, 0);
                return [map, p[1]._fullData[0].z.length]; }"""
        )

    assert wait_until(lambda: shown() == [payments, payments]), shown()
    page.screenshot(path=str(ARTIFACTS / "app_thirty_filter.png"), full_page=True)
    # Compare projections (of the filtered texts): every title's scores whole, in its figure.
    page.get_by_role("tab", name="Compare projections").click()
    page.get_by_text("Draw every projection side by side with its scores").click()
    titles = wait_until(
        lambda: (
            (
                t := page.evaluate(
                    """() => [...document.querySelectorAll('.js-plotly-plot')].slice(2).map(p => {
                const t = p.querySelector('.gtitle'); const r = t.getBoundingClientRect();
                const f = p.getBoundingClientRect();
                return [t.textContent, r.left >= f.left && r.right <= f.right]; })"""
                )
            )
            and len(t) == 4
            and t
        ),
        timeout=180,
    )
    assert len(titles) == 4
    for text, inside in titles:
        assert re.search(r"kNN recall \d\.\d\d \(k = \d+\)", text) and inside, text
    page.screenshot(path=str(ARTIFACTS / "app_compare_projections.png"), full_page=True)

    # New texts: the compare boxes show texts of the new input, not the old.
    page.get_by_text("Paste", exact=True).click()
    area = page.get_by_label("One text per line")
    area.wait_for(timeout=30_000)
    area.fill("\n".join(PASTED))
    area.press("Control+Enter")
    page.get_by_text(f"Read {len(PASTED)} rows; kept {len(PASTED)} texts.").wait_for(timeout=90_000)
    # While the page reruns, the old expander may still stand beside the new one.
    expander = page.get_by_text("Compare two texts")
    wait_until(lambda: expander.count() == 1)
    expander.click()
    # Every Text A / Text B box on the page shows a text of the new input, none of the old.
    boxes = page.get_by_role("combobox", name=re.compile("^Text [AB]$"))

    def picked() -> list[str]:  # read in one go: the stale boxes of a rerun come and go
        return boxes.evaluate_all("els => els.map(e => e.value)")

    # A loaded machine may still show the old boxes for a moment while the page reruns: wait
    # for the new ones (the assertion below says which box kept an old text, if any stays).
    wait_until(lambda: (v := picked()) and all(any(p in x for p in PASTED) for x in v), 30)
    assert picked() and all(any(p in v for p in PASTED) for v in picked()), picked()
    page.close()


def test_two_models_page_links_hover_and_lasso_across_the_maps(browser, tmp_path):
    """The downloaded comparison, opened offline: hovering a text on A's map shows the same
    text on B's; a lasso on A's map selects the same texts on B's."""
    import numpy as np

    import embedviz

    texts = [*PASTED, "今天天气很好", "明天会下雨吗", "北京烤鸭哪家店最正宗"]
    rng = np.random.default_rng(0)
    A = rng.normal(size=(len(texts), 8)).astype(np.float32)
    B = (A + rng.normal(scale=0.8, size=A.shape)).astype(np.float32)
    c = embedviz.compare(texts, a=A, b=B, names=("model A", "model B"), method="pca")
    page_file = c.to_html(tmp_path / "two.html")

    context = browser.new_context(viewport={"width": 1300, "height": 900}, offline=True)
    page = context.new_page()
    page.goto(page_file.as_uri())
    maps = page.locator(".js-plotly-plot").first
    points = maps.locator(".scatterlayer .trace").first.locator("path.point")
    points.first.wait_for(timeout=30_000)
    box = points.nth(2).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert wait_until(lambda: page.locator(".hoverlayer .hovertext").count() == 2, timeout=10)
    hovers = page.locator(".hoverlayer .hovertext").all_text_contents()
    assert all(texts[2] in h for h in hovers), hovers
    assert any("A: model A" in h for h in hovers) and any("B: model B" in h for h in hovers)

    # A lasso around the whole of A's map: every text selected on B's map too.
    area = maps.locator(".nsewdrag").first.bounding_box()
    x0, y0 = area["x"] + 2, area["y"] + 2
    x1, y1 = area["x"] + area["width"] - 2, area["y"] + area["height"] - 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0 + 1)):
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    assert wait_until(
        lambda: (
            page.evaluate(
                "() => { const gd = document.querySelector('.js-plotly-plot');"
                " return gd.data.map(t => (t.selectedpoints || []).length); }"
            )
            == [len(texts), len(texts)]
        ),
        timeout=10,
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "two_models_page.png"), full_page=True)
    context.close()


#: In the lean map's page: zoom in on the point of row 30 (position 29) until its nearest
#: neighbour is a quarter of the plot away; answers the ranges it had.
ZOOM_ON_ROW_30 = """gd => {
    const xy = [];
    gd.calcdata.forEach(cd => cd.forEach(p => xy.push([p.x, p.y])));
    let at = null;
    gd._fullData.forEach((trace, curve) => {
        Array.from(trace.customdata || []).forEach((c, i) => {  // c: [cluster, position]
            if (c && Number(c[1]) === 29) at = gd.calcdata[curve][i];
        });
    });
    const gaps = xy.map(([x, y]) => Math.hypot(x - at.x, y - at.y)).filter(d => d > 0);
    const half = Math.max(2 * Math.min(...gaps, 1), 1e-6);
    const old = [gd._fullLayout.xaxis.range.slice(), gd._fullLayout.yaxis.range.slice()];
    return Plotly.relayout(gd, {
        'xaxis.range': [at.x - half, at.x + half],
        'yaxis.range': [at.y - half, at.y + half],
    }).then(() => old);
}"""


def test_lean_map_fetches_the_hovered_text_as_text_and_its_selection_lists_texts(browser, tmp_path):
    """A map above EMBEDVIZ_LEAN_MAP_ABOVE points carries no text per point: the app's map
    fetches the text under the cursor from the server and shows it as text; a box
    selection still lists the texts."""
    hostile = '<img src=x onerror="document.title=1">危险的句子'
    topics = ["花呗绑定银行卡", "明天会下雨吗", "红烧肉很好吃", "python 列表反转"]
    texts = [f"第{i}个句子：{topics[i % 4]}" for i in range(29)] + [hostile]
    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = start_streamlit(port, log, EMBEDVIZ_LEAN_MAP_ABOVE="20")
        try:
            assert wait_for_port(port), log_path.read_text(errors="replace")
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"http://127.0.0.1:{port}")
            area = page.get_by_label("One text per line")
            area.wait_for(timeout=60_000)
            area.fill("\n".join(texts))
            area.press("Control+Enter")
            page.get_by_text("Read 30 rows; kept 30 texts.").wait_for(timeout=90_000)
            page.get_by_text("the text under the cursor is fetched as you hover").wait_for()
            frame = page.frame_locator("iframe[title*='lean_map']")
            points = frame.locator(".scatterlayer .point")
            points.first.wait_for(timeout=60_000)
            assert points.count() == 30
            assert frame.locator(".modebar-btn").count() > 0
            assert frame.locator(SHARE_BUTTON).count() == 0  # no upload to Plotly Cloud
            box, label = frame.locator("#hover-text"), frame.locator(".hoverlayer .hovertext")
            rows = set()
            for i in range(points.count()):
                # plotly's own label names the row under the cursor; the box must show
                # that row's text (points of one topic lie close: the nearest one wins).
                points.nth(i).hover(force=True)
                label.first.wait_for(timeout=10_000)
                deadline = time.monotonic() + 10
                while True:  # both catch up with the cursor on their own time: read both
                    row = int(re.search(r"row (\d+)", label.first.text_content()).group(1))
                    if box.is_visible() and box.text_content() == texts[row - 1]:
                        break
                    assert time.monotonic() < deadline, (row, box.text_content())
                    time.sleep(0.05)
                rows.add(row)
            assert len(rows) >= 15
            # The hostile text's point may lie under a neighbour's (the layout decides): zoom in
            # on it, as a person would, until its nearest neighbour is far off, and hover it.
            map_ = frame.locator("#map")
            ranges = map_.evaluate(ZOOM_ON_ROW_30)
            area_box = frame.locator(".nsewdrag").first.bounding_box()
            page.mouse.move(
                area_box["x"] + area_box["width"] / 2, area_box["y"] + area_box["height"] / 2
            )
            deadline = time.monotonic() + 10
            while not (box.is_visible() and box.text_content() == hostile):  # shown as written
                assert time.monotonic() < deadline, box.text_content()
                time.sleep(0.05)
            assert "row 30" in label.first.text_content()
            page.screenshot(path=str(ARTIFACTS / "app_lean_map_hover.png"), full_page=True)
            map_.evaluate(
                "(gd, r) => Plotly.relayout(gd, {'xaxis.range': r[0], 'yaxis.range': r[1]})", ranges
            )
            assert frame.locator("img").count() == 0
            assert page.title() != "1"
            fetched = [u for u in requests if "/texts/" in u]
            assert fetched and all(u.endswith("/0.json") for u in fetched)
            assert all(u.startswith(f"http://127.0.0.1:{port}/") for u in requests)

            area_box = frame.locator(".nsewdrag").first.bounding_box()
            page.mouse.move(area_box["x"] + 5, area_box["y"] + 5)
            page.mouse.down()
            page.mouse.move(
                area_box["x"] + area_box["width"] - 5,
                area_box["y"] + area_box["height"] - 5,
                steps=12,
            )
            page.mouse.up()
            page.get_by_text("30 selected texts", exact=True).wait_for(timeout=60_000)
            page.get_by_text("The heatmap shows the 30 selected texts.").wait_for(timeout=30_000)
            page.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
