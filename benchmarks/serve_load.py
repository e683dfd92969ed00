"""Load test for ``mmdgraph serve``: concurrent clients on loopback, bounded in time.

    .venv/bin/python benchmarks/serve_load.py                  # 20 clients, 60 s, 2 runaways, starts its own server
    .venv/bin/python benchmarks/serve_load.py --clients 40 --seconds 30 --runaways 0
    .venv/bin/python benchmarks/serve_load.py --url http://127.0.0.1:7878/query

Each client loops over the canned queries (example parameters bound), POSTing each and
timing it, until the time is up. Meanwhile ``--runaways`` more clients (2 by default) send a
runaway query (a four-way cross product that no engine finishes) again and again, the whole
time, without waiting, each with a new text (so that none is refused as a query stopped
before): the server must stop each at its deadline (504) or, when the
long-query slots are taken, after ``--short`` seconds (503 + Retry-After), while the other
clients keep being answered. Prints the number of requests and errors (of the ordinary
clients), throughput, latency percentiles (p50/p90/p99/max) and what the runaways got;
exits 1 if an ordinary client got an error or a runaway got anything but 503/504.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def canned_texts() -> list[str]:
    """The canned queries with their example parameters bound (as the serve page offers them)."""
    import mmdgraph
    from mmdgraph.endpoint import bind_values
    from mmdgraph.queries import bindings_for, catalogue

    store = mmdgraph.load()
    return [bind_values(q.text, bindings_for(q, q.example, store)) if q.params else q.text for q in catalogue()]


def ask(url: str, query: str, timeout: float = 60.0) -> tuple[int, float, int]:
    """POST one query; returns (HTTP status or 0 for a failure below HTTP, seconds, bytes)."""
    data = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(url, data=data, headers={"Accept": "application/sparql-results+json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
            return resp.status, time.perf_counter() - start, len(body)
    except urllib.error.HTTPError as err:
        err.read()
        return err.code, time.perf_counter() - start, 0
    except OSError:
        return 0, time.perf_counter() - start, 0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def run_load(
    url: str,
    clients: int = 20,
    seconds: float = 60.0,
    queries: list[str] | None = None,
    runaway: bool = True,
    runaways: int = 2,
) -> dict:
    """Drive ``clients`` threads against ``url`` for ``seconds``, with ``runaways`` clients
    sending runaway queries the whole time (none if ``runaway`` is False); returns the figures."""
    queries = queries or canned_texts()
    runaways = runaways if runaway else 0
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    runaway_statuses: dict[int, int] = {}
    runaway_seconds: list[float] = []

    def client(i: int) -> None:
        n = i
        while time.monotonic() < stop_at:
            status, elapsed, size = ask(url, queries[n % len(queries)])
            n += 1
            with lock:
                if status == 200 and size > 0:
                    latencies.append(elapsed)
                else:
                    errors.append(f"status {status} after {elapsed:.2f} s")

    def runaway_client(i: int) -> None:
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            # A new text each time (a numbered comment): the server does not recognise it as a
            # query it stopped before, so every one of them really runs (the worst case).
            status, elapsed, _ = ask(url, f"{RUNAWAY} # runaway {i}.{n}", timeout=seconds + 60)
            with lock:
                runaway_statuses[status] = runaway_statuses.get(status, 0) + 1
                runaway_seconds.append(elapsed)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    threads += [threading.Thread(target=runaway_client, args=(i,)) for i in range(runaways)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    figures = {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "error_samples": errors[:5],
        "throughput_per_s": round(len(latencies) / wall, 1),
        "latency_ms": {p: round(1000 * percentile(latencies, q), 1) for p, q in (("p50", 50), ("p90", 90), ("p99", 99))}
        | {"max": round(1000 * max(latencies), 1) if latencies else None},
    }
    if runaways:
        figures["runaways"] = {
            "clients": runaways,
            "sent": sum(runaway_statuses.values()),
            "statuses": {str(k): v for k, v in sorted(runaway_statuses.items())},
            "seconds_p50": round(percentile(runaway_seconds, 50), 2),
            "seconds_max": round(max(runaway_seconds), 2) if runaway_seconds else None,
        }
    return figures


def start_server(timeout: float, workers: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``mmdgraph serve`` on a free loopback port; returns the process and its query URL."""
    exe = Path(sys.executable).with_name("mmdgraph")
    extra = ["--workers", str(workers)] if workers else []
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", "0", "--timeout", str(timeout), *extra], stderr=subprocess.PIPE, text=True
    )
    for line in proc.stderr:
        m = re.search(r"listening on (http://\S+/query)", line)
        if m:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc, m.group(1)
    raise RuntimeError(f"mmdgraph serve exited with {proc.wait()}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", help="query URL of a running server (default: start mmdgraph serve)")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--runaways", type=int, default=2, help="clients sending runaway queries the whole time (default 2)")
    p.add_argument("--timeout", type=float, default=10.0, help="the server's deadline when this script starts it")
    p.add_argument("--workers", type=int, help="the server's workers when this script starts it (default: its own)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    proc = None
    url = args.url
    if not url:
        proc, url = start_server(args.timeout, args.workers)
    try:
        figures = run_load(url, args.clients, args.seconds, runaways=args.runaways)
    finally:
        if proc is not None:
            proc.terminate()  # our own child, by its pid
            proc.wait(30)
    figures["machine"] = (
        f"{platform.machine()}, {platform.system()} {platform.release()}, {__import__('os').cpu_count()} CPUs, Python {platform.python_version()}"
    )
    figures["load_average"] = [round(x, 2) for x in __import__("os").getloadavg()]
    figures["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        lat = figures["latency_ms"]
        print(f"{figures['clients']} clients for {figures['seconds']} s on {url}")
        print(f"requests {figures['requests']}, errors {figures['errors']}, {figures['throughput_per_s']} answers/s")
        print(f"latency ms: p50 {lat['p50']}  p90 {lat['p90']}  p99 {lat['p99']}  max {lat['max']}")
        if "runaways" in figures:
            r = figures["runaways"]
            print(
                f"runaways: {r['clients']} clients sent {r['sent']}: statuses {r['statuses']}; p50 {r['seconds_p50']} s, max {r['seconds_max']} s"
            )
        print(f"{figures['machine']}; load average {figures['load_average']}; {figures['date']}")
    ok = figures["errors"] == 0 and all(k in ("503", "504") for k in figures.get("runaways", {}).get("statuses", {}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
