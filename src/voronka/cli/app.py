"""The typer application, the shared options, and the error policy of the CLI."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional, TypeVar

import click
import typer
from typer.exceptions import TyperException
from rich.console import Console
from rich.markup import escape

from voronka.cli.commands import LazyCommands
from voronka.errors import VoronkaError

if TYPE_CHECKING:
    from voronka.rules import StepRule

app = typer.Typer(
    cls=LazyCommands,
    name="voronka",
    help="Customer-journey and sales-funnel analytics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

DEFAULT_STORE = "voronka.duckdb"


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Lang(str, Enum):
    en = "en"
    ru = "ru"
    kk = "kk"


StoreOption = Annotated[
    Path,
    typer.Option(
        "--store",
        envvar="VORONKA_STORE",
        help="The DuckDB store file (one file per workspace).",
        show_default=True,
    ),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="How to print results.")
]
LangOption = Annotated[Lang, typer.Option("--lang", help="Language of labels.")]
TzOption = Annotated[str, typer.Option("--tz", help="Time zone of calendar days and periods, e.g. Asia/Almaty.")]
AsOfOption = Annotated[Optional[dt.datetime], typer.Option("--as-of", help="'Now' (UTC); default: the latest event.")]
ReportOption = Annotated[Optional[Path], typer.Option("--report", help="Also write a self-contained HTML report here.")]
PurchaseOption = Annotated[str, typer.Option("--purchase", help="Purchase events: a|b (or a,b).")]


def event_rule(text: str, option: str) -> StepRule:
    """``a|b`` (or ``a,b``) from a command line → the rule matching those events."""
    from voronka.rules import StepRule

    events = [e.strip() for e in re.split(r"[|,]", text) if e.strip()]
    if not events:
        raise typer.BadParameter(f"{option} needs at least one event name")
    return StepRule(events=events)


F = TypeVar("F", bound=Callable[..., Any])


DEBUG = False
"""``voronka --debug``: an unexpected exception prints its traceback (else one line)."""


@app.callback()
def _global(debug: Annotated[bool, typer.Option("--debug", help="Print the traceback of an internal error.")]
            = False) -> None:
    global DEBUG
    DEBUG = debug


def user_errors(func: F) -> F:
    """Turn a ``VoronkaError`` into ``error: ...`` on stderr and exit code 1; any other exception
    into ``error: internal error ...`` (exit 1), its traceback only with ``--debug``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except VoronkaError as exc:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            sys.exit(130)
        except (typer.Exit, typer.Abort, TyperException, click.exceptions.ClickException):
            raise
        except Exception as exc:
            if DEBUG:
                raise
            first = escape((str(exc).splitlines() or [""])[0][:200])
            err_console.print(f"[red]error:[/red] internal error ({type(exc).__name__}: {first}); "
                              "rerun with --debug for the traceback", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def option_bundle(param: str, options: dict[str, tuple[Any, Any]],
                  make: Callable[[dict[str, Any]], Any], *, shared: tuple[str, ...] = ()) -> Callable[[F], F]:
    """A decorator adding ``options`` (name → (``Annotated`` typer option, default)) to a
    command, declared once for every command that shares them; the command receives
    ``make(values)`` as its parameter ``param`` instead. An option named in ``shared`` that
    the command declares itself (same parameter name) is not added: the command's own value
    is handed to ``make`` too."""
    prefix = param + "_"

    def decorate(func: F) -> F:
        signature = inspect.signature(func, eval_str=True)
        mine = {name for name in shared if name in signature.parameters}
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for n, p in signature.parameters.items() if n != param]
        added = [inspect.Parameter(prefix + name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                   annotation=annotation) for name, (annotation, default) in options.items()
                 if name not in mine]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs[name] if name in mine else kwargs.pop(prefix + name) for name in options}
            return func(*args, **{param: make(values)}, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
