"""fastgrad.keyword_names: the top-level functions take PyTorch's keyword names input= and other=."""
import pytest

import fastgrad
from fastgrad.keyword_names import with_torch_keywords


def test_input_and_other_name_the_operands_of_the_top_level_functions():
    a, b = fastgrad.tensor([1.0, 5.0]), fastgrad.tensor([3.0, 2.0])
    assert fastgrad.sum(input=a).item() == 6.0 and fastgrad.neg(input=a).tolist() == [-1.0, -5.0]
    assert fastgrad.maximum(input=a, other=b).tolist() == [3.0, 5.0]
    assert fastgrad.matmul(input=a, other=b).item() == 13.0
    assert fastgrad.max(input=a, other=b).tolist() == [3.0, 5.0] and fastgrad.min(input=a, dim=0).values.item() == 1.0
    assert fastgrad.add(input=a, other=b, alpha=2).tolist() == [7.0, 9.0]
    assert fastgrad.zeros_like(input=a).tolist() == [0.0, 0.0]


def test_an_operand_given_twice_is_refused():
    with pytest.raises(TypeError, match="multiple values for argument 'input'"):
        fastgrad.sum(fastgrad.ones(2), input=fastgrad.ones(2))
    with pytest.raises(TypeError, match="multiple values for argument 'other'"):
        fastgrad.maximum(fastgrad.ones(2), fastgrad.ones(2), other=fastgrad.ones(2))


def test_functions_with_torch_s_names_are_left_as_they_are():
    def already(input, other):
        return input, other

    def renamed(x, dim=None):
        return x, dim

    assert with_torch_keywords(already) is already
    assert with_torch_keywords(renamed)(input=1, dim=2) == (1, 2)
    with pytest.raises(TypeError):  # `other` is max's and min's elementwise operand only
        with_torch_keywords(renamed)(input=1, other=2)
