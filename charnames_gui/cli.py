"""charnames: the app's core from the command line (train, sample, evaluate, export, split,
bench)."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from charnames_gui import cli_repeat, cli_replay, cli_search
from charnames_gui.cli_common import (
    ProgressBar,
    SaveRescued,
    check_output_path,
    check_split_seed,
    dataset_of,
    load_dataset,
    save_or_rescue,
    train_configs,
    whole_number,
)
from charnames_gui.core.atomic import check_writable_target
from charnames_gui.core.checkpoint import load_model
from charnames_gui.core.config import (
    DEFAULT_SAMPLE_SEED,
    INIT_SCHEMES,
    SCHEDULES,
    ModelConfig,
    TrainConfig,
)
from charnames_gui.core.data import (
    SPLITS,
    Dataset,
    printable_name,
    read_words,
)
from charnames_gui.core.document import training_summary
from charnames_gui.core.errors import (
    CharnamesError,
    ConfigError,
    DatasetError,
    FileAccessError,
    ModelFileError,
    TrainingDiverged,
)
from charnames_gui.core.model import MLP
from charnames_gui.core.model_dataset import compare, label_of, read_dataset_for
from charnames_gui.core.model_file import ModelFile
from charnames_gui.core.presets import PRESETS
from charnames_gui.core.sampling import Sampler
from charnames_gui.core.saturation import SATURATION
from charnames_gui.core.threads import MAX_THREADS, limit_threads
from charnames_gui.core.training import Trainer
from charnames_gui.core.uncertainty import LossEstimate, format_error, loss_with_error
from charnames_gui.core.vocabulary import Vocabulary, boundary_note

EXIT_BAD_INPUT = 2
EXIT_BUG = 70  # sysexits' EX_SOFTWARE
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a reader that went away
MAX_ERROR_CHARS = 500  # an error line longer than this is cut (30,000 unknown characters...)


def cmd_train(args: argparse.Namespace) -> int:
    check_split_seed(args.split_seed)
    # --steps 0: save the initial model; the run's plan keeps the preset's or default steps
    initial_only = args.steps == 0
    if initial_only:
        args.steps = None
    dataset = load_dataset(args.data, args.split_seed)
    note = boundary_note(dataset.vocab)
    if note:
        print(note, file=sys.stderr)
    model_config, train_config = train_configs(args, dataset.vocab.size)
    model_config.validate()
    train_config.validate()
    if args.out:
        check_output_path(Path(args.out), dataset)
    model = MLP.init(model_config, train_config.init, train_config.seed)
    trainer = Trainer(model, dataset.examples(model_config.block_size), train_config)
    if trainer.engine_note:
        print(trainer.engine_note, file=sys.stderr)
    if not args.json:
        print(
            f"{dataset.name}: {len(dataset.words):,} names, vocabulary {dataset.vocab.size}; "
            f"model {model.parameter_count():,} parameters; engine {train_config.engine}",
            file=sys.stderr,
        )
    bar = ProgressBar(train_config.steps, sys.stderr, enabled=sys.stderr.isatty())
    last_loss = math.nan
    interrupted = False
    try:
        while not trainer.done and not initial_only:
            losses = trainer.run(train_config.steps, time_budget=0.1)
            if len(losses):
                last_loss = float(losses[-1])
            bar.update(trainer.step, last_loss)
    except KeyboardInterrupt:
        interrupted = True
    except TrainingDiverged:
        bar.close()
        raise
    bar.update(trainer.step, last_loss)
    bar.close()
    if interrupted:
        print(
            f"Interrupted at step {trainer.step:,}; evaluating what was trained.", file=sys.stderr
        )
    train_loss = trainer.evaluate("train")
    dev_loss = trainer.evaluate("dev")
    errors = _loss_errors(model, dataset, model_config.block_size)  # clustered by name
    summary = training_summary(
        dataset,
        train_config,
        steps=trainer.step,
        seconds=trainer.seconds,
        train_loss=train_loss,
        dev_loss=dev_loss,
        batch_stream=trainer.batch_stream,
    )
    rescued: SaveRescued | None = None
    saved_to: Path | None = None
    if args.out:
        try:
            saved_to = save_or_rescue(
                Path(args.out),
                ModelFile(model, dataset.vocab, dataset.split_seed, summary, replay=trainer.replay),
            )
        except SaveRescued as exc:
            rescued, saved_to = exc, exc.rescue
    result = {
        "steps": trainer.step,
        "seconds": round(trainer.seconds, 6),
        "steps_per_second": round(trainer.step / trainer.seconds, 1) if trainer.seconds else 0.0,
        "train_loss": round(train_loss, 4),
        "dev_loss": round(dev_loss, 4),
        "train_se": round(errors["train"].se, 5),
        "dev_se": round(errors["dev"].se, 5),
        "parameters": model.parameter_count(),
        "engine": train_config.engine,
        "model_file": str(saved_to) if saved_to else None,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"steps {trainer.step:,} in {trainer.seconds:.1f} s "
            f"({result['steps_per_second']:,} steps/s)\n"
            f"train loss {train_loss:.4f} ± {format_error(errors['train'].se)}\n"
            f"dev loss   {dev_loss:.4f} ± {format_error(errors['dev'].se)}  (± one standard "
            "error over the names: charnames repeat shows how much a seed moves it)"
        )
        if saved_to and not rescued:
            print(f"saved {saved_to}")
    if rescued:
        raise rescued
    return 130 if interrupted else 0


def _loss_errors(model: MLP, dataset: Dataset, block_size: int) -> dict[str, LossEstimate]:
    """The train and dev losses' standard errors, clustered by name (core/uncertainty.py)."""
    examples = dataset.examples(block_size)
    return {
        split: loss_with_error(model, *examples.tensors[split], getattr(dataset.split, split))
        for split in ("train", "dev")
    }


