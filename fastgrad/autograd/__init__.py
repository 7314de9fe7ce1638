"""Autodiff: grad mode, the graph walk, custom Functions, gradcheck, and (functional) Jacobians of functions."""
from fastgrad.autograd import functional
from fastgrad.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from fastgrad.autograd.differentiate import backward, grad
from fastgrad.autograd.function import Function, FunctionCtx
from fastgrad.autograd.grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from fastgrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from fastgrad.autograd.variable import Variable

__all__ = ["Function", "functional", "FunctionCtx", "GradcheckError", "backward", "detect_anomaly", "enable_grad", "grad",
           "gradcheck", "gradgradcheck", "inference_mode", "is_grad_enabled", "no_grad", "set_detect_anomaly",
           "set_grad_enabled", "Variable"]
