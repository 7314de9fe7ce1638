"""fastgrad.result_type, promote_types and can_cast against torch's, over every pair of fastgrad's dtypes and
of tensors (with and without dims) and numbers."""
import itertools

import pytest

import fastgrad

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]
OPERANDS = {
    "f32": lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float32),
    "f64": lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    "i64": lambda lib: lib.tensor([1, 2]),
    "i32": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "u8": lambda lib: lib.tensor([1, 2], dtype=lib.uint8),
    "i8": lambda lib: lib.tensor([1, 2], dtype=lib.int8),
    "i16-0d": lambda lib: lib.tensor(3, dtype=lib.int16),
    "b": lambda lib: lib.tensor([True, False]),
    "f64-0d": lambda lib: lib.tensor(1.5, dtype=lib.float64),
    "i32-0d": lambda lib: lib.tensor(3, dtype=lib.int32),
    "b-0d": lambda lib: lib.tensor(True),
    "py-float": lambda lib: 2.5,
    "py-int": lambda lib: 3,
    "py-bool": lambda lib: True,
}


def name(dtype) -> str:
    return str(dtype).replace("torch.", "")


@pytest.mark.parametrize("first,second", list(itertools.product(OPERANDS, repeat=2)))
def test_result_type_matches_torch(first, second):
    expected = torch.result_type(OPERANDS[first](torch), OPERANDS[second](torch))
    assert name(fastgrad.result_type(OPERANDS[first](fastgrad), OPERANDS[second](fastgrad))) == name(expected)


@pytest.mark.parametrize("first,second", list(itertools.product(DTYPES, repeat=2)))
def test_promote_types_and_can_cast_match_torch(first, second):
    ours = getattr(fastgrad, first), getattr(fastgrad, second)
    theirs = getattr(torch, first), getattr(torch, second)
    assert name(fastgrad.promote_types(*ours)) == name(torch.promote_types(*theirs))
    assert fastgrad.can_cast(*ours) == torch.can_cast(*theirs)


@pytest.mark.parametrize("call", [
    lambda m: m.result_type("a", 1),
    lambda m: m.result_type(m.tensor([1]), [1, 2]),
    lambda m: m.promote_types(m.int32, 3),
    lambda m: m.promote_types(None, m.int32),
    lambda m: m.can_cast(m.float32, None),
])
def test_what_torch_refuses_is_refused(call):
    for lib in (torch, fastgrad):
        with pytest.raises(TypeError):
            call(lib)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_names_and_their_aliases_are_pytorchs(dtype):
    assert name(getattr(fastgrad, dtype)) == name(getattr(torch, dtype))
    for alias in ("short", "int", "long", "float", "double"):
        assert name(getattr(fastgrad, alias)) == name(getattr(torch, alias))


@pytest.mark.parametrize("name", ["float16", "half", "bfloat16"])
def test_the_16_bit_float_names_answer_as_torchs(name):
    ours, theirs = getattr(fastgrad, name), getattr(torch, name)
    assert ours.is_floating_point == theirs.is_floating_point and ours.itemsize == theirs.itemsize
    mine, reference = fastgrad.finfo(ours), torch.finfo(theirs)
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(mine, field) == getattr(reference, field), field
    assert (fastgrad.float16 == fastgrad.half) == (torch.float16 == torch.half)
    assert (fastgrad.float16 == fastgrad.bfloat16) == (torch.float16 == torch.bfloat16)
    with fastgrad.autocast("cpu", dtype=ours, enabled=False), torch.autocast("cpu", dtype=theirs, enabled=False):
        assert not fastgrad.is_autocast_enabled() and not torch.is_autocast_enabled()
