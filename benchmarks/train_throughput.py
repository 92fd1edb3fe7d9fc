"""Training steps per second: the lecture's autograd loop against the app's fast trainer.

Same as `charnames bench` (the code is charnames_gui/bench.py):

    python benchmarks/train_throughput.py [--rounds 10] [--steps 500] [--json] [--full]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a source checkout

from charnames_gui.bench import main

if __name__ == "__main__":
    sys.exit(main())
