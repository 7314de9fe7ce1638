"""`fastgrad train ngram|fflm|rnnlm`, which wrap `fastgrad.train.ngram|fflm|rnnlm`, and, for the model
directories they write, `fastgrad eval` (perplexity), `fastgrad generate` (sampling) and `fastgrad predict`
(per-line perplexity)."""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any, Iterable, Iterator

import fastgrad.train
from fastgrad.cli.common import add_epoch_arguments, add_option, add_run_arguments, run_training
from fastgrad.data.lm_corpus import EOS, PTB_FILES, UNK, read_lm_tokens
from fastgrad.data.vocab import Vocab
from fastgrad.metrics.language_model import perplexity
from fastgrad.models.generation import NgramScorer, RecurrentScorer, WindowScorer, generate
from fastgrad.train.errors import ConfigError
from fastgrad.models.rnnlm import CELLS
from fastgrad.train.language_models import (RNNLM_DEFAULTS, FFLMConfig, NgramConfig, RNNLMConfig, load_language_model,
                                            negative_log_likelihood)
from fastgrad.train.report import percent, plural


UNK_WARNING_SHARE = 0.5  # `fastgrad eval` warns when more of a file's tokens than this are <unk> to the model


# ---- arguments ------------------------------------------------------------------------------------
def _add_corpus_arguments(parser: argparse.ArgumentParser, config_class: type) -> None:
    for split in ("train", "valid", "test"):
        add_option(parser, config_class, split, f"{split} text, one sentence per line; give all three or none "
                                                f"(none: the data folder's {PTB_FILES[split]})", metavar="FILE")
    add_option(parser, config_class, "max_vocab", "keep at most this many words (specials included)")
    add_option(parser, config_class, "min_count", "drop training words seen fewer times")
    add_run_arguments(parser, config_class)


def _cell_defaults(name: str) -> str:
    """The defaults of an `rnnlm` option whose default depends on --cell, as help text."""
    def shown(value: Any) -> str:
        return ("on" if value else "off") if isinstance(value, bool) else str(value)

    return "default " + ", ".join(f"{shown(RNNLM_DEFAULTS[cell][name])} for --cell {cell}" for cell in CELLS)


def _add_per_cell_option(parser: argparse.ArgumentParser, config_class: type, name: str, help: str,
                         **kwargs: Any) -> None:
    """`add_option`, but for `rnnlm` an option left unset takes the default of --cell, which the help lists."""
    if config_class is RNNLMConfig and name in RNNLM_DEFAULTS["rnn"]:
        help = f"{help} ({_cell_defaults(name)})"
        if name == "tied":
            kwargs["action"] = argparse.BooleanOptionalAction
    add_option(parser, config_class, name, help, **kwargs)


def _add_neural_arguments(parser: argparse.ArgumentParser, config_class: type) -> None:
    for name, help in (("embedding_dim", "word vector size"), ("hidden", "hidden layer size"),
                       ("dropout", "dropout probability"),
                       ("tied", "share the input embedding and output matrices; needs --hidden equal to "
                                "--embedding-dim"),
                       ("epochs", "training epochs"), ("batch_size", "minibatch size")):
        _add_per_cell_option(parser, config_class, name, help)
    _add_per_cell_option(parser, config_class, "optimizer", "the optimizer", choices=("sgd", "adam"))
    _add_per_cell_option(parser, config_class, "lr", "learning rate")
    add_option(parser, config_class, "lr_decay", "multiply the learning rate by this after each epoch from "
                                                 "--decay-after on, or, with --decay-after 0, when validation "
                                                 "perplexity stops improving")
    _add_per_cell_option(parser, config_class, "decay_after", "N > 0: a fixed schedule, the learning rate decays "
                                                              "after every epoch from the N-th on (Zaremba et al. "
                                                              "2014); 0: only on validation plateaus")
    _add_per_cell_option(parser, config_class, "clip", "gradient-norm clipping threshold, 0 for none")
    add_epoch_arguments(parser, config_class)


def _no_plot(text: str) -> None:
    raise argparse.ArgumentTypeError("the n-gram model is fitted in one pass: there are no epochs to plot")


