"""The page's panels. Each tab is an ``st.fragment``, so a widget in one reruns only that
panel; each reads the run's :class:`~embedviz.pipeline.Analysis` and shows what it says.

What users or an LLM wrote is shown as text (``st.text``, ``st.dataframe``, ``st.code``),
never as Markdown.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..analysis import (
    LABEL_POINTS_UP_TO,
    MAX_HEATMAP_TEXTS,
    POINT_LABELS_AT_MOST,
    Analysis,
    csv_bytes,
    is_lean,
)
from ..codegen import describe_isolation, isolation, revise_script, run_script
from ..errors import EmbedvizError
from ..llm import INSTALL_HINT
from ..settings import PLOTLY_CONFIG
from ..spec import PROJECTORS
from .lean_map import lean_map
from .stages import faithfulness, get_llm, project_with
from .state import run_state
from .text import safe

TOP_PAIRS = 20
#: The pairs CSV holds at most this many pairs (all of them for up to ~450 texts).
MAX_PAIRS = 100_000


def text_choice(analysis: Analysis, i: int) -> str:
    return f"row {analysis.rows[i]}: {analysis.texts[i][:60]}"


def current_colour(analysis: Analysis) -> str | None:
    """What the map is coloured by now (the radio of the map panel), if this run offers it."""
    colour_by = st.session_state.get("colour_by")
    return colour_by if colour_by in analysis.colour_options() else None


def selected_positions(event) -> list[int]:
    """Positions in the texts of the points a box, lasso or click selected."""
    if not event or not event.selection:
        return []
    chosen = []
    for point in event.selection.get("points", []):
        custom = point.get("customdata")
        # The position is last: [id, text, label, position], or [id, position] (lean map).
        if custom is not None and len(custom) in (2, 4):
            chosen.append(int(custom[-1]))
    return sorted(set(chosen))


# ---------------------------------------------------------------- the map


@st.fragment
def map_panel(analysis: Analysis, view_key: str) -> None:
    """Search, the map across the page, then the heatmap beside the scores, the selection
    and two texts compared. A selection belongs to this view: a new view starts without
    one."""
    state = run_state(view_key)
    q_col, k_col = st.columns([4, 1])
    query = q_col.text_input(
        "Search: type a sentence to find the most similar texts and place it on the map",
        key="query",
    ).strip()
    top_k = k_col.number_input("Top k", 1, 1000, 10, key="top_k")
    found = None
    if query:
        try:
            found = analysis.search(query, top_k=int(top_k))
        except EmbedvizError as err:
            st.warning(safe(err))
        else:
            if found.note:
                st.caption(found.note)

    options = analysis.colour_options()
    c_col, l_col = st.columns([3, 1])
    # Radio options render Markdown (images too); a label column's name comes from a file.
    colour_by = c_col.radio(
        "Colour points by", options, horizontal=True, key="colour_by", format_func=safe
    )
    n = analysis.n_texts
    point_labels = l_col.toggle(
        "Write each text beside its point",
        value=n <= LABEL_POINTS_UP_TO,
        key=f"point_labels_{view_key}",
        disabled=n > POINT_LABELS_AT_MOST,
        help="Labels that would cover another are left out (hover their points). Without "
        f"them each cluster's name is written at its centre. Offered up to {POINT_LABELS_AT_MOST} "
        "texts.",
    )
    state["found"] = found  # the HTML download shows the view as on screen
    tree = analysis.tree
    follow = False
    if tree is not None and tree.depth > 1 and analysis.dims == 2 and not point_labels:
        follow = l_col.toggle(
            "Names follow the zoom",
            value=False,
            key="zoom_names",
            help="The coarsest topics' names when zoomed out, the clusters' and then the "
            "finer topics' as you zoom in (the exported HTML always does this).",
        )
    scatter = analysis.figure(colour_by, query=found, point_labels=point_labels, zoom_labels=follow)
    if analysis.dims == 2:
        scatter.update_layout(dragmode="select")  # a drag selects points; zoom from the bar
    lean = is_lean(scatter)
    if lean or follow:
        # The app's own component: it switches the names by zoom, and fetches a lean map's
        # texts on hover.
        selection = lean_map(scatter, analysis.texts, key=f"lean_scatter_{view_key}") or []
    else:
        event = st.plotly_chart(
            scatter,
            theme=None,
            config=PLOTLY_CONFIG,
            key=f"scatter_{view_key}",
            on_select="rerun",
            selection_mode=("box", "lasso", "points"),
        )
        selection = selected_positions(event)
    hint = (
        "Drag a box or lasso over points to list them and see their heatmap; "
        "double-click the map to clear the selection."
    )
    if point_labels:
        written = sum(1 for trace in scatter.data if trace.text for t in trace.text if t)
        if written < n:
            hint += f" {written:,} of {n:,} texts fit beside their points; hover the others."
    if lean:
        hint += (
            f" With {n:,} texts the map carries no text per point: the text under the cursor "
            "is fetched as you hover."
        )
    st.caption(hint)
    if selection != state.get("selection", []):
        # The LLM panel and the downloads read the selection: redraw them too.
        state["selection"] = selection
        st.rerun()

    left, right = st.columns([3, 2])
    heat = analysis.heatmap(selection)
    if heat.figure is not None:
        left.plotly_chart(heat.figure, theme=None, config=PLOTLY_CONFIG, key="heatmap")
    left.caption(heat.note)
    with right:
        scores_row(analysis)
        compare_two_texts(analysis, selection or list(range(n)), view_key)

    if found is not None:
        st.subheader("Most similar to the query")
        st.text(query)
        show_table(found.frame(analysis), key="hits")
    if selection:
        selected_texts(analysis, selection, colour_by, point_labels)


def show_table(frame, key: str) -> None:
    """A result table that fits the page: numbers pinned at the left (they stay in view),
    texts in wide columns (hover a cell for all of it)."""
    texts = [c for c in frame.columns if str(c).startswith("text")]
    numbers = [c for c in frame.columns if c not in texts and frame[c].dtype.kind in "iuf"]
    order = numbers + [c for c in frame.columns if c not in numbers]
    config = {c: st.column_config.Column(pinned=True) for c in numbers}
    config.update({c: st.column_config.TextColumn(width="large") for c in texts})
    st.dataframe(frame, hide_index=True, key=key, column_order=order, column_config=config)


def selected_texts(analysis: Analysis, selection: list[int], colour_by, point_labels) -> None:
    """The selected texts with every column, and their downloads: the rows as CSV, the
    view of just them as HTML."""
    st.subheader(f"{len(selection):,} selected texts")
    chosen = analysis.subset(selection, "selection")
    frame = chosen.points_frame()
    show_table(frame[[c for c in frame.columns if c not in ("x", "y", "z")]], key="selected")
    d1, d2 = st.columns(2)
    d1.download_button(
        "The selected texts (CSV)",
        chosen.csv_bytes,
        file_name="embedviz_selection.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_selection_csv",
    )
    d2.download_button(
        "A view of just the selection (HTML)",
        lambda: chosen.html(colour_by, point_labels=point_labels),
        file_name="embedviz_selection.html",
        mime="text/html",
        on_click="ignore",
        key="download_selection_html",
    )


def filter_panel(analysis: Analysis, key: str) -> Analysis:
    """Filters by any input column, the label and the cluster: categorical columns by the
    values picked, numeric ones by a range. Returns the run narrowed to the texts that pass
    (the map, the heatmap, the tables and the downloads then show those)."""
    columns = analysis.filter_columns()
    if not columns:
        return analysis
    # Keyed, so the page's reruns (a column picked, a value picked) keep it open: unkeyed, the
    # browser could draw it anew, closed, with the picks just made hidden inside.
    with st.expander("Filter by a column", key=f"filter_open_{key}"):
        chosen = st.multiselect(
            "Columns to filter by", list(columns), key=f"filter_columns_{key}", format_func=safe
        )
        keep = np.ones(analysis.n_texts, dtype=bool)
        said = []
        for k, name in enumerate(chosen):
            values = columns[name]
            numeric = _numbers(values)
            if numeric is not None and len(set(numeric.tolist())) > 1:
                lo, hi = float(np.nanmin(numeric)), float(np.nanmax(numeric))
                a, b = st.slider(safe(name), lo, hi, (lo, hi), key=f"filter_{k}_{key}")
                keep &= (numeric >= a) & (numeric <= b)
                if (a, b) != (lo, hi):
                    said.append(f"{name} {a:g}–{b:g}")
            else:
                counts = pd_counts(values)
                picked = st.multiselect(
                    # Only the name escaped: the label is also the box's accessible name, where
                    # an escaped colon would be read out as a backslash.
                    f"{safe(name)}: keep texts whose value is one of",
                    list(counts),
                    key=f"filter_{k}_{key}",
                    format_func=lambda v, counts=counts: f"{v} ({counts[v]})",
                )
                if picked:
                    keep &= np.isin(np.array([str(v) for v in values]), picked)
                    said.append(f"{name} = {', '.join(map(str, picked))}")
    if not said:
        return analysis
    positions = np.flatnonzero(keep)
    what = "filter: " + "; ".join(said)
    if not positions.size:
        st.warning(safe(f"No text passes the {what}. Showing all {analysis.n_texts:,} texts."))
        return analysis
    st.info(
        safe(f"Showing the {positions.size:,} of {analysis.n_texts:,} texts that pass the {what}.")
    )
    return analysis.subset(positions.tolist(), what)


def _numbers(values) -> np.ndarray | None:
    """The values as numbers when every non-empty one is a number, else None."""
    import pandas as pd

    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    given = pd.Series(values, dtype=object).astype(str).str.strip().ne("")
    if given.sum() == 0 or numbers[given].isna().any():
        return None
    return numbers.to_numpy(dtype=np.float64)


def pd_counts(values) -> dict:
    """Each value and how many texts have it, the commonest first."""
    from collections import Counter

    return dict(Counter(map(str, values)).most_common())


def scores_row(analysis: Analysis) -> None:
    """How far to trust the picture, how well the clusters match the user's labels."""
    s = analysis.scores
    top, bottom = st.columns(2), st.columns(2)
    cols = [*top, *bottom]
    if s.get("trustworthiness") is not None:
        cols[0].metric(
            "Trustworthiness",
            f"{s['trustworthiness']:.2f}",
            help="1.0: texts that look close on the map are close in the embedding space.",
        )
        cols[1].metric(
            f"kNN recall (k = {s['k']})",
            f"{s['knn_recall']:.2f}",
            help="The share of each text's nearest neighbours (cosine) that stay among its "
            "nearest on the map.",
        )
    if s.get("silhouette") is not None:
        cols[2].metric("Silhouette", f"{s['silhouette']:.2f}")
    if s.get("ari") is not None:
        cols[3].metric(
            f"Clusters vs {safe(analysis.label_name)} (ARI)",
            f"{s['ari']:.2f}",
            help="Adjusted Rand index: 1 = the clusters are the label groups, 0 = chance.",
        )
    st.caption(safe(f"{analysis.cluster_summary} Map: {analysis.map_scores_text()}."))


