"""`embedviz doctor` and `embedviz bench-llm` on this machine, with their real findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from embedviz.doctor import check_cpm_kernels, check_openmp, fitting_precision, run_checks

from .test_cli import embedviz


def test_doctor_reports_each_check_with_its_fix():
    result = embedviz("doctor")
    out = result.stdout
    assert "[ok] torch: 2.13.0" in out
    assert "gcc + OpenMP (ChatGLM int4 on the CPU)" in out
    assert "libcuda where cpm_kernels looks: $CUDA_PATH/lib64" in out
    assert "/usr/local/cuda/lib64" in out
    assert "RAM:" in out and "bundled model" in out and "llama.cpp" in out
    problems = [line for line in out.splitlines() if line.startswith("[!!]")]
    assert result.returncode == (1 if problems else 0)
    assert ("No problems found." in out) == (not problems)


def test_no_gpu_is_reported_as_not_applicable_with_the_way_to_get_one():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    gpu = next(c for c in run_checks() if c.name == "GPU")
    assert gpu.ok is None and "no GPU visible to torch" in gpu.finding
    assert "CUDA build" in gpu.fix


def test_libcuda_is_found_where_cpm_kernels_looks(tmp_path, monkeypatch):
    (tmp_path / "lib64").mkdir()
    (tmp_path / "lib64" / "libcuda.so").write_bytes(b"")
    monkeypatch.setenv("CUDA_PATH", str(tmp_path))
    where = check_cpm_kernels()[0]
    assert where.ok is True and "$CUDA_PATH/lib64: libcuda.so" in where.finding


def test_missing_libcuda_says_where_to_link_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_PATH", str(tmp_path))
    if Path("/usr/local/cuda/lib64/libcuda.so").exists():
        pytest.skip("this machine has libcuda.so in /usr/local/cuda/lib64")
    where = check_cpm_kernels()[0]
    assert where.ok is None
    assert "$CUDA_PATH/lib64: neither libcuda.so nor libcudart.so" in where.finding
    assert "link the driver's libcuda.so" in where.fix


def test_openmp_check_compiles_a_kernel_or_says_what_to_install(monkeypatch):
    check = check_openmp()
    assert check.ok is True or "apt-get install gcc" in check.fix
    monkeypatch.setenv("PATH", "/nonexistent")
    missing = check_openmp()
    assert missing.ok is False and "apt-get install gcc libgomp1" in missing.fix


@pytest.mark.parametrize(
    "free_gb, precision", [(24, "fp16"), (13, "fp16"), (10, "int8"), (6, "int4"), (4, None)]
)
def test_which_chatglm_precision_fits_the_free_gpu_memory(free_gb, precision):
    assert fitting_precision(free_gb) == precision


def test_bench_llm_prints_the_table_for_a_transformers_model(tmp_path, minilm_folder):
    from .llm_models import build_tiny_glm

    folder = build_tiny_glm(tmp_path / "tiny-glm", minilm_folder)
    result = embedviz("bench-llm", "--llm", f"transformers:{folder}", "--long-tokens", "16")
    assert result.returncode == 0, result.stderr
    header, _, row = result.stdout.strip().splitlines()[-3:]
    assert header.startswith("| model | RAM (GB) | GPU memory (GB) | load (s)")
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "tiny-glm (fp32 on cpu)" and cells[2] == "-"
    assert float(cells[1]) > 0.1 and float(cells[6]) > 0
