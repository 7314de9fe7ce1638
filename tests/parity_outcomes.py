"""The outcome of a call made in both fastgrad and PyTorch, for the differential fuzz tests: its result, or
Raised (only whether it raised is compared, not the exception's type: PyTorch raises its own subclasses, and
RuntimeError where fastgrad names the kind of fault)."""


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
