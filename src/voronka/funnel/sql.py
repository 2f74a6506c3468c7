"""The funnel as SQL: one query from the events table to one row per unit (``Outcome``).

Pure query building (DuckDB dialect), following ``docs/funnels.md`` step by step:

1. ``ev``      events read through the alias map;
2. ``flagged`` one boolean per rule (steps, then exclusions; ``flagged_sql``): the
               rule's predicate and, for ``min_purchases``, the running count of matching events; ``derived``
               rows add each referred customer's first referred event to the referrer,
               for ``min_referrals`` rules;
3. ``seq``     the events that matter, numbered per group in (ts, event_id) order;
4. ``stage``   per event, a pointer to the next event filling each step (a window ``min``
               over the following rows, over strictly later timestamps when
               ``ties='strict'``, over the rows of its own time and later when
               ``ties='step_order'``: it may point at the event itself), and running counts of each exclusion's events. Steps
               1–4 are ``stage_sql``, which the engine stores once as a table;
5. ``chain``   per attempt (an event filling step 1), the greedy chain: step k is the
               event the pointer of step k-1's event names, kept only inside the window
               and the step's ``max_from_previous`` (ordered and strict order); or, for
               ``unordered``, each step's first event inside the window;
6. ``units``   per customer (or attempt) the attempt that reached furthest, earliest
               first, with its breakdown value, cohort period and "in progress" flag.
               Steps 5–6 are ``units_sql``, over the stored stage table.

The aggregate tables (steps, histogram, trends) are further queries over ``units``.
"""

from __future__ import annotations

import datetime as dt

from voronka.duration import epoch_micros, micros
from voronka.funnel.definition import BREAKDOWN_JOIN, NONE, OTHER, Breakdown, FunnelDefinition
from voronka.funnel.outcomes import HISTOGRAM_EDGES, range_bounds
from voronka.rules import StepRule
from voronka.sql import (
    EVENT_FIELDS,
    field_sql,
    literal,
    local_time_sql,
    resolved_events,
    rule_predicate,
)

_OTHER_COLUMNS = [c for c in EVENT_FIELDS if c not in ("event_id", "customer_id")]


def flagged_sql(defn: FunnelDefinition, events: str, aliases: str | None,
                uncounted: frozenset[int] = frozenset()) -> tuple[list[str], str]:
    """CTEs and a query for every event with one flag ``m<r>`` per rule of ``defn.rules``.

    Includes the derived referral events of ``min_referrals`` rules. Every analysis that
    asks "which events put a customer into a stage" reads this stream. The ``uncounted``
    ``min_purchases`` rules flag every matching event, not only the n-th and later: the
    reader counts them (``reader_counts``).
    """
    ctes, own, derived = _flagged_parts(defn, events, aliases, uncounted)
    return ctes, _union(own, derived)


def _union(own: str, derived: list[str]) -> str:
    return " UNION ALL ".join([own] + [f"SELECT * FROM ({d}) AS d" for d in derived])


