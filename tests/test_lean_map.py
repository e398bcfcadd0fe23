"""The app's lean map: the texts it serves a chunk at a time."""

from __future__ import annotations

import json

from embedviz.ui import lean_map


def test_texts_are_published_once_in_chunks_in_order(monkeypatch):
    monkeypatch.setattr(lean_map, "CHUNK", 4)
    texts = [f"第{i}句" for i in range(9)] + ['<script>alert("x")</script>']
    where = lean_map.publish_texts(texts)
    folder = lean_map._root() / where
    files = sorted(folder.iterdir(), key=lambda p: int(p.stem))
    assert [p.name for p in files] == ["0.json", "1.json", "2.json"]
    read = [t for p in files for t in json.loads(p.read_text("utf-8"))]
    assert read == texts  # the hostile one as written: the page shows it with textContent
    stamp = files[0].stat().st_mtime_ns
    assert lean_map.publish_texts(list(texts)) == where  # the same texts: not written again
    assert files[0].stat().st_mtime_ns == stamp
    assert lean_map.publish_texts(texts[:-1]) != where
    assert not list(folder.parent.glob("*.part"))


def test_the_page_shows_texts_as_text_and_loads_nothing_from_elsewhere():
    page = lean_map.PAGE.read_text("utf-8")
    assert "textContent" in page and "innerHTML" not in page
    assert '<script src="plotly.min.js">' in page and "http" not in page  # served beside it
    assert (lean_map._root() / "plotly.min.js").stat().st_size > 3_000_000


def test_the_operators_lean_threshold_is_read_and_a_bad_one_refused(monkeypatch):
    import pytest

    from embedviz.errors import ParameterError
    from embedviz.settings import lean_map_above

    assert lean_map_above(50_000) == 50_000
    monkeypatch.setenv("EMBEDVIZ_LEAN_MAP_ABOVE", "20000")
    assert lean_map_above(50_000) == 20_000
    monkeypatch.setenv("EMBEDVIZ_LEAN_MAP_ABOVE", "20k")
    with pytest.raises(ParameterError, match="must be a whole number of points.*got '20k'"):
        lean_map_above(50_000)
