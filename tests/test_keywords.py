"""Keyword labels by c-TF-IDF: Chinese through jieba, English by words, stop words out."""

from __future__ import annotations

import pytest

from embedviz.cluster import cluster
from embedviz.inputs import read_path, texts_from_table
from embedviz.keywords import (
    centrality,
    cluster_keywords,
    keyword_labels,
    text_words,
    tokenize,
)

from .conftest import DATA


def test_chinese_is_segmented_and_stop_words_dropped():
    words = tokenize("如何更换花呗绑定的银行卡？")
    assert "银行卡" in words and "花呗" in words
    assert not {"如何", "的"} & set(words)


def test_mixed_text_keeps_both_scripts():
    words = tokenize("Python里怎么把列表反转 with a list comprehension")
    assert {"python", "列表", "反转", "list", "comprehension"} <= set(words)
    assert not {"with", "a", "怎么", "把"} & set(words)


def test_words_frequent_in_one_cluster_and_rare_elsewhere_rank_first():
    texts = [
        "花呗绑定银行卡",
        "花呗更换银行卡",
        "花呗还款日期",
        "明天下雨吗",
        "后天下雨",
        "下雨带伞",
    ]
    keywords = cluster_keywords(texts, [0, 0, 0, 1, 1, 1], top_n=2)
    assert keywords[0][0][0] == "花呗"
    assert keywords[1][0][0] == "下雨"


def test_labels_are_distinct_and_noise_is_named():
    texts = ["银行卡", "银行卡", "银行卡", "银行卡", "天气", "天气"]
    labels = keyword_labels(texts, [0, 0, 1, 1, -1, -1])
    assert labels[-1] == "noise"
    assert labels[0] != labels[1]
    assert labels[0].startswith("银行卡")


def test_a_cluster_of_only_stop_words_gets_a_plain_name():
    assert keyword_labels(["的了吗", "怎么"], [0, 0]) == {0: "cluster 0"}


def test_lengths_must_match():
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        cluster_keywords(["a", "b", "c"], [0, 1])


# The words a person would use to name each shipped topic.
TOPIC_WORDS = {
    "支付": {"银行卡", "花呗", "还款", "借呗", "信用卡", "支付", "转账", "绑定"},
    "天气": {"天气", "下雨", "气温", "台风", "明天", "降温", "上海", "下雪天"},
    "美食": {"好吃", "做法", "牛肉面", "红烧肉", "饺子", "一碗", "味道"},
    "体育": {"比赛", "乒乓球", "足球", "世界杯", "篮球", "健身房", "世界冠军", "跑步"},
    "健康": {"体检", "偏高", "血压", "高血压", "患者", "饮食", "睡眠", "感冒", "医生", "不好"},
    "payments": {"bank", "card", "pay", "银行卡", "payment", "transfer"},
    "weather": {"rain", "weather", "beijing", "temperature", "forecast", "下雨", "明天"},
    "programming": {"python", "code", "conflict", "git", "exception", "list", "列表"},
    "food": {"cook", "好吃", "best", "dumplings", "bake", "add"},
}


@pytest.mark.parametrize("name", ["zh_topics.csv", "mixed_topics.csv"])
def test_keyword_labels_of_found_clusters_name_their_topic(name, use_encoder):
    batch = texts_from_table(read_path(DATA / name), "text", label_column="topic")
    X = use_encoder.encode(batch.texts)
    labels = cluster(X, "kmeans").labels
    keywords = cluster_keywords(batch.texts, labels, top_n=3, weights=centrality(X, labels))
    for c, words in keywords.items():
        members = [t for t, lab in zip(batch.labels, labels, strict=True) if lab == c]
        topic = max(set(members), key=members.count)  # the topic most of the cluster is about
        found = {w for w, _ in words}
        if len(members) == 1:  # a text on its own is named by its own words
            text = next(t for t, lab in zip(batch.texts, labels, strict=True) if lab == c)
            assert all(w in text.lower() for w in found), (text, found)
            continue
        assert found & TOPIC_WORDS[topic], f"cluster {c} ({topic}): {found}"


def test_a_name_jieba_does_not_know_stays_whole_and_known_words_split():
    seed = ["如何更换花呗绑定银行卡", "花呗更改绑定银行卡", "如何办理银行卡", "哈里路大旋风"]
    labels = keyword_labels(seed, [0, 0, 0, 1])
    assert labels[1] == "哈里路大旋风"
    assert set(labels[0].split(" · ")) == {"银行卡", "绑定", "花呗"}
    # Dictionary words are split as usual, even in a run found nowhere else.
    words = text_words(["明天会不会下雨", "Python里怎么把列表反转"])
    assert {"明天", "下雨"} <= words[0] and {"python", "列表", "反转"} <= words[1]
    # Inside a run the last texts' words are kept for the tree's levels (the same sets, not
    # read again); other texts are read afresh, and nothing is held after the run.
    from embedviz.keywords import words_kept

    with words_kept():
        first = text_words(["明天会不会下雨", "Python里怎么把列表反转"])
        assert first == words and text_words(["明天会不会下雨", "Python里怎么把列表反转"]) is first
        assert text_words(["如何办理银行卡"]) == [{"办理", "银行卡"}]
    assert text_words(["如何办理银行卡"]) is not text_words(["如何办理银行卡"])


def test_keywords_of_mixed_clusters_weigh_chinese_and_english_by_texts():
    # Each English sentence brings many words once; the Chinese term is in three texts.
    texts = [
        "下雨了吗",
        "明天下雨吗",
        "下雨天开车",
        "Will the afternoon be cloudy over the bay area",
        "饺子怎么包",
        "包饺子的方法",
        "饺子馅",
        "Which restaurant serves the finest noodle soup",
    ]
    labels = keyword_labels(texts, [0, 0, 0, 0, 1, 1, 1, 1])
    assert labels[0].split(" · ")[0] == "下雨" and labels[1].split(" · ")[0] == "饺子"
