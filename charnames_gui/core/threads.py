"""How many threads PyTorch and NumPy's BLAS use: one, for the lecture's small matrices.

The model's matrices are tiny (32 x 30 @ 30 x 200): extra threads only spin-wait, and on a
2-core laptop they take the core the GUI thread needs. Called once at the start of each
process (the app, the CLI, the training child), never on import.
"""

from __future__ import annotations

# The most threads any command accepts: PyTorch segfaults on 100,000 and hangs on 20,000.
MAX_THREADS = 256


def limit_blas_threads(n: int) -> bool:
    """Limit NumPy's BLAS (the fast engine's matmuls) to n threads; torch.set_num_threads does
    not reach it. Returns False when no BLAS library was found to limit."""
    import numpy  # noqa: F401  (loads NumPy's BLAS, so that threadpoolctl can find it)

    # Imported here, not at the top: importing threadpoolctl sets KMP_DUPLICATE_LIB_OK, and
    # importing charnames_gui must change no environment variable.
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(limits=n, user_api="blas")
    return any(pool["user_api"] == "blas" for pool in threadpool_info())


def limit_threads(n: int) -> bool:
    """PyTorch's and NumPy's BLAS threads to n (imports torch). Returns limit_blas_threads's
    answer."""
    import torch

    torch.set_num_threads(n)
    return limit_blas_threads(n)
