"""Write the code: a standalone Python script that reproduces the current view, and a safe
way to run a script (ours, or one an LLM changed) before calling it working.

The template is deterministic: the same view gives the same script. It calls the libraries
directly (the encoder's package, scikit-learn / umap, plotly), not embedviz, so a user can
read and change it. Scripts run confined (see :mod:`embedviz.sandbox`): never inside the
app's process, never with its environment, files or network.
"""

from __future__ import annotations

import ast
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.io

from .encoders import OWN_EMBEDDINGS_SCRIPT, script_for
from .export import standalone_html
from .project import projector_class
from .sandbox import (  # noqa: F401 - describe_isolation, isolation: the page reads them here
    FIGURE_JSON,
    Limits,
    describe_isolation,
    isolation,
    run_confined,
    why_it_stopped,
)

OUTPUT_HTML = "embedviz_view.html"

#: Where changes asked for in the app go: after the figure is built, before it is written.
CHANGES_MARK = "# Changes asked for in embedviz go here.\n"

EDIT_PROMPT = """A Python script has built `fig`, a plotly Figure (plotly.graph_objects is imported
as `go`): an embedding map on the left (row 1, col 1) and a cosine-similarity heatmap on the
right (row 1, col 2). What the figure holds now:

{outline}

The user asks for changes to it. For each, answer with just the Python lines to add after
the figure is built, in one ```python code block. Change `fig` only; do not build a new
figure and do not read or write files. The points are traces of type "scatter" and the
heatmap one of type "heatmap": give fig.update_traces a selector, since a property only one
of them has fails on the other. Layout settings people ask for: a subtitle goes in
title_subtitle_text; the legend is hidden by showlegend=False; a dark theme is
template="plotly_dark", a light one template="plotly_white"; axis types are "log" or
"linear".
Text the user asks for (a title, an axis name) is written in the language of the request.
In Chinese requests: 横轴 is the x axis, 纵轴 the y axis, 标题 the title, 副标题 the
subtitle, 图例 the legend, 字号 the font size, 散点 the points, 热力图 the heatmap,
左边/散点图 the map (col 1), 右边 the heatmap (col 2), 深色主题 a dark template."""

#: Worked examples shown before the user's request (a small model follows a shown exchange
#: better than a list of rules; none of them is a request of bench/code_changes.py).
EDIT_EXAMPLES = (
    (
        "make the points smaller",
        'fig.update_traces(marker=dict(size=5), selector=dict(type="scatter"))',
    ),
    (
        "the heatmap in shades of green",
        'fig.update_traces(colorscale="Greens", selector=dict(type="heatmap"))',
    ),
    (
        "call the heatmap's y axis 'texts'",
        'fig.update_yaxes(title_text="texts", row=1, col=2)',
    ),
    (
        "a wider figure, without grid lines",
        "fig.update_layout(width=1400)\nfig.update_xaxes(showgrid=False)\n"
        "fig.update_yaxes(showgrid=False)",
    ),
)
EDIT_REQUEST = "Change fig so that: {request}"

EDIT_FIX_PROMPT = """Adding your lines made the script fail:

```
{error}
```

Write corrected lines (only the lines to add) in one ```python code block."""

UNCHANGED_PROMPT = """Your lines ran but left the figure exactly as it was. Write lines that change
`fig` so that: {request}
Answer with just those lines in one ```python code block."""


@dataclass
class View:
    """What the script must reproduce.

    Attributes:
        texts: the texts, in order.
        model_spec: the embedviz model spec (``use-multilingual``, a folder, ``text2vec:NAME``).
        method: a projection method's registry name (``pca``, ``tsne``, ``umap``, ``pacmap``).
        dims: 2 or 3.
        params: the projection parameters actually used (after clamping), random_state included.
        labels: what the points are coloured by (cluster names or the label column), or None.
        label_name: the legend title.
        encoder_code: the script's ``encode(texts)`` function, from the encoder that made the
            embeddings (:meth:`embedviz.encoders.Encoder.script`); None: from ``model_spec``.
    """

    texts: Sequence[str]
    model_spec: str
    method: str
    dims: int
    params: dict = field(default_factory=dict)
    labels: Sequence[str] | None = None
    label_name: str = "label"
    encoder_code: str | None = None


