"""Workers: local processes that die with the run that started them, and bounded Dask connections.

A local worker ignores Ctrl-C (the run handles it, in one line) and is killed by the kernel when
its parent process ends, however it ends (SIGTERM, SIGKILL, a crash): on Linux through
``prctl(PR_SET_PDEATHSIG)``, elsewhere through a thread that watches the parent's process id.
A Dask scheduler is given ``timeout`` seconds to answer and to have a worker, never more.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sim.core.threads import one_thread
from sim.errors import SimError
from sim.messages import cut_text

__all__ = ["local_pool", "dask_client", "quiet_dask_logs", "close_quietly", "DASK_SCHEMES"]

#: prctl option asking the kernel to signal this process when its parent ends (linux/prctl.h).
_PR_SET_PDEATHSIG = 1
#: Address schemes of a Dask scheduler (``inproc`` only for a scheduler of this very process).
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
#: Most seconds spent closing a Dask client (a lost scheduler would otherwise hold it for twice the timeout).
_CLOSE_S = 5.0
#: How often a worker without prctl checks that its parent still lives, in seconds.
_PARENT_POLL_S = 0.5


def _process_context():
    """Forked workers where that is safe, spawned ones elsewhere.

    A forked worker starts in milliseconds with the parent's imports and compiled kernels; a
    spawned one re-imports NumPy, Numba, Mesa and xarray and reloads every cached kernel, about
    5 s on this machine, which cost more than a 2-worker ensemble of under a few hundred draws
    saved. Fork is used on Linux when this process runs no other Python thread (a thread holding
    a lock at the fork would leave it held in the child); otherwise workers are spawned, except
    that a main program read from standard input (``python - <<EOF``) cannot be re-imported, so
    there they are forked. Each draw depends only on (scenario, seed, draw), so the results are
    the same either way.
    """
    fork_ok = "fork" in multiprocessing.get_all_start_methods()
    if fork_ok and sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is not None and not os.path.exists(main_file):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    os._exit(1)


def _die_with_parent(parent_pid: int) -> None:
    """Initializer of a local worker: end with the parent; leave Ctrl-C to the parent."""
    # The terminal sends Ctrl-C to every process of the group; the run stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The cores are the pool's: one thread per worker (and never the OpenMP state copied at a fork).
    one_thread()
    armed = False
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if os.getppid() != parent_pid:  # the parent ended before the signal was armed
        os._exit(1)


def _start_worker(parent_pid: int, setup: Callable[..., None] | None, setup_args: tuple) -> None:
    _die_with_parent(parent_pid)
    if setup is not None:
        setup(*setup_args)


@contextmanager
def local_pool(workers: int, setup: Callable[..., None] | None = None,
               setup_args: tuple = ()) -> Iterator[cf.ProcessPoolExecutor]:
    """A pool of `workers` local processes, stopped at once (not drained) if the block raises.

    Parameters
    ----------
    workers : int
    setup : callable, optional
        Called in each worker as it starts, with `setup_args` (a forked worker gets them without
        pickling: one copy per worker, whatever the number of tasks).

    Yields
    ------
    concurrent.futures.ProcessPoolExecutor
    """
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=_process_context(),
                                  initializer=_start_worker, initargs=(os.getpid(), setup, setup_args))
    try:
        yield pool
    except BaseException:
        # shutdown() would wait for the running chunks: on an interrupt or an error, kill them.
        table = getattr(pool, "_processes", None)  # pid -> Process; the pool has no public handle on them
        processes = list(table.values()) if isinstance(table, dict) else []
        for process in processes:
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)
        # Until the pool's manager thread has closed its wake-up pipe, the interpreter's exit hook
        # writes to it and, when the reader is gone, prints a traceback after the one-line message.
        manager = getattr(pool, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(timeout=5)
        raise
    pool.shutdown()


def _drop_gather_exits(record) -> bool:
    """False (drop) for asyncio's report of a distributed gather abandoned by the run."""
    message = record.getMessage()
    return not (message.startswith("Task exception was never retrieved") and "AllExit" in message)


