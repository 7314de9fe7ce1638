"""The legacy typed constructors (LongTensor, FloatTensor, ...) and fastgrad.Size."""
import numpy as np
import pytest

import fastgrad


@pytest.mark.parametrize("name, dtype", [("FloatTensor", "float32"), ("DoubleTensor", "float64"),
                                         ("LongTensor", "int64"), ("IntTensor", "int32"), ("BoolTensor", "bool")])
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
