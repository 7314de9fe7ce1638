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
RECURRENT_SHAPES = [(1, False, False), (1, True, True), (2, False, True), (2, True, False)]  # layers, bidirectional,
# initial states given


def recurrent(lib, name, num_layers, bidirectional, with_states, **options):
    """A float64 nn.RNN/LSTM/GRU (3 inputs, 4 hidden) with seeded parameters, an input (5, 2, 3) and initial
    states (None, or leaves that require grad)."""
    rng = np.random.default_rng(2)
    module = getattr(lib.nn, name)(3, 4, num_layers=num_layers, bidirectional=bidirectional, **options)
    module = module.to(lib.float64)
    with lib.no_grad():
        for _, param in sorted(module.named_parameters()):
            param.copy_(lib.tensor(rng.normal(scale=0.6, size=tuple(param.shape))))
    x = lib.tensor(rng.normal(size=(5, 2, 3)), dtype=lib.float64, requires_grad=True)
    count = num_layers * (2 if bidirectional else 1)
    states = [lib.tensor(rng.normal(scale=0.5, size=(count, 2, 4)), dtype=lib.float64, requires_grad=True)
              for _ in range(2 if name == "LSTM" else 1)] if with_states else []
    return module, x, states


def recurrent_loss(lib, module, x, states):
    """A loss reading every output step and the final state (h_n and, for the LSTM, c_n)."""
    hx = None if not states else (tuple(states) if len(states) == 2 else states[0])
    output, final = module(x, hx)
    finals = final if isinstance(final, tuple) else (final,)
    weights = lib.tensor(np.linspace(-1.0, 1.5, output.numel()).reshape(tuple(output.shape)), dtype=lib.float64)
    return (output.tanh() * weights).sum() + sum((state * state).sum() for state in finals)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers, bidirectional, with_states", RECURRENT_SHAPES)
def test_recurrent_gradient_penalty(name, num_layers, bidirectional, with_states):
    results = []
    for lib in (fastgrad, torch):
        module, x, states = recurrent(lib, name, num_layers, bidirectional, with_states)
        loss = recurrent_loss(lib, module, x, states)
        grads = lib.autograd.grad(loss, [x] + states, create_graph=True)
        penalty = loss + sum((g * g).sum() for g in grads)
        penalty.backward()
        params = [param for _, param in sorted(module.named_parameters())]
        results.append([penalty.detach().numpy()] + [t.grad.numpy() for t in params + [x] + states])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, **TOLERANCE["float64"])


