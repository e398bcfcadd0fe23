"""Score models on text pairs with a human similarity score (STS), as text2vec's and MTEB's
tables do: the Spearman (and Pearson) correlation between each pair's cosine and its score.

A pairs file has two text columns and a score (STS-B's form: ``text_a<TAB>text_b<TAB>score``
with no header, as the ``.data`` files of text2vec's sdist; or a CSV/TSV/XLSX/Parquet table
with a header). Rows whose texts are empty or whose score is not a number are skipped and
counted; a file with no usable pair, or without two text columns and a score, is refused in
one sentence.

Example:
    >>> results = sts("STS-B.test.data", models=["use-multilingual", "e5-small"])  # doctest: +SKIP
    >>> [(r.model, round(r.spearman, 3)) for r in results]  # doctest: +SKIP
    [('use-multilingual', 0.734), ('e5-small', 0.774)]
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import pearsonr, spearmanr

from .errors import InputError
from .inputs import SUPPORTED_SUFFIXES, read_table
from .pipeline import Hook, encode_texts


@dataclass
class Pairs:
    """Text pairs with a human score, and the account of what was read."""

    a: list[str]
    b: list[str]
    scores: np.ndarray
    source: str
    columns: tuple[str, str, str]
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.a)


@dataclass
class STSResult:
    """One model's score on the pairs.

    Attributes:
        model: the model spec; name: its readable name.
        spearman, pearson: correlation of cosine with the human score (-1..1).
        n_pairs: pairs scored; seconds: encoding and scoring.
        cosines: float32 ``(n_pairs,)``, each pair's cosine (for the scatter).
    """

    model: str
    name: str
    spearman: float
    pearson: float
    n_pairs: int
    seconds: float
    cosines: np.ndarray


def _number(value) -> float | None:
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def read_pairs(data: bytes, name: str, columns: Sequence[str] | None = None) -> Pairs:
    """The pairs in a file's bytes.

    Args:
        data: the file's bytes; name: its name (the suffix picks the parser).
        columns: the two text columns and the score column, by name; by default the first
            two columns that hold text and the first that holds numbers.

    Raises:
        InputError: an empty file, no two text columns and a score, or no usable pair.
    """
    suffix = Path(name).suffix.lower()
    as_name = name if suffix in SUPPORTED_SUFFIXES and suffix != ".txt" else f"{name}.tsv"
    header = True
    if Path(as_name).suffix.lower() in (".csv", ".tsv"):
        # STS-B ships no header: a first row with a number in it is a pair, not names.
        first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
        header = not any(_number(f) is not None for f in re.split(r"[\t,;]", first))
    frame = read_table(data, as_name, header=header).frame
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if len(columns) != 3 or missing:
            raise InputError(
                f"{name} has no column {', '.join(map(repr, missing)) or '(three are needed)'}; "
                f"its columns are {', '.join(map(repr, frame.columns))}. Name two text columns "
                "and a score column."
            )
        text_a, text_b, score = columns
    else:
        # A score column holds numbers in most rows (rows that do not are skipped, and said);
        # of several (an id, a score), the last one, where STS files keep the score.
        numeric = [
            c for c in frame.columns
            if len(frame[c]) and frame[c].map(_number).notna().mean() >= 0.5
        ]  # fmt: skip
        texts = [c for c in frame.columns if c not in numeric]
        if len(texts) < 2 or not numeric:
            raise InputError(
                f"{name} needs two text columns and a score column (STS-B's form: text_a, "
                f"text_b, score); it has {', '.join(map(repr, frame.columns))}."
            )
        text_a, text_b, score = texts[0], texts[1], numeric[-1]
    a = frame[text_a].astype(str).str.strip()
    b = frame[text_b].astype(str).str.strip()
    scores = frame[score].map(_number)
    usable = (a != "") & (b != "") & scores.notna()
    notes = []
    dropped = int((~usable).sum())
    if dropped:
        rows = ", ".join(str(i + 1 + header) for i in np.flatnonzero(~usable.to_numpy())[:10])
        notes.append(
            f"Skipped {dropped:,} of {len(frame):,} rows with an empty text or a score that "
            f"is not a number (lines {rows}{' …' if dropped > 10 else ''})."
        )
    if not usable.any():
        raise InputError(
            f"{name} has no pair with two texts and a numeric score in columns "
            f"{text_a!r}, {text_b!r}, {score!r}."
        )
    return Pairs(
        a=a[usable].tolist(),
        b=b[usable].tolist(),
        scores=scores[usable].to_numpy(np.float64),
        source=name,
        columns=(str(text_a), str(text_b), str(score)),
        notes=notes,
    )


def score_model(
    pairs: Pairs, model, *, hooks: Sequence[Hook] = (), use_cache: bool = True
) -> STSResult:
    """One model's Spearman and Pearson on ``pairs`` (each distinct text encoded once)."""
    start = time.perf_counter()
    texts = list(dict.fromkeys([*pairs.a, *pairs.b]))
    encoded = encode_texts(texts, model, hooks=hooks, use_cache=use_cache)
    where = {t: k for k, t in enumerate(texts)}
    X = np.asarray(encoded.X, dtype=np.float64)
    X /= np.clip(np.linalg.norm(X, axis=1, keepdims=True), 1e-12, None)
    ia = np.fromiter((where[t] for t in pairs.a), dtype=np.int64)
    ib = np.fromiter((where[t] for t in pairs.b), dtype=np.int64)
    cosines = np.einsum("ij,ij->i", X[ia], X[ib])
    if len(pairs) < 2 or np.ptp(pairs.scores) == 0:
        raise InputError("A correlation needs at least two pairs with different scores.")
    return STSResult(
        model=encoded.encoder.spec,
        name=encoded.encoder.name,
        spearman=float(spearmanr(cosines, pairs.scores).statistic),
        pearson=float(pearsonr(cosines, pairs.scores).statistic),
        n_pairs=len(pairs),
        seconds=time.perf_counter() - start,
        cosines=cosines.astype(np.float32),
    )


