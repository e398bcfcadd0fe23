"""Compare two encoders on the same texts: which model sees your sentences best?

Both models' runs go through :func:`embedviz.analyze` with the same settings; this module
adds what only a pair of runs can say:

- the agreement of neighbourhoods: per text, the share of its ``k`` nearest texts that both
  models name (and its mean over the texts, one number for the corpus);
- the pairs whose similarity moved most, on a rank scale: the raw cosines of two models are
  not comparable (one squeezes everything into 0.8-1.0), so each pair gets its percentile
  among all pairs under each model and the move is the difference of percentiles;
- with labels: how well each model separates them (leave-one-out kNN label accuracy, and the
  ARI of the same clusterer asked for as many clusters as there are labels);
- with paraphrase pairs ("twins"): where each text's twin ranks among its neighbours;
- B's map rotated, scaled and moved onto A's (orthogonal Procrustes), so that the same text
  sits in about the same place when the models agree.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from .encoders import DEFAULT_MODEL
from .errors import InputError, ParameterError
from .project import DEFAULT_RANDOM_STATE

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from .analysis import Analysis

log = logging.getLogger(__name__)

#: Neighbours per text for the agreement; for small inputs at most (n - 1) // 2, so that a
#: text's nearest are not simply all the others.
AGREEMENT_K = 10
#: Neighbours that vote for a text's label in the kNN label accuracy.
LABEL_K = 5
#: Up to this many texts every pair is ranked (n = 3,000 is 4.5 million pairs); above, the
#: pairs among each text's nearest under either model, ranked against a sample of all pairs.
ALL_PAIRS_UP_TO = 3000
#: Pairs drawn to estimate the percentiles above :data:`ALL_PAIRS_UP_TO` texts.
REFERENCE_PAIRS = 1_000_000
#: Moves smaller than this many percentile points are not listed as moved (ties, rounding).
MIN_MOVE = 1.0
#: The moved pairs kept each way (closer under B, apart under B) for the table and CSV.
KEEP_MOVED = 1000


# ---------------------------------------------------------------- measures


def _unit(X) -> np.ndarray:
    from ._validation import check_embeddings

    return check_embeddings(X)


def neighbour_agreement(
    Xa, Xb, k: int = AGREEMENT_K, near: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, int]:
    """Per text, the share of its ``k`` nearest texts (cosine) that both models name.

    Returns:
        (float32 ``(n,)`` in [0, 1], the k used: at most ``(n - 1) // 2`` and at least 1;
        NaN and 0 for one text). ``near``: each model's k nearest, when already found.
    """
    from .similarity import top_k_neighbours

    n = len(Xa)
    k = max(1, min(k, (n - 1) // 2)) if n > 1 else 0
    if k < 1:
        return np.full(n, np.nan, dtype=np.float32), 0
    if near is not None and near[0].shape[1] == k:
        near_a, near_b = near
    else:
        near_a, _ = top_k_neighbours(Xa, k)
        near_b, _ = top_k_neighbours(Xb, k)
    shared = np.empty(n, dtype=np.float32)
    step = max(1, 4_000_000 // (k * k))
    for start in range(0, n, step):
        a, b = near_a[start : start + step], near_b[start : start + step]
        shared[start : start + step] = (a[:, :, None] == b[:, None, :]).any(axis=2).sum(axis=1)
    return shared / k, k


def knn_label_accuracy(
    X, labels: Sequence[str], k: int = LABEL_K, near: np.ndarray | None = None
) -> float:
    """Leave-one-out accuracy of a vote of each text's ``k`` nearest texts for its label.

    A tie goes to the label of the nearest text among the tied ones. ``near``: each text's
    nearest (most similar first), when already found with at least ``k`` of them.
    """
    from .similarity import top_k_neighbours

    values = np.asarray([str(v) for v in labels], dtype=object)
    n = len(values)
    if n < 2:
        return float("nan")
    k = min(k, n - 1)
    near = near[:, :k] if near is not None and near.shape[1] >= k else top_k_neighbours(X, k)[0]
    _, codes = np.unique(values, return_inverse=True)
    right = 0
    for i, row in enumerate(near):
        votes = codes[row]
        counts = np.bincount(votes)
        best = np.flatnonzero(counts == counts.max())
        guess = next(v for v in votes if v in best)  # nearest first
        right += guess == codes[i]
    return right / n


def percentile_ranks(values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Each value's percentile (0-100, ties share the mid rank) among ``reference``, or
    among the values themselves."""
    from scipy.stats import rankdata

    values = np.asarray(values, dtype=np.float64)
    if reference is None:
        if len(values) == 0:
            return values
        return (rankdata(values, method="average") - 0.5) / len(values) * 100.0
    ref = np.sort(np.asarray(reference, dtype=np.float64))
    below = np.searchsorted(ref, values, side="left")
    upto = np.searchsorted(ref, values, side="right")
    return (below + upto) / 2.0 / len(ref) * 100.0