def encoder_code(spec: str) -> str:
    """``encode(texts)`` for a spec, without loading the model (the script loads it)."""
    return script_for(spec)


def _projection_code(view: View) -> str:
    params = {k: v for k, v in view.params.items() if k != "random_state"}
    seed = view.params.get("random_state", 0)
    return projector_class(view.method).script(len(view.texts), view.dims, params, seed)


def template_script(view: View) -> str:
    """A standalone script that reproduces ``view``; it writes :data:`OUTPUT_HTML`."""
    texts = "".join(f"    {t!r},\n" for t in view.texts)
    labels = (
        "None"
        if view.labels is None
        else "[\n" + "".join(f"    {str(label)!r},\n" for label in view.labels) + "]"
    )
    scatter_cls = "go.Scatter3d" if view.dims == 3 else "go.Scatter"
    z = ", z=coords[idx, 2]" if view.dims == 3 else ""
    first_type = "scene" if view.dims == 3 else "xy"
    method_name = projector_class(view.method).label
    # What came from the user (the model spec, a folder such as D:\\Projects\\..., the
    # texts, the labels) enters the script only as Python literals (repr), never inside the
    # docstring or a comment, where a backslash or quotes could end or break the string.
    return f'''"""Reproduces an embedviz view: {len(view.texts)} texts, the model MODEL below,
{method_name} {view.dims}-D, beside their cosine similarities. Run: python this_file.py
"""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

OUTPUT_HTML = {OUTPUT_HTML!r}
MODEL = {view.model_spec!r}
TEXTS = [
{texts}]
LABELS = {labels}
LABEL_NAME = {view.label_name!r}


{view.encoder_code or encoder_code(view.model_spec)}

X = encode(TEXTS)
# Rows to unit length: every method then sees cosine geometry.
U = X / np.clip(np.linalg.norm(X, axis=1, keepdims=True), 1e-12, None)

{_projection_code(view)}
S = U @ U.T

fig = make_subplots(
    rows=1,
    cols=2,
    specs=[[{{"type": "{first_type}"}}, {{"type": "xy"}}]],
    horizontal_spacing=0.22,  # room for the heatmap's row names between the two
    subplot_titles=(
        "{method_name} {view.dims}-D map of {len(view.texts)} texts",
        "Cosine similarity",
    ),
)
groups = sorted(set(LABELS)) if LABELS is not None else [None]
for group in groups:
    idx = [i for i in range(len(TEXTS)) if LABELS is None or LABELS[i] == group]
    fig.add_trace(
        {scatter_cls}(
            x=coords[idx, 0], y=coords[idx, 1]{z},
            mode="markers",
            name=str(group) if group is not None else "texts",
            text=[TEXTS[i] for i in idx],
            hovertemplate="%{{text}}<extra></extra>",
        ),
        row=1,
        col=1,
    )
short = [f"{{i + 1}}. {{t[:12]}}" for i, t in enumerate(TEXTS)]
fig.add_trace(
    go.Heatmap(z=S, x=short, y=short, zmax=1.0, colorscale="YlGnBu", colorbar=dict(title="cosine")),
    row=1,
    col=2,
)
# Every row named (up to 40 texts: plotly would otherwise drop every other name).
named = dict(tickmode="array", tickvals=short, ticktext=short, tickfont=dict(size=10),
             showticklabels=len(TEXTS) <= 40)
fig.update_xaxes(tickangle=-45, row=1, col=2, **named)
fig.update_yaxes(autorange="reversed", row=1, col=2, **named)
fig.update_layout(
    height=680,
    # Below the plots, clear of the colour bar.
    legend=dict(orientation="h", yanchor="top", y=-0.25, x=0),
    margin=dict(b=140),
    legend_title_text=LABEL_NAME,
    font=dict(family="Noto Sans CJK SC, Microsoft YaHei, WenQuanYi Zen Hei, sans-serif"),
)
# No "Share chart..." button: plotly.js would upload the figure, texts and all, to Plotly Cloud.
{CHANGES_MARK}fig.write_html(OUTPUT_HTML, include_plotlyjs=True, config=dict(showSendToCloud=False,
    plotlyServerURL="", modeBarButtonsToRemove=["sendChartToCloud"], displaylogo=False))
print("wrote", OUTPUT_HTML)
'''


