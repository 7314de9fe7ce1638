"""`import fastgrad` gives the whole drop-in surface, as `import torch` does."""
import subprocess
import sys


def test_plain_import_exposes_the_submodules():
    code = ("import fastgrad; fastgrad.nn.Linear; fastgrad.nn.functional.relu; fastgrad.nn.utils; "
            "fastgrad.nn.init; fastgrad.optim.SGD; fastgrad.optim.lr_scheduler; fastgrad.autograd.Function")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_modules_loaded_on_first_use_are_attributes():
    # torch.distributed and torch.testing are reachable after `import torch` alone; MPI stays unloaded
    code = ("import sys, fastgrad; fastgrad.utils.data.DataLoader; fastgrad.distributions.Normal; "
            "fastgrad.distributed.init_process_group; fastgrad.testing; assert 'mpi4py' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
