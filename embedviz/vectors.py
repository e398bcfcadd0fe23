"""Bring your own embeddings: read vectors the user already has and check them against the
texts, so that every mistake gets one clear message instead of a wrong picture.

Vectors come as a ``.npy`` file (rows in input order), or as a column of a Parquet table
(list/array values) or of a CSV (``"[0.1, 0.2, ...]"`` or ``"0.1 0.2 ..."`` per cell).

Example:
    >>> check_vectors([[1, 0], [0, 1]], n_texts=2).shape
    (2, 2)
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import InputError

_NUMBER_SPLIT = re.compile(r"[\s,;]+")


def check_vectors(vectors, n_texts: int, source: str = "the embeddings") -> np.ndarray:
    """The vectors as float32 ``(n_texts, dim)``.

    Raises:
        InputError: ragged rows, a row count that is not ``n_texts``, NaN or infinity, not
            numbers; the message says which rows and what to do.
    """
    source = source[:1].upper() + source[1:]
    if isinstance(vectors, np.ndarray) and vectors.dtype != object:
        X = vectors
    else:
        rows = [np.asarray(v, dtype=np.float64).ravel() for v in vectors]
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            counts = {w: sum(len(r) == w for r in rows) for w in widths}
            common = max(counts, key=counts.get)
            bad = [i + 1 for i, r in enumerate(rows) if len(r) != common][:10]
            raise InputError(
                f"{source} are ragged: most rows have {common} numbers but rows "
                f"{', '.join(map(str, bad))} do not. Every text needs a vector of the same length."
            )
        X = np.vstack(rows) if rows else np.zeros((0, 0))
    if X.dtype.kind not in "fiu":
        raise InputError(f"{source} must be numbers, got an array of {X.dtype}.")
    if X.ndim != 2:
        raise InputError(
            f"{source} must be a 2-D array, one row per text (n_texts, dim); got shape {X.shape}."
        )
    if X.shape[0] != n_texts:
        raise InputError(
            f"{source} have {X.shape[0]:,} rows but there are {n_texts:,} texts. Give one "
            "vector per text, in the texts' order (rows skipped as empty texts included in "
            "neither)."
        )
    finite = np.isfinite(X).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)[:10] + 1
        raise InputError(
            f"{source} hold NaN or infinity in rows {', '.join(map(str, bad))}"
            f"{' and more' if (~finite).sum() > 10 else ''}. Re-encode those texts."
        )
    return np.ascontiguousarray(X, dtype=np.float32)


def parse_vector_cells(cells: Sequence) -> list[np.ndarray]:
    """Vectors from a table column: arrays as they are, text cells parsed as numbers.

    Raises:
        InputError: a cell that is not a list of numbers (the message names the row).
    """
    out = []
    for row, cell in enumerate(cells, start=1):
        if isinstance(cell, (list, tuple, np.ndarray)):
            out.append(np.asarray(cell, dtype=np.float64))
            continue
        text = str(cell).strip().strip("[]()")
        try:
            out.append(np.array([float(x) for x in _NUMBER_SPLIT.split(text) if x], np.float64))
        except ValueError as err:
            raise InputError(
                f"Row {row} of the vector column is not a list of numbers ({str(cell)[:40]!r}). "
                "Write each vector as [0.1, 0.2, ...]."
            ) from err
    return out


def read_npy(data: bytes | str | Path, name: str = "the .npy file") -> np.ndarray:
    """A ``.npy`` array, never unpickled (a pickle in a .npy file could run code); memory-
    mapped, read-only, above :func:`embedviz.settings.memmap_above_bytes`.

    Raises:
        InputError: not a .npy file, or an object array.
        ParameterError: EMBEDVIZ_MEMMAP_ABOVE_MB is set but not a whole number.
    """
    from .settings import memmap_above_bytes

    # Read before the file is: a bad setting is the operator's to fix, not the file's.
    memmap_above = memmap_above_bytes() if not isinstance(data, bytes) else 0
    try:
        if isinstance(data, bytes):
            return np.load(io.BytesIO(data), allow_pickle=False)
        if Path(data).is_dir():  # a shard folder that `embedviz embed --out FOLDER` wrote
            from .shards import ShardStore

            return ShardStore(data).gather_for_reading(memmap_above)
        # A large file stays on disk: the stages read its rows a block at a time.
        large = Path(data).stat().st_size > memmap_above
        return np.load(Path(data), allow_pickle=False, mmap_mode="r" if large else None)
    except FileNotFoundError as err:
        raise InputError(f"No such file: {data}. Check the path.") from err
    except ValueError as err:
        raise InputError(
            f"{name} is not a plain numeric .npy array ({err}). Save it with "
            "np.save(path, X.astype('float32'))."
        ) from err
    except OSError as err:
        raise InputError(f"Could not read {name} as .npy: {err}.") from err
