"""The legacy typed constructors, torch.Size, as_tensor and the seeding helpers against PyTorch."""
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor",
                                  "CharTensor", "ShortTensor"])
@pytest.mark.parametrize("args", [([1.7, -2.0, 0.0],), ([[1, 0], [2, 3]],), (2, 3), ()])
def test_typed_constructors_match_torch(name, args):
    try:
        theirs = getattr(torch, name)(*args)
    except RuntimeError:  # a negative float as uint8
        with pytest.raises(RuntimeError, match="without overflow"):
            getattr(fastgrad, name)(*args)
        return
    ours = getattr(fastgrad, name)(*args)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    if args and isinstance(args[0], list):
        assert ours.tolist() == theirs.tolist()
    assert isinstance(ours, getattr(fastgrad, name)) == isinstance(theirs, getattr(torch, name))


@pytest.mark.parametrize("data, dtype", [([1, 2], None), ([1.0, 2.5], None), (np.ones(3), None),
                                         (np.ones(3, dtype=np.float32), "float64"), (np.arange(3), "float32")])
def test_as_tensor_matches_torch_and_shares_memory_where_torch_does(data, dtype):
    ours = fastgrad.as_tensor(data, dtype=getattr(fastgrad, dtype) if dtype else None)
    theirs = torch.as_tensor(data, dtype=getattr(torch, dtype) if dtype else None)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    if isinstance(data, np.ndarray):
        data[0] = 7
        assert ours.tolist()[0] == theirs.tolist()[0]  # shared with the array exactly when PyTorch shares


def test_seeding_helpers_match_torch():
    assert isinstance(fastgrad.manual_seed(11), fastgrad.Generator) and isinstance(torch.manual_seed(11),
                                                                                      torch.Generator)
    assert fastgrad.initial_seed() == torch.initial_seed() == 11
    assert str(fastgrad.get_default_dtype()) == str(torch.get_default_dtype()).replace("torch.", "")
    for flag in ("enabled", "deterministic", "benchmark"):
        assert getattr(fastgrad.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag)
    assert fastgrad.backends.cudnn.is_available() == torch.backends.cudnn.is_available()
    assert fastgrad.Size([2, 3]) == torch.Size([2, 3]) and fastgrad.Size([2, 3]).numel() == torch.Size([2, 3]).numel()


def test_sizes_and_overflow_as_torch():
    ours, theirs = fastgrad.zeros(2, 3), torch.zeros(2, 3)
    assert ours.new(ours.size()).shape == tuple(theirs.new(theirs.size()).shape)
    assert fastgrad.FloatTensor(ours.size()).shape == tuple(torch.FloatTensor(theirs.size()).shape)
    assert ours.new((2, 3)).tolist() == theirs.new((2, 3)).tolist()
    for lib in (fastgrad, torch):
        with pytest.raises(RuntimeError, match="without overflow"):
            lib.IntTensor([2**40])


@pytest.mark.parametrize("name", ["ByteTensor", "CharTensor", "ShortTensor", "IntTensor"])
@pytest.mark.parametrize("value", [-257, -256, -255, -129, -128, -1, 127, 128, 255, 256, 32767, 32768, -32769, 2**31,
                                   1.5, -0.5, -1.0, 127.9, 255.5, -128.5, 32767.5, float("nan")])
def test_small_integer_constructors_refuse_and_wrap_as_torch(name, value):
    """uint8 takes integers down to -255 and wraps them around (-1 is 255), not negative floats; anything else out
    of range raises."""
    try:
        expected = getattr(torch, name)([value]).tolist()
    except RuntimeError:
        with pytest.raises(RuntimeError, match="without overflow"):
            getattr(fastgrad, name)([value])
    else:
        assert getattr(fastgrad, name)([value]).tolist() == expected


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_typename_of_a_tensor_is_torchs(dtype):
    assert fastgrad.typename(fastgrad.zeros(2, dtype=getattr(fastgrad, dtype))) == torch.typename(
        torch.zeros(2, dtype=getattr(torch, dtype)))


