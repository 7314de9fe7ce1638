"""cffi build script (out-of-line API mode) for fastgrad's C kernels.

`pip install` runs it through `cffi_modules` in setup.py and places the compiled module at
`fastgrad._native_lib`. Only `fastgrad/_native.py` imports that module.
"""
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
SOURCES = sorted(str(p.relative_to(HERE.parent)) for p in HERE.glob("*.c"))
HEADER = (HERE / "fastgrad_native.h").read_text()

ffibuilder = FFI()
# cdef cannot take preprocessor lines: keep only the declarations.
ffibuilder.cdef("\n".join(line for line in HEADER.splitlines() if not line.startswith("#")))
ffibuilder.set_source(
    "fastgrad._native_lib",
    '#include "fastgrad_native.h"',
    sources=SOURCES,
    include_dirs=[str(HERE.relative_to(HERE.parent))],
    # -ffp-contract=fast lets a*b+c become one FMA where the ISA has it (ISO C mode forbids that by
    # default); -fopenmp for the row-parallel loops and `omp simd` reductions. No -march=native: the
    # kernels that need wide vectors are compiled per ISA and chosen at run time (simd_math.h).
    extra_compile_args=["-O3", "-std=c99", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-fopenmp"],
    extra_link_args=["-fopenmp"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