@dataclass
class RunResult:
    """ok: it ran and wrote its HTML. html: the page to download, drawn by embedviz from
    the figure (the script's own HTML is not passed on). output: the last lines it printed
    (stderr included) and why it was stopped, if it was. seconds: how long it ran.
    figure_json: the figure it wrote, as plotly JSON, for the app to draw itself, with every
    address a browser would fetch taken out. removed: what was taken out, one line each.
    isolation: what confined it (see :func:`embedviz.sandbox.isolation`)."""

    ok: bool
    html: str | None
    output: str
    seconds: float
    figure_json: str | None = None
    isolation: str = ""
    removed: list[str] = field(default_factory=list)

    def figure(self):
        """The figure, as plotly reads it back from :attr:`figure_json`."""
        return plotly.io.from_json(self.figure_json)


#: A string a browser could fetch or follow: an address with a scheme other than data:, a
#: protocol-relative address, CSS that loads one, an HTML attribute that names one.
_ADDRESS = re.compile(
    r"(?i)(?<![a-z0-9+.-])(?!data:)[a-z][a-z0-9+.-]*:/{2}|^\s*//\S|url\s*\(|@import|"
    r"\b(?:src|href|xlink:href|srcset|action|formaction|background)\s*="
)
#: Trace types and layout parts that load map tiles or shapes from the network by
#: themselves (plotly fetches topojson from its CDN, tiles from tile servers).
_FETCHING_TRACES = frozenset(
    {"scattergeo", "choropleth", "scattermapbox", "choroplethmapbox", "densitymapbox",
     "scattermap", "choroplethmap", "densitymap"}
)  # fmt: skip
_FETCHING_LAYOUT = ("geo", "mapbox", "map")


def scrub_figure(figure_json: str) -> tuple[str, list[str]]:
    """The figure with everything a browser would fetch or follow taken out, and what was.

    A script an LLM changed runs with no network, but the figure it writes is drawn in the
    user's browser: an image, a link, a font or map tiles that point elsewhere would send
    the request (with dataset text in the address) the moment it is drawn. Kept: data:
    images (they are inside the figure). Taken out: every string holding another address
    (its property removed), images whose source is not data:, and the trace types and
    layout parts that load maps by themselves.
    """
    figure = json.loads(figure_json)
    removed: list[str] = []
    layout = figure.get("layout") or {}
    for key in _FETCHING_LAYOUT:
        if key in layout:
            removed.append(
                f"layout.{key}: removed (a map loads its tiles or shapes from the network)"
            )
            del layout[key]
    kept = []
    for k, trace in enumerate(figure.get("data") or []):
        kind = str(trace.get("type", "scatter")) if isinstance(trace, dict) else ""
        if kind in _FETCHING_TRACES:
            removed.append(f"data[{k}] ({kind}): removed (it loads map data from the network)")
            continue
        kept.append(trace)
    figure["data"] = kept
    images = layout.get("images")
    if isinstance(images, list):
        keep = []
        for k, image in enumerate(images):
            source = str(image.get("source", "")) if isinstance(image, dict) else ""
            if source.strip().lower().startswith("data:"):
                keep.append(image)
            else:
                removed.append(f"layout.images[{k}].source: {_short(source)} removed (fetched)")
        layout["images"] = keep
    _scrub(figure, "", removed)
    return json.dumps(figure), removed


