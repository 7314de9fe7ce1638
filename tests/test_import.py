"""`import fastgrad` gives the whole drop-in surface, as `import torch` does."""
import subprocess
import sys


def test_plain_import_exposes_the_submodules():
    code = ("import fastgrad; fastgrad.nn.Linear; fastgrad.nn.functional.relu; fastgrad.nn.utils; "
            "fastgrad.nn.init; fastgrad.optim.SGD; fastgrad.optim.lr_scheduler; fastgrad.autograd.Function")
    subprocess.run([sys.executable, "-c", code], check=True)
