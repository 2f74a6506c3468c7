"""The Sankey reads at a glance: nodes in their position's column, named by step (no
``@1``), links coloured by their source and labelled by customers and share; no links, no
trace (the report says so in words)."""

from __future__ import annotations

import pyarrow as pa

from voronka.paths import SANKEY_SCHEMA, sankey_figure
from voronka.reports.charts import has_data

LINKS = [
    {"source": "ad_view", "source_position": 1, "target": "site_visit", "target_position": 2, "customers": 6},
    {"source": "ad_view", "source_position": 1, "target": "ad_view", "target_position": 2, "customers": 2},
    {"source": "site_visit", "source_position": 2, "target": "purchase", "target_position": 3, "customers": 3},
    {"source": "ad_view", "source_position": 2, "target": "purchase", "target_position": 3, "customers": 1},
]


def test_nodes_sit_in_their_steps_column_and_links_carry_count_and_share():
    trace = sankey_figure(pa.Table.from_pylist(LINKS, schema=SANKEY_SCHEMA), lang="ru").data[0]
    labels = list(trace.node.label)
    assert not any("@" in label for label in labels)
    column = {label.split(" · ")[0] + str(round(x, 1)): x for label, x in zip(labels, trace.node.x, strict=True)}
    assert column == {"ad_view0.0": 0.001, "ad_view0.5": 0.5, "site_visit0.5": 0.5, "purchase1.0": 0.999}
    assert "ad_view · 8" in labels and "purchase · 4" in labels  # the node's customers
    assert "ad_view → site_visit: 6 · 75,0\xa0%" in trace.link.customdata  # 6 of the 8 leaving ad_view@1
    colours = dict(zip(trace.link.customdata, trace.link.color, strict=True))
    assert colours["ad_view → site_visit: 6 · 75,0\xa0%"] == colours["ad_view → ad_view: 2 · 25,0\xa0%"]
    assert colours["ad_view → site_visit: 6 · 75,0\xa0%"] != colours["site_visit → purchase: 3 · 100,0\xa0%"]


def test_no_links_draw_no_empty_axes():
    figure = sankey_figure(pa.Table.from_pylist([], schema=SANKEY_SCHEMA))
    assert not figure.data and not has_data(figure)
