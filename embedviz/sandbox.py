"""Run code that embedviz did not write (a script an LLM changed) confined.

The script runs in a fresh temporary folder that is also its HOME, with no inherited
environment, under resource limits (CPU seconds, address space, file size, open files,
processes: RLIMIT_NPROC, and a pids cgroup where one can be made, since root is exempt from
the rlimit), in a session of its own whose whole process group is killed at the time limit,
with its output written to files that the file-size limit caps.

Where bubblewrap (``bwrap``) works, it adds the isolation: new user, PID, network, IPC and
mount namespaces, the system and Python read-only, nothing of the user's files but the
script's folder, ``/proc`` of its own (the app's environment is not there), no network at
all, and every process it started dies with it. Where bubblewrap is missing, scripts are
refused unless the operator opts in with ``EMBEDVIZ_UNSANDBOXED_SCRIPTS=1`` (limits only,
and :func:`isolation` says so for the page).

The figure comes back as plotly JSON (the runner saves it whenever the script writes its
HTML), so the app draws it itself: the script's own HTML never runs in the app's page.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .settings import UNSANDBOXED_ENV, unsandboxed_scripts_allowed

#: The operator's opt-in to run scripts with limits only, where bubblewrap is missing.
OPT_IN = UNSANDBOXED_ENV
FIGURE_JSON = "figure.json"
_RUNNER = "_embedviz_runner.py"
_STDOUT, _STDERR = "_stdout.txt", "_stderr.txt"

# Saves the figure as JSON whenever the script writes its HTML, then runs the script.
_RUNNER_CODE = f"""
import runpy, sys
import plotly.basedatatypes as _b

_write_html = _b.BaseFigure.write_html


def _also_json(self, *args, **kwargs):
    with open({FIGURE_JSON!r}, "w", encoding="utf-8") as f:
        f.write(self.to_json())
    return _write_html(self, *args, **kwargs)


_b.BaseFigure.write_html = _also_json
sys.argv = ["view.py"]
runpy.run_path("view.py", run_name="__main__")
"""


@dataclass(frozen=True)
class Limits:
    """What a script may use. Memory is address space, so it counts what numpy and numba
    map as well as what they touch."""

    seconds: float = 180
    cpu_seconds: int = 300
    memory_mb: int = 4096
    file_mb: int = 256
    open_files: int = 256
    processes: int = 64
    output_chars: int = 8000


@dataclass
class Run:
    """How a confined run went.

    Attributes:
        returncode: the script's exit status (negative: killed by that signal).
        stdout, stderr: the last ``Limits.output_chars`` characters of each.
        files: the folder's files after the run, name -> bytes (the HTML, figure.json).
        seconds: wall time.
        stopped: why embedviz stopped it ("time limit"), or None.
        isolation: what confined it (see :func:`isolation`).
    """

    returncode: int
    stdout: str
    stderr: str
    files: dict[str, bytes]
    seconds: float
    stopped: str | None
    isolation: str


def _numba_cache() -> Path:
    """The numba cache of sandboxed runs (UMAP's and PaCMAP's compiled code: 20-40 s to make
    afresh), never the app's own. Only embedviz's own scripts write it; a script an LLM
    changed gets a copy of its own, thrown away with its folder, so that it cannot leave
    compiled code for a later script to load."""
    from .cache import cache_dir

    folder = cache_dir() / "sandbox-numba"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _bwrap_args(folder: str, read_only: list[str], writable: list[str] = ()) -> list[str]:
    """bubblewrap: everything unshared, the system read-only, the folder writable."""
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    # Mounts apply in order: the empty /tmp first, so that a Python or a venv that lives
    # under /tmp (a CI checkout) is bound on top of it, not hidden by it.
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    roots = {"/usr", "/etc/alternatives", sys.prefix, sys.base_prefix}
    roots.add(str(Path(os.path.realpath(sys.executable)).parents[1]))
    roots.update(read_only)
    for path in sorted(p for p in roots if p and os.path.exists(p)):
        args += ["--ro-bind", path, path]
    for link in ("lib", "lib64", "bin", "sbin"):
        if os.path.islink(f"/{link}"):
            args += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
    for path in writable:
        args += ["--bind", path, path]
    args += ["--bind", folder, folder, "--chdir", folder]
    return args


@lru_cache(maxsize=1)
def _bwrap_works() -> bool:
    if shutil.which("bwrap") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="embedviz-probe-") as folder:
        try:
            done = subprocess.run(
                [*_bwrap_args(folder, []), sys.executable, "-I", "-c", "pass"],
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0


def isolation() -> str:
    """``"bubblewrap"`` (isolated), ``"limits only"`` (the operator opted in without an
    isolation layer) or ``"refused"`` (no layer and no opt-in: scripts do not run)."""
    if _bwrap_works():
        return "bubblewrap"
    if unsandboxed_scripts_allowed():
        return "limits only"
    return "refused"


def describe_isolation() -> str:
    """One sentence for the page: how a script the user asks to run will be confined."""
    mode = isolation()
    if mode == "bubblewrap":
        return (
            "Scripts run in a bubblewrap sandbox: no network, no access to your files or the "
            "app's environment, limited CPU, memory, disk and processes."
        )
    if mode == "limits only":
        return (
            "Scripts run with CPU, memory, file and process limits but WITHOUT isolation "
            f"(bubblewrap is missing; the operator set {OPT_IN}=1): they can read your files "
            "and use the network."
        )
    return (
        "Scripts do not run here: no isolation layer was found. Install bubblewrap "
        f"(apt-get install bubblewrap), or let the operator opt in with {OPT_IN}=1."
    )


@contextlib.contextmanager
def _pids_cgroup(limit: int):
    """A cgroup whose pids.max caps the processes of the run, where this process may make
    one (RLIMIT_NPROC does not bind root, so as root this is the cap that holds). Yields the
    file to write the child's pid to, or None where no pids controller is writable."""
    folder = None
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        candidate = Path(base) / f"embedviz-{uuid.uuid4().hex[:12]}"
        try:
            candidate.mkdir()
        except OSError:
            continue
        try:
            (candidate / "pids.max").write_text(str(limit))
            folder = candidate
            break
        except OSError:
            candidate.rmdir()
    try:
        yield None if folder is None else folder / "cgroup.procs"
    finally:
        if folder is not None:
            for _ in range(50):  # the killed processes leave the cgroup within moments
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)


