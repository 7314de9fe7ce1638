"""PyTorch's top-level constants, and the class of dtypes for `isinstance(x.dtype, fastgrad.dtype)`."""
import math

import numpy as np

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None  # as NumPy's: `x[:, fastgrad.newaxis]` inserts a dim of size 1

# fastgrad's dtypes are NumPy dtype objects (fastgrad/dtypes.py), so their class is NumPy's. Unlike
# torch.dtype, calling it makes a dtype (`fastgrad.dtype("float32")`) instead of raising.
dtype = np.dtype
