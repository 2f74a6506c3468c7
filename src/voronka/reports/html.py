"""The self-contained HTML report: one file, no network, readable on screen and on paper.

``Report(title, lang)`` collects sections (text, a plotly figure, a table, in that order
within a section) and ``write(path)`` produces ONE UTF-8 HTML file:

* ``<html lang="…">`` and ``<meta charset="utf-8">``; a header with the title, the time
  of generation and the language; a table of contents linking to every section.
* plotly.js (the copy shipped inside the ``plotly`` Python package) inlined once in
  ``<head>`` when the report has at least one figure; every figure is a ``<div>`` and a
  small ``Plotly.newPlot`` call with its JSON, ``<``, ``>``, ``&`` escaped as ``\\u003c``…
  so no text can close the script. No ``src=``/``href=`` points outside the file, no
  CDN, no web fonts, no MathJax: the report opens offline, from e-mail or a USB stick.
* Every user-provided string (titles, text, table cells, labels) is HTML-escaped.
* Print CSS: A4 margins, no shadows, figures and table rows kept whole across pages,
  table headers repeated on every page.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voronka.figure import to_json
from voronka.i18n import format_datetime, normalize_lang, t
from voronka.reports.charts import has_data
from voronka.reports.tables import Formatter, as_arrow, render_table

__all__ = ["Report", "Section"]

_DEFAULT_FIGURE_HEIGHT = 460
_PLOTLY_CONFIG = json.dumps(
    {"responsive": True, "displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("voronka")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return ""


def _plotly_js() -> str:
    """The plotly.js bundle shipped in the plotly package, safe to put inside ``<script>``."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().replace("</script", "<\\/script")


def _script_json(text: str) -> str:
    """JSON made safe inside an inline ``<script>``: nothing in it can close the tag."""
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return "".join("<p>" + html.escape(b).replace("\n", "<br>") + "</p>" for b in blocks)


@dataclass(frozen=True)
class Section:
    """One section of a report: a title and, each optional, text, a plotly figure and a table."""

    title: str
    text: str | None = None
    figure: Any = None
    table: Any = None
    formatters: Mapping[str, Formatter] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    max_rows: int | None = 500


class Report:
    """A report in one language, built section by section and written as one HTML file.

    >>> report = Report("Воронка продаж, март", "ru")
    >>> report.add_section("Воронка", text="Все каналы.", figure=fig, table=t)  # doctest: +SKIP
    >>> report.write("report.html")  # doctest: +SKIP
    """

    def __init__(
        self,
        title: str,
        lang: str,
        *,
        subtitle: str | None = None,
        generated_at: dt.datetime | None = None,
    ) -> None:
        self.title = title
        self.lang = normalize_lang(lang)
        self.subtitle = subtitle
        self.generated_at = generated_at or dt.datetime.now().astimezone()
        self.sections: list[Section] = []
        self.links: list[tuple[str, str]] = []
        """(text, href) pairs shown under the title: the dashboard's links between languages."""

    def add_section(
        self,
        title: str,
        *,
        text: str | None = None,
        figure: Any = None,
        table: Any = None,
        formatters: Mapping[str, Formatter] | None = None,
        headers: Mapping[str, str] | None = None,
        max_rows: int | None = 500,
    ) -> Report:
        """Add a section; returns the report, so calls chain.

        ``figure`` is a ``voronka.figure.Figure`` or plotly's; ``table`` a pyarrow Table or pandas DataFrame,
        shown with ``formatters`` (column → callable value → str) and ``headers``
        (column → header text), at most ``max_rows`` rows (None: all).
        """
        if figure is not None and not hasattr(figure, "to_plotly_json"):
            raise TypeError(f"figure must be a plotly Figure (voronka.figure's or plotly's), not {type(figure).__name__}")
        if table is not None:
            table = as_arrow(table)
        self.sections.append(
            Section(
                title=title,
                text=text,
                figure=figure,
                table=table,
                formatters=dict(formatters or {}),
                headers=dict(headers or {}),
                max_rows=max_rows,
            )
        )
        return self

    # ------------------------------------------------------------ rendering

    def _figure_html(self, figure: Any, div_id: str, section_title: str) -> str:
        spec = figure.to_plotly_json()  # a voronka.figure.Figure or plotly's: the same JSON
        layout = spec.get("layout", {})
        height = layout.get("height") or _DEFAULT_FIGURE_HEIGHT
        chart_title = (layout.get("title") or {}).get("text")
        if chart_title is not None and html.unescape(chart_title).strip() == section_title.strip():
            # the section heading already says it: drop the repeat, keep the space for the legend
            title = {k: v for k, v in layout["title"].items() if k != "text"}
            layout = {**layout, "title": title, "margin": {**layout.get("margin", {}), "t": 40}}
            spec = {**spec, "layout": layout}
        payload = _script_json(to_json(spec))
        return (
            f'<div class="figure"><div id="{div_id}" class="plotly-figure" '
            f'style="height:{int(height)}px"></div>'
            f"<script>(function(){{var f={payload};"
            f'Plotly.newPlot("{div_id}",f.data,f.layout,{_PLOTLY_CONFIG});}})();</script></div>'
        )

    def _section_html(self, number: int, section: Section) -> str:
        sid = f"section-{number}"
        out = [
            f'<section class="report-section" id="{sid}" aria-labelledby="{sid}-title">',
            (
                f'<h2 id="{sid}-title"><span class="section-number">{number}.</span> '
                f"{html.escape(section.title)}</h2>"
            ),
        ]
        if section.text:
            out.append(f'<div class="text">{_paragraphs(section.text)}</div>')
        if section.figure is not None and has_data(section.figure):
            out.append(self._figure_html(section.figure, f"{sid}-figure", section.title))
        elif section.figure is not None:  # no empty axes: say it
            out.append(f'<p class="note empty-chart">{html.escape(t("chart.empty", self.lang))}</p>')
        if section.table is not None:
            out.append(
                render_table(
                    section.table,
                    self.lang,
                    formatters=section.formatters,
                    headers=section.headers,
                    max_rows=section.max_rows,
                )
            )
        out.append("</section>")
        return "\n".join(out)

    def sections_html(self) -> str:
        """The numbered sections alone (text, figures, tables), for a page with its own frame
        that loads plotly.js itself (the web app, ``voronka.server.pages``)."""
        return "\n".join(self._section_html(i, s) for i, s in enumerate(self.sections, 1))

    def render(self) -> str:
        """The whole report as one HTML string."""
        lang = self.lang
        esc = html.escape
        has_figures = any(s.figure is not None and has_data(s.figure) for s in self.sections)
        head_script = (
            f"<script>/* plotly.js, inlined by voronka (MIT licence) */\n{_plotly_js()}\n</script>"
            if has_figures
            else ""
        )
        generated = format_datetime(self.generated_at, lang)
        meta = (
            f'<span>{esc(t("report.generated", lang))}: <time datetime="'
            f'{esc(self.generated_at.isoformat(timespec="seconds"))}">{esc(generated)}</time></span>'
            f"<span>{esc(t('report.language', lang))}: {esc(t('lang.' + lang, lang))}</span>"
        )
        subtitle = f'<p class="subtitle">{esc(self.subtitle)}</p>' if self.subtitle else ""
        if self.links:
            meta += "".join(f'<span><a href="{esc(href)}">{esc(text)}</a></span>' for text, href in self.links)
        toc = ""
        if self.sections:
            items = "".join(
                f'<li><a href="#section-{i}">{esc(s.title)}</a></li>'
                for i, s in enumerate(self.sections, 1)
            )
            toc = (
                f'<nav class="toc" aria-label="{esc(t("report.contents", lang))}">'
                f"<h2>{esc(t('report.contents', lang))}</h2><ol>{items}</ol></nav>"
            )
        body = self.sections_html()
        footer = esc(" ".join(t("report.footer", lang, version=_version()).split()))
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="color-scheme" content="light">\n'
            f'<meta name="generator" content="voronka {esc(_version())}">\n'
            f"<title>{esc(self.title)}</title>\n<style>{CSS}</style>\n{head_script}\n</head>\n"
            f'<body>\n<div class="page">\n<header class="report-header"><h1>{esc(self.title)}</h1>'
            f'{subtitle}<p class="meta">{meta}</p></header>\n{toc}\n<main>\n{body}\n</main>\n'
            f'<footer class="report-footer">{footer}</footer>\n</div>\n</body>\n</html>\n'
        )

    def write(self, path: str | Path) -> Path:
        """Write the report to ``path`` (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(self.render(), encoding="utf-8")
        return path


CSS = """
:root { --ink: #1f2933; --muted: #5f6b7a; --line: #d9dee5; --accent: #2f5d8a; --soft: #f4f6f9; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue",
       Arial, "DejaVu Sans", sans-serif; color: var(--ink); background: #e9edf2; line-height: 1.5;
       -webkit-text-size-adjust: 100%; }
