"""Attacks tried for real: hostile scripts against the runner, hostile strings and files
against the inputs and exports, corrupted cache entries. Each must come out contained or
refused with a clear message."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from embedviz.sandbox import Limits, isolation, run_confined, why_it_stopped

from .conftest import SEED as SEED_TEXTS
from .conftest import needs_sandbox
from .test_app import plain


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


def unconfined(monkeypatch):
    """Run the next scripts as a machine without bubblewrap would, the operator having opted
    in: limits only. The control that shows each attack below can succeed at all."""
    import embedviz.sandbox as sandbox

    monkeypatch.setattr(sandbox, "_bwrap_works", lambda: False)
    monkeypatch.setenv(sandbox.OPT_IN, "1")


@pytest.fixture
def helper_with_a_secret():
    """Another process of this user whose environment holds a secret from its start (what
    /proc/PID/environ shows), as the app's own process would."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env={**os.environ, "EMBEDVIZ_TEST_SECRET": "s3cr3t-token"},
    )
    yield proc
    proc.kill()
    proc.wait()


SCAN_PROC = """
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
    print("found", found)
"""


@needs_sandbox
def test_a_script_cannot_read_another_processs_environment(helper_with_a_secret, monkeypatch):
    confined = run(SCAN_PROC)
    assert confined.returncode == 0, confined.stderr
    assert confined.stdout.strip() == "found []"  # a /proc of its own: no other process
    unconfined(monkeypatch)
    control = run(SCAN_PROC)
    assert str(helper_with_a_secret.pid) in control.stdout  # without it, the secret shows


