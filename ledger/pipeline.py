"""Reading an import: its lines parsed and validated in batches, for a large file in a second
process while this one checks and writes the batches before.

Only the reading moves: the second process reads the file, parses each line and validates it in
itself (ledger.records), which is what a line needs before it meets the log. Everything that
depends on the log (already recorded, the entry checks, seq, the chain, the read models) stays
in the process that holds the write transaction, and takes the batches in file order. So the
line numbers, the problems reported and the all-or-nothing outcome are those of reading the
file in one process; an error that stops the reading (an unreadable file, a line too long) is
raised here at the same point of the file. The second process is forked (it inherits the
payload registry as it is, evolutions included), touches no database, and ends with the read.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ledger.errors import LedgerError, Problem
from ledger.events import NewEvent
from ledger.io import Line, read_events_file
from ledger.records import record_reader
from ledger.store import batched

# One line of an import once read: the event on it or the problem it has.
ParsedLine = tuple[int, NewEvent | Problem]
# A file at least this large is read in a second process: below it, starting one costs more
# than it saves.
PARALLEL_MIN_BYTES = 2 << 20


@contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector paused for an import. An import keeps tens of thousands of
    small objects alive at a time (a batch of events, their rows, what the checks know), none
    of them in a cycle: each collection walks them all again and frees nothing, about a tenth
    of the time of an import. Reference counting still frees everything as usual; the rare
    cycle (an error's traceback) waits for the collector, which runs again afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def parsed_batches(lines: Iterable[Line], actor: str, size: int) -> Iterator[list[ParsedLine]]:
    """The lines of an import in batches, each record turned into its NewEvent or its Problem."""
    read = record_reader(actor)
    for batch in batched(lines, size):
        parsed: list[ParsedLine] = []
        for number, record in batch:
            if isinstance(record, Problem):
                parsed.append((number, record))
                continue
            try:
                parsed.append((number, read(record)))
            except LedgerError as error:
                parsed.append((number, Problem(number, str(error))))
        yield parsed


def can_fork() -> bool:
    """A second process can be started and is worth it: the system forks, has a second core to
    run it, and this process may have children (a daemonic one, a pool's worker, may not)."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and (os.cpu_count() or 1) > 1
        and not multiprocessing.current_process().daemon
    )


def worth_a_second_process(path: str | Path) -> bool:
    """A regular file large enough, on a machine with a core to spare: the second process only
    helps when it runs beside this one, not in turns with it (then it costs its own work and
    the transfer). The load average of the last minute says whether a core is idle."""
    try:
        if not (Path(path).is_file() and Path(path).stat().st_size >= PARALLEL_MIN_BYTES):
            return False
        load = os.getloadavg()[0]
    except OSError:
        return False
    return load <= (os.cpu_count() or 1) - 1


def parsed_file(
    path: str | Path,
    actor: str,
    size: int,
    *,
    progress: Callable[[int], None] | None = None,
    format: str | None = None,
    parallel: bool = False,
) -> Iterator[list[ParsedLine]]:
    """parsed_batches of a file: in this process, or with `parallel` in a second one. The
    file's format is checked and the file opened here and now, either way."""
    if not parallel:
        return parsed_batches(read_events_file(path, progress, format=format), actor, size)
    read_bytes = [0]
    lines = read_events_file(path, read_bytes.append, format=format)
    # Built before the fork, so that the second process inherits it ready (and imports nothing).
    record_reader(actor)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_read_in_second_process,
        args=(lines, actor, size, sender, read_bytes),
        name="ledger-import-reader",
        daemon=True,
    )
    process.start()
    sender.close()
    lines.close()
    return _batches_from(process, receiver, progress)


def _read_in_second_process(lines, actor: str, size: int, sender, read_bytes: list[int]) -> None:
    """The second process: every batch, then ("end",), or ("raise", the error that stopped it)."""
    try:
        gc.disable()  # as in collection_paused; this process ends with the reading
        for batch in parsed_batches(lines, actor, size):
            done = sum(read_bytes)
            read_bytes.clear()
            sender.send_bytes(pickle.dumps(("batch", batch, done), pickle.HIGHEST_PROTOCOL))
        sender.send_bytes(pickle.dumps(("end", sum(read_bytes))))
    except BaseException as error:  # sent to the reading process, which raises it
        try:
            message = pickle.dumps(("raise", error))
        except Exception:
            message = pickle.dumps(("raise", RuntimeError(f"reading the import: {error!r}")))
        try:
            sender.send_bytes(message)
        except OSError:
            pass  # the reading process is gone (it stopped the import)
    finally:
        sender.close()


def _batches_from(process, receiver, progress: Callable[[int], None] | None) -> Iterator[Any]:
    try:
        while True:
            try:
                message = receiver.recv_bytes()
            except EOFError:
                raise LedgerError(
                    f"the process reading the import file ended unexpectedly "
                    f"(exit status {process.exitcode})"
                ) from None
            with collection_paused():
                kind, *rest = pickle.loads(message)
            if kind == "raise":
                raise rest[0]
            if progress is not None and rest[-1]:
                progress(rest[-1])
            if kind == "end":
                return
            yield rest[0]
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()


__all__ = [
    "ParsedLine",
    "can_fork",
    "collection_paused",
    "worth_a_second_process",
    "parsed_batches",
    "parsed_file",
]
