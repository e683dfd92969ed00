"""The command line: ``mmdgraph <verb>``, each verb a thin wrapper around the function of the same name.

Exit codes: 0 success, 1 the graph does not conform, 2 unreadable input, 3 bad usage
(unknown query, bad parameter, unsafe query), 4 a SPARQL endpoint or server failed.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import MmdgraphError, UsageError, ValidationFailed
from .export import JSONLD_CONTEXTS

EXIT_CODES = """exit codes:
  0  success            1  the graph does not conform    2  unreadable input (file:line) or unwritable output
  3  bad usage (unknown query, bad parameter, unsafe query)    4  SPARQL endpoint or server failed"""


def _out(text: str | bytes, output: str | None) -> None:
    """Print to stdout, or write atomically to ``output``."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if output:
        write_keeping_mode(output, data)
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()


def write_keeping_mode(path, data: bytes) -> None:
    """Write atomically (a temporary file beside, then a rename); a file replaced keeps its
    permission bits, a new one gets what a plain open() would give it."""
    import os
    import stat
    import tempfile
    from pathlib import Path

    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param wants NAME=VALUE, got {pair!r}")
        out[name] = value
    return out


# --- verbs -------------------------------------------------------------------------------------


def cmd_validate(args) -> int:
    from .validate import validate

    report = validate(files=args.paths or None, with_graph=args.with_graph or None, engine=args.engine)
    _out(json.dumps(report.to_dict(), indent=1) if args.format == "json" else report.text(), None)
    return 0 if report.conforms else 1


def cmd_queries(args) -> int:
    from .queries import queries

    cat = queries()
    if args.format == "json":
        _out(json.dumps(cat, indent=1, ensure_ascii=False), None)
        return 0
    lines = []
    for q in cat:
        params = ", ".join(
            f"{p['name']}:{p['type']}" + (f"={p['default']}" if p["default"] else "") for p in q["params"]
        )
        lines.append(f"{q['name']:<26} {q['title']}" + (f"  [{params}]" if params else ""))
    _out("\n".join(lines), None)
    return 0


def cmd_query(args) -> int:
    from .queries import query

    result = query(args.name, _params(args.param), endpoint=args.endpoint)
    _out(result.format(args.format), args.output)
    return 0


def cmd_export(args) -> int:
    from .export import export

    _out(export(args.format, context=args.context), args.output)
    return 0


def cmd_site(args) -> int:
    from .browse import site

    done = site(args.output)
    print(
        f"{args.output}: {done['entities']} entity pages, {done['files']} files in {done['seconds']} s; open {args.output}/index.html"
    )
    return 0


def cmd_tables(args) -> int:
    from .tables import tables

    print(tables(args.output, endpoint=args.endpoint))
    return 0


def cmd_build(args) -> int:
    from .build import build

    try:
        folder = build(args.out)
    except ValidationFailed as err:
        print(err.report.text(), file=sys.stderr)
        print("mmdgraph: build refused: the graph does not conform; nothing was written", file=sys.stderr)
        return 1
    print(folder)
    return 0


def cmd_stats(args) -> int:
    from .stats import format_stats, stats

    s = stats(endpoint=args.endpoint)
    _out(json.dumps(s, indent=1, ensure_ascii=False) if args.format == "json" else format_stats(s), None)
    return 0


