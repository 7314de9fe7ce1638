"""README and docs/results.md: `$D` is defined before it is used, and every `fastgrad ...` command they show
is accepted by the command's parser (options that exist, values in range)."""
import re
import shlex
from pathlib import Path

import pytest

from fastgrad.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "results.md"]


def shell_blocks(path):
    """The bodies of the fenced code blocks marked bash or sh, or not marked (fences paired in order, so the
    closing fence of a python block never opens a block)."""
    blocks, language, lines = [], None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("```"):
            lines.append(line)
        elif language is None:
            language, lines = line[3:].strip(), []
        else:
            if language in ("", "bash", "sh"):
                blocks.append("\n".join(lines) + "\n")
            language = None
    return blocks


def commands(path):
    """Every `fastgrad ...` line of the document's code blocks, continuation lines joined, comments dropped."""
    found = []
    for block in shell_blocks(path):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("fastgrad ") and "..." not in line:
                found.append(line)
            elif "| fastgrad " in line:
                found.append(line.split("| ", 1)[1])
    return found


def test_readme_defines_d_before_using_it():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_use = text.index("$D")
    definition = re.search(r"^D=\S+", text, flags=re.M)
    assert definition is not None and definition.start() < first_use


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_documented_command_parses(path, capsys):
    found = commands(path)
    assert len(found) >= 5
    for command in found:
        argv = shlex.split(command.replace("$D", "/data"))[1:]
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"{path.name}: `{command}` does not parse: {capsys.readouterr().err.strip()}")

