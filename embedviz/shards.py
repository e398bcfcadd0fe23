"""Encode a corpus larger than memory: texts read as a stream, embeddings written as Parquet
shards in input order, by one process or by a Ray cluster (:mod:`embedviz.ray_engine`).

A shard folder holds::

    manifest.json               what was encoded: input, column, model, shard size, counts
    texts/part-00000.parquet    pos (0-based among the kept texts), row (1-based input row), text
    embeddings/part-00000.parquet   pos, embedding (float32 list of the model's dimension)

Shard ``i`` holds the kept texts ``i * rows_per_shard`` up to the next shard's first. A shard's
embeddings file appears at once (written beside and renamed) when all its rows are encoded, so
a run that stops leaves finished shards only, and a rerun encodes the others.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "in.txt").write_text("a\\n\\nb\\n", encoding="utf-8")
    >>> stream = TextStream(folder / "in.txt")
    >>> [(c.index, c.start, c.rows, c.texts) for c in stream], stream.summary()
    ([(0, 0, [1, 3], ['a', 'b'])], 'Read 3 rows; kept 2 texts; skipped 1 (1 blank line; rows 2).')
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EmbedvizError, InputError
from .inputs import (
    Skipped,
    _sniff_delimiter,
    _unique_columns,
    clean_texts,
    decode_bytes,
    guess_text_column,
    read_summary,
)

#: Kept texts per shard: a unit of work for a Ray worker and of what a rerun redoes.
SHARD_ROWS = 8192
#: Input rows read at a time while streaming.
READ_ROWS = 4096
#: Bytes of the file decoded to tell its encoding and delimiter before streaming the rest.
SNIFF_BYTES = 1 << 20
#: Skipped rows remembered by row number (all are counted).
KEEP_SKIPPED = 1000

_CODECS = {
    "UTF-8": "utf-8",
    "UTF-8 with BOM": "utf-8-sig",
    "UTF-16": "utf-16",
    "GB18030 (GBK)": "gb18030",
    "Big5": "big5",
}
STREAM_SUFFIXES = (".txt", ".csv", ".tsv", ".parquet")


class ShardError(EmbedvizError):
    """A shard folder that cannot be used as asked; the message says what to do."""


@dataclass
class Chunk:
    """One shard's texts: its index, the position of its first text among all kept texts,
    each text's 1-based input row, the texts."""

    index: int
    start: int
    rows: list[int]
    texts: list[str]


