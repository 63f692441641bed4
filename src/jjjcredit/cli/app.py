"""The ``jjjcredit`` command: one Typer sub-app per noun, registered in :data:`SUBAPPS`.

Data goes to stdout, messages to stderr. Exit codes: 0 success, 1 the domain said no (an invalid
code, a rejected row), 2 a usage error or an input that cannot be read, 3 an unexpected error, 130
interrupted (Ctrl-C or SIGTERM, said on stderr). Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import importlib
import signal
import sys
from typing import NoReturn

import typer
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from typer import Abort, Exit
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from jjjcredit.cli import output
from jjjcredit.core import errors
from jjjcredit.core.errors import Error

#: Each noun's sub-app: its module (holding ``app``) and its help. A command imports only its own
#: module (and what that needs), so a call starts quickly; ``jjjcredit --help`` imports them all.
SUBAPPS: dict[str, tuple[str, str]] = {
    "codes": ("codes", "Check, explain and generate unified social credit codes."),
    "elements": ("elements", "List the standard data elements; print the schema of one record."),
    "demo-data": ("demo_data", "Write synthetic department files in their own layouts (all data made up)."),
    "records": ("records", "Check department record files against the standard data elements."),
    "db": ("db", "Create or upgrade the database schema; show its revision."),
    "library": ("library", "The basic resource library: ingest department files, show, stats, rejects."),
    "search": ("search", "Find organizations by name, pinyin initials or code prefix; refresh the keys."),
    "catalogue": ("catalogue", "The public credit information catalogue: editions by year, comments, approval, "
                  "publication, diff and exports."),
    "credit": ("credit", "Credit records under the catalogue's items: ingest, show, correct, revoke, rejects, "
               "timeliness."),
    "report": ("report", "Credit reports of organizations: issue one (JSON or PDF, signed), check a report file "
               "offline, check a number."),
    "authorizations": ("authorizations", "Credit subjects' authorizations for an application party to query "
                       "their non-public records: add, list, revoke."),
    "subjects": ("subjects", "A credit subject's own view: a one-time code to open its session with, and who "
                 "looked at it."),
    "clients": ("clients", "Application parties: API keys, granted services, security levels."),
    "serve": ("serve", "Serve the sharing and application interface over HTTP."),
    "audit": ("audit", "The audit trail of API calls: verify its hash chain, export it, purge it."),
    "evidence": ("evidence", "Signed answers: check a saved answer offline; rotate the signing key."),
    "exchange": ("exchange", "Exchange packages between nodes: export a signed snapshot or delta, import one all "
                 "or nothing with a receipt; peer nodes."),
    "federation": ("federation", "The three nodes' changes between each other: relay, follow, pull over HTTPS, "
                   "state hash, lag per peer."),
}


def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for unexpected errors."),
) -> None:
    output.DEBUG[0] = debug


def build(only: str | None = None) -> typer.Typer:
    """The command with every sub-app, or with ``only`` the one a call names (the others are neither
    imported nor shown)."""
    built = typer.Typer(
        name="jjjcredit",
        help="The Beijing–Tianjin–Hebei unified social credit code and public credit platform.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    built.callback()(_root)
    for name, (module, help_text) in SUBAPPS.items():
        if only is None or name == only:
            built.add_typer(importlib.import_module(f"jjjcredit.cli.{module}").app, name=name, help=help_text)
    return built


def __getattr__(name: str) -> typer.Typer:
    """``app``: the whole command, built when first asked for (the docs' test walks it)."""
    if name == "app":
        return build()
    raise AttributeError(name)


def _named(argv: list[str]) -> str | None:
    """The sub-app a command line names: its first word that is not an option, if it is one and no
    ``--help`` comes before it (``jjjcredit --help credit`` lists every noun, as the whole command does)."""
    for arg in argv:
        if arg == "--help":
            return None
        if not arg.startswith("-"):
            return arg if arg in SUBAPPS else None
    return None


def _undecodable_argument() -> tuple[int, str] | None:
    """The first command-line argument holding bytes that are not UTF-8 (Python hands them over as
    lone surrogates), with the argument as it can be shown."""
    for number, arg in enumerate(sys.argv[1:], 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return number, arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return None


_signalled: list[str] = []  #: the signals that stopped the command (Typer answers an interrupt with 130 alone)


def _stop(signum: int, _frame: object) -> None:
    """SIGTERM as Ctrl-C (SIGINT): the work in hand is rolled back as it is on an interrupt, and said."""
    _signalled.append(signal.Signals(signum).name)
    raise KeyboardInterrupt(_signalled[-1])


def _interrupted(exc: BaseException) -> NoReturn:
    how = f" by {exc.args[0]}" if isinstance(exc, KeyboardInterrupt) and exc.args else ""
    output.fail("interrupted", f"Interrupted{how}: what was not yet committed was rolled back (a batch is kept "
                "whole or not at all); run the command again.")


def main() -> None:
    debug = "--debug" in sys.argv
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    undecodable = _undecodable_argument()
    if undecodable is not None:
        number, shown = undecodable
        output.fail("usage", f'Argument {number} ("{shown}") holds bytes that are not UTF-8 text: type it again '
                    "(or rename the file) in UTF-8 (see `jjjcredit --help`).")
    try:
        result = build(_named(sys.argv[1:]))(standalone_mode=False)
        if _signalled and result == errors.exit_code("interrupted"):
            _interrupted(KeyboardInterrupt(_signalled[0]))
        raise SystemExit(result if isinstance(result, int) else 0)
    except SystemExit:
        raise
    except NoArgsIsHelpError:
        raise SystemExit(output.EXIT_USAGE) from None  # the help text was shown
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "jjjcredit"
        output.fail("usage", f"{exc.format_message().rstrip('.')} (see `{command} --help`).")
    except Exit as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # (Typer's own form of an interrupt)
            _interrupted(exc.__cause__)
        raise SystemExit(exc.exit_code) from None
    except (Abort, KeyboardInterrupt) as exc:
        _interrupted(exc)
    except Error as exc:  # every error of the platform, in one line, with the table's exit code
        output.fail(exc.code, exc.message)
    except (OperationalError, ArgumentError, NoSuchModuleError, DatabaseError) as exc:
        if debug:
            raise
        from jjjcredit.services import db  # (imported when needed: a command imports only its own)

        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if db.disk_full(exc):
            output.fail("db.unavailable", f"The database's disk is full ({reason}): nothing of this command was "
                        "kept; free space where the database is kept, then run it again.")
        if db.connection_lost(exc):  # it was there, and went away during the command
            output.fail("db.unavailable", f"The connection to the database was lost during the command ({reason}): "
                        "it stopped, and what it had not committed was rolled back; run it again once the database "
                        "is back (the same file again keeps only what was not kept).")
        output.fail("db.unavailable", f"The database cannot be used: {reason}. Check --db or "
                    "JJJCREDIT_DATABASE_URL (sqlite:///path or postgresql://user@host:port/name).")
    except Exception as exc:  # the last resort: one line, never a traceback unless asked
        if debug:
            raise
        output.fail("internal", f"Unexpected error: {type(exc).__name__}: {exc}. "
                    "Rerun with --debug for details and report it.")
