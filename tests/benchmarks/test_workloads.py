"""Every benchmark implementation computes the same numbers (at tiny sizes), slices are labelled
honestly, goals name cases that exist, and the runner's tables and goal checks say what they should."""
import contextlib
import re

import numpy as np
import pytest

import fastgrad
from fastgrad.benchmarks import runner, workloads
from fastgrad.sparse import SparseRowGrad

TINY = [workloads.add_tiny_workload(4), workloads.mul_sum_backward_workload(4),
        workloads.mlp_step_workload(batch=6, inputs=5, hidden=4, classes=3), workloads.matmul_workload(3),
        workloads.window_scoring_workload(windows=4, dim=6, outputs=2), workloads.linear_workload(batch=5, features=4),
        workloads.cross_entropy_workload(rows=6, classes=7), workloads.rnn_workload(hidden=4, batch=1, steps=3),
        workloads.embedding_bag_workload(vocab=9, dim=3, bags=3, length=4)]


def as_array(value) -> np.ndarray:
    if isinstance(value, fastgrad.Tensor):
        return value.numpy()
    if isinstance(value, SparseRowGrad):
        return value.to_dense_array()
    if type(value).__module__.startswith("torch"):
        return (value.to_dense() if value.is_sparse else value).detach().numpy()
    if isinstance(value, list):
        return np.array([as_array(v) for v in value])
    return np.asarray(value)


def results(case) -> list[np.ndarray]:
    """A tuple holds several results; anything else is one. Scoring one window at a time gives a row
    per window, the matrix product a column each: rows are turned into columns."""
    if case.needs_torch:
        pytest.importorskip("torch")
    with fastgrad.backend(case.backend) if case.backend else contextlib.nullcontext():
        out = case.make()()
    out = out if isinstance(out, tuple) else (out,)
    arrays = [as_array(v).astype(np.float64) for v in out]
    return [a.T for a in arrays] if "one window at a time" in case.note else arrays


COMPARED = [(w, c) for w in TINY for c in w.cases if c.label != workloads.NUMPY]


@pytest.mark.parametrize("workload, case", COMPARED, ids=[f"{w.name}-{c.title}" for w, c in COMPARED])
def test_every_implementation_computes_what_numpy_does(workload, case):
    assert case.slices is None  # at tiny sizes nothing is sliced, so the numbers are comparable
    expected = results(next(c for c in workload.cases if c.label == workloads.NUMPY))
    actual = results(case)
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"result {i}"
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=f"result {i}")
        assert np.abs(e).sum() > 0  # nothing trivially zero


def test_numpy_variants_of_the_window_example_agree():
    one, matrix = [results(c)[0] for c in TINY[4].cases if c.label == workloads.NUMPY]
    np.testing.assert_allclose(one, matrix, rtol=1e-5, atol=1e-6)


def test_slow_loops_run_on_two_labelled_slices():
    sliced = [c for w in workloads.all_workloads() for c in w.cases if c.slices is not None]
    assert {c.label for c in sliced} == {workloads.PYTHON}
    assert len(sliced) >= 8
    for case in sliced:
        small, large = case.slices.parts
        assert small < large < case.slices.full
        assert f"fitted from {small} and {large} of {case.slices.full}" in case.note


def test_python_loop_slice_is_the_stated_part():
    case = workloads.cross_entropy_workload(rows=64).cases[0]
    assert case.note == "fitted from 8 and 16 of 64 rows"
    loss, grad = case.make()()
    assert grad.shape == (16, 10000)
    loss, grad = case.slices.make_part(8)()
    assert grad.shape == (8, 10000)


def test_slice_fit_reads_the_line_off_at_full_size():
    slices = workloads.Slices(lambda n: None, (8, 16), 256)
    assert slices.estimate(1.0, 1.5) == pytest.approx(1.5 + 0.5 / 8 * 240)  # fixed 0.5 s + 1/16 s per row
    assert slices.estimate(1.0, 1.0) == pytest.approx(16.0)  # no measurable slope: proportional upper bound


