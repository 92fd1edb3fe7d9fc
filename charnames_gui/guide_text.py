"""The guide (Help → Guide): the lecture's steps in order, as plain text with light markup.

No Qt and no torch here: the README and the CLI can print the same text. Each step names
the preset to choose (the Experiment box of the training panel) and what to look for."""

from __future__ import annotations

from dataclasses import dataclass

LECTURE_URL = "https://www.youtube.com/watch?v=TCH_1BHY58I"
NOTEBOOK_SEED = 2147483647  # the lecture's seed; the minibatch stream uses seed + 1


@dataclass(frozen=True)
class GuideStep:
    title: str
    preset: str  # the Experiment to choose ("" when no new training is needed)
    do: str
    look_for: str


STEPS: tuple[GuideStep, ...] = (
    GuideStep(
        "A first model",
        "First model",
        "Choose the experiment, press Start (or Space) and watch the loss plot.",
        "The loss falls fast from about 3.3 (uniform guessing, ln 27) and then slowly; the "
        "faint band is the minibatch noise, the dark curve its mean. At the end the dev loss "
        "should beat the bigram model's line (about 2.45).",
    ),
    GuideStep(
        "A larger hidden layer",
        "Larger hidden layer",
        "Train the same way with 300 hidden neurons instead of 100.",
        "The train and dev losses stay close (no overfitting), and the gain is small: the "
        "bottleneck may be elsewhere.",
    ),
    GuideStep(
        "The embedding plot",
        "",
        "With the 2-number embedding just trained, look at the Embedding panel.",
        "Each circle is a row of C. The vowels a, e, i, o, u gather together; the boundary "
        "token '.' sits apart; rare letters such as q drift on their own.",
    ),
    GuideStep(
        "A larger embedding",
        "Larger embedding",
        "Embed each character in 10 numbers, with 200 hidden neurons.",
        "The dev loss drops clearly below the 2-number models: the embedding was the "
        "bottleneck. The Embedding panel now shows two columns of C, or a PCA projection.",
    ),
    GuideStep(
        "Learning-rate decay",
        "Final run",
        "Train the lecture's final run: 200,000 steps, lr 0.1 then 0.01 from step 100,000.",
        "At the red dashed line (the decay) the loss steps down at once. The lecture reached "
        "a dev loss of about 2.17.",
    ),
    GuideStep(
        "Sampling",
        "",
        "With the trained model, open the Sampling panel and draw names one character at a "
        "time, or press Sample 20.",
        "The bars are the probabilities of the next character; the names sound like names, "
        "though not yet good ones. An untrained model's names are random letters.",
    ),
)

NOTEBOOK_SECTION = (
    "The notebook and the app",
    [
        "To reproduce a run of the app in the lecture's notebook, train with the autograd "
        "engine (Engine: autograd in the training panel, or charnames train --engine "
        "autograd), and in the notebook call torch.manual_seed(2147483648) (the seed + 1) "
        "just before the training loop: that gives the same minibatches.",
        "The notebook prints the split as 182,441 / 22,902 / 22,803 examples because its "
        "split cell was run four times in one kernel, and each run reshuffles the list. A "
        "fresh kernel gives 182,625 / 22,655 / 22,866, which is what the app shows.",
    ],
)


def guide_markdown() -> str:
    """The guide as Markdown (for the README, or the terminal)."""
    lines = ["## Following the lecture, step by step", ""]
    for number, step in enumerate(STEPS, start=1):
        preset = f" Experiment: **{step.preset}**." if step.preset else ""
        lines.append(f"{number}. **{step.title}**.{preset} {step.do}")
        lines.append(f"   Look for: {step.look_for}")
    title, paragraphs = NOTEBOOK_SECTION
    lines += ["", f"### {title}", ""]
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    return "\n".join(lines).rstrip() + "\n"
