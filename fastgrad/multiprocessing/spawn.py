"""torch.multiprocessing's spawn: run `fn(i, *args)` in `nprocs` new processes and wait for them, raising in the
parent when one of them raises (with its traceback) or exits with another code than 0, once the others have
been stopped."""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import signal
import sys
import traceback
import warnings
from typing import Callable


class ProcessException(Exception):
    def __init__(self, msg: str, error_index: int, error_pid: int):
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A process raised: the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A process exited with a non-zero code, or was ended by a signal (then signal_name names it)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int, signal_name: str | None = None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code, self.signal_name)


def _run(fn: Callable, index: int, args: tuple, error_queue) -> None:
    """The target of each process: fn(index, *args), its traceback sent to the parent if it raises."""
    try:
        fn(index, *args)
    except KeyboardInterrupt:
        pass  # (the parent stopped this process)
    except Exception:
        error_queue.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The started processes; `join` waits for them."""

    def __init__(self, processes: list, error_queues: list):
        self.processes, self.error_queues = processes, error_queues

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds (None: until one ends) for a process to end; True once all have ended
        with exit code 0, False while some still run. When one has failed, stops the others and raises
        ProcessRaisedException (it raised) or ProcessExitedException (it exited otherwise)."""
        running = [process for process in self.processes if process.exitcode is None]
        ready = multiprocessing.connection.wait([process.sentinel for process in running], timeout) if running else []
        for process in running:
            if process.sentinel in ready:  # (it is exiting; its exit code is known once it has)
                process.join()
        for index, process in enumerate(self.processes):
            if process.exitcode is not None and process.exitcode != 0:
                self._stop_all()
                raise self._failure(index, process)
        return all(process.exitcode is not None for process in self.processes)

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join()

    def _failure(self, index: int, process) -> ProcessException:
        queue = self.error_queues[index]
        if not queue.empty():
            return ProcessRaisedException(f"\n\n-- Process {index} terminated with the following error:\n"
                                          f"{queue.get()}", index, process.pid)
        if process.exitcode < 0:
            name = signal.Signals(-process.exitcode).name
            return ProcessExitedException(f"process {index} terminated with signal {name}", index, process.pid,
                                          process.exitcode, name)
        return ProcessExitedException(f"process {index} terminated with exit code {process.exitcode}", index,
                                      process.pid, process.exitcode)


def start_processes(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn") -> ProcessContext | None:
    """Start `nprocs` processes with `start_method`, process i running fn(i, *args); with `join`, wait for
    all of them (None), else return their ProcessContext."""
    context = multiprocessing.get_context(start_method)
    processes, error_queues = [], []
    for index in range(nprocs):
        error_queue = context.SimpleQueue()
        process = context.Process(target=_run, args=(fn, index, args, error_queue), daemon=daemon)
        process.start()
        processes.append(process)
        error_queues.append(error_queue)
    process_context = ProcessContext(processes, error_queues)
    if not join:
        return process_context
    while not process_context.join():
        pass
    return None


def spawn(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn") -> ProcessContext | None:
    """start_processes with the "spawn" start method (another one warns, as in PyTorch, and is used)."""
    if start_method != "spawn":
        warnings.warn(f"spawn supports only start_method='spawn' (got {start_method!r}); use "
                      f"fastgrad.multiprocessing.start_processes for another", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method)
