"""A batch's chunks read and checked — in the batch's own process, or, for a large CSV file sent from the
command line, in a process of its own while the batch's process writes the chunks before (the checks are
pure: core/credit/records_arrow; the writing is services/credit/records.py's): the two halves of an ingest
then run side by side on cores of their own instead of one after the other.

Only where there are more than two cores: on two, the checks, the writing and the database fill both already.
The checking process is forked before the batch's writer starts its thread, never touches the database
(its copy of the connection is left as it is: a forked process ends by ``os._exit``), and sends each chunk
with its outcome through a pipe (memory stays flat: it waits while the writer has not taken the chunk before).
An error it meets (a file that cannot be read any further) is raised in the batch's process at the chunk
it was met at; if it dies, the batch stops with ``file.check_ended``."""

from __future__ import annotations

import contextlib
import datetime
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.credit import layouts, records, records_arrow
from jjjcredit.core.limits import Limits
from jjjcredit.services.tabular import files, readers, tables

#: A CSV file of at least this many bytes sent from the command line is checked in a process of its own
PROCESS_BYTES = 16 << 20
#: … where this process may run on this many cores at least: on two, the checks, the writing and the database
#: already fill both, and a process of its own only adds the chunks' way across (measured: no gain, twice the
#: memory; docs/benchmarks.md)
PROCESS_CORES = 3
_END = "end"


@dataclass
class Checked:
    """A chunk and its outcome: the rows with nothing to say (``clean``, their record ids ``ids``) and every
    other row as ``check_row`` says (``others``, by index in the chunk)."""

    chunk: tables.Chunk
    clean: records_arrow.Clean
    others: dict[int, records.Checked]
    ids: list[str]


def check(layout: layouts.Layout, chunk: tables.Chunk, today: datetime.date, item_code: str,
          provider: str) -> Checked:
    """One chunk checked, with the record ids of its rows."""
    columns = [c.array if isinstance(c, tables.ArrowColumn) else c for c in chunk.columns]
    clean, others = records_arrow.check_columns(layout, columns, chunk.first_row, chunk.size, today)
    return Checked(chunk, clean, others, records.record_ids(item_code, provider, clean.keys.to_pylist()))


@dataclass(frozen=True)
class Source:
    """What a checking process needs to read and check a file as the batch's process would."""

    path: str
    chunk_rows: int
    limits: Limits
    more: Callable[..., Any] | None
    names: tables.HeaderNames | None
    layout: layouts.Layout
    today: datetime.date
    item_code: str
    provider: str

    def chunks(self) -> Iterator[Checked]:
        with readers.open_table(self.path, self.chunk_rows, self.limits, self.more, none_ok=True,
                                arrow=True, header_names=self.names) as table:
            for chunk in table.chunks:
                yield check(self.layout, chunk, self.today, self.item_code, self.provider)


def in_own_process(path: str, table: tables.Table, channel: str) -> bool:
    """Whether a file is checked in a process of its own: a CSV file of :data:`PROCESS_BYTES` or more sent from
    the command line (a server's worker never forks), where processes can be forked and this one may use
    :data:`PROCESS_CORES` cores."""
    return (channel == "cli" and table.format == "csv" and "fork" in multiprocessing.get_all_start_methods()
            and len(os.sched_getaffinity(0)) >= PROCESS_CORES and os.path.getsize(path) >= PROCESS_BYTES)


def _produce(source: Source, out: Any) -> None:
    """The checking process: every chunk checked and sent, then the end (or the error met)."""
    try:
        for checked in source.chunks():
            out.send(checked)
        out.send(_END)
    except BaseException as exc:  # (sent whole: core.errors.Error pickles with its code and message)
        out.send(exc)


@contextlib.contextmanager
def checked_elsewhere(source: Source) -> Iterator[Iterator[Checked]]:
    """The chunks of ``source`` as a process of its own reads and checks them, in order; the process is
    ended when the ``with`` ends, however it ends."""
    context = multiprocessing.get_context("fork")
    into, out = context.Pipe(duplex=False)
    process = context.Process(target=_produce, args=(source, out), name="jjjcredit-check", daemon=True)
    gc.freeze()  # (nothing of this process's, its connection least of all, is collected in the forked one)
    try:
        process.start()
    finally:
        gc.unfreeze()
        out.close()  # (only the checking process writes: its end, even in the middle of a chunk, ends the pipe)

    def ended() -> files.InputFileError:
        process.join(5)
        return files.InputFileError(
            "file.check_ended", f"{shown_personal(os.path.basename(source.path))}: the process reading and "
            f"checking the file ended (exit code {process.exitcode}) before the file's end; nothing was recorded: "
            "send it again.")

    def received() -> Iterator[Checked]:
        while True:
            try:
                if not into.poll(1.0):
                    if not process.is_alive():
                        raise ended()
                    continue
                item = into.recv()
            except (EOFError, OSError):
                raise ended() from None
            if isinstance(item, BaseException):
                raise item
            if item == _END:
                return
            yield item

    try:
        yield received()
    finally:
        if process.is_alive():
            process.terminate()
        process.join(5)
        into.close()
