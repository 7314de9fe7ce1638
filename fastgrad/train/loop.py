"""The training loop every epoch-based model shares (classifiers, tagger, neural LMs, word2vec).

Per epoch: train (the step loss is checked on the way), check that every parameter is finite, score the
validation split, print the epoch line, keep the best weights, and commit a snapshot of the model
directory (best weights, vocabulary, config, metrics and the state to resume from) in one atomic step.
It stops after `epochs`, after `patience` epochs without a better score, or at the end of the epoch during
which the `max_minutes` budget ran out; then the best weights are restored and scored on the test split.

A NaN or infinite loss, parameter or validation score stops the run (TrainingDiverged) before anything
non-finite is written, so a model directory only ever holds finite weights. Ctrl-C raises
TrainingInterrupted, whose message says where the best and the resumable checkpoints are.
"""
from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

import fastgrad
from fastgrad.train.directory import ModelDirectory, Writer, model_files
from fastgrad.train.errors import ConfigError, ModelDirectoryError, TrainingDiverged, TrainingInterrupted
from fastgrad.threads import set_threads
from fastgrad.train.report import Progress, describe_inputs, epoch_line, plot_curves, plural
from fastgrad.train.settings import EpochConfig, RunConfig

CONFIG_FILE, METRICS_FILE, RESUME_FILE = "config.json", "metrics.jsonl", "resume.npz"
WEIGHTS_FILE, VOCAB_FILE = "model.npz", "vocab.txt"


@dataclass
class Session:
    """One run's frame (see `session`): the model directory being written (None without --out), the
    fingerprints of the files read, the thread count in force and where the run prints."""

    out: ModelDirectory | None
    data: dict[str, Any]
    threads: int
    stream: Any

    def train(self, task: "Task", config: EpochConfig) -> "TrainingResult":
        task.run_info = {"settings": config.as_json(), "threads": self.threads}
        result = run_epochs(task, config, self.data, self.out, self.stream)
        result.model = task.model
        return result


@contextlib.contextmanager
def session(config: RunConfig, inputs: dict[str, Path | None], stream=None) -> Iterator[Session]:
    """What every training function does first: backend, threads and seed; the settings as one "config {json}"
    line; the absolute path, size and sha256 of every input file; the model directory, locked and cleaned
    of a killed run's leftovers."""
    stream = stream or sys.stdout
    with fastgrad.backend(config.backend):
        threads = set_threads(config.threads)
        fastgrad.manual_seed(config.seed)
        print("config " + json.dumps(config.as_json(), sort_keys=True), file=stream, flush=True)
        data = describe_inputs(inputs, stream)
        if getattr(config, "resume", False):
            model_files(config.out)  # says why there is nothing to resume: no such directory, no finished epoch, ...
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(ModelDirectory(config.out)) if config.out is not None else None
            if out is not None and out.removed:
                print(f"{out.path}: removed what an interrupted run left: {', '.join(out.removed)}", file=stream,
                      flush=True)
            if out is not None and out.current is not None and not getattr(config, "resume", False):
                print(f"{out.path} holds a model from an earlier run; this run replaces it when its first epoch ends"
                      + (" (--resume continues it instead)" if isinstance(config, EpochConfig) else ""),
                      file=stream, flush=True)
            yield Session(out, data, threads, stream)


