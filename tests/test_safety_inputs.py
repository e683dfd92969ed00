"""Issue #10, robustness of the loaders and the CLI: each attack is a clear error with its exit
code (exit codes live on the exception classes in mmdgraph.errors), never a traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("mmdgraph"))


def run(*args, timeout=300, **kw):
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ, PYTHONUTF8="1"), **kw
    )


def clean(res, code):
    assert res.returncode == code, (res.returncode, res.stderr[-2000:])
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    assert res.stderr.startswith("mmdgraph: error:"), res.stderr[-500:]


def nested(kind: str, n: int) -> str:
    if kind == "objects":
        return '{"@id":"http://e/a","http://e/p":' * n + '{"@id":"http://e/z"}' + "}" * n
    if kind == "arrays":
        return '{"@id":"http://e/a","http://e/p":' + "[" * n + "1" + "]" * n + "}"
    if kind == "contexts":
        return '{"@context":' + '{"@context":' * n + "{}" + "}" * n + ',"@id":"http://e/a","http://e/p":"x"}'
    return '{"@id":"http://e/a","http://e/p":' + '{"@list":[' * n + "1" + "]}" * n + "}"


@pytest.mark.parametrize("kind", ["objects", "arrays", "contexts", "lists"])
@pytest.mark.parametrize("depth", [520, 5000])
def test_deeply_nested_jsonld_is_exit_2(tmp_path, kind, depth):
    path = tmp_path / f"deep-{kind}.jsonld"
    path.write_text(nested(kind, depth))
    res = run("validate", str(path))
    clean(res, 2)
    assert "nested" in res.stderr


@pytest.mark.parametrize("token", ["string", "iri", "prefixed"])
def test_turtle_token_of_16_mib_is_exit_2(tmp_path, token):
    big = "x" * (17 << 20)
    text = {
        "string": f'<http://e/a> <http://e/p> "{big}" .\n',
        "iri": f"<http://e/a> <http://e/p> <http://e/{big}> .\n",
        "prefixed": f"@prefix e: <http://e/> .\ne:a e:p e:{big} .\n",
    }[token]
    path = tmp_path / "big.ttl"
    path.write_text(text)
    res = run("validate", str(path))
    clean(res, 2)
    assert "16" in res.stderr and str(path) in res.stderr


@pytest.mark.parametrize("ext", [".ttl", ".trig", ".nq", ".jsonld", ".rdf"])
def test_input_that_is_a_link_to_dev_zero_is_exit_2(tmp_path, ext):
    link = tmp_path / f"zero{ext}"
    link.symlink_to("/dev/zero")
    res = run("validate", str(link), timeout=60)
    clean(res, 2)
    assert "not a regular file" in res.stderr


def test_input_that_is_a_fifo_is_exit_2(tmp_path):
    fifo = tmp_path / "pipe.ttl"
    os.mkfifo(fifo)
    res = run("validate", str(fifo), timeout=60)  # opening a FIFO with no writer would block forever
    clean(res, 2)


def test_an_error_about_a_non_rdf_file_does_not_print_its_content(tmp_path):
    for name, text in {
        "passwd.ttl": "hunter2hunter2:x:0:0:root:/root:/bin/bash\nAWS_SECRET=hunter2hunter2\n",
        "notes.nt": "AWS_SECRET=hunter2hunter2 and more text\n",
        "env.trig": "export TOKEN='hunter2hunter2'\n",
        "page.rdf": "<html><body>hunter2hunter2</body></html>\n",
        "data.jsonld": '{"password": "hunter2hunter2", "x": }',
    }.items():
        path = tmp_path / name
        path.write_text(text)
        res = run("validate", str(path))
        clean(res, 2)
        assert "hunter2" not in res.stderr and "root:x" not in res.stderr, res.stderr
        assert str(path) in res.stderr


def test_a_typo_deep_in_a_real_file_still_shows_the_parser_message(tmp_path):
    path = tmp_path / "typo.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b\n")
    res = run("validate", str(path))
    clean(res, 2)
    assert f"{path}:4" in res.stderr


@pytest.mark.parametrize("args", [["query", "counts", "--format", "csv"], ["export", "--format", "nquads"]])
def test_output_keeps_the_mode_of_the_file_it_replaces(tmp_path, args):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    res = run(*args, "-o", str(target))
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text() != "old"
    fresh = tmp_path / "new.txt"
    res = run(*args, "-o", str(fresh))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
