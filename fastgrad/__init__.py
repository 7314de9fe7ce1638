"""fastgrad: reverse-mode autodiff with compiled kernels for classic neural NLP models.

    import fastgrad
    import fastgrad.nn.functional as F

    x = fastgrad.randn(4, 3, requires_grad=True)
    loss = F.relu(x).sum()
    loss.backward()  # x.grad holds d loss / d x
"""
import os as _os

from fastgrad import threads as _threads  # noqa: F401  first: sets the thread pools' idle policy before they load
from fastgrad import allocator as _allocator  # noqa: F401  large arrays reuse freed memory (no fresh page faults)
from fastgrad import floating_point_warnings as _floating_point_warnings  # noqa: F401  silent, as PyTorch's kernels
from fastgrad import backends as _backends
from fastgrad.autograd import (Function, enable_grad, gradcheck, inference_mode, is_grad_enabled, no_grad,
                               set_grad_enabled)
from fastgrad.backends import backend, get_backend, set_backend
from fastgrad.dtypes import (bool_, finfo, float32, float64, get_default_dtype, iinfo, int8, int16, int32, int64,
                             set_default_dtype, uint8)
from fastgrad.functions import (abs, add, addbmm, addmm, addmv, all, allclose, amax, amin, any, argmax, argmin, argsort, bernoulli, bincount,
                                bitwise_and, bitwise_not, bitwise_or, bitwise_xor, bmm, broadcast_to, cat, ceil, chunk,
                                clamp, clamp_max, clamp_min, clip, clone, concat, cos, cumprod, cumsum, div, dot,
                                einsum, eq, equal, exp, expm1, flatten, flip, floor, floor_divide, gather, ge, gt,
                                index_add, index_select, is_floating_point, is_tensor, isclose, isfinite, isinf, isnan,
                                le, log, log1p, log_softmax, logical_and, logical_not, logical_or, logical_xor,
                                logsumexp, lt, masked_fill, masked_select, matmul, max, maximum, mean, min, minimum,
                                mm, moveaxis, movedim, mul, multinomial, mv, narrow, ne, neg, nonzero, norm, numel,
                                outer, permute, pow, prod, reciprocal, relu, remainder, repeat_interleave, reshape,
                                roll, round, rsqrt, scatter, scatter_add, select, sigmoid, sign, sin, softmax, sort,
                                split, sqrt, square, squeeze, stack, std, sub, sum, swapaxes, swapdims, t, tanh, topk,
                                transpose, tril, triu, trunc, unbind, unflatten, unique, unsqueeze, var, where)
from fastgrad.printing import get_printoptions, set_printoptions
from fastgrad.profiler import profile
from fastgrad.random import Generator, get_rng_state, initial_seed, manual_seed, set_rng_state
from fastgrad.serialization import load, save
from fastgrad.sparse import SparseRowGrad
from fastgrad.tensor import Size, Tensor, device
from fastgrad.threads import get_num_threads, set_num_threads
from fastgrad.creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones,
                               ones_like, rand, rand_like, randint, randint_like, randn, randn_like, randperm, tensor,
                               tril_indices, triu_indices, zeros, zeros_like)
from fastgrad.functions import (atleast_1d, atleast_2d, atleast_3d, baddbmm, cartesian_prod, column_stack, combinations,
                                diag, diag_embed, diagonal, dstack, hstack, kron, meshgrid, row_stack, tensordot, tile,
                                trace, vstack)
from fastgrad.functions import (acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, asin, asinh, atan,
                                atan2, atanh, cosh, erf, erfc, fmod, heaviside, hypot, lerp, logaddexp, logaddexp2, sinh,
                                tan, true_divide)
from fastgrad.functions import (addcdiv, addcmul, argwhere, cdist, count_nonzero, cross, dist, histc, index_copy,
                                index_fill, masked_scatter, median, mode, nanmean, nansum, renorm,
                                searchsorted, std_mean, take, var_mean)
from fastgrad.functions import (adjoint, as_strided, dsplit, hsplit, imag, narrow_copy, ravel, real, split_with_sizes,
                                tensor_split, vsplit)
