"""Exports: one offline HTML file with both figures; CSV that Excel reads as Chinese."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd

from embedviz.export import coordinates_frame, csv_bytes, standalone_html
from embedviz.figures import projection_scatter, similarity_heatmap


def test_html_is_standalone_utf8_and_holds_both_figures(seed_texts):
    scatter = projection_scatter(np.eye(4, 2, dtype=np.float32), seed_texts, title="散点图")
    heatmap = similarity_heatmap(np.eye(4, dtype=np.float32), seed_texts)
    page = standalone_html([scatter, heatmap], title="embedviz: 花呗", notes=["Read 4 rows."])
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    # No script or stylesheet is fetched from anywhere: plotly.js is inside.
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    assert "Plotly.newPlot" in page and len(page) > 3_000_000
    assert page.count('class="plotly-graph-div"') == 2
    assert "<title>embedviz: 花呗</title>" in page and "Read 4 rows." in page
    figures = re.findall(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", page, re.S)
    hover = json.loads(figures[0])[0]["customdata"]
    assert [row[1] for row in hover] == seed_texts


def test_coordinates_csv_opens_in_excel_with_chinese_intact(seed_texts):
    frame = coordinates_frame(
        seed_texts,
        np.arange(8).reshape(4, 2),
        rows=[1, 2, 4, 5],
        labels=["a", "a", "b", "c"],
        label_name="topic",
    )
    data = csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == ["row", "text", "topic", "x", "y"]
    assert back["text"].tolist() == seed_texts and back["row"].tolist() == [1, 2, 4, 5]
