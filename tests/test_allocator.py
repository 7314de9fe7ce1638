"""Freed large arrays are reused without new page faults once fastgrad is imported (glibc only)."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")

# Page faults of filling a fresh 8 MB array, after the same array was filled and freed once. Transparent huge
# pages are turned off for the process first: NumPy asks for them for large arrays, and when the kernel has some
# free, a fresh 8 MB array faults in 4 of them instead of 2,048 small pages, whatever malloc does.
SECOND_FILL_FAULTS = r"""
import ctypes, resource, sys
ctypes.CDLL(None).prctl(41, 1, 0, 0, 0)  # PR_SET_THP_DISABLE
import fastgrad
import numpy as np

def faults_of_a_fill():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    np.ones(2 << 20, dtype=np.float32)  # 8 MB, filled, freed
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults_of_a_fill()
print(fastgrad.allocator.APPLIED, faults_of_a_fill())
"""


def second_fill(**environment: str) -> tuple[bool, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    env.update(environment)
    out = subprocess.run([sys.executable, "-c", SECOND_FILL_FAULTS], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", int(out[1])


def test_a_freed_large_array_is_reused_without_page_faults():
    applied, faults = second_fill()
    if not applied:
        pytest.skip("not glibc")
    assert faults < 50  # hundreds when the memory goes back to the kernel (see below)


def test_the_users_malloc_settings_are_left_alone():
    applied, faults = second_fill(MALLOC_TRIM_THRESHOLD_="131072")
    assert not applied
    assert faults > 200  # glibc's defaults: a fresh mapping each time, faulted in again (about 500 here)
