"""Keep queries off the network and away from updates.

mmdgraph answers queries over its own data only. Two layers keep a query from making the
engine fetch anything:

1. **The sandbox** (the guarantee). pyoxigraph has no switch to turn ``SERVICE`` off, and a
   check by one parser cannot promise what another parser will read. So the code that
   evaluates a query runs under a seccomp filter (Linux) that makes ``socket()`` for any
   family but ``AF_UNIX``, and every ``connect()``, fail with ``EACCES``: a query that gets
   to ``SERVICE`` fails inside Oxigraph, and nothing leaves the machine. The embedded store
   evaluates each query, and iterates its results, in a thread of its own that installed the
   filter for itself only (:func:`run_sandboxed`); ``mmdgraph serve`` installs it in each
   worker process, for all its threads, when the worker starts (:func:`sandbox_process`).
   The filter is a small BPF program loaded with ``prctl``/``seccomp`` through ctypes (no
   library needed; x86-64 and aarch64).
2. **The pre-check** (:func:`check_query`, a friendly error, and the only guard for a query
   sent to a remote store with ``--endpoint``, which runs it itself). A query that would make
   a store fetch something (``SERVICE``, ``FROM``/``FROM NAMED`` naming a graph the store
   does not hold) or change data (``LOAD``, ``INSERT``, any update) is refused with
   :class:`~mmdgraph.errors.UnsafeQueryError`. The text is first split into tokens the way
   the SPARQL grammar (and Oxigraph) reads it: ``\\u`` escapes count only inside strings and
   IRIs, a ``#`` comment ends at a carriage return or a line feed; strings and comments are
   then blanked and rdflib parses what is left, so both parsers read the same structure. A
   ``SERVICE`` keyword left in the code after blanking is refused even where rdflib would not
   find it.

Where the sandbox is unavailable (not Linux, seccomp disabled, or ``MMDGRAPH_SECCOMP=off``),
the embedded store refuses, before running it, any query whose text spells ``service`` in
any case or escape, anywhere, even in a comment or a string (:func:`refuse_any_service`):
a blunt check no parser disagreement can get past, at the price of refusing a query that
merely mentions the word.

>>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
mmdgraph.errors.UnsafeQueryError: SERVICE is refused: mmdgraph never queries other endpoints
>>> check_query("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
'SELECT'
"""

from __future__ import annotations

import os
import platform
import re
import threading
from collections.abc import Callable, Iterable

from .errors import UnsafeQueryError, UsageError

_HARDENED = False
SERVICE_REFUSED = "SERVICE is refused: mmdgraph never queries other endpoints"


def harden_rdflib() -> None:
    """Switch off rdflib's network access in SPARQL: no FROM/LOAD fetching, no SERVICE."""
    global _HARDENED
    if _HARDENED:
        return
    import rdflib.plugins.sparql as sp

    sp.SPARQL_LOAD_GRAPHS = False

    def _no_service(ctx, part):
        if part.name == "ServiceGraphPattern":
            raise UnsafeQueryError(SERVICE_REFUSED)
        raise NotImplementedError()  # let rdflib evaluate everything else

    sp.CUSTOM_EVALS["mmdgraph_no_service"] = _no_service
    _HARDENED = True


# --- the sandbox: a seccomp filter ----------------------------------------------------------------

_ARCH = {  # machine: (AUDIT_ARCH_*, socket, connect, io_uring_setup, seccomp, x32 bit)
    "x86_64": (0xC000003E, 41, 42, 425, 317, True),
    "aarch64": (0xC00000B7, 198, 203, 425, 277, False),
}
_AF_UNIX = 1
_EACCES = 13


def _filter_program():
    """The BPF program: deny socket() but AF_UNIX, connect(), io_uring; allow the rest."""
    import ctypes

    arch, nr_socket, nr_connect, nr_uring, _, x32 = _ARCH[platform.machine()]
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | _EACCES
    # (code, jt, jf, k); jumps are relative. Labels resolved by hand below.
    prog = [
        (ld_abs, 0, 0, 4),  # 0: A = arch
        (jeq, 1, 0, arch),  # 1: native arch -> 3
        (ret, 0, 0, deny),  # 2: another ABI from this thread: refuse the call
        (ld_abs, 0, 0, 0),  # 3: A = syscall number
        (jge, 5, 0, 0x40000000) if x32 else (jeq, 5, 0, 0xFFFFFFFF),  # 4: x32 ABI -> deny (10)
        (jeq, 4, 0, nr_connect),  # 5: -> deny (10)
        (jeq, 3, 0, nr_uring),  # 6: -> deny (10)
        (jeq, 3, 0, nr_socket),  # 7: -> check the family (11)
        (ret, 0, 0, allow),  # 8
        (ret, 0, 0, allow),  # 9 (unused)
        (ret, 0, 0, deny),  # 10
        (ld_abs, 0, 0, 16),  # 11: A = args[0] (low 32 bits, little-endian): the address family
        (jeq, 0, 1, _AF_UNIX),  # 12: AF_UNIX -> allow (13), else deny (14)
        (ret, 0, 0, allow),  # 13
        (ret, 0, 0, deny),  # 14
    ]

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*ins) for ins in prog])
    return SockFprog(len(prog), filters), filters


