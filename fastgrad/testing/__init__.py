"""`fastgrad.testing`, as torch.testing: `assert_close` and `make_tensor` with PyTorch's arguments, defaults
and errors, and fastgrad's own helpers for gradient tests (`float64_leaf`, `check_gradients`,
`central_difference_jacobian`)."""
from fastgrad.testing.comparison import assert_close
from fastgrad.testing.creation import make_tensor
from fastgrad.testing.gradients import central_difference_jacobian, check_gradients, float64_leaf

__all__ = ["assert_close", "central_difference_jacobian", "check_gradients", "float64_leaf", "make_tensor"]
