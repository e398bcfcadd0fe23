"""Encoding on a real two-node Ray cluster, started here on loopback (see
bench/_ray_cluster.py: 127.0.0.2, as Ray rewrites 127.0.0.1): the same vectors as one process,
in input order, a worker killed mid-run with no row lost or doubled, a rerun that keeps
finished shards, and the command line's --engine ray."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray", reason="pip install -r requirements-scale.txt")


@pytest.fixture(scope="module")
def cluster():
    """Two nodes, one CPU each, on loopback; its workers crash once (the first batch any of
    them takes), so that a redone batch is part of every run's story."""
    from bench._ray_cluster import loopback_cluster

    marker = Path(tempfile.mkdtemp(prefix="ev-crash-")) / "crashed-once"
    with loopback_cluster((1, 1), {"EMBEDVIZ_TEST_CRASH_ONCE": str(marker)}) as c:
        yield {**c, "marker": marker}


def _corpus(tmp_path) -> tuple[Path, list[str]]:
    texts = pd.read_csv(DATA / "zh_topics.csv")["text"].tolist()
    texts += pd.read_csv(DATA / "mixed_topics.csv")["text"].tolist()
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(texts[:30] + [""] + texts[30:]) + "\n", encoding="utf-8")
    return path, texts


def _embed(cluster, *args) -> str:
    """`embedviz embed` in a new process, as a user runs it; returns what it said."""
    done = subprocess.run(
        [sys.executable, "-m", "embedviz", "embed", *map(str, args)],
        capture_output=True, text=True, env=cluster["env"], cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_two_nodes_encode_what_one_process_does_in_input_order(cluster, tmp_path, use_encoder):
    from embedviz.shards import ShardStore

    path, texts = _corpus(tmp_path)
    out = tmp_path / "out"
    said = _embed(cluster, path, "--out", out, "--engine", "ray", "--address",
                  cluster["address"], "--shard-rows", 16)  # fmt: skip
    assert "Ray encoded with 2 workers." in said  # one per node: each has one CPU
    assert "skipped 1 (1 blank line; rows 31)" in said
    # A worker really died mid-run (the crash hook left its process id) ...
    assert cluster["marker"].read_text().isdigit()
    # ... and still every text is there once, in input order, with one process's vectors.
    store = ShardStore(out)
    manifest = store.manifest()
    assert manifest["texts"] == len(texts) == 100 and manifest["shards"] == 7
    pos = np.concatenate(
        [pd.read_parquet(store.embedding_path(i))["pos"].to_numpy() for i in range(7)]
    )
    np.testing.assert_array_equal(pos, np.arange(100))
    X = store.gather()
    assert float(np.min(np.sum(X * use_encoder.encode(texts), axis=1))) >= 0.9999

    store.embedding_path(2).unlink()  # a run that stopped before shard 2 was written
    said = _embed(cluster, path, "--out", out, "--engine", "ray", "--address",
                  cluster["address"], "--shard-rows", 16)  # fmt: skip
    assert "6 of 7 shards were finished by an earlier run: kept." in said
    again = store.gather()
    np.testing.assert_array_equal(
        np.delete(again, range(32, 48), 0), np.delete(X, range(32, 48), 0)
    )
    # Shard 2 encoded again, alone now (a batch pads to its longest text): the same vectors.
    assert float(np.min(np.sum(again[32:48] * X[32:48], axis=1))) >= 0.9999


def test_cli_engine_ray_writes_the_npy_a_single_process_writes(cluster, tmp_path):
    path, _ = _corpus(tmp_path)
    said = _embed(cluster, path, "--out", tmp_path / "ray.npy", "--engine", "ray",
                  "--address", cluster["address"])  # fmt: skip
    assert f"Gathered them into {tmp_path / 'ray.npy'}" in said
    _embed(cluster, path, "--out", tmp_path / "one.npy")
    A, B = np.load(tmp_path / "ray.npy"), np.load(tmp_path / "one.npy")
    assert A.shape == B.shape == (100, 512)
    assert float(np.min(np.sum(A * B, axis=1))) >= 0.9999