def register(cli) -> None:
    p = cli.add_train_model("ngram", help="interpolated modified Kneser-Ney n-gram language model")
    _add_corpus_arguments(p, NgramConfig)
    add_option(p, NgramConfig, "order", "n-gram order")
    p.add_argument("--plot", type=_no_plot, help=argparse.SUPPRESS)
    p.set_defaults(run=run_training(fastgrad.train.ngram, NgramConfig, ignore=("plot",)))

    p = cli.add_train_model("fflm", help="fixed-window neural language model (Bengio et al. 2003)")
    _add_corpus_arguments(p, FFLMConfig)
    add_option(p, FFLMConfig, "context", "words of context, n-1")
    _add_neural_arguments(p, FFLMConfig)
    p.set_defaults(run=run_training(fastgrad.train.fflm, FFLMConfig))

    p = cli.add_train_model("rnnlm", help="recurrent language model (Elman RNN, LSTM or GRU) with truncated BPTT")
    _add_corpus_arguments(p, RNNLMConfig)
    add_option(p, RNNLMConfig, "cell", "recurrent layer: Elman RNN (tanh), LSTM or GRU; the other defaults depend on "
                                       "it", choices=CELLS)
    _add_per_cell_option(p, RNNLMConfig, "layers", "recurrent layers, with --dropout between them")
    _add_per_cell_option(p, RNNLMConfig, "bptt", "truncated BPTT length in steps")
    _add_per_cell_option(p, RNNLMConfig, "init_range", "R > 0: recurrent weights from U(-R, R); 0: PyTorch's "
                                                       "U(-1/sqrt(H), 1/sqrt(H))")
    _add_neural_arguments(p, RNNLMConfig)
    p.set_defaults(run=run_training(fastgrad.train.rnnlm, RNNLMConfig))


# ---- model-directory commands -------------------------------------------------------------------------
def evaluate_model(model_dir: Path, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Perplexity of the saved model on a text file (one sentence per line, `<eos>` after each), with the share
    of its tokens that are `<unk>` to the model. `tokens` counts the file's tokens, as the training log does;
    `predicted_tokens` the ones scored: all but the first, which has no context."""
    config, vocab, model = load_language_model(model_dir)
    tokens = read_lm_tokens(path)
    ids = vocab.encode(tokens)
    nll, count = negative_log_likelihood(config, model, ids, vocab)
    unknown = int((ids == vocab.stoi[UNK]).sum())
    if unknown > UNK_WARNING_SHARE * len(ids):  # (a file of another format, another language, another tokenizer)
        warnings.warn(f"{path}: {percent(unknown, len(ids))} of its tokens are {UNK} to the model, so its perplexity "
                      f"mostly measures how well the model predicts {UNK}, a frequent token (the number comes out low)",
                      stacklevel=2)
    return {"model": config["model"], "tokens": len(ids), "predicted_tokens": count,
            "perplexity": perplexity(nll, count), "unk_share": unknown / len(ids) if len(ids) else 0.0}


def predict_lines(model_dir: Path, lines: Iterable[str], args: argparse.Namespace) -> Iterator[str]:
    """The perplexity of each input line on its own (`<eos>` before it as context and after it as a target).
    Words outside the vocabulary are scored as `<unk>`, which is said on stderr, line by line: a frequent
    `<unk>` makes such a line look likely (stdout holds only the perplexities)."""
    config, vocab, model = load_language_model(model_dir)
    for number, line in enumerate(lines, start=1):
        words = line.split()
        unknown = [word for word in words if word not in vocab.stoi]
        if unknown:
            print(f"line {number}: {plural(len(unknown), 'word')} of {len(words)} not in the model's vocabulary, "
                  f"scored as {UNK}: {', '.join(repr(w) for w in unknown)}", file=sys.stderr, flush=True)
        ids = vocab.encode([EOS, *words, EOS])
        nll, count = negative_log_likelihood(config, model, ids, vocab)
        yield f"{perplexity(nll, count):.2f}"


def scorer_for(config: dict[str, Any], model, vocab: Vocab):
    """The `NextTokenScorer` that samples from this kind of model."""
    if config["model"] == "ngram":
        return NgramScorer(model)
    if config["model"] == "fflm":
        return WindowScorer(model, vocab.stoi[EOS])
    return RecurrentScorer(model)


def generate_text(model_dir: Path, args: argparse.Namespace) -> str:
    """`args.tokens` words sampled after `<eos>` and `args.prompt`; a sentence end prints as a line break.
    With `args.no_unk` the `<unk>` token is never drawn."""
    config, vocab, model = load_language_model(model_dir)
    prompt = [EOS, *args.prompt.split()]
    unknown = [word for word in prompt[1:] if word not in vocab.stoi]
    if unknown:  # the text echoes the prompt as typed; say what the model was given instead
        print(f"prompt: {', '.join(repr(w) for w in unknown)} not in the model's vocabulary, read as {UNK}",
              file=sys.stderr, flush=True)
    if args.top_k > len(vocab):
        raise ConfigError(f"--top-k {args.top_k} is larger than the vocabulary ({len(vocab):,} words)")
    banned = [vocab.stoi[UNK]] if getattr(args, "no_unk", False) and UNK in vocab.stoi else []
    ids = generate(scorer_for(config, model, vocab), vocab.encode(prompt), args.tokens, args.temperature,
                   args.top_k or None, args.seed, banned=banned)
    return format_tokens(prompt[1:] + vocab.decode(ids))


def format_tokens(tokens: list[str]) -> str:
    return " ".join(tokens).replace(f" {EOS} ", "\n").replace(f" {EOS}", "\n").replace(f"{EOS} ", "\n").strip()