from fastgrad.creation import logspace, normal
from fastgrad.dtypes import can_cast, promote_types, result_type_of as result_type
from fastgrad.functions import (aminmax, broadcast_tensors, bucketize, cummax, cummin, diff, fliplr, flipud, kthvalue,
                                logcumsumexp, msort, nanmedian, nanquantile, quantile, rot90, scatter_reduce,
                                take_along_dim, unique_consecutive)
from fastgrad.functions import (copysign, deg2rad, digamma, erfinv, exp2, float_power, fmax, fmin, frac, gcd, i0, isin,
                                isneginf, isposinf, isreal, lcm, ldexp, lgamma, log2, log10, logit, nan_to_num, nextafter,
                                polygamma, rad2deg, signbit, sinc, xlogy)
from fastgrad.functions import (absolute, divide, fix, greater, greater_equal, less, less_equal, multiply, negative,
                                not_equal, positive, sgn, subtract)
from fastgrad.functions import (corrcoef, cov, diagflat, ger, index_put, index_put_, is_complex, is_nonzero,
                                is_same_size, is_signed)
# torch's top-level constants, types, seeding and aliases
from fastgrad.constants import dtype, e, inf, nan, newaxis, pi
from fastgrad.functions import broadcast_shapes
from fastgrad.random import default_generator, seed
from fastgrad.tensor_types import ByteTensor, CharTensor, ShortTensor, set_default_tensor_type, typename
from fastgrad.func import vmap
# torch's array-making and small functions
from fastgrad.creation import asarray, frombuffer, range, scalar_tensor
from fastgrad.functions import (bitwise_left_shift, bitwise_right_shift, concatenate, detach, fill, get_device, rsub,
                                unravel_index)
# torch's free in-place functions, each the tensor method of its name
from fastgrad.functions import (abs_, acos_, acosh_, addmv_, arccos_, arccosh_, arcsin_, arcsinh_, arctan_, arctanh_,
                                asin_, asinh_, atan_, atanh_, ceil_, clamp_, clamp_max_, clamp_min_, clip_, cos_, cosh_,
                                deg2rad_, detach_, erf_, erfc_, exp2_, exp_, expm1_, fill_, fix_, floor_, frac_, gcd_,
                                i0_, lcm_, ldexp_, log10_, log1p_, log2_, log_, logit_, nan_to_num_, neg_, negative_,
                                rad2deg_, reciprocal_, relu_, round_, rsqrt_, sigmoid_, sin_, sinc_, sinh_, sqrt_,
                                square_, tan_, tanh_, trunc_, xlogy_, zero_)
# torch's top-level forms of nn.functional's functions, with their aten signatures
from fastgrad.functional_forms import (adaptive_avg_pool1d, adaptive_max_pool1d, alpha_dropout, alpha_dropout_,
                                       avg_pool1d, batch_norm, bilinear, binary_cross_entropy_with_logits, celu, celu_,
                                       conv1d, conv2d, conv_transpose1d, conv_transpose2d, cosine_embedding_loss,
                                       cosine_similarity, ctc_loss, dropout, dropout_, embedding, embedding_renorm_,
                                       feature_alpha_dropout, feature_alpha_dropout_, feature_dropout, feature_dropout_,
                                       group_norm, hardshrink, hinge_embedding_loss, instance_norm, kl_div, layer_norm,
                                       margin_ranking_loss, max_pool1d, max_pool1d_with_indices, max_pool2d,
                                       pairwise_distance, pdist, poisson_nll_loss, prelu, rms_norm, rrelu, rrelu_, selu,
                                       selu_, threshold, threshold_, triplet_margin_loss)
from fastgrad.nn.pixel_shuffle import channel_shuffle, native_channel_shuffle, pixel_shuffle, pixel_unshuffle
from fastgrad.memory_formats import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format
from fastgrad.autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from fastgrad.autograd.grad_mode import is_inference_mode_enabled
from fastgrad.functions import conj, conj_physical, is_conj, is_inference, is_neg, resolve_conj, resolve_neg
from fastgrad.switches import (are_deterministic_algorithms_enabled, get_default_device, get_deterministic_debug_mode,
                               get_float32_matmul_precision, get_num_interop_threads,
                               is_deterministic_algorithms_warn_only_enabled, is_warn_always_enabled,
                               set_default_device, set_deterministic_debug_mode, set_float32_matmul_precision,
                               set_flush_denormal, set_num_interop_threads, set_warn_always,
                               use_deterministic_algorithms)
