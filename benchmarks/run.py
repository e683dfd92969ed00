"""Benchmark mmdgraph on synthetic dialogue graphs: the embedded default against rdflib.

    .venv/bin/python benchmarks/run.py                      # 10k, 100k, 1m; 10m embedded only if generated
    .venv/bin/python benchmarks/run.py --sizes 10k --limit 30 --repeat 1   # a quick look

For each size it measures, each in a fresh process (so peak memory is per engine):

* load: pyoxigraph's own ``Store.load`` of the file, ``mmdgraph.load`` (the embedded default:
  ontology, date derivation, merged default graph), and rdflib's ``Dataset.parse``;
* every canned query with its example parameters: ``mmdgraph.query`` on the embedded store,
  pyoxigraph's raw ``Store.query`` of the same text and bindings on the same store (rows
  materialised), and ``mmdgraph.query`` on ``RdflibStore``; answers compared row for row;
* full validation (shapes and QC queries) with pySHACL and with pyshacl-turbo;
* every export format, on the embedded store and with rdflib's serialisers;
* every network view (``mmdgraph.network``), on both stores;

and the CLI's cold start for one canned query on the real graph (hyperfine if installed).
Ratios compare figures of the same run. Every rdflib and pySHACL measurement is bounded by
``--limit`` seconds and reported as "> limit" past it. This is a benchmark, not a test: it
prints numbers and writes them to ``benchmarks/results/<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
SIZES = ("10k", "100k", "1m", "10m")
EXPORT_FORMATS = ("turtle", "ntriples", "xml", "trig", "nquads", "jsonld")
RDFLIB_FORMATS = {
    "turtle": "turtle",
    "ntriples": "nt",
    "xml": "xml",
    "trig": "trig",
    "nquads": "nquads",
    "jsonld": "json-ld",
}
CLI_QUERY = ["query", "chairs-by-theme", "--format", "csv"]
GRACE = 30  # seconds a child gets beyond --limit before it is stopped


# --- helpers used in child processes ---------------------------------------------------------------


class Timeout(Exception):
    pass


def _alarm(seconds: float):
    """Raise Timeout in this (main) thread after ``seconds``; 0 cancels."""

    def handler(signum, frame):
        raise Timeout()

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, max(0.0, seconds))


def timed(fn, limit: float | None = None):
    """(seconds, result) of fn(), or (None, None) past ``limit`` seconds."""
    if limit:
        _alarm(limit)
    t = time.perf_counter()
    try:
        result = fn()
    except Timeout:
        return None, None
    finally:
        if limit:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - t, result


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def digest(rows) -> str:
    """An order-sensitive hash of result rows (cells as N-Triples terms)."""
    h = hashlib.sha1()
    for row in rows:
        h.update(("\t".join("" if t is None else str(t) for t in row) + "\n").encode())
    return h.hexdigest()[:12]


def example_params(q, store) -> dict:
    """The query's example parameters; an example entity missing from a small synthetic graph is
    replaced by the first meeting (by IRI), so the query still has something to answer."""
    params = dict(q.example)
    for p in q.params:
        if p.type == "entity" and p.name in params:
            from mmdgraph.queries import UsageError, bind_value

            try:
                bind_value(p, params[p.name], store)
            except UsageError:
                rows = store.select(
                    "SELECT ?m WHERE { ?m a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
                    "<https://w3id.org/mmdgraph/ontology#Meeting> } ORDER BY STR(?m) LIMIT 1"
                ).rows
                params[p.name] = rows[0][0].value
    return params


def _median(values):
    return statistics.median(values) if values else None


# --- child tasks: each prints one JSON object ----------------------------------------------------


def child_load(engine: str, path: str) -> dict:
    if engine == "pyoxigraph":
        import pyoxigraph as ox

        def run():
            st = ox.Store()
            st.load(path=path, format=ox.RdfFormat.TRIG)
            return len(st)

    elif engine == "embedded":
        import mmdgraph

        def run():
            return len(mmdgraph.load([path]))

    else:
        import rdflib

        def run():
            ds = rdflib.Dataset(default_union=True)
            ds.parse(path, format="trig")
            return len(ds)

    seconds, size = timed(run)
    return {"s": seconds, "peak_mb": peak_mb(), "quads": size}


def _stores(engine: str, path: str, limit: float):
    """The embedded store, and for rdflib its copy in RdflibStore (build time bounded)."""
    import mmdgraph
    from mmdgraph.store import RdflibStore

    emb = mmdgraph.load([path])
    if engine != "rdflib":
        return emb, emb, None
    seconds, ref = timed(lambda: RdflibStore.from_embedded(emb), 5 * limit)
    return emb, ref, seconds


def query_specs() -> list[tuple[str, str]]:
    """(label, name) of every canned query."""
    from mmdgraph.queries import catalogue

    specs = [(q.name, q.name) for q in catalogue()]
    return specs


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def child_queries(engine: str, path: str, repeat: int, limit: float, only: list[str]) -> None:
    """One JSON line when the stores are ready, then per query a "start", a "first" and a
    result line (so the parent can stop a query that runs too long and go on without it)."""
    import pyoxigraph as ox

    import mmdgraph
    from mmdgraph.queries import bindings_for, find

    emb, st, build = _stores(engine, path, limit)
    emit({"ready": True, "build_s": build})
    if st is None:
        return
    for label, spec in query_specs():
        if only and label not in only:
            continue
        q = find(spec)
        params = example_params(q, emb)
        emit({"start": label})
        rec = {"query": label, "params": params}
        times = []
        for i in range(repeat):
            seconds, res = timed(
                lambda spec=spec, params=params: mmdgraph.query(spec, params, store=st),
                limit if engine == "rdflib" else None,
            )
            if i == 0:
                emit({"first": label, "s": seconds})
            if seconds is None:
                break
            times.append(seconds)
        rec["s"] = _median(times)
        if times:
            rec["rows"], rec["digest"] = len(res.rows), digest(res.rows)
        if engine == "embedded":
            # pyoxigraph's own time for the same text and bound terms, every row materialised.
            bindings = {ox.Variable(k): v for k, v in bindings_for(q, params, emb).items()}

            def raw(q=q, bindings=bindings):
                sols = emb.ox.query(q.text, substitutions=bindings or None)
                variables = sols.variables
                return [tuple(s[v] for v in variables) for s in sols]

            raw_times = []
            for _ in range(repeat):
                seconds, rows = timed(raw)
                raw_times.append(seconds)
            rec["pyoxigraph_s"] = _median(raw_times)
            rec["pyoxigraph_digest"] = digest(rows)
        emit(rec)
    emit({"done": True, "peak_mb": peak_mb()})


def child_validate(engine: str, path: str, limit: float) -> dict:
    import mmdgraph

    store = mmdgraph.load([path])
    seconds, report = timed(
        lambda: mmdgraph.validate(store, engine=engine), limit if engine == "pyshacl" else 5 * limit
    )
    out = {"s": seconds, "peak_mb": peak_mb()}
    if report is not None:
        out.update(conforms=report.conforms, violations=len(report.violations), triples=report.checked)
    return out


def child_export(engine: str, path: str, limit: float, skip: list[str]) -> dict:
    import mmdgraph

    emb, st, build = _stores(engine, path, limit)
    out = {"build_s": build, "formats": {}}
    if st is None:
        return out
    for fmt in EXPORT_FORMATS:
        if fmt in skip:
            out["formats"][fmt] = {"s": None, "skipped": True}
            continue
        if engine == "embedded":
            seconds, data = timed(lambda fmt=fmt: mmdgraph.export(fmt, store=emb), 5 * limit)
        else:
            ds = st.dataset
            if fmt in ("turtle", "ntriples", "xml"):  # triple formats: the union of the graphs
                import rdflib

                union = rdflib.Graph()
                for t in ds.triples((None, None, None)):
                    union.add(t)
                target = union
            else:
                target = ds
            seconds, data = timed(
                lambda target=target, fmt=fmt: target.serialize(format=RDFLIB_FORMATS[fmt], encoding="utf-8"), limit
            )
        out["formats"][fmt] = {"s": seconds, "bytes": None if data is None else len(data)}
    out["peak_mb"] = peak_mb()
    return out


def child_network(engine: str, path: str, limit: float, skip: list[str]) -> dict:
    try:
        from mmdgraph.network import VIEWS, network
    except ImportError as err:
        return {"missing": str(err)}
    emb, st, build = _stores(engine, path, limit)
    out = {"build_s": build, "views": {}}
    if st is None:
        return out
    for view in VIEWS:
        if view in skip:
            out["views"][view] = {"s": None, "skipped": True}
            continue
        seconds, G = timed(lambda view=view: network(view, store=st), limit if engine == "rdflib" else 5 * limit)
        out["views"][view] = {
            "s": seconds,
            "nodes": None if G is None else G.number_of_nodes(),
            "edges": None if G is None else G.number_of_edges(),
        }
    out["peak_mb"] = peak_mb()
    return out


def child_main(argv: list[str]) -> None:
    task, engine, path, *rest = argv
    if task == "load":
        out = child_load(engine, path)
    elif task == "queries":
        child_queries(engine, path, int(rest[0]), float(rest[1]), rest[2:])
        return
    elif task == "validate":
        out = child_validate(engine, path, float(rest[0]))
    elif task == "export":
        out = child_export(engine, path, float(rest[0]), rest[1:])
    elif task == "network":
        out = child_network(engine, path, float(rest[0]), rest[1:])
    else:
        raise SystemExit(f"unknown task {task}")
    print(json.dumps(out))


# --- the parent: runs children, prints tables, writes JSON --------------------------------------------


def run_child(args: list[str], timeout: float) -> dict:
    """Run one child task; {"timeout": True} if it outlives ``timeout`` seconds."""
    proc = subprocess.Popen(
        [PY, str(Path(__file__).resolve()), "--child", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"timeout": True}
    if proc.returncode != 0:
        return {"error": err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}"}
    return json.loads(out.strip().splitlines()[-1])


def run_queries(engine: str, path: Path, repeat: int, limit: float, skip: set[str] = frozenset()) -> dict:
    """Run the queries child. A query still running ``limit`` seconds after it started (or
    after its first run, for the repeats) is stopped and reported as a timeout; the child is
    then started again for the queries after it."""
    import queue
    import threading

    out: dict = {"queries": {label: {"s": None, "timeout": True, "skipped": True} for label in sorted(skip)}}
    labels = [label for label, _ in query_specs()]
    todo = [label for label in labels if label not in skip] if skip else []  # empty: all
    while True:
        args = [
            PY,
            str(Path(__file__).resolve()),
            "--child",
            "queries",
            engine,
            str(path),
            str(repeat),
            str(limit),
            *todo,
        ]
        with tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True, cwd=ROOT
            )
            lines: queue.Queue = queue.Queue()
            threading.Thread(
                target=lambda lines=lines, proc=proc: [lines.put(x) for x in proc.stdout] + [lines.put(None)],
                daemon=True,
            ).start()
            deadline, current, timed_out, done = 3600.0, None, False, False
            try:
                while (line := lines.get(timeout=deadline)) is not None:
                    rec = json.loads(line)
                    if "ready" in rec:
                        out.setdefault("build_s", rec["build_s"])
                    elif "start" in rec:
                        current, deadline = rec["start"], limit + GRACE
                    elif "first" in rec:
                        deadline = (rec["s"] or 0) * 2 * repeat + limit + GRACE
                    elif "done" in rec:
                        out["peak_mb"], done = rec["peak_mb"], True
                    else:
                        out["queries"][rec.pop("query")] = rec
                        current, deadline = None, limit + GRACE
            except queue.Empty:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            err.seek(0)
            last_error = (err.read().strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        if current is None:
            if not done:
                out["error"] = last_error
            return out
        out["queries"][current] = {"s": None, "timeout": True} if timed_out else {"s": None, "error": last_error}
        todo = [label for label in labels if label not in out["queries"]]
        if not todo:
            return out


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from importlib.metadata import version

    versions = {}
    for pkg in ("pyoxigraph", "rdflib", "pyshacl", "pyshacl-turbo", "networkx", "PyLD"):
        try:
            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "load_average": os.getloadavg(),
        "versions": versions,
    }


def cli_cold_start(runs: int) -> dict:
    """`mmdgraph query chairs-by-theme --format csv` on the real graph, and the same through rdflib."""
    exe = str(Path(PY).with_name("mmdgraph"))
    rdflib_cmd = [
        PY,
        "-c",
        "import mmdgraph; from mmdgraph.store import RdflibStore; "
        "print(mmdgraph.query('chairs-by-theme', store=RdflibStore.from_embedded(mmdgraph.load())).to_csv())",
    ]
    out = {}
    for name, cmd in (("embedded", [exe, *CLI_QUERY]), ("rdflib", rdflib_cmd)):
        if shutil.which("hyperfine"):
            with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
                subprocess.run(
                    [
                        "hyperfine",
                        "--warmup",
                        "2",
                        "--runs",
                        str(runs),
                        "--style",
                        "none",
                        "-N",
                        "--export-json",
                        tmp.name,
                        shlex.join(cmd),
                    ],
                    check=True,
                    capture_output=True,
                    cwd=ROOT,
                )
                res = json.loads(Path(tmp.name).read_text())["results"][0]
            out[name] = {"median_s": res["median"], "min_s": res["min"], "runs": runs, "tool": "hyperfine"}
        else:
            times = []
            for _ in range(runs + 2):
                t = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
                times.append(time.perf_counter() - t)
            times = times[2:]
            out[name] = {
                "median_s": statistics.median(times),
                "min_s": min(times),
                "runs": runs,
                "tool": "perf_counter",
            }
    return out


def ensure_data(size: str, seed: int) -> Path:
    sys.path.insert(0, str(HERE))
    import generate

    path = generate.data_file(size, seed)
    if not path.exists():
        print(f"generating {path.name} ...", file=sys.stderr)
        generate.write(size, seed)
    return path


def over_limit(records: dict) -> set[str]:
    """The items of a task's records that ran out of time (to skip at the next, larger size)."""
    return {
        k
        for k, v in records.items()
        if isinstance(v, dict) and v.get("s") is None and (v.get("timeout") or v.get("skipped") or "error" not in v)
    }


