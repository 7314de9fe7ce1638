"""create_graph=True against PyTorch: a gradient penalty's parameter gradients and a Hessian-vector product of
a small classifier's loss (Linear, tanh, relu, log_softmax, cross-entropy, nll), float32 and float64, and the
second derivatives of the elementwise math functions."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

TOLERANCE = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def classifier(lib, dtype):
    rng = np.random.default_rng(0)
    first, second = lib.nn.Linear(4, 5), lib.nn.Linear(5, 3)
    with lib.no_grad():
        for layer in (first, second):
            layer.weight.copy_(lib.tensor(rng.normal(size=tuple(layer.weight.shape))))
            layer.bias.copy_(lib.tensor(rng.normal(size=tuple(layer.bias.shape))))
    model = lib.nn.Sequential(first, lib.nn.Tanh(), second, lib.nn.ReLU()).to(getattr(lib, dtype))
    x = lib.tensor(rng.normal(size=(6, 4)), dtype=getattr(lib, dtype), requires_grad=True)
    return model, x, lib.tensor([0, 2, 1, 1, 0, 2])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_penalty_parameter_gradients(dtype):
    results = []
    for lib in (fastgrad, torch):
        model, x, targets = classifier(lib, dtype)
        loss = lib.nn.functional.cross_entropy(model(x), targets)
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        total = loss + 10 * (g * g).sum(1).sqrt().sub(1).pow(2).mean()
        total.backward()
        results.append([total.detach().numpy()] + [p.grad.numpy() for p in model.parameters()] + [x.grad.numpy()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hessian_vector_product_of_the_loss(dtype):
    results = []
    for lib in (fastgrad, torch):
        model, x, targets = classifier(lib, dtype)
        params = list(model.parameters())
        loss = lib.nn.functional.nll_loss(lib.log_softmax(model(x), 1), targets, reduction="sum")
        grads = lib.autograd.grad(loss, params, create_graph=True)
        rng = np.random.default_rng(1)
        vectors = [lib.tensor(rng.normal(size=tuple(p.shape)), dtype=getattr(lib, dtype)) for p in params]
        products = lib.autograd.grad(grads, params, vectors)
        results.append([p.numpy() for p in products])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, **TOLERANCE[dtype])


def test_a_custom_function_saving_its_input_and_output():
    """PyTorch records a Function's backward under create_graph; a saved output is the output with its history."""
    results = []
    for lib in (fastgrad, torch):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * x * x
                ctx.save_for_backward(x, y)
                return y

            @staticmethod
            def backward(ctx, g):
                x, y = ctx.saved_tensors
                return g * (x * x * 2 + y / x)

        x = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((Cube.apply(x) * x).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        results.append((g.detach().numpy(), h.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# Second derivatives of the elementwise math functions, of x and y: (3, 4) float64 values in [-2, 2) kept from 0,
# mapped into each function's domain.
SECOND_DERIVATIVES = {
    "tan": lambda lib, x, y: (x * 0.5).tan() * y, "asin": lambda lib, x, y: (x.tanh() * 0.9).asin() * y,
    "acos": lambda lib, x, y: (x.tanh() * 0.9).acos() * y, "atan": lambda lib, x, y: (x * y).atan(),
    "sinh": lambda lib, x, y: x.sinh() * y, "cosh": lambda lib, x, y: x.cosh() * y,
    "asinh": lambda lib, x, y: (x * y).asinh(), "acosh": lambda lib, x, y: (x * x + 1.5).acosh() * y,
    "atanh": lambda lib, x, y: (x.tanh() * 0.9).atanh() * y, "atan2": lambda lib, x, y: lib.atan2(x, y),
    "hypot": lambda lib, x, y: lib.hypot(x, y), "log2": lambda lib, x, y: (x * x + 0.5).log2() * y,
    "log10": lambda lib, x, y: (x * x + 0.5).log10() * y, "exp2": lambda lib, x, y: (x * y).exp2(),
    "logaddexp": lambda lib, x, y: lib.logaddexp(x, y), "logaddexp2": lambda lib, x, y: lib.logaddexp2(x, y),
    "xlogy": lambda lib, x, y: lib.xlogy(x, y * y + 0.5),
    # (PyTorch's ldexp gradient is 2^n computed in integers, 0 for a negative n: non-negative here)
    "ldexp": lambda lib, x, y: (x * y).ldexp(lib.tensor([1, 2, 0, 3])),
    "erf": lambda lib, x, y: (x * y).erf(), "erfc": lambda lib, x, y: (x * y).erfc(),
    "erfinv": lambda lib, x, y: (x.tanh() * 0.9).erfinv() * y, "lgamma": lambda lib, x, y: (x * x + 0.5).lgamma() * y,
    "digamma": lambda lib, x, y: (x * x + 0.5).digamma() * y,
    "polygamma": lambda lib, x, y: (x * x + 0.5).polygamma(2) * y,
    "sinc": lambda lib, x, y: (x * y).sinc() + (x * 0.05).sinc() * y,  # the closed form, then the series
    "logit": lambda lib, x, y: x.sigmoid().logit() * y + (x * y).sigmoid().logit(eps=0.2),
    "ndtr": lambda lib, x, y: lib.special.ndtr(x * y),
    "ndtri": lambda lib, x, y: lib.special.ndtri(x.sigmoid()) * y,
    "log_ndtr": lambda lib, x, y: lib.special.log_ndtr(x * y * 3),
    "entr": lambda lib, x, y: lib.special.entr(x * x) * y,
    "copysign": lambda lib, x, y: x.copysign(y) * y, "fmax": lambda lib, x, y: lib.fmax(x, y) * x,
    "fmin": lambda lib, x, y: lib.fmin(x, y) * y, "fmod": lambda lib, x, y: lib.fmod(x * 3, y) * x,
    "remainder": lambda lib, x, y: lib.remainder(x * 3, y) * y,
    "floor div": lambda lib, x, y: lib.div(x * 3, y, rounding_mode="floor") * x,
    "nextafter": lambda lib, x, y: x.nextafter(y) * y,
    "prelu": lambda lib, x, y: lib.nn.functional.prelu(x * y, y[0]) * x,
    "nan_to_num": lambda lib, x, y: (x * y).nan_to_num() * x,
    "nansum": lambda lib, x, y: (x * y).nansum(1, keepdim=True) * x,
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(SECOND_DERIVATIVES))
def test_second_derivatives_of_the_math_functions(name, dtype):
    """The gradient for an upstream u that requires grad (so even a step's gradient has a graph), then the gradient
    of a weighted sum of it with respect to x, y and u."""
    rng = np.random.default_rng(0)
    values = rng.uniform(-2, 2, (2, 3, 4))
    values[np.abs(values) < 0.05] += 0.1
    upstream, weights = rng.normal(size=(3, 4)), rng.normal(size=(2, 3, 4))
    results = []
    for lib in (fastgrad, torch):
        x, y = (lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True) for v in values)
        u = lib.tensor(upstream, dtype=getattr(lib, dtype), requires_grad=True)
        first = lib.autograd.grad(SECOND_DERIVATIVES[name](lib, x, y), (x, y), u, create_graph=True)
        total = sum((g * lib.tensor(w, dtype=getattr(lib, dtype))).sum() for g, w in zip(first, weights))
        second = lib.autograd.grad(total, (x, y, u), allow_unused=True)
        results.append([g.detach().numpy() for g in first]
                       + [np.zeros((3, 4)) if h is None else h.numpy() for h in second])
    # PyTorch's trigamma (lgamma's second derivative, digamma's first) is accurate to 1e-9 only, fastgrad's to a
    # few ulps
    tolerance = TOLERANCE[dtype]
    if name in ("lgamma", "digamma") and dtype == "float64":
        tolerance = dict(rtol=1e-8, atol=1e-12)
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, **tolerance)


@pytest.mark.parametrize("name", ["tan", "erfinv", "sinc", "log_ndtr", "atanh", "logaddexp", "xlogy", "polygamma"])
def test_third_derivatives_of_the_math_functions(name):
    """The recorded backward's own ops are recorded too: a third derivative, of x alone."""
    results = []
    for lib in (fastgrad, torch):
        x = lib.tensor([0.3, -0.7, 1.2, 0.05], dtype=lib.float64, requires_grad=True)
        derivative = SECOND_DERIVATIVES[name](lib, x, x * 0.5 + 1)
        for _ in range(3):
            (derivative,) = lib.autograd.grad(derivative.sum(), x, create_graph=True)
        results.append(derivative.detach().numpy())
    np.testing.assert_allclose(*results, **TOLERANCE["float64"])
