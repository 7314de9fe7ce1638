"""Functions that the spawn tests run in child processes (importable by name there, as spawn requires)."""
import sys

import fastgrad


def put_sum(index, queue):
    queue.put((index, fastgrad.tensor([1.0, 2.0]).mul(index).sum().item()))


def raise_in_second(index):
    if index == 1:
        raise ValueError("boom in the second process")


def exit_with_three(index):
    sys.exit(3)


def wait_forever(index):
    import time

    time.sleep(600)


def raise_at_once(index):
    raise KeyError("first fails")


def do_nothing(index):
    pass