def compare_two_texts(analysis: Analysis, shown: list[int], view_key: str) -> None:
    """Any two sentences and their cosine (heatmap cells cannot be clicked: streamlit#8933).
    The pickers are keyed by the view, so new texts never leave stale picks behind."""
    if len(shown) < 2:
        return
    with st.expander("Compare two texts", key="compare_two_texts_open"):
        a_col, b_col = st.columns(2)
        a = a_col.selectbox(
            "Text A",
            shown,
            format_func=lambda i: text_choice(analysis, i),
            key=f"pick_a_{view_key}",
        )
        b = b_col.selectbox(
            "Text B",
            shown,
            index=1,
            format_func=lambda i: text_choice(analysis, i),
            key=f"pick_b_{view_key}",
        )
        a_col.text(analysis.texts[a])
        b_col.text(analysis.texts[b])
        st.metric("cosine", f"{analysis.cosine(a, b):.3f}")


# ---------------------------------------------------------------- tabs


@st.fragment
def clusters_tab(analysis: Analysis) -> None:
    """Each cluster: its name, keywords, size and the texts closest to its centre."""
    if not analysis.clustered:
        st.write("Pick a clustering in the sidebar to group the texts.")
        return
    table = analysis.cluster_table()
    st.dataframe(table, hide_index=True, key="cluster_table")


