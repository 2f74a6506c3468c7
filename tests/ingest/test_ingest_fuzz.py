"""Issue 18: property-based fuzzing of every reader (hypothesis).

Generated CSV (every supported encoding and delimiter), TSV, XLSX, NDJSON, JSON arrays and
pretty objects, Parquet, CRM exports, request bodies (``Collector.ingest``) and stage-model
YAML. For each input: either it is stored, or it raises an ``InputError`` naming the file
(the request body) — with the row where one exists — and the store holds exactly the rows
it held before. Anything else (a traceback) fails the test. About 1,900 inputs per run.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voronka.errors import DefinitionError, InputError
from voronka.server.collector import REQUEST, Collector
from voronka.stage_models import load_model
from voronka.store import Store

FUZZ = settings(deadline=None, database=None, derandomize=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

CRM = Path(__file__).parents[1] / "crm" / "data"

HEADERS = ["customer_id", "Customer_ID", "ts", "event", "channel", "campaign", "revenue", "currency",
           "referrer_id", "event_id", "properties", "page", "", " ts ", "клиент", "Дата", "<script>"]
VALUES = ["", " ", "c1", "2026-03-01", "2026-03-01 10:00:00+05:00", "23.11.2026 14:05", "1700000000",
          "1700000000000", "9999999999999", "10000-01-01", "-0044-03-15", "1900-01-01", "2199-12-31",
          "1 234,56", "99999999999999.9999", "1e400", "KZT", "₸", "руб", "{}", '{"a": 1}', "[1]", "null",
          "NaN", "\x00", "a\x00b", "\ufeff", "\u202e", "'; DROP TABLE events;--", '"', "\n", "\r\n", ";", "|",
          "\t", "Ω≈ç√", "клиент", "2026-02-30"]
TEXT = st.one_of(st.sampled_from(VALUES), st.text(max_size=12))
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1251", "koi8-r"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "store.duckdb"
    with Store(path) as s:
        yield s


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("inputs")


def _counts(store: Store) -> tuple[int, ...]:
    return tuple(store.count(t) for t in ("events", "spend", "aliases", "deals"))


def _ingest(store: Store, table: str, path: Path, **options) -> None:
    """Ingest ``path``: stored, or an InputError naming it and nothing stored."""
    before = _counts(store)
    try:
        store.ingest(table, [path], **options)
    except InputError as exc:
        assert exc.file == str(path), str(exc)
        assert str(exc).startswith(str(path)), str(exc)
        assert _counts(store) == before


@st.composite
def tables(draw, max_rows: int = 6) -> tuple[list[str], list[list[str]]]:
    width = draw(st.integers(1, 6))
    header = draw(st.lists(st.sampled_from(HEADERS) | st.text(max_size=8), min_size=width, max_size=width))
    if draw(st.booleans()):
        header[:3] = ["customer_id", "ts", "event"][: min(3, width)]
    rows = draw(st.lists(st.lists(TEXT, min_size=width, max_size=width), max_size=max_rows))
    return header, rows


@given(data=tables(), encoding=st.sampled_from(ENCODINGS), delimiter=st.sampled_from([",", ";", "\t", "|"]),
       say_encoding=st.booleans(), say_delimiter=st.booleans(), suffix=st.sampled_from([".csv", ".txt", ".tsv"]),
       table=st.sampled_from(["events", "spend", "aliases", "deals"]), ragged=st.booleans())
@settings(FUZZ, max_examples=450)
def test_csv(store, folder, data, encoding, delimiter, say_encoding, say_delimiter, suffix, table, ragged):
    header, rows = data
    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    out.writerow(header)
    for row in rows:
        out.writerow(row[:-1] if ragged and row else row)
    path = folder / f"fuzz{suffix}"
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    _ingest(store, table, path, encoding=encoding if say_encoding else None,
            delimiter=delimiter if say_delimiter else None)


@given(raw=st.binary(max_size=200), suffix=st.sampled_from([".csv", ".ndjson", ".json", ".parquet", ".xlsx",
                                                             ".csv.gz", ".json.gz"]))
@settings(FUZZ, max_examples=200)
def test_random_bytes(store, folder, raw, suffix):
    path = folder / f"raw{suffix}"
    path.write_bytes(raw)
    _ingest(store, "events", path)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(HEADERS) | st.text(max_size=5),
                                                                inner, max_size=3),
    max_leaves=6,
)
OBJECTS = st.dictionaries(st.sampled_from(HEADERS) | st.text(max_size=6), JSON_VALUES, max_size=7)


@st.composite
def json_bodies(draw) -> bytes:
    objects = draw(st.lists(OBJECTS | st.fixed_dictionaries(
        {"customer_id": TEXT, "ts": TEXT, "event": TEXT}, optional={"properties": JSON_VALUES, "page": TEXT}),
        min_size=1, max_size=5))
    shape = draw(st.sampled_from(["ndjson", "array", "pretty"]))
    if shape == "ndjson":
        text = "\n".join(json.dumps(o, ensure_ascii=draw(st.booleans())) for o in objects)
    elif shape == "array":
        text = json.dumps(objects, indent=draw(st.sampled_from([None, 2])))
    else:
        text = "\n".join(json.dumps(o, indent=2) for o in objects)
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])))
    if draw(st.integers(0, 3)) == 0:  # corrupt: cut, or splice in bytes
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=4)) + data[at + draw(st.integers(0, 3)):]
    return data


@given(body=json_bodies(), suffix=st.sampled_from([".ndjson", ".json", ".jsonl"]),
       table=st.sampled_from(["events", "events", "spend", "deals"]))
@settings(FUZZ, max_examples=350)
def test_json_files(store, folder, body, suffix, table):
    path = folder / f"fuzz{suffix}"
    path.write_bytes(body)
    _ingest(store, table, path)


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    c = Collector(tmp_path_factory.mktemp("served") / "store.duckdb")
    yield c
    c.close()


@given(body=json_bodies(), tz=st.sampled_from([None, "Asia/Almaty"]),
       mapping=st.sampled_from([{}, {"customer_id": "page"}, {"ts": "Дата"}]))
@settings(FUZZ, max_examples=300)
def test_request_bodies(collector, body, tz, mapping):
    before = collector.event_count
    try:
        collector.ingest("events", body, tz, mapping)
    except InputError as exc:
        assert exc.file == REQUEST and str(exc).startswith(REQUEST), str(exc)
        assert collector.event_count == before


PARQUET_COLUMNS = {
    "text": (pa.string(), TEXT),
    "int": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    "float": (pa.float64(), st.floats()),
    "bool": (pa.bool_(), st.booleans()),
    "ts": (pa.timestamp("us"), st.datetimes()),
    "date": (pa.date32(), st.dates()),
}


@given(data=st.data(), n=st.integers(0, 4),
       names=st.lists(st.sampled_from(HEADERS[:11]), min_size=1, max_size=5, unique_by=str.casefold))
@settings(FUZZ, max_examples=150)
def test_parquet(store, folder, data, n, names):
    columns = {}
    for name in names:
        kind = data.draw(st.sampled_from(sorted(PARQUET_COLUMNS)))
        arrow_type, values = PARQUET_COLUMNS[kind]
        columns[name] = pa.array(data.draw(st.lists(st.none() | values, min_size=n, max_size=n)), arrow_type)
    path = folder / "fuzz.parquet"
    pq.write_table(pa.table(columns), path)
    _ingest(store, data.draw(st.sampled_from(["events", "spend", "deals"])), path)


CELLS = st.one_of(TEXT, st.integers(-(10**15), 10**15), st.floats(allow_nan=False, allow_infinity=False),
                  st.booleans())


@given(header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=5),
       rows=st.lists(st.lists(CELLS, min_size=1, max_size=5), max_size=4), blank_top=st.integers(0, 2))
@settings(FUZZ, max_examples=100)
def test_xlsx(store, folder, header, rows, blank_top):
    path = folder / "fuzz.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(blank_top + r, c, value.replace("\x00", ""))
            else:
                sheet.write(blank_top + r, c, value)
    book.close()
    _ingest(store, "events", path)


@given(data=st.data(), sample=st.sampled_from(["amocrm_deals.csv", "bitrix24_deals.xlsx"]))
@settings(FUZZ, max_examples=150)
def test_crm_exports(store, folder, data, sample):
    """A CRM sample with a cell, line or byte range replaced."""
    raw = (CRM / sample).read_bytes()
    if sample.endswith(".csv"):
        text = raw.decode("cp1251")
        lines = text.splitlines()
        i = data.draw(st.integers(0, len(lines) - 1))
        cells = lines[i].split(";")
        j = data.draw(st.integers(0, len(cells) - 1))
        cells[j] = data.draw(TEXT).replace("\n", " ")
        lines[i] = ";".join(cells)
        raw = "\n".join(lines).encode(data.draw(st.sampled_from(["cp1251", "utf-8"])), errors="replace")
    else:
        at = data.draw(st.integers(0, len(raw)))
        raw = raw[:at] + data.draw(st.binary(max_size=8)) + raw[at + data.draw(st.integers(0, 8)):]
    path = folder / f"crm_{sample}"
    path.write_bytes(raw)
    _ingest(store, "deals", path)


YAML_SCALARS = st.none() | st.booleans() | st.integers() | TEXT
YAML_DATA = st.recursive(
    YAML_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["key", "title", "stages", "rule", "events", "label", "description", "source", "where",
                         "field", "op", "value", "optional"]) | st.text(max_size=5), inner, max_size=4),
    max_leaves=10,
)


@given(model=YAML_DATA, as_text=st.booleans(), junk=st.text(max_size=30))
@settings(FUZZ, max_examples=200)
def test_model_yaml(folder, model, as_text, junk):
    path = folder / "model.yaml"
    path.write_text(junk if as_text else yaml.safe_dump(model, allow_unicode=True), encoding="utf-8")
    try:
        load_model(path)
    except (DefinitionError, InputError) as exc:
        assert str(path) in str(exc), str(exc)
