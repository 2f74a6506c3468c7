"""Guessing how a text file is written: its encoding and its delimiter.

Pure functions on the first bytes of a file (the *head*).

Encoding: a byte-order mark decides (UTF-8, UTF-16); otherwise UTF-8 when the head is
valid UTF-8, else cp1251 (the Windows Cyrillic code page Excel writes in Russia and
Kazakhstan). A file whose head is valid UTF-8 but whose tail is not is re-read as cp1251
by the reader.

Delimiter: of ``,`` ``;`` tab ``|``, the one that splits the first lines into the same
number (> 1) of fields, most fields first, then in that order of preference.
"""

from __future__ import annotations

import codecs
import csv
import io

DELIMITERS = (",", ";", "\t", "|")
WHITESPACE = " \t\r\n\u00a0\u202f\u2009"
"""Trimmed from both ends of every text value (``normalise``, ``jsonread``)."""
HEAD_BYTES = 1 << 20

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def sniff_encoding(head: bytes) -> str:
    """The encoding of a file that starts with ``head``: a BOM's, else utf-8, else cp1251.

    >>> sniff_encoding("клиент".encode("cp1251"))
    'cp1251'
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end of the head is fine
    except UnicodeDecodeError:
        return "cp1251"
    return "utf-8"


def decode_head(head: bytes, encoding: str) -> str:
    """The text of ``head``; a character cut at its end is dropped."""
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def sniff_delimiter(text: str, max_lines: int = 50) -> str:
    """The delimiter of CSV ``text`` (the head of a file): see the module docstring.

    >>> sniff_delimiter("a;b;c\\n1;2,5;3\\n")
    ';'
    """
    lines = text.splitlines(keepends=True)
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a head may be cut
    sample = "".join(lines[:max_lines])
    best: tuple[int, int, str] | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            counts = {len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row}
        except csv.Error:
            continue
        if len(counts) != 1:
            continue
        fields = counts.pop()
        if fields > 1 and (best is None or (fields, -rank) > (best[0], best[1])):
            best = (fields, -rank, delimiter)
    if best is not None:
        return best[2]
    # Ragged or one-column files: the delimiter most frequent in the header line.
    header = lines[0] if lines else ""
    return max(DELIMITERS, key=lambda d: (header.count(d), -DELIMITERS.index(d)))


def parse_header(text: str, delimiter: str) -> list[str]:
    """The column names in the first record of ``text``, trimmed, made unique and non-empty.

    An empty name becomes ``column_N`` (N is 1-based); a repeated name (compared
    case-insensitively) gets ``_2``, ``_3``...
    """
    return unique_names(header_fields(text, delimiter))


def header_fields(text: str, delimiter: str) -> list[str]:
    """The fields of the first record of ``text``, as written."""
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error:
        return text.splitlines()[0].split(delimiter) if text else []


def unique_names(names: list[str]) -> list[str]:
    """Trimmed names, empty ones replaced by ``column_N``, repeats suffixed ``_2``, ``_3``..."""
    seen: set[str] = set()
    out = []
    for i, raw in enumerate(names, start=1):
        name = (raw or "").strip().lstrip("\ufeff").strip() or f"column_{i}"
        candidate, n = name, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out