def sts(
    pairs,
    models: Sequence = ("use-multilingual",),
    *,
    columns: Sequence[str] | None = None,
    hooks: Sequence[Hook] = (),
    use_cache: bool = True,
) -> list[STSResult]:
    """Score each model on text pairs with a human similarity score.

    Args:
        pairs: a file path, a :class:`Pairs`, or a DataFrame of two text columns and a score.
        models: model specs or objects with ``encode(texts)``.
        columns: the two text columns and the score column, when not the first ones.

    Raises:
        InputError: the pairs cannot be read (the message says why).
    """
    if isinstance(pairs, pd.DataFrame):
        pairs = read_pairs(pairs.to_csv(index=False).encode(), "pairs.csv", columns)
    elif not isinstance(pairs, Pairs):
        path = Path(pairs)
        if not path.is_file():
            raise InputError(f"There is no file {path}. Give a file of text pairs and scores.")
        pairs = read_pairs(path.read_bytes(), path.name, columns)
    return [score_model(pairs, m, hooks=hooks, use_cache=use_cache) for m in models]


@dataclass
class Scores:
    """Several models scored on the same pairs: the table and the scatter a page shows."""

    pairs: Pairs
    results: list[STSResult]

    def frame(self) -> pd.DataFrame:
        return results_frame(self.results)

    def figure(self):
        """Each model's cosine against the human score, one panel a model."""
        from .figures.models import sts_figure

        return sts_figure(
            self.pairs.scores,
            [(r.name, r.cosines, r.spearman) for r in self.results],
            (self.pairs.a, self.pairs.b),
        )


def score_file(
    data: bytes,
    name: str,
    models: Sequence,
    *,
    columns: Sequence[str] | None = None,
    hooks: Sequence[Hook] = (),
) -> Scores:
    """Read a pairs file's bytes and score each model on it (the app's upload)."""
    pairs = read_pairs(data, name, columns)
    return Scores(pairs, [score_model(pairs, m, hooks=hooks) for m in models])


def results_frame(results: Sequence[STSResult]) -> pd.DataFrame:
    """The scores as a table: model, Spearman, Pearson, pairs, seconds."""
    return pd.DataFrame(
        {
            "model": [r.name for r in results],
            "spec": [r.model for r in results],
            "spearman": [round(r.spearman, 4) for r in results],
            "pearson": [round(r.pearson, 4) for r in results],
            "pairs": [r.n_pairs for r in results],
            "seconds": [round(r.seconds, 1) for r in results],
        }
    )
