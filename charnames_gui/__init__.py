"""charnames-gui: train the MLP of Bengio et al. (2003) on names and watch it learn."""

import os

# The model's matrices are tiny (32 x 30 @ 30 x 200): extra BLAS threads only spin-wait, and
# on a 2-core laptop they steal the core the GUI thread needs. Set before NumPy loads BLAS;
# an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
