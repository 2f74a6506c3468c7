"""A funnel, as one typed, immutable record. Every option is a field with one meaning.

The meaning of each field is written in ``docs/funnels.md``; in short:

* ``steps``: ordered steps, each a ``StepRule``; a step may be ``optional`` and may have a
  ``max_from_previous`` time limit (from the previous required step's event).
* ``window``: the conversion window, counted from the attempt's first-step event; the end
  is inclusive. ``None``: no limit.
* ``order``: ``ordered`` (later steps after earlier ones, other events allowed between),
  ``strict`` (each step is the customer's very next event), ``unordered`` (any order
  within the window).
* ``ties``: ``allow`` lets an event with the same timestamp as the previous step's
  event fill the next step; ``strict`` requires a strictly later timestamp;
  ``step_order`` (ClickHouse's ``windowFunnel``) takes events of one timestamp in step
  order, whatever their event order, one event filling every consecutive step it matches.
* ``exclusions``: an exclusion event between step i's and step j's events disqualifies
  the attempt (``exclusion_scope='attempt'``) or the customer (``'customer'``).
* ``counting``: ``customers`` (each customer once, by their best attempt) or
  ``attempts`` (every attempt).
* ``breakdown``: a column or property, attributed by ``first_touch``, ``last_touch``,
  ``step`` (the value at ``breakdown.step``) or ``all_steps`` (the funnel is run per
  value, on the events carrying that value); the ``top`` values, the rest as ``(other)``.
* ``date_from``/``date_to`` (calendar dates, both inclusive, in ``timezone``): only
  attempts starting in that range count; later steps may fall after it.
* ``cohort``: ``day``/``week``/``month``: trends, a funnel per period of attempt start.
* ``as_of``: the moment "now" for "in progress" (default: the latest event in the data).
* ``window_funnel``: ClickHouse ``windowFunnel`` modes (``strict_increase``,
  ``strict_deduplication``, ``strict_order``, ``allow_reentry``); given, the chain is
  ClickHouse's single scan per customer in which a later first-step event restarts it
  (docs/funnels.md, "ClickHouse's modes"), not one chain per attempt.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from voronka.duration import parse_duration
from voronka.rules import StepRule

Order = Literal["ordered", "strict", "unordered"]
Ties = Literal["allow", "strict", "step_order"]
Counting = Literal["customers", "attempts"]
Attribution = Literal["first_touch", "last_touch", "step", "all_steps"]
CohortPeriod = Literal["day", "week", "month"]
WindowFunnelMode = Literal["strict_increase", "strict_deduplication", "strict_order", "allow_reentry"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Frozen):
    """One funnel step."""

    key: str = Field(min_length=1)
    rule: StepRule
    label: str | None = None
    optional: bool = False
    max_from_previous: dt.timedelta | None = None

    @field_validator("max_from_previous", mode="before")
    @classmethod
    def _duration(cls, v: object) -> object:
        return None if v is None else parse_duration(v)  # type: ignore[arg-type]

    @property
    def title(self) -> str:
        return self.label or self.key


class Exclusion(_Frozen):
    """Events matching ``rule`` strictly between step ``from_step`` and ``to_step`` (1-based)."""

    rule: StepRule
    from_step: int = Field(ge=1)
    to_step: int = Field(ge=2)


class Breakdown(_Frozen):
    """Split the funnel by ``field`` (a column or property); see module docstring."""

    field: str = Field(min_length=1)
    attribution: Attribution = "first_touch"
    step: int | None = Field(default=None, ge=1)
    top: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _step_given(self) -> Breakdown:
        if (self.attribution == "step") != (self.step is not None):
            raise ValueError("attribution 'step' needs breakdown.step (and only it takes one)")
        return self


PRESETS: dict[str, dict[str, str]] = {
    "clickhouse": {"order": "ordered", "ties": "step_order", "counting": "customers"},
}
"""``compat: NAME`` in a funnel (YAML, ``--compat``, HTTP ``compat=``): the options that
reproduce a peer's funnel, laid under the ones given (docs/funnels.md, "ClickHouse and
PostHog"). ``clickhouse``: ``windowFunnel(window)`` in its default mode."""

OTHER = "(other)"
NONE = "(none)"