@st.cache_data(show_spinner=False, max_entries=8)
def pair_table(X: np.ndarray, texts: tuple[str, ...], rows: tuple[int, ...], _analysis: Analysis):
    """Pairs by descending cosine, at most MAX_PAIRS, numbered by input row (cached by the
    embeddings, texts and rows: the analysis itself is made anew on each rerun)."""
    return _analysis.top_pairs(MAX_PAIRS)


def all_pairs(analysis: Analysis):
    """The most similar pairs for the table and the CSV, up to MAX_HEATMAP_TEXTS texts."""
    if not 1 < analysis.n_texts <= MAX_HEATMAP_TEXTS:
        return None
    return pair_table(analysis.embeddings, tuple(analysis.texts), tuple(analysis.rows), analysis)


@st.fragment
def pairs_tab(analysis: Analysis) -> None:
    pairs = all_pairs(analysis)
    if pairs is not None:
        st.dataframe(
            pairs.head(TOP_PAIRS),
            hide_index=True,
            key="pairs",
            column_config={
                "cosine": st.column_config.ProgressColumn(
                    "cosine", min_value=-1.0, max_value=1.0, format="%.3f"
                )
            },
        )
    elif analysis.n_texts > MAX_HEATMAP_TEXTS:
        st.write("Use Near-duplicates to list the most similar pairs of many texts.")