from fastgrad import amp
from fastgrad.amp.autocast_mode import (autocast, clear_autocast_cache, is_autocast_cache_enabled, is_autocast_enabled,
                                        set_autocast_cache_enabled, set_autocast_enabled)
from fastgrad.functions import angle, cholesky_inverse, cholesky_solve, frexp, histogram, mvlgamma, vander
from fastgrad.quadrature import cumulative_trapezoid, trapezoid, trapz
from fastgrad.windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window
from fastgrad.linalg_legacy import lu, lu_solve, lu_unpack, triangular_solve
from fastgrad.dtypes import bfloat16, float16, half
# torch's copy, scatter and storage-shaping functions
from fastgrad.view_copies import (alias_copy, as_strided_copy, detach_copy, diagonal_copy, expand_copy, permute_copy,
                                  select_copy, slice_copy, split_copy, split_with_sizes_copy, squeeze_copy, t_copy,
                                  transpose_copy, unbind_copy, unfold_copy, unsqueeze_copy, view_copy)
from fastgrad.view_functions import (as_strided_, as_strided_scatter, constant_pad_nd, diagonal_scatter, index_reduce,
                                     nonzero_static, put, resize_as_, select_scatter, slice_scatter, unsafe_chunk,
                                     unsafe_split, unsafe_split_with_sizes)
from fastgrad.creation import empty_permuted, empty_strided
# torch's remaining math, sampling and legacy linear-algebra names
from fastgrad.functions import igamma, igammac
from fastgrad.linalg_legacy import eig, frobenius_norm, lstsq, matrix_rank, nuclear_norm, solve, symeig
from fastgrad.sampling import binomial, poisson
from fastgrad.finite_differences import gradient
from fastgrad.histogramdd import histogramdd
from fastgrad.recurrent_forms import (gru, gru_cell, lstm, lstm_cell, rnn_relu, rnn_relu_cell, rnn_tanh,
                                      rnn_tanh_cell)
from fastgrad.functional_forms import embedding_bag
# torch's runtime namespaces as they answer on a CPU-only machine, compile (eager), DLPack exchange
from fastgrad import accelerator, compiler, cpu, jit, mps, multiprocessing, xpu
from fastgrad.amp import GradScaler
from fastgrad.compiler import compile
from fastgrad.dlpack import from_dlpack
from fastgrad.tensor import layout, strided
from fastgrad import special  # torch.special's counterpart, loaded with the package as torch's is
from fastgrad.tensor_types import BoolTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor
# matrix functions: torch's top-level names, and fastgrad.linalg as torch.linalg
from fastgrad.functions import (addr, block_diag, chain_matmul, cholesky, det, inner, inverse, logdet, matrix_exp,
                                matrix_power, pinverse, qr, slogdet, svd, vdot)
from fastgrad import linalg

# PyTorch's dtype names. (These shadow the builtins in this module only; nothing below uses them.)
float = float32
double = float64
long = int64
int = int32
short = int16
bool = bool_

__version__ = "0.1.0"

_backends.set_backend(_os.environ.get("FASTGRAD_BACKEND", "compiled"))

# `import fastgrad` gives fastgrad.nn, fastgrad.optim, fastgrad.autograd and fastgrad.func, as `import torch` does.
from fastgrad import autograd, cuda, func, nn, optim  # noqa: E402  (they need the package above)

# Imported on first use, as attributes (`fastgrad.utils.data.DataLoader`) or by import: `train` (the models'
# training functions) pulls in the models, readers and metrics; `utils` (data loading, with the
# distributed sampler), `distributions`, `distributed` (MPI, itself imported only when a job has several
# processes) and `testing` are not needed to build and train a model.
_ON_FIRST_USE = ("train", "utils", "distributions", "distributed", "testing")


def __getattr__(name: str):
    if name in _ON_FIRST_USE:
        import importlib

        return importlib.import_module(f"fastgrad.{name}")
    raise AttributeError(f"module 'fastgrad' has no attribute {name!r}")