def _limit(limits: Limits, procs_file: Path | None):
    def apply() -> None:
        if procs_file is not None:
            procs_file.write_text(str(os.getpid()))
        cap = resource.setrlimit
        cap(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        memory = limits.memory_mb * 2**20
        cap(resource.RLIMIT_AS, (memory, memory))
        size = limits.file_mb * 2**20
        cap(resource.RLIMIT_FSIZE, (size, size))
        cap(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        cap(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        cap(resource.RLIMIT_CORE, (0, 0))

    return apply


def _tail(path: Path, chars: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4 * chars))
            return f.read().decode("utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


def run_confined(
    code: str,
    *,
    files: dict[str, bytes] | None = None,
    read_only: list[str] | None = None,
    limits: Limits = Limits(),
    trusted: bool = False,
) -> Run:
    """Run ``code`` as ``view.py`` in a fresh folder, confined (see the module's text).

    Args:
        files: name -> bytes put beside the script first (``embeddings.npy``).
        read_only: paths the script may read besides the system and Python (a model folder).
        trusted: embedviz wrote the code (the view's template): it may add to the shared
            numba cache. Any other code works on a copy of it, discarded after the run.

    Raises:
        PermissionError: no isolation layer and no opt-in; the message says what to do.
    """
    mode = isolation()
    if mode == "refused":
        raise PermissionError(describe_isolation())
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="embedviz-script-") as folder:
        work = Path(folder)
        (work / "view.py").write_text(code, encoding="utf-8")
        (work / _RUNNER).write_text(_RUNNER_CODE, encoding="utf-8")
        for name, data in (files or {}).items():
            (work / Path(name).name).write_bytes(data)
        shared = _numba_cache()
        if trusted:
            numba_cache, writable = shared, [str(shared)]
        else:
            numba_cache, writable = work / ".numba-cache", []
            shutil.copytree(shared, numba_cache, dirs_exist_ok=True)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": folder,
            "TMPDIR": folder,
            "HF_HUB_OFFLINE": "1",
            "PYTHONIOENCODING": "utf-8",
            "OPENBLAS_NUM_THREADS": "1",
            "NUMBA_CACHE_DIR": str(numba_cache),
            "MPLCONFIGDIR": folder,
        }
        command = [sys.executable, "-I", _RUNNER]
        if mode == "bubblewrap":
            sandbox = _bwrap_args(folder, list(read_only or []), writable)
            for key, value in env.items():
                sandbox += ["--setenv", key, value]
            command = [*sandbox, *command]
        stopped = None
        with (
            _pids_cgroup(limits.processes) as procs_file,
            open(work / _STDOUT, "wb") as out,
            open(work / _STDERR, "wb") as err,
        ):
            proc = subprocess.Popen(
                command,
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=_limit(limits, procs_file),
            )
            try:
                proc.wait(timeout=limits.seconds)
            except subprocess.TimeoutExpired:
                stopped = f"time limit of {limits.seconds:g} s"
            finally:
                # The whole session goes: children it forked, whatever it left running.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        outputs = {
            p.name: p.read_bytes()
            for p in work.iterdir()
            if p.is_file()
            and p.name not in ("view.py", _RUNNER, _STDOUT, _STDERR)
            and not p.name.startswith(".")
            and p.stat().st_size <= limits.file_mb * 2**20
        }
        return Run(
            returncode=proc.returncode,
            stdout=_tail(work / _STDOUT, limits.output_chars),
            stderr=_tail(work / _STDERR, limits.output_chars),
            files=outputs,
            seconds=time.perf_counter() - start,
            stopped=stopped,
            isolation=mode,
        )


def why_it_stopped(run: Run, limits: Limits = Limits()) -> str | None:
    """A sentence naming the limit a killed run hit, or None."""
    if run.stopped:
        return f"Stopped at the {run.stopped}."
    signals = {
        signal.SIGXCPU: f"the CPU limit of {limits.cpu_seconds} s",
        signal.SIGXFSZ: f"the file-size limit of {limits.file_mb} MB (output or files)",
        signal.SIGKILL: "a limit (killed)",
        signal.SIGSEGV: "a crash (segmentation fault)",
    }
    if run.returncode < 0:
        what = signals.get(-run.returncode, f"signal {-run.returncode}")
        return f"Stopped by {what}."
    # Python ignores SIGXFSZ and raises instead: read what it raised.
    if "MemoryError" in run.stderr:
        return f"Stopped by the memory limit of {limits.memory_mb} MB."
    if "[Errno 27] File too large" in run.stderr:
        return f"Stopped by the file-size limit of {limits.file_mb} MB (output or files)."
    return None
