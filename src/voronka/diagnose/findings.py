"""Plain-language findings in en/ru/kk from weak links and changes, each with its numbers,
the test behind it (method, p, q) and the suggested action of the stage's playbook.

* A flagged **transition** or **segment** (``WeakLinks.flagged()``, most costly first)
  gives one finding; its action is the first playbook action of the stage the customers
  fail to reach (the transition's target stage), when the funnel comes from a stage model.
* A significant **change** (``Changes.significant()``) gives one finding, largest first.
* Nothing flagged (no significant change): one finding of kind ``none`` (``no_change``)
  saying so, with the level α.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voronka.diagnose.changes import Changes
from voronka.diagnose.weak_links import WeakLinks
from voronka.i18n import format_date, format_money, format_number, format_percent, t
from voronka.stage_models import StageModel


@dataclass(frozen=True)
class Finding:
    """One finding: ``kind`` (transition, segment, none, change, no_change), the sentence, the
    numbers behind it, the test (``method``, ``p``, ``q``) and the suggested ``action``."""

    kind: str
    text: str
    numbers: dict[str, Any] = field(default_factory=dict)
    method: str | None = None
    p: float | None = None
    q: float | None = None
    action: str | None = None

    def sentence(self) -> str:
        """The text with the action appended."""
        return self.text if not self.action else f"{self.text} {self.action}"


def format_p(p: float, lang: str) -> str:
    """A p- or q-value with its relation: ``= 0.012`` (three decimals), ``< 0.001`` below."""
    if p < 0.001:
        return "< " + format_number(0.001, lang, digits=3)
    return "= " + format_number(p, lang, digits=3)


def weak_link_findings(links: WeakLinks, lang: str, model: StageModel | None = None) -> list[Finding]:
    """One finding per flagged cell, most costly first (module docstring)."""
    out = []
    for r in links.flagged():
        cost = ""
        if r["buyers_lost"] > 0:
            cost = t("diagnose.finding.buyers", lang, buyers=format_number(r["buyers_lost"], lang, digits=1))
            if r["value_lost"] is not None:
                money = (format_money(round(r["value_lost"]), links.revenue.currency, lang) if links.revenue.currency
                         else format_number(r["value_lost"], lang, digits=0))
                cost += t("diagnose.finding.value", lang, value=money)
        params = dict(
            transition=r["label"], rate=format_percent(r["rate"], lang), low=format_percent(r["ci_low"], lang),
            high=format_percent(r["ci_high"], lang), reference=format_percent(r["reference_rate"], lang),
            lost=format_number(r["customers_lost"], lang, digits=0), cost=cost,
            test=t(f"diagnose.test.{r['method']}", lang), p=format_p(r["p"], lang), q=format_p(r["q"], lang),
        )
        if r["segment"] is None:
            kind, text = "transition", t("diagnose.finding.transition", lang, **params)
        else:
            kind = "segment"
            text = t("diagnose.finding.segment", lang, segment=r["segment"], field=links.breakdown,
                     trials=format_number(r["trials"], lang), **params)
        out.append(Finding(kind, text, _numbers(r), r["method"], r["p"], r["q"], _action(model, r["to_key"], lang)))
    if not out:
        out.append(Finding("none", t("diagnose.finding.none", lang, alpha=format_number(links.alpha, lang))))
    return out


def change_findings(changes: Changes, lang: str) -> list[Finding]:
    """One finding per significant change, largest first."""
    out = []
    for r in changes.significant():
        change = format_number(100 * r["change"], lang, digits=1)
        text = t("diagnose.finding.change", lang, transition=r["label"],
                 segment=f" ({r['segment']})" if r["segment"] is not None else "",
                 rate=format_percent(r["rate"], lang), previous=format_percent(r["previous_rate"], lang),
                 change=("+" if r["change"] > 0 else "") + change, test=t(f"diagnose.test.{r['method']}", lang),
                 p=format_p(r["p"], lang), q=format_p(r["q"], lang))
        out.append(Finding("change", text, _numbers(r), r["method"], r["p"], r["q"]))
    if not out:
        first, last = changes.previous
        span = f"{format_date(first, lang)} – {format_date(last, lang)}"
        out.append(Finding("no_change", t("diagnose.finding.no_changes", lang, previous=span,
                                     alpha=format_number(changes.alpha, lang))))
    return out


def _numbers(row: dict) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("method", "p", "q", "flagged", "significant")}


def _action(model: StageModel | None, stage: str, lang: str) -> str | None:
    if model is None or stage not in model.keys:
        return None
    actions = model.stage(stage).playbook.actions.get(lang)
    return t("diagnose.finding.action", lang, action=actions[0].rstrip(".")) if actions else None