class Task:
    """What the loop needs from one model family. Subclasses set the attributes and implement the methods
    that raise NotImplementedError; the others have defaults that fit most models."""

    unit: str = "examples"           # what an epoch counts: "sentences", "tokens", "words"
    examples_per_epoch: int = 0
    split: str | None = "dev"        # the validation split that picks the best epoch (None: every epoch is the best)
    metric: str | None = None        # its score that picks the best epoch, a key of evaluate()'s dict
    maximize: bool = True
    patience: int | None = None      # stop after this many epochs without a better score (None: never)
    weight_files: tuple[str, ...] = ("model.npz",)
    model: Any = None
    run_info: dict[str, Any] = {}    # config.json's record of the run (settings, threads), set by Session.train

    def train_epoch(self, progress: "StepMonitor") -> float:
        """One pass over the training data, reporting each step to `progress` (data-parallel: every rank's
        examples); returns the mean loss (NaN: none)."""
        raise NotImplementedError

    def evaluate(self, split: str) -> dict[str, float]:
        raise NotImplementedError

    def has_split(self, split: str) -> bool:
        return True

    def parameters(self) -> Iterable[tuple[str, np.ndarray]]:
        """Named arrays that must stay finite."""
        raise NotImplementedError

    def format_loss(self, loss: float) -> str:
        return f"{loss:.4f}"

    def format_metric(self, value: float) -> str:
        return f"{value:.4f}"

    def epoch_fields(self) -> dict[str, str]:
        """Printed after the scores: the learning rate, for instance."""
        return {}

    def epoch_record(self) -> dict[str, Any]:
        """Recorded in metrics.jsonl with the epoch's numbers."""
        return {}

    def after_epoch(self, epoch: int, improved: bool) -> None:
        """Called once epoch `epoch` is scored, `improved` when its score is the best so far (the neural LMs
        adjust the learning rate here)."""

    def remember_best(self) -> None:
        raise NotImplementedError

    def restore_best(self) -> None:
        raise NotImplementedError

    def write_weights(self) -> dict[str, Writer]:
        """Writers of `weight_files` holding the current weights (called when they are the best so far)."""
        raise NotImplementedError

    def write_static(self) -> dict[str, Writer]:
        """Writers of the files that never change during a run (the vocabulary)."""
        return {}

    def model_config(self) -> dict[str, Any]:
        """What defines the model ("kind", sizes, label set, ...): `--resume` refuses a run where it differs."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """config.json: the model config, then the run's settings and threads."""
        return {**self.model_config(), **self.run_info}

    def state_dict(self) -> dict[str, Any]:
        """What `--resume` needs beyond the loop's counters and the best weights: the current weights, the
        optimizer, the data order and the learning rate."""
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, Any], snapshot: Path) -> None:
        """Continue from `state`; the best weights so far are the weight files in `snapshot`."""
        raise NotImplementedError

    def divergence_hint(self) -> str:
        return "try a smaller --lr"


class ModuleTask(Task):
    """A task whose `model` is a fastgrad.nn.Module trained over a `vocab`: the best weights are kept in memory
    and written as WEIGHTS_FILE beside the vocabulary; config.json describes the model as `_model_config`."""

    vocab: Any = None
    _model_config: dict[str, Any] = {}

    def parameters(self):
        return ((name, p._data) for name, p in self.model.named_parameters())

    def remember_best(self) -> None:
        self.best = state_copy(self.model)

    def restore_best(self) -> None:
        self.model.load_state_dict({name: fastgrad.from_numpy(value) for name, value in self.best.items()})

    def write_weights(self):
        return {WEIGHTS_FILE: lambda path: fastgrad.save(self.model.state_dict(), path)}

    def write_static(self):
        return {VOCAB_FILE: self.vocab.save}

    def model_config(self) -> dict[str, Any]:
        return self._model_config

    def load_best(self, snapshot: Path) -> None:
        """Resuming: the best weights so far are the snapshot's WEIGHTS_FILE."""
        load_weights(self.model, snapshot / WEIGHTS_FILE)
        self.remember_best()


def state_copy(model) -> dict[str, np.ndarray]:
    """The module's state dict as NumPy arrays of its own."""
    return {name: np.array(value._data, copy=True) for name, value in model.state_dict().items()}


def load_weights(model, path: Path) -> None:
    """Load a saved state dict into `model`; weights that do not fit the model its config.json describes
    (another vocabulary, other sizes) raise ModelDirectoryError naming the file."""
    try:
        model.load_state_dict(fastgrad.load(path))
    except RuntimeError as err:  # load_state_dict's missing/unexpected keys and shape mismatches
        raise ModelDirectoryError(f"{path}: the weights do not fit the model in config.json: {err}") from None


class StepMonitor(Progress):
    """The progress of one epoch that also stops the run at the first step whose loss is NaN or infinite."""

    def update(self, n: int = 1, **fields: Any) -> None:
        loss = fields.get("loss")
        if loss is not None and not math.isfinite(loss):
            self.close()
            raise TrainingDiverged(f"the training loss became {loss} after {self.count + n:,} {self.unit} of "
                                   f"{self.desc}")
        super().update(n, **fields)


@dataclass
class TrainingResult:
    """What a training function returns: the model with its best weights, the scores and the history."""

    model: Any
    best_epoch: int
    best: dict[str, float]                       # validation scores of the best epoch
    test: dict[str, float]                       # test scores of the best weights ({} without a test split)
    history: list[dict[str, Any]] = field(default_factory=list)   # metrics.jsonl's records
    out: Path | None = None                      # DIR/current when the run wrote a model directory
    extras: dict[str, Any] = field(default_factory=dict)   # the vocabulary, label set and so on


@dataclass
class _Progress:
    """The loop's counters, saved in resume.npz."""

    epoch: int = 0
    best_epoch: int = 0
    best_score: float | None = None
    best_scores: dict[str, float] = field(default_factory=dict)

    def improves(self, score: float | None, maximize: bool) -> bool:
        if score is None or self.best_score is None:
            return True
        return score > self.best_score if maximize else score < self.best_score


