"""Saved analyses on disk: an open folder format that reopens the same view without
encoding or fitting again (latent-scope's "scope" folders serve the same purpose).

A folder holds three files::

    points.parquet   one row per text: row, text, the input's other columns, cluster,
                     cluster_name, neighbours_kept_of_K, x, y (z)
    embeddings.npy   float32 (n_texts, dim), rows in the points' order
    manifest.json    format and version, model spec, method and the parameters actually
                     used, seed, library versions, scores, cluster names, keywords, LLM
                     labels and explanations, axis titles, notes

Nothing is pickled: the Parquet and JSON are read as data and the ``.npy`` with
``allow_pickle=False``, so opening a folder someone sent cannot run code. This module moves
the three parts to and from disk (and a zip); :mod:`embedviz.analysis` makes them from an
Analysis and an Analysis from them.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:
    import pandas as pd

FORMAT = "embedviz-analysis"
VERSION = 1
POINTS = "points.parquet"
EMBEDDINGS = "embeddings.npy"
MANIFEST = "manifest.json"
FILES = (POINTS, EMBEDDINGS, MANIFEST)
#: A zip larger than this once unpacked is refused (a small zip can unpack to gigabytes).
MAX_UNZIPPED_BYTES = 2 * 2**30


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from ._version import __version__

    out = {"embedviz": __version__}
    for package in ("numpy", "scikit-learn", "umap-learn", "pacmap", "openTSNE", "plotly"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            continue
    return out


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def write(folder: str | Path, points: pd.DataFrame, embeddings: np.ndarray, manifest: dict) -> Path:
    """Write the three files into ``folder`` (created if needed); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        points.to_parquet(folder / POINTS, index=False)
    except ImportError as err:
        raise ImportError("Saving an analysis needs pyarrow: pip install pyarrow") from err
    np.save(folder / EMBEDDINGS, np.asarray(embeddings, dtype=np.float32), allow_pickle=False)
    head = {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": _versions(),
    }
    (folder / MANIFEST).write_text(
        json.dumps({**head, **manifest}, ensure_ascii=False, indent=2, default=_json_default),
        encoding="utf-8",
    )
    return folder


def is_saved_analysis(path: str | Path) -> bool:
    path = Path(path)
    return path.is_dir() and (path / MANIFEST).is_file()


def read(folder: str | Path) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """The points, the embeddings and the manifest of a saved folder, checked.

    Raises:
        InputError: not an embedviz analysis folder, a newer format, or files that disagree
            (the message says which).
    """
    import pandas as pd

    folder = Path(folder)
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise InputError(
            f"{folder} is not a saved embedviz analysis: {', '.join(missing)} missing. "
            "Give the folder that `--save` or Analysis.save() wrote."
        )
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{folder / MANIFEST} is not valid JSON ({err}).") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{folder / MANIFEST} is not an embedviz analysis manifest.")
    if int(manifest.get("version", 0)) > VERSION:
        raise InputError(
            f"{folder} was saved by a newer embedviz (format {manifest['version']}); "
            "upgrade embedviz to open it."
        )
    try:
        points = pd.read_parquet(folder / POINTS)
    except ImportError as err:
        raise ImportError("Opening an analysis needs pyarrow: pip install pyarrow") from err
    except Exception as err:  # pyarrow raises several types for a broken file
        raise InputError(f"{folder / POINTS} cannot be read as Parquet ({err}).") from err
    try:
        X = np.load(folder / EMBEDDINGS, allow_pickle=False)
    except ValueError as err:
        raise InputError(f"{folder / EMBEDDINGS} is not a numeric .npy array ({err}).") from err
    n = len(points)
    if X.ndim != 2 or X.shape[0] != n or n != manifest.get("n_texts", n):
        raise InputError(
            f"{folder}: {n} points but embeddings of shape {X.shape}; the files do not belong "
            "together. Save the analysis again."
        )
    dims = int(manifest.get("params", {}).get("dims", 0))
    needed = {"row", "text", "cluster", *"xyz"[:dims]}
    if dims not in (2, 3) or not needed <= set(points.columns):
        raise InputError(f"{folder / POINTS} lacks the columns {sorted(needed)} of a saved map.")
    return points, X, manifest


def zip_folder(save: Callable[[Path], Path]) -> bytes:
    """A zip of the three files that ``save(folder)`` writes into a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="embedviz-save-") as tmp:
        save(Path(tmp))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in FILES:
                zf.write(Path(tmp) / name, arcname=name)
        return buffer.getvalue()


def read_zip(data: bytes) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """The three parts of a zipped analysis (see :func:`read`).

    Only the three known files are read, each checked for its unpacked size first, so a
    zip bomb or a path like ``../../x`` inside the zip does nothing.

    Raises:
        InputError: not a zip, files missing, or too large unpacked.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise InputError(
            "This is not a zip file. Upload the .zip that 'Download the analysis' gave."
        ) from err
    with zf, tempfile.TemporaryDirectory(prefix="embedviz-open-") as tmp:
        entries = {info.filename: info for info in zf.infolist()}
        missing = [name for name in FILES if name not in entries]
        if missing:
            raise InputError(
                f"The zip holds no {', '.join(missing)}: it is not a saved embedviz analysis."
            )
        total = sum(entries[name].file_size for name in FILES)
        if total > MAX_UNZIPPED_BYTES:
            raise InputError(
                f"The analysis unpacks to {total / 2**30:.1f} GiB, over the "
                f"{MAX_UNZIPPED_BYTES / 2**30:.0f} GiB limit."
            )
        for name in FILES:
            size = entries[name].file_size
            with zf.open(entries[name]) as src, open(Path(tmp) / name, "wb") as dst:
                # Never more than the size the zip declared, whatever the stream holds.
                dst.write(src.read(size + 1)[:size])
        return read(tmp)
