"""Every numeric option is checked while the arguments are parsed, before any file is read: exit 2 and
"argument --NAME: expected ..., got ..." (the files below do not exist, so a later check would say so instead)."""
import pytest

from fastgrad.cli import EXIT_USAGE, build_parser

MISSING = "no-such-file.txt"
LM = ["--train", MISSING, "--valid", MISSING, "--test", MISSING]
CLASSIFY = ["--train", MISSING, "--dev", MISSING]

CASES = [
    # (command, bad option, value, expected)
    (["train", "rnnlm", *LM], "--bptt", "0", "an integer >= 1"),
    (["train", "rnnlm", *LM], "--hidden", "0", "an integer >= 1"),
    (["train", "rnnlm", *LM], "--embedding-dim", "-3", "an integer >= 1"),
    (["train", "rnnlm", *LM], "--clip", "-1", "a number >= 0"),
    (["train", "rnnlm", *LM], "--lr", "-0.1", "a number >= 0"),
    (["train", "rnnlm", *LM], "--lr", "nan", "a number >= 0"),
    (["train", "rnnlm", *LM], "--lr", "inf", "a number >= 0"),
    (["train", "rnnlm", *LM], "--lr-decay", "0", "a number in (0, 1]"),
    (["train", "rnnlm", *LM], "--lr-decay", "1.5", "a number in (0, 1]"),
    (["train", "rnnlm", *LM], "--dropout", "1", "a number in [0, 1)"),
    (["train", "rnnlm", *LM], "--epochs", "0", "an integer >= 1"),
    (["train", "rnnlm", *LM], "--epochs", "2.5", "an integer >= 1"),
    (["train", "rnnlm", *LM], "--batch-size", "0", "an integer >= 1"),
    (["train", "rnnlm", *LM], "--max-minutes", "0", "a number > 0"),
    (["train", "rnnlm", *LM], "--max-vocab", "1", "an integer >= 2"),
    (["train", "fflm", *LM], "--context", "0", "an integer >= 1"),
    (["train", "ngram", *LM], "--order", "0", "an integer >= 1"),
    (["train", "ngram", *LM], "--threads", "0", "an integer >= 1"),
    (["train", "nbow", *CLASSIFY], "--dim", "0", "an integer >= 1"),
    (["train", "nbow", *CLASSIFY], "--hidden", "0", "an integer >= 1"),
    (["train", "nbow", *CLASSIFY], "--weight-decay", "-1", "a number >= 0"),
    (["train", "nbow", *CLASSIFY], "--word-dropout", "1.0", "a number in [0, 1)"),
    (["train", "nbow", *CLASSIFY], "--patience", "0", "an integer >= 1"),
    (["train", "nbow", *CLASSIFY], "--layers", "-1", "an integer >= 0"),
    (["train", "ner", *CLASSIFY], "--window", "-1", "an integer >= 0"),
    (["train", "ner", *CLASSIFY], "--caps-dim", "0", "an integer >= 1"),
    (["train", "ner", *CLASSIFY], "--min-count", "0", "an integer >= 1"),
    (["train", "word2vec", "--corpus", MISSING], "--window", "0", "an integer >= 1"),
    (["train", "word2vec", "--corpus", MISSING], "--negative", "0", "an integer >= 1"),
    (["train", "word2vec", "--corpus", MISSING], "--alpha", "0", "a number > 0"),
    (["train", "word2vec", "--corpus", MISSING], "--sample", "-1", "a number in [0, 1)"),
    (["train", "word2vec", "--corpus", MISSING], "--workers", "0", "an integer >= 1"),
    (["generate", "somewhere"], "--tokens", "-1", "an integer >= 0"),
    (["generate", "somewhere"], "--temperature", "-1", "a number >= 0"),
    (["generate", "somewhere"], "--top-k", "-2", "an integer >= 0"),
    (["eval", "somewhere", MISSING], "--threads", "0", "an integer >= 1"),
    (["predict", "somewhere"], "--threads", "x", "an integer >= 1"),
    (["similar", "somewhere", "word"], "--topn", "0", "an integer >= 1"),
    (["demo"], "--seconds", "0", "a number > 0"),
    (["bench"], "--threads", "0", "an integer >= 1"),
]


@pytest.mark.parametrize("command, flag, value, expected", CASES,
                         ids=[f"{c[1]}-{' '.join(c[0][:2])}-{c[2]}" for c in CASES])
def test_bad_numbers_are_refused_while_parsing(capsys, command, flag, value, expected):
    # Parsing only: were the value accepted, the command (a benchmark, a demo) must not run here.
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*command, flag, value])
    assert exit_.value.code == EXIT_USAGE
    assert f"argument {flag}: expected {expected}, got '{value}'" in capsys.readouterr().err


def test_cross_option_checks_are_usage_errors_too(cli):
    result = cli("train", "word2vec", "--corpus", MISSING, "--alpha", "0.01", "--min-alpha", "0.1")
    assert result.code == EXIT_USAGE and "--min-alpha 0.1 must not exceed --alpha 0.01" in result.err


def test_every_numeric_option_of_every_command_has_a_checked_type():
    """No option parses numbers with bare int/float (which accept 0, negatives, nan and inf alike)."""
    parser = build_parser()
    unchecked = []

    def visit(p, path):
        for action in p._actions:
            if action.type in (int, float):
                unchecked.append(f"{path} {action.option_strings}")
            for name, sub in (getattr(action, "choices", None) or {}).items() if isinstance(action.choices, dict) else ():
                visit(sub, f"{path} {name}")
    visit(parser, "fastgrad")
    assert not unchecked
