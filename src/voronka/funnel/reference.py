"""The funnel computed the obvious way, one customer at a time, in pure Python.

This is the *oracle*: slow, short, and written straight from ``docs/funnels.md``. The
engine's SQL must give the same per-customer outcomes and the same tables on every
input; the property-based tests hold the two against each other.

Input: events as dicts with ``customer_id``, ``ts`` (naive UTC datetime), ``event_id``,
``event``, the other columns, and ``properties`` (a dict of text values). Ids are read
through the alias map of ``identify`` events first, as ``voronka.sql.resolved_events`` does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from voronka.funnel.definition import BREAKDOWN_JOIN, NONE, PERSON_ATTRIBUTIONS, Breakdown, FunnelDefinition
from voronka.funnel.outcomes import Outcome, cohort_start, range_bounds
from voronka.rules import StepRule, matches


@dataclass
class _Ev:
    ts: dt.datetime
    event_id: str
    row: dict
    flags: list[bool]  # one per rule: steps, then exclusions


def reference_outcomes(defn: FunnelDefinition, events: list[dict]) -> list[Outcome]:
    """Every unit's outcome (a customer, or an attempt when counting attempts)."""
    events = resolve_aliases(events)
    rules = defn.rules
    streams = _streams(defn, rules, events)
    as_of = defn.as_of or max((e["ts"] for e in events), default=dt.datetime(1970, 1, 1))
    lo, hi = range_bounds(defn)

    attempts: list[_Attempt] = []
    disqualified_customers: set[str] = set()
    for customer, stream in streams.items():
        for group_value, evs in _value_groups(defn, stream):
            for a in _attempts(defn, evs):
                if (lo and a.start < lo) or (hi and a.start >= hi):
                    continue
                if a.disqualified:
                    disqualified_customers.add(customer)
                    continue
                a.customer = customer
                if a.group_value is None:  # PostHog's scan names the value it ran under
                    a.group_value = group_value
                a.period = cohort_start(a.start, defn) if defn.cohort else None
                a.open = (defn.window is not None and defn.scan != "posthog"  # PostHog: dropped, never in progress
                          and (a.open_from or a.start) + defn.window > as_of)
                attempts.append(a)

    if defn.exclusion_scope == "customer":
        attempts = [a for a in attempts if a.customer not in disqualified_customers]

    if defn.counting == "attempts":
        return [_outcome(defn, a, a.open) for a in attempts]
    groups: dict[tuple, list[_Attempt]] = defaultdict(list)
    for a in attempts:
        groups[(a.customer, a.group_value, a.period)].append(a)
    outcomes = []
    for group in groups.values():
        best = min(group, key=lambda a: (-a.level, a.start, a.start_id))
        outcomes.append(_outcome(defn, best, any(a.open for a in group)))
    return outcomes


@dataclass
class _Attempt:
    start: dt.datetime
    start_id: str
    times: list[dt.datetime | None]
    values: list[str | None]  # breakdown value at each step's event
    level: int
    disqualified: bool = False
    customer: str = ""
    group_value: str | None = None
    period: dt.date | None = None
    open: bool = False
    open_from: dt.datetime | None = None  # the start whose window "in progress" reads, if not ``start``


def _outcome(defn: FunnelDefinition, a: _Attempt, in_progress: bool) -> Outcome:
    return Outcome(
        customer_id=a.customer,
        breakdown=_attributed(defn, a),
        period=a.period,
        level=a.level,
        times=tuple(a.times),
        in_progress=in_progress,
    )


def _attributed(defn: FunnelDefinition, a: _Attempt) -> str | None:
    b = defn.breakdown
    if b is None:
        return None
    if b.attribution == "all_steps" or b.attribution in PERSON_ATTRIBUTIONS:
        return a.group_value
    if b.attribution == "first_touch":
        value = a.values[0]
    elif b.attribution == "last_touch":
        reached = [i for i in defn.required if a.times[i] is not None]
        value = a.values[reached[-1]]
    else:
        value = a.values[b.step - 1] if a.times[b.step - 1] is not None else None  # type: ignore[operator]
    return NONE if value is None else value