def test_typename_of_other_objects_is_their_qualified_type_name_as_torch():
    for obj in (3, "s", None, int, [1]):
        assert fastgrad.typename(obj) == torch.typename(obj)
    for lib in (fastgrad, torch):
        assert lib.typename(lib.nn.Linear) == f"{lib.__name__}.nn.modules.linear.Linear"
        assert lib.typename(lib.nn.Linear(2, 2)) == f"{lib.__name__}.nn.modules.linear.Linear"


def test_seed_reseeds_from_entropy_and_returns_the_64_bit_seed_as_torch():
    assert fastgrad.manual_seed(5) is fastgrad.default_generator
    assert isinstance(fastgrad.default_generator, fastgrad.Generator) and isinstance(torch.default_generator,
                                                                                       torch.Generator)
    seeds = {fastgrad.seed() for _ in range(3)}
    assert len(seeds) == 3 and all(isinstance(s, int) and 0 <= s < 2**64 for s in seeds)
    assert fastgrad.initial_seed() == fastgrad.default_generator.initial_seed() in seeds
    reseeded = fastgrad.Generator()
    assert reseeded.seed() == reseeded.initial_seed()
    theirs = torch.seed()
    assert isinstance(theirs, int) and torch.initial_seed() == theirs
    fastgrad.manual_seed(0)


@pytest.mark.parametrize("name", ["DoubleTensor", "FloatTensor", "torch.DoubleTensor", "torch.FloatTensor"])
def test_set_default_tensor_type_sets_the_default_float_dtype_as_torch(name):
    with pytest.warns(UserWarning, match="deprecated"):
        fastgrad.set_default_tensor_type(name if "." in name else getattr(fastgrad, name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch warns once per process)
        torch.set_default_tensor_type(name if "." in name else getattr(torch, name))
    assert str(fastgrad.get_default_dtype()) == str(torch.get_default_dtype()).replace("torch.", "")
    assert str(fastgrad.tensor([1.5]).dtype) == str(torch.tensor([1.5]).dtype).replace("torch.", "")


@pytest.mark.parametrize("call, error", [
    (lambda m: m.set_default_tensor_type(m.LongTensor), TypeError),
    (lambda m: m.set_default_tensor_type("torch.cuda.FloatTensor"), TypeError),
    (lambda m: m.set_default_tensor_type(m.float64), TypeError),
    (lambda m: m.set_default_tensor_type("torch.Foo"), (AttributeError, TypeError)),
])
def test_set_default_tensor_type_refuses_what_torch_refuses(call, error):
    for lib in (fastgrad, torch):
        with pytest.raises(error), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(lib)
    assert fastgrad.get_default_dtype() == fastgrad.float32


@pytest.mark.parametrize("dtype_name", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_type_names_and_converts_as_torch(dtype_name):
    t = torch.zeros(2, dtype=getattr(torch, dtype_name))
    f = fastgrad.zeros(2, dtype=getattr(fastgrad, dtype_name))
    assert f.type() == t.type()
    for target in ("torch.DoubleTensor", "torch.LongTensor", "torch.ByteTensor"):
        assert str(f.type(target).dtype) == str(t.type(target).dtype).removeprefix("torch.")
    assert f.type(fastgrad.IntTensor).dtype == fastgrad.int32 and t.type(torch.IntTensor).dtype == torch.int32
    assert f.type(fastgrad.int16).dtype == fastgrad.int16
    assert f.type(f.type()) is f and t.type(t.type()) is t  # already of that type: the tensor itself


def test_type_refuses_unknown_names_as_torch():
    with pytest.raises(ValueError, match="invalid type: 'torch.Foo'"):
        torch.zeros(1).type("torch.Foo")
    with pytest.raises(ValueError, match="invalid type 'torch.Foo'"):
        fastgrad.zeros(1).type("torch.Foo")
    with pytest.raises(ValueError, match="invalid type 'LongTensor'"):
        fastgrad.zeros(1).type("LongTensor")
