"""Errors mmdgraph raises, each with the exit code the CLI gives it.

=====  ===============================================================
code   meaning
=====  ===============================================================
0      success (the graph conforms, the query ran, the file was written)
1      the graph does not conform (SHACL violations or QC violations)
2      unreadable input: a syntax error (file and line), a refused construct; or an
       output that cannot be written (the CLI maps OSError to 2)
3      bad usage: unknown query, bad parameter value, unsafe query
4      a SPARQL endpoint or server failed (connection, HTTP status, timeout)
=====  ===============================================================
"""

from __future__ import annotations


class MmdgraphError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class InputError(MmdgraphError):
    """A file cannot be read as RDF, or holds something mmdgraph refuses.

    Carries the file and, where the parser gives it, the line and column.
    """

    exit_code = 2

    def __init__(self, message: str, path=None, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column, self.reason = path, line, column, message
        where = str(path) if path is not None else "<input>"
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")


class ValidationFailed(MmdgraphError):
    """The graph does not conform; ``report`` is the :class:`mmdgraph.validate.Report`."""

    exit_code = 1

    def __init__(self, report):
        self.report = report
        super().__init__(f"the graph does not conform: {len(report.violations)} violation(s)")


class UsageError(MmdgraphError):
    """A bad request: an unknown query or format, a parameter that is not of its type."""

    exit_code = 3


class UnsafeQueryError(UsageError):
    """A query that would reach the network or change data (SERVICE, LOAD, FROM <remote>, updates)."""


class EndpointError(MmdgraphError):
    """A remote SPARQL endpoint could not be reached or answered with an error."""

    exit_code = 4