def resolve_aliases(events: list[dict]) -> list[dict]:
    """Replace every alias named by an ``identify`` event with its customer's id.

    An alias claimed by several customers maps to the smallest id; one level only.
    """
    claims: dict[str, set[str]] = defaultdict(set)
    for e in events:
        alias = (e.get("properties") or {}).get("alias")
        if e["event"] == "identify" and alias is not None and alias != e["customer_id"]:
            claims[alias].add(e["customer_id"])
    canonical = {alias: min(ids) for alias, ids in claims.items()}
    return [
        dict(e, customer_id=canonical.get(e["customer_id"], e["customer_id"]),
             referrer_id=canonical.get(e.get("referrer_id"), e.get("referrer_id")))
        for e in events
    ]


# -- the event stream ---------------------------------------------------------------------

def _field_value(row: dict, field: str) -> str | None:
    from voronka.rules import EVENT_COLUMNS

    value = row.get(field) if field in EVENT_COLUMNS else (row.get("properties") or {}).get(
        field.removeprefix("properties.")
    )
    if value is None:
        return None
    return str(value)


def _breakdown_value(row: dict, b: Breakdown) -> str | None:
    """The event's breakdown value (``funnel.sql.breakdown_sql``)."""
    values = [_field_value(row, f) for f in b.fields]
    if len(values) == 1 or all(v is None for v in values):
        return values[0]
    return BREAKDOWN_JOIN.join(v or "" for v in values)


def _streams(defn: FunnelDefinition, rules: list[StepRule], events: list[dict]) -> dict[str, list[_Ev]]:
    """Per customer: the events that matter, in (ts, event_id) order, with one flag per rule."""
    by_customer: dict[str, list[dict]] = defaultdict(list)
    for e in events:
        by_customer[e["customer_id"]].append(e)
    for evs in by_customer.values():
        evs.sort(key=lambda e: (e["ts"], e["event_id"]))

    streams: dict[str, list[_Ev]] = defaultdict(list)
    for customer, evs in by_customer.items():
        plain = [_Ev(e["ts"], e["event_id"], e, [False] * len(rules)) for e in evs]
        for r, rule in enumerate(rules):
            if rule.min_referrals is not None:
                continue
            n = 0
            for ev in plain:
                if matches(rule, ev.row):
                    n += 1
                    ev.flags[r] = n >= (rule.min_purchases or 1)
        streams[customer] = plain

    # Referral rules: the earliest event of each referred customer that carries a
    # referrer_id becomes an event of the referrer.
    for r, rule in enumerate(rules):
        if rule.min_referrals is None:
            continue
        derived: dict[str, list[dict]] = defaultdict(list)
        for evs in by_customer.values():
            first = next((e for e in evs if e.get("referrer_id") is not None), None)
            if first is not None and matches(rule, first):
                derived[first["referrer_id"]].append(first)
        for referrer, firsts in derived.items():
            firsts.sort(key=lambda e: (e["ts"], e["event_id"]))
            for n, e in enumerate(firsts, start=1):
                flags = [False] * len(rules)
                flags[r] = n >= rule.min_referrals
                row = dict(e, customer_id=referrer, event_id=f"ref{r}:{e['event_id']}")
                streams[referrer].append(_Ev(e["ts"], row["event_id"], row, flags))
    for stream in streams.values():
        stream.sort(key=lambda ev: (ev.ts, ev.event_id))
    if not defn.reads_every_event:  # only strict order looks at events that match no rule
        for customer in list(streams):
            streams[customer] = [ev for ev in streams[customer] if any(ev.flags)]
    return streams


def _value_groups(defn: FunnelDefinition, stream: list[_Ev]):
    b = defn.breakdown
    if b is None or b.attribution != "all_steps":
        yield None, [_with_value(defn, ev) for ev in stream]
        return
    groups: dict[str, list] = defaultdict(list)
    for ev in stream:
        value = _breakdown_value(ev.row, b)
        groups[NONE if value is None else value].append(_with_value(defn, ev))
    yield from groups.items()


def _with_value(defn: FunnelDefinition, ev: _Ev) -> tuple[_Ev, str | None]:
    return ev, (_breakdown_value(ev.row, defn.breakdown) if defn.breakdown else None)


# -- attempts ----------------------------------------------------------------------------

def _attempts(defn: FunnelDefinition, evs: list[tuple[_Ev, str | None]]) -> list[_Attempt]:
    if defn.order == "unordered":
        return _unordered_attempts(defn, evs)
    if defn.window_funnel:
        return _window_funnel_scan(defn, evs)
    if defn.scan == "posthog":
        return _posthog_scan(defn, evs)
    return [_ordered_attempt(defn, evs, a) for a, (ev, _) in enumerate(evs) if ev.flags[0]]


