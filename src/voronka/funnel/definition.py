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
* ``scan``: ``attempts`` (the attempts above) or ``posthog``: PostHog's per-person scan
  (its funnel UDF): one record per step, a later step-1 event restarting; events of one
  timestamp in step order; exclusions marking the record they interrupt inside its window
  and removing the person when the furthest record is marked (docs/funnels.md,
  "PostHog's scan"). It alone takes the breakdown attributions ``first_non_empty``,
  ``last_non_empty`` (over the person's funnel events with a value) and ``step_values``
  (the person counted under every value seen at ``breakdown.step``).
* ``window_funnel``: ClickHouse ``windowFunnel`` modes (``strict_increase``,
  ``strict_deduplication``, ``strict_order``, ``allow_reentry``, ``strict_once``); given, the chain is
  ClickHouse's single scan per customer in which a later first-step event restarts it
  (docs/funnels.md, "ClickHouse's modes"), not one chain per attempt.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from voronka.duration import parse_duration
from voronka.rules import StepRule

Order = Literal["ordered", "strict", "unordered"]
Ties = Literal["allow", "strict", "step_order"]
Counting = Literal["customers", "attempts"]
Attribution = Literal["first_touch", "last_touch", "step", "all_steps", "first_non_empty", "last_non_empty",
                      "step_values"]
PERSON_ATTRIBUTIONS = ("first_non_empty", "last_non_empty", "step_values")
"""The attributions of PostHog's scan (``scan='posthog'``) alone."""
Scan = Literal["attempts", "posthog"]
CohortPeriod = Literal["day", "week", "month"]
WindowFunnelMode = Literal["strict_increase", "strict_deduplication", "strict_order", "allow_reentry", "strict_once"]


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
    """Split the funnel by ``field`` (a column or property, or several: their values joined
    by ``BREAKDOWN_JOIN``); see module docstring."""

    field: str | tuple[str, ...]
    attribution: Attribution = "first_touch"
    step: int | None = Field(default=None, ge=1)
    top: int = Field(default=10, ge=1)

    @field_validator("field", mode="before")
    @classmethod
    def _fields(cls, v: object) -> object:
        if isinstance(v, str) and "," in v:  # --by channel,campaign
            v = [f.strip() for f in v.split(",")]
        if isinstance(v, list | tuple):
            v = tuple(v)
            if len(v) == 1:
                v = v[0]
        if not v or (isinstance(v, tuple) and not all(isinstance(f, str) and f for f in v)):
            raise ValueError("give a field name, or a list of them")
        return v

    @model_validator(mode="after")
    def _step_given(self) -> Breakdown:
        if (self.attribution in ("step", "step_values")) != (self.step is not None):
            raise ValueError("attributions 'step' and 'step_values' need breakdown.step (and only they take one)")
        return self

    @property
    def fields(self) -> tuple[str, ...]:
        """The breakdown's fields, one or several."""
        return (self.field,) if isinstance(self.field, str) else self.field

    @property
    def name(self) -> str:
        """The field, or the fields joined as their values are (``$browser · $browser_version``)."""
        return BREAKDOWN_JOIN.join(self.fields)


BREAKDOWN_JOIN = " · "
"""Between the values of a breakdown by several fields; a missing value is empty, and the
value is missing when every field's is."""


PRESETS: dict[str, dict[str, str]] = {
    "clickhouse": {"order": "ordered", "ties": "step_order", "counting": "customers"},
    "posthog": {"scan": "posthog", "ties": "allow", "counting": "customers", "window": "14d"},
}
"""``compat: NAME`` in a funnel (YAML, ``--compat``, HTTP ``compat=``): the options that
reproduce a peer's funnel, laid under the ones given (docs/funnels.md, "ClickHouse and
PostHog"). ``clickhouse``: ``windowFunnel(window)`` in its default mode. ``posthog``:
PostHog's funnel UDF (its scan, its exclusions and ties; PostHog's default 14-day
conversion window)."""

OTHER = "(other)"
NONE = "(none)"


class FunnelDefinition(_Frozen):
    """What to compute. Pure data: validated at construction, never does I/O itself;
    ``compute(source)`` runs it (``voronka.funnel.compute_funnel``)."""

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
    scan: Scan = "attempts"

    def compute(self, source: Any, *, units: bool = False) -> Any:
        """The ``FunnelResult`` over ``source``; with ``units`` also the unit rows (to export
        them or bin their times), otherwise only aggregates come back."""
        from voronka.funnel import compute_funnel

        return compute_funnel(source, self, units=units)

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
            if self.exclusions and (self.scan != "posthog" or any(
                    (x.from_step, x.to_step) != (1, len(self.steps)) for x in self.exclusions)):
                raise ValueError("unordered funnels take exclusions only under scan 'posthog' (compat: posthog), "
                                 f"each from step 1 to step {len(self.steps)}")
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
        if self.breakdown and self.breakdown.attribution in PERSON_ATTRIBUTIONS and self.scan != "posthog":
            raise ValueError(f"attribution {self.breakdown.attribution!r} is PostHog's: give compat: posthog "
                             "(scan 'posthog')")
        if self.scan == "posthog":
            if self.ties != "allow" or self.window_funnel:
                raise ValueError("scan 'posthog' takes ties 'allow' (PostHog resolves ties in step order itself) "
                                 "and no window_funnel modes")
            if (any(s.optional or s.max_from_previous for s in self.steps) or self.counting != "customers"
                    or self.exclusion_scope != "attempt" or self.date_from or self.date_to or self.cohort
                    or any(r.min_referrals for r in self.rules)):
                raise ValueError("scan 'posthog' takes no optional steps, max_from_previous, referral steps, "
                                 "counting of attempts, date range, cohort or exclusion_scope 'customer' (its "
                                 "exclusions are PostHog's): filter the events with --since/--until")
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
    def scans(self) -> bool:
        """Whether the units come from a sequential scan per unit (``window_funnel`` modes or
        ``scan='posthog'``), which SQL does not express (``funnel.chains``)."""
        return bool(self.window_funnel) or (self.scan == "posthog" and self.order != "unordered")

    @property
    def required(self) -> list[int]:
        """0-based indices of the required steps, in order."""
        return [i for i, s in enumerate(self.steps) if not s.optional]

    def previous_required(self, i: int) -> int | None:
        """The 0-based index of the last required step before step ``i`` (None for step 0)."""
        before = [j for j in self.required if j < i]
        return before[-1] if before else None
