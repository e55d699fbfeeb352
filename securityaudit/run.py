"""The audit's order of work: start a system, run the groups, stop it, tamper with a copy.

Chaos runs first (its load leaves trips and invoices for the others to use), then the
access matrix, the bad-input corpus and schemathesis against the same running system;
tamper runs last, on copies of the stopped system's database. A group that crashes is a
failure of that group, and the others still run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from loadtest.system import free_port
from securityaudit.chaos import ChaosOptions
from securityaudit.fuzz import FuzzPlan
from securityaudit.outcome import GroupResult, exit_status, render_report
from securityaudit.system import SystemBox, restart, start_audited_system

__all__ = ["GROUPS", "AuditPlan", "run_audit"]

GROUPS = ("chaos", "access", "corpus", "schemathesis", "tamper")


@dataclass(frozen=True)
class AuditPlan:
    name: str
    chaos: ChaosOptions = field(default_factory=ChaosOptions)
    fuzz: FuzzPlan = field(default_factory=FuzzPlan)
    tamper_every_column: bool = False
    riders: int = 200

    @classmethod
    def short(cls) -> AuditPlan:
        return cls("short")

    @classmethod
    def full(cls) -> AuditPlan:
        return cls(
            "full",
            # The load stays as light and short as the short run's (under 30 s on a
            # shared machine); the patience for each recovery is what grows.
            chaos=ChaosOptions(recover_limit_s=45.0),
            # ~70 operations x 6 roles x 2 modes x 10 cases: about 8,000 requests.
            fuzz=FuzzPlan(max_examples=10, every_role=True, negative=True),
            tamper_every_column=True,
            riders=1000,
        )


def run_audit(
    plan: AuditPlan,
    *,
    groups: list[str],
    work_dir: Path | None,
    echo: Callable[[str], None],
) -> int:
    began = time.monotonic()
    temporary = work_dir is None
    root = Path(tempfile.mkdtemp(prefix="farechain-audit-")) if work_dir is None else work_dir
    root.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or None
    echo(f"audit-security ({plan.name}): starting farechain up in {root}")
    box = SystemBox(
        start_audited_system(root, port=free_port(), database_url=database_url, riders=plan.riders)
    )
    results: list[GroupResult] = []
    try:
        for name in [g for g in GROUPS if g in groups and g != "tamper"]:
            results.append(_run_group(name, partial(_live_group, name, box, plan), echo))
    finally:
        box.system.stop()
    if "tamper" in groups:
        results.append(_run_group("tamper", lambda: _tamper(box, plan, database_url, root), echo))
    echo("")
    echo(render_report(results))
    echo(f"\n{time.monotonic() - began:.0f} s; system log: {box.system.log_path}")
    code = exit_status(results)
    if temporary and code == 0:
        shutil.rmtree(root, ignore_errors=True)
    return code


def _run_group(
    name: str, run: Callable[[], GroupResult], echo: Callable[[str], None]
) -> GroupResult:
    began = time.monotonic()
    echo(f"== {name}")
    try:
        result = run()
    except Exception as error:
        result = GroupResult(name)
        lines = traceback.format_exception_only(error)
        result.fail(f"the group crashed: {' '.join(lines).strip()}")
    result.note(f"took {time.monotonic() - began:.0f} s")
    return result


def _live_group(name: str, box: SystemBox, plan: AuditPlan) -> GroupResult:
    from securityaudit.access import run_access
    from securityaudit.chaos import run_chaos
    from securityaudit.corpus import run_corpus
    from securityaudit.fuzz import roles_from_credentials, run_fuzz

    if not box.system.alive:  # an earlier group left it down: start it again
        box.system = restart(box.system)
    system = box.system
    if name == "chaos":
        return run_chaos(box, plan.chaos)
    if name == "access":
        return run_access(system.url, system.credentials())
    if name == "corpus":
        return run_corpus(system)
    return run_fuzz(system.url, roles_from_credentials(system.credentials()), plan.fuzz)


def _tamper(box: SystemBox, plan: AuditPlan, database_url: str | None, root: Path) -> GroupResult:
    from securityaudit.tamper import run_tamper

    if database_url:
        result = GroupResult("tamper")
        result.skipped = "the tamper copies are SQLite files; run without DATABASE_URL"
        return result
    return run_tamper(
        box.system.sqlite_path, box.system.var_dir, root, every_column=plan.tamper_every_column
    )
