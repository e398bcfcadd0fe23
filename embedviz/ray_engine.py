"""Encode on a Ray cluster with Ray Data: the text shards that :mod:`embedviz.shards` staged
are read by Ray, encoded by an actor pool (one model per actor, a GPU each when the cluster
has them), and the embeddings come back to this process, which writes them shard by shard in
input order.

A worker that dies mid-batch is restarted and its batch redone by Ray Data (actors restart,
tasks retry); each text's position travels with it, so a redone batch is written once, and a
shard is written only when all its rows have come. A rerun encodes only the shards with no
finished embeddings file.

On a cluster of several machines the shard folder must be on storage every node reads (NFS,
a mounted bucket): the workers read the staged texts from it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from . import settings
from .errors import EmbedvizError
from .shards import ShardStore, TextStream, _dim_on_disk, _finish, plan_for

#: Texts a worker encodes per call.
RAY_BATCH = 256
#: Set to a file path, a worker crashes (os._exit) once, creating the file, before its first
#: batch: the test suite's way to kill a real worker mid-run and see its rows redone.
CRASH_ONCE_ENV = settings.CRASH_ONCE_ENV


class RayError(EmbedvizError):
    """Ray is missing or the cluster cannot be reached; the message says what to do."""


class _Encode:
    """One Ray actor: loads the model once, then encodes the batches it is given."""

    def __init__(self, spec: str, threads: int):
        from .encoders import load_encoder

        os.environ[settings.THREADS_ENV] = str(threads)
        self.encoder = load_encoder(spec)

    def __call__(self, batch: dict) -> dict:
        marker = settings.crash_once_marker()
        if marker and not os.path.exists(marker):
            with open(marker, "w") as f:
                f.write(str(os.getpid()))
            os._exit(1)
        X = np.asarray(self.encoder.encode(list(batch["text"])), dtype=np.float32)
        return {"pos": np.asarray(batch["pos"], dtype=np.int64), "embedding": X}


def connect(address: str | None = None):
    """Join the Ray cluster at ``address`` ("127.0.0.1:6379", "auto"), or start a local one
    on the loopback address when None. Returns the ``ray`` module."""
    try:
        import ray
    except ImportError as err:
        raise RayError("--engine ray needs Ray: pip install -r requirements-scale.txt") from err
    if not ray.is_initialized():
        _init(ray, address)
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    return ray


def _init(ray, address: str | None) -> None:
    kwargs = {"log_to_driver": False, "configure_logging": False}
    try:
        if address:
            host = address.rsplit(":", 1)[0]
            if host.startswith("127."):  # a loopback cluster: this driver stays on it too
                kwargs["_node_ip_address"] = host
            ray.init(address=address, **kwargs)
        else:
            ray.init(
                address="local", _node_ip_address="127.0.0.1", include_dashboard=False, **kwargs
            )
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise RayError(
            f"Could not reach a Ray cluster at {address!r}: {err}. Start one with `ray start "
            "--head` and pass the address it prints, or leave --address out for a local one."
        ) from err


def embed_with_ray(
    stream: TextStream,
    folder,
    spec: str,
    *,
    address: str | None = None,
    workers: int | None = None,
    batch_size: int = RAY_BATCH,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict:
    """Encode the stream's texts on a Ray cluster into the shard folder ``folder``.

    Args:
        stream: the input, read as a stream.
        folder: the shard folder (see :mod:`embedviz.shards`); reused when it holds a run of
            the same input, column and model.
        spec: the model spec each worker loads.
        address: the cluster to join; None starts a local one on 127.0.0.1.
        workers: actors in the pool (default: one per GPU when the cluster has GPUs, else
            one per CPU).
        batch_size: texts per call of a worker.
        progress: called with (texts done, texts in all) as shards are written.

    Returns:
        the finished manifest, with ``workers`` and ``gpus_per_worker`` added.
    """
    from .encoders import load_encoder

    model_key = load_encoder(spec).cache_key  # fails here, with its message, if unloadable
    store = ShardStore(folder)
    resumed = store.begin(plan_for(stream, model_key, spec))
    sizes: dict[int, int] = {}
    todo: list[int] = []
    refs: list = []
    ray = None
    for chunk in stream:  # stage the texts; hand the unfinished shards to Ray as they come
        store.write_texts(chunk)
        sizes[chunk.index] = len(chunk.texts)
        if store.finished(chunk.index, len(chunk.texts)):
            continue
        if ray is None:
            ray = connect(address)
        import pyarrow as pa

        pos = np.arange(chunk.start, chunk.start + len(chunk.texts), dtype=np.int64)
        refs.append(ray.put(pa.table({"pos": pos, "text": chunk.texts})))
        todo.append(chunk.index)
    done = stream.n_kept - sum(sizes[i] for i in todo)

    def written(n_texts: int) -> None:
        nonlocal done
        done += n_texts
        if progress:
            progress(done, stream.n_kept)

    written(0)
    info: dict = {}
    if todo:
        info = _pool_size(ray, workers)
        ds = ray.data.from_arrow_refs(refs).map_batches(
            _Encode,
            fn_constructor_kwargs={"spec": spec, "threads": info["threads"]},
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=info["workers"]),
            num_cpus=info["threads"] if not info["gpus_per_worker"] else None,
            num_gpus=info["gpus_per_worker"] or None,
        )
        _write_as_shards_complete(ds, store, sizes, stream.rows_per_shard, written)
        missing = [i for i in todo if not store.finished(i, sizes[i])]
        if missing:
            raise EmbedvizError(
                f"Ray returned too few rows for shards {missing[:10]}: run the same command "
                "again to encode them (finished shards are kept)."
            )
    manifest = _finish(store, stream, _dim_on_disk(store), len(sizes) - len(todo), resumed)
    return {**manifest, **info}


def _write_as_shards_complete(ds, store: ShardStore, sizes: dict[int, int], rows: int, written):
    """Read the encoded batches as Ray yields them; write each shard as soon as all its
    positions are back, and say how many texts it held (``written``)."""
    pending: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    seen: dict[int, np.ndarray] = {}
    for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
        pos = batch["pos"]
        X = np.asarray(batch["embedding"], dtype=np.float32)
        for index in map(int, np.unique(pos // rows)):
            mine = pos // rows == index
            pending.setdefault(index, []).append((pos[mine], X[mine]))
            flags = seen.setdefault(index, np.zeros(sizes[index], dtype=bool))
            flags[pos[mine] - index * rows] = True
            if flags.all():
                written(_write_shard(store, index, pending.pop(index)))


def _write_shard(store: ShardStore, index: int, parts) -> int:
    """Write one shard's embeddings in position order, each position once (a batch Ray
    redid after its worker died may arrive twice: the copies are the same vectors)."""
    pos = np.concatenate([p for p, _ in parts])
    X = np.vstack([x for _, x in parts])
    pos, first = np.unique(pos, return_index=True)
    store.write_embeddings(index, pos, X[first])
    return len(pos)


def _pool_size(ray, workers: int | None) -> dict:
    """How many actors and what each takes: a GPU each when the cluster has GPUs, else one
    CPU each (the encoder told to use one thread)."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    cpus = max(1, int(resources.get("CPU", 1)))
    if gpus:
        return {"workers": workers or gpus, "gpus_per_worker": 1, "threads": 1}
    return {"workers": workers or cpus, "gpus_per_worker": 0, "threads": 1}
