"""Attacks tried for real: hostile scripts against the runner, hostile strings and files
against the inputs and exports, corrupted cache entries. Each must come out contained or
refused with a clear message."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from embedviz.sandbox import Limits, isolation, run_confined, why_it_stopped

from .conftest import needs_sandbox


def run(code: str, **limits):
    return run_confined(textwrap.dedent(code), limits=Limits(**limits))


@needs_sandbox
def test_a_script_cannot_read_files_outside_its_folder(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the user's data")
    result = run(f"""
        import os
        for path in ({str(secret)!r}, {str(Path.home() / ".bashrc")!r}, "/etc/passwd"):
            try:
                open(path).read()
                print("READ", path)
            except OSError as err:
                print("denied", type(err).__name__)
        open("inside.txt", "w").write("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert "READ" not in result.stdout and result.stdout.count("denied") == 3
    assert result.files["inside.txt"] == b"ok"


@needs_sandbox
def test_a_script_cannot_see_the_apps_environment(monkeypatch):
    monkeypatch.setenv("EMBEDVIZ_TEST_SECRET", "s3cr3t-token")
    result = run("""
        import os
        found = [k for k in os.environ if "SECRET" in k]
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    data = open(f"/proc/{pid}/environ", "rb").read()
                except OSError:
                    continue
                if b"s3cr3t" in data:
                    found.append(pid)
        try:
            open(f"/proc/{os.getppid()}/environ", "rb").read()
        except OSError:
            pass
        print("found", found)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "found []"


@needs_sandbox
def test_a_script_has_no_network():
    result = run("""
        import socket
        for host, port in (("127.0.0.1", 22), ("1.1.1.1", 53), ("::1", 80)):
            try:
                socket.create_connection((host, port), timeout=2)
                print("CONNECTED", host)
            except OSError as err:
                print("no", type(err).__name__)
    """)
    assert result.returncode == 0, result.stderr
    assert "CONNECTED" not in result.stdout and result.stdout.count("no") == 3


def marker_processes(marker: str) -> list[str]:
    alive = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                alive.append(pid)
    return alive


@needs_sandbox
@pytest.mark.parametrize("leave", ["exits", pytest.param("times out", marks=pytest.mark.slow)])
def test_a_daemonised_child_does_not_outlive_the_run(leave):
    marker = f"embedviz-daemon-{leave.replace(' ', '-')}"
    result = run(
        f"""
        import os, subprocess, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}])
            os._exit(0)
        time.sleep({0.5 if leave == "exits" else 60})
        """,
        seconds=3,
    )
    assert (result.stopped is not None) == (leave == "times out")
    import time

    time.sleep(0.5)
    if isolation() == "bubblewrap":
        assert marker_processes(marker) == []


@needs_sandbox
def test_a_memory_hog_is_stopped_with_the_reason():
    result = run(
        """
        blocks = []
        while True:
            blocks.append(bytearray(100 * 2**20))
        """,
        memory_mb=1024,
    )
    assert result.returncode != 0
    assert "memory limit of 1024 MB" in why_it_stopped(result, Limits(memory_mb=1024))


@needs_sandbox
def test_an_output_flood_is_capped():
    result = run(
        """
        import sys
        line = "x" * 1000 + "\\n"
        while True:
            sys.stdout.write(line)
        """,
        file_mb=8,
        seconds=60,
    )
    assert result.returncode != 0 and result.stopped is None  # the file-size limit, not time
    assert len(result.stdout) <= Limits().output_chars
    assert "file-size limit of 8 MB" in why_it_stopped(result, Limits(file_mb=8))


@needs_sandbox
@pytest.mark.slow
def test_a_cpu_hog_is_stopped_at_the_time_limit():
    result = run("while True:\n    pass\n", seconds=2)
    assert result.stopped == "time limit of 2 s" and result.seconds < 20


def test_without_an_isolation_layer_scripts_are_refused_unless_the_operator_opts_in(
    monkeypatch,
):
    import embedviz.sandbox as sandbox
    from embedviz.codegen import run_script

    monkeypatch.setattr(sandbox, "_bwrap_works", lambda: False)
    monkeypatch.delenv(sandbox.OPT_IN, raising=False)
    refused = run_script("print('hi')\n")
    assert not refused.ok and refused.isolation == "refused"
    assert "apt-get install bubblewrap" in refused.output and sandbox.OPT_IN in refused.output
    monkeypatch.setenv(sandbox.OPT_IN, "1")
    assert "WITHOUT isolation" in sandbox.describe_isolation()
    limited = run_confined("print('hi')\n")
    assert limited.isolation == "limits only" and limited.stdout.strip() == "hi"


@needs_sandbox
def test_a_fork_bomb_meets_the_process_limit():
    result = run(
        """
        import os, time
        n = 0
        for _ in range(300):
            try:
                pid = os.fork()
            except OSError as err:
                print("refused after", n, type(err).__name__)
                break
            if pid == 0:
                time.sleep(3)
                os._exit(0)
            n += 1
        else:
            print("forked", n)
        """,
        processes=32,
        seconds=30,
    )
    assert result.stdout.startswith("refused after"), result.stdout + result.stderr
    assert int(result.stdout.split()[2]) < 32


# ---------------------------------------------------------------- inputs, exports, cache


def test_formula_cells_are_inert_in_every_csv(tmp_path):
    import pandas as pd

    from embedviz.export import csv_bytes
    from embedviz.pipeline import analyze

    hostile = [
        '=HYPERLINK("http://127.0.0.1:9/x","点我")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tTAB",
        "如何办理银行卡",
    ]
    a = analyze(hostile, method="pca", labels=["=1+1", "ok", "ok", "ok", "ok", "-x"])
    for data in (a.csv_bytes(), csv_bytes(pd.DataFrame({"=cmd": hostile, "n": range(6)}))):
        frame = pd.read_csv(__import__("io").BytesIO(data), encoding="utf-8-sig", dtype=str)
        for column in frame.columns:
            assert not column.startswith(("=", "+", "-", "@"))
            for cell in frame[column].dropna():
                assert not cell.startswith(("=", "+", "@", "\t")), cell
                assert not (cell.startswith("-") and not _number(cell)), cell
    # The text itself is kept: only a leading ' is added.
    assert "'=HYPERLINK(" in a.csv_bytes().decode("utf-8-sig")


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def test_a_decompression_bomb_is_refused_before_it_unpacks(monkeypatch):
    import io
    import zipfile

    from embedviz.inputs import read_table

    monkeypatch.setenv("EMBEDVIZ_MAX_INPUT_MB", "1")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (64 * 2**20))  # 64 MB of zeros
    data = buffer.getvalue()
    assert len(data) < 200_000
    with pytest.raises(ValueError, match=r"unpacks to 64 MB, over the 1 MB limit"):
        read_table(data, "bomb.xlsx")


def test_a_huge_line_is_cut_and_said():
    from embedviz.inputs import MAX_TEXT_CHARS, read_table, texts_from_table

    data = ("text\n" + "花" * 3_000_000 + "\n如何办理银行卡\n").encode()
    batch = texts_from_table(read_table(data, "long.csv"))
    assert len(batch.texts[0]) == MAX_TEXT_CHARS and batch.texts[1] == "如何办理银行卡"
    assert any(
        "1 texts are longer than 10,000 characters" in n and "rows 1" in n for n in batch.notes
    )


def test_pasted_text_meets_the_same_limits(monkeypatch):
    from embedviz.inputs import texts_from_lines

    monkeypatch.setenv("EMBEDVIZ_MAX_INPUT_MB", "0.5")
    with pytest.raises(ValueError, match="The pasted text is 1.0 MB, over the 0 MB limit"):
        texts_from_lines("句" * 350_000)
    with pytest.raises(ValueError, match=r"has 10,001 rows, over the limit of 10,000"):
        texts_from_lines("a\n" * 10_001)
    for bad in ("lots", "-1", "0", "inf", "nan"):
        monkeypatch.setenv("EMBEDVIZ_MAX_INPUT_MB", bad)
        with pytest.raises(ValueError, match="EMBEDVIZ_MAX_INPUT_MB must be a positive number"):
            texts_from_lines("如何办理银行卡")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"text, text\na,b\n", r"has columns with the same name \('text'\)"),
        (b"text,label\na,b,c\nd,e,f\n", r"Line 2 of t.csv has 3 fields but the header has 2"),
        (
            "text,label\n如何办理银行卡,x\n".encode("gbk") + "明天北京会下雨吗,y\n".encode(),
            r"mixes text encodings: line 3 is UTF-8 but line 2 is not",
        ),
    ],
)
def test_ambiguous_tables_are_refused_naming_the_line(data, message):
    from embedviz.inputs import read_table

    with pytest.raises(ValueError, match=message):
        read_table(data, "t.csv")


@pytest.mark.parametrize("damage", ["width", "nan", "rows", "object"])
def test_corrupted_cache_entries_are_made_again(damage, use_encoder, seed_texts, caplog):
    import numpy as np

    from embedviz.cache import cache_dir, cached_encode, embeddings_key

    X, hit = cached_encode(use_encoder, seed_texts)
    path = cache_dir() / "embeddings" / f"{embeddings_key(use_encoder.cache_key, seed_texts)}.npy"
    bad = {
        "width": X[:, :100],
        "nan": np.where(np.eye(4, 512) > 0, np.nan, X).astype(np.float32),
        "rows": X[:3],
        "object": np.array([1, 2, 3, 4], dtype=np.float64),
    }[damage]
    np.save(path, bad)
    again, hit = cached_encode(use_encoder, seed_texts)
    assert not hit and "is wrong" in caplog.text
    np.testing.assert_allclose(again, X, atol=1e-6)
    assert cached_encode(use_encoder, seed_texts)[1]  # re-made, then read


@pytest.mark.parametrize(
    "address, local",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("", False),
        ("192.168.1.5", False),
        ("myhost", False),
    ],
)
def test_only_a_loopback_address_counts_as_local(address, local):
    from embedviz.settings import is_loopback

    assert is_loopback(address) is local


def test_the_shipped_config_binds_the_app_to_this_machine():
    import tomllib

    from .conftest import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
