"""Time the browse library on the real graph: entity pages and the whole static site.

    .venv/bin/python benchmarks/browse.py                 # 3 site builds, 50 page renders each
    .venv/bin/python benchmarks/browse.py --site-runs 1 --page-runs 20 --json

Measures, in one process on the shipped graph (``mmdgraph.load()``, not timed):

* ``entity_page("id:FRA")`` cold (the first page: it also reads the per-store context of
  labels, types, dates and sources) and warm (median, p90 and max over ``--page-runs``);
  likewise a meeting (``id:mc-2008-paris``, with claims and gaps) and a source (the flyer);
* ``site(out_dir)`` into a temporary folder, ``--site-runs`` times (the first also builds the
  context), with the split the site reports (entity queries, HTML, RDF, writing files,
  indexes), the number of files and the folder's size.

Targets (issue #11): ``entity_page`` < 100 ms, ``site`` < 30 s. A benchmark, not a test: it
prints the numbers (docs/browse.md records them) and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _pages(store, iri: str, runs: int) -> dict:
    from mmdgraph.browse import entity_page

    times = []
    for _ in range(runs):
        t = time.perf_counter()
        entity_page(iri, store)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site-runs", type=int, default=3)
    ap.add_argument("--page-runs", type=int, default=50)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)

    import mmdgraph
    from mmdgraph.browse import entity_page, site

    t = time.perf_counter()
    store = mmdgraph.load()
    load_s = time.perf_counter() - t

    out: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_s": round(load_s, 2),
        "quads": len(store),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    t = time.perf_counter()
    entity_page("id:FRA", store)
    out["entity_page_FRA_cold_ms"] = round((time.perf_counter() - t) * 1000, 1)
    out["entity_page_FRA"] = _pages(store, "id:FRA", args.page_runs)
    out["entity_page_mc-2008-paris"] = _pages(store, "id:mc-2008-paris", args.page_runs)
    out["entity_page_flyer_source"] = _pages(store, "src:flyer-activities-2015-2017", args.page_runs)

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "site"
        for _ in range(args.site_runs):
            counts = site(target, store)
            runs.append(counts)
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    out["site_seconds"] = [r["seconds"] for r in runs]
    out["site_timings_last"] = runs[-1]["timings"]
    out["site_entities"] = runs[-1]["entities"]
    out["site_files"] = runs[-1]["files"]
    out["site_megabytes"] = round(size / 1e6, 1)

    if args.json:
        print(json.dumps(out, indent=1))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