@pytest.mark.parametrize("name, options", [("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
                                           ("RNN", {"bias": False})])
@pytest.mark.parametrize("num_layers, bidirectional, with_states", RECURRENT_SHAPES[1:3])
def test_recurrent_hessian_vector_product(name, options, num_layers, bidirectional, with_states):
    results = []
    for lib in (fastgrad, torch):
        module, x, states = recurrent(lib, name, num_layers, bidirectional, with_states, **options)
        params = [param for _, param in sorted(module.named_parameters())] + [x] + states
        grads = lib.autograd.grad(recurrent_loss(lib, module, x, states), params, create_graph=True)
        rng = np.random.default_rng(1)
        vectors = [lib.tensor(rng.normal(size=tuple(p.shape)), dtype=lib.float64) for p in params]
        products = lib.autograd.grad(grads, params, vectors)
        results.append([g.detach().numpy() for g in grads] + [p.numpy() for p in products])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, **TOLERANCE["float64"])


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_gradient_penalty_through_a_packed_sequence(name):
    # sequences of lengths 5 and 3: the padding the layers put back is differentiated twice too
    results = []
    for lib in (fastgrad, torch):
        module, x, _ = recurrent(lib, name, 2, True, False)
        output, _ = module(lib.nn.utils.rnn.pack_padded_sequence(x, [5, 3]))
        (g,) = lib.autograd.grad((output.data.tanh() * output.data).sum(), x, create_graph=True)
        (g * g).sum().backward()
        results.append([t.grad.numpy() for _, t in sorted(module.named_parameters())] + [x.grad.numpy()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, **TOLERANCE["float64"])


# a loss of hidden (5, 4) and a weight (3, 4) (not embedding_bag: PyTorch 2.13 cannot differentiate its backward)
LOSSES = {
    "linear_cross_entropy": lambda lib, h, w: lib.nn.functional.linear_cross_entropy(
        h, w, lib.tensor([2, 0, -100, 1, 1]), linear_bias=w[:, 1])
    + lib.nn.functional.linear_cross_entropy(h * h, w, lib.tensor([0, 2, 2, 1, 0]), reduction="none").square().sum(),
    "binary_cross_entropy": lambda lib, h, w: lib.nn.functional.binary_cross_entropy(
        (h @ w.T * 0.3).sigmoid(), h[:, :3].sigmoid(), reduction="sum"),  # (probabilities in [0.1, 0.9])
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradient_penalty_and_hessian_vector_product(name):
    results = []
    for lib in (fastgrad, torch):
        rng = np.random.default_rng(3)
        h, w = (lib.tensor(rng.normal(size=shape), dtype=lib.float64, requires_grad=True) for shape in ((5, 4), (3, 4)))
        grads = lib.autograd.grad(LOSSES[name](lib, h, w), (h, w), create_graph=True)
        vectors = [lib.tensor(rng.normal(size=tuple(g.shape)), dtype=lib.float64) for g in grads]
        products = lib.autograd.grad(grads, (h, w), vectors, retain_graph=True)
        sum((g * g).sum() for g in grads).backward()
        results.append([g.detach().numpy() for g in grads] + [p.numpy() for p in products]
                       + [h.grad.numpy(), w.grad.numpy()])
    # PyTorch's double backward of binary_cross_entropy divides by (x + 1e-12)^2 (1 - x + 1e-12)^2, so its
    # second derivative is off by about 1e-12 / (x (1 - x)) relative; fastgrad's is exact
    tolerance = dict(rtol=1e-8, atol=1e-12) if name == "binary_cross_entropy" else TOLERANCE["float64"]
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
VALUES = np.random.default_rng(2).uniform(-2.0, 2.0, (3, 4))
# one zero in a row, two, two leading
WITH_ZEROS = np.array([[0.0, 1.5, -2.0, 0.5], [1.2, 0.0, 0.7, 0.0], [0.0, 0.0, 3.0, -1.0]])


# op name -> (input values, function of the library and a (3, 4) input)
STRUCTURAL = {
    "prod": (WITH_ZEROS, lambda lib, x: x.prod(1) + x[0].prod() + x[1, :3].prod()),
    "prod of nonzeros": (VALUES, lambda lib, x: x.prod(0) * x.prod()),
    "cumprod": (WITH_ZEROS, lambda lib, x: x.cumprod(1) + x.cumprod(0)),
    "logcumsumexp": (VALUES, lambda lib, x: x.logcumsumexp(1)),
    "median": (VALUES, lambda lib, x: x.median() * x),
    "norms": (VALUES, lambda lib, x: x.norm(p=3, dim=1) + x.norm(p=float("inf"), dim=1) + x.norm(p=0.5, dim=1)),
    # at a zero element the slope of a norm of order below 2 has an infinite slope: NaN in both
    "norms at zeros": (WITH_ZEROS, lambda lib, x: x.norm(p=3, dim=1) + x.norm(p=1.5, dim=1) + x.norm(p=0.5, dim=1)),
    "pad": (VALUES, lambda lib, x: lib.nn.functional.pad(x, (1, -1, 0, 2), value=0.5)),
    "diagonal, tril, triu": (VALUES, lambda lib, x: x.diagonal(1) + x.tril(-1).sum(0)[:3] + x.triu(1).sum(1)),
    "repeats": (VALUES, lambda lib, x: x.repeat(2, 1)[1:4] + x.repeat_interleave(lib.tensor([2, 0, 1]), dim=0)),
    "unfold, as_strided, roll": (VALUES, lambda lib, x: x.unfold(1, 2, 1).sum(2) + x.as_strided((3, 3), (2, 1), 1)
                                 + x.roll(1, 1)[:, :3] + x.roll(2)[:, :3]),
    # (src of the index's shape: PyTorch's backward of scatter and scatter_reduce refuses a larger src)
    "scatters": (VALUES, lambda lib, x: x.scatter(1, lib.tensor([[0, 2], [3, 1], [2, 0]]), x[:, 2:] * 2)
                 + x.scatter_add(1, lib.tensor([[0, 0], [3, 1], [2, 2]]), x[:, :2] * x[:, 2:])
                 + x.scatter_reduce(1, lib.tensor([[0, 0], [3, 1], [2, 2]]), x[:, :2] * 3, "mean")
                 + x.scatter_reduce(1, lib.tensor([[0, 0], [3, 1], [2, 2]]), x[:, 1:3] * 3, "amax",
                                    include_self=False)),
    "scatter_reduce prod": (WITH_ZEROS, lambda lib, x: x.scatter_reduce(1, lib.tensor([[0, 0], [3, 1], [2, 2]]),
                                                                      x[:, 1:3] * 2, "prod")
                            + x.scatter_reduce(1, lib.tensor([[0, 0], [3, 1], [2, 2]]), x[:, 1:3] - 1, "prod",
                                               include_self=False)),
    "index_add, masked_select": (VALUES, lambda lib, x: x.index_add(1, lib.tensor([1, 3, 3, 0]), x * x, alpha=2).sum(0)
                                 + x.masked_select(x > 0).sum()),
    "assignment": (VALUES, lambda lib, x: assigned(lib, x)),
}


def assigned(lib, x):
    y = x * 1
    y[0] = x[1] * 2
    y.index_put_((lib.tensor([2, 0, 2]),), x * x[2], accumulate=True)
    return y


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_second_derivatives_of_reductions_placements_and_assignments(name):
    """A Hessian-vector product of sum(v * f(x)^2), so that linear ops are differentiated twice too."""
    values, fn = STRUCTURAL[name]
    results = []
    for lib in (fastgrad, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        out = fn(lib, x)
        rng = np.random.default_rng(3)
        v, u = lib.tensor(rng.normal(size=tuple(out.shape))), lib.tensor(rng.normal(size=values.shape))
        (g,) = lib.autograd.grad((v * out * out).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g, x, u)
        results.append((g.detach().numpy(), h.numpy()))
MATRIX_FUNCTIONS = {  # of a square matrix A (3, 3), invertible and positive-definite, and B (3, 4)
    "einsum": lambda lib, a, b: lib.einsum("ij,jk->ik", a, b).tanh() + lib.einsum("ij,kl->ik", a, b)[:, :1],
    "inv": lambda lib, a, b: lib.linalg.inv(a) @ b,
    "det": lambda lib, a, b: lib.linalg.det(a) * b,
    "slogdet": lambda lib, a, b: lib.linalg.slogdet(a)[1] * b,
    "solve": lambda lib, a, b: lib.linalg.solve(a, b * b),
    "cholesky": lambda lib, a, b: lib.linalg.cholesky(a) @ b,
    "matrix_exp": lambda lib, a, b: lib.linalg.matrix_exp(a * 0.5) @ b,
    "pinv": lambda lib, a, b: lib.linalg.pinv(b * a[0, 0]).mT,
    # the factorizations through functions that do not depend on the signs of the vectors
    "eigh": lambda lib, a, b: (lambda values, vectors: (vectors ** 2 * values) @ b)(*lib.linalg.eigh(a)),
    "svd": lambda lib, a, b: (lambda u, s, vh: (u ** 2 * s) @ vh ** 2)(*lib.linalg.svd(b * a[1, 2],
                                                                                     full_matrices=False)),
    "qr": lambda lib, a, b: (lambda q, r: (q ** 2 @ r ** 2).mT)(*lib.linalg.qr((a @ b).mT))
    + (lambda q, r: q ** 2 @ r ** 2)(*lib.linalg.qr(b - a[0, 1])),
}


@pytest.mark.parametrize("name", sorted(MATRIX_FUNCTIONS))
def test_linear_algebra_hessian_vector_product(name):
    results = []
    for lib in (fastgrad, torch):
        rng = np.random.default_rng(4)
        root = rng.normal(size=(3, 3))
        a = lib.tensor(root @ root.T + 2 * np.eye(3), dtype=lib.float64, requires_grad=True)
        b = lib.tensor(rng.normal(size=(3, 4)), dtype=lib.float64, requires_grad=True)
        out = MATRIX_FUNCTIONS[name](lib, a, b)
        weights = lib.tensor(rng.normal(size=tuple(out.shape)), dtype=lib.float64)
        grads = lib.autograd.grad((out * weights).sum(), (a, b), create_graph=True)
        vectors = [lib.tensor(rng.normal(size=tuple(g.shape)), dtype=lib.float64) for g in grads]
        products = lib.autograd.grad(grads, (a, b), vectors)
        results.append([g.detach().numpy() for g in grads] + [p.numpy() for p in products])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, **TOLERANCE["float64"])


def both(scenario):
    """scenario(lib) -> arrays, run with fastgrad and with PyTorch on the same float64 values."""
    results = []
    for lib in (fastgrad, torch):
        x = lib.tensor([0.5, -1.5, 2.0, 0.75], dtype=lib.float64, requires_grad=True)
        results.append([np.asarray(r.detach().numpy() if hasattr(r, "detach") else r) for r in scenario(lib, x)])
    assert len(results[0]) == len(results[1])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_tensor_hooks_retained_and_post_accumulate_grads_under_create_graph():
    def scenario(lib, x):
        y = x * x
        y.register_hook(lambda g: g * x.sin())  # fires in the second backward too, as it reaches y
        y.retain_grad()
        seen = []
        x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.requires_grad))
        x.register_hook(lambda g: g * x)
        (y * y.exp()).sum().backward(create_graph=True)
        first, retained = x.grad, y.grad
        assert retained.requires_grad and first.requires_grad and seen == [True]
        second = lib.autograd.grad((first * first).sum() + retained.sum(), x)
        return first, retained, second[0]

    both(scenario)


