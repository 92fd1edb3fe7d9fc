"""The guide (Help → Guide): the lecture's steps in order, as plain text with light markup.

No Qt and no torch here: the README and the CLI can print the same text. Each step names
the preset to choose (the Experiment box of the training panel) and what to look for. Given
the GuideFacts of the open dataset (core/guide_facts.py), every figure is that dataset's;
without them the text names the lecture's names.txt for each figure it quotes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # computed with torch; this module stays torch-free
    from charnames_gui.core.guide_facts import GuideFacts

LECTURE_URL = "https://www.youtube.com/watch?v=TCH_1BHY58I"
NOTEBOOK_SEED = 2147483647  # the lecture's seed; the minibatch stream uses seed + 1


@dataclass(frozen=True)
class GuideStep:
    title: str
    preset: str  # the Experiment to choose ("" when no new training is needed)
    do: str
    look_for: str


def _first_look(f: GuideFacts | None) -> str:
    if f is None:
        start = (
            "The loss starts far above uniform guessing (ln of the vocabulary size, 3.3 for "
            "27 characters): the lecture's init (plain randn) makes the network confidently "
            "wrong (about 19.5 on the lecture's names.txt)."
        )
        bigram = "the bigram model's line (2.45 on names.txt)"
    else:
        start = (
            f"The loss starts at about {f.first_loss:.1f} (the dev loss of the initial "
            f"weights on {f.dataset_name}), far above uniform guessing (ln {f.vocab_size} = "
            f"{f.uniform:.2f}): the lecture's init (plain randn) makes the network confidently "
            "wrong."
        )
        bigram = f"the bigram model's line ({f.bigram_dev:.2f} on {f.dataset_name})"
    return (
        f"{start} It falls fast, then slowly; the faint band is the minibatch noise, the "
        f"dark curve its mean. At the end the dev loss should beat {bigram}."
    )


def _embedding_look(f: GuideFacts | None) -> str:
    general = (
        "Each circle is a row of C. Characters the names use alike end up close together "
        "(often the vowels); which ones stand apart depends on the dataset and the seed "
        "(on the lecture's names.txt, 'q' does not, and 'g' drifts off)."
    )
    return f"{general} {f.embedding}" if f is not None and f.embedding else general


def _sampling_look(f: GuideFacts | None) -> str:
    if f is None:
        untrained = (
            "An untrained model's names are not random letters: its init is confidently "
            "wrong, so it repeats a few characters (try New model and Sample)."
        )
    else:
        shown = ", ".join(f"'{n}'" for n in f.untrained_names)
        untrained = (
            "An untrained model's names are not random letters: its init is confidently "
            f"wrong, so it repeats a few characters (the First model at step 0 on "
            f"{f.dataset_name} gives {shown})."
        )
    return (
        "The bars are the probabilities of the next character; the names sound like names, "
        f"though not yet good ones. {untrained}"
    )


def _trust_look(f: GuideFacts | None) -> str:
    """The lecture's question at 1:10:43, with this dataset's figures when computed."""
    tools = (
        "Train → Repeat with several seeds trains K seeds of the settings together and "
        "draws their band on the loss plot; each seed becomes a row in Runs with its dev "
        "loss ± its standard error, and the repeat's row gives mean ± sd over the seeds. "
        "Select two rows in Runs and press Compare: it answers 'B is better by 0.021 "
        "(0.012 to 0.030), 8 seeds each', or that the two cannot be told apart and about "
        "how many seeds would. Only dev losses are used: the test split stays untouched."
    )
    t = f.trust if f is not None else None
    if f is None or t is None:
        return (
            "A dev loss has two kinds of uncertainty. The dev split is a sample of names: "
            "the ± after each loss is its standard error over those names. And the seed: "
            "another seed gives another loss, often by more than that ±, so two settings a "
            "few thousandths apart may differ only by luck. (With a dataset open, this "
            "step shows both figures, measured on it.) " + tools
        )
    ratio = t.sd / t.se if t.se > 0 else float("nan")
    return (
        f"Figures from {f.dataset_name}, computed as this guide opened: {len(t.seeds)} seeds "
        f"of the {t.preset} experiment, {t.steps:,} steps each. The first seed's dev loss "
        f"is {t.dev[0]:.4f} ± {t.se:.3f}: its standard error over the {t.dev_names:,} dev "
        f"names (taking the {t.dev_examples:,} examples as independent would claim "
        f"± {t.naive_se:.3f}, too little: the letters of one name go together). The "
        f"{len(t.seeds)} seeds end at {', '.join(f'{d:.3f}' for d in t.dev)}: mean "
        f"{t.mean:.3f} ± {t.sd:.3f} (sd over seeds), so the seed alone moves the loss "
        f"{ratio:.1f} times as much as the dev split's sampling. A difference between two "
        f"settings smaller than about {2 * t.sd:.3f} is not told apart by one run of each. " + tools
    )


def guide_steps(f: GuideFacts | None = None) -> tuple[GuideStep, ...]:
    """The lecture's steps; with facts, every figure is the open dataset's."""
    improved = (
        f" (with makemore part 3's scaled init it starts at {f.improved_first_loss:.2f})"
        if f is not None
        else ""
    )
    return (
        GuideStep(
            "A first model",
            "First model",
            "Choose the experiment, press Start (or Space) and watch the loss plot.",
            _first_look(f) + improved,
        ),
        GuideStep(
            "A larger hidden layer",
            "Larger hidden layer",
            "Train the same way with 300 hidden neurons instead of 100.",
            "The train and dev losses stay close (no overfitting), and the gain is small: "
            "the bottleneck may be elsewhere.",
        ),
        GuideStep(
            "The embedding plot",
            "",
            "With the 2-number embedding just trained, look at the Embedding panel.",
            _embedding_look(f),
        ),
        GuideStep(
            "A larger embedding",
            "Larger embedding",
            "Embed each character in 10 numbers, with 200 hidden neurons.",
            "The dev loss drops clearly below the 2-number models: the embedding was the "
            "bottleneck. The Embedding panel now shows two columns of C, or a PCA projection.",
        ),
        GuideStep(
            "Finding a learning rate",
            "",
            "Train → Find a learning rate (Ctrl+L): the lecture's sweep, 1,000 steps on fresh "
            "weights with the rate rising from 0.001 to 1 (lrs = 10**torch.linspace(-3, 0, "
            "1000)).",
            "The loss falls as the rate grows, flattens, then shoots up; the lecture chose "
            "0.1, in the valley before the rise. The finder marks its suggestion; 'Use this "
            "learning rate' puts the chosen one into the training panel.",
        ),
        GuideStep(
            "Learning-rate decay",
            "Final run",
            "Train the lecture's final run: 200,000 steps, lr 0.1 then 0.01 from step 100,000.",
            "At the red dashed line (the decay) the loss steps down at once. The lecture "
            "reached a dev loss of 2.17 on its names.txt.",
        ),
        GuideStep(
            "How far can one loss be trusted? (1:10:43)",
            "",
            "Before a loss goes into a paper, the lecture asks how much of it is the seed. "
            "Train → Repeat with several seeds (8, say), then compare two settings in Runs.",
            _trust_look(f),
        ),
        GuideStep(
            "Sampling",
            "",
            "With the trained model, open the Sampling panel and draw names one character at "
            "a time, or press Sample 20.",
            _sampling_look(f),
        ),
    )


STEPS: tuple[GuideStep, ...] = guide_steps()

LECTURE_SPLIT = "182,625 / 22,655 / 22,866"  # the app's split of the lecture's names.txt


def notebook_section(f: GuideFacts | None = None) -> tuple[str, list[str]]:
    """The notebook and the app: which dataset, the split, reproducing a run."""
    if f is None or f.is_lecture_file:
        which = "The lecture's figures are those of its names.txt (32,033 names)." + (
            " It is the dataset open now." if f is not None else ""
        )
    else:
        which = (
            f"The open dataset is {f.dataset_name} ({f.words:,} names), not the lecture's "
            "names.txt, so every figure (the losses, the split, what the presets reach) "
            "differs from the lecture's. To follow the lecture with its own numbers, get "
            "names.txt (github.com/karpathy/makemore, beside the notebook) and open it with "
            "File → Open dataset (Ctrl+Shift+O) or drop it on the window."
        )
    split = (
        f" On {f.dataset_name} the app's split is {f.split_examples[0]:,} / "
        f"{f.split_examples[1]:,} / {f.split_examples[2]:,} examples."
        if f is not None and not f.is_lecture_file
        else ""
    )
    return (
        "The notebook and the app",
        [
            which,
            "To reproduce a run of the app in the lecture's notebook, train with the "
            "autograd engine (Engine: autograd in the training panel, or charnames train "
            "--engine autograd), and in the notebook call torch.manual_seed(2147483648) (the "
            "seed + 1) just before the training loop: that gives the same minibatches. (The "
            "default fast engine computes the same gradients but rounds differently, so its "
            "weights drift from the notebook's.)",
            "On names.txt the notebook prints the split as 182,441 / 22,902 / 22,803 examples "
            "because its split cell was run four times in one kernel, and each run reshuffles "
            f"the list. A fresh kernel gives {LECTURE_SPLIT}, which is what the app shows for "
            f"that file.{split}",
        ],
    )


NOTEBOOK_SECTION = notebook_section()


def guide_markdown(facts: GuideFacts | None = None) -> str:
    """The guide as Markdown (for the README, or the terminal)."""
    lines = ["## Following the lecture, step by step", ""]
    for number, step in enumerate(guide_steps(facts), start=1):
        preset = f" Experiment: **{step.preset}**." if step.preset else ""
        lines.append(f"{number}. **{step.title}**.{preset} {step.do}")
        lines.append(f"   Look for: {step.look_for}")
    title, paragraphs = notebook_section(facts)
    lines += ["", f"### {title}", ""]
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    return "\n".join(lines).rstrip() + "\n"
