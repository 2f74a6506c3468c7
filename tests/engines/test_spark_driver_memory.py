"""Local Spark's driver heap: 2g by default, ``VORONKA_SPARK_DRIVER_MEMORY`` for another
(read in a fresh interpreter, as the setting is read when voronka's Spark module loads)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = "from voronka.engines.spark import LOCAL_CONF; print(LOCAL_CONF['spark.driver.memory'])"


@pytest.mark.parametrize(("value", "expected"), [(None, "2g"), ("8g", "8g")])
def test_the_local_driver_heap_is_set_by_the_environment(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "VORONKA_SPARK_DRIVER_MEMORY"}
    if value is not None:
        env["VORONKA_SPARK_DRIVER_MEMORY"] = value
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == expected
