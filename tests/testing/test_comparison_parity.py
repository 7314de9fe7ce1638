"""fastgrad.testing.assert_close against torch.testing.assert_close: whether each pair passes, the exception type,
and the message (with fastgrad's names for torch's)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")
CASES = [
    (lambda lib: (lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1.0, 2.5, 3.0])), {}),
    (lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0 + 9e-6])), {}),
    (lambda lib: (lib.tensor([1.0, 2.0], dtype=lib.float64), lib.tensor([1.0, 2.5], dtype=lib.float64)), {}),
    (lambda lib: (lib.tensor([1, 2, 3]), lib.tensor([1, 4, 3])), {}),
    (lambda lib: (lib.tensor([True]), lib.tensor([False])), {}),
    (lambda lib: (lib.tensor([1], dtype=lib.uint8), lib.tensor([255], dtype=lib.uint8)), {}),
    (lambda lib: (lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64)), {}),
    (lambda lib: (lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64)), {"check_dtype": False}),
    (lambda lib: (lib.tensor([1.5]), lib.tensor([1])), {"check_dtype": False}),
    (lambda lib: (lib.tensor([1.0]), lib.tensor([1.0, 2.0])), {}),
    (lambda lib: (lib.tensor([NAN]), lib.tensor([NAN])), {}),
    (lambda lib: (lib.tensor([NAN]), lib.tensor([NAN])), {"equal_nan": True}),
    (lambda lib: (lib.tensor([1.0, INF]), lib.tensor([1.0, -INF])), {}),
    (lambda lib: (lib.tensor([1.0, INF]), lib.tensor([1.0, INF])), {}),
    (lambda lib: (lib.tensor([[1.5, 2.0]]), lib.tensor([[1.5, 2.0001]])), {}),
    (lambda lib: (lib.tensor([0.0, 1e-6]), lib.tensor([0.0, 2e-6])), {}),
    (lambda lib: (lib.tensor(1.0), lib.tensor(2.0)), {}),
    (lambda lib: (lib.tensor([1.0]), lib.tensor([2.0])), {"rtol": 0, "atol": 0}),
    (lambda lib: (lib.tensor([1.0]), lib.tensor([2.0])), {"rtol": 0.1, "atol": 0}),
    (lambda lib: (lib.tensor([1.0]), lib.tensor([1.0])), {"rtol": 0.1}),
    (lambda lib: (lib.tensor([1.0]), lib.tensor([1.0])), {"atol": 0.1}),
    (lambda lib: (lib.ones(2, 3).t(), lib.ones(3, 2)), {"check_stride": True}),
    (lambda lib: (lib.ones(3), lib.zeros(3)), {"msg": "custom"}),
    (lambda lib: (lib.ones(3), lib.zeros(3)), {"msg": lambda message: "wrapped: " + message}),
    (lambda lib: (lib.ones(3, requires_grad=True), lib.ones(3)), {}),
    (lambda lib: (lib.tensor([]), lib.tensor([])), {}),
    (lambda lib: (lib.nn.Parameter(lib.ones(1)), lib.ones(1)), {}),
    (lambda lib: (lib.nn.Parameter(lib.ones(1)), lib.ones(1)), {"allow_subclasses": False}),
    (lambda lib: (lib.ones(2), 1.0), {}),
    (lambda lib: (np.ones(2), lib.ones(2, dtype=lib.float64)), {}),
    (lambda lib: (np.ones(2), np.ones(2)), {}),
    (lambda lib: (np.ones(2, dtype=np.float32), np.ones(2)), {}),
    (lambda lib: (1.0, 1.0 + 1e-9), {}),
    (lambda lib: (1.0, 1.1), {}),
    (lambda lib: (1, 2), {}),
    (lambda lib: (1, 1.0), {}),
    (lambda lib: (1, 1.0), {"check_dtype": False}),
    (lambda lib: (True, False), {}),
    (lambda lib: (1.0, NAN), {}),
    (lambda lib: (NAN, NAN), {"equal_nan": True}),
    (lambda lib: ([1.0, 2.0], [1.0, 2.0, 3.0]), {}),
    (lambda lib: ([1.0, [2.0]], (1.0, [2.5])), {}),
    (lambda lib: ({"a": lib.ones(1)}, {"a": lib.zeros(1)}), {}),
    (lambda lib: ({"a": 1}, {"b": 1}), {}),
    (lambda lib: ([lib.ones(2)], [lib.ones(3)]), {}),
    (lambda lib: ("a", "a"), {}),
    (lambda lib: (None, None), {}),
    (lambda lib: (lib.ones(2), lib.ones(2)), {"rtol": -1, "atol": 0}),
    (lambda lib: (lib.ones(2), lib.ones(2)), {"equal_nan": "relaxed"}),
]


def outcome(lib, make, kwargs):
    actual, expected = make(lib)
    try:
        lib.testing.assert_close(actual, expected, **kwargs)
    except (AssertionError, TypeError, ValueError, RuntimeError) as error:
        return type(error), str(error).replace("torch.", "").replace("fastgrad.", "")
    return None, ""


@pytest.mark.parametrize("make, kwargs", CASES)
def test_same_verdict_exception_type_and_message(make, kwargs):
    theirs, ours = outcome(torch, make, kwargs), outcome(fastgrad, make, kwargs)
    assert ours[0] is theirs[0]
    if theirs[0] in (AssertionError, ValueError):
        assert ours[1] == theirs[1]