@needs_sandbox
def test_bubblewrap_clears_the_environment_it_is_given(tmp_path):
    """run_confined gives bubblewrap a clean environment already; --clearenv is the second
    wall. Given one with a secret, the script must not see it."""
    import subprocess
    import sys

    from embedviz.sandbox import _bwrap_args

    code = "import os; print(sorted(k for k in os.environ if 'SECRET' in k))"
    done = subprocess.run(
        [*_bwrap_args(str(tmp_path), []), sys.executable, "-I", "-c", code],
        env={**os.environ, "EMBEDVIZ_TEST_SECRET": "s3cr3t-token"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.fixture
def listener():
    """A TCP server on loopback that counts the connections it accepts."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], accepted
    server.close()


@needs_sandbox
def test_a_script_cannot_reach_a_server_on_this_machine(listener, monkeypatch):
    port, accepted = listener
    code = f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=5)
            print("CONNECTED")
        except OSError as err:
            print("refused", type(err).__name__)
    """
    confined = run(code)
    assert confined.returncode == 0, confined.stderr
    assert confined.stdout.startswith("refused") and accepted == []
    unconfined(monkeypatch)
    control = run(code)
    assert control.stdout.strip() == "CONNECTED" and len(accepted) == 1


@needs_sandbox
def test_a_changed_script_cannot_leave_compiled_code_for_the_next():
    """The sandbox's numba cache is embedviz's own scripts' to fill; a script an LLM changed
    works on a copy, thrown away with it."""
    from embedviz.sandbox import _numba_cache

    plant = """
        import os
        folder = os.environ["NUMBA_CACHE_DIR"]
        open(os.path.join(folder, "planted.nbc"), "w").write("x")
        print(sorted(os.listdir(folder)))
    """
    look = """
        import os
        print("planted.nbc" in os.listdir(os.environ["NUMBA_CACHE_DIR"]))
    """
    assert "planted.nbc" in run(plant).stdout  # it could write its copy
    assert run(look).stdout.strip() == "False"
    assert not (_numba_cache() / "planted.nbc").exists()
    trusted = run_confined(textwrap.dedent(plant), trusted=True)
    assert trusted.returncode == 0, trusted.stderr
    assert run(look).stdout.strip() == "True"  # embedviz's own runs fill the shared cache
    (_numba_cache() / "planted.nbc").unlink()


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


DAMAGES = ["width", "nan", "rows", "object", "empty", "truncated", "zeros", "one zero row",
           "the same row", "a folder"]  # fmt: skip


@pytest.mark.parametrize("damage", DAMAGES)
def test_corrupted_cache_entries_are_made_again(damage, use_encoder, seed_texts, caplog):
    import io

    import numpy as np

    from embedviz.cache import cache_dir, cached_encode, embeddings_key

    X, hit = cached_encode(use_encoder, seed_texts)
    path = cache_dir() / "embeddings" / f"{embeddings_key(use_encoder.cache_key, seed_texts)}.npy"
    whole = io.BytesIO()
    np.save(whole, X)
    path.unlink()
    if damage == "a folder":
        (path / "inside").mkdir(parents=True)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    else:
        bad = {
            "width": X[:, :100],
            "nan": np.where(np.eye(4, 512) > 0, np.nan, X).astype(np.float32),
            "rows": X[:3],
            "object": np.array([1, 2, 3, 4], dtype=np.float64),
            "zeros": np.zeros_like(X),
            "one zero row": np.where(np.arange(4)[:, None] == 2, 0, X).astype(np.float32),
            "the same row": np.repeat(X[:1], 4, axis=0),
        }[damage]
        np.save(path, bad)
    again, hit = cached_encode(use_encoder, seed_texts)
    assert not hit and "is wrong" in caplog.text  # a miss, said; what it held is not used
    np.testing.assert_allclose(again, X, atol=1e-6)
    assert path.is_file() and cached_encode(use_encoder, seed_texts)[1]  # replaced, then read
    assert not list(path.parent.glob("*.tmp"))  # no temporary left behind


def test_a_cache_that_cannot_be_written_leaves_no_temporary_file(
    use_encoder, seed_texts, monkeypatch
):
    import os

    from embedviz.cache import cache_dir, cached_encode

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", refuse)  # a fault that cannot be made otherwise here
    X, hit = cached_encode(use_encoder, seed_texts)
    assert not hit and X.shape == (4, 512)
    assert not list((cache_dir() / "embeddings").glob("*"))


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


# ---------------------------------------------------------------- names, scripts, folders

HOSTILE_NAMES = [
    "**bold** x.csv",
    "_it_ `code` ~~gone~~ x.csv",
    "# heading",
    "1. a list",
    "- a list",
    "> a quote",
    "![x](http://127.0.0.1:9/x.png)",
    "<b>tag</b> &amp; &copy;",
    "a | b",
    ":red[alert] :smile: $x^2$",
    "www.example.com http://a.b",
    "    indented code",
    "line\n# two",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_every_name_renders_as_the_text_it_is(name):
    """What safe() gives, Markdown (CommonMark with GitHub's tables and strikethrough, as
    Streamlit renders it) shows as the name itself, in one plain paragraph."""
    import html
    import re

    from markdown_it import MarkdownIt

    from embedviz.ui.text import safe

    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(safe(name))
    assert set(re.findall(r"<(\w+)", rendered)) == {"p"}, rendered
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace("\u200b", "")
    assert " ".join(text.split()) == " ".join(name.split())


def test_names_from_a_file_show_as_text_on_the_page():
    from markdown_it import MarkdownIt
    from streamlit.testing.v1 import AppTest

    from .test_app import APP, TIMEOUT

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.radio(key="source").set_value("Upload a file").run()
    column = "**LBL** _x_"
    labels = ["a", "a", "b", "b"]
    rows = [f"{t},{label}" for t, label in zip(SEED_TEXTS, labels, strict=True)]
    data = "\n".join([f"text,{column}", *rows]) + "\n"
    uploader = next(u for u in at.get("file_uploader") if u.key == "upload")
    uploader.set_value(("**bold** x.csv", data.encode(), "text/csv")).run()
    at.selectbox(key="label_column").set_value(column).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [c.value for c in at.caption if "as UTF-8" in plain(c.value)]
    options = at.radio(key="colour_by").options
    metric = [m.label for m in at.metric if "ARI" in plain(m.label)]
    assert shown and options and metric
    for markdown in [*shown, *options, *metric]:
        assert "<strong>" not in md.render(markdown) and "<em>" not in md.render(markdown)
    assert "**bold** x.csv" in md.render(shown[0]).replace("\u200b", "")


@pytest.mark.parametrize(
    "spec",
    [
        r"D:\Projects\text2vec-base-chinese",
        r"C:\Users\me\models\新模型",
        "text2vec:C:\\new\\Unicode\\x",
        r'D:\models\x"""; import os; os.system("echo pwned") #',
    ],
)
def test_any_model_spec_is_a_literal_in_the_script(spec):
    import ast

    from embedviz.codegen import View, template_script

    script = template_script(View(texts=["如何办理银行卡", "哈里路大旋风"], model_spec=spec,
                                  method="pca", dims=2))  # fmt: skip
    tree = ast.parse(script)  # a Windows path or quotes are no SyntaxError, no code
    assigned = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    }
    assert assigned["MODEL"] == spec
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in tree.body)


def _folder_with(tmp_path, minilm_folder, *, own_code=False, pickle=False):
    import json
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(minilm_folder, folder)
    if own_code:
        config = json.loads((folder / "config.json").read_text())
        config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
        (folder / "config.json").write_text(json.dumps(config))
        (folder / "modeling_evil.py").write_text("raise SystemExit('ran its own code')\n")
    if pickle:
        import pickletools  # noqa: F401 - the weights below are a pickle that runs code

        for weights in folder.glob("*.safetensors"):
            weights.unlink()
        (folder / "pytorch_model.bin").write_bytes(
            b"\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system"
            b"\x94\x93\x94\x8c\x05echo!\x94\x85\x94R\x94."
        )
    return folder


@pytest.mark.parametrize("kind", ["own code", "pickle"])
def test_a_model_folder_that_would_run_code_gets_one_clear_message(kind, tmp_path, minilm_folder):
    from embedviz.encoders import load_encoder
    from embedviz.errors import ModelLoadError

    folder = _folder_with(
        tmp_path, minilm_folder, own_code=kind == "own code", pickle=kind == "pickle"
    )
    expected = "runs its own Python code" if kind == "own code" else "weights are a pickle"
    with pytest.raises(ModelLoadError, match=expected):
        load_encoder(str(folder))


def test_a_model_folder_with_its_own_code_on_the_page(tmp_path, minilm_folder):
    from streamlit.testing.v1 import AppTest

    from .test_app import APP, TIMEOUT

    folder = _folder_with(tmp_path, minilm_folder, own_code=True)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.sidebar.selectbox(key="model_choice").set_value("Other: hub name or folder").run()
    at.sidebar.text_input(key="model_custom").set_value(str(folder)).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and "runs its own Python code" in errors[0]
    assert "Traceback" not in errors[0] and "--model-trust-remote-code" in errors[0]


def test_the_command_line_never_prompts_for_a_folders_code(tmp_path, minilm_folder):
    """On a terminal transformers asks [y/N] before running a folder's code; embedviz must
    refuse at once instead (running the code is --model-trust-remote-code or nothing)."""
    import pty
    import select
    import sys
    import time

    folder = _folder_with(tmp_path, minilm_folder, own_code=True)
    (tmp_path / "t.txt").write_text("如何办理银行卡\n", encoding="utf-8")
    pid, fd = pty.fork()
    if pid == 0:  # the child: embedviz on a terminal
        command = ["-m", "embedviz", "embed", str(tmp_path / "t.txt"), "--model", str(folder)]
        os.execv(sys.executable, [sys.executable, *command, "--out", str(tmp_path / "x.npy")])
    said, start = b"", time.monotonic()
    while time.monotonic() - start < 120:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            said += chunk
            if b"[y/N]" in said:
                os.write(fd, b"n\n")
                break
    _, status = os.waitpid(pid, 0)
    text = said.decode(errors="replace")
    assert "[y/N]" not in text and "runs its own Python code" in text
    assert os.waitstatus_to_exitcode(status) == 2


@needs_sandbox
def test_a_scripts_figure_reaches_the_page_with_no_address_to_fetch(listener):
    import json

    from embedviz.codegen import run_script

    port, accepted = listener
    url = f"http://127.0.0.1:{port}"
    script = f"""
import plotly.graph_objects as go
fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2], text=['<a href="{url}/a">x</a>', "ok"]))
fig.add_layout_image(source="{url}/img.png?data=花呗", x=0, y=0, sizex=1, sizey=1)
fig.add_layout_image(source="data:image/png;base64,iVBORw0KGgo=", x=0, y=0)
fig.add_trace(go.Scattergeo(lon=[116.4], lat=[39.9]))
fig.update_layout(font_family="x", map_style="open-street-map")
fig.write_html("embedviz_view.html")
"""
    result = run_script(script)
    assert result.ok, result.output
    address = f"127.0.0.1:{port}"
    assert address not in result.figure_json and address not in result.html
    figure = json.loads(result.figure_json)
    assert [t["type"] for t in figure["data"]] == ["scatter"]
    assert [i["source"][:5] for i in figure["layout"]["images"]] == ["data:"]
    assert "map" not in figure["layout"] and len(result.removed) == 4
    assert any("layout.images[0].source" in line for line in result.removed)
    assert accepted == []


def test_hub_lookups_send_nothing_when_offline(tmp_path):
    """A real HTTP server stands in for the hub (HF_ENDPOINT), so whatever client
    huggingface_hub or embedviz uses, a request would arrive there: none may when
    HF_HUB_OFFLINE is set, and one does when it is not (the control)."""
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen = []

    class Hub(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = (
        "from embedviz.encoders import load_encoder\n"
        "try:\n    load_encoder('shibing624/text2vec-base-chinese')\n"
        "except Exception as err:\n    print(type(err).__name__, err)\n"
    )
    env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
           "HF_HOME": str(tmp_path)}  # fmt: skip
    try:
        offline = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 env={**env, "HF_HUB_OFFLINE": "1"}, timeout=120)  # fmt: skip
        assert "HF_HUB_OFFLINE" in offline.stdout and seen == []
        env.pop("HF_HUB_OFFLINE", None)
        online = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=env, timeout=120)  # fmt: skip
        assert "no public model" in online.stdout and seen, online.stdout + online.stderr
    finally:
        server.shutdown()
        server.server_close()
