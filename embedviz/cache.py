"""Embeddings cached on disk, keyed by model and texts, so a second run or a re-projection
skips encoding.

The folder is ``$EMBEDVIZ_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/embedviz``, else
``~/.cache/embedviz``. Files are plain ``.npy`` arrays (loaded with ``allow_pickle=False``),
one per (model, list of texts); writes go through a temporary file, so two processes never
see half a file. Delete the folder to clear it.

Example:
    >>> X = cached_encode(encoder, texts)  # doctest: +SKIP  (encodes, then saves)
    >>> X = cached_encode(encoder, texts)  # doctest: +SKIP  (reads the file)
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .settings import cache_root

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where embedviz keeps its caches (embeddings, exported ONNX models): see
    :func:`embedviz.settings.cache_root`."""
    return cache_root()


def embeddings_key(model_key: str, texts: Sequence[str]) -> str:
    h = hashlib.sha256(model_key.encode("utf-8"))
    h.update(len(texts).to_bytes(8, "little"))
    for text in texts:
        data = text.encode("utf-8")
        h.update(len(data).to_bytes(8, "little"))  # so that ["ab", "c"] != ["a", "bc"]
        h.update(data)
    return h.hexdigest()


def load_embeddings(
    model_key: str, texts: Sequence[str], dim: int | None = None
) -> np.ndarray | None:
    """The cached embeddings of these texts, or None. An entry that is not what this model
    could have made is a miss: it is deleted and reported, and the texts are encoded again
    (and the entry replaced). Wrong are: an empty, truncated or unreadable file; another
    shape or dtype; NaN or infinity; a text whose vector is all zeros (no model maps a
    non-empty text to nothing; a file of zeros would make every cosine 0); different texts
    with one and the same vector; a folder where the file should be."""
    path = cache_dir() / "embeddings" / f"{embeddings_key(model_key, texts)}.npy"
    if path.is_dir():
        return _discard(path, "a folder, not a file")
    if not path.is_file():
        return None
    try:
        X = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:  # EOFError: an empty or cut file
        return _discard(path, f"unreadable ({type(err).__name__}: {err})")
    if X.dtype != np.float32 or X.ndim != 2 or X.shape[0] != len(texts):
        return _discard(path, f"{X.dtype} array of shape {X.shape} for {len(texts)} texts")
    if dim is not None and X.shape[1] != dim:
        return _discard(path, f"{X.shape[1]} dimensions where the model makes {dim}")
    if not np.isfinite(X).all():
        return _discard(path, "NaN or infinity in it")
    zero = ~X.any(axis=1)
    if zero.any():
        return _discard(path, f"{int(zero.sum()):,} of its {len(X):,} vectors all zeros")
    if len(X) > 1 and len(set(texts)) > 1 and not (X[0] != X).any():
        return _discard(path, "one vector for every text")
    return X


def _discard(path: Path, why: str) -> None:
    log.warning("embedding cache entry %s is wrong (%s); encoding again", path.name, why)
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return None


def save_embeddings(model_key: str, texts: Sequence[str], X: np.ndarray) -> Path | None:
    """Save; a cache that cannot be written (read-only home, full disk) is logged, not fatal."""
    folder = cache_dir() / "embeddings"
    path = folder / f"{embeddings_key(model_key, texts)}.npy"
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as file:
            tmp = Path(file.name)
            np.save(file, np.asarray(X, dtype=np.float32), allow_pickle=False)
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        log.warning("could not write the embedding cache %s: %s", path, err)
        return None
    finally:
        if tmp is not None:  # never leave a half-written or unplaced temporary behind
            with contextlib.suppress(OSError):
                tmp.unlink()
    return path


def _dim(encoder) -> int | None:
    try:
        return int(encoder.dim)
    except Exception:  # an encoder that only knows its width after encoding
        return None


def cached_encode(encoder, texts: Sequence[str], *, progress=None, use_cache: bool = True):
    """``encoder.encode(texts)``, read from the disk cache when these texts were encoded by
    this model before.

    Returns:
        (X, hit): float32 ``(n_texts, dim)`` and whether it came from the cache.
    """
    texts = list(texts)
    # An encoder that cannot say what identifies its output (a user's own object) is never
    # cached: a changed model would otherwise be served stale vectors.
    use_cache = use_cache and encoder.cache_key is not None
    if use_cache:
        X = load_embeddings(encoder.cache_key, texts, dim=_dim(encoder))
        if X is not None:
            if progress is not None:
                progress(len(texts), len(texts))
            return X, True
    X = encoder.encode(texts, progress=progress)
    if use_cache and len(texts):
        save_embeddings(encoder.cache_key, texts, X)
    return X, False
