"""The seeded demo dataset: a protein-bar shop in Almaty and Astana, with planted effects.

``generate(customers, seed=..., start=..., days=...)`` returns ``DemoData``: an ``events``
table (exactly ``voronka.schema.EVENTS.schema``) and a ``spend`` table (exactly
``voronka.schema.SPEND.schema``), sorted by time, identical for identical arguments.
``write(data, directory)`` saves them as ``events.parquet`` and ``spend.csv``.

The story (seeds/001_*.txt: the protein-bar shop and Aristarkh, a beginner athlete; the
channels of seeds/002_*.txt; the nine touches of seeds/003_*.txt; the hourglass of
seeds/004_*.txt): ``customers`` people are reached by one of eight paid channels and walk
a ladder of stages, each marked by one *primary* event that every customer in the stage
has::

    know   ad_view        (first event; its channel and campaign are the acquisition channel)
    like   site_visit
    trust  consultation   (first personal contact)
    try    trial          (free sample, tasting, trial pack)
    buy    purchase       (offer tripwire / core / bundle, revenue in KZT)

Around the ladder, a customer has ``E`` *extra touches* (0–8): more ``ad_view`` (30 % of
them from another channel) and ``content_view`` (video / post / article) between know and
like; ``site_visit``, ``lead_magnet``, ``callback_request``, ``compare`` and
``content_view`` (case_study) between like and trust. Everyone who reaches ``trial``
has had exactly ``4 + E`` touches (the four primary ones and the extras) before the
purchase decision. After buying: ``feedback`` (score 0–10), ``complaint`` →
``support_contact`` ×1–5 → ``complaint_resolved``, repeat purchases, ``loyalty_join``,
``referral_invite``, lapsing and ``winback_offer``. Friends brought by a referral enter at
``consultation`` on channel ``wom`` with ``referrer_id`` set on all their events.

Planted effects (the exact parameters are the tables below; docs/demo.md gives the
expected values and how to measure them):

1. Channels differ by stage (``CHANNELS``): mass channels (tv, radio, ooh, print) reach
   many people who convert poorly to like and trust; digital and mobile convert well
   mid-funnel; pos and direct_mail convert best from trial to purchase; referred friends
   (wom) convert best of all (trust → try 0.70, try → buy 0.90).
2. One weak stage: trust → try (0.34 overall against 0.73 and 0.59 for its neighbours),
   and for ``print`` it is 0.12.
3. Touches before the paid offer: the purchase probability after a trial is the channel's
   ``buy`` times ``touch_factor``: 0.5 with 4 touches, 1.0 with 5–7, 0.85 with 8 or more.
   Referred friends are exempt (high trust).
4. A repeat loop: after each purchase the customer buys again with probability
   ``REPEAT.base`` adjusted by loyalty, feedback score, an unresolved complaint and the
   January (New-Year resolution) cohort of people first seen in January; the gap is
   gamma(shape 4) with a per-customer mean of 14, 21 or 30 days, between 3 and 55 days.
   A customer who does not buy again *lapses* 60 days after the last purchase; half of
   the lapses (at random) receive a ``winback_offer`` on that day. Within the next 60
   days 40 % of those targeted and 12 % of those not targeted buy again (uplift +28
   points).
5. Referral loop: at the first purchase 10 % of buyers become promoters (rewarded, mean
   1.8 referred friends), 15 % fans (unrewarded, mean 0.8); the rest refer nobody. Mean
   referred customers per buyer K = 0.30 (0.10 × 1.8 + 0.15 × 0.8), counted for buyers
   whose first purchase is at least ``REFERRAL.settle_days`` days before the end.
6. Spend is proportional to each channel's expected daily reach (``Channel.cost`` KZT per
   person reached, ±12 % log-normal daily noise), so CAC and ROMI differ by channel.
7. Seasonality: acquisitions follow ``MONTH_WEIGHT`` (peaks in January, May and
   September); the cohort first seen in January repeats less (``REPEAT.january_cohort``).
8. Identity: half of the people reached through digital and mobile start anonymous
   (``anon-…``); at their first lead_magnet, callback_request or consultation an
   ``identify`` event on the canonical id (property ``alias``) links the two.
9. An incident (``INCIDENT``): for three weeks from day 158 (a Monday), every purchase
   that would follow a trial of a ``digital`` person fails (with all that would follow it).
10. A loop (``LOOP``): ``mobile`` people who tried are sent back trial → site_visit →
   trial (buyers with probability 0.10, the others 0.50), so the trapped buy less.
   Both are drawn after the journeys from their own random stream.

Timestamps: every event happens between 08:00 and 22:00 Asia/Almaty local time and is
stored in UTC (naive). The generator uses Python's ``random.Random(seed)`` (only its
``random()`` method, whose stream Python keeps stable) for the journeys and numpy's
``default_rng`` for the spend noise, so the same arguments give the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from voronka.schema import EVENTS, MONEY, SPEND

# The event vocabulary of the demo and of the built-in stage models (docs/data-model.md).
VOCABULARY: tuple[str, ...] = (
    "ad_view", "content_view", "site_visit", "lead_magnet", "callback_request", "compare", "consultation",
    "trial", "purchase", "feedback", "complaint", "support_contact", "complaint_resolved", "winback_offer",
    "loyalty_join", "referral_invite", "identify",
)

__all__ = [
    "CHANNELS",
    "INCIDENT",
    "LOOP",
    "REFERRAL",
    "REFERRED",
    "REPEAT",
    "TOUCH_FACTOR",
    "DemoData",
    "generate",
    "touch_factor",
    "write",
]

CURRENCY = "KZT"
TIME_ZONE = "Asia/Almaty"
DAY_START_HOUR = 8  # local daytime is [08:00, 22:00)
DAY_HOURS = 14


# --- the planted parameters, as data ----------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """A paid acquisition channel and its stage-to-stage conversion probabilities."""

    name: str
    share: float  # share of the organic people first reached through this channel
    like: float  # P(know → like)
    trust: float  # P(like → trust)
    try_: float  # P(trust → try)
    buy: float  # P(try → buy) with 5–7 touches (times TOUCH_FACTOR otherwise)
    cost: int  # KZT of spend per person reached
    campaigns: tuple[tuple[str, float, str], ...]  # (campaign, share, ad format)


# fmt: off
CHANNELS: tuple[Channel, ...] = (
    Channel("tv", 0.22, 0.45, 0.62, 0.30, 0.60, 1800,
            (("tv-fitness-spot", 0.6, "tv_spot"), ("tv-office-snack", 0.4, "tv_spot"))),
    Channel("radio", 0.10, 0.42, 0.60, 0.30, 0.58, 1100,
            (("radio-morning-show", 0.6, "radio_spot"), ("radio-drive-time", 0.4, "radio_spot"))),
    Channel("ooh", 0.14, 0.40, 0.60, 0.28, 0.58, 1200,
            (("ooh-billboards", 0.6, "billboard"), ("ooh-city-lights", 0.4, "city_light"))),
    Channel("print", 0.08, 0.50, 0.65, 0.12, 0.62, 900,
            (("print-sport-magazine", 0.5, "magazine"), ("print-city-weekly", 0.5, "newspaper"))),
    Channel("digital", 0.22, 0.80, 0.82, 0.38, 0.70, 700,
            (("digital-search", 0.5, "search"), ("digital-social", 0.5, "social"))),
    Channel("mobile", 0.14, 0.75, 0.80, 0.36, 0.68, 600,
            (("mobile-app-banners", 0.6, "app_banner"), ("mobile-push", 0.4, "push"))),
    Channel("pos", 0.06, 0.70, 0.75, 0.40, 0.92, 500,
            (("pos-gym-stands", 0.6, "gym_stand"), ("pos-supermarket", 0.4, "shelf_display"))),
    Channel("direct_mail", 0.04, 0.65, 0.75, 0.36, 0.90, 1500,
            (("dm-office-catalog", 0.6, "catalog"), ("dm-gym-flyers", 0.4, "flyer"))),
)
# fmt: on
PAID_CHANNELS = tuple(c.name for c in CHANNELS)


@dataclass(frozen=True)
class Referred:
    """Friends brought by a referral: they start at consultation, channel ``wom``."""

    channel: str = "wom"
    try_: float = 0.70  # P(consultation → trial)
    buy: float = 0.90  # P(trial → purchase); no touch factor
    campaign_rewarded: str = "bring-a-friend"


REFERRED = Referred()


# The multiplier of ``Channel.buy`` by the touches before the purchase decision:
# (at most this many touches, factor). "5–7 touches before the paid offer" (seeds/003_*.txt).
TOUCH_FACTOR: tuple[tuple[int, float], ...] = ((4, 0.5), (7, 1.0), (1 << 30, 0.85))


def touch_factor(touches: int) -> float:
    """``TOUCH_FACTOR`` for a number of touches: 4 → 0.5, 5–7 → 1.0, 8 or more → 0.85."""
    return next(f for most, f in TOUCH_FACTOR if touches <= most)


# P(E = k), k = 0..8: the number of extra touches of a person.
EXTRA_TOUCHES = (0.18, 0.14, 0.14, 0.14, 0.12, 0.10, 0.07, 0.06, 0.05)
# The kinds of extra touch, their weights, and the phase they belong to (0: know → like,
# 1: like → trust).
EXTRA_KINDS: tuple[tuple[str, float, int], ...] = (
    ("ad_view", 0.22, 0),
    ("content_view", 0.28, 0),  # video / post / article
    ("site_visit", 0.10, 1),
    ("lead_magnet", 0.14, 1),
    ("callback_request", 0.06, 1),
    ("compare", 0.12, 1),
    ("case_study", 0.08, 1),  # content_view with content=case_study
)
OTHER_CHANNEL_AD = 0.30  # share of extra ad_views from a channel drawn by share


@dataclass(frozen=True)
class Repeat:
    """The repeat-purchase loop (probabilities of buying again after a purchase)."""

    base: float = 0.55
    loyalty: float = 0.15  # added for loyalty members
    promoter_score: float = 0.10  # added when the purchase was rated 9–10
    detractor_score: float = -0.20  # added when rated 0–6
    january_cohort: float = -0.20  # added for people first seen in January (resolutions)
    unresolved_complaint: float = 0.30  # multiplies after an unresolved complaint
    gap_means: tuple[tuple[int, float], ...] = ((14, 0.3), (21, 0.4), (30, 0.3))
    gap_min: float = 3.0
    gap_max: float = 55.0
    lapse_days: float = 60.0  # no purchase for this long: lapsed
    winback_share: float = 0.5  # of lapses targeted by a winback_offer
    return_targeted: float = 0.40  # P(buy again within return_window | targeted)
    return_untargeted: float = 0.12
    return_window: float = 60.0
    loyalty_join: float = 0.45  # P(join) after the second purchase


REPEAT = Repeat()


@dataclass(frozen=True)
class Referral:
    """The referral loop: types of buyer at the first purchase."""

    promoter: float = 0.10  # rewarded referrers
    promoter_mean: float = 1.8  # Poisson mean of friends brought
    fan: float = 0.15  # unrewarded referrers
    fan_mean: float = 0.8
    failed_mean: float = 0.6  # invites that bring nobody (per referrer)
    invite_after: tuple[float, float] = (3.0, 60.0)  # days after the first purchase
    arrive_within: float = 7.0  # a friend's first event: ≤ 7 days after the invite
    settle_days: int = 70  # K is complete for first purchases this long before the end

    @property
    def k(self) -> float:
        return self.promoter * self.promoter_mean + self.fan * self.fan_mean


REFERRAL = Referral()


@dataclass(frozen=True)
class Incident:
    """A payment outage: for ``days`` days from day ``first_day`` (0 = ``start``), a purchase
    that would have followed a trial of a person on ``channel`` fails with probability
    ``fail`` (the purchase, everything after it and the friends it would have brought are
    not in the data)."""

    channel: str = "digital"
    first_day: int = 158  # Monday 2026-06-08 with the default start
    days: int = 21
    fail: float = 1.0


@dataclass(frozen=True)
class Loop:
    """Sent back: of the people on ``channel`` who tried, those who went on to buy were sent
    back from the trial to the site (``back``) and on to a trial again (``again``) with
    probability ``sent_back_buyer``, the others with ``sent_back_other``; 1 to ``max_rounds``
    rounds, spread between the trial and the purchase (or over ``span`` days)."""

    channel: str = "mobile"
    sent_back_buyer: float = 0.10
    sent_back_other: float = 0.50
    max_rounds: int = 3
    span: float = 2.0
    back: tuple[str, str] = ("site_visit", '{"page":"delivery"}')
    again: tuple[str, str] = ("trial", '{"kind":"trial_pack"}')


INCIDENT = Incident()
LOOP = Loop()

ANONYMOUS = {"digital": 0.5, "mobile": 0.5}  # share of people who start anonymous
CITIES = (("Almaty", 0.6), ("Astana", 0.4))
MONTH_WEIGHT = (1.4, 1.1, 1.0, 1.1, 1.3, 1.2, 0.8, 0.7, 1.2, 1.0, 0.9, 0.8)  # Jan..Dec
SPEND_NOISE = 0.12  # sigma of the daily log-normal noise on spend
WINBACK_COST = 350  # KZT per winback_offer (SMS and voucher), spend on mobile/winback
WINBACK_CAMPAIGN = "winback"

# Products: (offer, product, price KZT, weight within the offer).
PRODUCTS = {
    "tripwire": (("bar-single", 990, 0.3), ("bar-3pack", 1990, 0.5), ("sampler-box", 2490, 0.2)),
    "core": (("box-12", 7900, 0.5), ("box-24", 14900, 0.3), ("whey-1kg", 12900, 0.2)),
    "bundle": (("starter-kit", 19900, 0.6), ("athlete-bundle", 25000, 0.4)),
}
FIRST_OFFER = (("tripwire", 0.55), ("core", 0.35), ("bundle", 0.10))
REPEAT_OFFER = (("core", 0.75), ("bundle", 0.20), ("tripwire", 0.05))
REPEAT_ORDER_CHANNEL = (("digital", 0.45), ("mobile", 0.30), ("pos", 0.25))
SCORES = (0.01, 0.01, 0.02, 0.02, 0.03, 0.05, 0.06, 0.12, 0.20, 0.22, 0.26)  # P(score = 0..10)
COMPLAINT = {"low": 0.30, "mid": 0.12, "high": 0.02}  # by score 0–4, 5–6, 7–10
SUPPORT_STEPS = ((1, 0.25), (2, 0.30), (3, 0.25), (4, 0.12), (5, 0.08))
RESOLVED = 0.85


# --- the result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoData:
    """The generated tables: ``events`` (EVENTS schema) and ``spend`` (SPEND schema)."""

    events: pa.Table
    spend: pa.Table


def generate(
    customers: int = 5000, *, seed: int = 7, start: date = date(2026, 1, 1), days: int = 300
) -> DemoData:
    """The demo dataset: ``customers`` people reached by the paid channels (plus the friends
    they refer) over ``days`` days from ``start``; the same arguments give the same tables."""
    if customers < 0:
        raise ValueError("customers must be ≥ 0")
    if days < 1:
        raise ValueError("days must be ≥ 1")
    sim = _Simulation(customers, seed, start, days)
    sim.run()
    tag = hashlib.md5(f"voronka-demo|{customers}|{seed}|{start}|{days}".encode()).hexdigest()[:8]
    events = _events_table(sim.rows, start, days, tag)
    spend = _spend_table(sim, seed, tag)
    return DemoData(events=events, spend=spend)


def write(data: DemoData, directory: str | Path) -> dict[str, Path]:
    """Write ``events.parquet`` and ``spend.csv`` into ``directory``; their paths by table."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"events": out / "events.parquet", "spend": out / "spend.csv"}
    pq.write_table(data.events, paths["events"])
    pacsv.write_csv(data.spend, paths["spend"])
    return paths


