"""Parameters as one flat vector and back, as torch.nn.utils.parameters_to_vector / vector_to_parameters (for
code that treats a model's weights as a point in R^n: line searches, weight averaging, evolution strategies)."""
from __future__ import annotations

from typing import Iterable

from fastgrad.autograd.grad_mode import no_grad
from fastgrad.tensor import Tensor


def _parameter_list(name: str, parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    parameters = list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: parameters must be Tensors, got {type(p).__name__} at position {i}")
    return parameters


def parameters_to_vector(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined, in order, into one 1-D tensor; differentiable, as PyTorch's."""
    from fastgrad.functions import cat  # (functions builds on the Tensor class; loaded once fastgrad is)

    params = _parameter_list("parameters_to_vector", parameters)
    if not params:
        raise ValueError("parameters_to_vector: expected at least one parameter, got none")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Tensor | Iterable[Tensor]) -> None:
    """Set each parameter's values to its slice of the 1-D `vec`, in order, as PyTorch's: each parameter's .data
    becomes a view of vec (they share memory), outside autograd. Elements of vec past the parameters are
    ignored, as there; a vec too short raises."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a Tensor, got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = _parameter_list("vector_to_parameters", parameters)
    needed = sum(p.numel() for p in params)
    if vec.numel() < needed:
        raise RuntimeError(f"vector_to_parameters: the parameters hold {needed} elements, but vec has only "
                           f"{vec.numel()}")  # (PyTorch: a RuntimeError from its view_as, after some were set)
    start = 0
    with no_grad():
        for p in params:
            p.data = vec[start:start + p.numel()].reshape(p.shape)
            start += p.numel()
