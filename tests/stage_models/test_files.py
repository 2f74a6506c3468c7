"""Model files: round trip, copying, and located errors for bad files.

The bad files are data: ``bad/*.yaml`` each start with the error they must raise::

    # expect-line: 25
    # expect-field: stages[1].rule.where[0].op
    # expect-message: Input should be

Adding a case is adding a file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from voronka.errors import DefinitionError
from voronka.stage_models import (
    StageModel,
    builtin_models,
    copy_model,
    load_model,
    model_to_yaml,
    parse_model,
)

BAD = Path(__file__).parent / "bad"


def _expectations(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect-"):
            name, _, value = line.removeprefix("# expect-").partition(":")
            found[name] = value.strip()
    return found


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_bad_file_is_located(path: Path) -> None:
    expect = _expectations(path)
    with pytest.raises(DefinitionError) as info:
        load_model(path)
    err = info.value
    assert err.file == str(path)
    assert err.line == int(expect["line"]), str(err)
    assert (err.field or "") == expect["field"], str(err)
    assert expect["message"] in err.reason, str(err)
    # one line, with the location in front
    assert "\n" not in str(err)
    assert str(err).startswith(f"{path}, line {err.line}")


@pytest.mark.parametrize("name", builtin_models())
def test_round_trip(name: str) -> None:
    model = load_model(name)
    text = model_to_yaml(model)
    again = parse_model(text)
    assert again == model
    assert model_to_yaml(again) == text


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    model = load_model("journey")
    path = tmp_path / "journey.yml"
    path.write_text(model_to_yaml(model), encoding="utf-8")
    assert load_model(path) == model
    assert load_model(str(path)) == model


def test_model_to_yaml_leaves_defaults_out() -> None:
    text = model_to_yaml(load_model("hourglass"))
    assert "optional" not in text
    assert "min_referrals: null" not in text
    assert "events: [purchase]" in text


def test_constructed_model_round_trips() -> None:
    model = StageModel.model_validate(
        {
            "key": "tiny",
            "title": {"en": "Tiny", "ru": "Малая", "kk": "Кішкентай"},
            "description": {"en": "d: with a colon", "ru": "о", "kk": "с"},
            "stages": [
                {
                    "key": "big_buy",
                    "labels": {"en": "Big, buy", "ru": "Крупная: покупка", "kk": "Ірі"},
                    "description": {"en": "'quoted' #hash", "ru": "о", "kk": "с"},
                    "rule": {
                        "events": ["purchase"],
                        "where": [
                            {"field": "revenue", "op": "gte", "value": 1000.5},
                            {"field": "offer", "op": "in", "value": ["core", "bundle"]},
                            {"field": "gift", "op": "eq", "value": True},
                        ],
                    },
                    "optional": True,
                }
            ],
        }
    )
    assert parse_model(model_to_yaml(model)) == model


def test_unknown_name() -> None:
    with pytest.raises(DefinitionError, match="no built-in model 'hourglas'.*hourglass"):
        load_model("hourglas")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no such file") as info:
        load_model(tmp_path / "nope.yaml")
    assert info.value.file == str(tmp_path / "nope.yaml")


def test_copy_model(tmp_path: Path) -> None:
    path = copy_model("hourglass", "my_hourglass", tmp_path)
    assert path == tmp_path / "my_hourglass.yaml"
    copied = load_model(path)
    original = load_model("hourglass")
    assert copied.key == "my_hourglass"
    assert copied.stages == original.stages
    text = path.read_text(encoding="utf-8")
    assert "native reader" in text  # comments are kept
    assert text.startswith("# Copied from the built-in model hourglass")


def test_copy_refuses_to_overwrite(tmp_path: Path) -> None:
    copy_model("aida", "mine", tmp_path)
    with pytest.raises(DefinitionError, match="already exists"):
        copy_model("cluster", "mine", tmp_path)
    assert load_model(tmp_path / "mine.yaml").stages == load_model("aida").stages
    copy_model("cluster", "mine", tmp_path, force=True)
    assert load_model(tmp_path / "mine.yaml").stages == load_model("cluster").stages


def test_copy_from_a_file_and_into_a_new_directory(tmp_path: Path) -> None:
    first = copy_model("nine_touches", "first", tmp_path)
    second = copy_model(first, "second", tmp_path / "sub" / "dir")
    assert load_model(second).key == "second"
    assert load_model(second).stages == load_model("nine_touches").stages


def test_copy_needs_a_slug(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="invalid model name"):
        copy_model("aida", "My Model", tmp_path)
    assert not list(tmp_path.iterdir())


def test_copy_never_copies_an_invalid_model(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as info:
        copy_model(BAD / "bad_op.yaml", "fixed", tmp_path)
    assert info.value.line == 26
    assert not (tmp_path / "fixed.yaml").exists()


@pytest.mark.parametrize("name", ["/etc/passwd", "/dev/zero", "../x", "C:\\x", "mine.yaml", "mine", "", "hourglass\x00"])
def test_names_only_never_open_a_file(name, tmp_path, monkeypatch):
    """``files=False`` (the mode of HTTP requests) takes built-in names only: a path, or a
    name that is a file in the working directory, is an unknown model, and nothing is read."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").write_text(model_to_yaml(load_model("hourglass")))
    (tmp_path / "mine.yaml").write_text(model_to_yaml(load_model("hourglass")))
    assert load_model("mine").key == "hourglass"  # the CLI reads files by design
    with pytest.raises(DefinitionError, match="no built-in model"):
        load_model(name, files=False)


def test_a_file_named_like_a_built_in_model_does_not_shadow_it(tmp_path, monkeypatch):
    """The dashboard and the analyses load built-in models by name: a file ``hourglass`` in
    the server's working directory is not read in its place."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hourglass").write_text("not: [a model")
    assert load_model("hourglass").key == load_model("hourglass", files=False).key == "hourglass"
    with pytest.raises(DefinitionError, match="line 1"):
        load_model("./hourglass")  # the file, asked for as a path
