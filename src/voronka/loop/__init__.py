"""The loop after the purchase: purchase occasions, repeat purchases, retention, lifecycle,
customers drifting away, and RFM loyalty segments (definitions: docs/loop.md).

    compute_loop(engine, timezone="Asia/Almaty") -> LoopResults   # every analysis at once
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from voronka.engines import Engine
from voronka.loop.drift import (
    OverdueDefinition,
    OverdueResult,
    WinbackDefinition,
    WinbackResult,
    overdue_customers,
    winback,
)
from voronka.loop.lifecycle import LifecycleDefinition, lifecycle
from voronka.loop.occasions import PURCHASE, currencies, occasions_sql, prepare_occasions
from voronka.loop.repeat import RepeatDefinition, RepeatResult, repeat_purchases
from voronka.loop.retention import RetentionDefinition, RetentionResult, retention
from voronka.loop.rfm import RFMResult, RfmDefinition, rfm


@dataclass(frozen=True)
class LoopResults:
    """The loop analyses of one dataset (any may be None); ``currency`` labels money (None:
    no purchase has a currency)."""

    repeat: RepeatResult | None = None
    retention: RetentionResult | None = None
    lifecycle: pa.Table | None = None
    rfm: RFMResult | None = None
    overdue: OverdueResult | None = None
    winback: WinbackResult | None = None
    currency: str | None = None


def compute_loop(engine: Engine, *, timezone: str = "UTC", as_of: dt.datetime | None = None, lang: str = "en",
                 retention_period: str = "month", lifecycle_period: str = "month",
                 currency: str | None = None) -> LoopResults:
    """Every loop analysis with its defaults, for a report. Without ``currency``, money is
    that of the one currency of the purchases (RFM refuses several, as on its own)."""
    common = {"timezone": timezone, "as_of": as_of}
    label = currency
    if label is None:
        found = currencies(engine, prepare_occasions(engine, **common))
        label = found[0] if len(found) == 1 else None
    return LoopResults(
        repeat=repeat_purchases(engine, **common),
        retention=retention(engine, period=retention_period, **common),
        lifecycle=lifecycle(engine, period=lifecycle_period, **common),
        rfm=rfm(engine, lang=lang, currency=currency, **common),
        overdue=overdue_customers(engine, lang=lang, **common),
        winback=winback(engine, **common),
        currency=label,
    )


__all__ = [
    "PURCHASE",
    "LifecycleDefinition",
    "LoopResults",
    "OverdueDefinition",
    "OverdueResult",
    "RFMResult",
    "RepeatDefinition",
    "RepeatResult",
    "RetentionDefinition",
    "RetentionResult",
    "RfmDefinition",
    "WinbackDefinition",
    "WinbackResult",
    "compute_loop",
    "lifecycle",
    "occasions_sql",
    "overdue_customers",
    "repeat_purchases",
    "retention",
    "rfm",
    "winback",
]
