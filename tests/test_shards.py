"""A corpus larger than memory, in this process: texts read as a stream, embeddings written
as Parquet shards in input order, a rerun that keeps finished shards."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from embedviz.errors import InputError
from embedviz.shards import ShardError, ShardStore, TextStream, embed_to_shards
from tests.conftest import DATA


def _mixed_file(tmp_path):
    """Both sample sets as one .txt, with blank lines between them and at two more places."""
    texts = pd.read_csv(DATA / "zh_topics.csv")["text"].tolist()
    texts += pd.read_csv(DATA / "mixed_topics.csv")["text"].tolist()
    lines = texts[:10] + [""] + texts[10:52] + ["   ", ""] + texts[52:]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, texts


def test_shards_hold_the_same_vectors_as_one_batch_in_input_order(tmp_path, use_encoder):
    path, texts = _mixed_file(tmp_path)
    stream = TextStream(path, rows_per_shard=16)
    manifest = embed_to_shards(stream, tmp_path / "out", use_encoder)
    assert manifest["texts"] == len(texts) == 100
    assert manifest["shards"] == 7 and manifest["dim"] == 512
    # The three blank lines are said, by row, not dropped in silence.
    assert stream.summary() == (
        "Read 103 rows; kept 100 texts; skipped 3 (3 blank line; rows 11, 54, 55)."
    )
    X = ShardStore(tmp_path / "out").gather()
    Y = use_encoder.encode(texts)
    assert X.shape == Y.shape
    assert float(np.min(np.sum(X * Y, axis=1))) >= 0.9999
    texts_back = pd.concat(
        pd.read_parquet(p) for p in sorted((tmp_path / "out" / "texts").glob("*.parquet"))
    )
    assert texts_back["text"].tolist() == texts
    assert texts_back["pos"].tolist() == list(range(100))
    assert texts_back["row"].tolist()[10:12] == [12, 13]  # after the blank line 11


def test_a_rerun_encodes_only_the_missing_shards(tmp_path, use_encoder):
    path, texts = _mixed_file(tmp_path)
    out = tmp_path / "out"
    embed_to_shards(TextStream(path, rows_per_shard=16), out, use_encoder)
    store = ShardStore(out)
    first = store.gather()
    store.embedding_path(3).unlink()  # as if the run had stopped there
    calls = []
    real = use_encoder.encode
    use_encoder.encode = lambda batch: calls.append(len(batch)) or real(batch)
    try:
        manifest = embed_to_shards(TextStream(path, rows_per_shard=16), out, use_encoder)
    finally:
        del use_encoder.encode
    assert calls == [16]  # shard 3 only
    assert manifest["reused_shards"] == 6
    np.testing.assert_array_equal(store.gather(), first)


def test_a_folder_of_another_input_is_refused_not_mixed(tmp_path, use_encoder):
    path, _ = _mixed_file(tmp_path)
    out = tmp_path / "out"
    embed_to_shards(TextStream(path, rows_per_shard=16), out, use_encoder)
    path.write_text("一句新的话\n", encoding="utf-8")
    with pytest.raises(ShardError, match="another run .*source.*Give another --out folder"):
        embed_to_shards(TextStream(path, rows_per_shard=16), out, use_encoder)


def test_a_run_stopped_by_a_wrong_column_leaves_nothing_in_the_way(tmp_path, use_encoder):
    out = tmp_path / "out"
    with pytest.raises(InputError, match="no text column 'question'"):
        embed_to_shards(TextStream(DATA / "zh_topics.csv", column="question"), out, use_encoder)
    manifest = embed_to_shards(TextStream(DATA / "zh_topics.csv", column="text"), out, use_encoder)
    assert manifest["texts"] == 52 and manifest["column"] == "text"


def test_gbk_csv_and_parquet_stream_like_the_whole_file_reader(tmp_path):
    frame = pd.DataFrame({"id": ["1", "2", "3"], "评论": ["质量很好", "", "物流太慢了"]})
    gbk = tmp_path / "reviews.csv"
    gbk.write_bytes(frame.to_csv(index=False).encode("gb18030"))
    stream = TextStream(gbk)
    chunks = list(stream)
    assert [c.texts for c in chunks] == [["质量很好", "物流太慢了"]]
    assert chunks[0].rows == [1, 3]
    assert "Read reviews.csv as GB18030 (GBK)." in stream.notes
    assert "Texts read from column '评论'" in " ".join(stream.notes)
    assert "skipped 1 (1 empty cell; rows 2)" in stream.summary()

    parquet = tmp_path / "reviews.parquet"
    frame.to_parquet(parquet)
    assert [c.texts for c in TextStream(parquet, column="评论")] == [["质量很好", "物流太慢了"]]
    with pytest.raises(InputError, match="no text column 'text'. The columns are: 'id', '评论'"):
        list(TextStream(parquet, column="text"))


def test_a_gathered_npy_is_written_shard_by_shard_and_opens_memory_mapped(tmp_path, use_encoder):
    path, texts = _mixed_file(tmp_path)
    embed_to_shards(TextStream(path, rows_per_shard=16), tmp_path / "out", use_encoder)
    X = ShardStore(tmp_path / "out").gather(tmp_path / "all.npy")
    assert isinstance(X, np.memmap) and X.shape == (100, 512)
    np.testing.assert_array_equal(
        np.load(tmp_path / "all.npy"), ShardStore(tmp_path / "out").gather()
    )
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["skipped"] == 3


def test_cli_embed_into_a_folder_then_a_plot_of_the_same_texts(tmp_path, cli):
    path, texts = _mixed_file(tmp_path)
    result = cli("embed", str(path), "--out", str(tmp_path / "shards"))
    assert result.returncode == 0, result.stderr
    assert "skipped 3 (3 blank line; rows 11, 54, 55)" in result.stderr
    assert "Wrote 100 embeddings (512 float32 each, input order) as 1 Parquet shards" in (
        result.stderr
    )
    again = cli("embed", str(path), "--out", str(tmp_path / "shards"))
    assert "1 of 1 shards were finished by an earlier run: kept." in again.stderr
    whole = cli("embed", str(path), "--out", str(tmp_path / "whole.npy"))
    assert whole.returncode == 0
    np.testing.assert_allclose(
        ShardStore(tmp_path / "shards").gather(), np.load(tmp_path / "whole.npy"), atol=1e-5
    )
    # The folder is a plot's embeddings as a .npy would be: nothing encoded again.
    plot = cli(
        "plot", path, "--embeddings", tmp_path / "shards", "--method", "pca",
        "--out", tmp_path / "map.html", "--coords-csv", tmp_path / "map.csv",
    )  # fmt: skip
    assert plot.returncode == 0, plot.stderr
    assert "Loading model" not in plot.stderr
    assert pd.read_csv(tmp_path / "map.csv", encoding="utf-8-sig")["text"].tolist() == texts


def test_embeddings_above_the_memmap_size_stay_on_disk_and_draw_the_same_map(
    tmp_path, use_encoder, cli, monkeypatch
):
    """Above EMBEDVIZ_MEMMAP_ABOVE_MB a .npy file, or a shard folder gathered once into its
    embeddings.npy, is memory-mapped instead of read; the map is the same either way."""
    from embedviz.errors import ParameterError
    from embedviz.settings import memmap_above_bytes
    from embedviz.vectors import read_npy

    path, texts = _mixed_file(tmp_path)
    embed_to_shards(TextStream(path, rows_per_shard=16), tmp_path / "shards", use_encoder)
    np.save(tmp_path / "all.npy", ShardStore(tmp_path / "shards").gather())
    maps = []
    for above in ("1000", "0"):  # MiB: read into memory, then everything on disk
        monkeypatch.setenv("EMBEDVIZ_MEMMAP_ABOVE_MB", above)
        for source in ("all.npy", "shards"):
            assert isinstance(read_npy(tmp_path / source), np.memmap) == (above == "0")
            csv = tmp_path / f"{above}-{source}.csv"
            result = cli(
                "plot", path, "--embeddings", tmp_path / source, "--method", "umap",
                "--out", tmp_path / "map.html", "--coords-csv", csv,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            maps.append(pd.read_csv(csv, encoding="utf-8-sig"))
    for other in maps[1:]:
        pd.testing.assert_frame_equal(other, maps[0])
    assert maps[0]["text"].tolist() == texts
    # The folder's gathered file is written once and read again after.
    gathered = tmp_path / "shards" / "embeddings.npy"
    written = gathered.stat().st_mtime_ns
    assert isinstance(read_npy(tmp_path / "shards"), np.memmap)
    assert gathered.stat().st_mtime_ns == written
    monkeypatch.setenv("EMBEDVIZ_MEMMAP_ABOVE_MB", "lots")
    with pytest.raises(ParameterError, match="EMBEDVIZ_MEMMAP_ABOVE_MB must be a whole number"):
        memmap_above_bytes()
    # The command names the setting to fix, not the file.
    refused = cli(
        "plot", path, "--embeddings", tmp_path / "all.npy", "--out", tmp_path / "map.html"
    )
    assert refused.returncode == 2
    assert "EMBEDVIZ_MEMMAP_ABOVE_MB must be a whole number of MiB" in refused.stderr
    assert "is not a plain numeric .npy array" not in refused.stderr
