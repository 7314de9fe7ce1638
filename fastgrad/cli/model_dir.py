"""Commands that use a saved model directory: `eval`, `predict`, `generate`.

`config.json` in the directory names the command module that trained the model ("cli_module");
that module provides `evaluate_model(model_dir, path, args) -> dict`, `predict_lines(model_dir, lines, args)`
(an iterator of output lines) and, for language models, `generate_text(model_dir, args) -> str`.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from fastgrad.cli.common import read_model_config


def _module_for(model_dir: Path):
    config = read_model_config(model_dir)
    return importlib.import_module(config["cli_module"])


def run_eval(args: argparse.Namespace) -> int:
    result = _module_for(args.model_dir).evaluate_model(args.model_dir, args.file, args)
    print(json.dumps(result, sort_keys=True))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    for line in _module_for(args.model_dir).predict_lines(args.model_dir, sys.stdin, args):
        print(line, flush=True)
    return 0


def run_generate(args: argparse.Namespace) -> int:
    module = _module_for(args.model_dir)
    if not hasattr(module, "generate_text"):
        raise SystemExit(f"{args.model_dir}: this model does not generate text")
    print(module.generate_text(args.model_dir, args))
    return 0


def register(cli) -> None:
    p = cli.add_command("eval", help="evaluate a saved model on a file (accuracy, F1 or perplexity)")
    p.add_argument("model_dir", type=Path)
    p.add_argument("file", type=Path)
    p.set_defaults(run=run_eval)

    p = cli.add_command("predict", help="read text on stdin, print labels or tags from a saved model")
    p.add_argument("model_dir", type=Path)
    p.set_defaults(run=run_predict)

    p = cli.add_command("generate", help="sample text from a saved language model")
    p.add_argument("model_dir", type=Path)
    p.add_argument("--prompt", default="", help="text to start from")
    p.add_argument("--tokens", type=int, default=50, help="how many tokens to generate")
    p.add_argument("--temperature", type=float, default=1.0, help="0 means greedy")
    p.add_argument("--top-k", type=int, default=0, help="sample only among the k most likely tokens (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run_generate)
