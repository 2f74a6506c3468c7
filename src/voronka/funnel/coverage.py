"""Does the data hold the events a funnel asks for? (docs/funnels.md, "Steps that match nothing")

A step *matches nothing* when its rule (event names and conditions; not its order, window
or dates) is true for no event of the data. A funnel whose first step matches nothing, or
run on data without events, is empty: it is reported as such, with the event names that
do exist (most frequent first), instead of a table of zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

from voronka.engines import Engine
from voronka.funnel.definition import FunnelDefinition
from voronka.i18n import format_number, t
from voronka.sql import rule_predicate

TOP_EVENTS = 20
"""How many event names a message lists."""


@dataclass(frozen=True)
class Coverage:
    """Per step, the number of events its rule matches; the most frequent event names."""

    definition: FunnelDefinition
    matches: tuple[int, ...]
    events: tuple[tuple[str, int], ...]
    total: int

    @property
    def unmatched(self) -> list[int]:
        """The 0-based steps whose rule matches no event."""
        return [k for k, n in enumerate(self.matches) if n == 0]

    @property
    def empty(self) -> bool:
        """No event at all, or none for the first step (none for any step, when unordered)."""
        if self.total == 0:
            return True
        if self.definition.order == "unordered":
            return len(self.unmatched) == len(self.matches)
        return self.matches[0] == 0

    def message(self, lang: str) -> str | None:
        """What to tell the user (None when every step matches some event)."""
        if self.total == 0:
            return t("funnel.no_events", lang)
        if not self.unmatched:
            return None
        steps = ", ".join(f"{k + 1} «{self.definition.steps[k].title}»" for k in self.unmatched)
        names = ", ".join(f"{name} ({format_number(n, lang)})" for name, n in self.events)
        key = "funnel.empty" if self.empty else "funnel.steps_unmatched"
        return t(key, lang, steps=steps, events=names, shown=len(self.events))


def coverage(engine: Engine, definition: FunnelDefinition, events: str | None = None,
             top: int = TOP_EVENTS) -> Coverage:
    """The ``Coverage`` of ``definition`` over ``events`` (default: the engine's events)."""
    from voronka.source import events_source

    source = events_source(engine, events)
    counts = ", ".join(f"sum(CASE WHEN {rule_predicate(s.rule)} THEN 1 ELSE 0 END) AS s{k}"
                       for k, s in enumerate(definition.steps))
    row = engine.query(f"SELECT count(*) AS total, {counts} FROM {source} AS e").to_pylist()[0]
    names = engine.query(
        f"SELECT event, count(*) AS n FROM {source} AS e GROUP BY event ORDER BY n DESC, event LIMIT {int(top)}"
    ).to_pylist()
    return Coverage(definition, tuple(int(row[f"s{k}"] or 0) for k in range(len(definition.steps))),
                    tuple((r["event"], int(r["n"])) for r in names), int(row["total"] or 0))