@st.cache_data(show_spinner=False, max_entries=16)
def near_duplicates(
    X: np.ndarray, threshold: float, texts: tuple[str, ...], rows: tuple, _analysis: Analysis
):
    return _analysis.pairs_above(threshold, MAX_PAIRS)


@st.fragment
def duplicates_tab(analysis: Analysis) -> None:
    """Every pair above a threshold the user slides, counted, with its CSV."""
    threshold = st.slider(
        "List every pair with cosine at least", 0.50, 1.00, 0.90, 0.01, key="dup_threshold"
    )
    dups, total = near_duplicates(
        analysis.embeddings, threshold, tuple(analysis.texts), tuple(analysis.rows), analysis
    )
    exact = int(np.sum(dups["cosine"] >= 0.9999)) if len(dups) else 0
    message = (
        f"{total:,} pairs with cosine ≥ {threshold:.2f} "
        f"({exact:,} of them identical in meaning, ≥ 0.9999)."
    )
    if total > len(dups):
        message += (
            f" The table and CSV hold the {len(dups):,} most similar; raise the "
            "threshold to list every pair."
        )
    st.write(message)
    st.dataframe(dups.head(1000), hide_index=True, key="dups")
    st.download_button(
        "These pairs (CSV)",
        lambda: csv_bytes(dups),
        file_name=f"embedviz_pairs_above_{threshold:.2f}.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_dups",
    )


@st.fragment
def compare_tab(analysis: Analysis) -> None:
    """Every registered projection side by side, each titled with its scores."""
    if not st.toggle("Draw every projection side by side with its scores", key="compare"):
        return
    colour_by = current_colour(analysis)
    columns = st.columns(2)
    for k, method in enumerate(PROJECTORS):
        spec = analysis.spec.replace(method=method, dims=2)
        with st.spinner(f"{spec.method_label} …"):
            p = project_with(analysis.embeddings, spec)
            fig = analysis.compare_figure(p, faithfulness(analysis.embeddings, p.coords), colour_by)
        columns[k % len(columns)].plotly_chart(
            fig, theme=None, config=PLOTLY_CONFIG, key=f"compare_{method}"
        )


# ---------------------------------------------------------------- the LLM


def explanation_text(e, texts, names: dict[int, str] | None = None) -> str:
    """One cluster's explanation as plain text: label, contrast, evidence, misfits, and what
    the check dropped (shown with ``st.text``: it is the LLM's writing)."""
    name = (names or {}).get(e.cluster, f"cluster {e.cluster}")
    head = f"{name} · {e.label}"
    if e.nearest is not None:
        head += f"   (against {(names or {}).get(e.nearest, f'cluster {e.nearest}')})"
    lines = [head]
    if e.versus:
        lines.append(e.versus)
    if e.evidence:
        lines.append("Evidence: " + " / ".join(f"“{q}”" for q in e.evidence))
    lines += e.notes(texts)
    return "\n".join(lines)


