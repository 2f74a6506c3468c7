"""Explore sections: the change scan (findings and the flagged series' trends with the changed
window shaded), the transitions (loops and the transition graph) and the profile."""

from __future__ import annotations

import datetime as dt


from voronka import figure as plot
from voronka.i18n import t
from voronka.reports.html import Report

SCAN_SHOWN = 4  # flagged series drawn in the report


def scan_figure(scan, lang: str, shown: int = SCAN_SHOWN) -> plot.Figure | None:
    """The first ``shown`` ranked series: rate per period with its Wilson interval, the
    changed window shaded."""
    from voronka.explore.scan import series_label

    ranked = scan.flagged()[:shown]
    if not ranked:
        return None
    points = scan.points.to_pylist()
    figure = plot.Figure()
    for r in ranked:
        key = (r["measure"], r["column"], r["segment"])
        rows = [p for p in points if (p["measure"], p["column"], p["segment"]) == key]
        name = series_label(r)
        figure.add_trace(plot.Scatter(
            x=[p["period"] for p in rows], y=[p["rate"] for p in rows], mode="lines+markers", name=name,
            error_y={"type": "data", "symmetric": False,
                     "array": [(p["ci_high"] or 0) - (p["rate"] or 0) for p in rows],
                     "arrayminus": [(p["rate"] or 0) - (p["ci_low"] or 0) for p in rows]}))
        end = r["last"] + dt.timedelta(days=7 if scan.grain == "week" else 1)
        figure.add_vrect(x0=r["first"], x1=end, fillcolor="red", opacity=0.08, line_width=0)
    figure.update_layout(title=t("explore.scan.chart", lang), yaxis={"tickformat": ".0%"}, height=420,
                         margin={"l": 40, "r": 10, "t": 50, "b": 40})
    return figure


def add_scan_section(report: Report, scan, findings: list, lang: str) -> Report:
    """The change scan: its findings and the trends of the first flagged series."""
    report.add_section(t("explore.section.scan", lang), text="\n\n".join(f.sentence() for f in findings),
                       figure=scan_figure(scan, lang))
    return report


def loop_sentences(result, lang: str) -> list[str]:
    """One sentence per ranked loop (en/ru/kk)."""
    from voronka.i18n import format_number, format_percent

    rows = result.loops.to_pylist()
    if not rows:
        return [t("explore.transitions.none", lang)]
    return [t("explore.transitions.loop", lang, back=f"{r['from']} → {r['to']}", source=r["from"],
              units=format_number(r["units_trapped"], lang), share=format_percent(r["share_trapped"], lang),
              rate=format_percent(r["rate_trapped"], lang),
              others=format_percent(r["rate_others"], lang) if r["rate_others"] is not None else "—",
              lost=format_number(r["conversions_lost"], lang, digits=0)) for r in rows]


def add_transitions_section(report: Report, result, lang: str) -> Report:
    """The loops, the transition graph and the loops table."""
    from voronka.explore.transitions import transition_figure

    report.add_section(t("explore.section.transitions", lang), text="\n\n".join(loop_sentences(result, lang)),
                       figure=transition_figure(result, t("explore.transitions.graph", lang)),
                       table=result.loops)
    if result.segments is not None:
        add_compare_section(report, result, lang)
    return report


COMPARE_SHOWN = 5  # significant cells of each matrix told in sentences


def compare_sentences(result, lang: str, alpha: float = 0.05, shown: int = COMPARE_SHOWN) -> list[str]:
    """The cells of the transition and step matrices that differ between the two segments
    (q ≤ ``alpha``), at most ``shown`` of each, smallest q first (en/ru/kk)."""
    from voronka.diagnose.findings import format_p
    from voronka.i18n import format_percent

    seg_a, seg_b = result.segments

    def common(r: dict, rate: str) -> dict:
        d = r["difference"]
        return {"a": format_percent(r[f"{rate}_a"], lang), "b": format_percent(r[f"{rate}_b"], lang),
                "seg_a": seg_a, "seg_b": seg_b, "diff": ("+" if d > 0 else "−" if d < 0 else "") +
                format_percent(abs(d), lang), "test": t(f"diagnose.test.{r['method']}", lang),
                "q": format_p(r["q"], lang)}

    def significant(table) -> list[dict]:
        return [r for r in table.to_pylist() if r["q"] is not None and r["q"] <= alpha][:shown]

    lines = [t("explore.compare.move", lang, source=r["from"], target=r["to"], **common(r, "probability"))
             for r in significant(result.compare)]
    lines += [t("explore.compare.step", lang, step=r["step"], state=r["state"], **common(r, "share"))
              for r in significant(result.compare_steps)]
    return lines or [t("explore.compare.none", lang, seg_a=seg_a, seg_b=seg_b, alpha=alpha)]


def compare_figure(result, lang: str) -> plot.Figure:
    """The step matrix difference A − B: a heat map of steps (columns) by states (rows)."""
    rows = result.compare_steps.to_pylist()
    states = sorted({r["state"] for r in rows}, key=lambda s: (s == "END", s))
    steps = sorted({r["step"] for r in rows})
    cell = {(r["state"], r["step"]): r["difference"] for r in rows}
    z = [[cell.get((state, step)) for step in steps] for state in states]
    figure = plot.Figure(plot.Heatmap(z=z, x=steps, y=states, colorscale="RdBu", zmid=0,
                                      colorbar={"tickformat": ".0%"}, hovertemplate="%{y}, %{x}: %{z:.1%}<extra></extra>"))
    a, b = result.segments
    figure.update_layout(title=t("explore.compare.chart", lang, a=a, b=b), height=max(300, 26 * len(states) + 120),
                         xaxis={"title": t("explore.compare.step_axis", lang), "dtick": 1},
                         margin={"l": 120, "r": 10, "t": 50, "b": 40})
    return figure


def add_compare_section(report: Report, result, lang: str) -> Report:
    """Two segments: the cells that differ, the step-matrix difference, the step cells by q."""
    a, b = result.segments
    report.add_section(t("explore.section.compare", lang, a=a, b=b), text="\n\n".join(compare_sentences(result, lang)),
                       figure=compare_figure(result, lang), table=result.compare_steps)
    return report


def add_profile_section(report: Report, result, lang: str) -> Report:
    """The profile's findings, events per day, and the event vocabulary."""
    from voronka.explore.profile import profile_sentences

    days = result.days.to_pylist()
    figure = plot.Figure(plot.Bar(x=[d["day"] for d in days], y=[d["events"] for d in days])) if days else None
    report.add_section(t("explore.section.profile", lang), text="\n\n".join(profile_sentences(result, lang)),
                       figure=figure, table=result.vocabulary)
    return report
