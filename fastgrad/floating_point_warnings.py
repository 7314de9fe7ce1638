"""NumPy's floating-point warnings from fastgrad's own arithmetic are not shown.

PyTorch computes log(0) = -inf, 0/0 = nan, exp(1000) = inf and the like silently; the NumPy kernels
behind fastgrad's ops would print "RuntimeWarning: divide by zero encountered in log" for the same
input, often on every run of a training script that masks with -inf on purpose. A warnings filter
(not np.seterr, which would change the user's own NumPy code, nor np.errstate per op, which costs
about 1.5 us per call) hides exactly those messages when NumPy raises them inside a fastgrad module.
It costs nothing until such a warning is raised. The user's own filters win: `warnings.simplefilter(
"error")` or pytest's `-W error` placed after import still turn them into errors. To find where a NaN
appears, use `fastgrad.autograd.detect_anomaly()` (backward) or `isnan` on the outputs."""
import warnings

warnings.filterwarnings("ignore", message=r"(divide by zero|invalid value|overflow|underflow) encountered in ",
                        category=RuntimeWarning, module=r"fastgrad(\.|$)")
