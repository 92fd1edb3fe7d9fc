"""charnames-gui: train the MLP of Bengio et al. (2003) on names and watch it learn.

Importing the package changes nothing in the process (no environment variables, no thread
settings): each entry point sets its threads when it starts (core/threads.py).
"""

__version__ = "0.1.0"
