"""Reading what users throw at us: encodings, delimiters, columns, blanks, sizes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from embedviz.inputs import (
    InputError,
    decode_bytes,
    read_path,
    read_table,
    texts_from_lines,
    texts_from_table,
)

ROWS = [("如何更换花呗绑定银行卡", "支付"), ("明天北京会下雨吗", "天气"), ("红烧肉怎么做", "美食")]


def table_bytes(encoding: str, sep: str = ",") -> bytes:
    lines = [f"text{sep}topic"] + [f"{t}{sep}{lab}" for t, lab in ROWS]
    return "\n".join(lines).encode(encoding)


@pytest.mark.parametrize(
    "encoding, detected",
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8 with BOM"),
        ("gbk", "GB18030 (GBK)"),
        ("gb18030", "GB18030 (GBK)"),
        ("utf-16", "UTF-16"),
    ],
)
def test_chinese_csv_in_every_common_encoding_reads_without_mojibake(encoding, detected):
    table = read_table(table_bytes(encoding), "texts.csv")
    batch = texts_from_table(table, "text", label_column="topic")
    assert batch.texts == [t for t, _ in ROWS]
    assert batch.labels == [lab for _, lab in ROWS]
    assert table.encoding == detected
    assert any(detected in note for note in batch.notes)


def test_traditional_chinese_big5_is_not_read_as_gbk_mojibake():
    text = "問題,類別\n如何更換花唄綁定銀行卡,支付\n明天台北會下雨嗎,天氣\n"
    table = read_table(text.encode("big5"), "tw.csv")
    assert table.encoding == "Big5"
    assert texts_from_table(table, "問題").texts == ["如何更換花唄綁定銀行卡", "明天台北會下雨嗎"]


@pytest.mark.parametrize("text", ["花呗\n", "如何办理银行卡\n哈里路大旋风\n", "天气,好\n"])
def test_short_gbk_files_are_read_as_gbk(text):
    assert decode_bytes(text.encode("gbk")) == (text, "GB18030 (GBK)")


def test_western_latin1_file_is_not_read_as_chinese():
    text = "name;city\nMüller;Köln\nJosé;Málaga\nFrançoise;Orléans\n"
    decoded, encoding = decode_bytes(text.encode("cp1252"))
    assert decoded == text, encoding


def test_undecodable_bytes_ask_for_utf8():
    with pytest.raises(InputError, match="Save it as UTF-8"):
        decode_bytes(bytes(range(0x80, 0x100)) * 3)


def test_bom_does_not_leak_into_the_first_column_name():
    table = read_table(table_bytes("utf-8-sig"), "texts.csv")
    assert list(table.frame.columns) == ["text", "topic"]


@pytest.mark.parametrize(
    "sep, suffix", [(";", ".csv"), ("\t", ".tsv"), ("\t", ".csv"), ("|", ".csv")]
)
def test_delimiter_is_sniffed(sep, suffix):
    table = read_table(table_bytes("utf-8", sep), f"texts{suffix}")
    assert table.delimiter == sep
    assert texts_from_table(table, "text").texts == [t for t, _ in ROWS]


def test_wrong_column_lists_the_columns():
    table = read_table(table_bytes("utf-8"), "texts.csv")
    with pytest.raises(InputError, match=r"no text column 'sentence'.*'text', 'topic'"):
        texts_from_table(table, "sentence")
    with pytest.raises(InputError, match=r"no label column 'label'.*'text', 'topic'"):
        texts_from_table(table, "text", label_column="label")


def test_text_column_is_guessed_by_name_then_by_length():
    frame_bytes = "id,问题\n1,花呗怎么还款\n2,银行卡怎么挂失\n".encode()
    assert texts_from_table(read_table(frame_bytes, "a.csv")).texts == [
        "花呗怎么还款",
        "银行卡怎么挂失",
    ]
    frame_bytes = b"id,body\n1,a long sentence here\n2,another long one\n"
    assert texts_from_table(read_table(frame_bytes, "a.csv")).texts[0] == "a long sentence here"


@pytest.mark.parametrize("data", [b"", b"   \n\n", "\ufeff".encode()])
def test_empty_file_says_what_to_put_in_it(data):
    with pytest.raises(InputError, match="empty|no rows"):
        read_table(data, "empty.csv")


def test_header_only_csv_reads_zero_texts():
    batch = texts_from_table(read_table(b"text,topic\n", "h.csv"), "text")
    assert batch.texts == [] and batch.n_read == 0


def test_blank_lines_are_skipped_counted_and_located():
    batch = texts_from_lines("如何办理银行卡\n\n   \n哈里路大旋风\n")
    assert batch.texts == ["如何办理银行卡", "哈里路大旋风"]
    assert batch.rows == [1, 4]
    assert [(s.row, s.reason) for s in batch.skipped] == [(2, "blank line"), (3, "blank line")]
    assert "skipped 2 (2 blank line; rows 2, 3)" in batch.summary()


def test_large_counts_read_as_a_person_writes_them():
    lines = [f"第{i}句" for i in range(2500)] + [""] * 1200
    summary = texts_from_lines("\n".join(lines) + "\n").summary()
    assert summary.startswith("Read 3,700 rows; kept 2,500 texts; skipped 1,200 (1,200 blank")
    assert summary.endswith("and 1,190 more).")


def test_empty_cells_are_reported_and_labels_stay_aligned():
    data = "text,topic\n花呗,支付\n,天气\n下雨,\n".encode()
    batch = texts_from_table(read_table(data, "t.csv"), "text", label_column="topic")
    assert batch.texts == ["花呗", "下雨"]
    assert batch.labels == ["支付", "(no label)"]
    assert batch.rows == [1, 3]
    assert batch.skipped[0].reason == "empty cell"


def test_duplicates_are_kept_and_reported():
    batch = texts_from_lines("花呗\n花呗\n银行卡\n花呗")
    assert batch.texts == ["花呗", "花呗", "银行卡", "花呗"]
    assert batch.duplicates == {"花呗": 3}
    assert "1 texts occur more than once (2 repeats, all kept)" in batch.summary()


def test_na_like_words_stay_texts():
    batch = texts_from_table(read_table(b"text\nNA\nnull\nNone\n", "t.csv"), "text")
    assert batch.texts == ["NA", "null", "None"]


def test_file_over_the_limit_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setenv("EMBEDVIZ_MAX_INPUT_MB", "0.001")
    with pytest.raises(InputError, match=r"over the 0 MB limit.*EMBEDVIZ_MAX_INPUT_MB"):
        read_table(b"x" * 5000, "big.txt")


def test_unsupported_suffix_and_binary_files_are_refused():
    with pytest.raises(InputError, match=r"use one of \.txt, \.csv"):
        read_table(b"hello", "notes.docx")
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")


def test_unbalanced_rows_say_how_to_fix_them():
    data = 'text,topic\n"unclosed quote,支付\n'.encode()
    with pytest.raises(InputError, match="Quote texts that contain the delimiter"):
        read_table(data, "bad.csv")


def test_headerless_table_keeps_its_first_row():
    data = "如何办理银行卡\n哈里路大旋风\n".encode()
    table = read_table(data, "one_column.csv", header=False)
    assert texts_from_table(table).texts == ["如何办理银行卡", "哈里路大旋风"]


def test_xlsx_first_sheet_and_a_note_about_the_others(tmp_path):
    path = tmp_path / "texts.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"text": ["花呗更改绑定银行卡", "如何办理银行卡"], "n": [1, 2]}).to_excel(
            writer, sheet_name="句子", index=False
        )
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="other", index=False)
    batch = texts_from_table(read_path(path), "text")
    assert batch.texts == ["花呗更改绑定银行卡", "如何办理银行卡"]
    assert any("other 1 sheets were not read" in n for n in batch.notes)


def test_txt_file_is_one_text_a_line(tmp_path):
    path = tmp_path / "s.txt"
    path.write_bytes("花呗\r\n\r\n银行卡\r\n".encode("gbk"))
    batch = texts_from_table(read_path(path))
    assert batch.texts == ["花呗", "银行卡"] and batch.skipped[0].reason == "blank line"


def test_missing_file_says_check_the_path(tmp_path):
    with pytest.raises(InputError, match="No such file.*Check the path"):
        read_path(tmp_path / "nope.csv")


def test_shipped_samples_read_cleanly():
    for path in (Path(__file__).parents[1] / "data").glob("*.csv"):
        batch = texts_from_table(read_path(path), "text", label_column="topic")
        assert len(batch.texts) >= 20 and not batch.skipped, path
        assert len(set(batch.labels)) >= 4, path
