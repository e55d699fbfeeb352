"""The command's surface: registered as a plugin, and its options checked before any work."""

from __future__ import annotations

from importlib.metadata import entry_points

from typer.testing import CliRunner

from securityaudit.cli import app
from securityaudit.run import GROUPS, AuditPlan


def test_the_command_is_a_farechain_plugin() -> None:
    plugins = {p.name: p.value for p in entry_points(group="farechain.commands")}
    assert plugins["audit-security"] == "securityaudit.cli:app"


def test_an_unknown_group_or_both_lengths_are_refused_before_a_system_starts() -> None:
    unknown = CliRunner().invoke(app, ["--only", "nope"])
    assert unknown.exit_code == 2
    assert "unknown group ['nope']" in unknown.output
    both = CliRunner().invoke(app, ["--short", "--full"])
    assert both.exit_code == 2


def test_the_full_run_asks_more_of_every_group_than_the_short_one() -> None:
    short, full = AuditPlan.short(), AuditPlan.full()
    assert full.fuzz.max_examples > short.fuzz.max_examples
    assert full.fuzz.every_role and not short.fuzz.every_role
    assert full.chaos.recover_limit_s >= short.chaos.recover_limit_s
    assert full.tamper_every_column and not short.tamper_every_column
    assert GROUPS == ("chaos", "access", "corpus", "schemathesis", "tamper")
