"""The CDNOW sample that ``lifetimes`` ships (Fader & Hardie's 2,357 customers, 1997-01 to
1998-06), as voronka events: one ``purchase`` per line, revenue in USD."""

from __future__ import annotations

import datetime as dt
import decimal
import warnings
from pathlib import Path

import pyarrow as pa

from voronka.schema import EVENTS


def datasets() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes.datasets
    return Path(lifetimes.datasets.__file__).parent


def summary_csv() -> pa.Table:
    """Hardie's calibration summary: ID, x, t_x, T (weeks, 2 decimals), zbar (mean repeat spend)."""
    import pyarrow.csv as pacsv

    return pacsv.read_csv(datasets() / "cdnow_customers_summary_with_transactions.csv")


def events() -> pa.Table:
    """CDNOW_sample.txt: master id, sample id (the customer), date, quantity, amount."""
    rows = []
    for i, line in enumerate((datasets() / "CDNOW_sample.txt").read_text().splitlines()):
        _, customer, day, _, amount = line.split()
        rows.append({"event_id": str(i), "customer_id": f"{int(customer):04d}",
                     "ts": dt.datetime.strptime(day, "%Y%m%d"), "event": "purchase",
                     "revenue": decimal.Decimal(amount), "currency": "USD", "properties": "{}"})
    return pa.Table.from_pylist(rows, schema=EVENTS.schema)
