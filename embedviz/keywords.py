"""Analyse: keyword labels for clusters by class-based TF-IDF (c-TF-IDF, as BERTopic does).

All texts of a cluster are one document; a word scores high in a cluster when it is frequent
there and rare in the others. Chinese is segmented with jieba, English split into words, so
mixed text works; stop words (``embedviz/data/stopwords_zh.txt`` and scikit-learn's English list),
single characters and numbers are left out.

Example:
    >>> texts = ["花呗绑定银行卡", "花呗更换银行卡", "今天下雨", "明天下雨"]
    >>> labels = keyword_labels(texts, [0, 0, 1, 1])
    >>> labels[0], labels[1]  # doctest: +SKIP
    ('花呗 · 银行卡 · 绑定', '下雨 · 明天 · 今天')
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

STOPWORDS_ZH = Path(__file__).resolve().parent / "data" / "stopwords_zh.txt"
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'+#-]*[A-Za-z0-9+#]|[A-Za-z]")
_TOKEN = re.compile(_CJK_RUN.pattern + "|" + _LATIN_WORD.pattern)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS)
    if STOPWORDS_ZH.exists():
        for line in STOPWORDS_ZH.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.add(line)
    else:
        log.warning(
            "Chinese stop-word list %s is missing; keywords may be function words.", STOPWORDS_ZH
        )
    return frozenset(words)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces building its dictionary on stderr
    return jieba


def tokenize(text: str) -> list[str]:
    """Words of a text: jieba for Chinese runs, lower-cased words for Latin script.

    Example:
        >>> tokenize("如何更换花呗绑定银行卡 via the app")  # doctest: +SKIP
        ['更换', '花呗', '绑定', '银行卡', 'app']
    """
    stops = stop_words()
    words = []
    for match in _TOKEN.finditer(text):
        part = match.group()
        pieces = _segment(part, stops) if _CJK_RUN.fullmatch(part) else [part.lower()]
        words.extend(w for w in pieces if len(w) > 1 and w not in stops)
    return words


def _segment(run: str, stops: frozenset[str]) -> list[str]:
    """jieba's words, with runs of single characters that are not stop words joined: jieba
    splits words it does not know (花呗 -> 花 / 呗), and a lone character says little."""
    words, pending = [], ""
    for piece in [*_jieba().lcut(run), ""]:
        if len(piece) == 1 and piece not in stops:
            pending += piece
            continue
        if len(pending) > 1:
            words.append(pending)
        pending = ""
        if piece:
            words.append(piece)
    return words


def cluster_keywords(
    texts: Sequence[str], labels: Sequence[int], top_n: int = 5
) -> dict[int, list[tuple[str, float]]]:
    """The ``top_n`` keywords of each cluster with their c-TF-IDF scores, best first.

    Args:
        texts: the texts.
        labels: a cluster id per text (noise, -1, is a cluster of its own here).
        top_n: keywords per cluster.

    Returns:
        ``{cluster id: [(word, score), ...]}``; a cluster whose texts hold no words (only
        punctuation or stop words) gets an empty list.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels.")
    ids = sorted(set(int(c) for c in labels))
    counts = {c: Counter() for c in ids}
    for text, c in zip(texts, labels, strict=True):
        counts[int(c)].update(tokenize(text))
    vocab = sorted(set().union(*counts.values())) if counts else []
    if not vocab:
        return {c: [] for c in ids}
    index = {w: k for k, w in enumerate(vocab)}
    tf = np.zeros((len(ids), len(vocab)), dtype=np.float64)
    for row, c in enumerate(ids):
        for word, count in counts[c].items():
            tf[row, index[word]] = count
    words_per_class = tf.sum(axis=1, keepdims=True)
    # c-TF-IDF (Grootendorst 2022): tf normalised per class, idf = log(1 + A / f_word) with A
    # the mean number of words per class and f_word the word's count over all classes.
    A = words_per_class.mean()
    idf = np.log1p(A / tf.sum(axis=0))
    scores = tf / np.maximum(words_per_class, 1) * idf
    out = {}
    for row, c in enumerate(ids):
        best = np.argsort(-scores[row], kind="stable")[:top_n]
        out[c] = [(vocab[k], float(scores[row, k])) for k in best if scores[row, k] > 0]
    return out


def keyword_labels(texts: Sequence[str], labels: Sequence[int], n_words: int = 3) -> dict[int, str]:
    """A short, distinct label per cluster from its top keywords ("花呗 · 银行卡 · 绑定").

    Noise (-1) is labelled "noise"; a cluster with no keywords "cluster N"; two clusters whose
    keywords would give the same label get their number added.
    """
    keywords = cluster_keywords(texts, labels, top_n=n_words)
    names: dict[int, str] = {}
    for c, words in keywords.items():
        if c == -1:
            names[c] = "noise"
        elif words:
            names[c] = " · ".join(w for w, _ in words)
        else:
            names[c] = f"cluster {c}"
    seen = Counter(names.values())
    return {c: f"{name} ({c})" if seen[name] > 1 else name for c, name in names.items()}
