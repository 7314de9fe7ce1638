"""The `fastgrad` command.

Each family of commands lives in its own module with a `register(cli: CommandTable)` function;
`main` builds the parser from all of them. `fastgrad train MODEL ...` is one sub-parser per model.

`main` is the one error handler: a user error (bad arguments or files, a broken model directory, a
diverged run, Ctrl-C or SIGTERM, a closed pipe) becomes one line on stderr and its own exit code (`EXIT_CODES`);
`--debug` adds the traceback. Warnings are one line each too. Anything else is a bug and keeps Python's traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import traceback
import warnings
from typing import Callable, Sequence

from fastgrad.cli import distributed_hooks
from fastgrad.serialization import CheckpointError
from fastgrad.train.errors import ConfigError, ModelDirectoryError, TrainingDiverged

EXIT_USAGE = 2          # bad arguments (argparse's own code)
EXIT_INPUT = 3          # a data file that cannot be read as the command expects
EXIT_OS = 4             # a file or directory that cannot be opened or written
EXIT_MODEL_DIR = 5      # a model directory or checkpoint that cannot be used
EXIT_DIVERGED = 6       # a training run whose loss or weights became NaN or infinite
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (128 + SIGPIPE)
EXIT_TERMINATED = 143   # SIGTERM (128 + SIGTERM), stopped as Ctrl-C stops a run

# Checked in order: the first class that matches gives the exit code (subclasses before their bases).
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigError, EXIT_USAGE),
    (ModelDirectoryError, EXIT_MODEL_DIR),
    (CheckpointError, EXIT_MODEL_DIR),
    (TrainingDiverged, EXIT_DIVERGED),
    (KeyboardInterrupt, EXIT_INTERRUPTED),
    (BrokenPipeError, EXIT_BROKEN_PIPE),
    (OSError, EXIT_OS),
    (ValueError, EXIT_INPUT),
)

# Modules that add commands; a module that is not present (yet) is skipped.
COMMAND_MODULES = (
    "fastgrad.cli.demo",
    "fastgrad.cli.bench",
    "fastgrad.cli.classify",
    "fastgrad.cli.lm",
    "fastgrad.cli.word2vec",
    "fastgrad.cli.model_dir",
)


class CommandTable:
    """What a command module sees: where to hang its sub-commands."""

    def __init__(self, commands: argparse._SubParsersAction, train_models: argparse._SubParsersAction):
        self._commands = commands
        self._train_models = train_models

    def add_command(self, name: str, help: str) -> argparse.ArgumentParser:
        """A top-level command, `fastgrad NAME ...`. Set `run=` with `parser.set_defaults`."""
        return _with_debug(self._commands.add_parser(name, help=help, description=help))

    def add_train_model(self, name: str, help: str) -> argparse.ArgumentParser:
        """A model for `fastgrad train NAME ...`. Set `run=` with `parser.set_defaults`."""
        return _with_debug(self._train_models.add_parser(name, help=help, description=help))


def _with_debug(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    # SUPPRESS keeps a `fastgrad --debug COMMAND` given before the command from being reset to False.
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an error (also: FASTGRAD_DEBUG=1)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastgrad", description="fastgrad: autodiff with compiled kernels for classic neural NLP models.",
                                     epilog="exit codes: 0 success, 2 bad arguments, 3 unreadable input file, 4 file "
                                            "system error, 5 unusable model directory or checkpoint, 6 training "
                                            "diverged, 130 interrupted, 141 output pipe closed, 143 terminated "
                                            "(SIGTERM)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (also: FASTGRAD_DEBUG=1)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train = _with_debug(commands.add_parser("train", help="train a model", description="train a model"))
    train_models = train.add_subparsers(dest="train_model", metavar="MODEL")
    train_models.required = True
    table = CommandTable(commands, train_models)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:
                continue
            raise
        module.register(table)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `fastgrad` command; returns its exit code (argparse exits with 2 itself on bad arguments)."""
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int | None] = args.run
    debug = args.debug or os.environ.get("FASTGRAD_DEBUG")
    terminated: list[int] = []
    try:
        with warnings.catch_warnings(), _sigterm_as_interrupt(terminated):  # (both undone when main returns)
            if not debug:
                warnings.showwarning = _show_warning_line
            distributed_hooks.start(args)  # under mpiexec: join the job, rank 0 alone prints
            return int(run(args) or 0)
    except BaseException as error:  # noqa: B036  (KeyboardInterrupt is a user action, handled like the rest)
        code = exit_code(error)
        if code is None:
            raise
        if code == EXIT_INTERRUPTED and terminated:
            code = EXIT_TERMINATED
        if debug:
            traceback.print_exc()
        if code == EXIT_BROKEN_PIPE:
            _silence_stdout()
        print(f"fastgrad: {error_line(error)}", file=sys.stderr, flush=True)
        return code


@contextlib.contextmanager
def _sigterm_as_interrupt(received: list[int]):
    """While inside: SIGTERM (sent by `kill`, a job scheduler, a container's stop) raises KeyboardInterrupt("stopped
    by SIGTERM") and is appended to `received`, so that a training run stops as on Ctrl-C, saying where its
    checkpoints are, instead of dying silently. (Handlers can only be set from the main thread.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame) -> None:
        received.append(signum)
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _show_warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line on stderr, like an error (Python's format adds the library's file and source
    line, which say nothing to the user; --debug keeps it)."""
    text = "; ".join(part.strip() for part in str(message).splitlines() if part.strip())
    print(f"fastgrad: warning: {text}", file=sys.stderr if file is None else file, flush=True)


def exit_code(error: BaseException) -> int | None:
    """The exit code of a user error, None for anything else (a bug, or a SystemExit passing through)."""
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return None


def error_line(error: BaseException) -> str:
    """The error as one line: an OSError as "PATH: reason", anything else its message with line breaks joined."""
    if isinstance(error, BrokenPipeError):
        return "output closed before everything was written (broken pipe)"
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}: " if error.filename is not None else ""
        return f"{where}{error.strerror}" + (f" (and {error.filename2})" if error.filename2 is not None else "")
    if isinstance(error, KeyboardInterrupt) and not str(error):
        return "interrupted"
    return "; ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not raise BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # a stdout without a file descriptor (captured in tests)
        pass


if __name__ == "__main__":
    sys.exit(main())