_SANDBOX_STATE: dict = {}


def sandbox_available() -> bool:
    """Whether queries can run under the seccomp filter here (checked once, in a scratch thread)."""
    if "ok" not in _SANDBOX_STATE:
        if os.environ.get("MMDGRAPH_SECCOMP", "").lower() in ("0", "off", "no", "false"):
            _SANDBOX_STATE["ok"] = False
        elif platform.system() != "Linux" or platform.machine() not in _ARCH:
            _SANDBOX_STATE["ok"] = False
        else:
            result: list = []
            t = threading.Thread(target=lambda: result.append(_probe()), name="mmdgraph-sandbox-probe")
            t.start()
            t.join()
            _SANDBOX_STATE["ok"] = bool(result and result[0])
    return _SANDBOX_STATE["ok"]


def _probe() -> bool:
    import socket

    try:
        _install(all_threads=False)
    except OSError:
        return False
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except OSError:
        return True  # the filter works: this thread cannot open an internet socket
    return False


def _install(all_threads: bool) -> None:
    """Install the filter on the calling thread (or, ``all_threads``, on every thread of the process)."""
    import ctypes

    if "libc" not in _SANDBOX_STATE:
        _SANDBOX_STATE["libc"] = ctypes.CDLL(None, use_errno=True)
        _SANDBOX_STATE["prog"] = _filter_program()  # the program and the array it points to
    libc = _SANDBOX_STATE["libc"]
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    prog, _ = _SANDBOX_STATE["prog"]
    if all_threads:
        nr_seccomp = _ARCH[platform.machine()][4]
        seccomp_filter_flag_tsync = 1
        rc = libc.syscall(nr_seccomp, 1, seccomp_filter_flag_tsync, ctypes.byref(prog))  # SECCOMP_SET_MODE_FILTER
    else:
        rc = libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(prog), 0, 0)
    if rc != 0:
        raise OSError(ctypes.get_errno(), "installing the seccomp filter failed")


def sandbox_process() -> bool:
    """Install the filter on every thread of this process (serve's workers); False if unavailable.

    Call it before the process starts threads of its own: threads started later inherit it.
    """
    if os.environ.get("MMDGRAPH_SECCOMP", "").lower() in ("0", "off", "no", "false"):
        return False
    if platform.system() != "Linux" or platform.machine() not in _ARCH:
        return False
    import socket
    import time

    for _ in range(50):
        try:
            _install(all_threads=True)
            break
        except OSError:
            time.sleep(0.01)  # a thread still ending (TSYNC names it): try again
    else:
        return False
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except OSError:
        _SANDBOX_STATE["ok"] = True
        return True
    return False


