"""``embedviz bench-llm``: the table ChatGLM's users measured by hand, for the active backend:
load seconds, a short and a long answer, tokens per second, peak RAM and GPU memory."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

SHORT_PROMPT = "用一句话解释什么是句向量（sentence embedding）。"
LONG_PROMPT = (
    "写一段 Python 代码：用 plotly 画出一组中文句子的二维散点图，"
    "鼠标悬停时显示句子全文，并逐行解释代码。"
)


@dataclass
class LLMBench:
    name: str
    load_s: float
    short_s: float
    short_tokens: int
    long_s: float
    long_tokens: int
    peak_ram_gb: float
    peak_gpu_gb: float | None

    @property
    def tokens_per_s(self) -> float:
        return self.long_tokens / self.long_s if self.long_s else 0.0

    def table(self) -> str:
        gpu = f"{self.peak_gpu_gb:.1f}" if self.peak_gpu_gb is not None else "-"
        head = (
            "| model | RAM (GB) | GPU memory (GB) | load (s) | short answer (s) "
            "| long answer (s) | tokens/s |"
        )
        sep = "|---|---|---|---|---|---|---|"
        row = (
            f"| {self.name} | {self.peak_ram_gb:.1f} | {gpu} | {self.load_s:.1f} | "
            f"{self.short_s:.1f} ({self.short_tokens} tokens) | "
            f"{self.long_s:.1f} ({self.long_tokens} tokens) | {self.tokens_per_s:.1f} |"
        )
        return "\n".join([head, sep, row])


def _timed_answer(llm, prompt: str, max_tokens: int) -> tuple[float, int]:
    start = time.perf_counter()
    pieces = list(llm.stream([{"role": "user", "content": prompt}], max_tokens=max_tokens))
    # Streaming backends send about one token a piece; count_tokens is exact where offered.
    text = "".join(pieces)
    count = getattr(llm, "count_tokens", None)
    tokens = count(text) if count else len(pieces)
    return time.perf_counter() - start, tokens


def bench_llm(
    load: Callable[[], object], short_tokens: int = 64, long_tokens: int = 512
) -> LLMBench:
    """Load with ``load()`` and time a short and a long answer."""
    gpu = None
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
            gpu = 0.0
    except ImportError:
        pass
    start = time.perf_counter()
    llm = load()
    load_s = time.perf_counter() - start
    short_s, short_n = _timed_answer(llm, SHORT_PROMPT, short_tokens)
    long_s, long_n = _timed_answer(llm, LONG_PROMPT, long_tokens)
    if gpu is not None:
        import torch

        gpu = torch.cuda.max_memory_allocated() / 2**30
    ram = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return LLMBench(llm.name, load_s, short_s, short_n, long_s, long_n, ram, gpu)