def bench_size(size: str, path: Path, args, embedded_only: bool, over: dict) -> dict:
    """Measure one size. ``over`` remembers, across sizes, what ran out of time on rdflib or
    pySHACL: a larger graph skips it (reported as over the limit) instead of waiting again."""
    limit = args.limit
    engines = ("embedded",) if embedded_only else ("embedded", "rdflib")
    res: dict = {"file": str(path.relative_to(ROOT)), "bytes": path.stat().st_size}
    say = lambda msg: print(f"[{size}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    # Load: separate processes, median of --repeat.
    res["load"] = {}
    for engine in ("pyoxigraph", *engines):
        samples = []
        for _ in range(1 if engine == "rdflib" or size == "10m" else args.repeat):
            say(f"load {engine}")
            r = run_child(["load", engine, str(path)], limit if engine == "rdflib" else 3600)
            samples.append(r)
            if "s" not in r or r["s"] is None:
                break
        ok = [r for r in samples if r.get("s") is not None]
        res["load"][engine] = {
            "s": _median([r["s"] for r in ok]),
            "peak_mb": max((r["peak_mb"] for r in ok), default=None),
            "quads": ok[0]["quads"] if ok else None,
            "samples": len(ok),
            "timeout": any(r.get("timeout") for r in samples),
        }
    res["triples"] = res["load"]["pyoxigraph"]["quads"]
    # Queries.
    res["queries"] = {}
    for engine in engines:
        say(f"queries {engine}")
        skip = over.get(("queries", engine), set()) if engine == "rdflib" else set()
        # rdflib: one sample per query (its times dwarf the noise; three would triple the wait).
        repeat = 1 if size == "10m" or engine == "rdflib" else args.repeat
        res["queries"][engine] = r = run_queries(engine, path, repeat, limit, skip)
        if engine == "rdflib":
            over[("queries", engine)] = over_limit(r["queries"])
    if embedded_only:  # 10M: load and queries only
        return res
    # Validation.
    res["validation"] = {}
    for engine in ("turbo", "pyshacl"):
        if ("validate", engine) in over:
            res["validation"][engine] = {"s": None, "skipped": True}
            continue
        say(f"validate {engine}")
        res["validation"][engine] = r = run_child(["validate", engine, str(path), str(limit)], 6 * limit + 1800)
        if r.get("s") is None and engine == "pyshacl":
            over[("validate", engine)] = True
    if args.skip_exports:
        return res
    # Exports and network views.
    for task, key in (("export", "formats"), ("network", "views")):
        res[task] = {}
        for engine in engines:
            say(f"{task} {engine}")
            skip = sorted(over.get((task, engine), set())) if engine == "rdflib" else []
            res[task][engine] = r = run_child([task, engine, str(path), str(limit), *skip], 40 * limit + 3600)
            if engine == "rdflib":
                over[(task, engine)] = over_limit(r.get(key, {}))
    return res


# --- reporting ---------------------------------------------------------------------------------------


def fmt_s(value) -> str:
    return "-" if value is None else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def cell(rec: dict | None, bound: float) -> str:
    """A time, or why there is none: over its bound (``*``: skipped, it was over at a smaller size)."""
    if not rec:
        return "-"
    if rec.get("s") is not None:
        return fmt_s(rec["s"])
    if rec.get("error"):
        return "error"
    return f"> {bound:g}" + ("*" if rec.get("skipped") else "")


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def tables(results: dict) -> str:
    """Markdown tables of the results (seconds; ``> N``: stopped after N s)."""
    limit = results["limit_s"]
    lines = []
    for size, res in results["sizes"].items():
        lines += [f"\n### {size}: {res.get('triples') or '?'} triples ({res['bytes'] / 1e6:.1f} MB TriG)\n"]
        ld = res["load"]
        lines += ["| load | seconds | peak RSS MB | / pyoxigraph Store.load |", "|---|---|---|---|"]
        for engine, lo in ld.items():
            lines.append(
                f"| {engine} | {cell(lo, limit)} | {lo['peak_mb'] or 0:.0f} | {ratio(lo['s'], ld['pyoxigraph']['s'])} |"
            )
        q = res["queries"]
        emb, ref = q.get("embedded", {}).get("queries", {}), q.get("rdflib", {}).get("queries")
        lines += [
            "",
            "| query | rows | mmdgraph embedded | pyoxigraph raw | embedded / raw | rdflib | rdflib / embedded | same rows |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, e in emb.items():
            r = (ref or {}).get(name, {})
            same = (
                "-"
                if ref is None or r.get("digest") is None or e.get("digest") is None
                else ("yes" if r["digest"] == e["digest"] else "NO")
            )
            if e.get("digest") != e.get("pyoxigraph_digest"):
                same += " (raw differs)"
            lines.append(
                f"| {name} | {e.get('rows', '-')} | {cell(e, limit)} | {fmt_s(e.get('pyoxigraph_s'))} | "
                f"{ratio(e.get('s'), e.get('pyoxigraph_s'))} | {'-' if ref is None else cell(r, limit)} | "
                f"{ratio(r.get('s'), e.get('s'))} | {same} |"
            )
        if "rdflib" in q:
            lines.append(
                f"\nRdflibStore built from the embedded store in {cell({'s': q['rdflib'].get('build_s')}, 5 * limit)} s. "
                f"Peak RSS of the query processes: embedded {q['embedded'].get('peak_mb') or 0:.0f} MB, "
                f"rdflib {q['rdflib'].get('peak_mb') or 0:.0f} MB."
            )
        v = res.get("validation")
        if v:
            lines += [
                "",
                "| validation (shapes + QC) | seconds | violations | peak RSS MB | / turbo |",
                "|---|---|---|---|---|",
            ]
            bounds = {"pyshacl": limit, "turbo": 5 * limit}
            for engine, r in v.items():
                lines.append(
                    f"| {engine} | {cell(r, bounds[engine])} | {r.get('violations', '-')} | {r.get('peak_mb') or 0:.0f} | "
                    f"{ratio(r.get('s'), v.get('turbo', {}).get('s'))} |"
                )
        for task, key in (("export", "formats"), ("network", "views")):
            if task not in res:
                continue
            t = res[task]
            e, r = t.get("embedded", {}), t.get("rdflib")
            if "missing" in e:
                lines.append(f"\n{task}: skipped ({e['missing']})")
                continue
            lines += ["", f"| {task} | embedded | rdflib | rdflib / embedded |", "|---|---|---|---|"]
            for item, er in e.get(key, {}).items():
                rr = (r or {}).get(key, {}).get(item, {})
                lines.append(
                    f"| {item} | {cell(er, 5 * limit)} | {'-' if r is None else cell(rr, limit)} | {ratio(rr.get('s'), er.get('s'))} |"
                )
    cli = results.get("cli")
    if cli:
        lines += [
            "\n### CLI cold start on the real graph: `mmdgraph query chairs-by-theme --format csv`\n",
            "| engine | median s | min s | runs | tool |",
            "|---|---|---|---|---|",
        ]
        for engine, r in cli.items():
            lines.append(f"| {engine} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['runs']} | {r['tool']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child_main(argv[1:])
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", choices=SIZES, default=["10k", "100k", "1m"])
    p.add_argument(
        "--embedded-only",
        nargs="*",
        choices=SIZES,
        default=["10m"],
        help="sizes measured on the embedded engine only (default: 10m, if its data file exists)",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeat", type=int, default=3, help="samples per measurement (median)")
    p.add_argument("--limit", type=float, default=120, help="seconds allowed to each rdflib or pySHACL measurement")
    p.add_argument("--cli-runs", type=int, default=20)
    p.add_argument("--skip-exports", action="store_true", help="skip exports and network views")
    p.add_argument("--json", type=Path, help="write results here (default: benchmarks/results/<date>.json)")
    p.add_argument("--markdown", type=Path, help="also write the tables here")
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE))
    import generate

    results = {
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "limit_s": args.limit,
        "repeat": args.repeat,
        "seed": args.seed,
        "sizes": {},
    }
    results["cli"] = cli_cold_start(args.cli_runs)
    over: dict = {}
    for size in list(args.sizes) + [s for s in args.embedded_only if s not in args.sizes]:
        embedded_only = size in args.embedded_only and size not in args.sizes
        path = generate.data_file(size, args.seed)
        if embedded_only and not path.exists():
            print(f"[{size}] skipped: {path} not generated (benchmarks/generate.py {size})", file=sys.stderr)
            continue
        results["sizes"][size] = bench_size(size, ensure_data(size, args.seed), args, embedded_only, over)
    results["machine"]["load_average_after"] = os.getloadavg()
    text = tables(results)
    print(text)
    out = args.json or HERE / "results" / f"{_dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    os.replace(tmp, out)
    print(f"wrote {out}", file=sys.stderr)
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
