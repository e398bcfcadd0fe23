"""The `embedviz` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parents[1] / "data"


def embedviz(*args, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "embedviz", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_embed_writes_float32_rows_in_input_order(tmp_path, use_encoder, seed_texts):
    src = tmp_path / "in.txt"
    src.write_text("\n".join([seed_texts[0], "", *seed_texts[1:]]), encoding="utf-8")
    out = tmp_path / "e.npy"
    result = embedviz("embed", src, "--out", out)
    assert result.returncode == 0, result.stderr
    X = np.load(out)
    assert X.shape == (4, 512) and X.dtype == np.float32
    np.testing.assert_allclose(X, use_encoder.encode(seed_texts), atol=1e-5)
    assert "skipped 1 (1 blank line; rows 2)" in result.stderr
    assert "encoding: 100%" in result.stderr  # progress bar


def test_plot_writes_standalone_html_with_labels(tmp_path):
    out = tmp_path / "map.html"
    coords = tmp_path / "coords.csv"
    result = embedviz(
        "plot",
        DATA / "zh_topics.csv",
        "--out",
        out,
        "--label-column",
        "topic",
        "--method",
        "tsne",
        "--dims",
        "3",
        "--coords-csv",
        coords,
    )
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page and page.count('class="plotly-graph-div"') == 2
    assert "t-SNE 3-D map of 52 texts" in page
    # plotly writes non-ASCII as JSON escapes, which every browser renders as Chinese.
    assert '"type":"scatter3d"' in page
    assert json.dumps("如何更换花呗绑定银行卡")[1:-1] in page
    header = coords.read_bytes().decode("utf-8-sig").splitlines()[0]
    assert header == "row,text,topic,cluster,cluster_keywords,neighbours_kept_of_10,x,y,z"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["plot", DATA / "zh_topics.csv", "--column", "sentence"],
            "There is no text column 'sentence'. The columns are: 'text', 'topic'.",
        ),
        (["plot", "missing.csv"], "No such file: missing.csv. Check the path."),
        (
            ["embed", DATA / "seed_huabei.txt", "--model", "shibing624/text2vec-base-chinese"],
            "HF_HUB_OFFLINE is set",
        ),
        (["plot", DATA / "zh_topics.csv", "--model", "/no/such/folder"], "There is no folder"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(tmp_path, args, message):
    result = embedviz(*args, "--out", tmp_path / "x.html")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("embedviz: error: ") and message in last
    assert "Traceback" not in result.stderr


def test_empty_and_blank_inputs_are_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = embedviz("embed", empty, "--out", tmp_path / "x.npy")
    assert result.returncode == 2 and "empty.csv is empty" in result.stderr
    blank = tmp_path / "blank.csv"
    blank.write_text("text,topic\n,a\n  ,b\n", encoding="utf-8")
    result = embedviz("embed", blank, "--out", tmp_path / "x.npy")
    assert result.returncode == 2 and "has no non-empty texts" in result.stderr


def test_console_script_is_installed():
    import shutil

    exe = shutil.which("embedviz", path=str(Path(sys.executable).parent))
    assert exe, "pip install -e . (in requirements.txt) installs the embedviz command"
    result = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "plot" in result.stdout and "embed" in result.stdout


def test_search_prints_the_paraphrase_first():
    result = embedviz(
        "search", DATA / "seed_huabei.txt", "--query", "花呗怎么换绑定的银行卡", "--top-k", "3"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["rank", "cosine", "row", "text"]
    assert lines[1].split()[3] in ("如何更换花呗绑定银行卡", "花呗更改绑定银行卡")
    assert len(lines) == 4


def test_pairs_writes_every_pair_above_the_threshold(tmp_path):
    import pandas as pd

    out = tmp_path / "pairs.csv"
    result = embedviz("pairs", DATA / "seed_huabei.txt", "--threshold", "0.5", "--out", out)
    assert result.returncode == 0, result.stderr
    pairs = pd.read_csv(out, encoding="utf-8-sig")
    assert list(pairs.columns) == ["rank", "row_a", "text_a", "row_b", "text_b", "cosine"]
    assert [tuple(r) for r in pairs[["row_a", "row_b"]].values] == [(1, 2), (1, 3)]
    assert "2 pairs with cosine >= 0.5" in result.stderr


def test_plot_clusters_and_reports_how_far_to_trust_the_map(tmp_path):
    out = tmp_path / "p.html"
    csv = tmp_path / "c.csv"
    result = embedviz(
        "plot",
        DATA / "zh_topics.csv",
        "--label-column",
        "topic",
        "--cluster",
        "kmeans",
        "--out",
        out,
        "--coords-csv",
        csv,
    )
    assert result.returncode == 0, result.stderr
    assert "trustworthiness" in result.stderr and "kNN recall" in result.stderr
    ari = float(result.stderr.split("Adjusted Rand index of the clusters against topic: ")[1][:4])
    assert ari >= 0.7
    page = out.read_text(encoding="utf-8")
    assert "Cluster 0: " in page and "银行卡" in page
    import pandas as pd

    frame = pd.read_csv(csv, encoding="utf-8-sig")
    assert {"cluster", "cluster_keywords", "neighbours_kept_of_10"} <= set(frame.columns)


def test_plot_with_fixed_k_and_no_clusters(tmp_path):
    out = tmp_path / "p.html"
    result = embedviz("plot", DATA / "mixed_topics.csv", "--k", "4", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "k-means: 4 clusters" in result.stderr
    result = embedviz("plot", DATA / "mixed_topics.csv", "--cluster", "none", "--out", out)
    assert result.returncode == 0 and "No clustering." in result.stderr


def test_a_zero_k_is_refused_with_the_fix(tmp_path):
    result = embedviz("plot", DATA / "seed_huabei.txt", "--k", "0", "--out", tmp_path / "p.html")
    assert result.returncode == 2
    assert "n_clusters must be at least 1 or 'auto', got 0." in result.stderr
