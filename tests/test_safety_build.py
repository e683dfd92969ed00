"""Issue #10, build: an interrupt at any step of replacing a release never leaves dist/<version>/
missing, and the hidden folders of killed builds are cleaned by the next build."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import mmdgraph
from mmdgraph import __version__

_ARMED: dict = {"at": 0, "seen": 0, "out": None}
WATCHED = {"os.rename", "os.replace", "shutil.rmtree", "mmdgraph.build.swap"}


def _hook(event, args):
    """An interrupt (KeyboardInterrupt, as Ctrl-C raises it) at the N-th step of the swap."""
    if not _ARMED["at"] or event not in WATCHED or not args or _ARMED["out"] not in str(args[0]):
        return
    _ARMED["seen"] += 1
    if _ARMED["seen"] == _ARMED["at"]:
        _ARMED["at"] = 0
        raise KeyboardInterrupt


sys.addaudithook(_hook)  # inert unless armed


def verified(release: Path) -> bool:
    lines = (release / "SHA256SUMS").read_text().splitlines()
    return bool(lines) and all(
        hashlib.sha256((release / name).read_bytes()).hexdigest() == digest
        for digest, name in (line.split("  ", 1) for line in lines)
    )


def test_an_interrupt_at_any_step_of_the_swap_keeps_a_release(store, tmp_path):
    out = tmp_path / "dist"
    final = mmdgraph.build(out, store=store)
    (final / "marker-of-the-first-build").write_text("1")
    step = 1
    while True:
        _ARMED.update(at=step, seen=0, out=str(out))
        try:
            mmdgraph.build(out, store=store)
            interrupted = False
        except KeyboardInterrupt:
            interrupted = True
        finally:
            _ARMED["at"] = 0
        assert final.is_dir(), f"no {final.name}/ after an interrupt at step {step}"
        assert verified(final), f"an incomplete release after an interrupt at step {step}"
        if not interrupted:
            break
        step += 1
    assert step >= 2  # the swap has steps to interrupt, and each was tried
    mmdgraph.build(out, store=store)
    assert sorted(p.name for p in out.iterdir()) == [__version__]


def test_hidden_folders_of_killed_builds_are_cleaned(store, tmp_path):
    out = tmp_path / "dist"
    for name in (f".{__version__}.k1ll3d", f".{__version__}.old.abc", f".{__version__}.old.def/release"):
        (out / name).mkdir(parents=True)
        (out / name / "mmdgraph.ttl").write_text("half written")
    (out / ".other-tool-folder").mkdir()  # not ours: left alone
    mmdgraph.build(out, store=store)
    assert sorted(p.name for p in out.iterdir()) == [".other-tool-folder", __version__]


def test_a_release_lost_between_renames_is_restored(store, tmp_path):
    """A build killed (SIGKILL) between the renames of the fallback path left only .<v>.old.*/release:
    the next build starts by putting it back, so even a failing build leaves a release."""
    out = tmp_path / "dist"
    first = mmdgraph.build(out, store=store)
    aside = out / f".{__version__}.old.x1" / "release"
    aside.parent.mkdir()
    first.rename(aside)
    from mmdgraph.build import recover

    recover(out)
    assert first.is_dir() and verified(first)
    assert sorted(p.name for p in out.iterdir()) == [__version__]
