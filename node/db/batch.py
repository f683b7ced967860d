"""Group commit: money commands from many request threads share one database transaction.

Each command is a function of the open connection. A request thread queues its command; the
first thread to find no batch running becomes the leader, takes up to `batch_size_max` queued
commands, runs each inside its own SAVEPOINT and commits them together, then hands leadership on.
One lock acquisition and one commit serve a whole batch, which is what lets a node approach the
database's commit rate instead of paying it per transfer.

Isolation is unchanged: commands run one after another under the node's write lock, each seeing
what the previous ones wrote. A command that raises a NodeError is rolled back to its savepoint
alone. If the batch itself fails (the database errors, an invariant breaks), it is rolled back
whole and every command is run again on its own, so one bad command cannot take others with it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from node.db.engine import Database
from node.errors import ErrorCode, NodeError

T = TypeVar("T")
BATCH_SIZE_MAX = 256
QUEUE_LENGTH_MAX = 4_096


class Overloaded(NodeError):
    pass


@dataclass
class _Command(Generic[T]):
    fn: Callable[[Connection], T]
    value: Any = None
    error: BaseException | None = None
    done: bool = False

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
    ) -> None:
        self.db = db
        self.batch_size_max = batch_size_max
        self.queue_length_max = queue_length_max
        self._queue: deque[_Command[Any]] = deque()
        self._cond = threading.Condition()
        self._leading = False
        self.batches = 0  # counters for the benchmark and tests
        self.commands = 0

    def run(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn(conn)` in a write transaction shared with other queued commands."""
        command: _Command[T] = _Command(fn)
        with self._cond:
            if len(self._queue) >= self.queue_length_max:
                raise Overloaded(ErrorCode.OVERLOADED, "write queue is full; retry shortly")
            self._queue.append(command)
            while self._leading and not command.done:
                self._cond.wait()
            if command.done:
                return command.result()
            self._leading = True
        try:
            while not command.done:
                with self._cond:
                    batch = [
                        self._queue.popleft()
                        for _ in range(min(self.batch_size_max, len(self._queue)))
                    ]
                self._execute(batch)
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()
        return command.result()

    def _execute(self, batch: list[_Command[Any]]) -> None:
        try:
            with self.db.write() as conn:
                for command in batch:
                    command.value, command.error = None, None
                    try:
                        with conn.begin_nested():
                            command.value = command.fn(conn)
                    except NodeError as exc:
                        command.error = exc
        except Exception as exc:
            if len(batch) == 1:
                batch[0].value, batch[0].error = None, exc
            else:
                for command in batch:
                    self._execute([command])
                return
        self.batches += 1
        self.commands += len(batch)
        with self._cond:
            for command in batch:
                command.done = True
            self._cond.notify_all()
