"""Tensor's method families, one mixin per module: math, reductions, shape, indexing, linalg, sampling.

`fastgrad.tensor.Tensor` inherits them all; they are not used on their own. Each mixin has empty
`__slots__`, so tensors keep no `__dict__`, and refers to the Tensor class late (`graph.Tensor`), since
fastgrad/tensor.py imports these modules before the class exists. `arguments` parses the dims, ints
and sizes that methods, free functions and creation functions take.
"""