@contextmanager
def quiet_dask_logs() -> Iterator[None]:
    """Silence distributed's own log lines (tracebacks of reconnection attempts) for the block.

    A lost scheduler is reported by the run in one line; distributed would add a traceback per
    attempt. Its loggers carry their own levels (from dask's configuration), so each is raised.
    """
    import logging

    try:
        import distributed.client  # noqa: F401 - its loggers exist once it is imported
    except ImportError:
        pass
    # A wait for a result cut short by the run leaves a task that ends in distributed's AllExit;
    # asyncio reports it ("Task exception was never retrieved" and a traceback) whenever it is
    # collected, perhaps after the block: that report is dropped for good.
    if _drop_gather_exits not in logging.getLogger("asyncio").filters:
        logging.getLogger("asyncio").addFilter(_drop_gather_exits)
    names = ["distributed"] + [n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def dask_client(address: str, timeout: float) -> Any:
    """A client of the Dask scheduler at `address` that has at least one worker.

    Parameters
    ----------
    address : str
        ``tcp://host:port``.
    timeout : float
        Seconds allowed for the connection and, again, for a worker to join (``--scheduler-timeout``).

    Returns
    -------
    dask.distributed.Client

    Raises
    ------
    SimError
        If dask.distributed is missing, the address is bad, the scheduler does not answer in
        `timeout` seconds, or no worker joins in `timeout` seconds.
    """
    try:
        from dask.distributed import Client
    except ImportError:
        raise SimError("--scheduler: needs dask.distributed; install with `pip install 'sim[dist]'`") from None
    shown = cut_text(address)
    _check_address(address)
    outcome: dict[str, Any] = {}

    def connect() -> None:
        try:
            # Not the default client: a client left half-made by a stuck handshake would otherwise
            # send every later dask computation of the process (xarray's) to a scheduler that is not there.
            outcome["client"] = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except Exception as exc:  # any failure to connect is reported below, in one line
            outcome["error"] = f"{' '.join(str(exc).split())[:160] or type(exc).__name__}"
            _disarm(exc)

    # Client() bounds the TCP connection but not the handshake: a socket that never answers
    # would hang it, so the wait is bounded here and the stuck thread left to die with the run.
    thread = threading.Thread(target=connect, name="sim-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if thread.is_alive():
        raise SimError(f"--scheduler: no answer from a Dask scheduler at {shown} within {timeout:g} s "
                       "(--scheduler-timeout)")
    if "error" in outcome:
        raise SimError(f"--scheduler: cannot reach a Dask scheduler at {shown} ({outcome['error']})")
    client = outcome["client"]
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        close_quietly(client, timeout)
        raise SimError(f"--scheduler: the Dask scheduler at {shown} has no workers (none joined within "
                       f"{timeout:g} s, --scheduler-timeout)") from None
    return client


def _check_address(address: str) -> None:
    """Refuse, before any connection, an address no Dask scheduler can have (one line, no client made).

    Raises
    ------
    SimError
        ``--scheduler: cannot reach a Dask scheduler at ADDRESS (why)``.
    """
    shown = cut_text(address)

    def bad(why: str) -> SimError:
        return SimError(f"--scheduler: cannot reach a Dask scheduler at {shown} ({why}; "
                        "allowed: tcp://HOST:PORT, tls://, ws://, wss://, ucx://)")

    if not isinstance(address, str) or not address.strip():
        raise bad("an empty address")
    scheme, sep, location = address.rpartition("://")
    scheme = scheme if sep else "tcp"  # distributed's default scheme
    if scheme not in DASK_SCHEMES:
        raise bad(f"unknown scheme {cut_text(repr(scheme), 24)}")
    if scheme == "inproc":
        from distributed.comm.inproc import global_manager

        try:
            listener = global_manager.get_listener_for(location)
        except ValueError:
            listener = None
        if listener is None:
            raise bad("no scheduler of this process listens at that inproc address")
        return
    from distributed.comm.addressing import parse_host_port

    try:
        host, port = parse_host_port(location)
        port = int(port)
    except ValueError as exc:
        raise bad(" ".join(str(exc).split())[:120]) from None
    if not host:
        raise bad("no host")
    if not 1 <= port <= 65535:
        raise bad(f"port {port} is not in 1..65535")


def _disarm(exc: BaseException) -> None:
    """Mark the client a failed ``Client()`` left half-made as closed, so that it is not closed again.

    Its ``__del__`` would close it at the next collection, or as the interpreter ends, waiting
    twice the timeout for a scheduler that is not there and printing "Exception ignored in ...
    Traceback" after the run's one line. The client is found in the frames of the failure.
    """
    from distributed import Client

    tb = exc.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("self")
        if isinstance(candidate, Client):
            candidate.status = "closed"
            runner = getattr(candidate, "_loop_runner", None)
            if runner is not None:
                with suppress(Exception):
                    runner.stop()
            break
        tb = tb.tb_next
    exc.__traceback__ = None


def close_quietly(client: Any, timeout: float) -> None:
    """Close a Dask client within a few seconds, whatever state its scheduler is in; never raises."""
    try:
        client.close(timeout=min(timeout, _CLOSE_S))
    except Exception:  # a scheduler already lost: the client is abandoned as closed
        client.status = "closed"
        runner = getattr(client, "_loop_runner", None)
        if runner is not None:
            with suppress(Exception):
                runner.stop()
