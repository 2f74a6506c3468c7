"""Readers: a data file in, a ``Source`` out (its columns as found, plus a row number).

A file is a path, or its bytes given as a ``Body`` (a request body: the server writes no
temporary file), or an Arrow table given as a ``Body``; errors name the ``Body``'s name as
they would the path. Formats, chosen by the file name (``fmt`` or the ``Body``'s format
overrides):

    .csv .txt (.gz)        CSV; the delimiter (``,`` ``;`` tab ``|``) and encoding are sniffed;
                           a large UTF-8 file is read by DuckDB where it lies (``csv_source``)
    .tsv .tab              tab-separated
    .xlsx .xlsm .xls .ods  the first sheet (python-calamine); the header is its first
                           non-empty row
    .parquet .pq           Parquet, read by DuckDB where it lies, or from bytes by Arrow
                           (typed columns are kept)
    .ndjson .jsonl .json   NDJSON, one object, or an array of objects (``jsonread``); every
    (.gz)                  canonical top-level key is a column, the others the properties

Every cell of a text format is read as text (an empty cell is null); normalisation
(``voronka.ingest.normalise``) parses it. The row number ``ROW`` is the 1-based data
row: the n-th record after the header (blank lines are not records); for a spreadsheet,
the sheet row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from voronka.errors import InputError, LimitError
from voronka.ingest import limits
from voronka.ingest.jsonread import Fold, decode_text, parse_records, to_table
from voronka.ingest.text import (
    HEAD_BYTES,
    decode_head,
    header_fields,
    parse_header,
    sniff_delimiter,
    sniff_encoding,
    unique_names,
)
from voronka.schema import TABLES
from voronka.sql import literal

ROW = "_voronka_row"
"""The name of the row-number column every source carries."""

ARROW_VIEW = "_voronka_source"
"""The name an in-memory (Arrow) source is registered under in DuckDB."""

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xlsx", ".xlsb": "xlsx", ".ods": "xlsx",
    ".parquet": "parquet", ".pq": "parquet",
    ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json",
}


@dataclass(frozen=True)
class Body:
    """A file given as its bytes (a request body), or as an Arrow table (``format`` ``arrow``),
    rather than a path; named ``name`` in errors. Gzip bytes are inflated by the caller, which
    knows how far they may grow."""

    name: str
    data: bytes | pa.Table
    format: str = "json"


@dataclass
class Source:
    """A file opened for normalisation.

    ``relation`` is a DuckDB FROM item with the file's columns plus ``ROW``; when
    ``arrow`` is set, it must first be registered under ``ARROW_VIEW``.
    """

    file: str
    format: str
    relation: str
    arrow: pa.Table | None
    rows: int | None
    """The rows of the file; None when only reading it would tell (``csv_source``: the
    pipeline counts them with ``count``)."""
    folded: bool = False
    """The properties are folded into one column already (JSON read with a ``fold``)."""
    count: str | None = None
    """A query counting the file's rows, when ``rows`` is None."""
    failed: Callable[[str], InputError] | None = None
    """What an error DuckDB raised while reading the file reports (``csv_source``)."""