def _flagged_parts(defn: FunnelDefinition, events: str, aliases: str | None, uncounted: frozenset[int],
                   where: str | None = None, resolve: bool = True) -> tuple[list[str], str, list[str]]:
    """``flagged_sql`` in parts: the CTEs, the query for the customers' own events and one
    for each referral rule's derived events (same columns). ``where`` keeps only the own
    events passing it, ``resolve=False`` reads ids as they are (see ``stream_sql``)."""
    def source(condition: str | None) -> str:
        if resolve:
            return resolved_events(events, aliases, condition)
        return f"SELECT {', '.join(EVENT_FIELDS)} FROM {events} AS e" + (f" WHERE {condition}" if condition else "")

    rules = defn.rules
    flags = []
    for r, rule in enumerate(rules):
        if rule.min_referrals is not None:
            flags.append(f"FALSE AS m{r}")
        elif rule.min_purchases and rule.min_purchases > 1 and r not in uncounted:
            flags.append(
                f"(({rule_predicate(rule)}) AND sum(CASE WHEN {rule_predicate(rule)} THEN 1 ELSE 0 END) "
                f"OVER (PARTITION BY customer_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING) "
                f">= {rule.min_purchases}) AS m{r}"
            )
        else:
            flags.append(f"COALESCE({rule_predicate(rule)}, FALSE) AS m{r}")
    cols = ", ".join(_OTHER_COLUMNS)
    derived = []
    for r, rule in enumerate(rules):
        if rule.min_referrals is None:
            continue
        other = ", ".join(f"FALSE AS m{q}" if q != r else
                          f"row_number() OVER (PARTITION BY referrer_id ORDER BY ts, event_id) >= {rule.min_referrals} AS m{q}"
                          for q in range(len(rules)))
        derived.append(
            f"SELECT 'ref{r}:' || event_id AS event_id, referrer_id AS customer_id, {cols}, {other} "
            f"FROM first_referred WHERE {rule_predicate(rule)}"
        )
    ctes = [
        f"ev AS ({source(where)})",
        f"flagged AS (SELECT event_id, customer_id, {cols}, {', '.join(flags)} FROM ev)",
    ]
    if derived:  # read on their own: a filter on the resolved referrer_id cannot pass the alias join
        ctes.append(
            "first_referred AS (SELECT * FROM (SELECT ev.*, row_number() OVER "
            f"(PARTITION BY customer_id ORDER BY ts, event_id) AS rn FROM ({source('e.referrer_id IS NOT NULL')}) AS ev) "
            "AS f WHERE rn = 1)"
        )
    own = f"SELECT event_id, customer_id, {cols}, {', '.join(f'm{r}' for r in range(len(rules)))} FROM flagged"
    return ctes, own, derived


def _grouping(defn: FunnelDefinition) -> tuple[bool, str]:
    """Whether the funnel runs per breakdown value (``all_steps``), and the group columns."""
    by_value = defn.breakdown is not None and defn.breakdown.attribution == "all_steps"
    return by_value, ("customer_id, bv" if by_value else "customer_id")


def stage_sql(defn: FunnelDefinition, events: str, aliases: str | None) -> str:
    """SQL for the per-event stage table the chains are built on (steps 1–4 above).

    One row per event that matters, numbered (``ord``), with its rule flags and, for
    ordered and strict funnels, the pointers to the next event of each step (``nx<k>``)
    and the running exclusion counts (``cx<x>``); for unordered funnels, each step's first
    time inside the window (``f<k>``). The engine stores it once: every step's join reads
    it, and an engine that inlines CTEs (ClickHouse) would otherwise recompute it per step.
    """
    _, group = _grouping(defn)
    bv_expr, keep = _value_and_keep(defn)
    ctes, stream = flagged_sql(defn, events, aliases)
    flag_cols = ", ".join(f"m{r}" for r in range(len(defn.rules)))

    # 3. the events that matter, numbered
    ctes.append(
        f"seq AS (SELECT event_id, customer_id, ts, epoch_us(ts) AS tsu, {bv_expr} AS bv, {flag_cols}, "
        f"row_number() OVER (PARTITION BY {group.replace('bv', bv_expr)} ORDER BY ts, event_id) AS ord "
        f"FROM ({stream}) AS s WHERE {keep})"
    )
    stage = _unordered_stage(defn, group) if defn.order == "unordered" else _ordered_stage(defn, group)
    return "WITH " + ",\n".join(ctes) + "\n" + stage


