"""The two word matrices of a neural language model, the input embedding (V, E) and the output layer's
weight (V, H): how both LMs initialise and, optionally, tie them."""
from __future__ import annotations

import fastgrad
from fastgrad import nn


def init_word_matrices(embedding: nn.Embedding, output: nn.Linear, tie_weights: bool) -> None:
    """Draw both matrices from U(-0.1, 0.1) and zero the output bias, as PyTorch's word_language_model does,
    then let the output layer share the embedding's matrix if `tie_weights` (Press & Wolf 2017).

    Embedding's N(0, 1) default suits neither LM: Adam's steps, about lr in size, barely move such input
    vectors in the first epochs, and tied N(0, 1) output vectors give untrained logits of standard deviation
    ~sqrt(H), so training would start far above a loss of log V."""
    if tie_weights and output.in_features != embedding.embedding_dim:
        raise ValueError(f"tie_weights needs hidden_size == embedding_dim, got {output.in_features} and "
                         f"{embedding.embedding_dim}")
    with fastgrad.no_grad():
        embedding.weight.uniform_(-0.1, 0.1)
        output.weight.uniform_(-0.1, 0.1)
        output.bias.zero_()
    if tie_weights:
        output.weight = embedding.weight
