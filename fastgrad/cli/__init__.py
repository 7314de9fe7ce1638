"""The `fastgrad` command.

Each family of commands lives in its own module with a `register(cli: CommandTable)` function;
`main` builds the parser from all of them. `fastgrad train MODEL ...` is one sub-parser per model.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Callable, Sequence

from fastgrad.cli import distributed_hooks

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
        return self._commands.add_parser(name, help=help, description=help)

    def add_train_model(self, name: str, help: str) -> argparse.ArgumentParser:
        """A model for `fastgrad train NAME ...`. Set `run=` with `parser.set_defaults`."""
        return self._train_models.add_parser(name, help=help, description=help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastgrad", description="fastgrad: autodiff with compiled kernels for classic neural NLP models.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train = commands.add_parser("train", help="train a model", description="train a model")
    train_models = train.add_subparsers(dest="model", metavar="MODEL")
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
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    distributed_hooks.start(args, argv)  # under mpiexec: join the job, rank 0 alone prints
    run: Callable[[argparse.Namespace], int | None] = args.run
    return int(run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