def _open_model(args: argparse.Namespace) -> tuple[ModelFile, list[str] | None]:
    """The model file, and the words of --data if given. A learner's bare weights whose C does
    not have the lecture's 27 rows take their vocabulary from --data."""
    words = read_words(args.data) if getattr(args, "data", None) else None
    hint = Vocabulary.from_words(words) if words else None
    model_file = load_model(args.model, dataset_vocab=hint)
    for note in model_file.notes:  # e.g. the lecture's a-z guessed for 27 rows of C
        print(f"Note: {note}", file=sys.stderr)
    return model_file, words


def _check_seed(seed: int) -> None:
    if not 0 <= seed < 2**64:
        raise ConfigError(f"--seed must be between 0 and {2**64 - 1:,}")


def cmd_sample(args: argparse.Namespace) -> int:
    _check_seed(args.seed)
    model_file, _ = _open_model(args)
    sampler = Sampler.from_model(model_file.model, model_file.vocab)
    # --as-notebook: each name ends with the boundary token, as the lecture's cell prints it
    end = model_file.vocab.boundary if args.as_notebook else ""
    for name in sampler.sample_names(args.count, args.seed, args.temperature):
        print(printable_name(name + end))  # control characters escaped: the terminal is safe
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    model_file, _ = _open_model(args)
    if args.split_seed is not None:
        check_split_seed(args.split_seed)
    if model_file.is_plain:  # a learner's weights: their dataset and split are the learner's
        return _evaluate_plain(args, model_file)
    dataset = dataset_of(args, model_file)
    if args.split_seed is not None and args.split_seed != model_file.split_seed:
        dataset = dataset.with_split_seed(args.split_seed)
    match = compare(model_file, dataset)
    other_split = dataset.split_seed != model_file.split_seed
    if not match.same or other_split:
        message = match.message or (
            f"The model was trained with split seed {model_file.split_seed}; split seed "
            f"{dataset.split_seed} makes other train/dev/test splits."
        )
        if args.split == "test":
            raise DatasetError(
                f"{message} A test loss on it would not be the model's test loss, so it is "
                "not measured"
            )
        print(f"Note: {message}", file=sys.stderr)
    same = match.same and not other_split
    suffix = "" if same else ", not the model's " + ("split" if match.same else "dataset")
    return _print_loss(args, model_file, dataset, same, suffix)


def _evaluate_plain(args: argparse.Namespace, model_file: ModelFile) -> int:
    """Weights without a record: measured on --data's split by the lecture's own cell
    (random.seed(split_seed); random.shuffle(words); 80/10/10), which is what they were
    trained on if the learner ran that cell once with that seed."""
    if not getattr(args, "data", None):
        raise DatasetError(
            f"{Path(args.model).name} does not record which dataset it was trained on; "
            "pass the file with --data FILE"
        )
    seed = args.split_seed if args.split_seed is not None else 42
    dataset = read_dataset_for(args.data, model_file, split_seed=seed)
    print(
        f"Note: {Path(args.model).name} does not record its dataset or split; measured on "
        f"the split that random.seed({seed}); random.shuffle(words) gives for "
        f"{label_of(dataset)} (the lecture's cell, run once). If the weights were trained on "
        "another split, these are not their train/dev/test figures.",
        file=sys.stderr,
    )
    return _print_loss(args, model_file, dataset, None, f", split seed {seed}")


