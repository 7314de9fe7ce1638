import pytest

import fastgrad


def test_no_grad_works_as_context_decorator_and_bare_decorator():
    x = fastgrad.randn(2, requires_grad=True)

    @fastgrad.no_grad
    def bare():
        return x * 2

    @fastgrad.no_grad()
    def called():
        return x * 2

    with fastgrad.no_grad():
        assert not (x * 2).requires_grad
    assert not bare().requires_grad and not called().requires_grad
    assert (x * 2).requires_grad and bare.__name__ == "bare"


def test_enable_grad_inside_no_grad_and_set_grad_enabled():
    x = fastgrad.randn(2, requires_grad=True)
    with fastgrad.no_grad():
        with fastgrad.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad

    @fastgrad.set_grad_enabled(False)
    def off():
        return x * 2

    assert fastgrad.is_grad_enabled()  # decorating changes nothing until the call
    assert not off().requires_grad
    fastgrad.set_grad_enabled(False)
    assert not fastgrad.is_grad_enabled()
    fastgrad.set_grad_enabled(True)
    with fastgrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert fastgrad.is_grad_enabled()


def test_inference_mode():
    x = fastgrad.randn(2, requires_grad=True)
    with fastgrad.inference_mode():
        assert not (x * 2).requires_grad
    with fastgrad.inference_mode(False):
        assert (x * 2).requires_grad

    @fastgrad.inference_mode()
    def predict():
        return x * 2

    assert not predict().requires_grad and fastgrad.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with fastgrad.no_grad():
            raise ValueError
    assert fastgrad.is_grad_enabled()


def test_grad_mode_belongs_to_the_thread_as_in_pytorch():
    import threading
    x = fastgrad.tensor([1.0], requires_grad=True)
    seen = {}
    with fastgrad.no_grad():
        thread = threading.Thread(target=lambda: seen.setdefault("records", (x * 2).requires_grad))
        thread.start()
        thread.join()
    assert seen["records"]  # a thread started inside no_grad records
    entered, leave = threading.Event(), threading.Event()

    def hold_no_grad():
        with fastgrad.no_grad():
            entered.set()
            leave.wait(10)
    other = threading.Thread(target=hold_no_grad)
    other.start()
    entered.wait(10)
    try:
        assert (x * 2).requires_grad  # another thread's no_grad does not stop this one's graph
    finally:
        leave.set()
        other.join()


def test_a_decorated_generator_runs_its_body_in_the_mode():
    @fastgrad.no_grad()
    def steps():
        received = yield fastgrad.is_grad_enabled()
        yield fastgrad.is_grad_enabled(), received
        return "done"

    generator = steps()
    assert next(generator) is False and fastgrad.is_grad_enabled()  # the caller's mode between steps
    assert generator.send("sent") == (False, "sent")
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == "done"

    @fastgrad.enable_grad
    def enabled():
        yield fastgrad.is_grad_enabled()

    with fastgrad.no_grad():
        assert list(enabled()) == [True] and not fastgrad.is_grad_enabled()


def test_the_count_of_threads_with_grad_mode_off_follows_every_way_of_setting_it():
    # apply reads the per-thread flag only while this count is not 0: a count left at 0 with grad mode off
    # would record under no_grad
    from fastgrad.autograd.grad_mode import GRAD_OFF_GATE

    x = fastgrad.randn(2, requires_grad=True)
    assert GRAD_OFF_GATE.open == 0
    with fastgrad.no_grad():
        assert GRAD_OFF_GATE.open == 1 and not (x * 2).requires_grad
        with fastgrad.no_grad():  # already off: not counted twice
            assert GRAD_OFF_GATE.open == 1
        with fastgrad.enable_grad():
            assert GRAD_OFF_GATE.open == 0 and (x * 2).requires_grad
        assert GRAD_OFF_GATE.open == 1 and not (x * 2).requires_grad
    with fastgrad.inference_mode():
        assert GRAD_OFF_GATE.open == 1 and not (x * 2).requires_grad
    fastgrad.set_grad_enabled(False)
    assert GRAD_OFF_GATE.open == 1 and not (x * 2).requires_grad
    fastgrad.set_grad_enabled(True)
    with pytest.raises(ValueError), fastgrad.set_grad_enabled(False):
        raise ValueError
    assert GRAD_OFF_GATE.open == 0 and (x * 2).requires_grad
