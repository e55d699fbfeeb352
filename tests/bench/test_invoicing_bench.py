"""The benchmark runs and reports every figure."""

from __future__ import annotations

from bench.invoicing import run_bench


def test_run_bench_reports_positive_figures() -> None:
    figures = run_bench(3)
    assert figures["n"] == 3
    for key in ("split_number_per_s", "xml_render_ms", "xml_validate_ms", "pdf_fallback_ms"):
        assert figures[key] > 0, key
    assert figures["pdf_cjk_ms"] > 0 or figures["pdf_cjk_ms"] == -1
