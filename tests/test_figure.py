"""Figures as plain JSON: each call gives the JSON plotly's ``graph_objects`` give for it."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from voronka import figure as plot


def _same(ours: plot.Figure, plotlys: go.Figure) -> None:
    assert json.loads(ours.to_json()) == json.loads(plotlys.to_json())


@pytest.mark.parametrize("build", [
    lambda m: m.Figure(),
    lambda m: m.Figure(m.Bar(x=["a", "b"], y=[1, 2], marker_color="#123456", error_y={"type": "data", "array": [1, 2]})),
    lambda m: m.Figure([m.Scatter(x=[1], y=[2], mode="lines", line={"width": 2}),
                        m.Heatmap(z=[[1, None]], colorscale="RdBu", zmid=0), m.Heatmap(z=[[1]], colorscale="Blues_r")]),
    lambda m: m.Figure(m.Funnel(y=["a"], x=[3], connector={"visible": False, "line": {"width": 0}})),
    lambda m: m.Figure(m.Sankey(node={"label": ["a", "b"]}, link={"source": [0], "target": [1], "value": [5]})),
])
def test_traces_as_plotly_gives_them(build):
    _same(build(plot), build(go))


def test_layout_updates_merge_split_and_remove_as_plotly_does():
    def build(m):
        fig = m.Figure(layout={"title": "A", "margin": {"l": 1, "t": 2}})
        fig.update_layout(title_font_size=17, margin_t=40, template="plotly_white", legend={"x": 0.0})
        fig.update_layout(title_text=None, height=300, legend_y=1.0)
        fig.update_xaxes(title="x", type="category").update_yaxes(tickformat=".0%", autorange="reversed")
        fig.add_bar(x=[1], y=[2]).add_scatter(x=[1], y=[3], name="s")
        fig.add_shape(type="line", x0=0, x1=1, y0=0, y1=0, line={"dash": "dot"})
        fig.add_vrect(x0=0.5, x1=1.5, fillcolor="red", opacity=0.08, line_width=0, annotation_text="here",
                      annotation_position="top left", annotation_font_size=10)
        fig.add_vrect(x0=2, x1=3, fillcolor="red", opacity=0.08, line_width=0)
        return fig

    _same(build(plot), build(go))
    assert build(plot).layout.title.font.size == 17 and build(plot).layout.title.text is None


def test_a_secondary_y_axis_as_make_subplots_gives_it():
    def build(m, make):
        fig = make(specs=[[{"secondary_y": True}]])
        fig.add_trace(m.Bar(x=["a"], y=[1], offsetgroup="0"), secondary_y=False)
        fig.add_trace(m.Bar(x=["a"], y=[0.5], offsetgroup="1"), secondary_y=True)
        fig.update_layout(barmode="group")
        fig.update_yaxes(title_text="CPA", secondary_y=False)
        fig.update_yaxes(title_text="ROMI", tickformat=".0%", secondary_y=True)
        return fig

    _same(build(plot, plot.make_subplots), build(go, make_subplots))


def test_values_json_cannot_hold_are_written_as_plotly_writes_them():
    fig = plot.Figure(plot.Scatter(x=[dt.date(2026, 1, 2), dt.date(2026, 1, 3)], y=[1.5, math.nan],
                                   text=np.array(["a", "b"])))
    assert json.loads(fig.to_json())["data"][0] == json.loads(go.Figure(fig.to_plotly_json()).to_json())["data"][0] \
        == {"type": "scatter", "x": ["2026-01-02", "2026-01-03"], "y": [1.5, None], "text": ["a", "b"]}


def test_properties_read_as_attributes_unset_as_none():
    fig = plot.Figure(plot.Bar(x=[1], y=[2]), layout_height=300)
    assert fig.data[0].type == "bar" and fig.data[0].x == [1] and fig.data[0].name is None
    assert fig.layout.height == 300 and fig.layout.title is None


def test_a_figure_without_a_template_gets_plotlys_default():
    spec = plot.Figure().to_plotly_json()
    assert spec["layout"]["template"] == go.Figure().to_plotly_json()["layout"]["template"]