def _after(defn: FunnelDefinition, evs, i: int, j: int) -> bool:
    """Whether event j may fill the step after the step filled by event i."""
    if defn.ties == "step_order":  # any event of i's time or later, i itself included
        return evs[j][0].ts >= evs[i][0].ts
    return j > i and (defn.ties == "allow" or evs[j][0].ts > evs[i][0].ts)


def _ordered_attempt(defn: FunnelDefinition, evs, a: int) -> _Attempt:
    n = len(defn.steps)
    start = evs[a][0].ts
    end = start + defn.window if defn.window is not None else None
    idx: list[int | None] = [None] * n
    idx[0] = a
    prev = a
    for k in defn.required[1:]:
        found = _next_match(defn, evs, prev, k, end)
        if found is None:
            break
        idx[k] = prev = found
    # optional steps: the first match after the previous required step and before the
    # next required step (or, if that was not reached, within the window)
    for k, step in enumerate(defn.steps):
        if not step.optional:
            continue
        p = defn.previous_required(k)
        if idx[p] is None:
            continue
        nxt = next((q for q in defn.required if q > k), None)
        limit = idx[nxt] if nxt is not None and idx[nxt] is not None else None
        found = _next_match(defn, evs, idx[p], k, end)
        if found is not None and (limit is None or found < limit):
            idx[k] = found
    level = sum(1 for k in defn.required if idx[k] is not None)
    disqualified = False
    for x_i, x in enumerate(defn.exclusions):
        i, j = idx[x.from_step - 1], idx[x.to_step - 1]
        if i is not None and j is not None and any(
            evs[m][0].flags[n + x_i] for m in range(i + 1, j)
        ):
            disqualified = True
    return _Attempt(
        start=start,
        start_id=evs[a][0].event_id,
        times=[evs[i][0].ts if i is not None else None for i in idx],
        values=[evs[i][1] if i is not None else None for i in idx],
        level=level,
        disqualified=disqualified,
    )


def _next_match(defn: FunnelDefinition, evs, prev: int, k: int, end: dt.datetime | None) -> int | None:
    """The first event after ``prev`` filling step k (for strict order: only the very next)."""
    if defn.order == "strict":
        candidates = [prev + 1]
    elif defn.ties == "step_order":  # from the first event of prev's time
        candidates = range(next(j for j in range(len(evs)) if evs[j][0].ts == evs[prev][0].ts), len(evs))
    else:
        candidates = range(prev + 1, len(evs))
    limit = defn.steps[k].max_from_previous
    for j in candidates:
        if j >= len(evs) or not evs[j][0].flags[k] or not _after(defn, evs, prev, j):
            continue
        ts = evs[j][0].ts
        if end is not None and ts > end:
            return None
        if limit is not None and ts - evs[prev][0].ts > limit:
            return None
        return j
    return None


def _unordered_attempts(defn: FunnelDefinition, evs) -> list[_Attempt]:
    n = len(defn.steps)
    out = []
    for ev, value in evs:
        if not any(ev.flags[:n]):
            continue
        end = ev.ts + defn.window if defn.window is not None else None
        firsts = []
        for k in range(n):
            ts = [e.ts for e, _ in evs if e.flags[k] and ev.ts <= e.ts and (end is None or e.ts <= end)]
            if ts:
                firsts.append(min(ts))
        firsts.sort()
        # PostHog: an exclusion after t0 and before the attempt completes (or its window ends) drops it
        until = firsts[-1] if len(firsts) == n else end
        disqualified = any(any(e.flags[n:]) and ev.ts < e.ts and (until is None or e.ts < until) for e, _ in evs)
        out.append(
            _Attempt(
                start=ev.ts,
                start_id=ev.event_id,
                times=firsts + [None] * (n - len(firsts)),
                values=[value] + [None] * (n - 1),
                level=len(firsts),
                disqualified=disqualified,
            )
        )
    return out


