"""What the app is doing with the current model: views enable their buttons from it."""

from __future__ import annotations

from enum import Enum


class TrainingState(Enum):
    LOADING = "loading PyTorch"  # the app has just started: the model waits for torch
    NO_MODEL = "no model"  # nothing to train or sample
    NO_DATASET = "no dataset"  # a model opened without a dataset: it samples, cannot train
    READY = "ready"  # a model that can be trained; not running
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # all configured steps done (raise steps to continue)
    SWEEPING = "sweeping"  # the learning-rate finder runs
    EVALUATING = "evaluating"  # the worker measures the loss of a whole split
    STEPPING = "stepping"  # the worker takes a single step (step_once)
