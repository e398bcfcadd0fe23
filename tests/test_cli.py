"""The `embedviz` command, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import os
import re
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
    # One column per level of the topic tree: the coarser topics, and the clusters (none of
    # these 52 texts' clusters is large enough to split into finer topics).
    assert header == "row,text,topic,cluster,cluster_name,topic_coarse,neighbours_kept_of_10,x,y,z"


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
        "--method",
        "pca",
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
    assert {"cluster", "cluster_name", "neighbours_kept_of_10"} <= set(frame.columns)


def test_plot_with_fixed_k_and_no_clusters(tmp_path):
    out = tmp_path / "p.html"
    result = embedviz(
        "plot", DATA / "mixed_topics.csv", "--k", "4", "--method", "pca", "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert "k-means: 4 clusters" in result.stderr
    result = embedviz(
        "plot", DATA / "mixed_topics.csv", "--cluster", "none", "--method", "pca", "--out", out
    )
    assert result.returncode == 0 and "No clustering." in result.stderr


def test_a_zero_k_is_refused_with_the_fix(tmp_path):
    result = embedviz("plot", DATA / "seed_huabei.txt", "--k", "0", "--out", tmp_path / "p.html")
    assert result.returncode == 2
    assert "--k: must be a whole number of at least 1, got '0'" in result.stderr


# ---------------------------------------------------------------- the pipeline's faces


def test_plot_saves_and_redraws_a_saved_analysis(tmp_path, cli):
    saved = tmp_path / "saved"
    first = cli(
        "plot",
        DATA / "zh_topics.csv",
        "--label-column",
        "topic",
        "--method",
        "pacmap",
        "--out",
        tmp_path / "a.html",
        "--save",
        saved,
    )
    assert first.returncode == 0, first.stderr
    assert "Saved the analysis to" in first.stderr
    again = embedviz(
        "plot", saved, "--out", tmp_path / "b.html", "--coords-csv", tmp_path / "b.csv"
    )
    assert again.returncode == 0, again.stderr
    assert "Opened the saved analysis" in again.stderr and "encoding" not in again.stderr
    # The same notes (clusters, scores, ARI) and the same map, without encoding or fitting.
    notes = [
        line for line in first.stderr.splitlines() if line.startswith(("Cluster", "Map", "Adj"))
    ]
    assert notes and all(line in again.stderr for line in notes)
    import embedviz as ev

    a = ev.load(saved)
    frame = __import__("pandas").read_csv(tmp_path / "b.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(frame[["x", "y"]].to_numpy(), a.coords, atol=1e-4)
    assert a.spec.method == "pacmap" and list(frame["topic"])[:1] == ["支付"]


def test_own_embeddings_from_npy_and_from_a_vector_column(tmp_path, use_encoder, cli):
    import pandas as pd

    texts = [line for line in (DATA / "seed_huabei.txt").read_text("utf-8").splitlines() if line]
    X = use_encoder.encode(texts)
    np.save(tmp_path / "x.npy", X)
    out = tmp_path / "own.html"
    result = cli(
        "plot",
        DATA / "seed_huabei.txt",
        "--embeddings",
        tmp_path / "x.npy",
        "--method",
        "pca",
        "--out",
        out,
        "--save",
        tmp_path / "s1",
    )
    assert result.returncode == 0, result.stderr
    assert "nothing is encoded" in result.stderr and "Loading model" not in result.stderr
    # The same vectors in a Parquet list column and in CSV cells.
    pd.DataFrame({"text": texts, "vec": list(X)}).to_parquet(tmp_path / "t.parquet")
    pd.DataFrame({"text": texts, "vec": [json.dumps(v.tolist()) for v in X]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    for i, table in enumerate(("t.parquet", "t.csv"), start=2):
        result = cli(
            "plot",
            tmp_path / table,
            "--vector-column",
            "vec",
            "--method",
            "pca",
            "--out",
            out,
            "--save",
            tmp_path / f"s{i}",
        )
        assert result.returncode == 0, result.stderr
    import embedviz as ev

    saved = [ev.load(tmp_path / f"s{i}") for i in (1, 2, 3)]
    for s in saved:
        np.testing.assert_allclose(s.embeddings, X, atol=1e-6)
        np.testing.assert_allclose(s.coords, saved[0].coords, atol=1e-5)
        assert s.spec.model == "your embeddings"


def test_mismatched_own_embeddings_exit_2_with_the_fix(tmp_path, cli):
    np.save(tmp_path / "x.npy", np.ones((3, 8), np.float32))
    result = cli(
        "plot",
        DATA / "seed_huabei.txt",
        "--embeddings",
        tmp_path / "x.npy",
        "--out",
        tmp_path / "p.html",
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "embedviz: error: The embeddings have 3 rows but there are 4 texts. Give one vector "
        "per text, in the texts' order (rows skipped as empty texts included in neither)."
    )


def test_a_flag_the_method_does_not_take_is_refused(tmp_path, cli):
    result = cli(
        "plot",
        DATA / "seed_huabei.txt",
        "--method",
        "umap",
        "--perplexity",
        "5",
        "--out",
        tmp_path / "p.html",
    )
    assert result.returncode == 2
    assert "--method umap does not take --perplexity; it takes --n-neighbors, --min-dist" in (
        result.stderr
    )
    assert "Loading model" not in result.stderr  # refused before any work


def count_encoder_calls(monkeypatch) -> list[int]:
    from embedviz.encoders.use import USEEncoder

    calls: list[int] = []
    original = USEEncoder._encode_batch
    monkeypatch.setattr(
        USEEncoder, "_encode_batch", lambda self, t: calls.append(len(t)) or original(self, t)
    )
    return calls


def test_the_cache_and_no_cache_by_counting_encoder_calls(tmp_path, monkeypatch):
    from embedviz.cli import main

    calls = count_encoder_calls(monkeypatch)
    args = ["embed", str(DATA / "seed_huabei.txt"), "--out", str(tmp_path / "e.npy")]
    assert main(args) == 0 and sum(calls) == 4
    assert main(args) == 0 and sum(calls) == 4  # the second run reads the disk cache
    assert main([*args, "--no-cache"]) == 0 and sum(calls) == 8
    plot = [
        "plot",
        str(DATA / "seed_huabei.txt"),
        "--method",
        "pca",
        "--out",
        str(tmp_path / "p.html"),
    ]
    assert main(plot) == 0 and sum(calls) == 8
    assert main([*plot, "--no-cache"]) == 0 and sum(calls) == 12


def test_cli_and_app_give_the_same_result(tmp_path, cli):
    """One sample through the command line and through the app: the same clusters, names,
    scores, coordinates and CSV, because both read one Analysis."""
    from streamlit.testing.v1 import AppTest

    import embedviz as ev

    result = cli(
        "plot",
        DATA / "zh_topics.csv",
        "--label-column",
        "topic",
        "--method",
        "tsne",
        "--out",
        tmp_path / "cli.html",
        "--save",
        tmp_path / "cli",
        "--coords-csv",
        tmp_path / "cli.csv",
    )
    assert result.returncode == 0, result.stderr
    cli = ev.load(tmp_path / "cli")

    at = AppTest.from_file(str(Path(__file__).parents[1] / "streamlit_app.py"), default_timeout=180)
    at.run()
    at.sidebar.radio(key="method").set_value("tsne").run()
    at.radio(key="source").set_value("Sample dataset").run()
    at.selectbox(key="sample").set_value("zh_topics.csv").run()
    at.selectbox(key="label_column").set_value("topic").run()
    assert not at.exception, [e.value for e in at.exception]
    app = at.session_state["embedviz_analysis"]
    np.testing.assert_array_equal(app.clusters, cli.clusters)
    np.testing.assert_allclose(app.coords, cli.coords, atol=1e-5)
    assert app.cluster_names == cli.cluster_names
    assert app.scores == pytest.approx(cli.scores)
    assert app.notes == cli.notes
    assert app.csv_bytes() == (tmp_path / "cli.csv").read_bytes()


def test_search_and_pairs_read_a_saved_analysis(tmp_path, cli):
    saved = tmp_path / "seed"
    assert (
        cli(
            "plot",
            DATA / "seed_huabei.txt",
            "--method",
            "pca",
            "--out",
            tmp_path / "p.html",
            "--save",
            saved,
        ).returncode
        == 0
    )
    found = cli("search", saved, "--query", "花呗怎么换绑定的银行卡", "--top-k", "2")
    assert found.returncode == 0, found.stderr
    assert "Opened the saved analysis" in found.stderr
    ranked = found.stdout.splitlines()[1:]
    assert {line.split()[-1] for line in ranked} == {"如何更换花呗绑定银行卡", "花呗更改绑定银行卡"}
    pairs = cli("pairs", saved, "--threshold", "0.8", "--out", tmp_path / "pairs.csv")
    assert pairs.returncode == 0 and "1 pairs with cosine >= 0.8" in pairs.stderr


def test_a_command_that_fails_half_way_writes_nothing(tmp_path, cli):
    out, saved = tmp_path / "map.html", tmp_path / "saved"
    result = cli(
        "plot",
        DATA / "seed_huabei.txt",
        "--method",
        "pca",
        "--out",
        out,
        "--save",
        saved,
        "--coords-csv",
        tmp_path / "no-such-folder" / "c.csv",
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("embedviz: error: There is no folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no HTML, no folder, no leftovers


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["pairs", DATA / "seed_huabei.txt", "--threshold", "1.5", "--out", "p.csv"],
            "--threshold: must be a number from -1 to 1, got '1.5'",
        ),
        (
            ["search", DATA / "seed_huabei.txt", "--query", "x", "--top-k", "0"],
            "--top-k: must be a whole number of at least 1, got '0'",
        ),
        (
            ["plot", DATA / "seed_huabei.txt", "--k", "two", "--out", "p.html"],
            "--k: must be a whole number of at least 1, got 'two'",
        ),
    ],
)
def test_numeric_flags_are_range_checked_in_one_line(args, message):
    result = embedviz(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_explain_prints_labels_contrasts_evidence_and_misfits_and_saves_them(cli, tmp_path):
    from embedviz.analysis import load

    from .chat_server import ChatServer

    chat = ChatServer()
    try:
        for k in range(8):  # one question per cluster
            answer = {
                "label": f"主题{k}",
                "difference": f"第{k}组与邻组不同",
                "evidence": ["T1", "编的"],
            }
            chat.answer(json.dumps({**answer, "misfits": ["M1"]}, ensure_ascii=False))
        saved = tmp_path / "explained"
        result = cli(
            "explain", DATA / "zh_topics.csv", "--llm", f"openai:chatglm3-6b@{chat.url}",
            "--method", "pca", "--save", saved,
        )  # fmt: skip
    finally:
        chat.close()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"\[0\] 主题0  \(\d+ texts; keywords: .*; against cluster \d\)", out)
    assert "    第0组与邻组不同" in out and "    evidence: " in out
    assert "    dropped, not a member's text: 编的" in out
    misfits = re.findall(r"    does not fit: row (\d+): (.+)", out)
    assert misfits  # the LLM confirmed the first offered member of each cluster that had one
    again = load(saved)
    assert again.llm_labels[0] == "主题0" and "第0组与邻组不同" in again.explanations[0]
    # Every misfit printed is kept in the saved analysis, by its row.
    kept = {(str(again.rows[i]), again.texts[i]) for i in again.misfit_positions}
    assert set(misfits) == kept
