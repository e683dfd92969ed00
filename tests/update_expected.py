"""Regenerate queries/<name>.expected.tsv from the current graph: python tests/update_expected.py [NAME ...]

The expected results are golden files: review the diff before committing it.
"""

import sys

import mmdgraph
from mmdgraph.queries import catalogue


def update_expected(names=None):
    store = mmdgraph.load()
    for q in catalogue():
        if names and q.name not in names:
            continue
        result = mmdgraph.query(q.name, q.example, store=store)
        q.expected_path.write_text(result.to_tsv(), encoding="utf-8")
        print(q.expected_path)


if __name__ == "__main__":
    update_expected(sys.argv[1:] or None)
