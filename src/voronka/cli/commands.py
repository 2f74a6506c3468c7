"""The commands of ``voronka`` and the module of each, loaded only when one runs.

``voronka --help`` lists the commands from `COMMANDS` without importing them (and with them
DuckDB, Arrow and the analyses); running a command, or asking for its own help, imports its
module, which registers it on the typer app. ``tests/cli/test_commands.py`` checks that this
table and the registered commands agree.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
from typer.core import TyperGroup

# name → (module under voronka.cli, the first paragraph of its help), in the order of `--help`
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("ingest", 'Load FILE... into the store (or --engine): all of them, or (on an error) none.'),
    "optimize": ("ingest", 'Sort a copy of the store\'s events in funnel order, so funnels on a large store read no more than their steps.'),
    "demo": ("demo", 'Generate seeded demo data, load it into a fresh store, print the hourglass, write the report.'),
    "funnel": ("funnel", 'Compute a funnel: customers per step, conversion, drop-off, time to convert.'),
    "customers": ("funnel", "Where does each customer sit? Current stage, time in it, and the playbook's next action."),
    "repeat": ("loop", 'Repeat purchases: repeat-purchase rate, purchases per customer, days between purchases.'),
    "retention": ("loop", 'Cohort retention by first-purchase period: cohorts as rows, k = 0, 1, 2… as columns.'),
    "lifecycle": ("loop", 'Per period: new, returning, resurrecting and dormant customers (dormant as a positive count).'),
    "overdue": ("loop", "Customers overdue against their own usual gap or the population's, with the playbook action."),
    "winback": ("loop", 'Did customers who got a win-back offer come back more often than those who did not?'),
    "rfm": ("loop", 'RFM scores 1–5 and segments: sizes and revenue, or the customers of one segment.'),
    "clv": ("value", 'Lifetime value: BG/NBD expected purchases and P(alive), Gamma-Gamma spend, discounted CLV.'),
    "referrals": ("value", "Referrals: tree and generations, K-factor, viral cycle time, promoters' commission."),
    "complaints": ("value", 'Distance: share of customers with a complaint, steps and time to resolution, what followed.'),
    "touches": ("paths", 'Touches before conversion: how many, how many channels, and conversion by touch count.'),
    "paths": ("paths", 'Customer paths: top paths to conversion and to drop-off, or the steps around an event.'),
    "channels": ("paths", 'Channels by stage: who brings customers into each stage, how each converts onward, and where the data disagrees with the recommended channels.'),
    "attribution": ("attribution", 'Which channels get credit for conversions and revenue, under every attribution model side by side.'),
    "diagnose": ("diagnose", 'Where the funnel loses customers: conversion per transition and segment with 95% intervals, the cells significantly worse than the rest (BH-adjusted), ranked by what they cost.'),
    "whatif": ("diagnose", 'What if a stage converted better: extra customers at every later stage and extra revenue.'),
    "plan": ("diagnose", 'The backwards plan: how many contacts, meetings, ... each seller needs per working day to reach a target. With typed-in --rates no data is needed. Volumes are rounded up.'),
    "money": ("money", 'Channel economics: spend, leads, new customers, CPL, CPA, revenue, ROMI, ROI, payback.'),
    "planfact": ("money", 'Plan versus fact per month and channel: spend, leads, sales, deviation, % of plan.'),
    "deals": ("money", 'The CRM deals funnel: stage conversion, time in stage, stuck deals, win rate.'),
    "report": ("report", 'Write the full report: the funnel (default: the hourglass), weak links and plan, paths, attribution, money, retention, value; analyses the data cannot support are listed with the reason.'),
    "serve": ("serve", "Collect events over HTTP (POST /v1/events; PostHog's /capture/, /batch/, /e/) and serve the dashboard (GET /) of the store."),
    "scan": ("explore", 'What changed, where and when: every transition and event volume per segment and period, level shifts tested against the rest, one BH correction, ranked by what they cost.'),
    "transitions": ("explore", 'How units move between events: the transition and step matrices, the loops that send them back before converting (ranked by conversions lost), two segments side by side.'),
    "profile": ("explore", 'What the events hold: the event vocabulary (new, rare, spiked events), properties and their coverage, days and gaps, identity, sessions, repeats, out-of-order and future times.'),
    "models": ("models", 'Stage models: AIDA, the cluster funnel, the customer journey, the hourglass, ...'),
    "keys": ("keys", 'API keys of the server: write keys (capture) and read keys (dashboard, API).'),
}


class LazyCommands(TyperGroup):
    """The top-level group: lists `COMMANDS` from the table; imports a command's module the
    first time that command is resolved (run, or asked for its help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in COMMANDS:  # a stand-in with the help line, for the list in --help
            return click.Command(cmd_name, help=COMMANDS[cmd_name][1])
        return None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] in COMMANDS and args[0] not in self.commands:
            self.commands[args[0]] = load(args[0])
        return super().resolve_command(ctx, args)


def load(name: str) -> click.Command:
    """The real command ``name``: its module imported (registering it), the group rebuilt."""
    import typer

    from voronka.cli.app import app

    importlib.import_module(f"voronka.cli.{COMMANDS[name][0]}")
    return typer.main.get_group(app).commands[name]
