"""The legacy typed constructors (LongTensor, FloatTensor, ...) and fastgrad.Size."""
import numpy as np
import pytest

import fastgrad


@pytest.mark.parametrize("name, dtype", [("FloatTensor", "float32"), ("DoubleTensor", "float64"),
                                         ("LongTensor", "int64"), ("IntTensor", "int32"), ("BoolTensor", "bool"),
                                         ("ByteTensor", "uint8"), ("CharTensor", "int8"), ("ShortTensor", "int16")])
def test_typed_constructors_make_tensors_of_their_dtype(name, dtype):
    typed = getattr(fastgrad, name)
    made = typed([1, 0, 1])
    assert made.dtype == getattr(fastgrad, dtype) and made.tolist() == np.array([1, 0, 1], dtype=dtype).tolist()
    assert typed(2, 3).shape == (2, 3) and typed().shape == (0,) and typed(np.ones(2)).dtype == made.dtype
    assert isinstance(made, typed) and isinstance(made, fastgrad.Tensor) and not isinstance(np.ones(2), typed)
    assert typed(made) is made
    other = fastgrad.zeros(1, dtype=fastgrad.float64 if dtype != "float64" else fastgrad.float32)
    assert not isinstance(other, typed)
    with pytest.raises(TypeError, match="got a tensor of dtype"):
        typed(other)
    with pytest.raises(TypeError, match="data must be a sequence, got float"):
        typed(1.5)
    with pytest.raises(TypeError, match="expected sizes"):
        typed([1], [2])


def test_long_tensor_truncates_floats_as_pytorch():
    assert fastgrad.LongTensor([1.7, -2.2]).tolist() == [1, -2]


def test_size_is_a_tuple_with_numel():
    size = fastgrad.Size([2, 3])
    assert size == (2, 3) and fastgrad.ones(2, 3).size() == size and fastgrad.ones(2, 3).shape == size
    assert size.numel() == 6 and fastgrad.Size([]).numel() == 1 and repr(size) == "fastgrad.Size([2, 3])"


def test_sizes_from_size_and_shape_are_sizes_and_a_tuple_is_data():
    """x.new(h.size()) and FloatTensor(x.size()) made a 1-D tensor holding the sizes."""
    h = fastgrad.zeros(2, 3)
    assert type(h.shape) is fastgrad.Size and type(h.size()) is fastgrad.Size and h.size().numel() == 6
    assert str(h.shape) == "(2, 3)" and f"{h.shape}" == "(2, 3)"  # messages keep a plain tuple's form
    assert h.new(h.size()).shape == (2, 3) and fastgrad.FloatTensor(h.size()).shape == (2, 3)
    assert h.new((2, 3)).tolist() == [2.0, 3.0] and fastgrad.FloatTensor((2, 3)).tolist() == [2.0, 3.0]


@pytest.mark.parametrize("name, data", [("IntTensor", [2**40]), ("IntTensor", [3e10]), ("LongTensor", [float("inf")]),
                                        ("IntTensor", [-(2**31) - 1])])
def test_typed_constructors_refuse_values_out_of_range(name, data):
    """NumPy's cast wrapped them around (IntTensor([2**40]) gave [0]); PyTorch refuses."""
    with pytest.raises(RuntimeError, match="cannot be converted to type .* without overflow"):
        getattr(fastgrad, name)(data)
