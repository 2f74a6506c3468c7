"""The ``voronka`` command line (typer). An edge: the library never imports it.

Conventions every command follows:

* ``--help`` everywhere; ``--format table|json|csv`` on every command that prints results;
  ``--lang en|ru|kk`` for labels; ``--store PATH`` (or ``VORONKA_STORE``) for the store.
  ``VORONKA_MEMORY_LIMIT`` (``2GB``) caps DuckDB's memory; past it DuckDB spills to disk.
* Exit code 0 on success; 1 on a user error (a ``VoronkaError``), printed as one line
  ``error: ...`` on stderr with no traceback; 2 on bad usage (typer's own). Any other
  exception is one line too (``error: internal error ...``, exit 1); ``voronka --debug
  COMMAND`` prints its traceback instead.
"""

from __future__ import annotations

import os

from voronka.cli.app import app

# The commands are registered on ``app`` by their modules, imported when one runs
# (voronka.cli.commands).


def main() -> None:
    """The ``voronka`` program: a command on DuckDB runs without pandas (``cli/nopandas.py``),
    and pydantic looks for no plugins (its first model would read the entry points of every
    installed package: about 40 ms; ``PYDANTIC_DISABLE_PLUGINS`` set in the environment wins)."""
    from voronka.cli import nopandas

    nopandas.ENABLED = True
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()


__all__ = ["app", "main"]
