"""Real SPARQL servers for the tests and for people: Oxigraph and Virtuoso on loopback.

Each server lives in its own folder under ``.servers/<name>/``: its data, its log, a
``virtuoso.ini`` for Virtuoso, and ``pid``/``port`` files. Servers are stopped by the process
id this module wrote when it started them, never by name.

Command line (``scripts/servers`` calls this)::

    scripts/servers install                  # install Virtuoso (Debian package) if missing
    scripts/servers start oxigraph|virtuoso [--port N]
    scripts/servers status
    scripts/servers stop oxigraph|virtuoso|all

In the tests: ``Server.start("oxigraph", name=...)`` returns a running server; ``stop()``,
``kill()`` (SIGKILL, for the fault test) and ``start_again()`` act on that process only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVERS_DIR = ROOT / ".servers"
VENV_BIN = Path(sys.executable).parent
VIRTUOSO_PACKAGE = "virtuoso-opensource-7-bin"
#: Virtuoso's administrator on a fresh database; the test servers listen on loopback only.
VIRTUOSO_AUTH = "dba:dba"

VIRTUOSO_INI = """\
; Written by tests/servers.py: a Virtuoso for tests, on loopback, with its own data folder.
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = {dir}
ThreadCleanupInterval = 1
ResourcesCleanupInterval = 1