def _window_funnel_scan(defn: FunnelDefinition, evs) -> list[_Attempt]:
    """ClickHouse's ``windowFunnel`` scan (docs/funnels.md, "ClickHouse's modes"): one record
    per step, the chain that last reached it; the unit's attempt is the record of the
    furthest step (none without a step-1 event)."""
    n, modes = len(defn.steps), set(defn.window_funnel)
    entries = sorted(((ev.ts, k + 1, i) for i, (ev, _) in enumerate(evs) for k in range(n) if ev.flags[k]),
                     key=lambda e: e[:2])
    if "strict_order" in modes:  # an event matching no step sorts first among its time's entries
        entries = sorted(entries + [(ev.ts, 0, i) for i, (ev, _) in enumerate(evs) if not any(ev.flags[:n])],
                         key=lambda e: e[:2])
    if "strict_once" in modes:
        return _strict_once_scan(defn, evs, entries)
    records: list[list[int] | None] = [None] * n  # the event indices of each record's chain
    last_start = None
    for ts, code, i in entries:
        k = code - 1
        if k == -1:  # strict_order: an event of no step ends the scan once a chain started
            if last_start is not None:
                break
            continue
        if k == 0:
            records[0], last_start = [i], ts
        elif "strict_deduplication" in modes and records[k] is not None:
            break
        elif "strict_order" in modes and last_start is not None and records[k - 1] is None:
            if "allow_reentry" in modes:
                continue
            break
        elif records[k - 1] is not None:
            chain = records[k - 1]
            t0, last = evs[chain[0]][0].ts, evs[chain[-1]][0].ts
            if (defn.window is None or ts <= t0 + defn.window) and ("strict_increase" not in modes or last < ts):
                records[k] = chain + [i]
                if k == n - 1:
                    break
    reached = [r for r in records if r is not None]
    if not reached:
        return []
    chain = reached[-1]
    return [_chain_attempt(evs, chain, n, last_start)]


def _strict_once_scan(defn: FunnelDefinition, evs, entries) -> list[_Attempt]:
    """``windowFunnel`` with ``strict_once``: every chain that reached a step is kept (a list
    per step), an entry extends every chain of the step before it that lies in its window and
    does not hold its event, and a chain out of the window is dropped while others remain;
    the unit's attempt is the first chain of the furthest step."""
    n, modes = len(defn.steps), set(defn.window_funnel)
    chains: list[list[list[int]]] = [[] for _ in range(n)]
    last_start = None
    for ts, code, i in entries:
        k = code - 1
        if k == -1:
            if last_start is not None:
                break
            continue
        if k == 0:
            chains[0].append([i])
            last_start = ts
        elif "strict_deduplication" in modes and chains[k]:
            break
        elif "strict_order" in modes and last_start is not None and not chains[k - 1]:
            if "allow_reentry" in modes:
                continue
            break
        elif chains[k - 1]:
            before, j, full = chains[k - 1], 0, False
            while j < len(before):
                chain = before[j]
                inside = defn.window is None or ts <= evs[chain[0]][0].ts + defn.window
                if not inside and len(before) > 1:
                    del before[j]
                    continue
                if inside and i not in chain and ("strict_increase" not in modes or evs[chain[-1]][0].ts < ts):
                    chains[k].append(chain + [i])
                    full = k == n - 1
                    if full:
                        break
                j += 1
            if full:
                break
    reached = [c for c in chains if c]
    if not reached:
        return []
    chain = reached[-1][0]
    return [_chain_attempt(evs, chain, n, last_start)]


def _chain_attempt(evs: list, chain: list[int], n: int, last_start: dt.datetime | None) -> _Attempt:
    """The attempt of ``chain`` (indexes into ``evs``, one per step reached) of an ``n``-step funnel."""
    return _Attempt(
        start=evs[chain[0]][0].ts,
        start_id=evs[chain[0]][0].event_id,
        times=[evs[i][0].ts for i in chain] + [None] * (n - len(chain)),
        values=[evs[i][1] for i in chain] + [None] * (n - len(chain)),
        level=len(chain),
        open_from=last_start,
    )


# -- PostHog's scan ----------------------------------------------------------------------

@dataclass
class _Record:
    """The chain that last reached a step in PostHog's scan: its first event's time, whether
    an exclusion marked it, its events (indices into the unit's events)."""

    t0: dt.datetime
    excluded: bool
    events: list[int]


