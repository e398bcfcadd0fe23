"""Analyse: keyword labels for clusters by class-based TF-IDF (c-TF-IDF, as BERTopic does).

All texts of a cluster are one document; a word scores high in a cluster when many of its
texts hold it and few of the others do. Counts are of texts, not of occurrences: an English
sentence has more words than a Chinese one of the same meaning, so raw counts let English
fragments outweigh Chinese terms in mixed clusters. Chinese is segmented with jieba; a short
run that jieba splits into pieces found in no other text (哈里路大旋风 -> 哈里 / 路大 / 旋风)
stays whole. Stop words (``embedviz/data/stopwords_zh.txt`` and scikit-learn's English list),
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
import threading
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
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


#: A Chinese run up to this long may stay whole (see :func:`text_words`): names are short.
KEEP_WHOLE_UP_TO = 6


#: Inside :func:`words_kept`, this thread's last texts and their words.
_kept = threading.local()


@contextmanager
def words_kept():
    """Inside, :func:`text_words` keeps the words of the texts it read last: a run names its
    clusters, then each level of its topic tree, from the same texts (segmenting 100,000
    texts takes ~3 s). They are let go on leaving (a million texts' words hold ~1.6 GB)."""
    _kept.entry = None
    try:
        yield
    finally:
        del _kept.entry


def text_words(texts: Sequence[str]) -> list[set[str]]:
    """The set of words of each text (see :func:`tokenize`), with a short Chinese run kept
    whole when jieba had to guess (one of its pieces is no word of its dictionary) and no
    piece occurs in a text without the whole run: a name jieba does not know is one word,
    not three fragments (哈里路大旋风, not 哈里 / 路大 / 旋风).

    Inside :func:`words_kept` the sets may be shared with the last call: read them, do not
    change them."""
    if not hasattr(_kept, "entry"):
        return _text_words(texts)
    key = tuple(texts)
    if _kept.entry is None or _kept.entry[0] != key:
        _kept.entry = (key, _text_words(key))
    return _kept.entry[1]


def _text_words(texts: Sequence[str]) -> list[set[str]]:
    stops = stop_words()
    dictionary = _jieba().dt
    dictionary.check_initialized()
    parsed = []  # per text: [(run or None, pieces)]
    piece_texts: dict[str, set[int]] = {}
    run_texts: dict[str, set[int]] = {}
    segmented: dict[str, list[str]] = {}  # a run met again is not segmented again
    for i, text in enumerate(texts):
        parts = []
        for match in _TOKEN.finditer(text):
            part = match.group()
            if _CJK_RUN.fullmatch(part):
                pieces = segmented.get(part)
                if pieces is None:
                    pieces = [w for w in _segment(part, stops) if len(w) > 1 and w not in stops]
                    segmented[part] = pieces
                run_texts.setdefault(part, set()).add(i)
                parts.append((part, pieces))
            else:
                word = part.lower()
                parts.append((None, [word] if len(word) > 1 and word not in stops else []))
            for piece in parts[-1][1]:
                piece_texts.setdefault(piece, set()).add(i)
        parsed.append(parts)
    out = []
    for parts in parsed:
        words: set[str] = set()
        for run, pieces in parts:
            whole = (
                run is not None
                and len(pieces) > 1
                and len(run) <= KEEP_WHOLE_UP_TO
                and run not in stops
                and any(not dictionary.FREQ.get(p) for p in pieces)
                and all(piece_texts[p] <= run_texts[run] for p in pieces)
            )
            words.update([run] if whole else pieces)
        out.append(words)
    return out


def cluster_keywords(
    texts: Sequence[str],
    labels: Sequence[int],
    top_n: int = 5,
    weights: Sequence[float] | None = None,
) -> dict[int, list[tuple[str, float]]]:
    """The ``top_n`` keywords of each cluster with their c-TF-IDF scores, best first.

    Args:
        texts: the texts.
        labels: a cluster id per text (noise, -1, is a cluster of its own here).
        top_n: keywords per cluster.
        weights: how much each text counts (e.g. its cosine to its cluster's centre, see
            :func:`centrality`): the words of a cluster's typical texts then outweigh those
            of a stray member. Every text counts 1 when None.

    Returns:
        ``{cluster id: [(word, score), ...]}``; a cluster whose texts hold no words (only
        punctuation or stop words) gets an empty list.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels.")
    ids = sorted(set(int(c) for c in labels))
    counts = {c: Counter() for c in ids}
    per_text = text_words(texts)
    weights = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=np.float64)
    for words, c, w in zip(per_text, labels, weights, strict=True):
        for word in words:  # a word counts once per text
            counts[int(c)][word] += w
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
    # Ties (words in as many texts) go to the word first met in the texts, not to the word
    # first in the alphabet (which put every Latin word before every Chinese one).
    in_order = (w for words in per_text for w in sorted(words))
    first_seen = {w: k for k, w in enumerate(dict.fromkeys(in_order))}
    seen_rank = np.array([first_seen.get(w, len(first_seen)) for w in vocab])
    out = {}
    for row, c in enumerate(ids):
        best = np.lexsort((seen_rank, -scores[row]))[:top_n]
        out[c] = [(vocab[k], float(scores[row, k])) for k in best if scores[row, k] > 0]
    return out


def centrality(X: np.ndarray, labels: Sequence[int]) -> np.ndarray:
    """Each text's cosine to the mean of its cluster, floored at 0.05 (the weight of its
    words in :func:`cluster_keywords`)."""
    from ._validation import check_embeddings

    # Unit rows as they are (no copy): a float64 copy and its normalised copy were 8 GB at a
    # million texts. Each centre is summed in float64.
    U = check_embeddings(X)
    labels = np.asarray(labels)
    out = np.ones(len(U))
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        centre = U[idx].sum(axis=0, dtype=np.float64)
        centre /= max(np.linalg.norm(centre), 1e-12)
        out[idx] = U[idx] @ centre.astype(np.float32)
    return np.clip(out, 0.05, 1.0)


def keyword_labels(
    texts: Sequence[str],
    labels: Sequence[int],
    n_words: int = 3,
    embeddings: np.ndarray | None = None,
) -> dict[int, str]:
    """A short, distinct label per cluster from its top keywords ("花呗 · 银行卡 · 绑定").

    With ``embeddings``, words weigh by how central their texts are (:func:`centrality`).
    Noise (-1) is labelled "noise"; a cluster with no keywords "cluster N"; two clusters whose
    keywords would give the same label get their number added.
    """
    weights = None if embeddings is None else centrality(embeddings, labels)
    keywords = cluster_keywords(texts, labels, top_n=n_words, weights=weights)
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
