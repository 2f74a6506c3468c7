"""Fixtures for the report tests: engine-shaped result tables (see _data.py)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from ._data import make_histogram, make_steps, make_trend


@pytest.fixture
def steps() -> pa.Table:
    return make_steps("ru")


@pytest.fixture
def steps_by_channel() -> pa.Table:
    return make_steps("ru", breakdown=True)


@pytest.fixture
def histogram() -> pa.Table:
    return make_histogram()


@pytest.fixture
def trend() -> pa.Table:
    return make_trend("ru")
