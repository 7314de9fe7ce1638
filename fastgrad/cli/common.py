"""Conventions every `fastgrad` command shares: options declared from the typed training configs (so an option's
default and range check are the config field's own), and the run options every command has."""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any, Callable

from fastgrad.train.errors import ConfigError
from fastgrad.train.settings import POSITIVE_INT, Check, from_namespace, option


def parse_with(check: Any, name: str):
    """argparse's `type=` for a config field's check: the value is refused while the arguments are parsed,
    with "argument --NAME: expected ..., got ..."."""
    if isinstance(check, Check):
        return check.parse

    def parse(text: str):
        try:
            return check(text, name)
        except ConfigError as err:
            raise argparse.ArgumentTypeError(str(err).removeprefix(f"{name} ")) from None
    parse.__name__ = name.lstrip("-")
    return parse


def add_option(parser: argparse.ArgumentParser, config_class: type, name: str, help: str, **kwargs: Any) -> None:
    """`--name` for the field `name` of `config_class`: its default, its check as the type, "(default X)"
    appended to `help`. A boolean that defaults to True also gets --no-name."""
    item = {f.name: f for f in dataclasses.fields(config_class)}[name]
    default = item.default if item.default is not dataclasses.MISSING else None
    if default is True:
        parser.add_argument(option(name), action=argparse.BooleanOptionalAction, default=True,
                            help=f"{help} (default on)", **kwargs)
        return
    if default is False:
        parser.add_argument(option(name), action="store_true", help=help, **kwargs)
        return
    check = item.metadata.get("check")
    if check is not None:
        kwargs.setdefault("type", parse_with(check, option(name)))
    if item.default is dataclasses.MISSING and "nargs" not in kwargs:
        kwargs.setdefault("required", True)
    shown = f" (default {default})" if default is not None and "required" not in kwargs else ""
    parser.add_argument(option(name), default=default, help=help + shown, **kwargs)


def add_run_arguments(parser: argparse.ArgumentParser, config_class: type) -> None:
    """The options every training command takes."""
    add_option(parser, config_class, "seed", "random seed")
    add_threads_argument(parser)
    add_option(parser, config_class, "backend", "kernel backend", choices=("compiled", "numpy", "python"))
    add_option(parser, config_class, "out", "model directory: the best checkpoint, its vocabulary and config, the "
                                            "metrics and the state to resume from", metavar="DIR")


def add_epoch_arguments(parser: argparse.ArgumentParser, config_class: type) -> None:
    """The options every epoch-based training command takes."""
    add_option(parser, config_class, "resume", "continue the run saved in --out (after its last finished epoch)")
    add_option(parser, config_class, "max_minutes", "time budget: stop at the end of the epoch during which it "
                                                    "runs out", metavar="M")
    add_option(parser, config_class, "plot", "write the quality curves to this image file (its suffix is the "
                                             "format; PNG without one) and the throughput beside it", metavar="FILE")


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=POSITIVE_INT.parse, default=None,
                        help="threads for BLAS and Numba (default: all cores)")


def set_threads(threads: int | None) -> int:
    """Use `threads` threads (default: every core) in Numba and OpenBLAS; returns the count in force."""
    from fastgrad import threads as thread_control

    return thread_control.set_threads(threads)


def run_training(train: Callable[[Any], Any], config_class: type, ignore: tuple[str, ...] = ()
                 ) -> Callable[[argparse.Namespace], int]:
    """A command's `run`: the parsed arguments (but `ignore`) as a `config_class`, passed to the training function."""
    def run(args: argparse.Namespace) -> int:
        train(from_namespace(config_class, args, ignore))
        return 0
    return run