def _scrub(value, path: str, removed: list[str]):
    """Remove, in place, every string under ``value`` that holds an address. plotly's typed
    arrays (``{"dtype", "bdata"}``: numbers in base64, which may start with "//") are data."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            return
        for key in list(value):
            item = value[key]
            where = f"{path}.{key}" if path else key
            if isinstance(item, str) and _ADDRESS.search(item):
                removed.append(f"{where}: {_short(item)} removed (an address)")
                del value[key]
            else:
                _scrub(item, where, removed)
    elif isinstance(value, list):
        for k, item in enumerate(value):
            if isinstance(item, str) and _ADDRESS.search(item):
                removed.append(f"{path}[{k}]: {_short(item)} removed (an address)")
                value[k] = ""
            else:
                _scrub(item, f"{path}[{k}]", removed)


def run_script(
    code: str,
    timeout: float = 180,
    files: dict[str, bytes] | None = None,
    read_only: list[str] | None = None,
    trusted: bool = False,
) -> RunResult:
    """Parse, then run a script confined (:mod:`embedviz.sandbox`: its own empty folder, no
    environment, resource limits, bubblewrap's isolation) and collect the HTML it writes.

    Args:
        files: name -> bytes put beside the script first (``embeddings.npy`` for a view of
            the user's own embeddings).
        read_only: paths the script may read (a local model folder).
        trusted: embedviz wrote it (:func:`template_script`): it may fill the sandbox's
            shared numba cache; any other script gets a copy of its own.
    """

    try:
        ast.parse(code)
    except SyntaxError as err:
        return RunResult(False, None, f"SyntaxError: {err.msg} (line {err.lineno})", 0.0)
    limits = Limits(seconds=timeout)
    try:
        run = run_confined(code, files=files, read_only=read_only, limits=limits, trusted=trusted)
    except PermissionError as err:
        return RunResult(False, None, str(err), 0.0, isolation="refused")
    lines = (run.stdout + run.stderr).strip().splitlines()[-25:]
    stop = why_it_stopped(run, limits)
    if stop:
        lines.append(stop)
    output = "\n".join(lines)
    pages = sorted(name for name in run.files if name.endswith(".html"))
    figure = run.files.get(FIGURE_JSON)
    if run.returncode != 0 or stop or not pages or not figure:
        if run.returncode == 0 and not stop:
            output += f"\nThe script wrote no figure (it should write {OUTPUT_HTML} with plotly)."
        return RunResult(False, None, output, run.seconds, None, run.isolation)
    try:
        figure_json, removed = scrub_figure(figure.decode("utf-8", errors="replace"))
        html = standalone_html([plotly.io.from_json(figure_json)], title="The script's figure")
    except ValueError as err:  # not JSON, or not a figure plotly reads
        output += f"\nIts figure could not be read back ({err})."
        return RunResult(False, None, output, run.seconds, None, run.isolation)
    return RunResult(True, html, output, run.seconds, figure_json, run.isolation, removed)


def extract_code(answer: str) -> str:
    """The Python code in an LLM's answer: its first ```python block, or the whole answer."""
    blocks = re.findall(r"```(?:python|py)?\s*\n(.*?)```", answer, flags=re.S)
    return max(blocks, key=len).strip() + "\n" if blocks else answer.strip() + "\n"


@dataclass
class Revision:
    """What came of asking for a change.

    Attributes:
        code: the script with the change in it.
        result: how its run went.
        attempts: answers tried (1 or 2).
        lines: the lines the LLM added.
        changes: what changed in the figure, one line each ("layout.title.text: added ...").
        done: it ran and the figure changed; a run that leaves the figure as it was is not.
    """

    code: str
    result: RunResult
    attempts: int
    lines: str = ""
    changes: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """It ran and changed the figure (a placeholder such as "..." set as a title does
        not count as a change)."""
        return self.result.ok and any(not _PLACEHOLDER.search(c) for c in self.changes)


# ---------------------------------------------------------------- the figure, before and after

#: A value an LLM copied from an instruction instead of writing: "...", "…", "<title>".
_PLACEHOLDER = re.compile(r"(added|->) '(\.\.\.|…|<[^>]*>)'$")
#: Arrays longer than this are compared whole but shown by their length.
_SHOWN_ITEMS = 6


def _flat(value, path: str, out: dict) -> None:
    if isinstance(value, dict) and not ({"dtype", "bdata"} <= set(value)):
        if path == "layout.template":  # thousands of defaults: one value
            out[path] = value
            return
        for key, item in value.items():
            _flat(item, f"{path}.{key}" if path else key, out)
    else:
        out[path] = value


def _short(value) -> str:
    if isinstance(value, dict) and "bdata" in value:
        return f"an array ({value.get('dtype')})"
    if isinstance(value, list) and len(value) > _SHOWN_ITEMS:
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a template" if "data" in value or "layout" in value else "{...}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def figure_paths(figure_json: str) -> dict[str, object]:
    """Every property of a plotly figure's JSON by its path ("layout.title.text",
    "data[2].marker.size"); the template counts as one."""
    figure = json.loads(figure_json)
    out: dict[str, object] = {}
    for k, trace in enumerate(figure.get("data", [])):
        _flat(trace, f"data[{k}]", out)
    _flat(figure.get("layout", {}), "layout", out)
    return out


def figure_diff(before_json: str, after_json: str) -> list[str]:
    """What changed between two figures, one line per property: added, removed or changed,
    with the values (long arrays by their length)."""
    before, after = figure_paths(before_json), figure_paths(after_json)
    lines = []
    for path in sorted(set(before) | set(after)):
        if path not in before:
            lines.append(f"{path}: added {_short(after[path])}")
        elif path not in after:
            lines.append(f"{path}: removed (was {_short(before[path])})")
        elif before[path] != after[path]:
            lines.append(f"{path}: {_short(before[path])} -> {_short(after[path])}")
    return lines


def outline(figure_json: str) -> str:
    """A short account of a figure for the LLM: each trace's type and name, and the layout's
    own settings (no data, no template), so that an edit can name what it changes."""
    figure = json.loads(figure_json)
    lines = []
    for k, trace in enumerate(figure.get("data", [])):
        where = "heatmap" if trace.get("type") == "heatmap" else "map"
        parts = [f"type={trace.get('type')}", f"name={trace.get('name', '')!r}"]
        for key in ("mode", "xaxis", "yaxis", "colorscale"):
            if key in trace:
                parts.append(f"{key}={trace[key]!r}")
        if isinstance(trace.get("marker"), dict):
            marker = {m: v for m, v in trace["marker"].items() if not isinstance(v, (list, dict))}
            if marker:
                parts.append(f"marker={marker}")
        lines.append(f"trace {k} ({where}): " + ", ".join(parts))
    layout = {
        path.removeprefix("layout."): value
        for path, value in figure_paths(figure_json).items()
        if path.startswith("layout.") and path != "layout.template"
    }
    # Lists by their length only: tick labels and annotations hold the texts, which the
    # LLM does not need to write a change (and need not see).
    shown = [
        f"{path}=" + (f"a list of {len(value)}" if isinstance(value, list) else _short(value))
        for path, value in layout.items()
    ]
    lines.append("layout: " + (", ".join(shown) or "defaults"))
    return "\n".join(lines)


def add_lines(script: str, lines: str) -> str:
    """The script with ``lines`` where changes go (before the figure is written)."""
    lines = lines.rstrip("\n") + "\n"
    if CHANGES_MARK in script:
        return script.replace(CHANGES_MARK, CHANGES_MARK + lines, 1)
    marker = "fig.write_html("
    at = script.rfind(marker)
    if at < 0:
        raise ValueError("The script does not write its figure with fig.write_html(...).")
    start = script.rfind("\n", 0, at) + 1
    return script[:start] + lines + script[start:]


def revise_script(
    llm,
    script: str,
    request: str,
    *,
    before: RunResult | None = None,
    timeout: float = 180,
    on_text: Callable[[str], None] | None = None,
    files: dict[str, bytes] | None = None,
    read_only: list[str] | None = None,
) -> Revision:
    """Ask the LLM for the lines that make a change, add them to the script, run it, and
    compare its figure with the one before. A failing run, or one that leaves the figure as
    it was, goes back to the LLM once.

    The LLM sees an outline of the figure (traces, layout settings), never the texts or the
    whole script, and writes a few lines: seconds on a small local model, where a rewrite of
    the whole script took minutes.

    Args:
        before: the unchanged script's run, when the caller has it (else it is run here).
    """
    if before is None or not before.ok or not before.figure_json:
        # The script before the change is embedviz's own template.
        before = run_script(script, timeout=timeout, files=files, read_only=read_only, trusted=True)
    if not before.ok or not before.figure_json:
        return Revision(script, before, 0)

    def ask(messages) -> str:
        answer = ""
        for piece in llm.stream(messages, max_tokens=400, temperature=0.1):
            answer += piece
            if on_text is not None:
                on_text(answer)
        return answer

    messages = [
        {"role": "system", "content": EDIT_PROMPT.format(outline=outline(before.figure_json))}
    ]
    for asked, lines in EDIT_EXAMPLES:
        messages += [
            {"role": "user", "content": EDIT_REQUEST.format(request=asked)},
            {"role": "assistant", "content": f"```python\n{lines}\n```"},
        ]
    messages.append({"role": "user", "content": EDIT_REQUEST.format(request=request)})
    revision = None
    for attempt in (1, 2):
        answer = ask(messages)
        lines = extract_code(answer)
        code = add_lines(script, lines)
        result = run_script(code, timeout=timeout, files=files, read_only=read_only)
        changes = figure_diff(before.figure_json, result.figure_json) if result.ok else []
        revision = Revision(code, result, attempt, lines, changes)
        if revision.done or attempt == 2:
            break
        follow = (
            UNCHANGED_PROMPT.format(request=request)
            if result.ok
            else EDIT_FIX_PROMPT.format(error=result.output[-2000:])
        )
        messages += [
            {"role": "assistant", "content": answer},
            {"role": "user", "content": follow},
        ]
    return revision


# ---------------------------------------------------------------- an analysis's script


def analysis_script(analysis, colour_by: str | None = None) -> str:
    """The standalone script that redraws an :class:`~embedviz.analysis.Analysis`'s view:
    its texts, model, projection with the parameters actually used, seed and colours."""
    colouring = analysis.colouring(colour_by)
    return template_script(
        View(
            texts=analysis.texts,
            model_spec=analysis.spec.model,
            method=analysis.method,
            dims=analysis.dims,
            params={**analysis.projection_params, "random_state": analysis.spec.random_state},
            labels=colouring["labels"],
            label_name=colouring["label_name"],
            encoder_code=_encoder_script(analysis),
        )
    )


def _encoder_script(analysis) -> str:
    """The script's ``encode``: from the encoder at hand, else from the model spec."""
    if analysis.encoder is not None:
        return analysis.encoder.script()
    return encoder_code(analysis.spec.model)


def read_only_folders(analysis) -> list[str]:
    """Folders the script must read besides the system and Python: a local model."""
    location = getattr(analysis.encoder, "location", None)
    return [str(location)] if location and Path(location).is_dir() else []


def script_files(analysis) -> dict[str, bytes]:
    """Files the script needs beside it: the embeddings, when no model can remake them."""
    if _encoder_script(analysis) != OWN_EMBEDDINGS_SCRIPT:
        return {}
    buffer = io.BytesIO()
    np.save(buffer, analysis.embeddings, allow_pickle=False)
    return {"embeddings.npy": buffer.getvalue()}