def stream_sql(defn: FunnelDefinition, events: str, aliases: str | None, *, resolve: bool = True,
               hashed: bool = True) -> str:
    """SQL for the events that matter, sorted by group and time, for ``funnel.chains``.

    The rows of ``seq`` (steps 1–3 above) without the numbering: ``customer_id``, ``bv``
    (with a breakdown), ``period`` (with a cohort, on the rows that start attempts),
    ``event_id`` (of the ``tie_breaking_rows``: the reader puts rows of one time in its
    order, ``funnel.chains``), ``tsu`` (microseconds) and the rule flags packed as bits
    (``_flag_masks``), sorted by customer, breakdown value (``all_steps``) and time.
    ``resolve=False`` skips the alias map: for a caller that found it empty (every id
    maps to itself).
    Only the events that can set a flag are read (``events_that_matter``), before the
    alias joins.
    ``hashed`` (the default) sorts by ``h = hash(customer_id)`` instead of the id (a
    64-bit integer sorts faster than a string) and returns ``h``: a customer's rows are
    still together unless two customers share a hash, which the reader must check
    (``funnel.chains.HashCollision``).
    The bits of the rules that test the event name alone come from one join with a table
    of names (``_name_bits``) instead of one comparison per rule (on the customers' own
    events: a derived referral row carries another customer's event name).
    The ``min_purchases`` rules of ``reader_counts`` flag every matching event: the reader
    counts them (a window over every event, sorted, costs DuckDB more than the stream).
    """
    by_value, _ = _grouping(defn)
    bv_expr, keep = _value_and_keep(defn)
    counted = reader_counts(defn)
    ctes, own, derived = _flagged_parts(defn, events, aliases, counted, events_that_matter(defn), resolve)
    key = "hash(customer_id) AS h, " if hashed else ""
    value = f"{bv_expr} AS bv, " if defn.breakdown else ""
    if defn.cohort:  # of an attempt: its first row's (any step's row, for unordered funnels)
        starts = "TRUE" if defn.order == "unordered" else "m0"
        value += f"CASE WHEN {starts} THEN {_period_sql(defn, 'ts')} END AS period, "
    ties = tie_breaking_rows(defn)
    event_id = "" if ties is None else f"CASE WHEN {ties} THEN event_id END AS event_id, "
    order = ("h" if hashed else "customer_id") + (", bv" if by_value else "") + ", tsu"
    by_name = [r for r, rule in enumerate(defn.rules) if _tests_name_only(rule, r in counted)]
    masks = _flag_masks(len(defn.rules), by_name)
    if by_name:
        join, bits = _name_bits(defn, by_name)
        own = f"SELECT s.*, {', '.join(bits)} FROM ({own}) AS s {join}"
        # a derived referral row carries the referred customer's event name: no name bits
        derived = [f"SELECT *, {', '.join(f'NULL AS {b}' for b in bits)} FROM ({d})" for d in derived]
        if keep != "TRUE":
            kept = [r for r in range(len(defn.rules)) if r not in by_name]
            tests = [f"{b} <> 0" for b in bits] + [f"m{r}" for r in kept]
            keep = f"({' OR '.join(tests)})"
    stream = _union(own, derived)
    return (
        "WITH " + ",\n".join(ctes) + f"\nSELECT {key}customer_id, {value}{event_id}epoch_us(ts) AS tsu, "
        f"{', '.join(masks)} FROM ({stream}) AS s WHERE {keep} ORDER BY {order}"
    )


def reader_counts(defn: FunnelDefinition) -> frozenset[int]:
    """The ``min_purchases`` rules whose running count ``funnel.chains`` takes over from
    ``flagged_sql``: all of them, unless the stream is grouped by breakdown value
    (``all_steps``), which splits a customer's events."""
    by_value, _ = _grouping(defn)
    return frozenset() if by_value else frozenset(
        r for r, rule in enumerate(defn.rules) if rule.min_purchases and rule.min_purchases > 1)


def _tests_name_only(rule: StepRule, uncounted: bool) -> bool:
    """Whether a rule's flag in the stream tests the event's name alone (no conditions, no
    count, or a count left to the reader)."""
    return (bool(rule.events) and not rule.where and rule.min_referrals is None
            and ((rule.min_purchases or 1) == 1 or uncounted))