# --- the simulation -----------------------------------------------------------------------

# Units of the journey clock: days; within a day the fraction maps onto local daytime.
_MINUTE = 1.0 / (DAY_HOURS * 60)
_SECOND = _MINUTE / 60


def _cumulative(weights) -> list[float]:
    total = sum(weights)
    cum = list(accumulate(w / total for w in weights))
    cum[-1] = 1.0 + 1e-12
    return cum


def _props(**kv: str) -> str:
    """A JSON object of text values (the values here are plain identifiers: no escaping)."""
    return "{" + ",".join(f'"{k}":"{v}"' for k, v in kv.items()) + "}"


class _Simulation:
    def __init__(self, customers: int, seed: int, start: date, days: int) -> None:
        self.n = customers
        self.seed = seed
        self.start = start
        self.days = days
        self.rng = random.Random(seed)
        # one row per event: (t in clock days, customer_id, event, channel, campaign,
        # revenue KZT or None, referrer_id, properties)
        self.rows: list[tuple] = []
        self.queue: list[tuple[float, str, bool]] = []  # referred friends: (t, referrer, rewarded)
        self.winbacks: list[float] = []  # times of winback offers (for spend)
        self.orders = 0
        # organic people who tried: (customer_id, channel, t_try, t_buy or None); read by the
        # planted incident and loop (``plant``), which draw on their own random stream
        self.trials: list[tuple[str, str, float, float | None]] = []
        self._anon_salt = (seed * 0x9E3779B1 + 0x5BD1E995) % (1 << 40)

        self.ch_cum = _cumulative([c.share for c in CHANNELS])
        self.camp_cum = [_cumulative([w for _, w, _ in c.campaigns]) for c in CHANNELS]
        weights = self.day_weights()
        self.day_cum = _cumulative(weights)
        self.extra_cum = _cumulative(EXTRA_TOUCHES)
        self.kind_cum = _cumulative([w for _, w, _ in EXTRA_KINDS])
        self.score_cum = _cumulative(SCORES)
        self.gap_cum = _cumulative([w for _, w in REPEAT.gap_means])
        self.steps_cum = _cumulative([w for _, w in SUPPORT_STEPS])
        self.first_offer_cum = _cumulative([w for _, w in FIRST_OFFER])
        self.repeat_offer_cum = _cumulative([w for _, w in REPEAT_OFFER])
        self.order_ch_cum = _cumulative([w for _, w in REPEAT_ORDER_CHANNEL])
        self.product_cum = {o: _cumulative([w for *_, w in ps]) for o, ps in PRODUCTS.items()}
        self.january = [(start + timedelta(days=d)).month == 1 for d in range(days + 1)]
        # cached property strings
        self.ad_props = {
            (fmt, city): _props(format=fmt, city=city)
            for c in CHANNELS
            for _, _, fmt in c.campaigns
            for city, _ in CITIES
        }

    def day_weights(self) -> list[float]:
        return [MONTH_WEIGHT[(self.start + timedelta(days=d)).month - 1] for d in range(self.days)]

    # small draws on the single random stream
    def pick(self, cum: list[float]) -> int:
        return bisect(cum, self.rng.random())

    def exp(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.rng.random())

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.rng.random()

    def poisson(self, mean: float) -> int:
        limit, k, p = math.exp(-mean), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    def run(self) -> None:
        for i in range(self.n):
            self.organic(i)
        j = 0
        while j < len(self.queue):  # referred friends, and the friends they refer in turn
            t, referrer, rewarded = self.queue[j]
            self.referred(self.n + j, t, referrer, rewarded)
            j += 1
        self.plant()

    def plant(self) -> None:
        """The incident and the loop (``INCIDENT``, ``LOOP``), drawn from their own random
        stream after the journeys, so every other event is the one drawn without them."""
        rng = random.Random(f"voronka-demo-plant|{self.seed}")
        inc, loop = INCIDENT, LOOP
        lost: dict[str, float] = {}  # customer → time of the purchase that failed
        looped: list[tuple] = []
        for cid, channel, t_try, t_buy in self.trials:
            if (channel == inc.channel and t_buy is not None
                    and inc.first_day <= t_try < inc.first_day + inc.days and rng.random() < inc.fail):
                lost[cid] = t_buy
                t_buy = None
            if channel == loop.channel and t_try < self.days:
                if rng.random() < (loop.sent_back_buyer if t_buy is not None else loop.sent_back_other):
                    end = t_buy if t_buy is not None else t_try + loop.span
                    t = t_try
                    rounds = 1 + int(rng.random() * loop.max_rounds)
                    step = (end - t_try) / (2 * rounds + 1)
                    for _ in range(rounds):
                        t += step
                        looped.append((t, cid, *loop.back))
                        t += step
                        looped.append((t, cid, *loop.again))
        if lost:  # the failed purchase, all that followed it, and the friends it would have brought
            gone = set(lost)
            new = set(lost)
            while new:
                new = {row[1] for row in self.rows if row[6] in new} - gone
                gone |= new
            dropped = [row for row in self.rows
                       if row[6] in gone or (row[1] in lost and row[0] >= lost[row[1]])]
            drop_ids = {id(row) for row in dropped}
            self.rows = [row for row in self.rows if id(row) not in drop_ids]
            for row in dropped:
                if row[2] == "winback_offer":
                    self.winbacks.remove(row[0])
        channel = {cid: ch for cid, ch, _, _ in self.trials}
        for t, cid, event, props in looped:
            self.rows.append((t, cid, event, channel[cid], None, None, None, props))

    # -- before the first purchase ------------------------------------------------------

    def organic(self, i: int) -> None:
        r = self.rng.random
        ci = self.pick(self.ch_cum)
        ch = CHANNELS[ci]
        camp, _, fmt = ch.campaigns[self.pick(self.camp_cum[ci])]
        city = CITIES[0][0] if r() < CITIES[0][1] else CITIES[1][0]
        t0 = self.pick(self.day_cum) + r()
        cid = f"c{i:06d}"
        anon = None
        if r() < ANONYMOUS.get(ch.name, 0.0):
            anon = f"anon-{(i * 0x9E3779B97F4A7C15 + self._anon_salt) % (1 << 40):010x}"

        like = r() < ch.like
        trust = like and r() < ch.trust
        tried = trust and r() < ch.try_
        extras = self.pick(self.extra_cum)

        name = ch.name
        j: list[tuple] = [(t0, "ad_view", name, camp, self.ad_props[fmt, city])]
        t_like = t0 + 0.05 + self.exp(4.0)
        end0 = t_like if like else t0 + 0.05 + self.exp(6.0)
        if like:
            j.append((t_like, "site_visit", name, camp, _props(page="landing")))
            t_trust = t_like + 0.05 + self.exp(6.0)
            end1 = t_trust if trust else t_like + 0.05 + self.exp(6.0)
        for _ in range(extras):
            kind, _, phase = EXTRA_KINDS[self.pick(self.kind_cum)]
            if phase == 0:
                t = t0 + (end0 - t0) * (0.02 + 0.96 * r())
            elif like:
                t = t_like + (end1 - t_like) * (0.02 + 0.96 * r())
            else:
                continue  # a like-phase touch of someone who never got there
            j.append((t, *self.extra_touch(kind, name, camp, fmt, city)))
        if trust:
            kind = (
                "store_visit"
                if name == "pos"
                else ("call", "message", "free_consultation")[self.pick(_C3)]
            )
            j.append((t_trust, "consultation", name, camp, _props(kind=kind)))
        if tried:
            t_try = t_trust + 0.05 + self.exp(3.0)
            j.append((t_try, "trial", name, camp, _props(kind=_TRIAL_KINDS[self.pick(_C3)])))
        j.sort(key=_first)

        rows = self.rows
        if anon is None:
            for t, ev, chn, cmp, props in j:
                rows.append((t, cid, ev, chn, cmp, None, None, props))
        else:
            who = anon
            for t, ev, chn, cmp, props in j:
                if who is anon and ev in _IDENTIFYING:
                    rows.append(
                        (t - _SECOND, cid, "identify", None, None, None, None, _props(alias=anon))
                    )
                    who = cid
                rows.append((t, who, ev, chn, cmp, None, None, props))

        if tried:
            p = ch.buy * touch_factor(4 + extras)
            t_buy = None
            if r() < p:
                t_buy = t_try + 5 * _MINUTE + self.exp(2.0)
                self.customer_life(cid, t_buy, name, camp, city, None, self.january[int(t0)])
            self.trials.append((cid, name, t_try, t_buy))

    def extra_touch(self, kind: str, ch: str, camp: str, fmt: str, city: str) -> tuple:
        r = self.rng.random
        if kind == "ad_view":
            if r() < OTHER_CHANNEL_AD:
                oi = self.pick(self.ch_cum)
                other = CHANNELS[oi]
                ocamp, _, ofmt = other.campaigns[self.pick(self.camp_cum[oi])]
                return ("ad_view", other.name, ocamp, self.ad_props[ofmt, city])
            return ("ad_view", ch, camp, self.ad_props[fmt, city])
        if kind == "content_view":
            return ("content_view", ch, camp, _CONTENT[self.pick(_CONTENT_CUM)])
        if kind == "case_study":
            return ("content_view", ch, camp, _CASE_STUDY)
        if kind == "site_visit":
            return ("site_visit", ch, camp, _PAGES[self.pick(_C3)])
        if kind == "lead_magnet":
            return ("lead_magnet", ch, camp, _MAGNETS[self.pick(_C3)])
        return (kind, ch, camp, "{}")  # callback_request, compare

    def referred(self, i: int, t0: float, referrer: str, rewarded: bool) -> None:
        r = self.rng.random
        cid = f"c{i:06d}"
        ch = REFERRED.channel
        camp = REFERRED.campaign_rewarded if rewarded else None
        city = CITIES[0][0] if r() < CITIES[0][1] else CITIES[1][0]
        kind = ("call", "message", "free_consultation")[self.pick(_C3)]
        first = _props(kind=kind, rewarded="true" if rewarded else "false")
        self.rows.append((t0, cid, "consultation", ch, camp, None, referrer, first))
        if r() < REFERRED.try_:
            t_try = t0 + 0.05 + self.exp(2.0)
            trial = _props(kind=_TRIAL_KINDS[self.pick(_C3)])
            self.rows.append((t_try, cid, "trial", ch, camp, None, referrer, trial))
            if r() < REFERRED.buy:
                t_buy = t_try + 5 * _MINUTE + self.exp(1.5)
                self.customer_life(cid, t_buy, ch, camp, city, referrer, self.january[int(t0)])

    # -- from the first purchase on -----------------------------------------------------

    def customer_life(
        self,
        cid: str,
        t: float,
        channel: str,
        campaign: str | None,
        city: str,
        ref: str | None,
        january: bool,
    ) -> None:
        """Purchases, feedback, complaints, loyalty, referrals, lapses and win-backs."""
        r = self.rng.random
        days = self.days
        if t >= days:
            return
        rows = self.rows

        def add(t, event, channel=None, campaign=None, props="{}", revenue=None) -> None:
            rows.append((t, cid, event, channel, campaign, revenue, ref, props))

        gap_mean = REPEAT.gap_means[self.pick(self.gap_cum)][0]
        offer = FIRST_OFFER[self.pick(self.first_offer_cum)][0]
        member = False
        n = 1
        while True:
            product, price, _ = PRODUCTS[offer][self.pick(self.product_cum[offer])]
            self.orders += 1
            order = _props(offer=offer, order_id=f"o{self.orders:07d}", product=product, city=city)
            add(t, "purchase", channel, campaign, order, price)
            score = self.pick(self.score_cum)
            if r() < (0.6 if n == 1 else 0.4):
                add(t + self.uniform(1, 5), "feedback", "digital", None, _SCORE_PROPS[score])
            unresolved = False
            level = "low" if score <= 4 else "mid" if score <= 6 else "high"
            if r() < COMPLAINT[level]:
                unresolved = self.complaint(add, t + self.uniform(1, 4))
            if n == 1:
                self.refer(add, cid, t)
            if n == 2 and r() < REPEAT.loyalty_join:
                member = True
                tier = "gold" if r() < 0.2 else "silver"
                add(t + self.uniform(0.01, 3), "loyalty_join", "mobile", None, _TIER_PROPS[tier])

            p = REPEAT.base + (REPEAT.loyalty if member else 0.0)
            if score >= 9:
                p += REPEAT.promoter_score
            elif score <= 6:
                p += REPEAT.detractor_score
            if january:
                p += REPEAT.january_cohort
            if unresolved:
                p *= REPEAT.unresolved_complaint
            if r() < p:  # buys again after a gamma(4, mean gap_mean) gap
                gap = sum(self.exp(gap_mean / 4) for _ in range(4))
                t += min(max(gap, REPEAT.gap_min), REPEAT.gap_max)
                channel, _ = REPEAT_ORDER_CHANNEL[self.pick(self.order_ch_cum)]
                campaign = None
            else:  # drifts away and lapses
                t_lapse = t + REPEAT.lapse_days
                if t_lapse >= days:
                    return
                targeted = r() < REPEAT.winback_share
                if targeted:
                    t_offer = math.floor(t_lapse) + self.uniform(0.05, 0.3)
                    self.winbacks.append(t_offer)
                    add(
                        t_offer,
                        "winback_offer",
                        "mobile",
                        WINBACK_CAMPAIGN,
                        _WINBACK[self.pick(_C3)],
                    )
                    back = r() < REPEAT.return_targeted
                else:
                    back = r() < REPEAT.return_untargeted
                if not back:
                    return
                t = math.floor(t_lapse) + 1 + (REPEAT.return_window - 2) * r()
                if targeted:
                    channel, campaign = "mobile", WINBACK_CAMPAIGN
                else:
                    channel, _ = REPEAT_ORDER_CHANNEL[self.pick(self.order_ch_cum)]
                    campaign = None
            if t >= days:
                return
            n += 1
            offer = REPEAT_OFFER[self.pick(self.repeat_offer_cum)][0]

    def complaint(self, add, t: float) -> bool:
        """complaint → support_contact ×k → complaint_resolved (mostly); True if unresolved."""
        add(t, "complaint", props=_TOPICS[self.pick(_C5)])
        steps = SUPPORT_STEPS[self.pick(self.steps_cum)][0]
        for _ in range(steps):
            t += self.uniform(0.2, 2.0)
            add(
                t,
                "support_contact",
                props=_BY["company" if self.rng.random() < 0.6 else "customer"],
            )
        if self.rng.random() < RESOLVED:
            add(t + self.uniform(0.1, 1.0), "complaint_resolved")
            return False
        return True

    def refer(self, add, cid: str, t_buy: float) -> None:
        """At the first purchase: become a promoter, a fan or neither; invite friends."""
        u = self.rng.random()
        if u < REFERRAL.promoter:
            rewarded, mean = True, REFERRAL.promoter_mean
        elif u < REFERRAL.promoter + REFERRAL.fan:
            rewarded, mean = False, REFERRAL.fan_mean
        else:
            return
        friends = self.poisson(mean)
        invites = friends + self.poisson(REFERRAL.failed_mean)
        camp = REFERRED.campaign_rewarded if rewarded else None
        props = _REWARDED[rewarded]
        lo, hi = REFERRAL.invite_after
        for k in range(invites):
            t_inv = t_buy + self.uniform(lo, hi)
            t_friend = t_inv + min(self.exp(2.0), REFERRAL.arrive_within - 0.01) + 0.01
            if t_inv < self.days:
                add(t_inv, "referral_invite", "wom", camp, props)
            if k < friends and t_friend < self.days:
                self.queue.append((t_friend, cid, rewarded))