@dataclass
class TextStream:
    """The texts of a .txt, .csv/.tsv or .parquet file, read a block at a time and cleaned as
    :func:`embedviz.inputs.clean_texts` cleans them (stripped; empty rows skipped and said),
    grouped into shards of ``rows_per_shard`` kept texts.

    Iterating reads the file again from the start; after a full pass ``n_read``, ``n_kept``
    and ``skipped`` describe it.
    """

    path: Path
    column: str | None = None
    header: bool = True
    rows_per_shard: int = SHARD_ROWS
    n_read: int = 0
    n_kept: int = 0
    n_skipped: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.path = Path(self.path)
        if not self.path.is_file():
            raise InputError(f"No such file: {self.path}. Check the path.")
        suffix = self.path.suffix.lower()
        if suffix not in STREAM_SUFFIXES:
            raise InputError(
                f"Cannot stream {self.path.name!r}: use one of {', '.join(STREAM_SUFFIXES)} "
                "(an .xlsx sheet is read whole by `embedviz embed` without --engine/--out DIR)."
            )

    def __iter__(self) -> Iterator[Chunk]:
        self.n_read = self.n_kept = self.n_skipped = 0
        self.skipped, self.notes = [], []
        rows: list[int] = []
        texts: list[str] = []
        index = 0
        for values in self._blocks():
            batch = clean_texts(values, empty_reason=self._empty_reason)
            offset = self.n_read
            self.n_read += len(values)
            for s in batch.skipped:
                self.n_skipped += 1
                if len(self.skipped) < KEEP_SKIPPED:
                    self.skipped.append(Skipped(s.row + offset, s.reason))
            self.notes.extend(n for n in batch.notes if n not in self.notes)
            for row, text in zip(batch.rows, batch.texts, strict=True):
                rows.append(row + offset)
                texts.append(text)
                if len(texts) == self.rows_per_shard:
                    yield Chunk(index, self.n_kept, rows, texts)
                    self.n_kept += len(texts)
                    index, rows, texts = index + 1, [], []
        if texts:
            yield Chunk(index, self.n_kept, rows, texts)
            self.n_kept += len(texts)

    @property
    def _empty_reason(self) -> str:
        return "blank line" if self.path.suffix.lower() == ".txt" else "empty cell"

    def _blocks(self) -> Iterator[list]:
        suffix = self.path.suffix.lower()
        if suffix == ".parquet":
            yield from self._parquet_blocks()
            return
        codec, delimiter = self._sniff(suffix)
        with open(self.path, encoding=codec, newline="" if delimiter else None) as f:
            if not delimiter:
                block: list = []
                for line in f:
                    block.append(line.rstrip("\r\n"))
                    if len(block) == READ_ROWS:
                        yield block
                        block = []
                if block:
                    yield block
                return
            csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
            reader = csv.reader(f, delimiter=delimiter)
            first = next(reader, None)
            if first is None:
                return
            if self.header:
                names = _unique_columns(first, self.path.name)
                pending: list[list[str]] = []
            else:
                names = [f"column {i + 1}" for i in range(len(first))]
                pending = [first]
            at = self._column_index(names, reader, pending)
            block = [r[at] if at < len(r) else "" for r in pending]
            for record in reader:
                block.append(record[at] if at < len(record) else "")
                if len(block) == READ_ROWS:
                    yield block
                    block = []
            if block:
                yield block

    def _column_index(self, names: list[str], reader, pending: list) -> int:
        """Where the text column is: the named one, else guessed from the first rows (read
        into ``pending``, which the caller emits first)."""
        import pandas as pd

        if self.column is None:
            for record in reader:
                pending.append(record)
                if len(pending) >= 200:
                    break
            rows = [(r + [""] * len(names))[: len(names)] for r in pending]
            self._guess_column(pd.DataFrame(rows, columns=names, dtype=str))
        self._check_column(names)
        return names.index(self.column)

    def _guess_column(self, sample) -> None:
        self.column = guess_text_column(sample)
        self.notes.append(f"Texts read from column {self.column!r} (name another with --column).")

    def _check_column(self, names: list[str]) -> None:
        if self.column not in names:
            listed = ", ".join(repr(c) for c in names)
            raise InputError(f"There is no text column {self.column!r}. The columns are: {listed}.")

    def _sniff(self, suffix: str) -> tuple[str, str | None]:
        with open(self.path, "rb") as f:
            head = f.read(SNIFF_BYTES)
            more = f.read(1)
        if not head.strip():
            raise InputError(f"{self.path.name} is empty. Put one text a line, or a table.")
        if more:  # cut at a line end, so no character is split
            head = head[: head.rfind(b"\n") + 1] or head
        text, encoding = decode_bytes(head, self.path.name)
        codec = _CODECS.get(encoding, encoding)
        if encoding != "UTF-8":
            self.notes.append(f"Read {self.path.name} as {encoding}.")
        if suffix == ".txt":
            return codec, None
        return codec, _sniff_delimiter(text[:65536], suffix)

    def _parquet_blocks(self) -> Iterator[list]:
        import pyarrow.parquet as pq

        file = pq.ParquetFile(self.path)
        names = file.schema_arrow.names
        if self.column is None:
            head = next(file.iter_batches(batch_size=200), None)
            if head is None:
                return
            self._guess_column(head.to_pandas())
        self._check_column(names)
        for batch in file.iter_batches(batch_size=READ_ROWS, columns=[self.column]):
            yield batch.column(0).to_pylist()

    def summary(self) -> str:
        """What was read, kept and skipped, as :meth:`embedviz.inputs.TextBatch.summary` says
        (repeated texts are not counted: that would hold every text)."""
        return read_summary(self.n_read, self.n_kept, self.skipped, n_skipped=self.n_skipped)


