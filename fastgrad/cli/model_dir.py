"""Commands that use a saved model directory: `eval`, `predict`, `generate`.

`config.json` in the directory says which kind of model it holds ("kind": the `fastgrad train` command
that wrote it). `MODEL_KINDS` maps each kind to the command module that can load it; that module provides
`evaluate_model(model_dir, path, args) -> dict`, `predict_lines(model_dir, lines, args)` (an iterator of
output lines) and, for language models, `generate_text(model_dir, args) -> str`.

A model directory is data: nothing in it chooses which code runs beyond picking a row of that table.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import ModuleType

from fastgrad.cli import classify, lm, word2vec
from fastgrad.cli.common import add_threads_argument, set_threads
from fastgrad.data.readers import read_stream_lines
from fastgrad.train.directory import model_files, read_config
from fastgrad.train.errors import ConfigError, ModelDirectoryError
from fastgrad.train.report import fingerprint
from fastgrad.train.settings import NON_NEGATIVE, NON_NEGATIVE_INT

MODEL_KINDS: dict[str, ModuleType] = {
    "ngram": lm, "fflm": lm, "rnnlm": lm,
    "nbow": classify, "ner": classify,
    "word2vec": word2vec,
}

# Directories written before "kind" existed named their command module instead ("cli_module");
# fastgrad's own modules are recognised by name, and no other name is ever imported.
LEGACY_CLI_MODULES: dict[str, ModuleType] = {module.__name__: module for module in (lm, classify, word2vec)}


def commands_for(model_dir: Path) -> ModuleType:
    """The command module that loads the model in `model_dir`, chosen by its config.json's "kind"."""
    files = model_files(model_dir)
    config = read_config(files)
    path = files / "config.json"
    kinds = ", ".join(repr(kind) for kind in MODEL_KINDS)
    if "kind" in config:
        kind = config["kind"]
        if not isinstance(kind, str) or kind not in MODEL_KINDS:
            raise ModelDirectoryError(f"{path}: unknown model kind {kind!r}; expected one of {kinds}")
        return MODEL_KINDS[kind]
    if "cli_module" in config:
        name = config["cli_module"]
        if not isinstance(name, str) or name not in LEGACY_CLI_MODULES:
            modules = ", ".join(repr(module) for module in LEGACY_CLI_MODULES)
            raise ModelDirectoryError(f"{path}: unknown \"cli_module\" {name!r}; expected one of {modules} "
                                      f"(or, instead, \"kind\": one of {kinds})")
        return LEGACY_CLI_MODULES[name]
    raise ModelDirectoryError(f"{path}: no \"kind\"; expected one of {kinds}")


def run_eval(args: argparse.Namespace) -> int:
    set_threads(args.threads)
    result = commands_for(args.model_dir).evaluate_model(args.model_dir, args.file, args)
    print(json.dumps({**result, "file": fingerprint(args.file), "model_dir": _model_read(args.model_dir)},
                     sort_keys=True))
    return 0


def _model_read(model_dir: Path) -> str:
    """The snapshot of the model directory that a command reads (its `current`, resolved)."""
    return str(model_files(model_dir).resolve())


def run_predict(args: argparse.Namespace) -> int:
    set_threads(args.threads)
    print(f"model: {_model_read(args.model_dir)}", file=sys.stderr, flush=True)  # (stdout holds only predictions)
    # (bytes, decoded as the data files are: a byte-order mark or bytes that are not UTF-8 would otherwise pass
    # as parts of words, and give the prediction of words that were not typed)
    lines = read_stream_lines(sys.stdin.buffer)
    for line in commands_for(args.model_dir).predict_lines(args.model_dir, lines, args):
        print(line, flush=True)
    return 0


def run_generate(args: argparse.Namespace) -> int:
    set_threads(args.threads)
    module = commands_for(args.model_dir)
    if not hasattr(module, "generate_text"):
        raise ConfigError(f"{args.model_dir}: this model does not generate text")
    print(f"model: {_model_read(args.model_dir)}", file=sys.stderr, flush=True)  # (stdout holds only the text)
    print(module.generate_text(args.model_dir, args))
    return 0


def register(cli) -> None:
    p = cli.add_command("eval", help="evaluate a saved model on a file (accuracy, F1 or perplexity)")
    p.add_argument("model_dir", type=Path)
    p.add_argument("file", type=Path)
    add_threads_argument(p)
    p.set_defaults(run=run_eval)

    p = cli.add_command("predict", help="read text on stdin, print labels or tags from a saved model")
    p.add_argument("model_dir", type=Path)
    add_threads_argument(p)
    p.set_defaults(run=run_predict)

    p = cli.add_command("generate", help="sample text from a saved language model")
    p.add_argument("model_dir", type=Path)
    p.add_argument("--prompt", default="", help="text to start from")
    p.add_argument("--tokens", type=NON_NEGATIVE_INT.parse, default=50, help="how many tokens to generate (default 50)")
    p.add_argument("--temperature", type=NON_NEGATIVE.parse, default=1.0, help="0 means greedy (default 1)")
    p.add_argument("--top-k", type=NON_NEGATIVE_INT.parse, default=0,
                   help="sample only among the k most likely tokens (default 0: all)")
    p.add_argument("--no-unk", action="store_true", help="never sample the <unk> token")
    p.add_argument("--seed", type=NON_NEGATIVE_INT.parse, default=0, help="random seed (default 0)")
    add_threads_argument(p)
    p.set_defaults(run=run_generate)