def _first(x: tuple) -> float:
    return x[0]


_C3 = _cumulative([1, 1, 1])
_C5 = _cumulative([1, 1, 1, 1, 1])
_CONTENT = tuple(_props(content=c) for c in ("video", "post", "article"))
_CONTENT_CUM = _cumulative([0.45, 0.35, 0.20])
_CASE_STUDY = _props(content="case_study")
_PAGES = tuple(_props(page=p) for p in ("catalog", "product", "blog"))
_MAGNETS = tuple(
    _props(magnet=m) for m in ("protein-recipes-ebook", "office-snack-checklist", "training-plan")
)
_TRIAL_KINDS = ("sample", "tasting", "trial_pack")
_IDENTIFYING = frozenset({"lead_magnet", "callback_request", "consultation"})
_SCORE_PROPS = tuple(_props(score=str(s)) for s in range(11))
_TIER_PROPS = {tier: _props(tier=tier) for tier in ("silver", "gold")}
_TOPICS = tuple(
    _props(topic=x) for x in ("delivery", "taste", "packaging", "expiry_date", "payment")
)
_BY = {by: _props(by=by) for by in ("company", "customer")}
_WINBACK = tuple(_props(offer=o) for o in ("bonus", "free_delivery", "discount"))
_REWARDED = {True: _props(rewarded="true"), False: _props(rewarded="false")}


