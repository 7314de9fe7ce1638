# The C kernels are built by cffi in out-of-line API mode; pyproject.toml holds everything else.
from setuptools import setup

setup(cffi_modules=["csrc/build_native.py:ffibuilder"])
