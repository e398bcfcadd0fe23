"""Embeddings cached on disk: a second run skips encoding, and nothing stale is served."""

from __future__ import annotations

import numpy as np

from embedviz.cache import cache_dir, cached_encode, embeddings_key


class Counting:
    """Wraps a real encoder and counts the texts it encodes."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.encoded = 0
        self.cache_key = encoder.cache_key

    def encode(self, texts, progress=None):
        self.encoded += len(texts)
        return self.encoder.encode(texts, progress=progress)


def test_second_run_reads_the_cache(tmp_path, monkeypatch, use_encoder, seed_texts):
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path))
    enc = Counting(use_encoder)
    first, hit = cached_encode(enc, seed_texts)
    assert not hit and enc.encoded == 4
    second, hit = cached_encode(enc, seed_texts)
    assert hit and enc.encoded == 4
    np.testing.assert_array_equal(first, second)
    assert len(list((tmp_path / "embeddings").glob("*.npy"))) == 1


def test_other_texts_or_model_miss(tmp_path, monkeypatch, use_encoder, seed_texts):
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path))
    enc = Counting(use_encoder)
    cached_encode(enc, seed_texts)
    cached_encode(enc, seed_texts[::-1])
    assert enc.encoded == 8
    assert embeddings_key("m", ["ab", "c"]) != embeddings_key("m", ["a", "bc"])
    assert embeddings_key("m", seed_texts) != embeddings_key("other model", seed_texts)


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("EMBEDVIZ_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "embedviz"
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_an_unwritable_cache_still_encodes(monkeypatch, tmp_path, use_encoder, seed_texts, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(blocker))
    X, hit = cached_encode(use_encoder, seed_texts)
    assert X.shape == (4, 512) and not hit
    assert "could not write the embedding cache" in caplog.text


def test_a_damaged_cache_file_is_encoded_again(tmp_path, monkeypatch, use_encoder, seed_texts):
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(tmp_path))
    cached_encode(use_encoder, seed_texts)
    (path,) = (tmp_path / "embeddings").glob("*.npy")
    path.write_bytes(b"garbage")
    X, hit = cached_encode(use_encoder, seed_texts)
    assert not hit and X.shape == (4, 512)