def _sample_pairs(n: int, m: int, rng) -> tuple[np.ndarray, np.ndarray]:
    i = rng.integers(0, n, m)
    j = rng.integers(0, n - 1, m)
    j = j + (j >= i)  # never a text with itself
    return i, j


def _row_cosines(U: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Cosines of the pairs (i[k], j[k]) of unit rows, gathered in chunks of bounded memory."""
    out = np.empty(len(i), dtype=np.float32)
    step = max(1, 2**26 // (4 * U.shape[1]))  # ~64 MB of gathered rows a side
    for start in range(0, len(i), step):
        a, b = U[i[start : start + step]], U[j[start : start + step]]
        out[start : start + len(a)] = np.einsum("ij,ij->i", a, b)
    # Rounded: equal pairs must rank equal, not by float32 noise in the last bit.
    return np.round(np.clip(out, -1.0, 1.0), 6)


@dataclass
class MovedPairs:
    """Pairs (i < j) with their cosine and percentile under each model.

    ``change`` is B's percentile minus A's: positive when B finds the pair more alike than A
    does, relative to all other pairs. ``how`` says which pairs were ranked.
    """

    i: np.ndarray
    j: np.ndarray
    cosine_a: np.ndarray
    cosine_b: np.ndarray
    percentile_a: np.ndarray
    percentile_b: np.ndarray
    n_pairs: int
    how: str

    @property
    def change(self) -> np.ndarray:
        return self.percentile_b - self.percentile_a


def moved_pairs(
    Xa,
    Xb,
    *,
    keep: int = KEEP_MOVED,
    random_state: int = 0,
    near: tuple[np.ndarray, np.ndarray] | None = None,
) -> MovedPairs:
    """The pairs that moved most between two models, ``keep`` each way.

    Up to :data:`ALL_PAIRS_UP_TO` texts every pair is ranked; above, the candidates are the
    pairs among each text's :data:`AGREEMENT_K` nearest under either model, and their
    percentiles come from :data:`REFERENCE_PAIRS` random pairs. ``near``: each model's
    :data:`AGREEMENT_K` nearest, when already found.
    """
    from .similarity import top_k_neighbours

    Ua, Ub = _unit(Xa), _unit(Xb)
    n = len(Ua)
    n_pairs = n * (n - 1) // 2
    if n <= ALL_PAIRS_UP_TO:
        i, j = np.triu_indices(n, k=1)
        # The n x n products (36 MB at 3,000 texts), not gathered rows per pair.
        ca = np.round(np.clip((Ua @ Ua.T)[i, j], -1.0, 1.0), 6)
        cb = np.round(np.clip((Ub @ Ub.T)[i, j], -1.0, 1.0), 6)
        pa, pb = percentile_ranks(ca), percentile_ranks(cb)
        how = f"all {n_pairs:,} pairs ranked"
    else:
        k = min(AGREEMENT_K, n - 1)
        if near is None or near[0].shape[1] != k:
            near = (top_k_neighbours(Ua, k)[0], top_k_neighbours(Ub, k)[0])
        cand = [np.stack([np.repeat(np.arange(n), k), found.ravel()], axis=1) for found in near]
        both = np.sort(np.concatenate(cand), axis=1)
        both = np.unique(both, axis=0)
        i, j = both[:, 0], both[:, 1]
        ca, cb = _row_cosines(Ua, i, j), _row_cosines(Ub, i, j)
        rng = np.random.default_rng(random_state)
        ri, rj = _sample_pairs(n, min(REFERENCE_PAIRS, n_pairs), rng)
        pa = percentile_ranks(ca, _row_cosines(Ua, ri, rj))
        pb = percentile_ranks(cb, _row_cosines(Ub, ri, rj))
        how = (
            f"the {len(i):,} pairs among each text's {k} nearest under either model, "
            f"ranked against {min(REFERENCE_PAIRS, n_pairs):,} random pairs"
        )
    change = pb - pa
    order = np.argsort(-change, kind="stable")
    if len(order) > 2 * keep:
        order = np.concatenate([order[:keep], order[-keep:]])
    return MovedPairs(
        i=i[order],
        j=j[order],
        cosine_a=ca[order],
        cosine_b=cb[order],
        percentile_a=pa[order],
        percentile_b=pb[order],
        n_pairs=n_pairs,
        how=how,
    )


def twin_ranks(X, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """For each (text, twin): the twin's rank among the text's neighbours (1 = nearest;
    ties count in the twin's favour). int ``(len(pairs),)``."""
    U = _unit(X)
    ranks = np.empty(len(pairs), dtype=np.int64)
    for p, (i, j) in enumerate(pairs):
        row = U @ U[i]
        row[i] = -np.inf
        ranks[p] = 1 + int((row > row[j]).sum())
    return ranks


def align(coords_a: np.ndarray, coords_b: np.ndarray) -> tuple[np.ndarray, float]:
    """B's points rotated (or reflected), scaled and moved to lie as close to A's as they can.

    Returns:
        (B's aligned coordinates, the disparity: the squared distance left after aligning,
        over A's spread; 0 when the maps are the same up to rotation and scale, 1 when
        unrelated).
    """
    from scipy.linalg import orthogonal_procrustes

    A = np.asarray(coords_a, dtype=np.float64)
    B = np.asarray(coords_b, dtype=np.float64)
    mean_a, mean_b = A.mean(axis=0), B.mean(axis=0)
    A0, B0 = A - mean_a, B - mean_b
    norm_a, norm_b = np.linalg.norm(A0), np.linalg.norm(B0)
    if norm_a == 0 or norm_b == 0:
        return (B0 + mean_a).astype(np.float32), 0.0
    R, s = orthogonal_procrustes(B0 / norm_b, A0 / norm_a)
    aligned = (B0 / norm_b) @ R * s * norm_a + mean_a
    disparity = float(((aligned - A) ** 2).sum() / norm_a**2)
    return aligned.astype(np.float32), disparity


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
        import pandas as pd

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
        import pandas as pd

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
        import pandas as pd

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
        import pandas as pd

        n = min(n, self.n_texts - 1)
        idx = np.asarray(list(positions), dtype=np.int64)
        units = [_unit(run.embeddings) for run in (self.a, self.b)]
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
        import pandas as pd

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
        from .figures.models import models_figure

        return models_figure(self, colour_by=colour_by, highlight=highlight)

    def tables(self) -> list[go.Figure]:
        """The moved pairs each way and, with labels or twins, their tables, as figures."""
        from .figures.models import models_tables

        return models_tables(self)

    def html(self) -> str:
        """One offline page: both maps (hovering or lasso-selecting a text on one shows it on
        the other), coloured by agreement and, with labels, by label; the findings; the
        moved pairs and, with labels or twins, their tables."""
        from .export import standalone_html
        from .figures.models import LINK_SCRIPT

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
        from .export import csv_bytes

        return csv_bytes(self.pairs_frame())

    def points_csv(self) -> bytes:
        from .export import csv_bytes

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
    from dataclasses import replace

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


def _side(value, name: str | None):
    """(model, embeddings, given name) for one side: a spec, an encoder, or an array."""
    if isinstance(value, np.ndarray) or (hasattr(value, "shape") and not hasattr(value, "encode")):
        return None, np.asarray(value), name
    return value, None, name


def compare(
    texts,
    *,
    a=DEFAULT_MODEL,
    b,
    labels: Sequence | None = None,
    pairs: Sequence | None = None,
    names: tuple[str | None, str | None] = (None, None),
    method: str | None = None,
    dims: int = 2,
    cluster: str | None = None,
    k: int | None = None,
    n_neighbours: int = AGREEMENT_K,
    random_state: int = DEFAULT_RANDOM_STATE,
    use_cache: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    **params,
) -> Comparison:
    """Run the same texts through two models with the same settings and compare them.

    Args:
        texts: the texts (a list, a Series or a :class:`~embedviz.inputs.TextBatch`).
        a, b: each a model spec (``"use-multilingual"``, a folder, a hub name), an object
            with ``encode(texts)``, or an array of embeddings ``(n_texts, dim)``.
        labels: one label per text: adds the label separation of each model.
        pairs: paraphrase twins, as (text, text) or (position, position): adds where each
            twin ranks among its text's neighbours under each model.
        names: what to call A and B when they are arrays (default "your embeddings").
        method, dims, cluster, k, random_state, **params: as :func:`embedviz.analyze`; with
            labels and no ``k``, both models are asked for as many clusters as labels.
        n_neighbours: the neighbourhood size of the agreement.
        progress: ``progress(side, done, total)`` while encoding ("A" or "B").

    Raises:
        InputError: fewer than two texts, or labels or embeddings that do not fit.
        ParameterError: as :func:`embedviz.analyze`; or A and B are the same model.
    """
    from .encoders import canonical_spec
    from .pipeline import DEFAULT_CLUSTER, DEFAULT_METHOD, analyze, as_batch

    if isinstance(a, str) and isinstance(b, str) and canonical_spec(a) == canonical_spec(b):
        same = repr(a) if a.strip() == b.strip() else f"{a!r} and {b!r}, one model"
        raise ParameterError(f"A and B are both {same}. Give two different models to compare.")
    batch = as_batch(texts, labels=labels)
    if len(batch.texts) < 2:
        raise InputError("Comparing two models needs at least two texts.")
    notes = [batch.summary()] if batch.skipped else []
    if batch.labels is not None and k is None and cluster in (None, "kmeans", "agglomerative"):
        n_labels = len(set(batch.labels))
        if 1 < n_labels <= len(batch.texts):
            k = n_labels
            notes.append(f"Both models are clustered into {k} clusters, one per label value.")
    settings = dict(
        method=method or DEFAULT_METHOD,
        dims=dims,
        cluster=cluster or DEFAULT_CLUSTER,
        k=k,
        random_state=random_state,
        use_cache=use_cache,
        **params,
    )
    runs = []
    for side, value, name in (("A", a, names[0]), ("B", b, names[1])):
        model, embeddings, given = _side(value, name)
        step = (lambda done, total, side=side: progress(side, done, total)) if progress else None
        run = analyze(
            batch,
            embeddings=embeddings,
            model=model if model is not None else DEFAULT_MODEL,
            progress=step,
            **settings,
        )
        if embeddings is not None and given:
            run.model_name = given
        runs.append(run)
    run_a, run_b = runs
    return compare_runs(run_a, run_b, pairs=pairs, n_neighbours=n_neighbours, notes=notes)


def run_like(a: Analysis, embeddings: np.ndarray, model: str, model_name: str) -> Analysis:
    """B's run: the same texts, projection, parameters and clusterer as ``a``, on B's
    embeddings. k-means and agglomerative are asked for as many clusters as A found, so
    the two ARIs compare like with like."""
    from .inputs import TextBatch
    from .pipeline import analyze

    params = {**a.params["projection"], **a.params["cluster_params"]}
    cluster = a.params["cluster"]
    k = a.params.get("clusters_found") if cluster in ("kmeans", "agglomerative") else None
    batch = TextBatch(
        texts=list(a.texts),
        rows=list(a.rows),
        labels=None if a.labels is None else list(a.labels),
        n_read=a.n_texts,
        columns={name: list(v) for name, v in a.columns.items()},
        label_name=a.label_name,
        source=a.source,
    )
    run = analyze(
        batch,
        embeddings=embeddings,
        model=model,
        method=a.method,
        dims=a.dims,
        cluster=cluster,
        k=k if k and k > 1 else None,
        random_state=a.params.get("random_state", DEFAULT_RANDOM_STATE),
        **params,
    )
    run.model_name = model_name
    return run


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
    from dataclasses import replace

    notes = list(notes)
    random_state = run_a.params.get("random_state", DEFAULT_RANDOM_STATE)
    if run_a.model_name == run_b.model_name:  # copies: the runs may be an app's cached ones
        run_a = replace(run_a, model_name=f"{run_a.model_name} (A)", _memo={})
        run_b = replace(run_b, model_name=f"{run_b.model_name} (B)", _memo={})

    from .similarity import top_k_neighbours

    Xa, Xb = run_a.embeddings, run_b.embeddings
    near = None
    if run_a.n_texts > ALL_PAIRS_UP_TO:  # both measures need each model's nearest: once
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
            from .cluster import CLUSTER_NAMES

            clusterer = CLUSTER_NAMES[run_a.params["cluster"]]
            separation[f"ARI of {clusterer} ({run_a.params['clusters_found']} clusters)"] = (
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
