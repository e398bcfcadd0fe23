"""``embedviz doctor``: check what running a local LLM needs on this machine and say the fix
for each problem: torch and CUDA, the GPU and its free memory (and which ChatGLM precision
fits), cpm_kernels and where it looks for libcuda, the NVIDIA driver, gcc/OpenMP for the CPU
int4 kernel, the bundled model and llama.cpp.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .llm import BACKENDS, Check
from .llm.faults import check_cpm_kernels, check_openmp, explain_fault  # noqa: F401

#: ChatGLM-6B's GPU memory by precision (GB), from its users' measurements (load with
#: room for a long answer): fp16 12-13, int8 7-9, int4 5.
CHATGLM_GPU_GB = {"fp16": 13.0, "int8": 9.0, "int4": 5.5}
#: RAM for ChatGLM-6B on the CPU: fp32 weights, or the int4 CPU kernel.
CHATGLM_CPU_GB = {"fp32": 25.0, "int4": 8.5}


def fitting_precision(free_gb: float) -> str | None:
    for precision in ("fp16", "int8", "int4"):
        if free_gb >= CHATGLM_GPU_GB[precision]:
            return precision
    return None


def check_torch() -> list[Check]:
    try:
        import torch
    except ImportError:
        return [Check("torch", False, "not installed", "pip install -r requirements.txt")]
    cuda_build = torch.version.cuda
    checks = [
        Check(
            "torch",
            True,
            f"{torch.__version__} ({'CUDA ' + cuda_build if cuda_build else 'CPU-only build'})",
        )
    ]
    if not torch.cuda.is_available():
        fix = (
            "This is the CPU build: on a machine with an NVIDIA GPU install the CUDA build of the "
            "same version (pip install torch==VERSION --index-url "
            "https://download.pytorch.org/whl/cu126)."
            if not cuda_build
            else "torch has CUDA but sees no GPU: check `nvidia-smi` and the driver."
        )
        checks.append(Check("GPU", None, "no GPU visible to torch; models run on the CPU", fix))
        return checks
    for k in range(torch.cuda.device_count()):
        free, total = (b / 2**30 for b in torch.cuda.mem_get_info(k))
        fits = fitting_precision(free)
        checks.append(
            Check(
                f"GPU {k}",
                fits is not None,
                f"{torch.cuda.get_device_name(k)}, {free:.1f} of {total:.1f} GB free; "
                + (
                    f"ChatGLM-6B fits at {fits}"
                    if fits
                    else "too little for ChatGLM-6B even at int4"
                ),
                "" if fits else "Free GPU memory (other processes: nvidia-smi) or run on the CPU.",
            )
        )
    return checks


def check_driver() -> Check:
    smi = shutil.which("nvidia-smi")
    if not smi:
        return Check("NVIDIA driver", None, "nvidia-smi not found (no NVIDIA driver here)")
    done = subprocess.run([smi], capture_output=True, text=True, timeout=20)
    text = (done.stdout + done.stderr).strip()
    if done.returncode:
        return Check(
            "NVIDIA driver",
            False,
            text.splitlines()[0] if text else "failed",
            explain_fault(text) or "Reinstall the NVIDIA driver.",
        )
    version = next((ln for ln in text.splitlines() if "Driver Version" in ln), "").strip(" |")
    return Check("NVIDIA driver", True, version or "nvidia-smi works")


def check_memory() -> Check:
    info = dict(
        line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line
    )
    available = int(info["MemAvailable"].split()[0]) / 2**20
    fits = [p for p, gb in CHATGLM_CPU_GB.items() if available >= gb]
    return Check(
        "RAM",
        True,
        f"{available:.1f} GB available; ChatGLM-6B on the CPU fits at: {', '.join(fits) or 'none'}"
        "; the bundled 1.5B model needs about 2 GB",
    )


def run_checks() -> list[Check]:
    """The machine's checks (torch, the GPU, the driver, the memory), then each LLM
    backend's own (see :meth:`embedviz.llm.ChatModel.checks`)."""
    checks = [*check_torch(), check_driver(), check_memory()]
    for backend in BACKENDS.values():
        checks += backend.checks()
    return checks
