import numpy as np
import pytest

from fastgrad import nn
from fastgrad.models.word_matrices import init_word_matrices


def test_both_matrices_are_small_uniform_and_the_bias_zero():
    embedding, output = nn.Embedding(500, 16), nn.Linear(16, 500)
    init_word_matrices(embedding, output, tie_weights=False)
    for weight in (embedding.weight.detach().numpy(), output.weight.detach().numpy()):
        assert np.abs(weight).max() <= 0.1 and weight.std() > 0.05  # U(-0.1, 0.1) has std 0.058
    assert not output.bias.detach().numpy().any()
    assert output.weight is not embedding.weight


def test_tying_shares_one_matrix():
    embedding, output = nn.Embedding(50, 8), nn.Linear(8, 50)
    init_word_matrices(embedding, output, tie_weights=True)
    assert output.weight is embedding.weight


def test_tying_unequal_sizes_names_both():
    with pytest.raises(ValueError, match="hidden_size == embedding_dim, got 12 and 8"):
        init_word_matrices(nn.Embedding(50, 8), nn.Linear(12, 50), tie_weights=True)