@st.fragment
def llm_tab(analysis: Analysis, spec, options, view_key: str, cluster_key: str) -> None:
    """Explain the clusters (or the selection against the rest) and write the plot's code."""
    selection = run_state(view_key).get("selection", [])
    if spec is None:
        st.info(
            "No LLM is active: pick one under Local LLM in the sidebar. The bundled model "
            f"works offline on the CPU once installed ({INSTALL_HINT}); a ChatGLM folder loads "
            "through transformers; a running vLLM / Ollama / ChatGLM3 API server through its URL."
        )
    else:
        st.caption(safe(f"LLM: {spec} " + " ".join(f"{k}={v}" for k, v in options if v)))

    st.subheader("Explain the groups")
    explained = run_state(cluster_key, "clusters")
    if selection:
        what = f"the {len(selection)} selected texts against the rest"
    elif analysis.clustered:
        what = f"the {sum(1 for c in analysis.cluster_sizes() if c >= 0)} clusters"
    else:
        what = ""
    if not what:
        st.write("Cluster the texts (sidebar) or select points on the map to explain them.")
    elif st.button(f"Explain {what}", key="explain", disabled=spec is None):
        try:
            with st.status(f"Asking the LLM about {what} …", expanded=True) as status:
                llm = get_llm(spec, options)
                live = st.empty()

                def show(text):
                    live.code(text[-1500:], language="json")

                _, found = analysis.explain(llm, selection, on_text=show)
                live.empty()
                status.update(label=f"{safe(llm.name)} answered", state="complete")
        except (EmbedvizError, ImportError) as err:
            st.error(safe(err))
        else:
            explained["shown"] = found
            explained["selection"] = bool(selection)
            if not selection:
                explained["labels"] = {e.cluster: e.label for e in found}
                explained["explanations"] = {e.cluster: e.explanation for e in found}
                explained["misfits"] = {e.cluster: e.misfits for e in found if e.misfits}
                st.rerun()  # the map's legend, the CSV and the saved analysis take the labels
    names = {0: "the selection", 1: "the rest"} if explained.get("selection") else None
    for e in explained.get("shown", []):
        st.text(explanation_text(e, analysis.texts, names))
    if explained.get("misfits"):
        st.caption("Texts the LLM says do not fit their cluster are ringed in red on the map.")

    st.subheader("The code that draws this view")
    script = analysis.script(current_colour(analysis))
    # The script holds every text: shown on request above a few hundred, never re-sent unasked.
    if st.toggle(
        "Show the standalone Python script (same texts, model, projection and seed)",
        value=analysis.n_texts <= 300,
        key="show_script",
    ):
        st.code(script, language="python")
    files = analysis.script_files()
    if files:
        st.caption(
            "No model can remake your own embeddings, so the script reads them from "
            "embeddings.npy in its folder: download both."
        )
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "Download the script",
        lambda: script,
        file_name="embedviz_view.py",
        mime="text/x-python",
        on_click="ignore",
        key="download_script",
    )
    for name, data in files.items():
        c2.download_button(
            name,
            data,
            file_name=name,
            mime="application/octet-stream",
            on_click="ignore",
            key="download_script_files",
        )
    mode = isolation()
    st.caption(describe_isolation())
    ran = run_state(view_key).setdefault("script_runs", {})
    if c3.button("Run it to check (sandboxed)", key="run_script", disabled=mode == "refused"):
        with st.spinner("Running the script in its own process …"):
            ran[script] = run_script(
                script, files=files, read_only=analysis.script_read_only(), trusted=True
            )
        show_run(ran[script])
    request = st.text_input(
        "Ask the LLM to change it",
        placeholder="给图加一个中文标题 / 隐藏图例 / make the points bigger",
        key="code_request",
    ).strip()
    if st.button(
        "Change, run and check",
        key="revise",
        disabled=spec is None or not request or mode == "refused",
    ):
        try:
            with st.status("The LLM is writing the change …", expanded=True) as status:
                live = st.empty()
                revision = revise_script(
                    get_llm(spec, options),
                    script,
                    request,
                    before=ran.get(script),
                    on_text=lambda text: live.code(text[-1500:], language="python"),
                    files=files,
                    read_only=analysis.script_read_only(),
                )
                live.empty()
                status.update(label="Changed, run and compared", state="complete")
        except (EmbedvizError, ImportError) as err:
            st.error(safe(err))
        else:
            show_revision(revision)