def run_sandboxed(fn: Callable, *args, text: str | None = None):
    """``fn(*args)`` in a thread of its own that cannot open network connections.

    ``text`` is the query the call evaluates: where the sandbox is unavailable it must pass
    :func:`refuse_any_service` instead.
    """
    if not sandbox_available():
        if text is not None:
            refuse_any_service(text)
        return fn(*args)
    box: dict = {}

    def target():
        try:
            _install(all_threads=False)
            box["value"] = fn(*args)
        except BaseException as err:
            # Without its traceback: the frames hold engine objects that must die in this thread.
            e = err
            while e is not None:
                e.__traceback__ = None
                e = e.__context__
            box["error"] = err

    t = threading.Thread(target=target, name="mmdgraph-query", daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _expand_everywhere(text: str) -> str:
    """Expand \\u/\\U escapes anywhere, again until nothing changes (a superset of every reading)."""
    pattern = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

    def expand(m):
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return ""

    for _ in range(8):
        new = pattern.sub(expand, text)
        if new == text:
            return text
        text = new
    return text


def refuse_any_service(text: str) -> None:
    """Refuse a query whose text spells "service" anywhere, in any case or escape (no sandbox)."""
    folded = _expand_everywhere(text).casefold()
    if "service" in folded or "serv\u0131ce" in folded:
        raise UnsafeQueryError(
            "SERVICE is refused: this system cannot sandbox the query engine (no seccomp), so a query "
            "that mentions 'service' anywhere, even in a comment or a string, is refused"
        )


# --- the pre-check: the SPARQL grammar's tokens, then rdflib ------------------------------------------

_IRI_FORBIDDEN = set('<>"{}|^`\\') | {chr(c) for c in range(0x21)}
_ECHAR = set("tbnrf\\\"'")
_PN_LOCAL_ESC = set("_~.-!$&'()*+,;=/?#@%")
_HEX = set("0123456789abcdefABCDEF")
_NAME_CHARS = "\\w.:\\-\\\\%\u00b7\u0300-\u036f\u203f\u2040"
#: Runs of name characters in code: a variable (its name only), or anything else.
_WORDS = re.compile(f"[?$][\\w\u00b7\u0300-\u036f\u203f\u2040]*|[{_NAME_CHARS}]+")


def _has_service_keyword(code: str) -> bool:
    """Whether the letters SERVICE (any case) occur in code other than in a variable or a
    prefixed name: cautious (``1service`` counts), so that no tokenizer's reading escapes it."""
    for m in _WORDS.finditer(code):
        word = m.group()
        if word[0] in "?$" or ":" in word:
            continue
        if "service" in word.casefold():
            return True
    return False


_PLAIN = re.compile(r"[^#\"'<\\()]+")


class _Bad(Exception):
    """The text cannot be read as SPARQL tokens (message for the user)."""


def _uchar(text: str, i: int) -> tuple[str, int] | None:
    """A \\uXXXX or \\UXXXXXXXX escape at ``i``: (character, index after), or None."""
    n = 4 if text.startswith("\\u", i) else 8 if text.startswith("\\U", i) else 0
    digits = text[i + 2 : i + 2 + n]
    if not n or len(digits) != n or not set(digits) <= _HEX:
        return None
    code = int(digits, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise _Bad(f"invalid code point escape \\{text[i + 1]}{digits}")
    return chr(code), i + 2 + n


def _iri_at(text: str, i: int) -> tuple[str, int] | None:
    """An IRIREF starting at ``i`` ('<'): (decoded IRI, index after '>'), or None if there is none."""
    j, out = i + 1, []
    while j < len(text):
        c = text[j]
        if c == ">":
            return "".join(out), j + 1
        if c == "\\":
            u = _uchar(text, j)
            if u is None:
                return None
            out.append(u[0])
            j = u[1]
            continue
        if c in _IRI_FORBIDDEN:
            return None
        out.append(c)
        j += 1
    return None


def _operator_may_read(content: str) -> bool:
    """Whether reading the '<' before ``content`` as less-than changes where comments and
    strings are (a '#' or a quote inside), in a reading an engine could accept: up to that
    character the text must be able to be an expression (no '//', which no expression holds).

    The less-than operator only occurs inside parentheses (FILTER, BIND, projections, calls);
    the caller asks only there.
    """
    cut = min((k for k in (content.find("#"), content.find("'")) if k >= 0), default=-1)
    return cut >= 0 and "//" not in content[:cut]


def _tokenize(text: str, operators: frozenset[int], ambiguous: list[int] | None = None) -> tuple[str, str, list[int]]:
    """The query as the grammar reads it: (text for rdflib, bare code, ambiguous '<' positions).

    In the text for rdflib, comments become spaces, strings keep their quotes and length but
    hold only 'x' (and the line breaks of long strings), IRIs are decoded. In the bare code,
    IRIs are blanked too. A '<' that may start an IRI or be the less-than operator, where the
    two readings differ (the IRI would hold a '#' or a quote), is read as an IRI unless its
    position is in ``operators``; such positions are returned so every reading can be checked.
    """
    out, bare, depth = [], [], 0
    ambiguous = [] if ambiguous is None else ambiguous
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = i
            while j < n and text[j] not in "\r\n":
                j += 1
            out.append(" ")  # nothing follows a comment on its line: positions after it stay right
            bare.append(" ")
            i = j
        elif c in "\"'":
            long = text.startswith(c * 3, i)
            q = c * 3 if long else c
            j = i + len(q)
            body = []
            while True:
                if j >= n:
                    raise _Bad(f"a string opened at offset {i} is not closed")
                if text.startswith(q, j):
                    break
                ch = text[j]
                if ch == "\\":
                    u = _uchar(text, j)
                    if u is not None:
                        body.append("x")
                        j = u[1]
                        continue
                    if j + 1 < n and text[j + 1] in _ECHAR:
                        body.append("x")
                        j += 2
                        continue
                    raise _Bad(f"a bad escape \\{text[j + 1 : j + 2]} in a string")
                if ch in "\r\n":
                    if not long:
                        raise _Bad("a line break in a short string")
                    body.append(ch)
                else:
                    body.append("x")
                j += 1
            literal = q + "".join(body) + q
            out.append(literal)
            bare.append(q + " " * len(body) + q)
            i = j + len(q)
        elif c == "<" and i not in operators and (iri := _iri_at(text, i)) is not None:
            value, j = iri
            if depth > 0 and _operator_may_read(text[i + 1 : j - 1]):
                ambiguous.append(i)
            out.append(f"<{value}>")
            bare.append(" " * (len(value) + 2))
            i = j
        elif c == "\\":
            if i + 1 < n and text[i + 1] in _PN_LOCAL_ESC:  # an escape in a prefixed name's local part
                out.append(text[i : i + 2])
                bare.append(text[i : i + 2])
                i += 2
                continue
            if _uchar(text, i) is not None:
                if _has_service_keyword(_expand_everywhere(text[max(0, i - 8) : i + 80])):
                    raise UnsafeQueryError(SERVICE_REFUSED + " (spelled with \\u escapes)")
                raise _Bad("a \\u escape outside a string or an IRI")
            raise _Bad("a backslash outside a string or an IRI")
        elif c in "()<":
            depth += 1 if c == "(" else -1 if c == ")" and depth > 0 else 0
            out.append(c)
            bare.append(c)
            i += 1
        else:
            j = _PLAIN.match(text, i).end()  # a run of characters that start nothing
            out.append(text[i:j])
            bare.append(text[i:j])
            i = j
    return "".join(out), "".join(bare), ambiguous


def _readings(text: str, limit: int = 64) -> list[tuple[str, str]]:
    """Every way the grammar may read the text, as (text for rdflib, bare code)."""
    seen: set[frozenset[int]] = set()
    todo = [frozenset()]
    readings = []
    while todo:
        ops = todo.pop()
        if ops in seen:
            continue
        seen.add(ops)
        if len(seen) > limit:
            raise UsageError("not a SPARQL query: too many ways to read its '<' signs; put spaces around comparisons")
        ambiguous: list[int] = []
        try:
            readings.append(_tokenize(text, ops, ambiguous)[:2])
        except _Bad:
            pass  # this reading is not SPARQL: no engine runs it
        todo.extend(ops | {p} for p in ambiguous if p not in ops)
    return readings


def _walk(node) -> Iterable:
    """Every CompValue (a named grammar node) in rdflib's parse tree."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, CompValue):
            yield n
            stack.extend(n.values())
        elif isinstance(n, (list, tuple, ParseResults)):
            stack.extend(n)
        elif isinstance(n, dict):
            stack.extend(n.values())


def check_query(text: str, graph_names: Iterable[str] | None = None) -> str:
    """Refuse unsafe queries; return the query form (SELECT, ASK, CONSTRUCT, DESCRIBE).

    ``graph_names``, when given, are the graphs a ``FROM``/``FROM NAMED`` may name.
    """
    try:
        readings = _readings(text)
        if not readings:
            _tokenize(text, frozenset())  # raises the reason
    except _Bad as err:
        raise UsageError(f"not a SPARQL query: {err}") from None
    for _, bare in readings:
        if _has_service_keyword(bare):
            raise UnsafeQueryError(SERVICE_REFUSED)
    allowed = set(graph_names or ())
    form, first_error = None, None
    for norm, _ in readings:
        try:
            f = _check_parsed(norm, allowed)
        except UsageError as err:
            if isinstance(err, UnsafeQueryError):
                raise
            first_error = first_error or err
            continue
        form = form or f
    if form is None:
        raise first_error
    return form


def _check_parsed(text: str, allowed: set[str]) -> str:
    import logging

    from pyparsing import ParseException
    from rdflib.plugins.sparql import parser

    term_log = logging.getLogger("rdflib.term")
    level = term_log.level
    term_log.setLevel(logging.ERROR)  # blanked literals ("xxx"^^xsd:date) are ill-typed; say nothing
    try:
        try:
            parsed = parser.parseQuery(text)
        except ParseException as err:
            try:
                update = parser.parseUpdate(text)
            except (ParseException, ValueError, RecursionError):
                raise UsageError(f"not a SPARQL query: {err.msg} (line {err.lineno}, column {err.col})") from None
            if not update.request:
                raise UsageError("not a SPARQL query: the text holds no query") from None
            raise UnsafeQueryError("updates are refused: mmdgraph queries are read-only") from None
        except (ValueError, RecursionError) as err:  # a bad escape; nesting deeper than the parser's stack
            raise UsageError(f"not a SPARQL query: {err.__class__.__name__}: {str(err)[:200]}") from None
    finally:
        term_log.setLevel(level)
    for node in _walk(parsed):
        if node.name == "ServiceGraphPattern":
            raise UnsafeQueryError(SERVICE_REFUSED)
        if node.name == "DatasetClause":
            iri = str(node["default"] if "default" in node else node["named"])
            if iri not in allowed:
                raise UnsafeQueryError(f"FROM <{iri}> is refused: it names no graph in the store")
    form = parsed[1].name
    return {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}[
        form
    ]
