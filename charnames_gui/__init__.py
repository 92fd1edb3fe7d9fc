"""charnames-gui: train the MLP of Bengio et al. (2003) on names and watch it learn."""

__version__ = "0.1.0"