def _print_loss(
    args: argparse.Namespace, model_file: ModelFile, dataset: Dataset, same: bool | None,
    suffix: str,
) -> int:  # fmt: skip
    """same: the model's own dataset and split (None: the weights do not say)."""
    X, Y = dataset.examples(model_file.model.config.block_size).tensors[args.split]
    loss = model_file.model.loss(X, Y)
    error = loss_with_error(model_file.model, X, Y, getattr(dataset.split, args.split)).se
    if not math.isfinite(loss):
        raise ModelFileError(
            f"{Path(args.model).name} gives a {args.split} loss of {loss}: its weights are too "
            "large (or not numbers) to evaluate"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "split": args.split,
                    "loss": round(loss, 4),
                    "se": round(error, 5) if math.isfinite(error) else None,
                    "examples": len(Y),
                    "dataset": label_of(dataset),
                    "split_seed": dataset.split_seed,
                    "models_dataset": same,
                }
            )
        )
    else:
        print(
            f"{args.split} loss {loss:.4f} ± {format_error(error)} ({len(Y):,} examples of "
            f"{label_of(dataset)}{suffix}; ± one standard error over its names)"
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from charnames_gui.core.export_script import (
        notebook_text,
        run_spec,
        script_text,
        write_export,
    )

    model_file, _ = _open_model(args)
    if not args.script and not args.notebook:
        raise ConfigError("Say what to write: --script FILE.py and/or --notebook FILE.ipynb")
    if args.script and args.notebook and _same_file(args.script, args.notebook):
        raise ConfigError("--script and --notebook name the same file; give each its own file name")
    dataset = dataset_of(args, model_file)
    # the model and its dataset are never a target; both targets are checked before either
    # is written (check_writable_target opens nothing, so a named pipe cannot block)
    protect = (args.model, dataset.path)
    targets = [t for t in (args.script, args.notebook) if t]
    for target in targets:
        try:
            check_writable_target(target, protect)
        except FileAccessError as exc:
            raise ConfigError(str(exc)) from None
    # the code's last cell compares its weights with the file's (it reads safetensors only)
    compare_with = args.model if Path(args.model).suffix == ".safetensors" else ""
    spec = run_spec(model_file, dataset, title=Path(args.model).name, model_path=compare_with)
    for note in spec.notes:
        print(f"Note: {error_line(note)}", file=sys.stderr)
    if args.script:
        write_export(args.script, script_text(spec), protect)
        shown = printable_name(args.script)
        print(f"wrote {shown} (run it with: python {shown})")
    if args.notebook:
        write_export(args.notebook, notebook_text(spec), protect)
        print(f"wrote {printable_name(args.notebook)}")
    return 0


def _same_file(a: str, b: str) -> bool:
    """Two paths that name one file (after links), whether it exists yet or not."""
    return os.path.realpath(a) == os.path.realpath(b) or (
        os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)
    )