[HTTPServer]
ServerPort = 127.0.0.1:{port}
ServerRoot = {dir}
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
EnabledDavVSP = 0
HTTPProxyEnabled = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 0
"""


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str | None:
    exe = VENV_BIN / "oxigraph"
    return str(exe) if exe.exists() else shutil.which("oxigraph")


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def install_virtuoso() -> str:
    """Install Virtuoso from Debian if it is missing (CI runs as root); returns the binary.

    Only the package with the server binary is installed (``virtuoso-opensource-7-bin``,
    from the ``virtuoso-opensource`` source package): the full ``virtuoso-opensource``
    package would also register and start a system service, which the tests do not want.
    """
    exe = virtuoso_binary()
    if exe:
        return exe
    if os.geteuid() != 0:
        raise RuntimeError(f"virtuoso-t is missing; install it with: sudo apt-get install {VIRTUOSO_PACKAGE}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", VIRTUOSO_PACKAGE]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(cmd, env=env, capture_output=True, check=True)
    exe = virtuoso_binary()
    if not exe:
        raise RuntimeError(f"apt-get installed {VIRTUOSO_PACKAGE} but virtuoso-t is not on PATH")
    return exe


class Server:
    """One server process started by this module, known by its folder and pid file."""

    KINDS = ("oxigraph", "virtuoso")

    def __init__(self, kind: str, name: str | None = None, port: int | None = None):
        if kind not in self.KINDS:
            raise ValueError(f"unknown server kind {kind!r}; use one of {self.KINDS}")
        self.kind = kind
        self.name = name or kind
        self.dir = SERVERS_DIR / self.name
        self.port = port or self._saved_port() or free_port()
        self.proc: subprocess.Popen | None = None

    # -- addresses ------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + ("/query" if self.kind == "oxigraph" else "/sparql")

    @property
    def update_url(self) -> str:
        return self.base + ("/update" if self.kind == "oxigraph" else "/sparql-auth")

    @property
    def store_url(self) -> str:
        return self.base + ("/store" if self.kind == "oxigraph" else "/sparql-graph-crud-auth")

    @property
    def auth(self) -> str | None:
        return None if self.kind == "oxigraph" else VIRTUOSO_AUTH

    # -- state files ------------------------------------------------------------------------------

    def _saved_port(self) -> int | None:
        f = SERVERS_DIR / self.name / "port"
        return int(f.read_text()) if f.exists() else None

    def pid(self) -> int | None:
        """The pid this module recorded, if that process still runs the server binary."""
        f = self.dir / "pid"
        if not f.exists():
            return None
        pid = int(f.read_text())
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return None
        binary = "oxigraph" if self.kind == "oxigraph" else "virtuoso-t"
        return pid if binary in cmdline and str(self.dir) in cmdline else None

    def running(self) -> bool:
        return self.pid() is not None

    # -- lifecycle ----------------------------------------------------------------------------------

    def _command(self) -> list[str]:
        if self.kind == "oxigraph":
            exe = oxigraph_binary()
            if not exe:
                raise RuntimeError("the oxigraph server is missing: pip install -e '.[server]'")
            return [exe, "serve", "--location", str(self.dir / "data"), "--bind", f"127.0.0.1:{self.port}"]
        exe = install_virtuoso()
        ini = self.dir / "virtuoso.ini"
        if not ini.exists():
            ini.write_text(VIRTUOSO_INI.format(dir=self.dir, port=self.port, sql_port=free_port()))
        return [exe, "+foreground", "+configfile", str(ini)]

    def start(self, timeout: float = 90.0) -> Server:
        """Start the server (if this module's pid file does not show it running) and wait until it answers."""
        if self.running():
            return self
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "port").write_text(str(self.port))
        cmd = self._command()
        log = open(self.dir / "server.log", "ab")
        # Own session: a Ctrl-C in the terminal reaches the tests, which stop the server themselves.
        self.proc = subprocess.Popen(
            cmd, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        log.close()
        (self.dir / "pid").write_text(str(self.proc.pid))
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        probe = self.query_url + "?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}; see {self.dir / 'server.log'}")
            try:
                with urllib.request.urlopen(probe, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self.kind} did not answer at {self.query_url} within {timeout:g} s; see {self.dir / 'server.log'}"
        )

    def _signal(self, sig: int) -> int | None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, sig)
        return pid

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.pid == pid:
                if self.proc.poll() is not None:
                    return True
            elif not Path(f"/proc/{pid}").exists():
                return True
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the recorded pid, then SIGKILL it if it has not exited within ``timeout``."""
        pid = self._signal(signal.SIGTERM)
        if pid is not None and not self._wait_gone(pid, timeout):
            os.kill(pid, signal.SIGKILL)
            self._wait_gone(pid, 5)
        (self.dir / "pid").unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL the recorded pid (a crash, for the fault test) and wait until it is gone."""
        pid = self._signal(signal.SIGKILL)
        if pid is not None:
            self._wait_gone(pid, 10)

    def start_again(self, timeout: float = 90.0) -> Server:
        """Start the same server again on the same data and port (after stop or kill)."""
        return self.start(timeout)

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ConnectionCounter:
    """A loopback TCP listener that records every connection made to it (the first bytes of each).

    It answers nothing useful: tests use it to prove that nothing reached the network.
    """

    def __init__(self, answer: bytes = b""):
        import socketserver
        import threading

        self.connections: list[bytes] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(1)
                try:
                    outer.connections.append(self.request.recv(1024))
                    if answer:
                        self.request.sendall(answer)
                except OSError:
                    outer.connections.append(b"")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def __len__(self) -> int:
        return len(self.connections)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Serve:
    """``mmdgraph serve`` in a subprocess on a free loopback port, stopped by its pid."""

    def __init__(self, *args: str, env: dict | None = None):
        import re
        import threading

        cli = str(Path(sys.executable).with_name("mmdgraph"))
        self.proc = subprocess.Popen(
            [cli, "serve", "--port", "0", *args],
            stderr=subprocess.PIPE,
            text=True,
            env=None if env is None else dict(os.environ, **env),
        )
        self.log: list[str] = []
        for line in self.proc.stderr:
            self.log.append(line)
            m = re.search(r"listening on (http://\S+)/query", line)
            if m:
                self.base = m.group(1)
                self.url = self.base + "/query"
                break
        else:
            raise RuntimeError(f"mmdgraph serve exited: {''.join(self.log)}")
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()

    def workers(self) -> list[int]:
        """The pids of this server's child processes (query workers, multiprocessing's helpers)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def descendants(self) -> list[int]:
        """Every process under this server: its children (fork server, resource tracker) and theirs."""
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
        out, todo = [], [self.proc.pid]
        while todo:
            p = todo.pop()
            kids = [c for c, pp in parents.items() if pp == p]
            out += kids
            todo += kids
        return out

    def query_workers(self) -> list[int]:
        """The pids of the query workers only (forked by the fork server, or spawned)."""
        out = []
        for pid in self.descendants():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
            if (b"forkserver" in cmd and ppid != self.proc.pid) or (
                b"spawn_main" in cmd and b"resource_tracker" not in cmd
            ):
                out.append(pid)
        return out

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="scripts/servers", description="Start, stop and list the test SPARQL servers (loopback only)."
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install", help="install Virtuoso (Debian package) if it is missing")
    s = sub.add_parser("start", help="start a server")
    s.add_argument("kind", choices=Server.KINDS)
    s.add_argument("--port", type=int)
    s = sub.add_parser("stop", help="stop a server by the pid this script recorded")
    s.add_argument("kind", choices=[*Server.KINDS, "all"])
    sub.add_parser("status", help="list the servers this script started")
    args = p.parse_args(argv)
    if args.cmd == "install":
        print(install_virtuoso())
        print(oxigraph_binary() or "oxigraph: missing (pip install -e '.[server]')")
        return 0
    if args.cmd == "start":
        srv = Server(args.kind, port=args.port).start()
        print(
            f"{srv.kind} running (pid {srv.pid()}): query {srv.query_url}  update {srv.update_url}  store {srv.store_url}"
        )
        return 0
    if args.cmd == "stop":
        for kind in Server.KINDS if args.kind == "all" else [args.kind]:
            Server(kind).stop()
        return 0
    names = sorted(d.name for d in SERVERS_DIR.iterdir() if d.is_dir()) if SERVERS_DIR.exists() else []
    for name in names:
        kind = "virtuoso" if (SERVERS_DIR / name / "virtuoso.ini").exists() else "oxigraph"
        srv = Server(kind, name)
        state = f"running (pid {srv.pid()})" if srv.running() else "stopped"
        print(f"{name:<28} {kind:<9} {state:<22} {srv.query_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def embedded(quads):
    """An embedded store holding these named-graph quads, with its merged default graph."""
    import pyoxigraph as ox

    from mmdgraph.loading import merge_default_graph
    from mmdgraph.store import EmbeddedStore

    st = ox.Store()
    st.extend(quads)
    merge_default_graph(st)
    return EmbeddedStore(st)
