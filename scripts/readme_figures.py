"""The README's figures that code can reproduce, recomputed and compared with the README.

    python scripts/readme_figures.py [--data ../shared/data/names.txt] [--full]

Without --full (seconds): the saturation of the hidden layer at step 0 for the Final run
and Improved initialisation presets (the README's table "step 0" column).
With --full (minutes: three 200,000-step runs, one with the autograd engine):
- the saturation at step 200,000 of both presets (the table's second column);
- the lecture's final run with each engine (train and dev loss of the "engine" table) and
  the dev-loss difference between them quoted in the text.

Each figure is computed the way the app computes it (core/hidden_stats.py on the fixed
1,000-example sample of the train split; Trainer.evaluate for the losses), rounded as the
README prints it, and compared with the README's text. Exit 1 if any differs. Timings and
memory figures are not here: they are measurements of one machine, and the README names
the benchmark command that produced each of them (the "command" column of its tables).
tests/test_readme_figures.py runs the quick part in the suite.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # a source checkout

README = REPO / "README.md"
NAMES = REPO.parent / "shared" / "data" / "names.txt"


@dataclass(frozen=True)
class Figure:
    what: str
    readme: str  # as the README prints it
    computed: str

    @property
    def ok(self) -> bool:
        return self.readme == self.computed


def readme_row(text: str, first_cell: str) -> list[str]:
    """The cells of the README table row that starts with `| first_cell |`."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise SystemExit(f"README.md has no table row {first_cell!r}")


def percent(cell: str) -> str:
    match = re.match(r"([\d.]+)% saturated", cell)
    if not match:
        raise SystemExit(f"not a saturation figure: {cell!r}")
    return match.group(1)


def saturation(weights: dict, config: object, dataset: object) -> str:
    from charnames_gui.core.hidden_stats import example_sample, hidden_stats

    X, Y = dataset.examples(config.block_size).tensors["train"]  # type: ignore[attr-defined]
    stats = hidden_stats(weights, config, example_sample(X, Y), lr=0.1)  # type: ignore[arg-type]
    return f"{100 * stats.saturated_fraction:.1f}"


def trained(dataset: object, preset_name: str, engine: str = "fast") -> object:
    from dataclasses import replace

    from charnames_gui.core.model import MLP
    from charnames_gui.core.presets import preset_by_name
    from charnames_gui.core.training import Trainer

    preset = preset_by_name(preset_name)
    config = preset.model_config(dataset.vocab.size)  # type: ignore[attr-defined]
    train = replace(preset.train, engine=engine)
    examples = dataset.examples(config.block_size)  # type: ignore[attr-defined]
    trainer = Trainer(MLP.init(config, train.init, train.seed), examples, train)
    while not trainer.done:
        trainer.run(20_000)
    return trainer


def quick_figures(dataset: object, text: str) -> list[Figure]:
    """Step-0 saturation of both presets (seconds)."""
    from charnames_gui.core.model import MLP
    from charnames_gui.core.presets import preset_by_name

    figures = []
    for row, preset_name in (
        ("Final run (lecture init)", "Final run"),
        ("Improved initialisation", "Improved initialisation"),
    ):
        preset = preset_by_name(preset_name)
        config = preset.model_config(dataset.vocab.size)  # type: ignore[attr-defined]
        model = MLP.init(config, preset.train.init, preset.train.seed)
        readme = percent(readme_row(text, row)[1])
        figures.append(Figure(f"{row}: saturated at step 0 (%)", readme,
                              saturation(model.snapshot(), config, dataset)))  # fmt: skip
    return figures


def full_figures(dataset: object, text: str) -> list[Figure]:
    """Step-200,000 saturation of both presets and the final run with each engine."""
    figures = []
    runs = {}
    for row, preset_name in (
        ("Final run (lecture init)", "Final run"),
        ("Improved initialisation", "Improved initialisation"),
    ):
        trainer = trained(dataset, preset_name)
        runs[preset_name] = trainer
        readme = percent(readme_row(text, row)[2])
        model = trainer.model  # type: ignore[attr-defined]
        figures.append(Figure(f"{row}: saturated at step 200,000 (%)", readme,
                              saturation(model.snapshot(), model.config, dataset)))  # fmt: skip
    engines = {"fast": runs["Final run"], "autograd": trained(dataset, "Final run", "autograd")}
    losses = {}
    for engine, row in (("autograd", "autograd (the lecture's loop)"),
                        ("fast", "fast (hand-derived backward pass)")):  # fmt: skip
        cells = readme_row(text, row)
        trainer = engines[engine]
        train_loss = trainer.evaluate("train")  # type: ignore[attr-defined]
        dev_loss = trainer.evaluate("dev")  # type: ignore[attr-defined]
        losses[engine] = dev_loss
        figures.append(Figure(f"final run, {engine} engine: train", cells[1], f"{train_loss:.4f}"))
        figures.append(Figure(f"final run, {engine} engine: dev", cells[2], f"{dev_loss:.4f}"))
    gap = re.search(r"runs end ([\d.]+) apart in dev", " ".join(text.split()))
    figures.append(Figure("dev-loss gap between the engines", gap.group(1) if gap else "?",
                          f"{abs(losses['fast'] - losses['autograd']):.4f}"))  # fmt: skip
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=NAMES, help="the lecture's names.txt")
    parser.add_argument("--full", action="store_true", help="also the 200,000-step figures")
    args = parser.parse_args(argv)
    from charnames_gui.core.data import Dataset
    from charnames_gui.core.threads import limit_threads

    limit_threads(1)
    if not args.data.is_file():
        print(f"{args.data} not found: the README's figures are on the lecture's names.txt "
              "(--data)", file=sys.stderr)  # fmt: skip
        return 2
    dataset = Dataset.from_file(args.data)
    text = README.read_text(encoding="utf-8")
    figures = quick_figures(dataset, text)
    if args.full:
        figures += full_figures(dataset, text)
    for f in figures:
        mark = "ok" if f.ok else "DIFFERS"
        print(f"{mark:8s} {f.what}: README {f.readme}, computed {f.computed}")
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
