"""Explain clusters with a local LLM: a short, distinct label per cluster and what sets it
apart, in the language of the texts, quoting member sentences as evidence.

Each cluster is shown to the model by its most representative members (closest to the
centroid), never by all its texts, so the prompt stays short at any size.

Example:
    >>> from embedviz.llm import load_llm  # doctest: +SKIP
    >>> found = explain_clusters(load_llm("bundled"), texts, X, labels)  # doctest: +SKIP
    >>> found[0].label, found[0].explanation  # doctest: +SKIP
    ('花呗换绑银行卡', '这一组都在问如何更换花呗绑定的银行卡，例如「花呗更改绑定银行卡」……')
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .cluster import NOISE, representatives
from .llm import ChatModel, LLMError

#: Members quoted per cluster; each cut to MAX_CHARS.
PER_CLUSTER = 6
MAX_CHARS = 160

SYSTEM_PROMPT = (
    "You are a careful analyst of text collections. You answer only with the JSON asked for."
)
EXPLAIN_PROMPT = """Below are {n_clusters} groups of texts, found by clustering sentence embeddings.
For each group you see its most typical members.

{groups}

For every group write, in {language}:
- "label": a short name (at most 8 words; in Chinese at most 12 characters) that tells this group
  apart from all the others; no two labels may be the same;
- "explanation": one or two sentences on what the group's texts are about and what sets it apart
  from the other groups, quoting one member text in quotation marks as evidence.

Answer with a JSON list only, one object per group, in the order given:
[{{"group": 0, "label": "...", "explanation": "..."}}, ...]"""
GROUP_BLOCK = "Group {group} ({size} texts; keywords: {keywords}):\n{members}"


@dataclass
class ClusterExplanation:
    cluster: int
    label: str
    explanation: str
    members: list[str]


def text_language(texts: Sequence[str]) -> str:
    """ "Chinese" when a third or more of the letters are CJK, else "English"."""
    sample = "".join(texts[:500])
    cjk = len(re.findall(r"[\u3400-\u9fff]", sample))
    letters = cjk + len(re.findall(r"[A-Za-z]", sample))
    return "Chinese (简体中文)" if letters and cjk / letters >= 1 / 3 else "English"


def build_prompt(
    texts: Sequence[str],
    X: np.ndarray,
    labels: np.ndarray,
    keywords: dict[int, str] | None = None,
    per_cluster: int = PER_CLUSTER,
) -> tuple[str, list[int], dict[int, list[str]]]:
    """The user prompt, the cluster ids in prompt order (noise left out) and the members shown."""
    labels = np.asarray(labels)
    reps = representatives(X, labels, n=per_cluster)
    ids = [c for c in sorted(reps) if c != NOISE]
    shown = {c: [texts[i][:MAX_CHARS] for i in reps[c]] for c in ids}
    blocks = [
        GROUP_BLOCK.format(
            group=g,
            size=int(np.sum(labels == c)),
            keywords=(keywords or {}).get(c, "-"),
            members="\n".join(f"  - {t}" for t in shown[c]),
        )
        for g, c in enumerate(ids)
    ]
    prompt = EXPLAIN_PROMPT.format(
        n_clusters=len(ids), groups="\n\n".join(blocks), language=text_language(texts)
    )
    return prompt, ids, shown


def parse_answer(answer: str, n_groups: int) -> list[dict]:
    """The JSON list in a model's answer (it may wrap it in prose or a code fence)."""
    match = re.search(r"\[.*\]", answer, flags=re.S)
    if not match:
        raise LLMError(f"The model's answer holds no JSON list: {answer[:300]!r}")
    try:
        items = json.loads(match.group())
    except json.JSONDecodeError as err:
        raise LLMError(f"The model's JSON does not parse ({err}): {match.group()[:300]!r}") from err
    by_group = {}
    for k, item in enumerate(items):
        if isinstance(item, dict):
            by_group[int(item.get("group", k)) if str(item.get("group", k)).isdigit() else k] = item
    return [by_group.get(g, {}) for g in range(n_groups)]


def explain_clusters(
    llm: ChatModel,
    texts: Sequence[str],
    X: np.ndarray,
    labels: np.ndarray,
    keywords: dict[int, str] | None = None,
    *,
    max_tokens: int = 1024,
    on_text: Callable[[str], None] | None = None,
) -> list[ClusterExplanation]:
    """Ask the LLM for a distinct label and an explanation per cluster.

    A cluster the model leaves out keeps its keyword label, and says so; labels that come back
    equal get the cluster number added, so that they stay distinct. ``on_text`` sees the
    answer so far as it streams (for a progress display).
    """
    prompt, ids, shown = build_prompt(texts, X, labels, keywords)
    if not ids:
        return []
    answer = ""
    for piece in llm.stream(
        [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}],
        max_tokens=max_tokens,
        temperature=0.2,
    ):
        answer += piece
        if on_text is not None:
            on_text(answer)
    items = parse_answer(answer, len(ids))
    out = []
    for c, item in zip(ids, items, strict=True):
        label = str(item.get("label") or "").strip()
        explanation = str(item.get("explanation") or "").strip()
        if not label:
            label = (keywords or {}).get(c, f"cluster {c}")
            explanation = explanation or "(the model gave no label for this group; keywords shown)"
        out.append(ClusterExplanation(c, label, explanation, shown[c]))
    seen: dict[str, int] = {}
    for e in out:
        seen[e.label] = seen.get(e.label, 0) + 1
    for e in out:
        if seen[e.label] > 1:
            e.label = f"{e.label} ({e.cluster})"
    return out


def explain_analysis(
    llm: ChatModel, analysis, *, on_text: Callable[[str], None] | None = None
) -> tuple:
    """Explain an :class:`~embedviz.pipeline.Analysis`'s clusters.

    Returns:
        (the analysis with the LLM's labels, the explanations).
    """
    found = explain_clusters(
        llm,
        analysis.texts,
        analysis.embeddings,
        analysis.clusters,
        analysis.keywords,
        on_text=on_text,
    )
    labelled = analysis.with_llm_labels(
        {e.cluster: e.label for e in found}, {e.cluster: e.explanation for e in found}
    )
    return labelled, found