def show_revision(revision) -> None:
    """The lines the LLM added, whether they ran, and what they changed in the figure: a
    change that runs but leaves the figure as it was is not done."""
    if revision.attempts == 0:
        st.error("The script itself does not run, so no change can be checked:")
        st.code(revision.result.output or "(no output)")
        return
    tries = "first answer" if revision.attempts == 1 else "second answer"
    if revision.done:
        st.success(
            f"Done ({tries}): the change ran and the figure changed. Check that it is what "
            "you asked for:"
        )
        st.text("\n".join(revision.changes))
    elif revision.result.ok:
        st.warning(f"Not done ({tries}): the change ran but left the figure as it was.")
    else:
        st.error(f"Not done ({tries}): the changed script fails.")
    st.caption("The lines the LLM added:")
    st.code(revision.lines, language="python")
    with st.expander("The whole changed script"):
        st.code(revision.code, language="python")
    show_run(revision.result)


def show_run(result) -> None:
    """The run's figure, drawn by the app from the plotly JSON the script wrote (the script's
    own HTML never runs in this page), or why it failed."""
    if not result.ok:
        st.error("The script failed:")
        st.code(result.output or "(no output)")
        return
    st.success(f"The script ran in {result.seconds:.1f} s and wrote its figure.")
    if result.removed:
        # Said before the figure is drawn; what would have been fetched is already gone.
        st.warning(
            f"{len(result.removed)} address(es) in the script's figure were taken out before it "
            "was drawn, so that your browser sends nothing anywhere:"
        )
        st.text("\n".join(result.removed))
    st.plotly_chart(result.figure(), theme=None, config=PLOTLY_CONFIG, key="script_figure")
    st.download_button(
        "The script's figure (HTML, works offline)",
        result.html,
        file_name="embedviz_view.html",
        mime="text/html",
        on_click="ignore",
        key="download_script_html",
    )


# ---------------------------------------------------------------- downloads


def downloads(analysis: Analysis, view_key: str) -> None:
    """The figures as HTML, the points as CSV, the pairs, and the whole analysis as a zip
    that "Open a saved analysis" (or ``embedviz.load``) reopens."""
    st.subheader("Download")
    state = run_state(view_key)
    name = f"embedviz_{analysis.method}_{analysis.dims}d"
    c1, c2, c3, c4 = st.columns(4)

    def view_html() -> str:
        # Read when the button is clicked: the map's colour, labels, search and selection
        # change inside its panel without redrawing this one.
        return analysis.html(
            current_colour(analysis),
            state.get("selection", []),
            point_labels=st.session_state.get(f"point_labels_{view_key}"),
            query=state.get("found"),
        )

    # Callables: the files are built when a button is clicked, not on every rerun.
    c1.download_button(
        "This view as HTML (works offline)",
        view_html,
        file_name=f"{name}.html",
        mime="text/html",
        on_click="ignore",
        key="download_html",
    )
    c2.download_button(
        "Coordinates and clusters (CSV)",
        analysis.csv_bytes,
        file_name=f"{name}_coordinates.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_coords",
    )
    pairs = all_pairs(analysis)
    if pairs is not None:
        n = analysis.n_texts
        label = "Pair similarities (CSV)"
        if len(pairs) < n * (n - 1) // 2:
            label = f"The {len(pairs):,} most similar pairs (CSV)"
        c3.download_button(
            label,
            lambda: csv_bytes(pairs),
            file_name="embedviz_pairs.csv",
            mime="text/csv",
            on_click="ignore",
            key="download_pairs",
        )
    c4.download_button(
        "The analysis (zip: reopen it here or in Python)",
        analysis.to_zip,
        file_name=f"{name}_analysis.zip",
        mime="application/zip",
        on_click="ignore",
        key="download_analysis",
    )
