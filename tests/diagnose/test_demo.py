"""The demo's planted weak stage (trust → try, docs/demo.md § 2) and its weakest channel
(print: 0.12 against about 0.34) are found on generated demo data."""

from __future__ import annotations

import pytest

from voronka import demo
from voronka.diagnose import diagnose_funnel
from voronka.engines.duckdb import DuckDBEngine
from voronka.funnel.spec import build_funnel
from voronka.stage_models import load_model


@pytest.fixture(scope="module")
def diagnosis():
    engine = DuckDBEngine.from_events(demo.generate(5000).events)
    definition = build_funnel({"model": "hourglass", "breakdown": "channel"})
    return diagnose_funnel(engine, definition, model=load_model("hourglass"))


def test_trust_to_try_is_the_costliest_weak_link(diagnosis):
    first = diagnosis.links.flagged()[0]
    assert (first["from_key"], first["to_key"], first["segment"]) == ("trust", "try", None)
    assert first["rate"] == pytest.approx(0.337, abs=0.03)  # planted 0.337
    assert first["reference_rate"] > 0.5  # its neighbours convert about 0.6–0.73
    assert diagnosis.findings[0].kind == "transition" and "Trust → Try" in diagnosis.findings[0].text
    assert diagnosis.findings[0].action  # the try stage's playbook


def test_print_is_flagged_at_trust_to_try_and_digital_is_not(diagnosis):
    cells = {(r["segment"], r["from_key"]): r for r in diagnosis.links.cells.to_pylist()}
    print_ = cells["print", "trust"]
    assert print_["flagged"] and print_["rate"] == pytest.approx(0.12, abs=0.04)  # planted 0.12
    assert print_["q"] < 0.001
    assert not cells["digital", "trust"]["flagged"]  # digital 0.38: better than the rest
    # mass channels lose customers at know → like (planted 0.40–0.50 against 0.70–0.80)
    assert all(cells[c, "know"]["flagged"] for c in ("tv", "ooh", "radio"))
    assert not any(cells[c, "know"]["flagged"] for c in ("digital", "mobile"))


def test_revenue_per_buyer_is_measured_in_tenge(diagnosis):
    revenue = diagnosis.links.revenue
    assert revenue.currency == "KZT"
    assert 10_000 < revenue.per_buyer < 40_000  # 12.8 M ₸ over about 500 buyers
