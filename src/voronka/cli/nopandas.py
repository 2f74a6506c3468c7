"""pyarrow without pandas in a ``voronka`` process: about 0.3 s less for a command on DuckDB.

pyarrow imports pandas the first time it converts a Python value or a NumPy array either way
(``pa.scalar``, ``pa.array``, ``Array.to_numpy``), only to recognise pandas' own objects
(``pd.NA``, ``NaT``, ``Timestamp``) among the values, and asks once per process: its
``_PandasAPIShim`` and its C++ ``InitPandasStaticData`` each remember an import that failed.
`arrow_without_pandas` lets that first import fail, so a command that never makes a pandas
object (every command on DuckDB: voronka itself uses pandas only where a caller hands it a
``DataFrame``) gives the same results without importing it. pandas stays importable, and
``to_pandas()`` still works (pyarrow imports it then); what is lost is pyarrow recognising
``pd.NA`` or ``NaT`` among Python objects it converts later in the process. So only the
``voronka`` program does this (`ENABLED`, set by ``voronka.cli.main``), never the library or
a test process, and not for Spark, whose client uses pandas.
"""

from __future__ import annotations

import sys

ENABLED = False
"""Set by ``voronka.cli.main`` (the ``voronka`` program); a ``CliRunner`` in tests leaves it off."""


class _Refuse:
    """A finder on ``sys.meta_path`` (a ``MetaPathFinder`` by its method) refusing pandas."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ImportError("pandas is not imported by this voronka command")
        return None


def arrow_without_pandas() -> None:
    """If `ENABLED` and pandas is not imported yet: make pyarrow's one attempt to import it
    fail, then let ``import pandas`` work again."""
    if not ENABLED or "pandas" in sys.modules:
        return
    refuse = _Refuse()
    sys.meta_path.insert(0, refuse)
    try:
        import numpy as np
        import pyarrow as pa

        pa.array(np.zeros(1, np.int8)).to_numpy()  # the shim's attempt, then the C++ one
    finally:
        sys.meta_path.remove(refuse)
