"""Every setting embedviz reads from the environment, in one place: what the operator of a
server decides (never the page), where caches go, and the limits of this machine.

On a server others can reach, what can run code or read the host's files comes from here:
extra embedding models (``EMBEDVIZ_MODELS``, comma-separated specs) and the LLM
(``EMBEDVIZ_LLM``, a spec; ``EMBEDVIZ_LLM_TRUST_REMOTE_CODE=1`` to run a ChatGLM folder's
own code; ``EMBEDVIZ_LLM_PRECISION``). On a local server the page may name them too.

| variable | what it sets |
|---|---|
| ``EMBEDVIZ_MODELS`` | embedding models offered besides the built-in ones |
| ``EMBEDVIZ_LLM`` (``_PRECISION``, ``_TRUST_REMOTE_CODE``) | the operator's LLM |
| ``EMBEDVIZ_LEAN_MAP_ABOVE`` | points above which a map ships no text per point |
| ``EMBEDVIZ_MEMMAP_ABOVE_MB`` | embeddings larger than this stay on disk, memory-mapped |
| ``EMBEDVIZ_MAX_INPUT_MB`` | the largest input file, paste or workbook |
| ``EMBEDVIZ_CACHE_DIR`` (else ``XDG_CACHE_HOME``/embedviz, ``~/.cache/embedviz``) | caches |
| ``EMBEDVIZ_THREADS`` | threads an encoder uses (a Ray worker with one CPU sets 1) |
| ``EMBEDVIZ_UNSANDBOXED_SCRIPTS=1`` | run scripts with limits only where bubblewrap is missing |
| ``HF_HUB_OFFLINE`` | never ask the Hugging Face hub |
| ``EMBEDVIZ_TEST_CRASH_ONCE`` | the test suite's way to kill a Ray worker once |
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from .errors import InputError, ParameterError

PRECISIONS = ("auto", "fp16", "int8", "int4", "fp32")

#: What every figure embedviz draws tells plotly.js (the app's charts, the lean map, the
#: exported HTML, the scripts): no "Share chart..." button, which uploads the figure, every
#: text in it, to Plotly Cloud (plotly.js shows it by default), no address to upload to, and
#: no logo linking to plotly's site. Not from the environment: no operator may turn it on.
PLOTLY_CONFIG = {
    "showSendToCloud": False,
    "plotlyServerURL": "",
    "modeBarButtonsToRemove": ["sendChartToCloud"],
    "displaylogo": False,
}

#: Names of the variables read elsewhere by name (a child process is given them).
THREADS_ENV = "EMBEDVIZ_THREADS"
UNSANDBOXED_ENV = "EMBEDVIZ_UNSANDBOXED_SCRIPTS"
CRASH_ONCE_ENV = "EMBEDVIZ_TEST_CRASH_ONCE"


def _get(name: str) -> str:
    return os.environ.get(name, "").strip()


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable from this machine only."""
    address = (address or "").strip().strip("[]")
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # "", "0.0.0.0", a host name: reachable from elsewhere


def operator_models() -> list[str]:
    """Embedding model specs the operator offers (EMBEDVIZ_MODELS)."""
    return [spec.strip() for spec in _get("EMBEDVIZ_MODELS").split(",") if spec.strip()]


def operator_llm() -> tuple[str | None, tuple]:
    """The operator's LLM as (spec, options) for :func:`embedviz.llm.load_llm`, or
    (None, ()) when EMBEDVIZ_LLM is unset.

    Raises:
        ParameterError: EMBEDVIZ_LLM_PRECISION is not one of PRECISIONS.
    """
    spec = _get("EMBEDVIZ_LLM")
    if not spec:
        return None, ()
    if not spec.startswith("transformers:"):
        return spec, ()
    precision = _get("EMBEDVIZ_LLM_PRECISION") or "auto"
    if precision not in PRECISIONS:
        raise ParameterError(
            f"EMBEDVIZ_LLM_PRECISION must be one of {', '.join(PRECISIONS)}, got {precision!r}."
        )
    trust = _get("EMBEDVIZ_LLM_TRUST_REMOTE_CODE") == "1"
    return spec, (("precision", precision), ("revision", None), ("trust_remote_code", trust))


def lean_map_above(default: int) -> int:
    """Points above which a map ships no text per point: EMBEDVIZ_LEAN_MAP_ABOVE, else
    ``default``.

    Raises:
        ParameterError: it is set but not a whole number.
    """
    raw = _get("EMBEDVIZ_LEAN_MAP_ABOVE")
    if not raw:
        return default
    if not raw.isdigit():
        raise ParameterError(
            f"EMBEDVIZ_LEAN_MAP_ABOVE must be a whole number of points (default {default}), "
            f"got {raw!r}."
        )
    return int(raw)


#: Embeddings larger than this many MiB are memory-mapped from disk (a .npy file, or a shard
#: folder gathered once into ``embeddings.npy`` beside its shards) instead of read into
#: memory. Operator setting: EMBEDVIZ_MEMMAP_ABOVE_MB.
MEMMAP_ABOVE_MB = 100


def memmap_above_bytes() -> int:
    """Embeddings above this many bytes stay on disk, memory-mapped:
    EMBEDVIZ_MEMMAP_ABOVE_MB (MiB), else :data:`MEMMAP_ABOVE_MB`.

    Raises:
        ParameterError: it is set but not a whole number.
    """
    raw = _get("EMBEDVIZ_MEMMAP_ABOVE_MB")
    if raw and not raw.isdigit():
        raise ParameterError(
            f"EMBEDVIZ_MEMMAP_ABOVE_MB must be a whole number of MiB (default "
            f"{MEMMAP_ABOVE_MB}), got {raw!r}."
        )
    return int(raw or MEMMAP_ABOVE_MB) * 2**20


#: The largest input, in MB, unless EMBEDVIZ_MAX_INPUT_MB says otherwise.
DEFAULT_MAX_INPUT_MB = 50.0


def max_input_mb() -> float:
    """EMBEDVIZ_MAX_INPUT_MB, parsed safely: a positive, finite number of megabytes.

    Raises:
        InputError: it is set but not such a number.
    """
    raw = _get("EMBEDVIZ_MAX_INPUT_MB")
    if not raw:
        return DEFAULT_MAX_INPUT_MB
    try:
        mb = float(raw)
    except ValueError:
        mb = float("nan")
    if not (0 < mb < float("inf")):
        raise InputError(
            f"EMBEDVIZ_MAX_INPUT_MB must be a positive number of megabytes, got {raw!r}. "
            f"Unset it for the default of {DEFAULT_MAX_INPUT_MB:g}."
        )
    return mb


def cache_root() -> Path:
    """Where embedviz keeps its caches (embeddings, exported ONNX models, the joined LLM)."""
    given = _get("EMBEDVIZ_CACHE_DIR")
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "embedviz"


def threads() -> int | None:
    """EMBEDVIZ_THREADS when it is a positive whole number, else None (all cores)."""
    given = _get(THREADS_ENV)
    return int(given) if given.isdigit() and int(given) > 0 else None


def unsandboxed_scripts_allowed() -> bool:
    """Whether the operator lets scripts run with limits only where no sandbox works."""
    return _get(UNSANDBOXED_ENV) == "1"


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE says never to ask the Hugging Face hub."""
    return _get("HF_HUB_OFFLINE").lower() in {"1", "true", "yes", "on"}


def crash_once_marker() -> str | None:
    """The test suite's marker file: a Ray worker crashes once, creating it."""
    return _get(CRASH_ONCE_ENV) or None
