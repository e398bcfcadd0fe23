"""What the operator of a server decides, from the environment (never from the page).

On a server others can reach, what can run code or read the host's files comes from here:
extra embedding models (``EMBEDVIZ_MODELS``, comma-separated specs) and the LLM
(``EMBEDVIZ_LLM``, a spec; ``EMBEDVIZ_LLM_TRUST_REMOTE_CODE=1`` to run a ChatGLM folder's
own code; ``EMBEDVIZ_LLM_PRECISION``). On a local server the page may name them too.
How many MiB of embeddings stay on disk, memory-mapped (``EMBEDVIZ_MEMMAP_ABOVE_MB``).
How many points make a map lean (``EMBEDVIZ_LEAN_MAP_ABOVE``: no text per point, the text
under the cursor looked up) is the operator's too: lower for slow browsers.
"""

from __future__ import annotations

import ipaddress
import os

from .errors import ParameterError

PRECISIONS = ("auto", "fp16", "int8", "int4", "fp32")


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
    raw = os.environ.get("EMBEDVIZ_MODELS", "")
    return [spec.strip() for spec in raw.split(",") if spec.strip()]


def operator_llm() -> tuple[str | None, tuple]:
    """The operator's LLM as (spec, options) for :func:`embedviz.llm.load_llm`, or
    (None, ()) when EMBEDVIZ_LLM is unset.

    Raises:
        ParameterError: EMBEDVIZ_LLM_PRECISION is not one of PRECISIONS.
    """
    spec = os.environ.get("EMBEDVIZ_LLM", "").strip()
    if not spec:
        return None, ()
    if not spec.startswith("transformers:"):
        return spec, ()
    precision = os.environ.get("EMBEDVIZ_LLM_PRECISION", "auto").strip() or "auto"
    if precision not in PRECISIONS:
        raise ParameterError(
            f"EMBEDVIZ_LLM_PRECISION must be one of {', '.join(PRECISIONS)}, got {precision!r}."
        )
    trust = os.environ.get("EMBEDVIZ_LLM_TRUST_REMOTE_CODE", "").strip() == "1"
    return spec, (("precision", precision), ("revision", None), ("trust_remote_code", trust))


def lean_map_above(default: int) -> int:
    """Points above which a map ships no text per point: EMBEDVIZ_LEAN_MAP_ABOVE, else
    ``default``.

    Raises:
        ParameterError: it is set but not a whole number.
    """
    raw = os.environ.get("EMBEDVIZ_LEAN_MAP_ABOVE", "").strip()
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
    raw = os.environ.get("EMBEDVIZ_MEMMAP_ABOVE_MB", "").strip()
    if raw and not raw.isdigit():
        raise ParameterError(
            f"EMBEDVIZ_MEMMAP_ABOVE_MB must be a whole number of MiB (default "
            f"{MEMMAP_ABOVE_MB}), got {raw!r}."
        )
    return int(raw or MEMMAP_ABOVE_MB) * 2**20
