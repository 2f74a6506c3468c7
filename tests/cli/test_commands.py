"""The lazily loaded commands: the table `COMMANDS` lists every command with the help its
module gives it, in order, and ``voronka --help`` imports none of the heavy libraries."""

from __future__ import annotations

import importlib
import subprocess
import sys

import typer
from typer.testing import CliRunner

from voronka.cli import app
from voronka.cli.commands import COMMANDS


def _registered() -> dict[str, str]:
    for module in {module for module, _ in COMMANDS.values()}:
        importlib.import_module(f"voronka.cli.{module}")
    group = typer.main.get_group(app)
    return {name: " ".join((command.help or "").split("\n\n")[0].split())
            for name, command in group.commands.items()}


def test_the_table_lists_every_registered_command_with_its_help():
    assert {name: text for name, (_, text) in COMMANDS.items()} == _registered()


def test_each_command_lives_in_the_module_the_table_names():
    _registered()
    commands = typer.main.get_group(app).commands
    for name, (module, _) in COMMANDS.items():
        callback = commands[name].callback
        if callback is not None:  # a group (models, keys) has none
            assert callback.__module__ == f"voronka.cli.{module}", name


def test_help_lists_the_commands_without_importing_the_engines():
    code = ("import sys\nfrom voronka.cli import main\nsys.argv = ['voronka', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('duckdb', 'pyarrow', 'pandas', 'numpy', 'pydantic') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"}).stdout
    assert "LOADED []" in out
    for name in COMMANDS:
        assert f" {name} " in out


def test_a_command_and_its_own_help_load_on_demand():
    runner = CliRunner()
    result = runner.invoke(app, ["plan", "--help"])
    assert result.exit_code == 0 and "--target" in result.output
    result = runner.invoke(app, ["models", "list", "--format", "json"])
    assert result.exit_code == 0 and "hourglass" in result.output
    result = runner.invoke(app, ["nosuchcommand"])
    assert result.exit_code == 2 and "No such command" in result.output
