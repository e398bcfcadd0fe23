"""Texts in: read pasted text or a TXT/CSV/TSV/XLSX file and clean it into a list of texts.

Every text the user gave is either kept or reported with its row and the reason it was
skipped; nothing is dropped silently.

Example:
    >>> batch = texts_from_lines("如何办理银行卡\\n\\n哈里路大旋风")
    >>> batch.texts, batch.skipped
    (['如何办理银行卡', '哈里路大旋风'], [Skipped(row=2, reason='blank line')])
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import InputError
from .settings import max_input_mb

#: The one input setting: files, pasted text and unpacked workbooks larger than this many MB
#: are refused with a message, and at most ROWS_PER_MB rows per MB are read. Override with
#: EMBEDVIZ_MAX_INPUT_MB.
ROWS_PER_MB = 20_000
#: Texts longer than this many characters are cut to it (and the page says how many were):
#: a sentence model reads a few hundred tokens, and one huge line must not make a huge array.
MAX_TEXT_CHARS = 10_000

TEXT_SUFFIXES = (".txt",)
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".parquet")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + TABLE_SUFFIXES

#: Column names that we pick as the text column when the user names none.
_TEXT_COLUMN_HINTS = (
    "text",
    "texts",
    "sentence",
    "sentences",
    "content",
    "query",
    "question",
    "文本",
    "句子",
    "内容",
    "问题",
)


@dataclass(frozen=True)
class Skipped:
    row: int  # 1-based line number (text) or data row number (tables, header excluded)
    reason: str


@dataclass
class TextTable:
    """A parsed file: its rows as strings, and how it was read."""

    frame: pd.DataFrame
    source: str
    encoding: str | None = None  # None for xlsx
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class TextBatch:
    """Cleaned texts ready to encode, and the account of what was read.

    Attributes:
        texts: the kept texts, in input order.
        rows: for each kept text, its 1-based row in the input.
        labels: for each kept text, its label (when a label column was chosen), else None.
        n_read: how many rows were read.
        skipped: the rows that were not kept, with the reason.
        notes: other things the user should know (encoding, header, sheets).
        columns: the table's other columns (text and vector columns excluded), one value
            per kept text, kept with the analysis and its exports.
        label_name: the label column's name, when one was chosen.
        vectors: per kept text, the vector from the table's vector column, when one was named.
        source: the file's name, or "pasted text".
    """

    texts: list[str]
    rows: list[int]
    labels: list[str] | None = None
    n_read: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)
    label_name: str | None = None
    vectors: list | None = None
    source: str = "pasted text"

    @property
    def duplicates(self) -> dict[str, int]:
        """Texts that occur more than once (all copies are kept), with their counts."""
        return {t: c for t, c in Counter(self.texts).items() if c > 1}

    def summary(self) -> str:
        """One sentence for the page or the terminal: read, kept, skipped and why."""
        return read_summary(self.n_read, len(self.texts), self.skipped, self.duplicates)


def read_summary(
    n_read: int,
    n_kept: int,
    skipped: list[Skipped],
    duplicates: dict[str, int] | None = None,
    n_skipped: int | None = None,
) -> str:
    """The sentence :meth:`TextBatch.summary` says; ``n_skipped`` when more rows were skipped
    than ``skipped`` lists (a stream remembers the first ones only)."""
    parts = [f"Read {n_read:,} rows; kept {n_kept:,} texts"]
    n_skipped = len(skipped) if n_skipped is None else n_skipped
    if n_skipped:
        reasons = Counter(s.reason for s in skipped)
        detail = ", ".join(f"{n:,} {r}" for r, n in reasons.most_common())
        if n_skipped > len(skipped):
            detail += f" among the first {len(skipped):,}"
        rows = ", ".join(str(s.row) for s in skipped[:10])
        more = f" and {n_skipped - 10:,} more" if n_skipped > 10 else ""
        parts.append(f"skipped {n_skipped:,} ({detail}; rows {rows}{more})")
    if duplicates:
        extra = sum(duplicates.values()) - len(duplicates)
        parts.append(
            f"{len(duplicates):,} texts occur more than once ({extra:,} repeats, all kept)"
        )
    return "; ".join(parts) + "."


def max_input_bytes() -> int:
    return int(max_input_mb() * 1024 * 1024)


def max_rows() -> int:
    return max(1, int(max_input_mb() * ROWS_PER_MB))


def check_rows(n: int, name: str) -> None:
    limit = max_rows()
    if n > limit:
        raise InputError(
            f"{name} has {n:,} rows, over the limit of {limit:,} ({ROWS_PER_MB:,} per MB of "
            "EMBEDVIZ_MAX_INPUT_MB). Split it, or raise EMBEDVIZ_MAX_INPUT_MB."
        )


def check_size(n_bytes: int, name: str) -> None:
    limit = max_input_bytes()
    if n_bytes > limit:
        raise InputError(
            f"{name} is {n_bytes / 2**20:.1f} MB, over the {limit / 2**20:.0f} MB limit. "
            "Split the file, keep only the text column, or raise the limit with "
            "EMBEDVIZ_MAX_INPUT_MB."
        )


def decode_bytes(data: bytes, name: str = "the file") -> tuple[str, str]:
    """Decode text of unknown encoding: UTF-8 (with or without BOM), UTF-16, GB18030/GBK, Big5.

    Returns:
        (text, encoding name).

    Raises:
        InputError: when no encoding decodes the bytes cleanly (a binary file, say).
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "UTF-16"
    if b"\x00" in data[:4096]:
        raise InputError(
            f"{name} looks binary (it contains NUL bytes). Upload a text, CSV, TSV or XLSX file."
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    _refuse_mixed_encodings(data, name)
    # Not UTF-8: most likely GB18030/GBK (Excel on simplified-Chinese Windows) or Big5
    # (traditional). Either often decodes the other's bytes without error, into mojibake, so a
    # clean decode proves nothing. Real text is made of common characters: GB2312's 6,763 for
    # simplified Chinese, Big5's frequent block for traditional; mojibake is not.
    candidates = {}
    for codec in ("gb18030", "big5"):
        try:
            candidates[codec] = data.decode(codec)
        except UnicodeDecodeError:
            continue
    shares = {c: _common_share(t[:20000], c) for c, t in candidates.items()}
    if shares:
        codec = max(shares, key=lambda c: (shares[c], c == "gb18030"))
        if shares[codec] >= 0.5:
            return candidates[codec], _CODEC_NAMES[codec]
    from charset_normalizer import from_bytes

    best = from_bytes(data[:65536]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise InputError(
        f"Could not tell the text encoding of {name}. Save it as UTF-8 and upload it again."
    )


_CODEC_NAMES = {"gb18030": "GB18030 (GBK)", "big5": "Big5"}
_CJK = re.compile(r"[\u3400-\u9fff]")


def _refuse_mixed_encodings(data: bytes, name: str) -> None:
    """Lines of UTF-8 Chinese beside lines that are not UTF-8 (a GBK file with rows pasted
    from elsewhere): decoding the whole as either turns one part into mojibake, so refuse,
    naming lines of each. A line counts as UTF-8 only with 4+ Chinese characters: a short
    GBK line can be valid UTF-8 by chance."""
    utf8, other = [], []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(number)
            continue
        if len(_CJK.findall(decoded)) >= 4:
            utf8.append(number)
    if utf8 and other:

        def lines(numbers: list[int]) -> str:
            listed = ", ".join(map(str, numbers[:3]))
            return f"lines {listed} are" if len(numbers) > 1 else f"line {listed} is"

        raise InputError(
            f"{name} mixes text encodings: {lines(utf8)} UTF-8 but {lines(other)} not (GBK or "
            "another). Save the whole file in one encoding, UTF-8, and upload it again."
        )


def _common_share(text: str, codec: str) -> float:
    """Share of the CJK characters in text that are common ones for that codec's script."""
    cjk = [ch for ch in text if ord(ch) >= 0x2E80]
    if not cjk:
        return 1.0
    common = 0
    for ch in cjk:
        try:
            raw = ch.encode("gb2312" if codec == "gb18030" else "big5")
        except UnicodeEncodeError:
            continue
        # Big5's frequently used characters are 0xA440-0xC67E.
        common += codec == "gb18030" or (len(raw) == 2 and 0xA440 <= int.from_bytes(raw) <= 0xC67E)
    return common / len(cjk)


def _sniff_delimiter(sample: str, suffix: str) -> str:
    default = "\t" if suffix == ".tsv" else ","
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        # One column, or too few rows to tell: fall back on what the name says.
        return default


def read_table(data: bytes, name: str, *, header: bool = True) -> TextTable:
    """Parse an uploaded file's bytes by its name's suffix.

    A ``.txt`` file is one text a line and yields a single column ``text``. CSV and TSV files
    have their encoding detected and their delimiter sniffed; XLSX files use the first sheet.
    All cells are read as strings: "NA" or "null" stay texts.

    Args:
        data: the file's bytes.
        name: the file's name; its suffix picks the parser.
        header: whether the first row of a CSV/TSV/XLSX names the columns.

    Raises:
        InputError: on an unsupported suffix, an over-size or empty file, or a parse error.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"Cannot read {name!r}: use one of {', '.join(SUPPORTED_SUFFIXES)} "
            "(one text a line, or a table with a text column)."
        )
    check_size(len(data), name)
    if not data.strip():
        raise InputError(f"{name} is empty. Put one text a line, or a table with a text column.")

    if suffix == ".xlsx":
        return _read_xlsx(data, name, header)
    if suffix == ".parquet":
        return _read_parquet(data, name)

    text, encoding = decode_bytes(data, name)
    if suffix == ".txt":
        lines = text.splitlines()
        check_rows(len(lines), name)
        frame = pd.DataFrame({"text": lines}, dtype=str)
        return TextTable(frame, name, encoding=encoding)

    delimiter = _sniff_delimiter(text[:65536], suffix)
    # Python's csv refuses a cell over 128 kB; a cell may be as long as the file may be
    # (clean_texts cuts the text afterwards, and says so).
    csv.field_size_limit(max(csv.field_size_limit(), len(data) + 1))
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            header=0 if header else None,
            skip_blank_lines=False,
            engine="python",
            index_col=False,
        )
    except pd.errors.ParserError as err:
        raise InputError(
            f"Could not parse {name} as a table with delimiter {delimiter!r}: {err}. "
            "Quote texts that contain the delimiter, or save the file as one text a line (.txt)."
        ) from err
    except pd.errors.EmptyDataError as err:
        raise InputError(f"{name} has no rows. Put a header row and one text a row.") from err
    if not header:
        frame.columns = [f"column {i + 1}" for i in range(frame.shape[1])]
    frame.columns = _unique_columns(frame.columns, name)
    _check_ragged(text, delimiter, len(frame.columns), name)
    check_rows(len(frame), name)
    return TextTable(frame, name, encoding=encoding, delimiter=delimiter)


def _unique_columns(columns, name: str) -> list[str]:
    """Column names stripped; two that become equal are refused, naming them."""
    stripped = [str(c).strip() for c in columns]
    repeated = sorted({c for c in stripped if stripped.count(c) > 1})
    # pandas renames a repeated header "a" to "a.1": name those too.
    renamed = sorted(
        {
            c
            for c in stripped
            if "." in c and c.rsplit(".", 1)[0] in stripped and c.rsplit(".", 1)[1].isdigit()
        }
    )
    if repeated or renamed:
        names = ", ".join(repr(c) for c in repeated + renamed)
        raise InputError(
            f"{name} has columns with the same name ({names}). Give each column its own name."
        )
    return stripped


def _check_ragged(text: str, delimiter: str, n_columns: int, name: str) -> None:
    """A row with more fields than the header would shift texts into the wrong column (or
    make the first one an index): refuse it, naming the line."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        if len(row) > n_columns:
            raise InputError(
                f"Line {reader.line_num} of {name} has {len(row)} fields but the header has "
                f"{n_columns}. Quote texts that contain {delimiter!r}, or fix that line."
            )


def _check_unpacked_size(data: bytes, name: str) -> None:
    """A workbook is a zip: a few kB can unpack to gigabytes. Refuse before unpacking."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile as err:
        raise InputError(f"{name} is not an .xlsx workbook (not a zip). Save it again.") from err
    limit = max_input_bytes()
    if unpacked > limit:
        raise InputError(
            f"{name} unpacks to {unpacked / 2**20:,.0f} MB, over the {limit / 2**20:.0f} MB "
            "limit. Save the text column as CSV, or raise EMBEDVIZ_MAX_INPUT_MB."
        )


def _read_xlsx(data: bytes, name: str, header: bool) -> TextTable:
    _check_unpacked_size(data, name)
    try:
        sheets = pd.read_excel(
            io.BytesIO(data),
            sheet_name=None,
            dtype=str,
            header=0 if header else None,
            engine="openpyxl",
        )
    except Exception as err:  # openpyxl raises many types for a broken file
        raise InputError(
            f"Could not open {name} as an Excel workbook ({err}). Save it again as .xlsx or CSV."
        ) from err
    if not sheets:
        raise InputError(f"{name} has no sheets.")
    first = next(iter(sheets))
    frame = sheets[first].fillna("")
    if not header:
        frame.columns = [f"column {i + 1}" for i in range(frame.shape[1])]
    frame.columns = _unique_columns(frame.columns, name)
    check_rows(len(frame), name)
    notes = []
    if len(sheets) > 1:
        notes.append(
            f"Read sheet {first!r}; the workbook's other {len(sheets) - 1} sheets were not read."
        )
    return TextTable(frame, name, notes=notes)


def _read_parquet(data: bytes, name: str) -> TextTable:
    """A Parquet table; list/array columns (embeddings) stay arrays, the rest become text."""
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except ImportError as err:
        raise InputError("Reading Parquet needs pyarrow: pip install pyarrow") from err
    except Exception as err:  # pyarrow raises several types for a broken file
        raise InputError(
            f"Could not read {name} as Parquet ({err}). Save it again, or as CSV."
        ) from err
    for column in frame.columns:
        if not is_vector_column(frame[column]):
            frame[column] = ["" if v is None or v is pd.NA else str(v) for v in frame[column]]
    frame.columns = [str(c).strip() for c in frame.columns]
    return TextTable(frame, name)


def is_vector_column(values: pd.Series) -> bool:
    """Whether a column holds arrays (a Parquet list column of embeddings)."""
    import numpy as np

    first = next((v for v in values if v is not None), None)
    return isinstance(first, (list, tuple, np.ndarray))


def read_path(path: str | os.PathLike, *, header: bool = True) -> TextTable:
    """Read a file from disk (see :func:`read_table`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"No such file: {path}. Check the path.")
    check_size(path.stat().st_size, path.name)
    return read_table(path.read_bytes(), path.name, header=header)


def guess_text_column(frame: pd.DataFrame) -> str:
    """The column most likely to hold the texts: a conventional name, else the longest texts."""
    if frame.shape[1] == 0:
        raise InputError("The table has no columns. Put a header row and a text column.")
    lowered = {str(c).lower(): c for c in frame.columns}
    for hint in _TEXT_COLUMN_HINTS:
        if hint in lowered:
            return lowered[hint]
    text_columns = [c for c in frame.columns if not is_vector_column(frame[c])] or [
        frame.columns[0]
    ]
    lengths = {c: frame[c].astype(str).str.len().mean() for c in text_columns}
    return max(lengths, key=lambda c: lengths[c] if pd.notna(lengths[c]) else -1)


def check_column(frame: pd.DataFrame, column: str, what: str = "text column") -> str:
    if column in frame.columns:
        return column
    listed = ", ".join(repr(str(c)) for c in frame.columns)
    raise InputError(f"There is no {what} {column!r}. The columns are: {listed}.")


def texts_from_table(
    table: TextTable,
    column: str | None = None,
    label_column: str | None = None,
    vector_column: str | None = None,
) -> TextBatch:
    """Pick the text (and optional label and vector) columns of a table and clean it.

    The other columns come along in :attr:`TextBatch.columns` for the kept rows.
    """
    frame = table.frame
    column = check_column(frame, column) if column else guess_text_column(frame)
    if is_vector_column(frame[column]):
        raise InputError(
            f"Column {column!r} holds vectors, not texts. Name the text column with --column "
            "(or pick it in the page)."
        )
    labels = None
    if label_column:
        check_column(frame, label_column, "label column")
        labels = ["" if pd.isna(v) else str(v).strip() for v in frame[label_column]]
    if vector_column:
        check_column(frame, vector_column, "vector column")
    is_txt = Path(table.source).suffix.lower() == ".txt"
    batch = clean_texts(
        frame[column].tolist(), labels=labels, empty_reason="blank line" if is_txt else "empty cell"
    )
    kept = [row - 1 for row in batch.rows]
    for name in frame.columns:
        if name in (column, vector_column) or is_vector_column(frame[name]):
            continue
        values = frame[name].tolist()
        batch.columns[str(name)] = ["" if pd.isna(values[i]) else str(values[i]) for i in kept]
    if vector_column:
        values = frame[vector_column].tolist()
        batch.vectors = [values[i] for i in kept]
    batch.label_name = label_column
    batch.source = Path(table.source).name
    if table.encoding:
        batch.notes.append(f"Read {table.source} as {table.encoding}.")
    if table.delimiter and table.delimiter != ",":
        batch.notes.append(f"Columns are separated by {table.delimiter!r}.")
    batch.notes.extend(table.notes)
    return batch


def texts_from_lines(text: str) -> TextBatch:
    """Clean pasted text: one text a line (held to the same limits as a file)."""
    check_size(len(text.encode("utf-8")), "The pasted text")
    lines = text.splitlines()
    check_rows(len(lines), "The pasted text")
    return clean_texts(lines, empty_reason="blank line")


def clean_texts(
    values: list, labels: list[str] | None = None, empty_reason: str = "empty cell"
) -> TextBatch:
    """Strip texts, skip the empty ones (recording row and reason), keep everything else.

    Duplicates are kept (a user may mean them); :attr:`TextBatch.duplicates` reports them.
    """
    texts: list[str] = []
    rows: list[int] = []
    kept_labels: list[str] | None = [] if labels is not None else None
    skipped: list[Skipped] = []
    cut: list[int] = []
    for i, value in enumerate(values):
        row = i + 1
        text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        text = text.strip()
        if not text:
            skipped.append(Skipped(row, empty_reason))
            continue
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            cut.append(row)
        texts.append(text)
        rows.append(row)
        if kept_labels is not None:
            kept_labels.append(labels[i] or "(no label)")
    batch = TextBatch(texts, rows, kept_labels, n_read=len(values), skipped=skipped)
    if cut:
        listed = ", ".join(map(str, cut[:10])) + (
            f" and {len(cut) - 10} more" if len(cut) > 10 else ""
        )
        batch.notes.append(
            f"{len(cut):,} texts are longer than {MAX_TEXT_CHARS:,} characters and were cut to "
            f"their first {MAX_TEXT_CHARS:,} (rows {listed})."
        )
    return batch