def run_epochs(task: Task, config: EpochConfig, data: dict[str, Any], out: ModelDirectory | None,
               stream=None) -> TrainingResult:
    """Train `task` as described in this module's docstring. `data` (the fingerprints of the files read) goes
    into config.json; `out` is the entered model directory or None."""
    stream = stream or sys.stdout
    counters, history = _Progress(), []
    if config.resume:
        counters, history = _resume(task, config, data, out, stream)
    started = time.perf_counter()
    ours = config.resume  # whether out/current holds this run's state (the message on Ctrl-C reads it)
    try:
        for epoch in range(counters.epoch + 1, config.epochs + 1):
            history.append(_one_epoch(task, config, epoch, counters, stream))
            counters.epoch = epoch
            if out is not None:
                _commit(task, out, counters, history, data, new_best=counters.best_epoch == epoch)
                ours = True
            if task.patience is not None and epoch - counters.best_epoch >= task.patience:
                print(f"early stop: no better {task.split} {task.metric} for {plural(task.patience, 'epoch')}",
                      file=stream, flush=True)
                break
            if config.max_minutes is not None and time.perf_counter() - started >= 60 * config.max_minutes:
                if epoch < config.epochs:
                    print(f"time budget of {config.max_minutes:g} min used up after epoch {epoch}; stopping"
                          + (" (continue with --resume)" if out is not None else ""), file=stream, flush=True)
                break
    except KeyboardInterrupt as err:  # (Ctrl-C, or a signal the caller turned into one, its message naming it)
        raise TrainingInterrupted(_where(f"{str(err) or 'interrupted'} during epoch {counters.epoch + 1}", out, ours)
                                  ) from None
    except TrainingDiverged as err:
        raise TrainingDiverged(_where(f"epoch {counters.epoch + 1} diverged: {err}; {task.divergence_hint()}", out,
                                      ours)) from None
    task.restore_best()
    test = task.evaluate("test") if task.has_split("test") else {}
    if task.metric in test:
        print(f"best epoch {counters.best_epoch}: test {task.metric} {task.format_metric(test[task.metric])}",
              file=stream, flush=True)
    history.append({"best_epoch": counters.best_epoch, **{f"test_{k}": v for k, v in test.items()}})
    if out is not None:  # the last epoch's resume state stays: the task now holds the best epoch's weights
        _commit(task, out, counters, history, data, new_best=False, test=test, resume_from_last_commit=True)
    if config.plot is not None:
        written = plot_curves([r for r in history if "epoch" in r], config.plot, best_x=counters.best_epoch or None)
        print(f"plot: {', '.join(map(str, written)) if written else 'nothing to draw'}", file=stream, flush=True)
    return TrainingResult(None, counters.best_epoch, counters.best_scores, test, history,
                          out.current if out is not None else None)


def _one_epoch(task: Task, config: EpochConfig, epoch: int, counters: _Progress, stream) -> dict[str, Any]:
    progress = StepMonitor(task.examples_per_epoch, task.unit, desc=f"epoch {epoch}")
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # NumPy's warnings would repeat what the checks below say
        loss = task.train_epoch(progress)
        seconds = time.perf_counter() - start
        progress.close()
        for name, array in task.parameters():
            if not np.isfinite(array).all():
                raise TrainingDiverged(f"parameter {name} holds NaN or infinite values after the epoch")
        scores = task.evaluate(task.split) if task.split is not None else {}
    for key, value in scores.items():
        if not math.isfinite(value):
            raise TrainingDiverged(f"the {task.split} {key} is {value}")
    score = scores.get(task.metric) if task.metric else None
    record = {"epoch": epoch, **({"train_loss": loss} if math.isfinite(loss) else {}),
              **{f"{task.split}_{k}": v for k, v in scores.items()}, **task.epoch_record(),
              "seconds": round(seconds, 3), f"{task.unit}_per_s": round(progress.count / max(seconds, 1e-9))}
    improved = counters.improves(score, task.maximize)
    fields = [("train loss", task.format_loss(loss))] if math.isfinite(loss) else []
    if score is not None:
        fields.append((f"{task.split} {task.metric}", task.format_metric(score)))
    fields += list(task.epoch_fields().items())
    best_field = f"{task.split} {task.metric}" if improved and score is not None else None
    print(epoch_line(epoch, config.epochs, fields, seconds, progress.count, task.unit, best_field),
          file=stream, flush=True)
    if improved:
        counters.best_epoch, counters.best_score, counters.best_scores = epoch, score, scores
        task.remember_best()
    task.after_epoch(epoch, improved)
    return record


