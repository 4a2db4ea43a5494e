"""The project's one error base, caught once at the command line.

Every exception the project raises on purpose derives from ``CitytwinError``,
and its message is for people: what failed, where, and what to do next.
``citytwin.cli.main`` catches it once, prints ``citytwin COMMAND: message``
on stderr with control and bidi characters escaped, and exits with the
error's ``exit_code``: ``EXIT_USAGE`` (2) for a configuration or command-line
mistake, ``EXIT_FAILED`` (1) when it could not do what it was asked,
``EXIT_NOT_AUDITED`` (3) when an action was refused because the audit log
could not record it first.

Example:
    >>> raise ConfigError("site.yaml: lake: Field required")
    Traceback (most recent call last):
    ...
    citytwin.errors.ConfigError: site.yaml: lake: Field required
    >>> ConfigError("x").exit_code, Failed("y").exit_code
    (2, 1)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_AUDITED = 3


class CitytwinError(Exception):
    """Base of the project's errors; ``exit_code`` is the status a command exits with when it ends on one."""

    exit_code: int = EXIT_USAGE


class ConfigError(CitytwinError, ValueError):
    """The configuration cannot be used; the message names the file and the key."""


class UsageError(CitytwinError, ValueError):
    """The command line asks for something that cannot be done; the message says what to give instead."""


class Failed(CitytwinError):
    """The command could not do what it was asked (a broker did not answer, a query failed); the message says why."""

    exit_code = EXIT_FAILED


@contextmanager
def refused_as(kind: type[CitytwinError], *errors: type[Exception]) -> Iterator[None]:
    """Report ``errors`` that a library or plugin raises inside the block as ``kind``; project errors pass unchanged.

    >>> with refused_as(UsageError, ValueError):
    ...     int("twelve")
    Traceback (most recent call last):
    ...
    citytwin.errors.UsageError: invalid literal for int() with base 10: 'twelve'
    """
    try:
        yield
    except CitytwinError:
        raise
    except errors as exc:
        raise kind(str(exc)) from exc
