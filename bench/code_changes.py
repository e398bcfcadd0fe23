"""Ten everyday changes to the seed's script, asked of the local LLM: how many does it make,
judged on the figure before and after, and how long does each take?

    python bench/code_changes.py [--llm bundled] [--only 1,5]

The seed's four sentences, PCA 2-D, with its standalone script (Analysis.script()). For each
request embedviz asks the LLM for the lines that make the change, runs the script with them
in the sandbox and compares the figure's JSON with the unchanged one (codegen.revise_script).
A request counts as fulfilled when the figure after it has the property asked for (each
request's check is below); "done" is embedviz's own verdict (it ran and the figure changed).
Seconds include the sandboxed run of the changed script (about 5 s here).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import print_table  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff]")


def _get(paths: dict, *keys):
    for key in keys:
        if key in paths:
            return paths[key]
    return None


def _any(paths: dict, pattern: str) -> list:
    return [v for p, v in paths.items() if re.fullmatch(pattern, p)]


def _dark(colour) -> bool:
    """Whether a CSS colour is dark (black, #111, rgb(17,17,17), ...)."""
    import plotly.colors

    text = str(colour or "").strip().lower()
    if not text or text in ("none", "transparent") or text.startswith("rgba(0, 0, 0, 0)"):
        return False
    if text in ("black", "darkslategray", "darkslategrey", "midnightblue", "navy"):
        return True
    try:
        if text.startswith("#"):
            r, g, b = plotly.colors.hex_to_rgb(text if len(text) == 7 else "#" + text[1] * 6)
        else:
            r, g, b = (float(v) for v in re.findall(r"[\d.]+", text)[:3])
    except (ValueError, TypeError):
        return False
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255 < 0.35


def _bigger(after, before, default):
    try:
        return float(after) > float(before if before is not None else default)
    except (TypeError, ValueError):
        return False


# (request, check(before paths, after paths) -> bool)
REQUESTS = [
    (
        "给图加一个中文标题",
        lambda b, a: (
            bool(CJK.search(str(_get(a, "layout.title.text") or "")))
            and _get(a, "layout.title.text") != _get(b, "layout.title.text")
        ),
    ),
    (
        "把散点换成红色",
        lambda b, a: any(
            "red" in str(v).lower() or str(v).lower() in ("#ff0000", "#f00", "rgb(255,0,0)")
            for v in _any(a, r"data\[\d+\]\.marker\.color")
        ),
    ),
    (
        "把散点放大到 15",
        lambda b, a: any(_bigger(v, None, 6) for v in _any(a, r"data\[\d+\]\.marker\.size")),
    ),
    (
        "横轴叫“第一维”，纵轴叫“第二维”",
        lambda b, a: (
            "第一维" in str(_get(a, "layout.xaxis.title.text"))
            and "第二维" in str(_get(a, "layout.yaxis.title.text"))
        ),
    ),
    (
        "整张图的字号改成 16",
        lambda b, a: _get(a, "layout.font.size") == 16,
    ),
    (
        "隐藏图例",
        lambda b, a: _get(a, "layout.showlegend") is False,
    ),
    (
        "左边散点图的纵轴用对数刻度",
        lambda b, a: _get(a, "layout.yaxis.type") == "log",
    ),
    (
        "热力图的坐标标签字体大一些",
        lambda b, a: (
            _bigger(_get(a, "layout.xaxis2.tickfont.size"), 10, 10)
            or _bigger(_get(a, "layout.yaxis2.tickfont.size"), 10, 10)
        ),
    ),
    (
        "加一个副标题：数据来自花呗问答",
        # A subtitle: plotly's own, a second line under the title, or a note on the figure.
        lambda b, a: (
            "数据来自花呗问答" in str(_get(a, "layout.title.subtitle.text"))
            or bool(re.search(r".+<br>.*数据来自花呗问答", str(_get(a, "layout.title.text"))))
            or any("数据来自花呗问答" in str(v) for v in _any(a, r"layout\.annotations.*"))
        ),
    ),
    (
        "换成深色主题",
        lambda b, a: _dark(
            _get(a, "layout.paper_bgcolor")
            or (_get(a, "layout.template") or {}).get("layout", {}).get("paper_bgcolor")
        ),
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llm", default="bundled")
    parser.add_argument("--only", help="request numbers, e.g. 1,5")
    args = parser.parse_args()
    import embedviz
    from embedviz.codegen import figure_paths, revise_script, run_script
    from embedviz.llm import load_llm

    seed = (ROOT / "data" / "seed_huabei.txt").read_text(encoding="utf-8").split()
    analysis = embedviz.analyze(seed, method="pca")
    script = analysis.script()
    before = run_script(script)
    assert before.ok, before.output
    llm = load_llm(args.llm)
    chosen = {int(k) for k in args.only.split(",")} if args.only else None
    rows = []
    for k, (request, check) in enumerate(REQUESTS, start=1):
        if chosen and k not in chosen:
            continue
        t = time.perf_counter()
        revision = revise_script(llm, script, request, before=before)
        seconds = time.perf_counter() - t
        after = figure_paths(revision.result.figure_json) if revision.result.ok else {}
        fulfilled = bool(after) and check(figure_paths(before.figure_json), after)
        rows.append(
            [
                f"{k}. {request}",
                "yes" if fulfilled else "no",
                "yes" if revision.done else "no",
                revision.attempts,
                "; ".join(revision.changes[:2]) or revision.result.output[-60:].replace("\n", " "),
                seconds,
            ]
        )
        print(rows[-1], "\n   lines:", revision.lines.strip().replace("\n", " | "), flush=True)
    print()
    print_table(["request", "fulfilled", "done", "answers", "what changed", "seconds"], rows)
    met = sum(r[1] == "yes" for r in rows)
    print(f"\nfulfilled {met} of {len(rows)}; LLM: {llm.name}")


if __name__ == "__main__":
    main()
