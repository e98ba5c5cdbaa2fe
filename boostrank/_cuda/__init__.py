"""numba.cuda twins of the CPU kernels in :mod:`boostrank._kernels`.

Imported only when an objective or metric runs with ``device="cuda"`` (or ``"auto"`` finds a
GPU): importing :mod:`boostrank` never touches CUDA.  Each module mirrors one CPU module and
exposes functions with the same names and argument order as the CPU kernels; they take numba
device arrays (``numba.cuda.to_device``) and write their outputs in place.

Layout of the work (every twin):

* **row kernels** run one thread per row over the whole grid; the thread loops over the rows
  of its own group (found by binary search in ``offsets``) and writes only its own outputs.
  A pair (i, j) is therefore evaluated twice, once by each row's thread, in exchange for no
  atomics: results do not depend on scheduling, and large groups spread over many blocks.
* **group kernels** run one block per group; the block strides over the group's rows and
  combines per-thread partial sums with a fixed-shape tree reduction in shared memory
  (deterministic for a given block size).

Block size: ``BOOSTRANK_CUDA_THREADS`` (default 128, a power of two), read at import.  It is
a launch setting only: kernels read ``cuda.blockDim.x`` and get their reduction scratch as
dynamic shared memory sized at launch (``on_groups``), so a kernel compiled (and cached on disk
by ``cache=True``) at one block size runs correctly at any other.  No kernel may read a
module-level value that comes from the environment or configuration: Numba's cache keys a
compiled kernel by its source file and argument types, not by the globals it captured
(``tests/test_cached_kernels.py`` checks this).  The test suite sets 4 so that the simulator
(``NUMBA_ENABLE_CUDASIM=1``) runs multi-block groups.  Accumulation is float64 throughout and no
kernel allocates O(n^2) memory.
"""
