"""torch.func's counterpart: function transforms over pure functions of (pytrees of) tensors, built on
fastgrad's autograd. `grad`, `grad_and_value`, `vjp`, `jvp`, `jacrev`, `jacfwd` and `hessian` are reverse
mode (fastgrad has no forward mode: `jvp` is the double-backward trick and `jacfwd` a reverse-mode Jacobian,
with PyTorch's numbers); `vmap` runs the function once per batch element; `functional_call` calls a module
with given tensors, which makes a model a pure function of its parameters (per-sample gradients are
`vmap(grad(loss))` of such a function)."""
from fastgrad.func.functional_call import functional_call
from fastgrad.func.gradients import grad, grad_and_value, jvp, vjp
from fastgrad.func.jacobians import hessian, jacfwd, jacrev
from fastgrad.func.vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]
