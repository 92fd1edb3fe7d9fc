"""core/threads.py: one call limits PyTorch's and NumPy's BLAS threads."""

from __future__ import annotations

import torch
from threadpoolctl import threadpool_info, threadpool_limits

from charnames_gui.core.threads import limit_threads


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_limit_threads_reaches_torch_and_numpys_blas() -> None:
    torch_before = torch.get_num_threads()
    # The outer limit puts the BLAS back as it was when the test ends.
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() and set(blas_threads()) == {2}
        assert limit_threads(1) is True
        assert set(blas_threads()) == {1}
        assert torch.get_num_threads() == 1
    torch.set_num_threads(torch_before)