def detect_format(path: str | Path) -> str:
    """The format of ``path`` from its suffixes (``events.ndjson.gz`` is ndjson)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InputError(
            f"unknown file format; expected one of {', '.join(sorted(FORMATS))} (optionally .gz)",
            file=str(path),
        )
    return fmt


def read_source(path: str | Path | Body, *, encoding: str | None = None, delimiter: str | None = None,
                fmt: str | None = None, fold: Fold | None = None) -> Source:
    """Open ``path`` (or the bytes of a ``Body``) as a ``Source`` (see the module docstring).

    ``fold`` (JSON only) names the keys kept as columns; see ``voronka.ingest.jsonread``.
    """
    if isinstance(path, Body):
        name, fmt = path.name, path.format
        if isinstance(path.data, pa.Table):
            return Source(name, "arrow", ARROW_VIEW, _numbered(path.data), path.data.num_rows)
    else:
        name = str(path)
        if not Path(path).is_file():
            raise InputError("no such file", file=name)
        fmt = fmt or detect_format(path)
    if fmt in ("csv", "tsv"):
        delimiter = "\t" if fmt == "tsv" and not delimiter else delimiter
        in_place = None if isinstance(path, Body) else csv_source(path, encoding=encoding, delimiter=delimiter)
        if in_place is not None:
            return in_place
        table = read_csv(path, encoding=encoding, delimiter=delimiter)
    elif fmt == "xlsx":
        table = read_spreadsheet(path)
    elif fmt in ("ndjson", "json"):
        table = read_json(path, fold=fold)
        return Source(name, fmt, ARROW_VIEW, table, table.num_rows, fold is not None)
    elif fmt == "parquet":
        if not isinstance(path, Body):
            return parquet_source(path)
        table = read_parquet_bytes(path)
    else:
        raise InputError(f"unknown format {fmt!r}", file=name)
    return Source(name, fmt, ARROW_VIEW, table, table.num_rows)


def check_repeated_canonical(header: list[str], file: str) -> None:
    """Refuse a header naming a canonical column twice (``customer_id``, ``Customer_ID``):
    which one is meant cannot be known. Other repeated names are suffixed ``_2``, ``_3``..."""
    canonical = {c for t in TABLES.values() for c in t.columns}
    seen: dict[str, str] = {}
    for raw in header:
        key = (raw or "").strip().lstrip("\ufeff").strip().casefold()
        if key in canonical and key in seen:
            raise InputError(f"the columns {seen[key]!r} and {raw!r} name the same column", file=file)
        seen.setdefault(key, raw)


def _numbered(table: pa.Table, rows: np.ndarray | None = None) -> pa.Table:
    numbers = np.arange(1, table.num_rows + 1, dtype=np.int64) if rows is None else rows
    return table.append_column(ROW, pa.array(numbers, pa.int64()))


# --- CSV -------------------------------------------------------------------------------

def _open_bytes(path: str | Path | Body) -> io.BufferedIOBase:
    if isinstance(path, Body):
        return io.BytesIO(path.data)
    return gzip.open(path, "rb") if str(path).lower().endswith(".gz") else open(path, "rb")  # noqa: SIM115


def _name(path: str | Path | Body) -> str:
    """What errors call the file: its path, or the ``Body``'s name."""
    return path.name if isinstance(path, Body) else str(path)


def _csv_head(path: str | Path | Body, encoding: str | None, delimiter: str | None
              ) -> tuple[bytes, str, str, list[str]]:
    """The head of a CSV file, its encoding, its delimiter and its column names (checked)."""
    name = _name(path)
    with _open_bytes(path) as fh:
        head = fh.read(HEAD_BYTES)
    if not head.strip():
        raise InputError("the file is empty", file=name)
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}", file=name) from None
    enc = encoding or sniff_encoding(head)
    text = decode_head(head, enc)
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    elif len(delimiter) != 1:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise InputError(f"the delimiter must be one character, not {delimiter!r}", file=name)
    check_repeated_canonical(header_fields(text, delimiter), name)
    return head, enc, delimiter, parse_header(text, delimiter)


def read_csv(path: str | Path | Body, *, encoding: str | None = None, delimiter: str | None = None) -> pa.Table:
    """A CSV file (or a ``Body``'s bytes) as an Arrow table of text columns plus ``ROW``.

    UTF-8 files are parsed by Arrow's multithreaded reader; other encodings are decoded
    with Python's codecs on the way in. When no ``encoding`` is given and the file turns
    out not to be UTF-8 past its head, it is read again as cp1251.
    """
    head, enc, delimiter, names = _csv_head(path, encoding, delimiter)
    try:
        table = _arrow_csv(path, enc, delimiter, names)
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "UTF8" in message and encoding is None and enc in ("utf-8", "utf-8-sig"):
            enc = "cp1251"
            table = _arrow_csv(path, enc, delimiter, parse_header(decode_head(head, enc), delimiter))
        else:
            raise _csv_error(path, enc, delimiter, len(names), message) from None
    return _numbered(table)


