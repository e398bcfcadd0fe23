"""Checks shared by every stage that takes embeddings (project, cluster, similarity)."""

from __future__ import annotations

import numpy as np

from .errors import InputError


class ClampWarning(UserWarning):
    """A parameter was too large for the data and was lowered; the message says to what."""


def _row_norms(X: np.ndarray) -> np.ndarray:
    """Each row's length ``(n, 1)``, a block of rows at a time: no temporary the size of
    ``X`` (2 GB at a million texts; a memory-mapped ``X`` is read through once)."""
    norms = np.empty((X.shape[0], 1), dtype=np.float32)
    step = max(1, 2**24 // max(1, X.shape[1]))  # 64 MiB of float32 a block
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, X.shape[0], step):
            block = X[start : start + step]
            norms[start : start + step, 0] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return norms


def check_embeddings(X) -> np.ndarray:
    """Validate and L2-normalise rows; all-zero rows stay zero.

    Rows that already have unit length (or are all zero) come back as they are, not copied:
    every stage checks its input, and at a million texts each copy was 2 GB.

    Returns:
        float32 array ``(n_texts, dim)``.

    Raises:
        InputError: not 2-D, no rows, or NaN / infinity in it.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise InputError(f"Embeddings must be a 2-D array (n_texts, dim), got shape {X.shape}.")
    if X.shape[0] == 0:
        raise InputError("There are no texts to project. Give at least one non-empty text.")
    norms = _row_norms(X)
    # A NaN or an infinity anywhere in a row makes its norm NaN or infinite (an overflow of
    # huge finite values does too, and those would not normalise either).
    if not np.isfinite(norms).all():
        if not np.isfinite(X).all():
            raise InputError("Embeddings contain NaN or infinity; re-encode the texts.")
        X = X.astype(np.float64)
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0).astype(np.float32)
    if np.all((np.abs(norms - 1.0) < 1e-5) | (norms == 0)):
        return X
    return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)