body { margin: 0; }
.page { max-width: 1120px; margin: 24px auto; background: #fff; padding: 40px 48px 28px;
        border-radius: 8px;
        box-shadow: 0 1px 3px rgba(16, 24, 40, .08), 0 8px 24px rgba(16, 24, 40, .06); }
.report-header { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 24px; }
h1 { font-size: 28px; line-height: 1.25; margin: 0 0 6px; letter-spacing: -.01em; }
.subtitle { font-size: 17px; color: var(--muted); margin: 0 0 6px; }
.meta { color: var(--muted); font-size: 14px; margin: 0; display: flex; flex-wrap: wrap; gap: 4px 24px; }
nav.toc { background: var(--soft); border: 1px solid var(--line); border-radius: 6px;
          padding: 12px 20px 14px; margin: 0 0 32px; }
nav.toc h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .08em; color: var(--muted);
             margin: 0 0 6px; border: 0; padding: 0; }
nav.toc ol { margin: 0; padding-left: 22px; }
nav.toc li { margin: 2px 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.report-section { margin: 0 0 40px; }
.report-section h2 { font-size: 21px; line-height: 1.3; margin: 0 0 12px; padding-bottom: 6px;
                     border-bottom: 1px solid var(--line); }
.section-number { color: var(--accent); }
.text p { margin: 0 0 10px; max-width: 75ch; }
.figure { margin: 8px 0 16px; }
.plotly-figure { width: 100%; }
.table-wrap { overflow-x: auto; margin: 8px 0; }
table.data { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
table.data th { text-align: left; vertical-align: bottom; font-weight: 600; background: var(--soft);
                font-size: 13px; line-height: 1.3; min-width: 4em;
                border-bottom: 2px solid var(--line); padding: 8px 10px; }
table.data td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.data .num { text-align: right; }
table.data td.num { white-space: nowrap; }
table.data tbody tr:nth-child(even) { background: #fafbfc; }
table.data td.empty { color: var(--muted); text-align: center; }
.note { color: var(--muted); font-size: 13px; }
.report-footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
                 margin-top: 32px; padding-top: 10px; }
@media (max-width: 700px) { .page { margin: 0; padding: 20px 16px; border-radius: 0; } h1 { font-size: 23px; } }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html { background: #fff; font-size: 11pt; }
  .page { margin: 0; padding: 0; max-width: none; box-shadow: none; border-radius: 0; }
  nav.toc { break-after: avoid; }
  .report-section h2 { break-after: avoid; }
  .figure, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; }
  .modebar-container { display: none !important; }
}
"""
