"""The list of analyses, the one spec builder and ``compute``: the records compute what the
analyses' functions compute (on every backend), one grammar, located errors, no file opened."""

from __future__ import annotations

import pyarrow as pa
import pytest

from voronka import demo
from voronka.analyses import ANALYSES, analysis_of, build_definition, compute, json_rows, tables
from voronka.attribution import compute_attribution
from voronka.errors import DefinitionError
from voronka.loop.retention import retention
from voronka.paths import PathSteps, compute_paths
from voronka.rules import StepRule
from voronka.source import Source, parse_where
from voronka.touches import compute_touches, parse_rule


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return demo.generate(60, seed=4, days=90).events.to_pylist()


def test_a_record_computes_what_the_analysis_function_computes(engine_for, rows):
    """``compute(source, record)`` is the analysis's function with the record's options."""
    source = Source(engine_for(rows), where=(parse_where("channel!=tv"),))
    cases = [
        (build_definition("touches", {"lookback": "14d", "cap": "4", "among": "site_visit|consultation"}),
         lambda: compute_touches(source, lookback="14d", cap=4, among="site_visit|consultation"), "touches",
         "by_touches"),
        (build_definition("paths", {"max_steps": "3", "top": "4", "by": "channel"}),
         lambda: compute_paths(source, steps=PathSteps(by="channel"), max_steps=3, top=4), "top", "top"),
        (build_definition("retention", {"period": "week"}), lambda: retention(source, period="week"), "long", "table"),
        (build_definition("attribution", {"models": "first_touch,linear", "first_only": "true"}),
         lambda: compute_attribution(source, settings=build_definition(
             "attribution", {"models": "first_touch,linear"}).settings(), first_only=True), "credit", "credit"),
    ]
    for definition, direct, name, field in cases:
        expected = getattr(direct(), field)
        assert expected.num_rows > 0, name
        assert tables(definition, compute(source, definition))[name].equals(expected), name


REQUIRED = {"whatif": {"stage": "2", "points": 5}, "plan": {"target": 10},
            "planfact": {"plan": [{"month": "2026-03", "channel": "tv", "leads": 2}]}}
"""The options an analysis cannot do without (the others have defaults)."""


def test_every_analysis_is_declared_once_with_its_record_and_tables():
    for name, a in ANALYSES.items():
        assert a.name == name
        assert analysis_of(build_definition(name, REQUIRED.get(name, {}))) is a
        assert a.title and a.doc.startswith("docs/")
    with pytest.raises(DefinitionError, match="is not the definition of an analysis"):
        compute(None, StepRule(events=("a",)))
    with pytest.raises(DefinitionError, match="no analysis 'nope'"):
        build_definition("nope", {})


def test_one_grammar_a_or_b_is_any_of_everywhere():
    assert parse_rule(build_definition("touches", {"conversion": "trial|purchase"}).conversion, StepRule()) == \
        StepRule(events=("trial", "purchase"))
    funnel = build_definition("funnel", {"steps": "visit,trial|purchase"})
    assert [s.rule.events for s in funnel.steps] == [("visit",), ("trial", "purchase")]
    diagnose = build_definition("diagnose", {"steps": "visit,trial|purchase"})
    assert diagnose.funnel == funnel and diagnose.playbook is None
    assert build_definition("diagnose", {}).playbook == "hourglass"


def test_errors_name_the_field_and_the_line(tmp_path):
    with pytest.raises(DefinitionError) as err:
        build_definition("touches", {"cap": "0"})
    assert err.value.field == "cap"
    with pytest.raises(DefinitionError) as err:
        build_definition("paths", {"nope": 1})
    assert err.value.field == "nope" and "its options are conversion" in str(err.value)
    file = tmp_path / "attribution.yaml"
    file.write_text("models: first_touch\norder: 9\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        build_definition("attribution", {}, file=file)
    assert (err.value.file, err.value.line, err.value.field) == (str(file), 2, "order")
    assert build_definition("attribution", {"order": 2}, file=file).order == 2  # flags override the file


def test_no_option_opens_a_file_where_files_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("key: mine\n", encoding="utf-8")
    for name, values in [("paths", {"model": "mine.yaml"}), ("touches", {"conversion": "mine.yaml:buy"}),
                         ("funnel", {"model": "mine.yaml"}), ("diagnose", {"file": "f.yaml"})]:
        with pytest.raises(DefinitionError):
            build_definition(name, values, files=False)
    with pytest.raises(DefinitionError, match="cannot be given here"):
        build_definition("touches", {}, file=tmp_path / "mine.yaml", files=False)


def test_json_rows_are_json():
    table = pa.table({"x": [1.5, float("nan"), float("inf")], "d": pa.array([None, None, None], pa.date32())})
    assert json_rows(table) == [{"x": 1.5, "d": None}, {"x": None, "d": None}, {"x": None, "d": None}]
