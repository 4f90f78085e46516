"""Where tasks run: in this process, on a local process pool, or on a Dask cluster.

All three offer the same two calls, ``submit(fn, arg)`` returning a future
and ``wait_first(futures)`` returning those finished, so the experiment loop
is written once.  A task's numbers depend only on its inputs, never on where
it ran, so the three give identical results.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable, Iterable
from typing import Any

from sim.processes import die_with_parent


class ExecutorError(RuntimeError):
    """An executor that cannot start (e.g. a Dask scheduler that does not answer); message ``<where>: <what>``."""


class Serial:
    """Runs each task at once, in this process (``--workers 1``)."""

    workers = 1
    description = "serially, in this process"

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(fn(arg))
        return future

    def wait_first(self, futures: Iterable[cf.Future]) -> list[cf.Future]:
        return list(futures)

    def close(self) -> None:
        pass


class Pool:
    """A local pool of worker processes (started fresh, so workers share nothing with this process)."""

    def __init__(self, workers: int):
        self.workers = workers
        self.description = f"on a local process pool of {workers} workers"
        self._pool = cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent
        )  # workers end with this process, even when it is killed

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> cf.Future:
        return self._pool.submit(fn, arg)

    def wait_first(self, futures: Iterable[cf.Future]) -> list[cf.Future]:
        done, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
        return list(done)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class Dask:
    """A Dask distributed cluster: ``local`` starts a LocalCluster of ``workers`` single-threaded processes."""

    def __init__(self, address: str, workers: int, timeout_s: float = 10.0):
        try:
            import distributed
        except ImportError:
            raise ExecutorError("--dask: Dask is not installed; install it with: pip install 'caresim[dask]'") from None
        self._distributed = distributed
        self._cluster = None
        try:
            if address == "local":
                self._cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
                )
                self.client = distributed.Client(self._cluster)
            else:
                self.client = distributed.Client(address, timeout=timeout_s)
        except (OSError, TimeoutError, ValueError) as e:
            self.close()
            raise ExecutorError(
                f"--dask: no Dask scheduler answered at '{address}' within {timeout_s:g} s ({type(e).__name__})"
            ) from None
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.description = f"on the Dask cluster at {self.client.scheduler.address} ({self.workers} worker threads)"

    def submit(self, fn: Callable[[Any], Any], arg: Any):
        return self.client.submit(fn, arg, pure=False)

    def wait_first(self, futures: Iterable[Any]) -> list[Any]:
        futures = list(futures)
        self._distributed.wait(futures, return_when="FIRST_COMPLETED")
        return [f for f in futures if f.done()]

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(workers: int | None, dask: str | None):
    """``--dask`` wins; otherwise one worker runs serially and more use a process pool (default: all cores)."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    if dask:
        return Dask(dask, n)
    return Serial() if n == 1 else Pool(n)