def _name_bits(defn: FunnelDefinition, by_name: list[int]) -> tuple[str, list[str]]:
    """A join giving each event ``name_bits<j>``: the bits of the ``by_name`` rules its
    name matches (0 or NULL for other names), as ``_flag_masks`` packs them; and those
    columns' names."""
    def bits(name: str, j: int) -> int:  # of the by_name rules 64j.. that ``name`` matches
        return sum(1 << (r % 64) for r in by_name if r // 64 == j and name in defn.rules[r].events)

    names = sorted({e for rule in defn.rules for e in rule.events})  # an inner join must keep every rule's names
    chunks = range((len(defn.rules) + 63) // 64)
    rows = ", ".join("(" + ", ".join([literal(name)] + [f"CAST({bits(name, j)} AS UBIGINT)" for j in chunks]) + ")"
                     for name in names)
    columns = [f"name_bits{j}" for j in chunks]
    join = "JOIN" if events_that_matter(defn) else "LEFT JOIN"
    return f"{join} (VALUES {rows}) AS n({', '.join(['rule_event', *columns])}) ON s.event = n.rule_event", columns


def _flag_masks(rules: int, by_name: list[int]) -> list[str]:
    """The rule flags packed into unsigned integers, ``f<j>`` holding ``m<64j>``.. as bits 0..
    (fewer bytes to sort than one boolean per rule); the bits of the ``by_name`` rules
    come from the name table's ``name_bits<j>`` (``_name_bits``)."""
    masks = []
    for j in range(0, rules, 64):
        bits = min(64, rules - j)
        kind = next(t for width, t in ((8, "UTINYINT"), (16, "USMALLINT"), (32, "UINTEGER"), (64, "UBIGINT"))
                    if bits <= width)
        packed = [f"(CAST(COALESCE(m{j + b}, FALSE) AS {kind}) << {b})" for b in range(bits) if j + b not in by_name]
        if any(j <= r < j + 64 for r in by_name):
            packed.insert(0, f"CAST(COALESCE(name_bits{j // 64}, 0) AS {kind})")
        masks.append(f"{' | '.join(packed)} AS f{j // 64}")
    return masks


def tie_breaking_rows(defn: FunnelDefinition) -> str | None:
    """Which of a customer's rows must come in ``event_id`` order when their times are
    equal: a SQL condition over the flags (``'TRUE'``: every row), or None (none).

    For an ordered funnel with ``ties='strict'`` and no exclusions or optional steps, each
    step's row is the first matching row at a strictly later time, so its time does not
    depend on the order inside a second (nor does a repeat purchase's: how many matching
    rows a customer has up to a time is the same in any order), and attempts starting at
    the same time reach the same steps at the same times. The order then only decides
    which of several rows of one time gives a breakdown value: none matters for no
    breakdown or ``all_steps`` (the value is the group's) or for ``first_touch`` when
    counting attempts (each attempt has its own first row), step 1's rows for
    ``first_touch``, step k's for ``step``. The same holds for an unordered funnel, whose
    steps' times count every row from the attempt's time on; there any step's row starts an
    attempt, so ``first_touch`` needs every row in order.
    """
    unordered = defn.order == "unordered"
    if not (unordered or defn.order == "ordered" and defn.ties == "strict" and not defn.exclusions
            and defn.required == list(range(len(defn.steps)))):
        return "TRUE"
    b = defn.breakdown
    if b is None or b.attribution == "all_steps" or b.attribution == "first_touch" and defn.counting == "attempts":
        return None
    if b.attribution == "first_touch":
        return "TRUE" if unordered else "m0"
    return f"m{b.step - 1}" if b.attribution == "step" else "TRUE"  # type: ignore[operator]


def events_that_matter(defn: FunnelDefinition) -> str | None:
    """Which stored events can set a flag, as a condition over them (``e.event``, ...), or
    None (any event can). When the order is not strict (there every event breaks a
    chain) and every rule names its events or counts referrals: the events with those
    names and, with a referral rule, every event with a referrer (a referred customer's
    first such event is the one a referral rule tests)."""
    if defn.reads_every_event or not all(r.events or r.min_referrals is not None for r in defn.rules):
        return None
    names = ", ".join(literal(e) for e in sorted({e for r in defn.rules if r.min_referrals is None for e in r.events}))
    tests = [f"e.event IN ({names})"] if names else []
    if any(r.min_referrals is not None for r in defn.rules):
        tests.append("e.referrer_id IS NOT NULL")
    return " OR ".join(tests)


def _value_and_keep(defn: FunnelDefinition) -> tuple[str, str]:
    """The breakdown value of an event (``(none)`` for a missing one with ``all_steps``), and
    which events matter: all of them for strict order, else those matching a rule."""
    b = defn.breakdown
    by_value, _ = _grouping(defn)
    bv_expr = f"COALESCE({breakdown_sql(b)}, {literal(NONE)})" if by_value else (
        breakdown_sql(b) if b else "CAST(NULL AS VARCHAR)")
    any_flag = " OR ".join(f"m{r}" for r in range(len(defn.rules)))
    return bv_expr, "TRUE" if defn.reads_every_event else f"({any_flag})"


def breakdown_sql(b: Breakdown) -> str:
    """An event's breakdown value: its field's text, or for several fields their texts joined
    by ``BREAKDOWN_JOIN`` (a missing one empty; NULL when all are missing)."""
    parts = [field_sql(f) for f in b.fields]
    if len(parts) == 1:
        return parts[0]
    joined = f" || {literal(BREAKDOWN_JOIN)} || ".join(f"COALESCE({p}, '')" for p in parts)
    return f"CASE WHEN {' AND '.join(f'{p} IS NULL' for p in parts)} THEN NULL ELSE {joined} END"


def units_sql(defn: FunnelDefinition, stage: str, as_of: dt.datetime) -> str:
    """SQL for one row per unit over the ``stage`` table (``stage_sql``): customer_id,
    breakdown, period, level, t0..t(n-1), in_progress (steps 5–6 above)."""
    n = len(defn.steps)
    by_value, group = _grouping(defn)
    ctes = _unordered_chain(defn, stage) if defn.order == "unordered" else _ordered_chain(defn, group, stage)

    # 6. one unit per customer (or attempt)
    lo, hi = range_bounds(defn)
    where = ["TRUE"]
    if lo:
        where.append(f"t0 >= {literal(lo)}")
    if hi:
        where.append(f"t0 < {literal(hi)}")
    period = _period_sql(defn, "t0") if defn.cohort else "CAST(NULL AS DATE)"
    open_ = "FALSE"  # without a window, or under PostHog's scan (dropped, never in progress)
    if defn.window and defn.scan != "posthog":
        open_ = f"CAST(t0u + {micros(defn.window)} > {literal(epoch_micros(as_of))} AS BOOLEAN)"
    ctes.append(
        f"ranged AS (SELECT *, {period} AS period, {open_} AS is_open FROM chain WHERE {' AND '.join(where)})"
    )
    if defn.exclusion_scope == "customer":
        ctes.append(
            "kept AS (SELECT * FROM ranged WHERE customer_id NOT IN "
            "(SELECT customer_id FROM ranged WHERE disq))"
        )
    else:
        ctes.append("kept AS (SELECT * FROM ranged WHERE NOT disq)")

    times = ", ".join(f"t{k}" for k in range(n))
    attributed = _attribution_sql(defn)
    if defn.counting == "attempts":
        body = (f"SELECT customer_id, {attributed} AS breakdown, period, level, {times}, "
                f"is_open AS in_progress FROM kept")
    else:
        part = "customer_id" + (", bv" if by_value else "") + (", period" if defn.cohort else "")
        body = (
            f"SELECT customer_id, {attributed} AS breakdown, period, level, {times}, in_progress FROM ("
            f"SELECT *, row_number() OVER (PARTITION BY {part} ORDER BY level DESC, t0, start_id) AS pick, "
            f"bool_or(is_open) OVER (PARTITION BY {part}) AS in_progress FROM kept) AS k WHERE pick = 1"
        )
    return "WITH " + ",\n".join(ctes) + "\n" + body


def _period_sql(defn: FunnelDefinition, column: str) -> str:
    return f"CAST(date_trunc({literal(defn.cohort)}, {local_time_sql(column, defn.timezone)}) AS DATE)"


def _ordered_stage(defn: FunnelDefinition, group: str) -> str:
    """Per event: a pointer to the next event of each step, and running exclusion counts."""
    n = len(defn.steps)
    strict_order = defn.order == "strict"
    after = {  # the rows that may fill the next step: later times; every row of this time on; later rows
        "strict": "ORDER BY tsu RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING",
        "step_order": "ORDER BY tsu RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING",
        "allow": "ORDER BY ord ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING",
    }[defn.ties]
    nav = []
    if not strict_order:
        nav += [f"min(CASE WHEN m{k} THEN ord END) OVER (PARTITION BY {group} {after}) AS nx{k}" for k in range(1, n)]
    for x in range(len(defn.exclusions)):
        nav.append(
            f"sum(CASE WHEN m{n + x} THEN 1 ELSE 0 END) OVER (PARTITION BY {group} ORDER BY ord "
            f"ROWS UNBOUNDED PRECEDING) AS cx{x}"
        )
    return f"SELECT *{''.join(', ' + c for c in nav)} FROM seq"


def _ordered_chain(defn: FunnelDefinition, group: str, stage: str) -> list[str]:
    """Per attempt (an event filling step 1), one left join per step along the chain."""
    n = len(defn.steps)
    strict_order = defn.order == "strict"

    joins = []
    keys = [c.strip() for c in group.split(",")]
    for k in range(1, n):
        step = defn.steps[k]
        p = defn.previous_required(k)
        prev = "a" if p == 0 else f"s{p}"
        cond = [f"s{k}.{c} = {prev}.{c}" for c in keys]
        if strict_order:
            cond.append(f"s{k}.ord = {prev}.ord + 1 AND s{k}.m{k}")
            if defn.ties == "strict":
                cond.append(f"s{k}.tsu > {prev}.tsu")
        else:
            cond.append(f"s{k}.ord = {prev}.nx{k}")
        if defn.window:
            cond.append(f"s{k}.tsu - a.tsu <= {micros(defn.window)}")
        if step.max_from_previous is not None:
            cond.append(f"s{k}.tsu - {prev}.tsu <= {micros(step.max_from_previous)}")
        # a pointer to step k always lands on an event filling step k: join only those rows
        joins.append(f"LEFT JOIN (SELECT * FROM {stage} WHERE m{k}) AS s{k} ON " + " AND ".join(cond))

    def ts_of(k: int) -> str:
        return "a.ts" if k == 0 else f"s{k}.ts"

    times = []
    for k, step in enumerate(defn.steps):
        if step.optional:
            q = next((j for j in defn.required if j > k), None)
            bound = f" AND (s{q}.ord IS NULL OR s{k}.ord < s{q}.ord)" if q is not None else ""
            times.append(f"CASE WHEN s{k}.ord IS NOT NULL{bound} THEN s{k}.ts END AS t{k}")
            times.append(f"CASE WHEN s{k}.ord IS NOT NULL{bound} THEN s{k}.bv END AS v{k}")
        else:
            times.append(f"{ts_of(k)} AS t{k}")
            times.append(f"{'a' if k == 0 else f's{k}'}.bv AS v{k}")
    level = " + ".join(f"CASE WHEN {ts_of(k)} IS NOT NULL THEN 1 ELSE 0 END" for k in defn.required)
    disq = []
    for x, ex in enumerate(defn.exclusions):
        i, j = ex.from_step - 1, ex.to_step - 1
        si, sj = ("a" if i == 0 else f"s{i}"), f"s{j}"
        disq.append(
            f"({sj}.ord IS NOT NULL AND {sj}.cx{x} > {si}.cx{x} + CASE WHEN {sj}.m{n + x} THEN 1 ELSE 0 END)"
        )
    chain = (
        f"chain AS (SELECT a.customer_id AS customer_id, a.bv AS bv, a.tsu AS t0u, a.event_id AS start_id, "
        f"{', '.join(times)}, {level} AS level, {' OR '.join(disq) if disq else 'FALSE'} AS disq "
        f"FROM {stage} AS a {' '.join(joins)} WHERE a.m0)"
    )
    return [chain]


def _unordered_stage(defn: FunnelDefinition, group: str) -> str:
    """Per event filling any step (an attempt start): each step's first time in [t0, t0 + window]."""
    n = len(defn.steps)
    # the first time >= t0 of each step (a frame without an offset: ClickHouse takes only
    # 32-bit RANGE offsets, too short for windows in microseconds), kept inside the window
    nexts = ", ".join(
        f"min(CASE WHEN m{k} THEN tsu END) OVER (PARTITION BY {group} ORDER BY tsu "
        f"RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS g{k}"
        for k in range(n)
    )
    firsts = ", ".join(
        (f"CASE WHEN g{k} - tsu <= {micros(defn.window)} THEN g{k} END AS f{k}" if defn.window else f"g{k} AS f{k}")
        for k in range(n)
    )
    any_step = " OR ".join(f"m{k}" for k in range(n))
    # the first exclusion event strictly after t0 (PostHog's unordered exclusions)
    excluded = " OR ".join(f"m{n + x}" for x in range(len(defn.exclusions)))
    after = (f"min(CASE WHEN {excluded} THEN tsu END) OVER (PARTITION BY {group} ORDER BY tsu "
             f"RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS xn") if excluded else "CAST(NULL AS BIGINT) AS xn"
    return (f"SELECT customer_id, bv, ts, tsu, event_id AS start_id, {firsts}, xn FROM "
            f"(SELECT *, {nexts}, {after} FROM seq) AS q WHERE {any_step}")


def _unordered_chain(defn: FunnelDefinition, stage: str) -> list[str]:
    """The steps' first times of each attempt, sorted into t0..t(n-1); an attempt is
    disqualified when an exclusion event lies after t0 and before it completes (or, not
    completed, before its window ends)."""
    n = len(defn.steps)
    until = f"a.xn < a.tsu + {micros(defn.window)}" if defn.window is not None else "a.xn IS NOT NULL"
    unpivot = " UNION ALL ".join(f"SELECT start_id, f{k} AS f FROM {stage}" for k in range(n))
    picks = ", ".join(
        f"make_timestamp(max(CASE WHEN r = {k + 1} THEN f END)) AS t{k}" for k in range(n)
    )
    return [
        f"sorted AS (SELECT start_id, f, row_number() OVER (PARTITION BY start_id ORDER BY f) AS r "
        f"FROM ({unpivot}) AS u WHERE f IS NOT NULL)",
        f"times AS (SELECT start_id, count(*) AS level, {picks} FROM sorted GROUP BY start_id)",
        f"chain AS (SELECT a.customer_id AS customer_id, a.bv AS bv, a.tsu AS t0u, a.start_id AS start_id, "
        f"{', '.join(f't.t{k} AS t{k}' for k in range(n))}, a.bv AS v0, t.level AS level, "
        f"COALESCE(CASE WHEN t.level = {n} THEN a.xn < epoch_us(t.t{n - 1}) ELSE {until} END, FALSE) AS disq "
        f"FROM {stage} AS a JOIN times AS t ON t.start_id = a.start_id)",
    ]


def _attribution_sql(defn: FunnelDefinition) -> str:
    b = defn.breakdown
    if b is None:
        return "CAST(NULL AS VARCHAR)"
    if b.attribution == "all_steps":
        return "bv"
    if b.attribution == "first_touch":
        value = "v0"
    elif b.attribution == "step":
        value = f"CASE WHEN t{b.step - 1} IS NOT NULL THEN v{b.step - 1} END"  # type: ignore[operator]
    else:
        cases = " ".join(f"WHEN t{k} IS NOT NULL THEN v{k}" for k in reversed(defn.required))
        value = f"CASE {cases} END"
    return f"COALESCE({value}, {literal(NONE)})"


# -- aggregates over the units table ---------------------------------------------------

def labelled_sql(defn: FunnelDefinition, units: str) -> str:
    """Units with the breakdown value replaced by ``(other)`` outside the top values."""
    if defn.breakdown is None:
        return f"SELECT *, CAST(NULL AS VARCHAR) AS bd FROM {units}"
    return (
        f"SELECT u.*, CASE WHEN r.rank <= {defn.breakdown.top} THEN u.breakdown ELSE {literal(OTHER)} END AS bd "
        f"FROM {units} AS u JOIN (SELECT breakdown, row_number() OVER (ORDER BY count(*) DESC, breakdown) AS rank "
        f"FROM {units} GROUP BY breakdown) AS r ON r.breakdown = u.breakdown"
    )


def steps_sql(defn: FunnelDefinition, units: str) -> str:
    """Per breakdown value and step: counts, bases for the ratios, drop-off and gaps."""
    n = len(defn.steps)
    parts = []
    for k, step in enumerate(defn.steps):
        if defn.order == "unordered":
            p = k - 1 if k else None
            q = k + 1 if k + 1 < n else None
        else:
            p = defn.previous_required(k)
            q = None if step.optional else next((j for j in defn.required if j > k), None)
        stalled = f"t{k} IS NOT NULL AND t{q} IS NULL" if q is not None else "FALSE"
        gap = f"(epoch_us(t{k}) - epoch_us(t{p})) / 1e6" if p is not None else "NULL"
        parts.append(
            f"SELECT {k + 1} AS step, bd AS breakdown, count(t{k}) AS customers, "
            f"{f'count(t{p})' if p is not None else 'NULL'} AS base, count(t0) AS first, "
            f"count(CASE WHEN {stalled} AND NOT in_progress THEN 1 END) AS dropped, "
            f"count(CASE WHEN {stalled} AND in_progress THEN 1 END) AS in_progress, "
            f"median({gap}) AS median_seconds, avg({gap}) AS mean_seconds "
            f"FROM labelled GROUP BY bd"
        )
    return f"WITH labelled AS ({labelled_sql(defn, units)})\n" + "\nUNION ALL\n".join(parts)


def histogram_sql(defn: FunnelDefinition, units: str) -> str:
    """Per step after the first: units by time from step 1, in ``HISTOGRAM_EDGES`` buckets."""
    cases = " ".join(
        f"WHEN s >= {lo} THEN {i}" for i, lo in reversed(list(enumerate(HISTOGRAM_EDGES)))
    )
    parts = [
        f"SELECT {k + 1} AS step, (epoch_us(t{k}) - epoch_us(t0)) / 1e6 AS s FROM {units} WHERE t{k} IS NOT NULL"
        for k in range(1, len(defn.steps))
    ]
    if not parts:
        return "SELECT 1 AS step, 0 AS bucket, 0 AS customers WHERE FALSE"
    return (
        f"SELECT step, CASE {cases} END AS bucket, count(*) AS customers FROM ("
        + " UNION ALL ".join(parts) + ") AS d GROUP BY step, bucket"
    )


def trends_sql(defn: FunnelDefinition, units: str) -> str:
    """Per cohort period, breakdown value (top values, the rest ``(other)``, as in
    ``steps_sql``) and step: units reaching the step, and units at step 1."""
    parts = [
        f"SELECT period, bd AS breakdown, {k + 1} AS step, count(t{k}) AS customers, count(t0) AS first "
        f"FROM labelled GROUP BY period, bd"
        for k in range(len(defn.steps))
    ]
    return f"WITH labelled AS ({labelled_sql(defn, units)})\n" + "\nUNION ALL\n".join(parts)
