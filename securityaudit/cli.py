"""`farechain audit-security`: start a system, run every check group, print the table.

    farechain audit-security --short            # CI: about three minutes
    farechain audit-security --full             # more kills' patience, more fuzz cases
    farechain audit-security --only access --only corpus

Exit status 1 when any check failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Security audit: chaos, fuzz, access, bad input and tamper checks.")


@app.callback(invoke_without_command=True)
def audit_security(
    short: Annotated[bool, typer.Option("--short", help="the quick run CI makes")] = False,
    full: Annotated[bool, typer.Option("--full", help="the long run")] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="run only this group (repeatable)")
    ] = None,
    work_dir: Annotated[
        Path | None, typer.Option(help="where the audited system lives (default: a temp dir)")
    ] = None,
) -> None:
    """Start a system of its own and audit it; exit 1 on any failed check."""
    from securityaudit.run import GROUPS, AuditPlan, run_audit

    if short and full:
        raise typer.BadParameter("give --short or --full, not both")
    unknown = sorted(set(only or []) - set(GROUPS))
    if unknown:
        raise typer.BadParameter(f"unknown group {unknown}; expected some of {list(GROUPS)}")
    plan = AuditPlan.full() if full else AuditPlan.short()
    code = run_audit(plan, groups=list(only or GROUPS), work_dir=work_dir, echo=typer.echo)
    raise typer.Exit(code)