def _atomic_write_table(table, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    pq.write_table(table, part)
    os.replace(part, path)


class ShardStore:
    """A folder of text and embedding shards (see the module's docstring)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    # -- layout ------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    def text_path(self, index: int) -> Path:
        return self.folder / "texts" / f"part-{index:05d}.parquet"

    def embedding_path(self, index: int) -> Path:
        return self.folder / "embeddings" / f"part-{index:05d}.parquet"

    def manifest(self) -> dict | None:
        if not self.manifest_path.is_file():
            return None
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    # -- writing -----------------------------------------------------------------------
    def begin(self, plan: dict) -> bool:
        """Start or resume a run described by ``plan`` (source, column, model, shard size).

        Returns:
            True when the folder already holds a run of the same plan (its finished shards
            are kept), False for a new folder.

        Raises:
            ShardError: the folder holds shards of another input, column or model.
        """
        old = self.manifest()
        if old is not None and self.n_shards() == 0:
            # A run that stopped before its first shard (a wrong column, say): nothing to keep.
            import shutil

            shutil.rmtree(self.folder / "texts", ignore_errors=True)
            old = None
        if old is not None:
            same = {k: old.get(k) for k in plan} == plan
            if not same:
                differ = ", ".join(k for k in plan if old.get(k) != plan[k])
                raise ShardError(
                    f"{self.folder} holds embeddings of another run (its {differ} differ). "
                    "Give another --out folder, or delete this one to start over."
                )
            return True
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write_manifest({**plan, "complete": False})
        return False

    def _write_manifest(self, manifest: dict) -> None:
        part = self.manifest_path.with_name(".manifest.json.part")
        part.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(part, self.manifest_path)

    def finish(self, **counts) -> None:
        self._write_manifest({**(self.manifest() or {}), **counts, "complete": True})

    def write_texts(self, chunk: Chunk) -> None:
        import pyarrow as pa

        path = self.text_path(chunk.index)
        if path.is_file() and _rows(path) == len(chunk.texts):
            return
        pos = np.arange(chunk.start, chunk.start + len(chunk.texts), dtype=np.int64)
        table = pa.table({"pos": pos, "row": np.asarray(chunk.rows, np.int64), "text": chunk.texts})
        _atomic_write_table(table, path)

    def write_embeddings(self, index: int, pos: np.ndarray, X: np.ndarray) -> None:
        import pyarrow as pa

        X = np.ascontiguousarray(X, dtype=np.float32)
        values = pa.array(X.reshape(-1))
        column = pa.FixedSizeListArray.from_arrays(values, X.shape[1])
        table = pa.table({"pos": np.asarray(pos, np.int64), "embedding": column})
        _atomic_write_table(table, self.embedding_path(index))

    def finished(self, index: int, n_texts: int) -> bool:
        """Whether shard ``index`` has all its ``n_texts`` embeddings on disk."""
        path = self.embedding_path(index)
        return path.is_file() and _rows(path) == n_texts

    # -- reading -----------------------------------------------------------------------
    def n_shards(self) -> int:
        """Embedding shards on disk (finished ones: a shard file appears only when whole)."""
        return len(list((self.folder / "embeddings").glob("part-*.parquet")))

    def iter_embeddings(self) -> Iterator[np.ndarray]:
        """Each shard's embeddings ``(rows, dim)`` float32, in input order."""
        import pyarrow.parquet as pq

        manifest = self.manifest()
        if manifest is None or not manifest.get("complete"):
            raise ShardError(
                f"{self.folder} holds no finished run: run `embedviz embed ... --out "
                f"{self.folder}` again to encode what is missing."
            )
        for index in range(manifest["shards"]):
            column = pq.read_table(self.embedding_path(index), columns=["embedding"])["embedding"]
            flat = column.combine_chunks().flatten().to_numpy(zero_copy_only=False)
            yield flat.reshape(-1, manifest["dim"]).astype(np.float32, copy=False)

    def gather(self, out: str | os.PathLike | None = None) -> np.ndarray:
        """All embeddings in input order: in memory, or written to the ``.npy`` file ``out``
        shard by shard (memory bounded by one shard) and returned memory-mapped."""
        manifest = self.manifest() or {}
        shape = (int(manifest.get("texts", 0)), int(manifest.get("dim", 0)))
        if out is None:  # filled in place: never a second copy of all of them
            target = np.empty(shape, dtype=np.float32)
            self._fill(target)
            return target
        out = Path(out)
        part = out.with_name(f".{out.name}.part")
        target = np.lib.format.open_memmap(part, mode="w+", dtype=np.float32, shape=shape)
        self._fill(target)
        target.flush()
        del target
        os.replace(part, out)
        return np.load(out, mmap_mode="r")

    def gather_for_reading(self, memmap_above: int) -> np.ndarray:
        """All embeddings in input order for a pipeline to read: in memory up to
        ``memmap_above`` bytes; above, gathered once into ``embeddings.npy`` in the folder
        (again only when the shards changed) and memory-mapped."""
        manifest = self.manifest() or {}
        shape = (int(manifest.get("texts", 0)), int(manifest.get("dim", 0)))
        if shape[0] * shape[1] * 4 <= memmap_above:
            return self.gather()
        out = self.folder / "embeddings.npy"
        if out.is_file() and out.stat().st_mtime_ns >= self.manifest_path.stat().st_mtime_ns:
            gathered = np.load(out, mmap_mode="r", allow_pickle=False)
            if gathered.shape == shape and gathered.dtype == np.float32:
                return gathered
        return self.gather(out)

    def _fill(self, target: np.ndarray) -> None:
        at = 0
        for X in self.iter_embeddings():
            target[at : at + len(X)] = X
            at += len(X)
        if at != len(target):
            raise ShardError(
                f"{self.folder} holds {at:,} embeddings but its manifest says {len(target):,}: "
                "delete the folder and encode again."
            )


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # a torn or foreign file: not finished  # noqa: BLE001
        return -1


def source_fingerprint(path: Path) -> dict:
    """What identifies the input for a rerun: its resolved path, size and modification time."""
    stat = Path(path).stat()
    return {"path": str(Path(path).resolve()), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def plan_for(stream: TextStream, model_key: str, spec: str) -> dict:
    return {
        "format": 1,
        "source": source_fingerprint(stream.path),
        "column": stream.column,
        "header": stream.header,
        "model": model_key,
        "spec": spec,
        "rows_per_shard": stream.rows_per_shard,
    }


def embed_to_shards(
    stream: TextStream,
    folder: str | os.PathLike,
    encoder,
    *,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict:
    """Encode the stream's texts in this process, shard by shard, into ``folder``; shards a
    previous run of the same plan finished are skipped.

    Returns:
        the finished manifest (counts of texts, shards, skipped rows, shards reused).
    """
    store = ShardStore(folder)
    resumed = store.begin(plan_for(stream, encoder.cache_key, getattr(encoder, "spec", "")))
    done = reused = 0
    dim = None
    for chunk in stream:
        store.write_texts(chunk)
        if store.finished(chunk.index, len(chunk.texts)):
            reused += 1
        else:
            X = np.asarray(encoder.encode(chunk.texts), dtype=np.float32)
            store.write_embeddings(chunk.index, np.arange(chunk.start, chunk.start + len(X)), X)
            dim = X.shape[1]
        done += len(chunk.texts)
        if progress:
            progress(done, None)
    return _finish(store, stream, dim or _dim_on_disk(store), reused, resumed)


def _dim_on_disk(store: ShardStore) -> int:
    import pyarrow.parquet as pq

    path = store.embedding_path(0)
    if not path.is_file():
        return 0
    return pq.read_schema(path).field("embedding").type.list_size


def _finish(store: ShardStore, stream: TextStream, dim: int, reused: int, resumed: bool) -> dict:
    if stream.n_kept == 0:
        raise InputError(
            f"{stream.path.name} has no non-empty texts to encode. Put one text a line, or "
            "name the text column with --column."
        )
    shards = -(-stream.n_kept // stream.rows_per_shard)
    store.finish(
        texts=stream.n_kept,
        rows_read=stream.n_read,
        skipped=stream.n_skipped,
        shards=shards,
        dim=dim,
        reused_shards=reused,
        resumed=resumed,
    )
    return store.manifest()
