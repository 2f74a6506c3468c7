"""Spark: a cluster (``spark://host:7077``), Spark Connect (``sc://host:15002``) or local.

Runs voronka's DuckDB SQL transpiled by ``engines.dialect`` to Spark SQL. Data moves as
Arrow both ways (``createDataFrame`` from an Arrow table, ``toArrow``), never through
pandas row by row. The session runs in UTC with ``TIMESTAMP`` meaning
``TIMESTAMP_NTZ`` (wall-clock UTC, as voronka's timestamps are).

Each engine works in its own ``newSession()`` of one SparkSession, so temporary views
(the events, the materialised units) of two engines never meet.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pyarrow as pa

from voronka.engines.arrow import normalise
from voronka.engines.dialect import to_dialect
from voronka.schema import Table, duckdb_type

CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}

DRIVER_MEMORY = "VORONKA_SPARK_DRIVER_MEMORY"
"""The driver's heap in local mode (default ``2g``; e.g. ``8g`` for the hourglass on 10M
events): read when the first local session starts, as Spark reads it only then."""

LOCAL_CONF = {
    **CONF,
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": os.environ.get(DRIVER_MEMORY, "2g"),
    "spark.sql.ansi.enabled": "true",
    # voronka keeps only temporary views: no spark-warehouse folder in the current directory
    "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / "voronka-spark-warehouse"),
}


def spark_session(url: str = "local[2]") -> Any:
    """A SparkSession for ``url``: ``sc://...`` (Spark Connect), ``spark://...``, ``local[n]``.

    Without the Spark client (``voronka[spark]``) it is a ``StoreError`` saying how to install it."""
    try:
        from pyspark.sql import SparkSession

        if url.startswith("sc://"):
            from pyspark.sql.connect.utils import check_dependencies

            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
                check_dependencies()
    except ImportError as exc:
        from voronka.errors import StoreError

        raise StoreError(f"{url}: the Spark client is not installed ({exc}); "
                         "install it with: pip install 'voronka[spark]'") from None
    builder = SparkSession.builder.appName("voronka")
    if url.startswith("sc://"):
        builder = builder.remote(url)
        conf = CONF
    else:
        builder = builder.master(url)
        conf = LOCAL_CONF if url.startswith("local") else CONF
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkEngine:
    """Runs voronka's SQL on Spark."""

    dialect = "spark"

    def __init__(self, spark: Any, *, isolated: bool = True) -> None:
        self.spark = spark.newSession() if isolated and hasattr(spark, "newSession") else spark
        # Spark Connect frees a checkpointed frame's server-side copy when its Python object
        # goes: the frames behind materialised views are kept here, one per name
        self._kept: dict[str, Any] = {}
        for key, value in CONF.items():
            self.spark.conf.set(key, value)

    @classmethod
    def connect(cls, url: str) -> SparkEngine:
        return cls(spark_session(url), isolated=False)

    def query(self, sql: str) -> pa.Table:
        with warnings.catch_warnings():  # results come back as Arrow, not through pandas
            warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
            return normalise(self.spark.sql(to_dialect(sql, "spark")).toArrow())

    def materialize(self, name: str, sql: str) -> None:
        frame = self.spark.sql(to_dialect(sql, "spark"))
        frame = frame.localCheckpoint(eager=True) if hasattr(frame, "localCheckpoint") else frame.cache()
        frame.createOrReplaceTempView(name)
        self._kept[name] = frame

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(to_dialect(sql, "spark")).createOrReplaceTempView(name)

    def has_table(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def load(self, table: Table, data: pa.Table, name: str | None = None) -> None:
        """A temporary view ``name`` (default: the canonical name) over ``data``."""
        from pyspark.sql import types as T

        target = name or table.name
        if data.num_rows:
            with warnings.catch_warnings():  # data goes as Arrow, not through pandas
                warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
                frame = self.spark.createDataFrame(data)
        else:
            ddl = ", ".join(f"{f.name} {_spark_type(f.type)}" for f in table.schema)
            frame = self.spark.createDataFrame([], schema=T._parse_datatype_string(ddl))
        frame.createOrReplaceTempView(target)


    def append(self, table: Table, data: pa.Table, name: str, *, check_keys: bool = True) -> int:
        """Add to the catalog table ``name`` (created as Parquet if missing) the rows of
        ``data`` whose key (``table.key``) it does not hold yet; the number of rows added.

        ``data`` is validated and free of repeats already (the ingest pipeline); the new
        rows are those of an anti-join on the key (none if ``check_keys`` is false: the
        caller knows they are new), written with one append job."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
            frame = self.spark.createDataFrame(data) if data.num_rows else None
            if frame is None:
                return 0
            if not (check_keys and self.has_table(name)):
                frame.write.mode("append").format("parquet").saveAsTable(name)
                return data.num_rows
            frame = frame.join(self.spark.table(name).select(table.key), on=table.key, how="left_anti")
            new = frame.localCheckpoint(eager=True) if hasattr(frame, "localCheckpoint") else frame.cache()
            added = new.count()
            if added:
                new.write.mode("append").format("parquet").saveAsTable(name)
        return added


# Spark's name for each canonical column type (``schema.duckdb_type``); DECIMAL(p,s) is the same.
_SPARK_TYPES = {"VARCHAR": "string", "TIMESTAMP": "timestamp_ntz", "DATE": "date", "BIGINT": "bigint",
                "DOUBLE": "double"}


def _spark_type(t: pa.DataType) -> str:
    duck = duckdb_type(t)
    return _SPARK_TYPES.get(duck, duck.lower())


__all__ = ["SparkEngine", "spark_session"]
