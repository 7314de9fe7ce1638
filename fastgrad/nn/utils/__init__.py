"""Importing PyTorch weights (here), gradient clipping (clip_grad), parameters as one vector
(convert_parameters), padding and packing sequences into batches (rnn), parametrizations (parametrize,
parametrizations), the older hook-based weight_norm and spectral_norm, folding BatchNorm into a layer
(fusion), skip_init (init) and functional_call (stateless)."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from fastgrad.nn.utils.clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_,  # noqa: F401
                                         clip_grads_with_norm_, get_total_norm)
from fastgrad.tensor import Tensor

_WRAPPER_PREFIXES = ("module.", "_orig_mod.")  # added by DataParallel / DistributedDataParallel, torch.compile


def convert_torch_state_dict(arrays: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Turn a PyTorch state dict, given as name -> NumPy array, into one `Module.load_state_dict` accepts.

        arrays = {k: v.numpy() for k, v in torch_model.state_dict().items()}
        model.load_state_dict(fastgrad.nn.utils.convert_torch_state_dict(arrays))

    fastgrad's layers use PyTorch's names and layouts (`weight` (out, in), `bias`, `0.weight` inside
    Sequential, `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0` in RNN), so values keep
    their names; the prefixes that DataParallel ("module.") and torch.compile ("_orig_mod.") add are
    removed and every value becomes a contiguous array of its own. Objects with a `.numpy()` method
    (CPU tensors that do not require grad) are accepted too, without fastgrad importing torch.
    """
    converted = {}
    for name, value in arrays.items():
        if hasattr(value, "numpy") and not isinstance(value, (np.ndarray, Tensor)):
            value = value.numpy()
        array = np.array(value._data if isinstance(value, Tensor) else value, copy=True, order="C")
        if array.dtype.kind not in "biuf":
            raise TypeError(f"convert_torch_state_dict: {name!r} has dtype {array.dtype}, expected numbers")
        for prefix in _WRAPPER_PREFIXES:
            while name.startswith(prefix):
                name = name[len(prefix):]
        if name in converted:
            raise ValueError(f"convert_torch_state_dict: two entries map to the name {name!r}")
        converted[name] = array
    return converted


from fastgrad.nn.utils import rnn  # noqa: E402  (torch.nn.utils.rnn is there after `import torch`, as here)
from fastgrad.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: E402,F401
from fastgrad.nn.utils import parametrizations, parametrize, stateless  # noqa: E402,F401
from fastgrad.nn.utils.fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa: E402,F401
                                      fuse_linear_bn_weights)
from fastgrad.nn.utils.init import skip_init  # noqa: E402,F401
from fastgrad.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm  # noqa: E402,F401
from fastgrad.nn.utils.weight_norm import remove_weight_norm, weight_norm  # noqa: E402,F401
