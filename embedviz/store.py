"""Saved analyses: an open folder format that reopens the same view without encoding or
fitting again (latent-scope's "scope" folders serve the same purpose).

A folder holds three files::

    points.parquet   one row per text: row, text, the input's other columns, cluster,
                     cluster_name, neighbours_kept_of_K, x, y (z)
    embeddings.npy   float32 (n_texts, dim), rows in the points' order
    manifest.json    format and version, model spec, method and the parameters actually
                     used, seed, library versions, scores, cluster names, keywords, LLM
                     labels and explanations, axis titles, notes

Nothing is pickled: the Parquet and JSON are read as data and the ``.npy`` with
``allow_pickle=False``, so opening a folder someone sent cannot run code. A zip of the
folder (:func:`to_zip`, :func:`from_zip`) is how the app downloads and opens one.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .errors import InputError

FORMAT = "embedviz-analysis"
VERSION = 1
POINTS = "points.parquet"
EMBEDDINGS = "embeddings.npy"
MANIFEST = "manifest.json"
FILES = (POINTS, EMBEDDINGS, MANIFEST)
#: A zip larger than this once unpacked is refused (a small zip can unpack to gigabytes).
MAX_UNZIPPED_BYTES = 2 * 2**30
_FIXED_COLUMNS = ("row", "text", "cluster", "cluster_name", "x", "y", "z")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    out = {"embedviz": __version__}
    for package in ("numpy", "scikit-learn", "umap-learn", "pacmap", "openTSNE", "plotly"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            continue
    return out


def _ids(d: dict) -> dict[str, object]:
    return {str(k): v for k, v in d.items()}


def save(analysis, folder: str | Path) -> Path:
    """Write ``analysis`` into ``folder`` (created if needed; its three files replaced)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = analysis.points_frame()
    try:
        frame.to_parquet(folder / POINTS, index=False)
    except ImportError as err:
        raise ImportError("Saving an analysis needs pyarrow: pip install pyarrow") from err
    np.save(folder / EMBEDDINGS, np.asarray(analysis.embeddings, dtype=np.float32))
    score_column = f"neighbours_kept_of_{analysis.scores.get('k', 0)}"
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": _versions(),
        "n_texts": analysis.n_texts,
        "dim": int(analysis.embeddings.shape[1]),
        "source": analysis.source,
        "model": analysis.params["model"],
        "model_name": analysis.model_name,
        "params": analysis.params,
        "axis_titles": analysis.axis_titles,
        "scores": analysis.scores,
        "neighbourhood_column": score_column,
        "columns": list(analysis.columns),
        "label_name": analysis.label_name,
        "keywords": _ids(analysis.keywords),
        "llm_labels": _ids(analysis.llm_labels),
        "explanations": _ids(analysis.explanations),
        "read_summary": analysis.read_summary,
        "input_notes": analysis.input_notes,
        "warnings": analysis.warnings,
        "cluster_summary": analysis.cluster_summary,
    }
    (folder / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8"
    )
    return folder


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def is_saved_analysis(path: str | Path) -> bool:
    path = Path(path)
    return path.is_dir() and (path / MANIFEST).is_file()


def load(folder: str | Path):
    """The :class:`~embedviz.pipeline.Analysis` saved in ``folder``.

    Raises:
        InputError: not an embedviz analysis folder, a newer format, or files that disagree
            (the message says which).
    """
    import pandas as pd

    from .pipeline import Analysis

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
    if manifest.get("format") != FORMAT:
        raise InputError(f"{folder / MANIFEST} is not an embedviz analysis manifest.")
    if int(manifest.get("version", 0)) > VERSION:
        raise InputError(
            f"{folder} was saved by a newer embedviz (format {manifest['version']}); "
            "upgrade embedviz to open it."
        )
    try:
        frame = pd.read_parquet(folder / POINTS)
    except ImportError as err:
        raise ImportError("Opening an analysis needs pyarrow: pip install pyarrow") from err
    except Exception as err:  # pyarrow raises several types for a broken file
        raise InputError(f"{folder / POINTS} cannot be read as Parquet ({err}).") from err
    try:
        X = np.load(folder / EMBEDDINGS, allow_pickle=False)
    except ValueError as err:
        raise InputError(f"{folder / EMBEDDINGS} is not a numeric .npy array ({err}).") from err
    params = manifest["params"]
    dims = int(params["dims"])
    n = len(frame)
    if X.ndim != 2 or X.shape[0] != n or n != manifest.get("n_texts", n):
        raise InputError(
            f"{folder}: {n} points but embeddings of shape {X.shape}; the files do not belong "
            "together. Save the analysis again."
        )
    axes = list("xyz"[:dims])
    label_name = manifest.get("label_name")
    columns = {
        c: frame[c].astype(str).tolist()
        for c in manifest.get("columns", [])
        if c in frame and c not in _FIXED_COLUMNS
    }
    score_column = manifest.get("neighbourhood_column")
    neighbourhood = (
        frame[score_column].to_numpy(np.float32)
        if score_column in frame
        else np.full(n, np.nan, np.float32)
    )
    return Analysis(
        texts=frame["text"].astype(str).tolist(),
        embeddings=X.astype(np.float32, copy=False),
        coords=frame[axes].to_numpy(np.float32),
        clusters=frame["cluster"].to_numpy(np.int64),
        keywords=_int_keys(manifest.get("keywords", {})),
        scores=manifest.get("scores", {}),
        neighbourhood=neighbourhood,
        params=params,
        rows=[int(r) for r in frame["row"]],
        axis_titles=list(manifest.get("axis_titles", axes)),
        model_name=manifest.get("model_name", params.get("model", "")),
        columns=columns,
        labels=frame[label_name].astype(str).tolist() if label_name in frame else None,
        label_name=label_name if label_name in frame else None,
        llm_labels=_int_keys(manifest.get("llm_labels", {})),
        explanations=_int_keys(manifest.get("explanations", {})),
        source=manifest.get("source", folder.name),
        read_summary=manifest.get("read_summary", ""),
        input_notes=list(manifest.get("input_notes", [])),
        warnings=list(manifest.get("warnings", [])),
        cluster_summary=manifest.get("cluster_summary", ""),
    )


def _int_keys(d: dict) -> dict[int, str]:
    return {int(k): str(v) for k, v in d.items()}


def to_zip(analysis) -> bytes:
    """The saved folder as one zip (what the app's download button gives)."""
    with tempfile.TemporaryDirectory(prefix="embedviz-save-") as tmp:
        save(analysis, tmp)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in FILES:
                zf.write(Path(tmp) / name, arcname=name)
        return buffer.getvalue()


def from_zip(data: bytes):
    """Open an analysis from the zip :func:`to_zip` made.

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
            with zf.open(entries[name]) as src, open(Path(tmp) / name, "wb") as dst:
                dst.write(src.read(entries[name].file_size + 1)[: entries[name].file_size])
        return load(tmp)
