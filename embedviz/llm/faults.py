"""What goes wrong when ChatGLM is deployed locally, and the fix for each: matched against
error messages by the transformers backend and printed by ``embedviz doctor``."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ._base import Check

#: Where cpm_kernels looks for the CUDA libraries (and nowhere else).
CPM_KERNELS_DIRS = ("$CUDA_PATH/lib64", "/usr/local/cuda/lib64")

#: (text in the error, what it means and what to do)
KNOWN_FAULTS: list[tuple[str, str]] = [
    (
        "Library cuda is not initialized",
        "cpm_kernels (ChatGLM's int4/int8 CUDA kernels) could not load libcuda.so. It looks "
        "only in $CUDA_PATH/lib64 and /usr/local/cuda/lib64: set CUDA_PATH to the CUDA folder "
        "that holds lib64/libcuda.so, or link the driver's libcuda.so (e.g. "
        "/usr/lib/x86_64-linux-gnu/libcuda.so.1) into /usr/local/cuda/lib64/libcuda.so.",
    ),
    (
        "Driver/library version mismatch",
        "The NVIDIA kernel driver and its user-space library differ (usually after a driver "
        "update without a reboot). Reboot, or reinstall the driver so both match; "
        "`nvidia-smi` must work before CUDA can.",
    ),
    (
        "CUDA driver version is insufficient",
        "The installed NVIDIA driver is older than the CUDA runtime that torch or cpm_kernels "
        "was built for. Update the driver, or install a torch build for an older CUDA.",
    ),
    (
        "No compiled kernel found",
        "ChatGLM's int4 CPU kernel (quantization_kernels*.c) did not compile or load. It needs "
        "gcc with OpenMP (`apt-get install gcc libgomp1`); on the CPU, fp32 (`.float()`) "
        "always works with enough RAM (~25 GB for 6B).",
    ),
    (
        "kernel_file",
        "ChatGLM's CPU int4 kernel was given no file to load (kernel_file empty): the kernel "
        "compile failed first. Install gcc and OpenMP, or use fp32 on the CPU.",
    ),
    (
        "pkg_resources",
        "cpm_kernels 1.0.11 imports pkg_resources, which recent setuptools no longer ship: "
        "`pip install 'setuptools<81'`.",
    ),
    (
        "out of memory",
        "The model does not fit the GPU's free memory at this precision. ChatGLM-6B needs about "
        "13 GB for fp16, 8 GB for int8, 5.5 GB for int4: choose a smaller precision.",
    ),
]


def explain_fault(message: str) -> str | None:
    """The known cause and fix of an error message, or None."""
    lowered = message.lower()
    for needle, fix in KNOWN_FAULTS:
        if needle.lower() in lowered:
            return fix
    return None


def check_cpm_kernels() -> list[Check]:
    found = {}
    has_libcuda = False
    for folder in CPM_KERNELS_DIRS:
        path = Path(os.path.expandvars(folder))
        if "$" in str(path):
            found[folder] = "CUDA_PATH is not set"
            continue
        libs = [n for n in ("libcuda.so", "libcudart.so") if (path / n).exists()]
        has_libcuda = has_libcuda or "libcuda.so" in libs
        found[folder] = ", ".join(libs) if libs else "neither libcuda.so nor libcudart.so"
    where = "; ".join(f"{k}: {v}" for k, v in found.items())
    checks = [
        Check(
            "libcuda where cpm_kernels looks",
            has_libcuda or None,
            where,
            "" if has_libcuda else explain_fault("Library cuda is not initialized") or "",
        )
    ]
    if importlib.util.find_spec("cpm_kernels") is None:
        checks.append(
            Check(
                "cpm_kernels",
                None,
                "not installed (only ChatGLM's int4/int8 on a GPU need it)",
                "pip install cpm_kernels==1.0.11 'setuptools<81'",
            )
        )
        return checks
    try:
        import cpm_kernels  # noqa: F401

        checks.append(Check("cpm_kernels", True, "imports"))
    except Exception as err:  # it raises OSError, RuntimeError, ImportError by environment
        checks.append(
            Check("cpm_kernels", False, f"import fails: {err}", explain_fault(str(err)) or "")
        )
    return checks


def check_openmp() -> Check:
    gcc = shutil.which("gcc")
    if not gcc:
        return Check(
            "gcc + OpenMP (ChatGLM int4 on the CPU)",
            False,
            "gcc not found",
            "apt-get install gcc libgomp1 (ChatGLM compiles its CPU int4 kernel with it)",
        )
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "omp.c"
        src.write_text(
            "#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n"
        )
        done = subprocess.run(
            [gcc, "-fopenmp", "-shared", "-fPIC", str(src), "-o", str(Path(folder) / "omp.so")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    if done.returncode:
        return Check(
            "gcc + OpenMP (ChatGLM int4 on the CPU)",
            False,
            done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "compile failed",
            explain_fault("No compiled kernel found") or "",
        )
    return Check("gcc + OpenMP (ChatGLM int4 on the CPU)", True, "a -fopenmp kernel compiles")
