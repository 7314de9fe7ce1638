"""Grad mode: whether ops record the graph (`no_grad`, `enable_grad`, `is_grad_enabled`)."""
from __future__ import annotations

import functools
import inspect
import threading


class _GradMode(threading.local):
    """Per thread, as PyTorch's: a thread started inside `no_grad` still records, and one thread's
    `no_grad` does not stop another's graph."""

    def __init__(self) -> None:  # run in each thread: the flag is then in the thread's own dict, a quick lookup
        self.enabled = True
        self.inference = False  # inside inference_mode(True): the tensors made are inference tensors


GRAD_MODE = _GradMode()


class _Gate:
    """A count, over all threads, of the places where a rare per-thread setting is on. While it is 0, a hot
    path needs no read of that thread-local flag (a thread-local read on every op costs more than the rest
    of its check)."""

    __slots__ = ("open", "lock")

    def __init__(self) -> None:
        self.open, self.lock = 0, threading.Lock()

    def add(self, change: int) -> None:
        with self.lock:
            self.open += change


# Open inference_mode(True) blocks: while none is, making a tensor reads no inference flag
# (see graph.new_version_counter).
INFERENCE_GATE = _Gate()
# Threads with grad mode off: while none has, apply reads no grad flag. A thread that ends with grad mode off
# leaves the gate open: ops then read the flag, as they would anyway.
GRAD_OFF_GATE = _Gate()


def _set_grad_mode(enabled: bool) -> None:
    """Set this thread's grad mode (the only way it is set, so that GRAD_OFF_GATE keeps count)."""
    if enabled != GRAD_MODE.enabled:
        GRAD_OFF_GATE.add(-1 if enabled else 1)
        GRAD_MODE.enabled = enabled


def is_grad_enabled() -> bool:
    return GRAD_MODE.enabled


def is_inference_mode_enabled() -> bool:
    return GRAD_MODE.inference


class _SetGradMode:
    """Context manager and decorator that sets grad mode and restores the previous one. Like
    PyTorch's, the classes below work as `with no_grad():`, `@no_grad()` and bare `@no_grad`."""

    enabled = True

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], bool):
            return cls()(args[0])  # used as a bare decorator: @no_grad
        return super().__new__(cls)

    def __init__(self):
        self._previous: list[bool] = []

    def __enter__(self):
        self._previous.append(GRAD_MODE.enabled)
        _set_grad_mode(self.enabled)
        return self

    def __exit__(self, *exc) -> None:
        _set_grad_mode(self._previous.pop())

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, fn):
        """A generator's body runs in the mode, step by step (as PyTorch's); between steps the caller runs,
        in its own mode. What the caller sends or throws in is passed on."""
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            generator = fn(*args, **kwargs)
            try:
                with self._fresh():
                    value = generator.send(None)
                while True:
                    try:
                        sent = yield value
                    except GeneratorExit:
                        with self._fresh():
                            generator.close()
                        raise
                    except BaseException as error:
                        with self._fresh():
                            value = generator.throw(error)
                    else:
                        with self._fresh():
                            value = generator.send(sent)
            except StopIteration as stop:
                return stop.value

        return wrapper

    def _fresh(self) -> "_SetGradMode":
        """A new manager with the same mode (each decorated call nests on its own)."""
        return type(self)()


class no_grad(_SetGradMode):
    """Ops inside do not record the graph (evaluation, optimizer steps)."""

    enabled = False


class enable_grad(_SetGradMode):
    """Ops inside record the graph again, e.g. inside a no_grad block."""

    enabled = True


class inference_mode(_SetGradMode):
    """`inference_mode(True)` is no_grad for fastgrad, and the tensors made inside answer True to
    `is_inference()` (but they are not a separate type: they can later take part in autograd, where
    PyTorch would refuse); `inference_mode(False)` ends inference mode and turns grad mode on, inside
    no_grad too, as PyTorch's."""

    def __init__(self, mode: bool = True):
        super().__init__()
        self.mode = bool(mode)
        self._previous_inference: list[bool] = []

    def __enter__(self):
        self._previous.append(GRAD_MODE.enabled)
        self._previous_inference.append(GRAD_MODE.inference)
        if self.mode:
            INFERENCE_GATE.add(1)
        _set_grad_mode(not self.mode)
        GRAD_MODE.inference = self.mode
        return self

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        GRAD_MODE.inference = self._previous_inference.pop()
        if self.mode:
            INFERENCE_GATE.add(-1)

    def _fresh(self) -> "inference_mode":
        return inference_mode(self.mode)


class set_grad_enabled(_SetGradMode):
    """Set grad mode now (a plain call), or for a `with` block or a decorated function, after which
    the old mode returns."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        super().__init__()
        self.enabled = bool(mode)
        self._previous.append(GRAD_MODE.enabled)
        _set_grad_mode(self.enabled)

    def __enter__(self):
        return self

    def __call__(self, fn):
        _set_grad_mode(self._previous.pop())  # as a decorator it changes nothing until fn runs
        return super().__call__(fn)

    def _fresh(self) -> "_SetGradMode":
        return _Toggle(self.enabled)


class _Toggle(_SetGradMode):
    def __init__(self, enabled: bool):
        super().__init__()
        self.enabled = enabled