IN_PLACE_BYTES = 8 << 20
"""A UTF-8 CSV file of at least this size is read by DuckDB where it lies (``csv_source``)."""

MAX_LINE_BYTES = 8 << 20
"""The longest CSV record either reader takes (the Arrow reader's block; DuckDB's
default, 2 MB, is less). Larger makes DuckDB read the file on one thread (at 64 MiB a
200 MB file is read serially, twice the wall time)."""


def csv_source(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> Source | None:
    """A large, uncompressed UTF-8 CSV file as a ``Source`` DuckDB reads where it lies
    (``read_csv``, every column as text, in parallel); None for any other file (small,
    compressed, another encoding, a NUL byte anywhere), which ``read_csv`` reads into Arrow.

    The same cells as ``read_csv``: the header names from ``parse_header``, an empty cell
    (quoted or not) null, blank lines skipped, ``ROW`` the 1-based record number. The whole
    file is checked to be UTF-8 first (DuckDB's error could not be recovered from inside
    the ingest's transaction; a file that is not is read as cp1251 by ``read_csv``). A
    record with the wrong number of fields fails the ingest, located as ``read_csv`` locates it.
    """
    size = Path(path).stat().st_size
    if size < IN_PLACE_BYTES or str(path).lower().endswith(".gz"):
        return None
    _, enc, delimiter, names = _csv_head(path, encoding, delimiter)
    if enc not in ("utf-8", "utf-8-sig") or any("\x00" in n for n in names) or not _plain_utf8(path):
        return None
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    read = (f"read_csv({literal(str(path))}, columns = {columns}, header = true, auto_detect = false, "
            f"delim = {literal(delimiter)}, quote = '\"', escape = '\"', nullstr = '', allow_quoted_nulls = true, "
            f"strict_mode = true, null_padding = false, max_line_size = {MAX_LINE_BYTES}, "
            f"compression = 'none', encoding = 'utf-8')")
    # ``row_number() OVER ()`` numbers the records in file order; a query that does not read
    # ``ROW`` (a first import's insert) does not compute it, so stays parallel.
    relation = f"(SELECT *, row_number() OVER () AS {ROW} FROM {read})"
    return Source(str(path), "csv", relation, None, None, count=f"SELECT count(*) FROM {read}",
                  failed=lambda message: _csv_error(path, "utf-8", delimiter, len(names), message))


def _plain_utf8(path: str | Path, chunk: int = 16 << 20) -> bool:
    """Whether the whole file is valid UTF-8 without a NUL byte (ASCII chunks pass without
    decoding); a NUL is left to Arrow, whose text keeps it for the checks to name."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            if b"\x00" in block:
                return False
            if block.isascii() and not decoder.getstate()[0]:
                continue
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _arrow_csv(path: str | Path | Body, encoding: str, delimiter: str, names: list[str]) -> pa.Table:
    arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig", "utf8") else encoding
    source = (pa.BufferReader(path.data) if isinstance(path, Body)
              else pa.input_stream(str(path), compression="detect"))
    try:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, encoding=arrow_encoding, block_size=MAX_LINE_BYTES
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    finally:
        source.close()


def _csv_error(path: str | Path | Body, encoding: str, delimiter: str, width: int, message: str) -> InputError:
    """An ``InputError`` for a CSV Arrow could not parse, located by a slow re-read."""
    with _open_bytes(path) as fh:
        reader = csv.reader(io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline=""),
                            delimiter=delimiter)
        next(reader, None)
        row = 0
        for record in reader:
            if not record:
                continue
            row += 1
            if len(record) != width:
                return InputError(
                    f"expected {width} fields (as in the header), found {len(record)}",
                    file=_name(path), row=row, value=delimiter.join(record),
                )
    return InputError(f"cannot read CSV: {message.splitlines()[0]}", file=_name(path))


# --- spreadsheets ----------------------------------------------------------------------

def read_spreadsheet(path: str | Path | Body) -> pa.Table:
    """The first sheet of a workbook (or a ``Body``'s bytes) as text columns plus ``ROW`` (the sheet row).

    The header is the first non-empty row; empty rows after it are skipped. Cells become
    text: whole numbers without ``.0`` (ids and phone numbers stay intact), dates as
    ``YYYY-MM-DD``, date-times as ``YYYY-MM-DD HH:MM:SS``, booleans as ``true``/``false``.
    """
    from python_calamine import CalamineWorkbook

    name = _name(path)
    try:
        book = (CalamineWorkbook.from_filelike(io.BytesIO(path.data)) if isinstance(path, Body)
                else CalamineWorkbook.from_path(str(path)))
        grid = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types
        raise InputError(f"cannot read the workbook: {exc}", file=name) from None
    cells = [[cell_text(v) for v in row] for row in grid]
    header_at = next((i for i, row in enumerate(cells) if any(v is not None for v in row)), None)
    if header_at is None:
        raise InputError("the first sheet is empty", file=name)
    check_repeated_canonical([v or "" for v in cells[header_at]], name)
    names = unique_names([v or "" for v in cells[header_at]])
    data = [(i + 1, row) for i, row in enumerate(cells) if i > header_at and any(v is not None for v in row)]
    columns = {
        name: pa.array([row[j] if j < len(row) else None for _, row in data], pa.string())
        for j, name in enumerate(names)
    }
    table = pa.table(columns) if columns else pa.table({})
    return _numbered(table, np.array([n for n, _ in data], dtype=np.int64))


def cell_text(value: object) -> str | None:
    """The text of a spreadsheet cell (``None`` for an empty one)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


# --- JSON ------------------------------------------------------------------------------

def read_json(path: str | Path | Body, *, fold: Fold | None = None) -> pa.Table:
    """JSON (an object, an array of objects, NDJSON) as text columns plus ``ROW``.

    See ``voronka.ingest.jsonread``. Without ``fold`` every top-level key is a column (and
    must hold a single value).
    """
    name = _name(path)
    if isinstance(path, Body):
        data = path.data
    else:
        try:
            with _open_bytes(path) as fh:
                data = fh.read()
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"cannot read the file: {exc}", file=name) from None
    records = parse_records(decode_text(data, name), name)
    return to_table(records, name, fold, ROW)


# --- Parquet ---------------------------------------------------------------------------

def parquet_source(path: str | Path) -> Source:
    """A Parquet file read by DuckDB where it lies (typed columns kept, nothing loaded)."""
    try:
        rows = pq.ParquetFile(str(path)).metadata.num_rows
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError
        raise InputError(f"cannot read Parquet: {exc}", file=str(path)) from None
    relation = (
        f"(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {ROW} "
        f"FROM read_parquet({literal(path)}, file_row_number = true))"
    )
    return Source(str(path), "parquet", relation, None, rows)


PARQUET_BATCH_ROWS = 16_384
"""Rows decoded at a time from Parquet bytes, each batch counted against the limit."""


def read_parquet_bytes(body: Body) -> pa.Table:
    """The bytes of a Parquet file as an Arrow table plus ``ROW`` (typed columns kept, as
    DuckDB reads them from a file; dictionary columns as their values), decoded in memory up
    to ``limits.MAX_DECODED_BYTES`` (as declared by its metadata, then as decoded, batch by
    batch)."""
    try:
        file = pq.ParquetFile(pa.BufferReader(body.data))
        meta = file.metadata
        decoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if decoded > limits.MAX_DECODED_BYTES:
            raise LimitError(f"the Parquet file decodes to {decoded:,} bytes, over the limit of "
                             f"{limits.MAX_DECODED_BYTES:,}", file=body.name)
        batches, size = [], 0
        for batch in file.iter_batches(batch_size=PARQUET_BATCH_ROWS):  # dictionaries expand too: counted
            size += batch.nbytes
            if size > limits.MAX_DECODED_BYTES:
                raise LimitError(f"the Parquet file decodes to over {limits.MAX_DECODED_BYTES:,} bytes",
                                 file=body.name)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=file.schema_arrow)
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError
        raise InputError(f"cannot read Parquet: {exc}", file=body.name) from None
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(field.type.value_type))
    return _numbered(table)


