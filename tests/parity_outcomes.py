"""The outcome of a call made in both fastgrad and PyTorch, for the differential fuzz tests: its result, or
Raised. Exceptions are compared by their built-in type (same_exception_type): PyTorch raises its own subclasses
(torch.linalg.LinAlgError is a RuntimeError) and fastgrad may too, but where PyTorch raises a RuntimeError,
fastgrad's must be one as well, so that code catching PyTorch's type catches fastgrad's."""


class Raised:
    def __init__(self, error: Exception):
        self.error = error

    def __repr__(self):
        return f"Raised({type(self.error).__name__}: {self.error})"


def outcome(call):
    try:
        return call()
    except Exception as error:  # noqa: BLE001 (any exception is an outcome to compare)
        return Raised(error)


def builtin_exception_type(error: BaseException | Raised) -> type:
    """The nearest built-in class of an exception (RuntimeError for torch.linalg.LinAlgError)."""
    error = error.error if isinstance(error, Raised) else error
    return next(kind for kind in type(error).__mro__ if kind.__module__ == "builtins")


def same_exception_type(ours: BaseException | Raised, theirs: BaseException | Raised) -> bool:
    """Whether fastgrad's exception is an instance of the built-in type PyTorch's is."""
    ours = ours.error if isinstance(ours, Raised) else ours
    return isinstance(ours, builtin_exception_type(theirs))


def assert_raised_alike(ours, theirs, where: str = "") -> None:
    """Both outcomes raised, with exceptions of the same built-in type, or neither did."""
    message = f"{where}: fastgrad {ours!r}, PyTorch {theirs!r}"
    assert isinstance(ours, Raised) == isinstance(theirs, Raised), message
    assert not isinstance(theirs, Raised) or same_exception_type(ours, theirs), message
