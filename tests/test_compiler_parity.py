"""fastgrad.compile and fastgrad.compiler against torch.compile and torch.compiler (wrapping and argument checks
only: torch's compiled objects are never called here, which would run its compiler)."""
import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def torchs_distribution_checks_survive_its_compiler():
    """torch.compile's first call imports its compiler, which turns off torch.distributions' argument checks for
    the whole process: later comparisons with torch's refusals would find none."""
    validate = torch.distributions.Distribution._validate_args
    yield
    torch.distributions.Distribution.set_default_validate_args(validate)


def identity(x):
    return x


@pytest.mark.parametrize("kwargs", [
    dict(mode="fastest"), dict(mode=3), dict(mode="default", options={}), dict(mode="max-autotune", options={"a": 1}),
    dict(backend="Inductor"), dict(backend="nonexistent", disable=True), dict(dynamic="yes"), dict(dynamic=1),
    dict(options=5), dict(mode="fastest", disable=True),
])
def test_bad_arguments_raise_the_same_exception_type(kwargs):
    with pytest.raises(Exception) as theirs:
        torch.compile(identity, **kwargs)
    with pytest.raises(Exception) as ours:
        fastgrad.compile(identity, **kwargs)
    # (torch's InvalidBackend is its own subclass of RuntimeError, which fastgrad raises)
    assert type(ours.value) is not Exception and isinstance(theirs.value, type(ours.value))


@pytest.mark.parametrize("kwargs", [
    dict(), dict(mode="lite"), dict(mode="max-autotune-no-cudagraphs"), dict(backend="eager"),
    dict(backend="aot_eager"), dict(backend="cudagraphs"), dict(options={"max_autotune": True}),
    dict(fullgraph=True, dynamic=False), dict(backend=lambda gm, inputs: gm),
])
def test_accepted_arguments_are_accepted(kwargs):
    torch.compile(identity, **kwargs)
    assert fastgrad.compile(identity, **kwargs) is identity


def test_not_callable_raises_the_same_exception_type():
    for lib in (torch, fastgrad):
        with pytest.raises(AssertionError, match="A callable function is expected"):
            lib.compile(3)


def test_compiled_module_has_torchs_names_and_repr():
    def build(lib):
        model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
        return model, lib.compile(model)

    (model, ours), (torch_model, theirs) = build(fastgrad), build(torch)
    assert type(ours).__name__ == type(theirs).__name__ == "OptimizedModule"
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(dict(ours.named_modules())) == list(dict(theirs.named_modules()))
    assert repr(ours) == repr(theirs)
    assert len(ours) == len(theirs)
    ours.eval(), theirs.eval()
    assert (model.training, ours.training) == (torch_model.training, theirs.training) == (False, False)
    assert fastgrad.compile(model, disable=True) is model and torch.compile(torch_model, disable=True) is torch_model


def test_checkpoint_of_a_torch_compiled_model_loads_into_a_fastgrad_compiled_model():
    theirs = torch.compile(torch.nn.Linear(3, 2))
    ours = fastgrad.compile(fastgrad.nn.Linear(3, 2))
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    expected = theirs._orig_mod(torch.from_numpy(x)).detach().numpy()  # (the eager module: nothing compiles)
    np.testing.assert_allclose(ours(fastgrad.from_numpy(x)).detach().numpy(), expected, rtol=1e-6)


def test_compiler_namespace_answers_as_torchs():
    for name in ("is_compiling", "is_dynamo_compiling"):
        assert getattr(fastgrad.compiler, name)() == getattr(torch.compiler, name)()
    assert fastgrad.compiler.allow_in_graph(identity) is torch.compiler.allow_in_graph(identity) is identity
    assert fastgrad.compiler.reset() is torch.compiler.reset() is None
    assert fastgrad.compiler.disable(identity)(7) == torch.compiler.disable(identity)(7) == 7


@pytest.mark.parametrize("arguments", [{}, {"mode": "max-autotune"}, {"fullgraph": True, "dynamic": False},
                                       {"mode": "bogus"}, {"mode": "default", "options": {}}, {"backend": "nope"}])
def test_module_compile_in_place_is_torchs(arguments):
    """Module.compile() compiles the module in place in PyTorch: its class, state dict keys and results stay."""
    outcomes = []
    for module in (fastgrad, torch):
        layer = module.nn.Linear(3, 2)
        try:
            outcomes.append((layer.compile(**arguments), type(layer).__name__, list(layer.state_dict())))
        except Exception as error:  # noqa: BLE001  (the exception type is what is compared)
            outcomes.append(type(error))
    if isinstance(outcomes[0], type):  # (torch's InvalidBackend is its own subclass of fastgrad's RuntimeError)
        assert isinstance(outcomes[1], type) and issubclass(outcomes[1], outcomes[0])
    else:
        assert outcomes[0] == outcomes[1]
    with pytest.raises(TypeError):
        fastgrad.nn.Linear(3, 2).compile(fastgrad.nn.Linear(3, 2))