def cmd_network(args) -> int:
    from .network import network

    result = network(
        args.view,
        format=None if args.measures else args.format,
        output=None if args.measures else args.output,
        start=args.start,
        end=args.end,
        measures=args.measures,
        endpoint=args.endpoint,
    )
    if args.measures:
        _out(result.format(args.table_format), args.output)
    elif args.output is None:
        _out(result, None)
    else:
        print(f"wrote {result}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from .serve import serve

    serve(
        host=args.host,
        port=args.port,
        timeout=args.timeout,
        max_rows=args.max_rows,
        cors=args.cors,
        workers=args.workers,
        max_bytes=args.max_bytes,
        max_memory_mb=args.max_memory,
        short=args.short,
        allow_hosts=args.allow_host or (),
    )
    return 0


def cmd_publish(args) -> int:
    from .publish import publish

    summary = publish(
        args.endpoint,
        graph=args.graph,
        auth=args.auth,
        store_url=args.store_url,
        update_url=args.update_url,
        timeout=args.timeout,
        source=args.source,
        retries=args.retries,
        force=args.force,
    )
    print(summary)
    return 0


# --- parser ----------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    top = argparse.ArgumentParser(
        prog="mmdgraph",
        description="An open knowledge graph of the Rabat Process and the Africa-EU Migration and Mobility Dialogue.",
        epilog=EXIT_CODES + "\n\nexample:\n  mmdgraph build && mmdgraph query chairs-by-theme --format csv",
        formatter_class=fmt,
    )
    top.add_argument("--version", action="version", version=f"mmdgraph {__import__('mmdgraph').__version__}")
    sub = top.add_subparsers(dest="verb", metavar="VERB")

    def verb(name, help, example, func):
        p = sub.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}", formatter_class=fmt)
        p.set_defaults(func=func)
        return p

    p = verb(
        "validate",
        "SHACL-validate the graph (or the given files) and run the QC queries.",
        "mmdgraph validate my-new-meetings.trig --with-graph",
        cmd_validate,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="RDF files to validate instead of the shipped graph")
    p.add_argument("--with-graph", action="store_true", help="validate the files on top of the shipped graph")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--engine",
        choices=["turbo", "pyshacl"],
        default="turbo",
        help="SHACL engine: pyshacl-turbo (default, fast) or pySHACL (the reference); same report",
    )

    p = verb("queries", "List the canned queries: name, title, parameters.", "mmdgraph queries", cmd_queries)
    p.add_argument("--format", choices=["table", "json"], default="table")

    p = verb(
        "query",
        "Run a canned query (by name) or a query file and print its rows.",
        "mmdgraph query meetings-in-country --param country=MLI --format csv",
        cmd_query,
    )
    p.add_argument("name", metavar="NAME|FILE.rq")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="a parameter value (repeatable)")
    p.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")
    p.add_argument("-o", "--output", metavar="PATH", help="write to PATH instead of stdout")
    p.add_argument("--endpoint", metavar="URL", help="run on a SPARQL 1.1 endpoint instead of the embedded store")

    p = verb(
        "export",
        "Write the whole graph in one RDF format (named-graph formats keep the provenance).",
        "mmdgraph export --format trig -o mmdgraph.trig",
        cmd_export,
    )
    p.add_argument("--format", choices=["turtle", "jsonld", "ntriples", "nquads", "trig", "xml"], default="turtle")
    p.add_argument("-o", "--output", metavar="PATH", help="write to PATH instead of stdout")
    p.add_argument(
        "--context",
        choices=list(JSONLD_CONTEXTS),
        default="embedded",
        help="JSON-LD only: embed the context (default; reads offline) or name the published one (remote)",
    )

    p = verb(
        "site",
        "Write the static site: a page per entity with its sources and quotes, indexes, search.",
        "mmdgraph site -o site/",
        cmd_site,
    )
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write (replaced atomically)")

    p = verb(
        "tables",
        "Write flat tables: one CSV per kind of thing and a SQLite database (mmdgraph.sqlite).",
        "mmdgraph tables -o tables/",
        cmd_tables,
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="the folder to write (empty, or an earlier run's)"
    )
    p.add_argument("--endpoint", metavar="URL", help="read the graph from a SPARQL 1.1 endpoint")

    p = verb(
        "build",
        "Validate, then write the release (all formats, context, VoID, docs, checksums).",
        "mmdgraph build --out dist",
        cmd_build,
    )
    p.add_argument(
        "--out", default="dist", metavar="DIR", help="parent folder of the versioned release (default: dist)"
    )

    p = verb("stats", "Counts per class and per source.", "mmdgraph stats", cmd_stats)
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--endpoint", metavar="URL", help="count on a SPARQL 1.1 endpoint")

    p = verb(
        "network",
        "Build a network view (participation, co-chair, governance, themes) for Gephi, D3 or a browser.",
        "mmdgraph network co-chair --format gexf -o co-chair.gexf",
        cmd_network,
    )
    p.add_argument("view", choices=["participation", "co-chair", "governance", "themes"])
    p.add_argument("--format", choices=["graphml", "gexf", "json", "html"], default="graphml")
    p.add_argument("-o", "--output", metavar="PATH")
    p.add_argument("--from", dest="start", metavar="DATE", help="only relationships from this day (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", metavar="DATE", help="only relationships up to this day (YYYY-MM-DD)")
    p.add_argument("--measures", action="store_true", help="print degree, betweenness and communities instead")
    p.add_argument(
        "--table-format", choices=["table", "csv", "tsv", "json"], default="table", help="format of --measures"
    )
    p.add_argument("--endpoint", metavar="URL", help="read the graph from a SPARQL 1.1 endpoint")

    p = verb(
        "serve",
        "Serve the graph read-only over the SPARQL 1.1 Protocol (loopback by default).",
        "mmdgraph serve --port 7878",
        cmd_serve,
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7878)
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="query deadline (default 10)")
    p.add_argument("--max-rows", type=int, default=10000, help="result-size cap (default 10000)")
    p.add_argument("--cors", action="store_true", help="allow cross-origin requests (off by default)")
    p.add_argument(
        "--allow-host",
        action="append",
        metavar="NAME",
        help="also answer requests whose Host header is NAME (repeatable; default: loopback names only)",
    )
    p.add_argument("--workers", type=int, help="query worker processes, at least 2 (default: CPUs, at least 3)")
    p.add_argument(
        "--max-bytes", type=int, default=16 << 20, metavar="BYTES", help="answer-size cap in bytes (default 16 MiB)"
    )
    p.add_argument(
        "--max-memory",
        type=int,
        default=1024,
        metavar="MIB",
        help="address space per worker in MiB, 0 for none (default 1024)",
    )
    p.add_argument(
        "--short",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="a query running longer needs a long-query slot; all workers but one have one (default 1)",
    )

    p = verb(
        "publish",
        "Load the release into a SPARQL 1.1 store (Graph Store Protocol), atomically.",
        "mmdgraph publish --endpoint http://127.0.0.1:7878/query   (Virtuoso: --endpoint http://HOST:8890/sparql --auth dba:PASSWORD)",
        cmd_publish,
    )
    p.add_argument("--endpoint", required=True, metavar="URL", help="the store's SPARQL query endpoint")
    p.add_argument(
        "--store-url",
        metavar="URL",
        help="its Graph Store Protocol endpoint (default: guessed from --endpoint; "
        "'' for none: load with SPARQL Update)",
    )
    p.add_argument("--update-url", metavar="URL", help="its SPARQL Update endpoint (default: guessed from --endpoint)")
    p.add_argument(
        "--graph",
        metavar="IRI",
        help="the graph receiving the merged copy readers use as default graph "
        "(default: https://w3id.org/mmdgraph/graph/merged); the source graphs keep their names",
    )
    p.add_argument(
        "--from",
        dest="source",
        metavar="PATH",
        help="publish a release folder (dist/<version>/) or an .nq/.trig file "
        "instead of the shipped graph (which is validated first)",
    )
    p.add_argument("--auth", metavar="USER:PASSWORD", help="HTTP credentials (Basic or Digest, as the server asks)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="per request (default 60)")
    p.add_argument(
        "--retries",
        type=int,
        default=3,
        help="retries per request on connection failures, timeouts, 502/503/504 (default 3)",
    )
    p.add_argument(
        "--force", action="store_true", help="send every graph, even those the store already holds unchanged"
    )
    return top


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not getattr(args, "func", None):
        p.print_help()
        return 3
    try:
        return args.func(args)
    except MmdgraphError as err:
        print(f"mmdgraph: error: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:  # the reader stopped (`| head`): not an error. Before OSError, its base.
        # Point stdout at /dev/null so that Python's final flush does not complain either.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # an output that cannot be written (a folder, a missing parent)
        where = f"{err.filename}: " if err.filename else ""
        print(f"mmdgraph: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