def _commit(task: Task, out: ModelDirectory, counters: _Progress, history: list[dict[str, Any]],
            data: dict[str, Any], new_best: bool, test: dict[str, float] | None = None,
            resume_from_last_commit: bool = False) -> None:
    config = {**task.config(), "data": data, "best_epoch": counters.best_epoch, "epochs_trained": counters.epoch,
              **({task.split: counters.best_scores} if task.split else {}), **({"test": test} if test else {})}
    metrics = "".join(json.dumps(r, sort_keys=True) + "\n" for r in history)
    resume = {"task": task.state_dict(), "rng": fastgrad.get_rng_state(),
              "loop": {"epoch": counters.epoch, "best_epoch": counters.best_epoch,
                       "best_score": counters.best_score, "best_scores": counters.best_scores}}
    writers = {CONFIG_FILE: _text(json.dumps(config, indent=2, sort_keys=True) + "\n"), METRICS_FILE: _text(metrics),
               RESUME_FILE: lambda path: fastgrad.save(resume, path), **task.write_static()}
    keep = () if new_best or out.current is None else task.weight_files
    if resume_from_last_commit and out.current is not None and (out.current / RESUME_FILE).is_file():
        del writers[RESUME_FILE]
        keep += (RESUME_FILE,)
    if new_best or out.current is None:
        writers.update(task.write_weights())
    out.commit(writers, keep=keep)


def _text(text: str) -> Writer:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")
    return write


def _resume(task: Task, config: EpochConfig, data: dict[str, Any], out: ModelDirectory, stream
            ) -> tuple[_Progress, list[dict[str, Any]]]:
    """Load the state saved in `out`; refuse when the data files changed since (their sha256 differ)."""
    if out.current is None or not (out.current / RESUME_FILE).is_file():
        model_files(out.path)  # says why: no such directory, no finished epoch, not a model directory
        raise ModelDirectoryError(f"--resume: {out.current} has no {RESUME_FILE} (written by an older fastgrad?)")
    saved_config = json.loads((out.current / CONFIG_FILE).read_text(encoding="utf-8"))
    # Checked first: another kind of model reads other files, which would be reported as changed ones.
    kind = task.model_config().get("kind")
    if saved_config.get("kind", kind) != kind:
        raise ConfigError(f"--resume: {out.path} holds a {saved_config['kind']} model, not a {kind} one")
    for role, now in data.items():
        then = saved_config.get("data", {}).get(role)
        if then is not None and then.get("sha256") != now.get("sha256"):
            raise ConfigError(f"--resume: the {role} file changed since the saved run ({then['path']} had sha256 "
                              f"{then['sha256']}, {now['path']} has {now['sha256']})")
    model_config = json.loads(json.dumps(task.model_config()))  # as config.json holds it: lists, not tuples
    different = {k: (saved_config.get(k), v) for k, v in model_config.items() if saved_config.get(k) != v}
    if different:
        described = "; ".join(f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in sorted(different.items()))
        raise ConfigError(f"--resume: the saved run in {out.path} is a different model ({described})")
    saved = fastgrad.load(out.current / RESUME_FILE)
    task.load_state_dict(saved["task"], out.current)
    fastgrad.set_rng_state(saved["rng"])
    loop = saved["loop"]
    counters = _Progress(int(loop["epoch"]), int(loop["best_epoch"]), loop["best_score"], dict(loop["best_scores"]))
    history = [json.loads(line) for line in (out.current / METRICS_FILE).read_text(encoding="utf-8").splitlines()
               if line.strip()]
    history = [r for r in history if "epoch" in r]  # the last run's test record is written again at the end
    print(f"resuming after epoch {counters.epoch} (best: epoch {counters.best_epoch})", file=stream, flush=True)
    return counters, history


def _where(what: str, out: ModelDirectory | None, ours: bool) -> str:
    """`what`, then where the best and the resumable checkpoints are, as the model directory holds them (a
    snapshot being written when the run stopped does not count)."""
    if out is None:
        return f"{what}; nothing was saved (no --out)"
    if not ours or out.current is None:
        earlier = f"; {out.path} still holds the model of an earlier run" if out.current is not None else ""
        return f"{what}; no epoch finished, so nothing of this run was saved{earlier}"
    saved = json.loads((out.current / CONFIG_FILE).read_text(encoding="utf-8"))
    return (f"{what}; best model (epoch {saved['best_epoch']}): {out.current}, resumable after epoch "
            f"{saved['epochs_trained']}: {out.current / RESUME_FILE} (run the same command with --resume)")
