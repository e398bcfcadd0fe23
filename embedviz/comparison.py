"""Compare two encoders on the same texts: which model sees your sentences best?

Both models' runs are :func:`embedviz.pipeline.analyze` of one
:class:`~embedviz.spec.RunSpec` (B's is A's with B's model); :mod:`embedviz.agreement`
measures what only a pair of runs can say (neighbourhood agreement, moved pairs, label
separation, twins, aligned maps), and a :class:`Comparison` holds both runs and the findings.

Example:
    >>> import embedviz
    >>> c = embedviz.compare(["如何更换花呗绑定银行卡", "花呗更改绑定银行卡", "如何办理银行卡",
    ...                       "哈里路大旋风"], a="use-multilingual", b="path/to/MiniLM",
    ...                      method="pca")  # doctest: +SKIP
    >>> c.agreement_mean, c.moved(1)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import agreement as measures
from ._validation import check_embeddings
from .agreement import (
    AGREEMENT_K,
    LABEL_K,
    MIN_MOVE,
    MovedPairs,
    align,
    knn_label_accuracy,
    moved_pairs,
    neighbour_agreement,
    twin_ranks,
)
from .analysis import Analysis
from .cluster import CLUSTER_NAMES
from .encoders import DEFAULT_MODEL, canonical_spec
from .errors import InputError, ParameterError
from .export import csv_bytes, standalone_html
from .figures.models import LINK_SCRIPT, models_figure, table_figures
from .inputs import TextBatch
from .pipeline import Hook, analyze, as_batch
from .similarity import top_k_neighbours
from .spec import RunSpec
from .sts import Scores, score_file  # noqa: F401 - the compare tab scores pairs through here

log = logging.getLogger(__name__)

#: Pairs each way in the page's table (the CSV has them all).
TABLE_PAIRS = 10

__all__ = ["AGREEMENT_K", "Comparison", "compare", "compare_runs", "run_like", "with_twins"]


# ---------------------------------------------------------------- the result


@dataclass(eq=False)
class Comparison:
    """Two runs on the same texts, A and B, and what tells them apart.

    Attributes:
        a, b: each model's :class:`~embedviz.analysis.Analysis` (same texts, same settings).
        agreement: float32 ``(n,)``: the share of each text's ``k`` nearest that both name.
        k: neighbours per text in ``agreement``.
        aligned: B's map coordinates aligned onto A's (:func:`align`).
        disparity: what is left after aligning (0 = same map up to rotation and scale).
        pairs: the pairs that moved most (:class:`MovedPairs`).
        separation: with labels, per measure: A's and B's value (None without labels).
        twins: with paraphrase pairs: (i, j, rank under A, rank under B) per pair.
        notes: what was done to the input and settings, in sentences.
    """

    a: Analysis
    b: Analysis
    agreement: np.ndarray
    k: int
    aligned: np.ndarray
    disparity: float
    pairs: MovedPairs
    separation: dict[str, tuple[float, float]] | None = None
    twins: list[tuple[int, int, int, int]] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return self.a.texts

    @property
    def n_texts(self) -> int:
        return self.a.n_texts

    @property
    def names(self) -> tuple[str, str]:
        return self.a.model_name, self.b.model_name

    @property
    def agreement_mean(self) -> float:
        return float(np.nanmean(self.agreement)) if self.k else float("nan")

    def agreement_text(self) -> str:
        if not self.k:
            return "Neighbourhood agreement needs at least two texts."
        if self.k == 1:
            return (
                f"Neighbourhood agreement: {self.agreement_mean:.2f} (the share of texts whose "
                "nearest text is the same under A and under B)."
            )
        return (
            f"Neighbourhood agreement: {self.agreement_mean:.2f} (on average a text's {self.k} "
            f"nearest texts under A and under B share {self.agreement_mean * self.k:.1f})."
        )

    # -- tables

    def moved(self, n: int = 10, way: Literal["closer", "apart"] = "closer") -> pd.DataFrame:
        """The ``n`` pairs that B finds most more alike than A does (``"closer"``) or most
        less alike (``"apart"``), by the change of percentile; moves under
        :data:`MIN_MOVE` points are not listed."""
        frame = self.pairs_frame()
        if way == "closer":
            frame = frame[frame["change"] >= MIN_MOVE]
        else:
            frame = frame[frame["change"] <= -MIN_MOVE]
        frame = frame.sort_values("change", ascending=way == "apart", kind="stable")
        return frame.head(n).reset_index(drop=True)

    def pairs_frame(self) -> pd.DataFrame:
        """Every kept moved pair: rows, texts, both cosines, both percentiles, the change."""
        p, rows, texts = self.pairs, self.a.rows, self.texts
        return pd.DataFrame(
            {
                "row_a": [rows[i] for i in p.i],
                "text_a": [texts[i] for i in p.i],
                "row_b": [rows[j] for j in p.j],
                "text_b": [texts[j] for j in p.j],
                "cosine_A": np.round(p.cosine_a.astype(np.float64), 4),
                "cosine_B": np.round(p.cosine_b.astype(np.float64), 4),
                "percentile_A": np.round(p.percentile_a, 1),
                "percentile_B": np.round(p.percentile_b, 1),
                "change": np.round(p.change, 1),
            }
        )

    def separation_frame(self) -> pd.DataFrame | None:
        """With labels: one row per measure, A's value, B's and which is better."""
        if self.separation is None:
            return None
        rows = []
        for measure, (va, vb) in self.separation.items():
            better = "same" if abs(va - vb) < 0.005 else ("A" if va > vb else "B")
            rows.append(
                {"measure": measure, "A": round(va, 3), "B": round(vb, 3), "better": better}
            )
        return pd.DataFrame(rows)

    def twins_frame(self) -> pd.DataFrame | None:
        """With paraphrase pairs: each text, its twin and the twin's rank under each model."""
        if self.twins is None:
            return None
        return pd.DataFrame(
            {
                "text": [self.texts[i] for i, _, _, _ in self.twins],
                "twin": [self.texts[j] for _, j, _, _ in self.twins],
                "rank_A": [ra for _, _, ra, _ in self.twins],
                "rank_B": [rb for _, _, _, rb in self.twins],
            }
        )

    def neighbours_frame(self, positions: Sequence[int], n: int = 3) -> pd.DataFrame:
        """For each text at ``positions``: its agreement and its ``n`` nearest texts under
        A and under B (the texts both name first), to read why the models differ."""
        n = min(n, self.n_texts - 1)
        idx = np.asarray(list(positions), dtype=np.int64)
        units = [check_embeddings(run.embeddings) for run in (self.a, self.b)]
        rows = []
        for i in idx:
            near = []
            for U in units:
                row = U @ U[i]
                row[i] = -np.inf
                near.append(np.argsort(-row, kind="stable")[:n].tolist())
            rows.append(
                {
                    "row": self.a.rows[i],
                    "text": self.texts[i],
                    "agreement": round(float(self.agreement[i]), 2),
                    "nearest_A": " | ".join(self.texts[j] for j in near[0]),
                    "nearest_B": " | ".join(self.texts[j] for j in near[1]),
                }
            )
        return pd.DataFrame(rows)

    def points_frame(self) -> pd.DataFrame:
        """One row per text: row, text, label, the agreement, each model's cluster, both
        maps' coordinates (B's aligned onto A's)."""
        frame = pd.DataFrame({"row": self.a.rows, "text": self.texts})
        if self.a.labels is not None:
            frame[self.a.label_name] = self.a.labels
        frame[f"shared_of_{self.k}_nearest"] = np.round(self.agreement * self.k).astype("Int64")
        frame["agreement"] = np.round(self.agreement.astype(np.float64), 3)
        frame["cluster_A"] = self.a.clusters
        frame["cluster_B"] = self.b.clusters
        for side, coords in (("A", self.a.coords), ("B", self.aligned)):
            for d, axis in enumerate("xyz"[: coords.shape[1]]):
                frame[f"{axis}_{side}"] = np.round(coords[:, d].astype(np.float64), 5)
        return frame

    def summary(self, n_pairs: int = 5) -> list[str]:
        """The findings in lines of plain text (what ``embedviz compare`` prints)."""
        name_a, name_b = self.names
        lines = [
            f"A = {name_a}; B = {name_b}; {self.n_texts:,} texts, "
            f"{self.a.method_label} {self.a.dims}-D maps.",
            self.agreement_text(),
            f"Maps: after rotating and scaling B's onto A's, disparity {self.disparity:.2f} "
            "(0 = the same map, 1 = unrelated).",
        ]
        if self.separation is not None:
            lines.append(f"Label separation ({self.a.label_name}):")
            for measure, (va, vb) in self.separation.items():
                lines.append(f"  {measure}: A {va:.3f}, B {vb:.3f}")
        if self.twins is not None:
            frame = self.twins_frame()
            first_a = int((frame["rank_A"] == 1).sum())
            first_b = int((frame["rank_B"] == 1).sum())
            lines.append(
                f"Twins ranked nearest: A {first_a} of {len(frame)}, B {first_b} of {len(frame)};"
                f" median rank A {frame['rank_A'].median():g}, B {frame['rank_B'].median():g}."
            )
        if n_pairs <= 0:
            return lines
        lines.append(f"Pairs by similarity percentile ({self.pairs.how}):")
        for way, what in (("closer", "more alike under B"), ("apart", "less alike under B")):
            moved = self.moved(n_pairs, way)
            if moved.empty:
                lines.append(f"  none {what}")
                continue
            lines.append(f"  {what}:")
            for r in moved.itertuples():
                lines.append(
                    f"    {r.change:+6.1f}  {r.percentile_A:5.1f} -> {r.percentile_B:5.1f}  "
                    f"{r.text_a} | {r.text_b}"
                )
        return lines

    # -- figures and files

    def figure(
        self, colour_by: str = "agreement", highlight: Sequence[int] | None = None
    ) -> go.Figure:
        """Both maps side by side, B's aligned onto A's; points coloured by the agreement
        (or by the label column), the same text under the same index on both; the texts at
        ``highlight`` picked out on both (the rest fade)."""
        a = self.a
        return models_figure(
            texts=self.texts,
            rows=a.rows,
            names=self.names,
            coords=(a.coords, self.aligned),
            clusters=(a.clusters, self.b.clusters),
            cluster_names=(a.cluster_names, self.b.cluster_names),
            clustered=(a.clustered, self.b.clustered),
            agreement=self.agreement,
            k=self.k,
            labels=a.labels,
            label_name=a.label_name,
            method_label=a.method_label,
            axis_titles=a.axis_titles,
            colour_by=colour_by,
            highlight=highlight,
        )

    def tables(self) -> list[go.Figure]:
        """The moved pairs each way and, with labels or twins, their tables, as figures."""
        blocks = []
        for way, what in (("closer", "more alike under B"), ("apart", "less alike under B")):
            frame = self.moved(TABLE_PAIRS, way)
            blocks.append(
                (
                    f"Pairs {what} (percentile of their similarity among all pairs, A → B)",
                    ["text", "text", "A", "B", "change"],
                    [
                        list(frame["text_a"]),
                        list(frame["text_b"]),
                        [f"{v:.1f}" for v in frame["percentile_A"]],
                        [f"{v:.1f}" for v in frame["percentile_B"]],
                        [f"{v:+.1f}" for v in frame["change"]],
                    ],
                    [4, 4, 1, 1, 1],
                )
            )
        sep = self.separation_frame()
        if sep is not None:
            blocks.append(
                (
                    f"How well each model separates the values of {self.a.label_name}",
                    ["measure", "A", "B", "better"],
                    [list(sep[col].astype(str)) for col in sep.columns],
                    [5, 1, 1, 1],
                )
            )
        twins = self.twins_frame()
        if twins is not None:
            blocks.append(
                (
                    "Where each twin ranks among its text's neighbours (1 = nearest)",
                    ["text", "twin", "rank A", "rank B"],
                    [list(twins[col].astype(str)) for col in twins.columns],
                    [4, 4, 1, 1],
                )
            )
        return table_figures(blocks)

    def html(self) -> str:
        """One offline page: both maps (hovering or lasso-selecting a text on one shows it on
        the other), coloured by agreement and, with labels, by label; the findings; the
        moved pairs and, with labels or twins, their tables."""
        maps = [self.figure()]
        if self.a.labels is not None:
            maps.append(self.figure(colour_by=self.a.label_name))
        link = LINK_SCRIPT if self.a.dims == 2 else None
        name_a, name_b = self.names
        return standalone_html(
            [*maps, *self.tables()],
            title=f"Two models compared: {name_a} and {name_b}",
            notes=[*self.summary(n_pairs=0), f"Pairs: {self.pairs.how}.", *self.notes],
            post_scripts=[link] * len(maps),
        )

    def to_html(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path

    def pairs_csv(self) -> bytes:
        return csv_bytes(self.pairs_frame())

    def points_csv(self) -> bytes:
        return csv_bytes(self.points_frame())


# ---------------------------------------------------------------- the run


def _positions_of(texts: Sequence[str], pairs) -> tuple[list[tuple[int, int]], list[str]]:
    """Paraphrase pairs as positions: each given as (i, j) or as two texts. Returns the
    pairs found and a note per pair that was not (both texts must be among the texts)."""
    where: dict[str, int] = {}
    for i, t in enumerate(texts):
        where.setdefault(t, i)
    found, missing = [], []
    for pair in pairs:
        if len(pair) != 2:
            raise ParameterError(f"A twin pair has two members; got {pair!r}.")
        p, q = pair
        if isinstance(p, (int, np.integer)) and isinstance(q, (int, np.integer)):
            if not (0 <= p < len(texts) and 0 <= q < len(texts)):
                raise ParameterError(f"Twin positions {p}, {q} must lie in 0..{len(texts) - 1}.")
            found.append((int(p), int(q)))
            continue
        i, j = where.get(str(p).strip()), where.get(str(q).strip())
        if i is None or j is None or i == j:
            missing.append(f"{p} | {q}")
        else:
            found.append((i, j))
    notes = []
    if missing:
        notes.append(
            f"{len(missing)} twin pairs were skipped because a member is not among the texts "
            f"(or both are the same text): {'; '.join(missing[:5])}"
            + (" …" if len(missing) > 5 else "")
        )
    return found, notes


def with_twins(batch, column: str):
    """The batch with each row's paraphrase twin from ``column``, and the (text, twin) pairs.

    Twins that are not among the texts are added as texts (same input row, same label), so
    that both members are encoded; rows with an empty twin cell get no pair.

    Raises:
        InputError: the table has no such column.
    """
    if column not in batch.columns:
        raise InputError(
            f"There is no column {column!r} for twins. Columns: "
            f"{', '.join(map(repr, batch.columns)) or 'none besides the text'}."
        )
    twins = batch.columns[column]
    present = set(batch.texts)
    texts, rows = list(batch.texts), list(batch.rows)
    labels = None if batch.labels is None else list(batch.labels)
    columns = {name: list(values) for name, values in batch.columns.items()}
    pairs, added = [], 0
    for k, twin in enumerate(twins):
        twin = " ".join(str(twin or "").split())
        if not twin or twin.lower() in ("nan", "none"):
            continue
        pairs.append((batch.texts[k], twin))
        if twin not in present:
            present.add(twin)
            texts.append(twin)
            rows.append(batch.rows[k])
            if labels is not None:
                labels.append(labels[k])
            for name in columns:
                columns[name].append(columns[name][k])
            added += 1
    notes = list(batch.notes)
    if added:
        notes.append(f"Added {added:,} twins from column {column!r} as texts of their own.")
    if len(pairs) < len(twins):
        notes.append(f"{len(twins) - len(pairs):,} rows have no twin in column {column!r}.")
    out = replace(batch, texts=texts, rows=rows, labels=labels, columns=columns, notes=notes)
    return out, pairs


def _side(value):
    """(model, embeddings) for one side: a spec or an encoder, or an array."""
    if isinstance(value, np.ndarray) or (hasattr(value, "shape") and not hasattr(value, "encode")):
        return None, np.asarray(value)
    return value, None


def compare(
    texts,
    spec: RunSpec | None = None,
    *,
    a=DEFAULT_MODEL,
    b,
    labels: Sequence | None = None,
    pairs: Sequence | None = None,
    names: tuple[str | None, str | None] = (None, None),
    n_neighbours: int = AGREEMENT_K,
    hooks: Sequence[Hook] = (),
    use_cache: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    **settings,
) -> Comparison:
    """Run the same texts through two models with the same settings and compare them.

    Args:
        texts: the texts (a list, a Series or a :class:`~embedviz.inputs.TextBatch`).
        spec: the settings both runs share (:class:`~embedviz.spec.RunSpec`, its model
            ignored), or give them as keywords as to :func:`embedviz.analyze` (``method``,
            ``dims``, ``cluster``, ``k``, ``random_state``, the method's parameters); with
            labels and no ``k``, both models are asked for as many clusters as labels.
        a, b: each a model spec (``"use-multilingual"``, a folder, a hub name), an object
            with ``encode(texts)``, or an array of embeddings ``(n_texts, dim)``.
        labels: one label per text: adds the label separation of each model.
        pairs: paraphrase twins, as (text, text) or (position, position): adds where each
            twin ranks among its text's neighbours under each model.
        names: what to call A and B when they are arrays (default "your embeddings").
        n_neighbours: the neighbourhood size of the agreement.
        hooks: as for :func:`embedviz.analyze`, around each stage of both runs.
        progress: ``progress(side, done, total)`` while encoding ("A" or "B").

    Raises:
        InputError: fewer than two texts, or labels or embeddings that do not fit.
        ParameterError: as :func:`embedviz.analyze`; or A and B are the same model.
    """
    if isinstance(a, str) and isinstance(b, str) and canonical_spec(a) == canonical_spec(b):
        same = repr(a) if a.strip() == b.strip() else f"{a!r} and {b!r}, one model"
        raise ParameterError(f"A and B are both {same}. Give two different models to compare.")
    batch = as_batch(texts, labels=labels)
    if len(batch.texts) < 2:
        raise InputError("Comparing two models needs at least two texts.")
    if spec is None:
        spec = RunSpec.build(**settings)
    elif settings:
        raise ParameterError(f"Give {', '.join(sorted(settings))} in the spec, not beside it.")
    notes = [batch.summary()] if batch.skipped else []
    if batch.labels is not None and spec.k is None and spec.cluster in ("kmeans", "agglomerative"):
        n_labels = len(set(batch.labels))
        if 1 < n_labels <= len(batch.texts):
            spec = spec.replace(k=n_labels)
            notes.append(
                f"Both models are clustered into {n_labels} clusters, one per label value."
            )
    runs = []
    for side, value, name in (("A", a, names[0]), ("B", b, names[1])):
        model, embeddings = _side(value)
        step = (lambda done, total, side=side: progress(side, done, total)) if progress else None
        is_spec = isinstance(model, str)
        runs.append(
            analyze(
                batch,
                spec.replace(model=model) if is_spec else spec.replace(model=DEFAULT_MODEL),
                embeddings=embeddings,
                model=None if is_spec else model,
                hooks=hooks,
                use_cache=use_cache,
                progress=step,
                embeddings_name=name if embeddings is not None else None,
            )
        )
    return compare_runs(*runs, pairs=pairs, n_neighbours=n_neighbours, notes=notes)


def batch_of(a: Analysis) -> TextBatch:
    """The texts of a run as they went in (rows, labels, columns), to run them again."""
    return TextBatch(
        texts=list(a.texts),
        rows=list(a.rows),
        labels=None if a.labels is None else list(a.labels),
        n_read=a.n_texts,
        columns={name: list(v) for name, v in a.columns.items()},
        label_name=a.label_name,
        source=a.source,
    )


def spec_like(a: Analysis, model: str) -> RunSpec:
    """B's spec: A's, with B's model. k-means and agglomerative are asked for as many
    clusters as A found, so that the two ARIs compare like with like."""
    k = a.clusters_found if a.spec.cluster in ("kmeans", "agglomerative") else None
    return a.spec.replace(model=model, k=k if k and k > 1 else None)


def run_like(
    a: Analysis, model, *, embeddings=None, hooks: Sequence[Hook] = (), name: str | None = None
) -> Analysis:
    """B's run: the same texts, projection, parameters and clusterer as ``a``, with B's
    model (a spec, encoded through ``hooks``) or B's own ``embeddings`` (``model`` then names
    the model that made them, ``name`` what to call them)."""
    spec = spec_like(a, model if isinstance(model, str) else DEFAULT_MODEL)
    return analyze(
        batch_of(a),
        spec,
        embeddings=embeddings,
        model=None if isinstance(model, str) else model,
        hooks=hooks,
        embeddings_name=name,
    )


def compare_runs(
    run_a: Analysis,
    run_b: Analysis,
    *,
    pairs: Sequence | None = None,
    n_neighbours: int = AGREEMENT_K,
    notes: Sequence[str] = (),
) -> Comparison:
    """The :class:`Comparison` of two runs on the same texts (the app runs B with A's
    settings through its caches, then calls this; :func:`compare` runs both).

    Raises:
        InputError: the runs are not of the same texts.
    """
    if run_a.texts != run_b.texts:
        raise InputError("The two runs are not of the same texts; compare runs of one input.")
    notes = list(notes)
    random_state = run_a.spec.random_state
    if run_a.model_name == run_b.model_name:  # copies: the runs may be an app's cached ones
        run_a = replace(run_a, model_name=f"{run_a.model_name} (A)", _memo={})
        run_b = replace(run_b, model_name=f"{run_b.model_name} (B)", _memo={})

    Xa, Xb = run_a.embeddings, run_b.embeddings
    near = None
    if run_a.n_texts > measures.ALL_PAIRS_UP_TO:  # both measures need each model's nearest: once
        k = min(AGREEMENT_K, run_a.n_texts - 1)
        near = (top_k_neighbours(Xa, k)[0], top_k_neighbours(Xb, k)[0])
    agreement, used_k = neighbour_agreement(Xa, Xb, n_neighbours, near=near)
    aligned, disparity = align(run_a.coords, run_b.coords)
    moved = moved_pairs(Xa, Xb, random_state=random_state, near=near)
    separation = None
    if run_a.labels is not None:
        label_k = min(LABEL_K, run_a.n_texts - 1)
        separation = {
            f"kNN label accuracy (vote of {label_k} nearest)": (
                knn_label_accuracy(Xa, run_a.labels, label_k, None if near is None else near[0]),
                knn_label_accuracy(Xb, run_b.labels, label_k, None if near is None else near[1]),
            )
        }
        if "ari" in run_a.scores and "ari" in run_b.scores:
            clusterer = CLUSTER_NAMES[run_a.spec.cluster]
            separation[f"ARI of {clusterer} ({run_a.clusters_found} clusters)"] = (
                run_a.scores["ari"],
                run_b.scores["ari"],
            )
    twins = None
    if pairs:
        found, twin_notes = _positions_of(run_a.texts, pairs)
        notes.extend(twin_notes)
        if found:
            ra = twin_ranks(run_a.embeddings, found)
            rb = twin_ranks(run_b.embeddings, found)
            twins = [(i, j, int(x), int(y)) for (i, j), x, y in zip(found, ra, rb, strict=True)]
    return Comparison(
        a=run_a,
        b=run_b,
        agreement=agreement,
        k=used_k,
        aligned=aligned,
        disparity=disparity,
        pairs=moved,
        separation=separation,
        twins=twins,
        notes=[*notes, *run_a.warnings],
    )
