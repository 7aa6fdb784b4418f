"""``minuku scan``: many messages checked by N worker processes, reported in input order.

- **Same check, same deadline as the add-on's.** Every message goes to a ``worker.CheckWorker``
  child, as in the native-messaging host: a message that keeps the parser busy past its CPU
  budget is cut short (``check_deadline``, the headers' verdict kept, never ``ok``) instead of
  stalling the scan, and a crash in one message is that message's ``unknown``. ``--jobs 1``
  is the same with one child, so its output is the output of ``--jobs N``.
- **Ordered.** Records come out in the order the messages were read, whichever child finished
  first; a slow message holds the output back, not the others' work.
- **Flat memory.** Messages stream from the reader (mbox split line by line, never read whole)
  into a window of at most ``window`` messages in flight (read, checked or waiting for their
  turn to be printed); the reader waits for a free place. A 10 GB mbox needs the memory of
  ``window`` messages, not of the mbox.
- **Threads in this process only wait.** One thread per child sends it a message and waits on
  the pipe (the CPU work is in the children); the reader is a thread too, so this process's
  main thread only prints.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import CheckOptions
    from .worker import CheckFn, Outcome, ResolverFactory

Item = tuple[str, int | None, bytes | Exception]  # (path, mbox index or None, raw or error)


def default_jobs() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def label_of(path: str, index: int | None) -> str:
    return f"{path}#{index}" if index is not None else path


def record_of(
    path: str,
    index: int | None,
    outcome: Outcome | None,
    error: str | None,
    *,
    options: CheckOptions,
) -> dict[str, Any]:
    """The one record ``scan`` prints for a message (``--jsonl`` writes it as it is)."""
    record: dict[str, Any] = {"path": label_of(path, index), "file": path, "index": index}
    if outcome is None:
        record.update(verdict="unknown", error=error or "not checked")
        return record
    payload = outcome.payload
    if payload is None:
        from .quickcheck import CRASHED, cut_short

        payload = cut_short(
            outcome.headers,
            code=outcome.stopped or CRASHED,
            seconds=round(outcome.seconds, 1),
            lang=options.lang,
            offline=options.offline,
        )
    record.update(
        verdict=payload.verdict,
        brand=payload.brand.id if payload.brand else None,
        title=payload.title,
        reasons=[r.code for r in payload.reasons],
    )
    return record


_END = object()


def scan(
    items: Iterable[Item],
    *,
    options: CheckOptions,
    jobs: int,
    resolver_factory: ResolverFactory | None = None,
    cpu_budget_s: float | None = None,
    window: int | None = None,
    target: CheckFn | None = None,
) -> Generator[dict[str, Any], None, None]:
    """One record per item, in the order of ``items``, checked by ``jobs`` worker processes.

    ``items`` is consumed lazily, at most ``window`` (default ``4 * jobs``) ahead of the record
    last yielded. Closing the generator early stops the reader and the children. ``target``
    replaces the check the children run (tests: a check that spins, sleeps or crashes).
    """
    from .nativemsg import CPU_BUDGET_ENV, _env_seconds
    from .worker import DEFAULT_CPU_BUDGET_S, CheckWorker, Job, run_check

    jobs = max(1, jobs)
    budget = cpu_budget_s or _env_seconds(CPU_BUDGET_ENV, DEFAULT_CPU_BUDGET_S)
    slots = threading.Semaphore(window or 4 * jobs)
    todo: queue.SimpleQueue[tuple[int, str, int | None, bytes] | None] = queue.SimpleQueue()
    done: queue.SimpleQueue[tuple[Any, Any]] = queue.SimpleQueue()
    stop = threading.Event()

    def read() -> None:
        seq = 0
        it = iter(items)
        try:
            while True:
                # A place in the window first, then the next message: never more in memory.
                while not slots.acquire(timeout=0.2):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                try:
                    path, index, data = next(it)
                except StopIteration:
                    break
                if isinstance(data, Exception):
                    done.put((seq, record_of(path, index, None, str(data), options=options)))
                else:
                    todo.put((seq, path, index, data))
                seq += 1
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, raised there
            done.put((_END, exc))
            return
        done.put((_END, seq))

    def check(worker: CheckWorker) -> None:
        try:
            while not stop.is_set():
                item = todo.get()
                if item is None or stop.is_set():
                    return
                seq, path, index, raw = item
                try:
                    outcome = worker.run(Job(raw, options))
                    record = record_of(path, index, outcome, None, options=options)
                except Exception as exc:  # noqa: BLE001 - one message never ends the scan
                    record = record_of(
                        path, index, None, f"{type(exc).__name__}: {exc}", options=options
                    )
                done.put((seq, record))
        finally:
            worker.close()

    workers = [
        CheckWorker(
            cpu_budget_s=budget, target=target or run_check, resolver_factory=resolver_factory
        )
        for _ in range(jobs)
    ]
    threads = [threading.Thread(target=read, name="minuku-scan-read", daemon=True)]
    threads += [
        threading.Thread(target=check, args=(w,), name=f"minuku-scan-{i}", daemon=True)
        for i, w in enumerate(workers)
    ]
    for t in threads:
        t.start()
    waiting: dict[int, dict[str, Any]] = {}
    next_seq = 0
    total: int | None = None
    try:
        while total is None or next_seq < total:
            key, value = done.get()
            if key is _END:
                if isinstance(value, BaseException):
                    raise value
                total = value
            else:
                waiting[key] = value
            while next_seq in waiting:
                record = waiting.pop(next_seq)
                next_seq += 1
                slots.release()
                yield record
    finally:
        stop.set()
        for _ in workers:
            todo.put(None)
        for t in threads[1:]:
            t.join(timeout=30)
