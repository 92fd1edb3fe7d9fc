"""The Qt-free core: data, model, training, sampling and model files.

Nothing in this package imports Qt, so it runs in tests, notebooks and the CLI.
"""
