"""What one hidden-layer analysis (core/hidden_stats.py) costs, and the saturation it finds.

For a few model sizes and both initialisations: milliseconds per analysis of a snapshot on
the fixed 1,000-example sample (one torch thread, as the app's views use), the fraction of
activations with |h| > 0.99 and the dead units. The hidden-layer view runs this off the GUI
thread because the larger models take far more than a frame.

    python benchmarks/hidden_stats_cost.py [DATASET]   # default: the bundled names
"""

from __future__ import annotations

import sys
import time

import torch

from charnames_gui.bundled import bundled_dataset_path
from charnames_gui.core.config import ModelConfig
from charnames_gui.core.data import Dataset
from charnames_gui.core.hidden_stats import example_sample, hidden_stats
from charnames_gui.core.model import MLP

SIZES = [(3, 10, 200), (3, 10, 1000), (8, 24, 4096)]  # block_size, n_embd, n_hidden


def main(argv: list[str]) -> int:
    torch.set_num_threads(1)
    dataset = Dataset.from_file(argv[0] if argv else bundled_dataset_path())
    for block_size, n_embd, n_hidden in SIZES:
        config = ModelConfig(block_size, n_embd, n_hidden, dataset.vocab.size)
        X, Y = dataset.examples(block_size).tensors["train"]
        sample = example_sample(X, Y)
        for init in ("lecture", "scaled"):
            weights = MLP.init(config, init).snapshot()
            hidden_stats(weights, config, sample, 0.1)  # warm-up
            start, runs = time.perf_counter(), 5
            for _ in range(runs):
                stats = hidden_stats(weights, config, sample, 0.1)
            ms = (time.perf_counter() - start) / runs * 1000
            print(
                f"block {block_size:2} embd {n_embd:3} hidden {n_hidden:5} {init:8} "
                f"{ms:7.1f} ms  saturated {stats.saturated_fraction:.3f}  "
                f"dead {stats.dead_units}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
