"""Regenerate the golden files: python tests/update_golden.py [QUERY-NAME ...]

- queries/<name>.expected.tsv: each canned query's result with its example parameters;
- queries/network/<name>.expected.tsv: each network view query's result for its example period
  (name one as network/<name>);
- the README's counts and query-catalogue blocks (between <!-- name:start --> and <!-- name:end -->).

These are generated, never edited by hand; tests fail when they drift. Review the diff before
committing it: a changed expected result is a changed answer.
"""

import re
import sys
from pathlib import Path

import mmdgraph
from mmdgraph.network.sparql import query_files
from mmdgraph.queries import catalogue, parse_query_file
from mmdgraph.stats import stats

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def readme_blocks(store) -> dict[str, str]:
    s = stats(store)
    counts = ["| what | count |", "|---|---:|"]
    counts += [f"| {c['name']} | {c['count']} |" for c in s["classes"]]
    counts += [f"| meetings: {m['label'].lower()} | {m['count']} |" for m in s["meeting_types"]]
    counts += [f"| meetings in the {m['decade']} | {m['count']} |" for m in s["meetings_by_decade"]]
    counts += [f"| states with a French name | {s['totals']['states with a French name']} |"]
    counts += [f"| statements in source graphs | {s['totals']['statements in source graphs']} |"]
    e = s["evidence"]
    counts += [
        f"| **records with their source's own words (evidence)** | **{e['with evidence']} of {e['records']} ({100 * e['share']:.1f}%)** |"
    ]
    cat = ["| query | the question it answers | parameters |", "|---|---|---|"]
    for q in catalogue():
        params = ", ".join(
            f"`{p.name}` ({p.type}" + (f", default {p.default})" if p.default else ")") for p in q.params
        )
        cat.append(f"| [`{q.name}`](queries/{q.name}.rq) | {q.question} | {params or '–'} |")
    return {"stats": "\n".join(counts), "queries": "\n".join(cat)}


def after_values(store) -> dict[str, str]:
    """The 'after' column of the README's before/after table of the record."""
    s = stats(store)
    count = {c["name"]: c["count"] for c in s["classes"]}
    decades = {m["decade"]: m["count"] for m in s["meetings_by_decade"]}
    e = s["evidence"]
    return {
        "evidence": f"{e['with evidence']} of {e['records']} ({100 * e['share']:.1f}%)",
        "meetings": str(count["meetings"]),
        "decades": " / ".join(str(decades.get(d, 0)) for d in ("2000s", "2010s", "2020s")),
        "recommendations": str(count["recommendations"]),
        "outcomes": str(count["outcome documents"]),
        "french": str(s["totals"]["states with a French name"]),
        "sources": str(count["sources"]),
        "claims": str(count["claims (disagreements kept)"]),
    }


def replace_after(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text, n = re.subn(
            rf"(<!-- after:{name} -->).*?(<!-- /after -->)",
            lambda m, value=value: m.group(1) + value + m.group(2),
            text,
        )
        if n != 1:
            raise SystemExit(f"README.md has no <!-- after:{name} --> value")
    return text


def replace_blocks(text: str, blocks: dict[str, str]) -> str:
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        text, n = pattern.subn(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
        if n != 1:
            raise SystemExit(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> block")
    return text


def update_network(store, names=None):
    """queries/network/<name>.expected.tsv: the network views' queries (not canned queries)."""
    for path in query_files():
        q = parse_query_file(path)
        if names and f"network/{q.name}" not in names:
            continue
        q.expected_path.write_text(mmdgraph.query(path, q.example, store=store).to_tsv(), encoding="utf-8")
        print(q.expected_path.relative_to(ROOT))


def update(names=None):
    store = mmdgraph.load()
    for q in catalogue():
        if names and q.name not in names:
            continue
        result = mmdgraph.query(q.name, q.example, store=store)
        q.expected_path.write_text(result.to_tsv(), encoding="utf-8")
        print(q.expected_path.relative_to(ROOT))
    update_network(store, names)
    if not names:
        text = replace_blocks(README.read_text(encoding="utf-8"), readme_blocks(store))
        README.write_text(replace_after(text, after_values(store)), encoding="utf-8")
        print("README.md")


if __name__ == "__main__":
    update(sys.argv[1:] or None)
