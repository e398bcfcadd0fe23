"""Search an analysis: the texts nearest a query sentence, and where the query falls on the
map (exactly for PCA and UMAP, which keep a model for new points; by its nearest texts for
the others, and said)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._validation import check_embeddings
from .encoders import OWN_EMBEDDINGS, Encoder, load_encoder
from .errors import EmbedvizError, InputError
from .project import Projection
from .similarity import rank_by_query


@dataclass
class SearchResult:
    """The texts nearest a query and where the query falls on the map.

    Attributes:
        query: the sentence searched for.
        positions: the nearest texts' positions, nearest first.
        cosines: their cosines to the query.
        coords: ``(1, dims)``: the query's place on the map.
        note: how the place was found, when only approximately; else None.
    """

    query: str
    positions: np.ndarray
    cosines: np.ndarray
    coords: np.ndarray
    note: str | None

    def frame(self, analysis) -> pd.DataFrame:
        """The hits as a table: row, text, label (when any), cosine."""
        data = {
            "row": [analysis.rows[i] for i in self.positions],
            "text": [analysis.texts[i] for i in self.positions],
        }
        if analysis.labels is not None:
            data[analysis.label_name] = [analysis.labels[i] for i in self.positions]
        data["cosine"] = np.round(self.cosines.astype(np.float64), 4)
        return pd.DataFrame(data)


def model_of(spec: str) -> Encoder:
    """The model a spec names, to encode a query in its embeddings' space.

    Raises:
        EmbedvizError: the embeddings came from the user with no model named.
    """
    if spec == OWN_EMBEDDINGS or str(spec).startswith("python:"):
        raise EmbedvizError(
            "Search needs the model that made these embeddings, and embedviz does not have "
            "it: they were brought in with the texts. Name the model that made them "
            "(analyze(..., embeddings=X, model=SPEC), or --model with --embeddings) to search."
        )
    return load_encoder(spec)


def search(analysis, query: str, top_k: int = 10) -> SearchResult:
    """The ``top_k`` texts of an analysis most similar to ``query``, and its place.

    Raises:
        InputError: an empty query or one the model cannot put beside these embeddings.
        EmbedvizError: no model is known for these embeddings.
    """
    query = (query or "").strip()
    if not query:
        raise InputError("The query is empty. Type the sentence to search for.")
    q = analysis.query_encoder().encode([query])
    if q.shape[1] != analysis.embeddings.shape[1]:
        raise InputError(
            f"The model {analysis.spec.model} makes {q.shape[1]}-dimensional vectors but "
            f"these embeddings have {analysis.embeddings.shape[1]}: name the model that "
            "made them."
        )
    top, cosines = rank_by_query(analysis.embeddings, q[0], top_k=top_k)
    if analysis.projection is not None:
        xy, note = analysis.projection.place(q)
    else:
        loaded = Projection(analysis.coords, analysis.axis_titles, analysis.method, {}, [])
        xy, note = loaded.place(q, X_fit=check_embeddings(analysis.embeddings))
    return SearchResult(query, np.asarray(top), np.asarray(cosines), np.asarray(xy), note)
