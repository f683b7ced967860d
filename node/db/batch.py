"""Group commit: money commands share one database transaction and one commit.

Callers queue a command (a function of the open connection; `Command` states its contract). Up
to `batch_size_max` queued commands run one after another, each inside its own SAVEPOINT, and
commit together. One lock acquisition and one commit serve a whole batch, which lets a node
approach its database's commit rate instead of paying it per transfer.

Two ways in, one way through:

* `run(fn)` blocks the calling thread; a writer thread drains that queue (scripts, tests, CLI).
* `await submit(fn)` is for HTTP handlers. With PostgreSQL it uses the writer thread too, whose
  network waits overlap with request handling. With SQLite every statement is a short in-process
  call that releases and re-takes the GIL, so a second thread only adds GIL hand-offs: there the
  batch runs on the event loop itself, flushed once per loop iteration, after every request that
  arrived in that iteration has queued its command.

Isolation is unchanged: commands run one after another under the node's write lock, each seeing
what the previous ones wrote. A command that raises a NodeError is rolled back to its savepoint
alone. If the batch itself fails (the database errors, an invariant breaks), it is rolled back
whole and every command is run again on its own, so one bad command cannot take others with it.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from node.db.engine import Database
from node.errors import ErrorCode, NodeError

T = TypeVar("T")

Command = Callable[[Connection], T]
"""A write command: a function of the open connection, queued with `run` or `submit`.

The group-commit contract: a command has no side effect outside the database, or only one
harmless when repeated. A batch that fails is rolled back whole and every command in it runs
again on its own, so a command may run twice, and a first run's writes may never commit:
whatever it did outside the database must not assume they did (a cache it fills would describe
rows that do not exist; drop entries instead, or fill it after `run`/`submit` returned).
"""
BATCH_SIZE_MAX = 256
QUEUE_LENGTH_MAX = 4_096
CLOSE_TIMEOUT_S = 30


class Overloaded(NodeError):
    pass


@dataclass
class _Command(Generic[T]):
    fn: Command[T]
    value: Any = None
    error: BaseException | None = None
    wake: threading.Event | None = None  # a blocked thread waits on this
    future: asyncio.Future[None] | None = None  # or a coroutine awaits this
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        value: T = self.value
        return value


class WriteBatcher:
    def __init__(
        self,
        db: Database,
        *,
        batch_size_max: int = BATCH_SIZE_MAX,
        queue_length_max: int = QUEUE_LENGTH_MAX,
        on_loop: bool | None = None,
    ) -> None:
        self.db = db
        self.on_loop = db.is_sqlite if on_loop is None else on_loop
        # On-loop batching keeps one queue per event loop: a future may only be completed by
        # its own loop (tests run several loops at once, one per TestClient request thread).
        self._loop_queues: dict[asyncio.AbstractEventLoop, list[_Command[Any]]] = {}
        self.batch_size_max = batch_size_max
        self.queue_length_max = queue_length_max
        self._queue: deque[_Command[Any]] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0  # counters for the benchmark and tests
        self.commands = 0

    def run(self, fn: Command[T]) -> T:
        """Run `fn(conn)` in the next batch and wait for its result (blocking)."""
        command: _Command[T] = _Command(fn, wake=threading.Event())
        self._enqueue(command)
        assert command.wake is not None
        command.wake.wait()
        return command.result()

    async def submit(self, fn: Command[T]) -> T:
        """Run `fn(conn)` in the next batch; the event loop stays free meanwhile."""
        loop = asyncio.get_running_loop()
        command: _Command[T] = _Command(fn, future=loop.create_future(), loop=loop)
        if self.on_loop:
            self._enqueue_on_loop(command, loop)
        else:
            self._enqueue(command)
        assert command.future is not None
        # Shielded: a client that hangs up does not stop a command that may already be written.
        await asyncio.shield(command.future)
        return command.result()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=CLOSE_TIMEOUT_S)

    def _enqueue_on_loop(self, command: _Command[Any], loop: asyncio.AbstractEventLoop) -> None:
        with self._cond:
            queue = self._loop_queues.get(loop)
            if queue is None:
                queue = self._loop_queues[loop] = []
                loop.call_soon(self._flush_loop_queue, loop)
            if len(queue) >= self.queue_length_max:
                raise Overloaded(ErrorCode.OVERLOADED, "write queue is full; retry shortly")
            queue.append(command)

    def _flush_loop_queue(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._cond:
            queue = self._loop_queues.pop(loop, [])
        for first in range(0, len(queue), self.batch_size_max):
            batch = queue[first : first + self.batch_size_max]
            self._execute(batch)
            _resolve([c.future for c in batch if c.future is not None])

    def _enqueue(self, command: _Command[Any]) -> None:
        with self._cond:
            if self._closed:
                raise Overloaded(ErrorCode.OVERLOADED, "the node is shutting down")
            if len(self._queue) >= self.queue_length_max:
                raise Overloaded(ErrorCode.OVERLOADED, "write queue is full; retry shortly")
            self._queue.append(command)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._drain, name="hourbridge-writer", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _drain(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                count = min(self.batch_size_max, len(self._queue))
                batch = [self._queue.popleft() for _ in range(count)]
            self._execute(batch)
            _complete(batch)

    def _execute(self, batch: list[_Command[Any]]) -> None:
        try:
            with self.db.write() as conn:
                cursor = conn.connection.cursor()
                for command in batch:
                    command.value, command.error = None, None
                    # Plain SQL savepoints: the same in SQLite and PostgreSQL, and a fraction of
                    # the cost of SQLAlchemy's nested-transaction objects on this hot path.
                    cursor.execute("SAVEPOINT command")
                    try:
                        command.value = command.fn(conn)
                    except NodeError as exc:
                        command.error = exc
                        cursor.execute("ROLLBACK TO SAVEPOINT command")
                    cursor.execute("RELEASE SAVEPOINT command")
                cursor.close()
        except Exception as exc:
            if len(batch) == 1:
                batch[0].value, batch[0].error = None, exc
            else:
                for command in batch:
                    self._execute([command])
                return
        self.batches += 1
        self.commands += len(batch)


def _complete(batch: list[_Command[Any]]) -> None:
    """Wake every waiter: threads directly, each event loop once for all its commands."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for command in batch:
        if command.wake is not None:
            command.wake.set()
        elif command.loop is not None and command.future is not None:
            by_loop.setdefault(command.loop, []).append(command.future)
    for loop, futures in by_loop.items():
        loop.call_soon_threadsafe(_resolve, futures)


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)
