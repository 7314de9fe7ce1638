"""The top-level functions take torch's keyword names (input=, other=, alpha=, ...) wherever torch does, with
torch's results: every such function of fastgrad's that torch has, called with input= alone and with
input= and other=."""
import inspect
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

FUNCTIONS = sorted(name for name in dir(fastgrad)
                   if inspect.isfunction(getattr(fastgrad, name)) and hasattr(torch, name) and not name.startswith("_")
                   and name not in ("manual_seed", "set_default_dtype", "set_num_threads", "set_printoptions",
                                    "set_rng_state", "save", "load", "rand_like", "randn_like", "empty_like",
                                    "poisson", "binomial"))  # (draws: not torch's numbers)


def outcome(lib, name, keywords):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)
    arguments = {key: lib.tensor([[0.5, 3.0], [3.0, 1.0]], dtype=lib.float64) if value == "tensor" else value
                 for key, value in keywords.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = getattr(lib, name)(input=x, **arguments)
        except Exception:  # noqa: BLE001 (any refusal: what matters is whether torch refuses too)
            return "refused"
    first = result[0] if isinstance(result, tuple) else result
    return first.numpy() if hasattr(first, "numpy") else first


@pytest.mark.parametrize("keywords", [{}, {"other": "tensor"}, {"other": "tensor", "alpha": 2}],
                         ids=["input", "input other", "input other alpha"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_torch_keyword_names_are_taken_where_torch_takes_them(name, keywords):
    expected = outcome(torch, name, keywords)
    if isinstance(expected, str):
        return  # torch refuses these keywords here (fastgrad may be more lenient, never a different number)
    got = outcome(fastgrad, name, keywords)
    assert not isinstance(got, str), f"{name}({', '.join(['input', *keywords])}) refused, where torch computes"
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=1e-6)


def test_add_with_input_other_and_alpha_by_name():
    a, b = [1.0, 2.0], [10.0, 20.0]
    got = fastgrad.add(input=fastgrad.tensor(a), other=fastgrad.tensor(b), alpha=3)
    assert got.tolist() == torch.add(input=torch.tensor(a), other=torch.tensor(b), alpha=3).tolist()