# --- tables -------------------------------------------------------------------------------


def _utc_offsets_us(start: date, days: int) -> np.ndarray:
    """Asia/Almaty's UTC offset at local noon of each day, in microseconds."""
    tz = ZoneInfo(TIME_ZONE)
    return np.array(
        [
            int(
                datetime.combine(start + timedelta(days=d), datetime.min.time())
                .replace(hour=12, tzinfo=tz)
                .utcoffset()
                .total_seconds()
            )
            * 1_000_000
            for d in range(days)
        ],
        dtype=np.int64,
    )


def _money(whole_tenge: pa.Array) -> pa.Array:
    """Whole KZT as decimal(18,4) (through decimal(38,4): int64 needs 19 digits)."""
    return whole_tenge.cast(pa.decimal128(38, 4)).cast(MONEY)


def _events_table(rows: list[tuple], start: date, days: int, tag: str) -> pa.Table:
    if rows:
        t_col, cid, event, channel, campaign, revenue, referrer, props = zip(*rows)
    else:
        t_col = cid = event = channel = campaign = revenue = referrer = props = ()
    t = np.asarray(t_col, dtype=np.float64)
    keep = (t >= 0) & (t < days)
    day = np.floor(t).astype(np.int64)
    frac = t - day
    day_us = DAY_HOURS * 3600 * 1_000_000
    local_us = DAY_START_HOUR * 3600 * 1_000_000 + np.minimum(
        np.floor(frac * day_us).astype(np.int64), day_us - 1
    )
    epoch_us = (start - date(1970, 1, 1)).days * 86_400_000_000
    offsets = _utc_offsets_us(start, days)
    ts = epoch_us + day * 86_400_000_000 + local_us - offsets[np.clip(day, 0, days - 1)]

    idx = np.flatnonzero(keep)
    order = idx[np.argsort(ts[idx], kind="stable")]
    n = len(order)
    rev = _money(pa.array(revenue, type=pa.int64()))
    cur = pa.array([CURRENCY if v is not None else None for v in revenue], type=pa.string())
    table = pa.Table.from_arrays(
        [
            pa.array([""] * len(t), type=pa.string()),  # placeholder, filled after sorting
            pa.array(cid, type=pa.string()),
            pa.array(ts, type=pa.timestamp("us")),
            pa.array(event, type=pa.string()),
            pa.array(channel, type=pa.string()),
            pa.array(campaign, type=pa.string()),
            rev,
            cur,
            pa.array(referrer, type=pa.string()),
            pa.array(props, type=pa.string()),
        ],
        schema=EVENTS.schema,
    ).take(pa.array(order, type=pa.int64()))
    event_id = pa.array([f"{tag}-{k:08d}" for k in range(n)], type=pa.string())
    return table.set_column(0, EVENTS.schema.field("event_id"), event_id)


