"""Throughput of public verification over HTTP, against a running server.

    python -m bench.invoice_api http://127.0.0.1:8000 5000 <tax bureau token> [threads]

Takes up to 500 invoices from the tax bureau's search, then sends `n` verification
requests (number, date, total and check code, as a QR code would) from `threads` client
threads with keep-alive connections, and prints requests per second, latency
percentiles and the count of each answer. The server's rate limits apply: serve the app
with `app.state.verify_limits` raised, or most answers will be 429s (counted as
`limited`, and still measured: refusing is work the server does too).
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlencode, urlsplit

__all__ = ["run_verification_bench"]

_SAMPLE = 500


def run_verification_bench(
    base_url: str, n: int, *, tax_token: str, threads: int = 8
) -> dict[str, float]:
    """Send `n` verifications; returns requests/s, p50/p99 ms and answer counts."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    paths = _verify_paths(host, port, tax_token)
    if not paths:
        raise RuntimeError("expected invoices to verify, got none from /v1/tax/invoices")
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client(worker: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        mine, counts = [], Counter[str]()
        for i in range(worker, n, threads):
            began = time.perf_counter()
            connection.request("GET", paths[i % len(paths)])
            response = connection.getresponse()
            body = response.read()
            mine.append(time.perf_counter() - began)
            if response.status == 200:
                counts["valid" if json.loads(body)["valid"] else "invalid"] += 1
            else:
                counts["limited" if response.status == 429 else "errors"] += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            outcomes.update(counts)

    workers = [threading.Thread(target=client, args=(w,)) for w in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "n": float(n),
        "threads": float(threads),
        "seconds": elapsed,
        "requests_per_s": n / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        **{kind: float(outcomes[kind]) for kind in ("valid", "invalid", "limited", "errors")},
    }


def _verify_paths(host: str, port: int, tax_token: str) -> list[str]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request(
        "GET",
        f"/v1/tax/invoices?limit={_SAMPLE}",
        headers={"Authorization": f"Bearer {tax_token}"},
    )
    response = connection.getresponse()
    page = json.loads(response.read())
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"expected 200 from the tax search, got {response.status}: {page}")
    return [
        "/v1/invoices/verify?"
        + urlencode(
            {
                "number": item["number"],
                "date": item["issue_date"],
                "total_fen": item["total_fen"],
                "check": item["check_code"][-6:],
            }
        )
        for item in page["items"]
    ]


if __name__ == "__main__":
    url, count, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 8
    print(
        json.dumps(run_verification_bench(url, count, tax_token=token, threads=workers), indent=2)
    )
