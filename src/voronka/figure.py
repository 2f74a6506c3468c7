"""Plotly figures as plain JSON: the figure spec plotly.js draws (``Plotly.newPlot(div, data,
layout)``), built without plotly's ``graph_objects``.

plotly's Python objects validate and deep-copy every property at every ``update_layout`` and
``add_trace``; a report of 28 analyses spent about a third of its time there. The charts are
built here instead, with the few calls they use, spelled as in ``plotly.graph_objects``:
``Figure``, ``Bar``, ``Scatter``, ``Funnel``, ``Heatmap``, ``Sankey``, ``make_subplots`` (one
secondary y axis), ``add_trace``/``add_bar``/``add_scatter``, ``update_layout``,
``update_xaxes``/``update_yaxes``, ``add_shape``, ``add_vrect``. The JSON is plotly's own:

* keyword names split on ``_`` into nested properties (``title_text`` → ``title.text``;
  ``error_y`` stays one name), dictionaries merged into what is there, ``None`` removes;
* a ``title`` given as text is ``{"text": …}``; a ``colorscale`` named is its colours;
* ``template`` names one of plotly's templates, expanded from the copy in the plotly package
  when the figure is serialised; a figure without one gets plotly's default (``plotly``), as
  ``go.Figure`` does;
* ``NaN`` and infinities are ``null``; dates are ISO strings; NumPy values are plain numbers.

The tests feed every report figure through ``plotly.graph_objects.Figure``, which validates
each property and must give back the same JSON (``tests/test_figure.py``,
``tests/reports/test_full.py``, ``tests/reports/test_charts.py``).

Properties read as attributes, as on plotly's objects (``fig.layout.title.text``,
``fig.data[0].x``); a property not set reads as ``None``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from functools import cache
from typing import Any

__all__ = ["Bar", "Figure", "Funnel", "Heatmap", "Props", "Sankey", "Scatter", "make_subplots", "to_json"]

DEFAULT_TEMPLATE = "plotly"
"""The template of a figure that names none (plotly's ``pio.templates.default``)."""

_ONE_NAME = frozenset({"error_x", "error_y", "error_z"})
"""Property names with an underscore in them (not split by the keyword magic)."""


class Props(dict):
    """A plotly property tree (a plain ``dict``) that reads properties as attributes;
    a property not set reads as ``None``."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)


def _plain(value: Any) -> Any:
    """``value`` with its dictionaries as ``Props`` (and a ``title`` given as text as
    ``{"text": …}``), tuples as lists; other values as they are."""
    if isinstance(value, dict):
        return Props({k: _title(k, _plain(v)) for k, v in value.items()})
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) if isinstance(v, (dict, list, tuple)) else v for v in value]
    return value


def _title(key: str, value: Any) -> Any:
    """A ``title`` given as text is ``{"text": …}``; a colour scale's name its colours (plotly's
    scales, which differ from plotly.js's of the same names)."""
    if key == "title" and isinstance(value, str):
        return Props(text=value)
    if key == "colorscale" and isinstance(value, str):
        return _colorscale(value)
    return value


def _colorscale(name: str) -> list[list[Any]]:
    """plotly's colour scale ``name`` (case ignored, ``_r`` reversed) as ``[[level, colour], …]``,
    looked up as plotly's validator does (cyclical, then diverging, then sequential scales)."""
    from plotly import colors

    lower = name.lower()
    base = lower.removesuffix("_r")
    for module in (colors.cyclical, colors.diverging, colors.sequential):
        scales = {k.lower(): v for k, v in vars(module).items()
                  if isinstance(v, list) and not k.startswith("_") and not k.endswith("_r")}
        found = scales.get(base)
        if found:
            found = found[::-1] if base != lower else found
            return [[i / (len(found) - 1), c] for i, c in enumerate(found)]
    raise ValueError(f"no colour scale {name!r} in plotly")


def _path(key: str) -> list[str]:
    """plotly's keyword magic: ``title_font_size`` → ``["title", "font", "size"]``."""
    parts = key.split("_")
    if len(parts) > 1 and f"{parts[0]}_{parts[1]}" in _ONE_NAME:
        parts[:2] = [f"{parts[0]}_{parts[1]}"]
    return parts


def _merge(target: dict[str, Any], updates: dict[str, Any]) -> None:
    """Merge ``updates`` (keyword names split by ``_path``) into ``target``, as plotly's
    ``update``: dictionaries merged into dictionaries, ``None`` removes, anything else replaces."""
    for key, value in updates.items():
        *parents, name = _path(key)
        node = target
        for parent in parents:
            child = node.get(parent)
            if not isinstance(child, dict):
                child = node[parent] = Props()
            node = child
        value = _title(name, _plain(value))
        if value is None:
            node.pop(name, None)
        elif isinstance(value, dict) and isinstance(node.get(name), dict):
            _merge(node[name], value)
        else:
            node[name] = value


def _trace(kind: str, properties: dict[str, Any]) -> Props:
    trace = Props(type=kind)
    _merge(trace, properties)
    return trace


def Bar(**properties: Any) -> Props:  # noqa: N802 - named as plotly's trace
    """A bar trace."""
    return _trace("bar", properties)


def Scatter(**properties: Any) -> Props:  # noqa: N802
    """A scatter (line, marker or text) trace."""
    return _trace("scatter", properties)


def Funnel(**properties: Any) -> Props:  # noqa: N802
    """A funnel trace."""
    return _trace("funnel", properties)


def Heatmap(**properties: Any) -> Props:  # noqa: N802
    """A heatmap trace."""
    return _trace("heatmap", properties)


def Sankey(**properties: Any) -> Props:  # noqa: N802
    """A Sankey trace."""
    return _trace("sankey", properties)


class Figure:
    """A figure: its traces (``data``) and its ``layout``, plain dictionaries."""

    def __init__(self, data: Props | list[Props] | None = None, layout: dict[str, Any] | None = None,
                 **layout_properties: Any) -> None:
        self.data: list[Props] = [] if data is None else [data] if isinstance(data, dict) else list(data)
        self.layout = Props()
        self._secondary: str | None = None  # the secondary y axis (make_subplots)
        self.update_layout(layout, **{k.removeprefix("layout_"): v for k, v in layout_properties.items()})

    def add_trace(self, trace: Props, secondary_y: bool | None = None) -> Figure:
        if self._secondary is not None:
            trace = Props(trace, xaxis="x", yaxis="y2" if secondary_y else "y")
        self.data.append(trace)
        return self

    def add_bar(self, **properties: Any) -> Figure:
        return self.add_trace(Bar(**properties))

    def add_scatter(self, **properties: Any) -> Figure:
        return self.add_trace(Scatter(**properties))

    def update_layout(self, properties: dict[str, Any] | None = None, **more: Any) -> Figure:
        _merge(self.layout, {**(properties or {}), **more})
        return self

    def _axes(self, letter: str, properties: dict[str, Any], secondary_y: bool | None) -> Figure:
        names = [k for k in self.layout if k.startswith(f"{letter}axis")] or [f"{letter}axis"]
        if secondary_y is not None:
            names = [self._secondary if secondary_y else "yaxis"]
        for name in names:
            _merge(self.layout.setdefault(name, Props()), properties)
        return self

    def update_xaxes(self, properties: dict[str, Any] | None = None, **more: Any) -> Figure:
        return self._axes("x", {**(properties or {}), **more}, None)

    def update_yaxes(self, properties: dict[str, Any] | None = None, secondary_y: bool | None = None,
                     **more: Any) -> Figure:
        return self._axes("y", {**(properties or {}), **more}, secondary_y)

    def add_shape(self, **properties: Any) -> Figure:
        shape = Props()
        _merge(shape, properties)
        self.layout.setdefault("shapes", []).append(shape)
        return self

    def add_vrect(self, x0: Any, x1: Any, *, annotation_text: str | None = None,
                  annotation_position: str = "top left", annotation_font_size: float | None = None,
                  **properties: Any) -> Figure:
        """A band from ``x0`` to ``x1`` over the plot's height, with an optional label at its top
        left (the only position the charts use), as plotly's ``add_vrect``."""
        self.add_shape(type="rect", x0=x0, x1=x1, xref="x", y0=0, y1=1, yref="y domain", **properties)
        if annotation_text is not None:
            if annotation_position != "top left":
                raise ValueError(f"add_vrect: annotation_position {annotation_position!r} is not supported")
            label = Props(showarrow=False, text=annotation_text, x=x0, xanchor="left", xref="x", y=1,
                          yanchor="top", yref="y domain")
            if annotation_font_size is not None:
                label["font"] = Props(size=annotation_font_size)
            self.layout.setdefault("annotations", []).append(label)
        return self

    def to_plotly_json(self) -> dict[str, Any]:
        """``{"data": […], "layout": {…}}`` with the template expanded (shared, not copied)."""
        name = self.layout.get("template", DEFAULT_TEMPLATE)
        expanded = template(name) if isinstance(name, str) else name
        return {"data": self.data, "layout": {**self.layout, "template": expanded}}

    def to_json(self) -> str:
        return to_json(self)


def make_subplots(specs: list[list[dict[str, Any]]]) -> Figure:
    """One plot with a secondary y axis on the right (``specs=[[{"secondary_y": True}]]``), as
    plotly's ``make_subplots``; ``add_trace(…, secondary_y=True)`` draws on it."""
    if specs != [[{"secondary_y": True}]]:
        raise ValueError(f"make_subplots: only [[{{'secondary_y': True}}]] is supported, not {specs!r}")
    figure = Figure(layout={"xaxis": {"anchor": "y", "domain": [0.0, 0.94]},
                            "yaxis": {"anchor": "x", "domain": [0.0, 1.0]},
                            "yaxis2": {"anchor": "x", "overlaying": "y", "side": "right"}})
    figure._secondary = "yaxis2"
    return figure


@cache
def template(name: str) -> dict[str, Any]:
    """plotly's template ``name``, read from the plotly package (its JSON, as plotly loads it)."""
    from importlib.resources import files

    return json.loads(files("plotly").joinpath("package_data", "templates", f"{name}.json").read_text("utf-8"))


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "tolist"):  # NumPy arrays and scalars, Arrow arrays
        return value.tolist()
    if hasattr(value, "to_pylist"):
        return value.to_pylist()
    if hasattr(value, "to_plotly_json"):
        return value.to_plotly_json()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None`` (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def to_json(figure: Any) -> str:
    """The JSON of a figure (``Figure``, plotly's, or its ``to_plotly_json`` dictionary), as
    plotly's ``to_json``: NaN and infinities ``null``, dates ISO strings."""
    spec = figure if isinstance(figure, dict) else figure.to_plotly_json()
    try:
        return json.dumps(spec, default=_default, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a NaN or an infinity somewhere
        return json.dumps(_finite(json.loads(json.dumps(spec, default=_default))), allow_nan=False,
                          separators=(",", ":"))