def _spend_table(sim: _Simulation, seed: int, tag: str) -> pa.Table:
    """Daily spend per paid channel and campaign, proportional to the expected reach; one row
    per day with a positive amount, plus the winback offers' cost on ``mobile``/``winback``."""
    days = sim.days
    weights = np.asarray(sim.day_weights(), dtype=np.float64)
    reach = sim.n * weights / weights.sum()  # expected people reached per day
    noise = np.random.default_rng([seed, 2026]).normal(
        0.0, SPEND_NOISE, size=(sum(len(c.campaigns) for c in CHANNELS), days)
    )
    dates, channels, campaigns, amounts = [], [], [], []
    row = 0
    all_days = np.arange(days)
    for ch in CHANNELS:
        for camp, share, _ in ch.campaigns:
            amount = np.round(ch.cost * reach * ch.share * share * np.exp(noise[row])).astype(
                np.int64
            )
            row += 1
            dates.append(all_days)
            channels.extend([ch.name] * days)
            campaigns.extend([camp] * days)
            amounts.append(amount)
    offers = np.bincount(np.floor(np.asarray(sim.winbacks)).astype(np.int64), minlength=days)[:days]
    wb_days = np.flatnonzero(offers)
    dates.append(wb_days)
    channels.extend(["mobile"] * len(wb_days))
    campaigns.extend([WINBACK_CAMPAIGN] * len(wb_days))
    amounts.append(offers[wb_days].astype(np.int64) * WINBACK_COST)

    amount = np.concatenate(amounts)
    positive = amount > 0
    day_index = np.concatenate(dates).astype(np.int32)[positive]
    channels = [c for c, keep in zip(channels, positive) if keep]
    campaigns = [c for c, keep in zip(campaigns, positive) if keep]
    amount = amount[positive]
    epoch_day = (sim.start - date(1970, 1, 1)).days
    n = len(day_index)
    day_arr = pa.array(day_index + epoch_day, type=pa.int32()).cast(pa.date32())
    table = pa.Table.from_arrays(
        [
            pa.array([f"{tag}-s{k:06d}" for k in range(n)], type=pa.string()),
            day_arr,
            pa.array(channels, type=pa.string()),
            pa.array(campaigns, type=pa.string()),
            _money(pa.array(amount, type=pa.int64())),
            pa.array([CURRENCY] * n, type=pa.string()),
        ],
        schema=SPEND.schema,
    )
    # sorted by date, then channel, then campaign (spend_id follows the generation order)
    order = np.lexsort((np.asarray(campaigns), np.asarray(channels), day_index))
    table = table.take(pa.array(order, type=pa.int64()))
    return table.set_column(
        0,
        SPEND.schema.field("spend_id"),
        pa.array([f"{tag}-s{k:06d}" for k in range(n)], type=pa.string()),
    )
