"""``voronka models``: list, show and copy the stage models (built-in or YAML files)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from voronka.cli.app import FormatOption, Lang, LangOption, OutputFormat, app, console, user_errors
from voronka.cli.output import emit
from voronka.stage_models import builtin_models, copy_model, load_model

models_app = typer.Typer(
    help="Stage models: AIDA, the cluster funnel, the customer journey, the hourglass, ...",
    no_args_is_help=True,
)
app.add_typer(models_app, name="models")


@models_app.command("list")
@user_errors
def list_models(fmt: FormatOption = OutputFormat.table, lang: LangOption = Lang.en) -> None:
    """List the built-in models: name, number of stages and title."""
    models = [load_model(name) for name in builtin_models()]
    table = pa.table(
        {
            "name": pa.array([m.key for m in models], pa.string()),
            "stages": pa.array([len(m.stages) for m in models], pa.int64()),
            "title": pa.array([m.title.get(lang.value) for m in models], pa.string()),
        }
    )
    emit(table, fmt, title="Built-in stage models" if fmt is OutputFormat.table else None)


@models_app.command("show")
@user_errors
def show_model(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME|PATH", help="A built-in model (see `voronka models list`) or a YAML file."
        ),
    ],
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = Lang.en,
) -> None:
    """Show a model's stages: label, the events that put a customer there, channels, an action."""
    model = load_model(name)
    stages = model.stages
    table = pa.table(
        {
            "position": pa.array(range(1, len(stages) + 1), pa.int64()),
            "key": pa.array([s.key for s in stages], pa.string()),
            "label": pa.array([s.label(lang.value) for s in stages], pa.string()),
            "rule": pa.array([s.rule.describe() for s in stages], pa.string()),
            "optional": pa.array([s.optional for s in stages], pa.bool_()),
            "channels": pa.array([",".join(s.playbook.channels) for s in stages], pa.string()),
            "action": pa.array(
                [next(iter(s.playbook.actions.get(lang.value)), None) for s in stages], pa.string()
            ),
        }
    )
    if fmt is OutputFormat.table:
        table = table.drop_columns(["optional"]).set_column(
            2,
            "label",
            pa.array([s.label(lang.value) + (" (optional)" if s.optional else "") for s in stages]),
        )
        emit(table, fmt, title=f"{model.title.get(lang.value)} ({model.key})")
        console.print(model.description.get(lang.value), highlight=False)
    else:
        emit(table, fmt)


@models_app.command("new")
@user_errors
def new_model(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The new model's name; writes NAME.yaml.")
    ],
    source: Annotated[
        str, typer.Option("--from", help="The model to copy: a built-in name or a YAML file.")
    ],
    directory: Annotated[Path, typer.Option("--dir", help="Where to write NAME.yaml.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Copy a model to NAME.yaml to edit (its rules, labels, playbook); refuses to overwrite."""
    path = copy_model(source, name, directory, force=force)
    console.print(
        f"wrote {path}: edit it, then use it as `{path}`", highlight=False, soft_wrap=True
    )
