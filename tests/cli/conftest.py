import warnings
from dataclasses import dataclass

import pytest

from fastgrad.cli import main


@dataclass
class Outcome:
    """What a user sees of one `fastgrad` command: its exit code, stdout and stderr."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """`cli("train", "nbow", ...)` runs the command as the console script does and returns its Outcome;
    argparse's own exits (bad arguments) are caught too, with their code."""

    def run(*argv) -> Outcome:
        capsys.readouterr()
        try:
            with warnings.catch_warnings():
                # the console script imports fastgrad before NumPy; this test process cannot
                warnings.filterwarnings("ignore", message="NumPy was imported before fastgrad")
                code = main([str(arg) for arg in argv])
        except SystemExit as exit_:
            code = exit_.code
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run
