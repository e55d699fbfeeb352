"""The bad-input corpus: HTTP inputs (corpus_http), then Redis, files and the public log
(corpus_edge), against one running system."""

from __future__ import annotations

import time
from typing import Any

from ridecodes.demo import read_demo_phones
from securityaudit.corpus_edge import (
    check_file_modes,
    check_public_log,
    check_redis,
    retitle_to_individual,
)
from securityaudit.corpus_http import EdgeContext, run_http_corpus
from securityaudit.outcome import GroupResult
from securityaudit.system import AuditedSystem

__all__ = ["run_corpus"]

_RIDERS = 12  # the corpus's own riders, from the end of the demo list


def run_corpus(system: AuditedSystem) -> GroupResult:
    result = GroupResult("corpus")
    credentials: dict[str, Any] = system.credentials()
    phones = read_demo_phones(system.var_dir / "demo-phones.tsv")
    riders = [r for r in credentials["riders"] if r["id"] in phones]
    own = riders[-_RIDERS:]
    gates = [d for d in credentials["devices"] if d["kind"] == "gate"]
    other_gate = next(g for g in gates if g["station"] != gates[0]["station"])
    meter = next(d for d in credentials["devices"] if d["kind"] == "meter")
    operator = credentials["operators"][0]
    invoiced = next((r for r in riders if retitle_to_individual(system.url, r) is not None), None)
    if invoiced is None:
        result.fail("setup: no rider had an invoice to re-title to an individual buyer")
    context = EdgeContext(
        base_url=system.url,
        rider_token=own[0]["token"],
        tax_token=credentials["tax_bureau"]["token"],
        handsets=[phones[r["id"]].handset() for r in own],
        gate=gates[0],
        other_gate=other_gate,
        meter=meter,
        operator_id=operator["operator"],
        operator_token=operator["token"],
    )
    run_http_corpus(context, result)
    check_redis(system.url, system.redis_url(), system.pids("redis"), own[-1], meter, result)
    check_file_modes(system.var_dir, result)
    time.sleep(2)  # the re-title's record is sealed with the next block
    check_public_log(system.url, [r["id"] for r in credentials["riders"]], result)
    return result
