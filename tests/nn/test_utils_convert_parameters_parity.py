"""parameters_to_vector / vector_to_parameters against torch.nn.utils: the same vector, gradients and
parameters afterwards, and the same refusals."""
import numpy as np
import pytest

import fastgrad

from tests.parity_outcomes import Raised, outcome, same_exception_type

torch = pytest.importorskip("torch")


def test_vector_gradients_and_round_trip_match_torch():
    arrays = [np.arange(6.0).reshape(2, 3), np.array([0.5, -1.0]), np.array(3.0)]
    results = []
    for lib in (fastgrad, torch):
        params = [lib.nn.Parameter(lib.tensor(a)) for a in arrays]
        vector = lib.nn.utils.parameters_to_vector(params)
        (vector * lib.arange(9.0, dtype=lib.float64)).sum().backward()
        lib.nn.utils.vector_to_parameters(lib.arange(10.0, dtype=lib.float64), params)
        results.append([vector.detach().numpy()] + [p.grad.numpy() for p in params] +
                       [p.detach().numpy() for p in params])
    for ours, theirs in zip(*results):
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("call", [
    lambda m: m.nn.utils.vector_to_parameters([1.0], [m.nn.Parameter(m.ones(2))]),
    lambda m: m.nn.utils.vector_to_parameters(m.ones(3), [m.nn.Parameter(m.ones(2, 2))]),
    lambda m: m.nn.utils.vector_to_parameters(m.ones(3), [m.nn.Parameter(m.ones(2)), m.nn.Parameter(m.ones(2))]),
    lambda m: m.nn.utils.vector_to_parameters(m.ones(0), [m.nn.Parameter(m.ones(2))]),
    lambda m: m.nn.utils.parameters_to_vector([]),
])
def test_what_torch_refuses_is_refused_with_its_exception_type(call):
    ours, theirs = outcome(lambda: call(fastgrad)), outcome(lambda: call(torch))
    assert isinstance(theirs, Raised) and same_exception_type(ours, theirs), (ours, theirs)
