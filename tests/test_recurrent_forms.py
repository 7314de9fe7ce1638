"""torch's top-level aten forms of the recurrent layers and cells (fastgrad/recurrent_forms.py) without PyTorch:
gradcheck of every form over hypothesis shapes (PyTorch parity is in test_recurrent_forms_parity.py)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgrad
from fastgrad.testing import check_gradients as check

SETTINGS = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1}  # (rnn_relu's kink is left to the parity tests)
sizes = st.integers(1, 3)


def leaf(rng, *shape):
    return fastgrad.tensor(rng.normal(scale=0.6, size=shape), requires_grad=True)


@pytest.mark.parametrize("name", sorted(GATES))
@SETTINGS
@given(steps=sizes, batch=sizes, input_size=sizes, hidden=sizes, num_layers=st.integers(1, 2),
       bidirectional=st.booleans(), has_biases=st.booleans(), batch_first=st.booleans(), seed=st.integers(0, 2**16))
def test_layer_gradcheck(name, steps, batch, input_size, hidden, num_layers, bidirectional, has_biases, batch_first,
                         seed):
    rng = np.random.default_rng(seed)
    directions = 2 if bidirectional else 1
    params = [leaf(rng, *shape) for layer in range(num_layers) for _ in range(directions)
              for shape in [(GATES[name] * hidden, input_size if layer == 0 else hidden * directions),
                            (GATES[name] * hidden, hidden)] + [(GATES[name] * hidden,)] * (2 * has_biases)]
    x = leaf(rng, *((batch, steps) if batch_first else (steps, batch)), input_size)
    states = [leaf(rng, num_layers * directions, batch, hidden) for _ in range(2 if name == "lstm" else 1)]

    def layers(x, *leaves):
        count = len(states)
        hx = list(leaves[:count]) if name == "lstm" else leaves[0]
        return getattr(fastgrad, name)(x, hx, list(leaves[count:]), has_biases, num_layers, 0.0, True,
                                       bidirectional, batch_first)

    check("numpy", layers, x, *states, *params)


@pytest.mark.parametrize("name, gates", [("lstm_cell", 4), ("gru_cell", 3), ("rnn_tanh_cell", 1)])
@SETTINGS
@given(batch=sizes, input_size=sizes, hidden=sizes, biases=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_cell_gradcheck(name, gates, batch, input_size, hidden, biases, seed):
    rng = np.random.default_rng(seed)
    x, w_ih = leaf(rng, batch, input_size), leaf(rng, gates * hidden, input_size)
    w_hh = leaf(rng, gates * hidden, hidden)
    b = [leaf(rng, gates * hidden) for _ in range(biases)]
    states = [leaf(rng, batch, hidden) for _ in range(2 if name == "lstm_cell" else 1)]

    def cell(x, w_ih, w_hh, *rest):
        hx = list(rest[:2]) if name == "lstm_cell" else rest[0]
        return getattr(fastgrad, name)(x, hx, w_ih, w_hh, *rest[len(states):])

    check("numpy", cell, x, w_ih, w_hh, *states, *b)


@pytest.mark.parametrize("name", sorted(GATES))
def test_packed_data_gradcheck(name):
    """Sequences of 3, 2 and 1 steps in packed data, both directions of two layers."""
    rng = np.random.default_rng(5)
    rows, hidden = GATES[name] * 2, 2
    params = [leaf(rng, *shape) for layer in range(2) for _ in range(2)
              for shape in ((rows, 3 if layer == 0 else 2 * hidden), (rows, hidden), (rows,), (rows,))]
    data = leaf(rng, 6, 3)
    states = [leaf(rng, 4, 3, hidden) for _ in range(2 if name == "lstm" else 1)]

    def layers(data, *leaves):
        count = len(states)
        hx = list(leaves[:count]) if name == "lstm" else leaves[0]
        return getattr(fastgrad, name)(data, fastgrad.tensor([3, 2, 1]), hx, list(leaves[count:]), True, 2, 0.0,
                                       False, True)

    check("numpy", layers, data, *states, *params)
