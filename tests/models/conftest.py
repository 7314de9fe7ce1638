import pytest


class LossRecorder:
    """A `progress` that keeps the loss of each update."""

    def __init__(self):
        self.losses = []

    def update(self, n, **fields):
        self.losses.append(fields["loss"])


@pytest.fixture
def loss_recorder():
    return LossRecorder()
