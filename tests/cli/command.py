"""The ``jjjcredit`` command as a process of its own, as a user runs it — forked from a server process
that has already imported the command, so that a call costs what the command does rather than Python's
start and the imports (about a second a call, some 300 calls a run). Each call is a new process: its
own arguments, environment, working directory, standard input, output and error, exit code and exit
handlers; nothing of one call is left for the next. The server does nothing but import and fork, one
call at a time, and ends when this process does.

``JJJCREDIT_TEST_REAL_PROCESS=1`` starts ``python -m jjjcredit`` for every call instead (as the tests that
kill or signal a command always do, with :class:`subprocess.Popen`). Interpreter settings other than
``PYTHONWARNINGS=error`` cannot be given to a forked process: a call naming one starts the interpreter.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jjjcredit
import jjjcredit.cli.app

ROOT = Path(__file__).resolve().parents[2]
ARGV0 = str(Path(jjjcredit.__file__).with_name("__main__.py"))  #: sys.argv[0] of ``python -m jjjcredit``
#: Interpreter settings read at its start: their values here are the fork server's (see the module text).
_INTERPRETER = ("PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONPATH", "PYTHONOPTIMIZE", "PYTHONDEVMODE",
                "PYTHONSAFEPATH", "PYTHONDONTWRITEBYTECODE", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
_server: list[subprocess.Popen[bytes]] = []
_server_environ: dict[str, str | None] = {}  #: the interpreter settings the server started with


def run(args: list[str | bytes], *, stdin: bytes | None = None, env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    """``python -m jjjcredit ARGS`` with ``env`` (the whole environment; this process's when not given):
    its exit code, standard output and error as bytes."""
    environ = dict(os.environ if env is None else env)
    argv = [sys.executable, "-m", "jjjcredit", *args]
    if os.environ.get("JJJCREDIT_TEST_REAL_PROCESS") == "1" or environ.get("PYTHONWARNINGS", "error") != "error" \
            or any(environ.get(name) != _server_environ.get(name, os.environ.get(name)) for name in _INTERPRETER):
        return subprocess.run(argv, input=stdin, capture_output=True, env=environ, cwd=cwd, timeout=timeout,
                              check=False)
    if cwd is not None and not Path(cwd).is_dir():  # as subprocess.run refuses it, before anything runs
        raise (NotADirectoryError if Path(cwd).exists() else FileNotFoundError)(2, "No such directory", str(cwd))
    with tempfile.TemporaryDirectory(prefix="jjjcredit-call-") as held:
        files = Path(held)
        (files / "stdin").write_bytes(stdin or b"")
        server = _started()
        try:
            _send(server.stdin, (list(args), environ, str(cwd) if cwd else None, held, timeout))
            status, timed_out = _receive(server.stdout)
        except BaseException:  # the server's answer is not whole: it goes, the next call starts another
            _stop()
            raise
        if timed_out:  # the call ran out of time: killed by the server, as subprocess.run kills it
            raise subprocess.TimeoutExpired(argv, timeout)
        return subprocess.CompletedProcess(argv, os.waitstatus_to_exitcode(status), (files / "stdout").read_bytes(),
                                           (files / "stderr").read_bytes())


def run_text(args: list[str | bytes], *, encoding: str = "utf-8", errors: str = "strict",
             **kw: Any) -> subprocess.CompletedProcess[str]:
    """:func:`run`, its output read as ``subprocess.run(..., text=True)`` reads it (universal newlines)."""
    result = run(args, **kw)

    def text(data: bytes) -> str:
        return data.decode(encoding, errors).replace("\r\n", "\n").replace("\r", "\n")

    return subprocess.CompletedProcess(result.args, result.returncode, text(result.stdout), text(result.stderr))


def _started() -> subprocess.Popen[bytes]:
    if not _server or _server[0].poll() is not None:
        _server_environ.update({name: os.environ.get(name) for name in _INTERPRETER})
        if not _server:
            atexit.register(_stop)
        # the server counts the interpreter's own warning filters before anything is imported
        _server[:] = [subprocess.Popen([sys.executable, "-c", "import warnings; own = len(warnings.filters); "
                                        "from tests.cli import command; command._serve(own)"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, cwd=ROOT, bufsize=0)]
    return _server[0]


def _stop() -> None:
    """The server ends when its input does (killed if it does not within 30 s)."""
    for server in _server:
        for pipe in (server.stdin, server.stdout):
            if pipe is not None:
                pipe.close()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    _server.clear()


def _send(pipe: Any, message: Any) -> None:
    data = pickle.dumps(message)
    os.write(pipe.fileno(), struct.pack(">I", len(data)) + data)  # at most a few KiB: one write


def _exactly(fd: int, size: int) -> bytes:
    """``size`` bytes read from ``fd``, unbuffered (so none wait unseen in a buffer); fewer at its end."""
    found = b""
    while len(found) < size:
        more = os.read(fd, size - len(found))
        if not more:
            break
        found += more
    return found


def _receive(pipe: Any) -> Any:
    """The next message."""
    head = _exactly(pipe.fileno(), 4)
    if len(head) != 4:
        raise RuntimeError("the command's fork server ended")
    return pickle.loads(_exactly(pipe.fileno(), struct.unpack(">I", head)[0]))


def _serve(own_filters: int) -> None:
    """The server: for each call asked on standard input, a forked process running it (killed when it
    outlives its time); its wait status, and whether it was killed so, on standard output.
    ``own_filters``: how many of the warning filters are the interpreter's own (they come last)."""
    for _, (module, _) in jjjcredit.cli.app.SUBAPPS.items():
        __import__(f"jjjcredit.cli.{module}")
    # the pipes moved off the standard descriptors, which each call has as its own
    requests, answers = os.fdopen(os.dup(0), "rb", buffering=0), os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    while True:
        try:
            *request, timeout = _receive(requests)
        except RuntimeError:
            return  # the tests ended
        pid = os.fork()
        if pid == 0:
            requests.close()
            answers.close()
            _call(*request, own_filters)  # type: ignore[call-arg]
        watched = os.pidfd_open(pid)
        timed_out = not select.select([watched], [], [], timeout)[0]
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        os.close(watched)
        _send(answers, (os.waitpid(pid, 0)[1], timed_out))


def _call(args: list[str | bytes], environ: dict[str, str], cwd: str | None, held: str, own_filters: int) -> None:
    """In the forked process: become ``python -m jjjcredit ARGS`` and run it."""
    os.environ.clear()
    os.environ.update(environ)
    if cwd:
        os.chdir(cwd)
    for fd, name, flags in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                            (2, "stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
        opened = os.open(os.path.join(held, name), flags, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    # the standard streams as the interpreter makes them when they are not a terminal
    encoding, errors = sys.__stdout__.encoding if sys.__stdout__ else "utf-8", \
        sys.__stdout__.errors if sys.__stdout__ else "strict"
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding=encoding, errors=errors)
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding=encoding,
                                  errors=errors)
    sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)), encoding=encoding,
                                  errors="backslashreplace", line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc]
    if environ.get("PYTHONWARNINGS") == "error":  # where ``-W error`` stands: after what the imports added
        warnings.filters.insert(  # type: ignore[attr-defined]
            len(warnings.filters) - own_filters, ("error", None, Warning, None, 0))
        warnings._filters_mutated()  # type: ignore[attr-defined]
    sys.argv = [ARGV0, *map(os.fsdecode, args)]  # bytes as the interpreter reads them
    sys.modules["__main__"].__package__ = "jjjcredit"  # as ``python -m jjjcredit`` has it (the usage line)
    code = 0
    try:
        jjjcredit.cli.app.main()
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # as the interpreter ends on an exception nobody caught
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