def test_goals_name_measured_cases():
    for workload in workloads.all_workloads():
        labels = {c.label for c in workload.cases}
        for goal in workload.goals:
            assert goal.case in labels and (goal.reference is None or goal.reference in labels), workload.name


def test_groups_select_workloads_and_unknown_groups_are_named():
    assert {w.group for w in workloads.workloads_in(["rnn", "linear"])} == {"rnn", "linear"}
    assert [w.name for w in workloads.workloads_in(["rnn"])] == ["rnn_h200", "rnn_h650"]
    with pytest.raises(ValueError, match="unknown benchmark group.*bogus"):
        workloads.workloads_in(["rnn", "bogus"])


def fake_timings(workload, seconds: dict[str, float]):
    """Timings as if measured; a sliced case's estimate is 8x its time."""
    return [runner.Timing(c, seconds[c.label], seconds[c.label] * (8 if c.slices else 1), 1, 1)
            for c in workload.cases if c.label in seconds]


def test_goal_checks_compare_full_size_estimates():
    workload = workloads.cross_entropy_workload(rows=64)  # goal: compiled >= 3x faster than torch
    met = fake_timings(workload, {workloads.FASTGRAD: 1.0, workloads.TORCH: 3.5, workloads.PYTHON: 1.0})
    assert "met (fastgrad compiled takes 0.29x the time of torch)" in runner.goal_status(workload.goals[0], met)
    missed = fake_timings(workload, {workloads.FASTGRAD: 1.0, workloads.TORCH: 2.0})
    assert ": missed" in runner.goal_status(workload.goals[0], missed)
    no_torch = fake_timings(workload, {workloads.FASTGRAD: 1.0})
    assert "not checked" in runner.goal_status(workload.goals[0], no_torch)
    absolute = workloads.mul_sum_backward_workload()
    assert "missed (25 us)" in runner.goal_status(absolute.goals[0], fake_timings(absolute, {workloads.FASTGRAD: 25e-6}))


def test_table_scales_slices_and_ranks_against_the_fastest():
    workload = workloads.cross_entropy_workload(rows=64)
    table = runner.format_table(workload, fake_timings(workload, {workloads.PYTHON: 0.01, workloads.FASTGRAD: 0.002,
                                                                  workloads.TORCH: 0.008}))
    python_row = next(line for line in table.splitlines() if "python loops" in line)
    assert "~80 ms" in python_row and "40.00" in python_row  # 10 ms x 8, 40x the fastest
    assert "met" in table
    markdown = runner.format_markdown(workload, fake_timings(workload, {workloads.PYTHON: 0.01,
                                                                        workloads.FASTGRAD: 0.002}))
    assert "| python loops (fitted from 8 and 16 of 64 rows) | ~80 ms | 40.00 | - |" in markdown


@pytest.mark.parametrize("clock", ["wall", "cpu"])
def test_runner_times_every_case_at_a_tiny_size(clock):
    workload = workloads.linear_workload(batch=4, features=3)
    timings = runner.run_workload(workload, quick=True, clock=clock)
    assert [t.case for t in timings] == [c for c in workload.cases if runner.torch_available() or not c.needs_torch]
    assert all(t.seconds > 0 and t.calls >= 1 for t in timings)


def test_cli_lists_groups_and_names_unknown_ones(capsys):
    from fastgrad.cli import main

    assert main(["bench", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(group in listed for group in [*workloads.GROUPS, "startup"])
    assert main(["bench", "nope"]) == 2  # a usage error, one line on stderr
    assert re.search("unknown benchmark group.*nope", capsys.readouterr().err)


def test_startup_runs_a_first_training_step_in_a_fresh_process():
    from fastgrad.benchmarks import startup

    result = startup.measure_once(None, threads=1)
    assert result["backend"] in ("compiled", "numpy", "python")  # FASTGRAD_BACKEND may choose
    assert 0 < result["import_s"] < result["process_s"] and result["first_step_s"] > 0
    table = startup.format_startup({"warm": {**result, "import_s": 0.5, "first_step_s": 1.0},
                                    "cold": result})
    assert "goal: warm import + first step < 2 s: met (1.50 s)" in table
