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
the three parts to and from disk (and a zip), writes an analysis's manifest
(:func:`manifest`) and reads a saved one back into the fields of an
:class:`~embedviz.analysis.Analysis` (:func:`fields`). The manifest keeps the
:class:`~embedviz.spec.RunSpec` that made the run (format 2; format 1 kept a dict of
``params``, still read).
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

from .errors import EmbedvizError, InputError
from .export import neighbourhood_column, topic_ids
from .spec import RunSpec
from .topics import LEVEL_NAMES, TopicTree

if TYPE_CHECKING:
    import pandas as pd

FORMAT = "embedviz-analysis"
VERSION = 2
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
    dims = int((manifest.get("spec") or manifest.get("params") or {}).get("dims", 0))
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


# ---------------------------------------------------------------- an analysis's fields


def manifest(analysis) -> dict:
    """What an analysis's manifest.json holds besides the format and versions."""
    return {
        "n_texts": analysis.n_texts,
        "dim": int(analysis.embeddings.shape[1]),
        "source": analysis.source,
        "model": analysis.spec.model,
        "model_name": analysis.model_name,
        "spec": analysis.spec.to_dict(),
        "projection_params": analysis.projection_params,
        "clusters_found": analysis.clusters_found,
        "own_embeddings": analysis.own_embeddings,
        "axis_titles": analysis.axis_titles,
        "scores": analysis.scores,
        "neighbourhood_column": neighbourhood_column(analysis),
        "columns": list(analysis.columns),
        "label_name": analysis.label_name,
        "keywords": _str_keys(analysis.keywords),
        "llm_labels": _str_keys(analysis.llm_labels),
        "explanations": _str_keys(analysis.explanations),
        "misfits": {str(c): [int(i) for i in p] for c, p in analysis.misfits.items()},
        "read_summary": analysis.read_summary,
        "input_notes": analysis.input_notes,
        "warnings": analysis.warnings,
        "cluster_summary": analysis.cluster_summary,
        "tree": None if analysis.tree is None else analysis.tree.to_json(),
    }


#: Columns of the points table that are not the input's own.
_FIXED_COLUMNS = ("row", "text", "cluster", "cluster_name", "llm_misfit", "x", "y", "z",
                  "topic_coarse", "topic_fine")  # fmt: skip


def _tree(points: pd.DataFrame, manifest: dict, clusters: np.ndarray) -> TopicTree | None:
    """The topic tree a manifest and the points' level columns hold, or None."""
    data = manifest.get("tree")
    if not isinstance(data, dict):
        return None
    names = tuple(data.get("levels", ()))
    if not names or not set(names) <= set(LEVEL_NAMES):
        return None
    levels = []
    for k, level in enumerate(names):
        if k == int(data.get("base", 0)):
            levels.append(clusters)
        elif f"topic_{level}" in points:
            levels.append(topic_ids(points[f"topic_{level}"]))
        else:
            return None
    return TopicTree.from_json(data, levels)


def _spec_of(manifest: dict) -> tuple[RunSpec, dict, int, bool]:
    """(spec, projection parameters used, clusters found, own embeddings) of a manifest of
    either format."""
    try:
        if "spec" in manifest:
            return (
                RunSpec.from_dict(manifest["spec"]),
                dict(manifest.get("projection_params") or {}),
                int(manifest.get("clusters_found") or 0),
                bool(manifest.get("own_embeddings")),
            )
        params = manifest.get("params") or {}  # format 1
        used = dict(params.get("projection") or {})
        spec = RunSpec(
            model=params.get("model") or "your embeddings",
            method=params["method"],
            dims=params["dims"],
            projection=used,
            cluster=params.get("cluster", "none"),
            k=params.get("k"),
            clustering=params.get("cluster_params") or {},
            random_state=params.get("random_state", 0),
        )
        found = int(params.get("clusters_found") or 0)
        return spec, used, found, bool(params.get("own_embeddings"))
    except (EmbedvizError, KeyError, TypeError, ValueError) as err:
        raise InputError(f"The manifest's run settings cannot be read: {err}") from err


def fields(points: pd.DataFrame, X: np.ndarray, manifest: dict) -> dict:
    """The keyword arguments of an :class:`~embedviz.analysis.Analysis` from a saved
    folder's three parts (already checked by :func:`read`)."""
    spec, used, found, own = _spec_of(manifest)
    axes = list("xyz"[: spec.dims])
    label_name = manifest.get("label_name")
    columns = {
        c: points[c].astype(str).tolist()
        for c in manifest.get("columns", [])
        if c in points and c not in _FIXED_COLUMNS
    }
    score_column = manifest.get("neighbourhood_column")
    n = len(points)
    neighbourhood = (
        points[score_column].to_numpy(np.float32)
        if score_column in points
        else np.full(n, np.nan, np.float32)
    )
    return dict(
        texts=points["text"].astype(str).tolist(),
        embeddings=X.astype(np.float32, copy=False),
        coords=points[axes].to_numpy(np.float32),
        clusters=points["cluster"].to_numpy(np.int64),
        keywords=_int_keys(manifest.get("keywords", {})),
        scores=manifest.get("scores", {}),
        neighbourhood=neighbourhood,
        spec=spec,
        projection_params=used,
        clusters_found=found,
        own_embeddings=own,
        rows=[int(r) for r in points["row"]],
        axis_titles=list(manifest.get("axis_titles", axes)),
        model_name=manifest.get("model_name", spec.model),
        columns=columns,
        labels=points[label_name].astype(str).tolist() if label_name in points else None,
        label_name=label_name if label_name in points else None,
        llm_labels=_int_keys(manifest.get("llm_labels", {})),
        explanations=_int_keys(manifest.get("explanations", {})),
        misfits=_misfits(manifest.get("misfits", {}), n),
        source=manifest.get("source", "saved analysis"),
        read_summary=manifest.get("read_summary", ""),
        input_notes=list(manifest.get("input_notes", [])),
        warnings=list(manifest.get("warnings", [])),
        cluster_summary=manifest.get("cluster_summary", ""),
        tree=_tree(points, manifest, points["cluster"].to_numpy(np.int64)),
    )


def _str_keys(d: dict) -> dict[str, str]:
    return {str(k): v for k, v in d.items()}


def _int_keys(d: dict) -> dict[int, str]:
    return {int(k): str(v) for k, v in d.items()}


def _misfits(saved: dict, n: int) -> dict[int, list[int]]:
    """The saved misfits, checked: positions that are not texts are dropped."""
    out = {}
    for c, positions in saved.items():
        kept = [int(i) for i in positions if isinstance(i, int) and 0 <= i < n]
        if kept:
            out[int(c)] = kept
    return out