def test_backward_into_a_non_leaf_input_under_create_graph():
    def scenario(lib, x):
        y = x * x
        (y ** 3 * x).sum().backward(create_graph=True, inputs=[y])
        assert x.grad is None
        return y.grad, lib.autograd.grad(y.grad.sum(), x)[0]

    both(scenario)


def test_histories_changed_in_place_under_create_graph():
    def scenario(lib, x):
        h = x * 2
        h.register_hook(lambda g: g * x)  # stays with h's history before the change, as PyTorch's
        first = h.exp()
        h.mul_(x)  # exp read h before the change
        base = x * 1.0
        window = base[1:]
        second = window.exp() * window.tanh()
        base.mul_(x)  # the view was read before its base changed
        loss = first.sum() + (h * h).sum() + second.sum() + (base * base).sum()
        (g,) = lib.autograd.grad(loss, x, create_graph=True)
        return g, lib.autograd.grad((g * g).sum(), x)[0]

    both(scenario)


def test_a_custom_function_with_several_outputs_under_create_graph():
    def scenario(lib, x):
        class ExpAndSquare(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                exp = x.exp()
                ctx.save_for_backward(x, exp)
                return exp, x * x

            @staticmethod
            def backward(ctx, g_exp, g_square):
                x, exp = ctx.saved_tensors
                return g_exp * exp + g_square * 2 * x

        exp, square = ExpAndSquare.apply(x)
        (g,) = lib.autograd.grad((exp * square).sum() + exp.sum(), x, create_graph=True)
        (only_square,) = lib.autograd.grad((ExpAndSquare.apply(x)[1] ** 3).sum(), x, create_graph=True)
        return g, lib.autograd.grad((g * g).sum() + (only_square * x).sum(), x)[0]

    both(scenario)


@pytest.mark.parametrize("several_outputs", [False, True])
def test_a_custom_function_changing_its_input_in_place_under_create_graph(several_outputs):
    def scenario(lib, x):
        class ScaleInPlace(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, w):
                x.mul_(w.exp())
                ctx.mark_dirty(x)
                ctx.save_for_backward(x, w)
                return (x, w * w) if several_outputs else x

            @staticmethod
            def backward(ctx, g, g_square=None):
                out, w = ctx.saved_tensors
                return g * w.exp(), g * out if g_square is None else g * out + g_square * 2 * w

        w = lib.tensor([0.2, 0.3, -0.4, 0.1], dtype=lib.float64, requires_grad=True)
        result = ScaleInPlace.apply(x * 1.0, w)
        y, square = result if several_outputs else (result, w)
        g_x, g_w = lib.autograd.grad((y * y * x).sum() + (square * y).sum(), [x, w], create_graph=True)
        return [g_x, g_w] + list(lib.autograd.grad((g_x * g_w).sum() + (g_w ** 2).sum(), [x, w]))

    both(scenario)