def _posthog_scan(defn: FunnelDefinition, evs) -> list[_Attempt]:
    """PostHog's funnel (docs/funnels.md, "PostHog's scan"), once per breakdown value the
    attribution names: the unit's result under each, none when excluded or without step 1."""
    b = defn.breakdown
    if b is not None and b.attribution in ("first_non_empty", "last_non_empty"):
        valued = [v for _, v in evs if v not in (None, "")]
        values: list[str | None] = [(valued[0] if b.attribution == "first_non_empty" else valued[-1])
                                    if valued else None]
    elif b is not None and b.attribution == "step_values":
        seen = {v for ev, v in evs if ev.flags[b.step - 1]}  # type: ignore[operator]
        values = sorted(seen, key=lambda v: (v is not None, v or ""))  # none: the person is not counted
    else:
        values = [None]
    out = []
    for value in values:
        a = _posthog_run(defn, evs, value)
        if a is not None:
            if b is not None and b.attribution in PERSON_ATTRIBUTIONS:
                a.group_value = NONE if value is None else value
            out.append(a)
    return out


def _posthog_codes(defn: FunnelDefinition, ev: _Ev) -> list[int]:
    """The event's codes as PostHog's UDF takes them: step s (1-based) as s, then for each
    step s ≥ 2 an exclusion on the way into it (from_step < s ≤ to_step) as −s."""
    n = len(defn.steps)
    steps = [k + 1 for k in range(n) if ev.flags[k]]
    excluded = [-s for s in range(2, n + 1)
                if any(ev.flags[n + x] and ex.from_step < s <= ex.to_step for x, ex in enumerate(defn.exclusions))]
    return steps + excluded


def _posthog_run(defn: FunnelDefinition, evs, value: str | None) -> _Attempt | None:
    n, window = len(defn.steps), defn.window
    b = defn.breakdown
    fixed_step = b.step - 1 if b is not None and b.attribution == "step_values" else None  # type: ignore[operator]
    records: list[_Record | None] = [None] * (n + 1)  # records[s]: the chain that reached step s (1-based)
    best_level, best = 0, None

    def in_window(ts: dt.datetime, t0: dt.datetime) -> bool:
        return window is None or ts - t0 <= window

    def process(i: int, codes: list[int], several: bool) -> None:
        nonlocal best_level, best
        ev, ev_value = evs[i]
        for code in reversed(codes):
            s, p = abs(code), abs(code) - 1
            prev = records[p]
            if prev is None or not in_window(ev.ts, prev.t0):
                continue
            if records[s] is not None and records[s].t0 == prev.t0:  # this chain went on already
                continue
            if code < 0:  # an exclusion on the way into step s
                if not prev.excluded:
                    prev.excluded = True
                    if best_level == p and in_window(ev.ts, best.t0):
                        best.excluded = True
                continue
            if fixed_step == p and ev_value != value:
                continue
            if several and i in prev.events:  # one event fills one step of a chain
                continue
            new = _Record(prev.t0, prev.excluded, prev.events + [i])
            if not prev.excluded:
                records[s] = new
            if s > best_level or (s == best_level and best.excluded):
                best_level, best = s, _Record(new.t0, new.excluded, list(new.events))
        if not several and defn.order == "strict":  # a strict chain survives only the events it uses
            for s in range(1, n + 1):
                if s not in codes:
                    records[s] = None

    i = 0
    while i < len(evs):
        j = i
        while j < len(evs) and evs[j][0].ts == evs[i][0].ts:
            j += 1
        records[0] = _Record(evs[i][0].ts, False, [])
        codes = [_posthog_codes(defn, evs[m][0]) for m in range(i, j)]
        if j - i == 1 or all(c == codes[0] for c in codes):
            for m in range(i, j):
                process(m, codes[m - i], False)
        else:  # events of one time, different steps: in step order, exclusions left out
            entries = sorted(((s, m) for m in range(i, j) for s in codes[m - i] if s > 0), key=lambda e: e[0])
            for s, m in entries:
                process(m, [s], True)
        if records[n] is not None:
            break
        i = j
    if best is None or best.excluded:
        return None
    chain = best.events
    return _Attempt(
        start=evs[chain[0]][0].ts,
        start_id=evs[chain[0]][0].event_id,
        times=[evs[m][0].ts for m in chain] + [None] * (n - len(chain)),
        values=[evs[m][1] for m in chain] + [None] * (n - len(chain)),
        level=len(chain),
    )