class FunnelDefinition(_Frozen):
    """What to compute. Pure data: validated at construction, never does I/O."""

    steps: tuple[Step, ...] = Field(min_length=1)
    window: dt.timedelta | None = None
    order: Order = "ordered"
    ties: Ties = "allow"
    exclusions: tuple[Exclusion, ...] = ()
    exclusion_scope: Literal["attempt", "customer"] = "attempt"
    counting: Counting = "customers"
    breakdown: Breakdown | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    timezone: str = "UTC"
    cohort: CohortPeriod | None = None
    as_of: dt.datetime | None = None
    window_funnel: tuple[WindowFunnelMode, ...] = ()

    @field_validator("as_of")
    @classmethod
    def _utc(cls, v: dt.datetime | None) -> dt.datetime | None:
        """A time with an offset is taken as the naive UTC time the store holds."""
        if v is not None and v.tzinfo is not None:
            return v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return v

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, v: object) -> object:
        return None if v is None else parse_duration(v)  # type: ignore[arg-type]

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. Asia/Almaty, Europe/Moscow, UTC)") from None
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FunnelDefinition:
        n = len(self.steps)
        keys = [s.key for s in self.steps]
        if len(set(keys)) != n:
            raise ValueError(f"step keys must be unique: {keys}")
        if self.steps[0].optional:
            raise ValueError("the first step cannot be optional")
        if self.steps[0].max_from_previous is not None:
            raise ValueError("the first step has no previous step for max_from_previous")
        if self.window is not None and self.window.total_seconds() <= 0:
            raise ValueError("window must be positive")
        if self.order == "unordered":
            if any(s.optional or s.max_from_previous for s in self.steps):
                raise ValueError("unordered funnels take no optional steps and no max_from_previous")
            if self.exclusions:
                raise ValueError("unordered funnels take no exclusions")
            if self.breakdown and self.breakdown.attribution not in ("first_touch", "all_steps"):
                raise ValueError("unordered funnels have no step order: attribute by first_touch or all_steps")
        if self.ties == "step_order" and (self.order != "ordered" or any(s.optional for s in self.steps)):
            raise ValueError("ties 'step_order' is for ordered funnels without optional steps")
        if self.window_funnel:
            if self.order != "ordered" or self.ties != "step_order":
                raise ValueError("window_funnel modes are ClickHouse's: give compat: clickhouse "
                                 "(order 'ordered', ties 'step_order')")
            if (self.exclusions or any(s.max_from_previous for s in self.steps) or self.counting != "customers"
                    or self.date_from or self.date_to or self.cohort):
                raise ValueError("window_funnel modes take no exclusions, max_from_previous, counting of attempts, "
                                 "date range or cohort (filter the events with --since/--until, as windowFunnel's "
                                 "WHERE does)")
            if "allow_reentry" in self.window_funnel and "strict_order" not in self.window_funnel:
                raise ValueError("window_funnel 'allow_reentry' needs 'strict_order' (as in ClickHouse)")
        if self.order == "strict" and any(s.optional for s in self.steps):
            raise ValueError("strict-order funnels take no optional steps")
        if self.order == "strict" and any(r.min_referrals for r in self.rules):
            raise ValueError("strict-order funnels take no referral (min_referrals) steps")
        for x in self.exclusions:
            if x.to_step <= x.from_step or x.to_step > n:
                raise ValueError(f"exclusion between steps {x.from_step} and {x.to_step}: needs 1 ≤ from < to ≤ {n}")
            if self.steps[x.from_step - 1].optional or self.steps[x.to_step - 1].optional:
                raise ValueError("an exclusion must lie between two required steps")
        if self.breakdown and self.breakdown.step is not None:
            if self.breakdown.step > n or self.steps[self.breakdown.step - 1].optional:
                raise ValueError(f"breakdown.step must name a required step (1..{n})")
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")
        return self

    @property
    def rules(self) -> list[StepRule]:
        """Every rule: the steps' in order, then the exclusions'."""
        return [s.rule for s in self.steps] + [x.rule for x in self.exclusions]

    @property
    def reads_every_event(self) -> bool:
        """Whether events matching no rule matter: they break a strict-order chain."""
        return self.order == "strict" or "strict_order" in self.window_funnel

    @property
    def required(self) -> list[int]:
        """0-based indices of the required steps, in order."""
        return [i for i, s in enumerate(self.steps) if not s.optional]

    def previous_required(self, i: int) -> int | None:
        """The 0-based index of the last required step before step ``i`` (None for step 0)."""
        before = [j for j in self.required if j < i]
        return before[-1] if before else None
