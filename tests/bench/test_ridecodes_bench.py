"""The ride-code benchmark runs and reports the payload's size."""

from __future__ import annotations

from bench.ridecodes import run_bench


def test_run_bench_reports_rates_and_the_payload_size() -> None:
    figures = run_bench(20)
    assert figures["verifications_per_s_new_certificate"] > 0
    assert figures["verifications_per_s_known_certificate"] > 0
    assert figures["code_bytes_rider_8_chars"] == 203
    assert figures["code_base64url_chars"] == 271
