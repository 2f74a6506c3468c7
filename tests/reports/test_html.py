"""The report is one self-contained, escaped, UTF-8 HTML file."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pytest

from voronka.i18n import format_money
from voronka.reports import Report, funnel_chart, funnel_columns, render_table

from ._data import build_report, make_steps

NBSP = "\xa0"
EVIL = "<script>alert('x')</script>"


class _Tags(HTMLParser):
    """Every start tag with its attributes; script bodies are data, so strings in JS are not tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, str]:
    path = build_report("ru").write(tmp_path_factory.mktemp("report") / "report.html")
    return path, path.read_text(encoding="utf-8")


def test_one_utf8_file_with_lang_and_charset(written):
    path, text = written
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    assert text.startswith('<!DOCTYPE html>\n<html lang="ru">')
    assert '<meta charset="utf-8">' in text[:200]
    assert "Воронка продаж: март 2026" in text  # written as UTF-8, not as entities


def test_nothing_is_loaded_from_outside(written):
    _, text = written
    parsed = _parse(text)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "data", "srcset", "poster", "action"):
            value = (attrs.get(name) or "").strip().lower()
            assert not re.match(r"(https?:)?//", value), f"<{tag} {name}={value!r}>"
        assert not (tag == "script" and attrs.get("src")), "external script"
        assert not (tag == "link" and "stylesheet" in (attrs.get("rel") or "")), "external CSS"
        assert tag not in ("iframe", "object", "embed", "img")
    style = text[text.index("<style>") : text.index("</style>")]
    assert "@import" not in style and "url(" not in style
    for href in [a["href"] for t, a in parsed.tags if t == "a"]:
        assert href.startswith("#")


def test_plotly_js_is_inlined_exactly_once(written):
    _, text = written
    parsed = _parse(text)
    bundles = [s for s in parsed.scripts if "plotly.js v" in s[:400]]
    assert len(bundles) == 1
    assert len(bundles[0]) > 1_000_000  # the real library, not a loader
    assert text.count("* plotly.js v") == 1
    assert text.count("Plotly.newPlot(") == 5
    assert "cdn.plot.ly" not in text.replace(bundles[0], "")


def test_header_toc_and_sections(written):
    _, text = written
    assert "<h1>Воронка продаж: март 2026</h1>" in text
    assert (
        'Сформирован: <time datetime="2026-03-31T18:05:00+05:00">31 мар. 2026\u202fг., 18:05:00</time>'
        in text
    )
    assert "Язык: Русский" in text
    assert "<h2>Содержание</h2>" in text
    ids = re.findall(r'<section class="report-section" id="(section-\d+)"', text)
    assert ids == [f"section-{i}" for i in range(1, 6)]
    for sid in ids:
        assert f'href="#{sid}"' in text
    assert "@media print" in text


def test_funnel_table_is_formatted_in_russian(written):
    _, text = written
    assert '<th scope="col" class="num">Конверсия от первого шага</th>' in text
    assert f'<td class="num">12{NBSP}000</td>' in text
    assert f'<td class="num">45,0{NBSP}%</td>' in text
    assert '<td class="num">2 дн. 3 ч</td>' in text
    assert '<td class="num">—</td>' in text  # null conversion on step 1


def test_user_text_is_escaped_everywhere(tmp_path):
    steps = make_steps("en").set_column(
        2, "label", pa.array([EVIL, "Like", "Trust", "Try", "Buy", "Repeat", "Refer"])
    )
    report = Report(EVIL, "en", subtitle=EVIL)
    report.add_section(EVIL, text=EVIL, figure=funnel_chart(steps, "en", title=EVIL), table=steps)
    report.add_section(
        "raw figure", figure=go.Figure(go.Bar(x=["a"], y=[1]), layout_title_text=EVIL)
    )  # not via our builders
    text = report.write(tmp_path / "r.html").read_text(encoding="utf-8")
    parsed = _parse(text)
    # the only scripts are plotly.js and the two figure calls
    assert len(parsed.scripts) == 3
    assert "<script" not in parsed.scripts[2] and "</" not in parsed.scripts[2]
    assert "<script>alert" not in text
    assert (
        text.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 5
    )  # title, h1, subtitle, toc, h2, p, td
    payload = parsed.scripts[1]
    assert "<script" not in payload and "</" not in payload
    assert "\\u0026lt;script\\u0026gt;" in payload  # label escaped for plotly, then for <script>


def test_a_figure_with_nothing_to_draw_is_stated_in_words(tmp_path):
    report = Report("Empty", "ru").add_section("Пусто", figure=go.Figure(go.Heatmap(z=[[None, None]])))
    report.add_section("Тоже", figure=go.Figure())
    text = report.render()
    assert text.count("Нечего показать: в данных нет значений для этого графика.") == 2
    assert "class=\"plotly-figure\"" not in text and "Plotly" not in text  # no empty axes, no plotly.js


def test_no_figures_no_plotly(tmp_path):
    report = Report("Plain", "kk").add_section("Кесте", table=pa.table({"a": [1, 2]}))
    text = report.write(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "plotly.js" not in text and "Plotly" not in text
    assert '<html lang="kk">' in text and "Мазмұны" in text


def test_pandas_table_with_formatters_headers_and_row_limit(tmp_path):
    frame = pd.DataFrame(
        {
            "channel": ["tv", "radio", "print"],
            "revenue": [1234.5, 10.0, 0.0],
            "day": [dt.date(2026, 3, 1)] * 3,
        }
    )
    report = Report("Выручка", "ru").add_section(
        "Выручка",
        table=frame,
        headers={"channel": "Канал", "revenue": "Выручка"},
        formatters={"revenue": lambda x: format_money(x, "KZT", "ru")},
        max_rows=2,
    )
    text = report.write(tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<th scope="col">Канал</th>' in text
    assert f'<td class="num">1{NBSP}234,50{NBSP}₸</td>' in text
    assert "<td>1 мар. 2026\u202fг.</td>" in text
    assert "<td>radio</td>" in text and "<td>print</td>" not in text
    assert "Показаны первые 2 из 3 строк." in text


def test_render_table_defaults_and_empty():
    headers, formatters = funnel_columns("kk")
    html = render_table(make_steps("kk").slice(0, 0), "kk", headers=headers, formatters=formatters)
    assert "Деректер жоқ" in html and "Бірінші қадамнан конверсия" in html
    html = render_table(pa.table({"x": [float("nan"), 1.5], "ok": [True, None]}), "en")
    assert '<td class="num">—</td>' in html and '<td class="num">1.5</td>' in html
    assert "<td>✓</td>" in html


def test_formatter_output_is_escaped():
    html = render_table(pa.table({"a": [1]}), "en", formatters={"a": lambda _: "<b>1</b>"})
    assert "&lt;b&gt;1&lt;/b&gt;" in html


def test_chart_title_equal_to_section_title_is_not_repeated(tmp_path):
    report = Report("R", "ru").add_section("Воронка", figure=funnel_chart(make_steps("ru"), "ru"))
    text = report.write(tmp_path / "r.html").read_text(encoding="utf-8")
    payload = _parse(text).scripts[1]
    assert '"title":{"text":"\\u0412' not in payload  # "Воронка" not set as the chart title
    assert "Воронка" not in payload.split('"layout"', 1)[1].split('"template"', 1)[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="unsupported language"):
        Report("x", "de")
    with pytest.raises(TypeError, match="plotly Figure"):
        Report("x", "en").add_section("s", figure="<svg/>")
    with pytest.raises(TypeError, match="pyarrow.Table or a pandas.DataFrame"):
        Report("x", "en").add_section("s", table=[{"a": 1}])