def cmd_split(args: argparse.Namespace) -> int:
    check_split_seed(args.split_seed)
    dataset = load_dataset(args.data, args.split_seed)
    if not 1 <= args.block_size <= 32:
        raise ConfigError(f"block size must be between 1 and 32, not {args.block_size}")
    examples = dataset.examples(args.block_size)
    counts = {
        split: {"words": len(getattr(dataset.split, split)), "examples": len(examples.Y(split))}
        for split in SPLITS
    }
    result = {
        "dataset": dataset.name,
        "words": len(dataset.words),
        "vocab_size": dataset.vocab.size,
        "boundary": dataset.vocab.boundary,
        "block_size": args.block_size,
        "split_seed": args.split_seed,
        "splits": counts,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for split, c in counts.items():
            print(f"{split:5} {c['words']:>8,} words {c['examples']:>10,} examples")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    """Every stage of the forward pass for one context: the lecture's lines of
    code with their shapes and values; --json gives the numbers."""
    import numpy as np

    from charnames_gui.core.display import display_text
    from charnames_gui.core.forward import context_from_text, inspect_forward

    model_file, _ = _open_model(args)
    model, vocab = model_file.model, model_file.vocab
    context = context_from_text(args.context, vocab, model.config.block_size)
    fp = inspect_forward(model.snapshot(), model.config, vocab.itos, context, args.temperature)
    if args.json:
        print(json.dumps(fp.to_dict()))
        return 0
    c = model.config
    print(
        f"model: block_size {c.block_size}, n_embd {c.n_embd}, n_hidden {c.n_hidden}, "
        f"vocab_size {c.vocab_size}"
    )
    print(f"context '{display_text(''.join(fp.context_chars))}' (last {c.block_size} characters)")
    with np.printoptions(precision=4, suppress=True, linewidth=100, threshold=1_000_000):
        for stage in fp.stages():
            print()
            print(stage.line)
            if stage.name != "context":  # the context's indices are in its line already
                print(stage.values)
    saturated = int(fp.saturated.sum())
    print(f"\nsaturated hidden units (|h| > {SATURATION}): {saturated} of {c.n_hidden}")
    top = np.argsort(-fp.probs, kind="stable")[:5]
    shown = ", ".join(f"'{display_text(vocab.itos[i])}' {fp.probs[i]:.4f}" for i in top)
    print(f"most likely next characters: {shown}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from charnames_gui import bench

    return bench.main(args.bench_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="charnames",
        description="Train, sample and evaluate the lecture's character-level MLP on names.",
    )
    parser.add_argument(
        "--threads", type=whole_number, default=1, help="CPU threads for PyTorch (1)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    d = TrainConfig()
    m = ModelConfig()
    train = sub.add_parser("train", help="train a model (defaults: the lecture's final run)")
    train.add_argument("data", nargs="?", help="text file, one name per line (default: bundled)")
    train.add_argument(
        "--preset",
        help="start from one of the app's experiments instead of the final run: "
        + ", ".join(f"'{p.name}'" for p in PRESETS)
        + " (the other flags change it)",
    )
    # Left out, a flag keeps the preset's value (or the final run's, shown as the default).
    train.add_argument("--block-size", type=whole_number, help=f"default {m.block_size}")
    train.add_argument("--embedding", type=whole_number, help=f"n_embd, default {m.n_embd}")
    train.add_argument("--hidden", type=whole_number, help=f"n_hidden, default {m.n_hidden}")
    train.add_argument("--batch-size", type=whole_number, help=f"default {d.batch_size}")
    train.add_argument("--steps", type=whole_number, help=f"default {d.steps}")
    train.add_argument("--lr", type=float, help=f"default {d.lr}")
    train.add_argument(
        "--lr-decay-at",
        type=whole_number,
        help=f"0 for a constant learning rate; default {d.lr_decay_at}",
    )
    train.add_argument("--lr-after", type=float, help=f"default {d.lr_after}")
    train.add_argument("--schedule", choices=list(SCHEDULES), help="overrides --lr-decay-at")
    train.add_argument("--init", choices=INIT_SCHEMES, help=f"default {d.init}")
    train.add_argument("--seed", type=whole_number, help=f"default {d.seed}")
    train.add_argument(
        "--batchnorm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="BatchNorm after the hidden pre-activation (makemore part 3); default off",
    )
    train.add_argument(
        "--weight-decay", type=float, help=f"L2 on C, W1, W2, default {d.weight_decay}"
    )
    train.add_argument("--split-seed", type=whole_number, default=42)
    train.add_argument("--engine", choices=["fast", "autograd"], help=f"default {d.engine}")
    train.add_argument("--out", help="save the model to this .safetensors file")
    train.add_argument("--json", action="store_true", help="print one JSON object at the end")
    train.set_defaults(func=cmd_train)
    cli_repeat.add_parsers(sub, train)  # repeat (train's options + --seeds) and compare

    sample = sub.add_parser("sample", help="sample names from a model file")
    sample.add_argument("model", help="a model file, or your own weights (.safetensors, .pt)")
    sample.add_argument(
        "--data", help="the dataset, for weights of your own whose vocabulary is not a-z"
    )
    sample.add_argument("--count", type=whole_number, default=20)
    sample.add_argument("--seed", type=whole_number, default=DEFAULT_SAMPLE_SEED)
    sample.add_argument("--temperature", type=float, default=1.0)
    sample.add_argument(
        "--as-notebook",
        action="store_true",
        help="print each name as the lecture's sampling cell does: ending with '.' (the "
        "boundary token), to compare with the notebook line by line",
    )
    sample.set_defaults(func=cmd_sample)

    evaluate = sub.add_parser("evaluate", help="loss of a model file on a split")
    evaluate.add_argument("model", help="a model file, or your own weights (.safetensors, .pt)")
    evaluate.add_argument(
        "--data", help="text file, one name per line (default: the model's own, found by content)"
    )
    evaluate.add_argument("--split", choices=list(SPLITS), default="dev")
    evaluate.add_argument(
        "--split-seed",
        type=whole_number,
        help="the seed of random.seed(...) before the shuffle (default: the model file's; 42, "
        "the lecture's, for weights of your own)",
    )
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(func=cmd_evaluate)

    export = sub.add_parser(
        "export", help="write a model's run as the lecture's code: a script or a notebook"
    )
    export.add_argument("model")
    export.add_argument("--script", help="write a standalone Python script (needs only torch)")
    export.add_argument("--notebook", help="write a Jupyter notebook (.ipynb)")
    export.add_argument(
        "--data", help="the dataset file (default: the model's own, found by content)"
    )
    export.set_defaults(func=cmd_export)

    split = sub.add_parser("split", help="word and example counts of the 80/10/10 split")
    split.add_argument("data", nargs="?", help="text file, one name per line (default: bundled)")
    split.add_argument("--block-size", type=whole_number, default=m.block_size)
    split.add_argument("--split-seed", type=whole_number, default=42)
    split.add_argument("--json", action="store_true")
    split.set_defaults(func=cmd_split)

    inspect = sub.add_parser(
        "inspect", help="every stage of the forward pass for one context of a model file"
    )
    inspect.add_argument("model", help="a model file, or your own weights (.safetensors, .pt)")
    inspect.add_argument(
        "--data", help="the dataset, for weights of your own whose vocabulary is not a-z"
    )
    inspect.add_argument(
        "--context",
        default="",
        help="text before the next character; its last block_size characters are used, "
        "padded with the boundary token (default: the start of a name)",
    )
    inspect.add_argument("--temperature", type=float, default=1.0)
    inspect.add_argument("--json", action="store_true", help="the stages as JSON numbers")
    inspect.set_defaults(func=cmd_inspect)

    cli_search.add_parser(sub)
    cli_replay.add_parser(sub)

    bench = sub.add_parser(
        "bench", help="training throughput: autograd loop vs the app's trainer", add_help=False
    )
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr and an exit code, never a
    traceback: 2 for bad input, 141 when the reader of the output went away (`| head`), 70
    for a bug (its type and first line are printed; CHARNAMES_TRACEBACK=1 shows it all)."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader closed the pipe: stop quietly, and keep Python's exit-time flush of
        # stdout from raising the same error again
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def error_line(message: str) -> str:
    """A message as one safe line: control characters (ESC, BEL, newlines from a file name)
    escaped, runs of spaces joined, and at most MAX_ERROR_CHARS characters."""
    text = printable_name(" ".join(message.split()))
    if len(text) > MAX_ERROR_CHARS:
        text = f"{text[: MAX_ERROR_CHARS - 30]}... ({len(text):,} characters in all)"
    return text


def _main(argv: Sequence[str] | None) -> int:
    # a path that is not UTF-8 printed to a pipe: escaped, never a UnicodeEncodeError
    if hasattr(sys.stdout, "reconfigure"):
        with contextlib.suppress(ValueError, OSError):
            sys.stdout.reconfigure(errors="backslashreplace")
    parser = build_parser()
    # `bench` has its own options (see charnames_gui/bench.py): hand them over untouched
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "bench":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.bench_args = extra
    if not 1 <= args.threads <= MAX_THREADS:
        parser.error(f"--threads must be between 1 and {MAX_THREADS}, not {args.threads}")
    # Small minibatches run fastest on one thread: more threads only add synchronisation.
    limit_threads(args.threads)
    try:
        return int(args.func(args))
    except CharnamesError as exc:
        message = str(exc)
    except MemoryError:
        message = (
            "Not enough memory for this; try a smaller model, batch size or dataset "
            "(or close other programs)"
        )
    except RecursionError:  # e.g. JSON nested 100,000 deep in a file's header
        message = "A file given is nested too deeply to read: it is not a charnames file"
    except UnicodeError:  # e.g. a lone surrogate in a model file's vocabulary
        message = "A file given holds text that is not valid Unicode: it is not usable"
    except OverflowError:
        message = "A file given holds a number too large to use: it is not usable"
    except BrokenPipeError:
        raise
    except ValueError as exc:
        if "int_max_str_digits" not in str(exc):
            return _bug(exc)
        message = "A file given holds a number thousands of digits long: it is not usable"
    except Exception as exc:  # a bug: say so in one line, not a traceback
        return _bug(exc)
    print(f"charnames: error: {error_line(message)}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _bug(exc: Exception) -> int:
    if os.environ.get("CHARNAMES_TRACEBACK"):
        raise exc
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    print(
        f"charnames: internal error ({type(exc).__name__}: {error_line(first)}); this is a "
        "bug in charnames, please report it with the command that caused it "
        "(CHARNAMES_TRACEBACK=1 shows the details)",
        file=sys.stderr,
    )
    return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
