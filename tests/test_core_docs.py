"""The README and docs tell the truth: generated blocks are current, every query and verb is documented."""

from pathlib import Path

from update_golden import README, after_values, readme_blocks, replace_after, replace_blocks

from mmdgraph.queries import catalogue


def test_readme_counts_and_catalogue_are_current(store):
    text = README.read_text(encoding="utf-8")
    assert replace_blocks(text, readme_blocks(store)) == text, "run: python tests/update_golden.py"
    assert replace_after(text, after_values(store)) == text, "run: python tests/update_golden.py"


def test_readme_opens_with_the_two_commands():
    lines = [line for line in README.read_text(encoding="utf-8").splitlines() if line.strip()]
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert [line.split("#")[0].strip() for line in block] == ["make release", "make test"]


def test_ci_runs_the_readme_test_command():
    from conftest import ROOT

    ci = (ROOT / ".ci" / "run").read_text()
    assert "\nmake test\n" in ci


def test_every_canned_query_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    for q in catalogue():
        assert f"`{q.name}`" in text


def test_relative_links_in_the_docs_resolve():
    """Every relative link in README.md and docs/*.md names a file that exists."""
    import re

    root = Path(__file__).resolve().parent.parent
    broken = []
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(root)} -> {target}")
    assert broken == []
