"""The report sections: "Where you lose customers", changes, "What if" and "Plan"."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.backends import engine_for
from tests.diagnose.test_changes import rows as change_rows
from tests.diagnose.test_weak_links import FUNNEL, rows
from voronka.diagnose import diagnose_funnel
from voronka.funnel.spec import build_funnel
from voronka.i18n import t
from voronka.plan import backwards_plan, what_if
from voronka.reports import Report
from voronka.reports.diagnose import add_diagnose_sections, interval_chart


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_sections_in_every_language(tmp_path, lang):
    diagnosis = diagnose_funnel(engine_for(rows()), build_funnel(FUNNEL), lang=lang)
    plan = backwards_plan(10, [0.3, 0.5, 0.2], sellers=4, check=12_000)
    change = what_if(1000, [0.5, 0.4, 0.5], 3, 5, check=100)
    report = add_diagnose_sections(Report("d", lang), diagnosis, lang, plan=plan, what_if=change, currency="KZT")
    titles = [s.title for s in report.sections]
    assert titles == [t(f"diagnose.section.{k}", lang) for k in ("lose", "whatif", "plan")]
    lose = report.sections[0]
    assert lose.figure is not None and lose.table.num_rows == 1  # segment a
    assert lose.table.column("segment").to_pylist() == ["a"]
    assert diagnosis.findings[0].text in lose.text
    path = tmp_path / "r.html"
    report.write(path)
    html = path.read_text(encoding="utf-8")
    assert t("diagnose.section.plan", lang) in html and "1334" in html.replace("\xa0", "").replace(",", "")


def test_changes_section():
    definition = build_funnel({"steps": ["visit", "signup"], "breakdown": "channel",
                               "date_from": dt.date(2026, 3, 12), "date_to": dt.date(2026, 3, 21)})
    diagnosis = diagnose_funnel(engine_for(change_rows()), definition, compare_days=10)
    report = add_diagnose_sections(Report("d", "en"), diagnosis, "en")
    changes = report.sections[1]
    assert changes.title == t("diagnose.section.changes", "en")
    assert changes.table.column("segment").to_pylist() == ["a", None]
    assert "-37.5 points" in changes.text


def test_interval_chart_marks_flagged_cells():
    diagnosis = diagnose_funnel(engine_for(rows()), build_funnel(FUNNEL))
    figure = interval_chart(diagnosis.links.cells, "en")
    names = [trace.name for trace in figure.data]
    assert names == ["All customers", "a", "b", "c", "d"]
    a = figure.data[1]
    assert list(a.marker.symbol) == ["diamond", "circle"] and a.x[0] == pytest.approx(0.1)
    assert a.error_x.arrayminus[0] == pytest.approx(0.1 - diagnosis.links.cells.column("ci_low")[2].as_py())
