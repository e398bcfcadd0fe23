"""Where the texts come from: pasted, an uploaded table (with its label and vector columns),
a sample, or a saved analysis; and the user's own embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from ..analysis import load_zip
from ..inputs import (
    TextBatch,
    guess_text_column,
    is_vector_column,
    read_table,
    texts_from_lines,
    texts_from_table,
)
from ..pipeline import read_npy

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SEED_TEXTS = "如何更换花呗绑定银行卡\n花呗更改绑定银行卡\n如何办理银行卡\n哈里路大旋风"
NO_LABEL = "(none)"
ENCODE = "(encode the texts with the model)"
SOURCES = ["Paste", "Upload a file", "Sample dataset", "Open a saved analysis"]


@dataclass
class Source:
    """What the input panel gave: texts to run (and maybe their vectors), or a saved
    analysis to reopen."""

    batch: TextBatch | None = None
    embeddings: np.ndarray | None = None
    embeddings_name: str | None = None
    saved: object | None = None


def colour_by_new_label() -> None:
    """Picking a label column colours the map by it; clearing it goes back to the default."""
    label = st.session_state["label_column"]
    if label == NO_LABEL:
        st.session_state.pop("colour_by", None)
    else:
        st.session_state["colour_by"] = label


def table_batch(data: bytes, name: str) -> TextBatch:
    header = st.checkbox("First row names the columns", value=True, key="header")
    table = read_table(data, name, header=header)
    frame = table.frame
    columns = list(frame.columns)
    vectors = [c for c in columns if is_vector_column(frame[c])]
    texts = [c for c in columns if c not in vectors]
    if len(texts) == 1 and not vectors:
        return texts_from_table(table, texts[0])
    guess = guess_text_column(frame)
    left, middle, right = st.columns(3)
    column = left.selectbox("Text column", texts, index=texts.index(guess), key="text_column")
    label = middle.selectbox(
        "Colour by (optional label column)",
        [NO_LABEL, *[c for c in texts if c != column]],
        key="label_column",
        on_change=colour_by_new_label,
    )
    vector = None
    if vectors:
        vector = right.selectbox(
            "Embeddings",
            [*vectors, ENCODE],
            key="vector_column",
            help="This table carries vectors: use them as the embeddings (no model runs), or "
            "encode the texts with the sidebar's model.",
        )
        vector = None if vector == ENCODE else vector
    return texts_from_table(
        table,
        column,
        label_column=None if label == NO_LABEL else label,
        vector_column=vector,
    )


def own_embeddings() -> tuple[np.ndarray | None, str | None]:
    """A .npy the user uploads next to the texts: one row per text, in input order."""
    with st.expander("Bring your own embeddings (.npy)", key="own_embeddings_open"):
        upload = st.file_uploader(
            "An (n_texts, dim) array saved with numpy.save, rows in the texts' order; "
            "nothing is encoded and search is off (embedviz does not have the model that "
            "made them).",
            type=["npy"],
            key="embeddings_upload",
        )
    if upload is None:
        return None, None
    return read_npy(upload.getvalue(), upload.name), upload.name


def input_panel() -> Source:
    """The texts (and vectors) the user chose, or the saved analysis they opened.

    Raises:
        InputError: the file cannot be read; the message says what to do.
    """
    source = st.radio("Texts from", SOURCES, horizontal=True, key="source")
    if source == "Open a saved analysis":
        upload = st.file_uploader(
            "The .zip that 'Download the analysis' gave (or `embedviz plot --save` wrote, zipped)",
            type=["zip"],
            key="analysis_upload",
        )
        if upload is None:
            st.info("Choose a saved analysis to reopen it: same texts, map and clusters.")
            st.stop()
        return Source(saved=open_saved(upload.getvalue()))
    if source == "Paste":
        text = st.text_area("One text per line", SEED_TEXTS, height=170, key="texts")
        batch = texts_from_lines(text)
    elif source == "Upload a file":
        upload = st.file_uploader(
            "A .txt file (one text a line) or a .csv / .tsv / .xlsx / .parquet table with a "
            "text column",
            type=["txt", "csv", "tsv", "xlsx", "parquet"],
            key="upload",
        )
        if upload is None:
            st.info("Choose a file to see its texts.")
            st.stop()
        batch = table_batch(upload.getvalue(), upload.name)
    else:
        samples = sorted(p.name for p in DATA_DIR.glob("*") if p.suffix in (".csv", ".txt"))
        name = st.selectbox("Sample dataset", samples, key="sample")
        batch = table_batch((DATA_DIR / name).read_bytes(), name)
    embeddings, name = own_embeddings()
    return Source(batch=batch, embeddings=embeddings, embeddings_name=name)


@st.cache_resource(show_spinner=False, max_entries=4)
def open_saved(data: bytes):
    return load_zip(data)
