"""Every benchmark implementation computes the same numbers (at tiny sizes), slices are labelled
honestly, goals name cases that exist, each case runs alone in a process of its own engine, and the
runner's tables and goal checks say what they should. No test here looks at a timing."""
import contextlib
import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys

import numpy as np
import pytest

import fastgrad
from fastgrad.benchmarks import runner, workloads
from fastgrad.sparse import SparseRowGrad

TINY = [workloads.add_tiny_workload(4), workloads.mul_sum_backward_workload(4),
        workloads.mlp_step_workload(batch=6, inputs=5, hidden=4, classes=3), workloads.matmul_workload(3),
        workloads.window_scoring_workload(windows=4, dim=6, outputs=2), workloads.linear_workload(batch=5, features=4),
        workloads.cross_entropy_workload(rows=6, classes=7), workloads.rnn_workload(hidden=4, batch=1, steps=3),
        workloads.gated_workload("lstm", hidden=4, batch=2, steps=3), workloads.gated_workload("gru", hidden=4, batch=2,
                                                                                             steps=3),
        workloads.embedding_bag_workload(vocab=9, dim=3, bags=3, length=4)]


def as_array(value) -> np.ndarray:
    if isinstance(value, fastgrad.Tensor):
        return value.detach().numpy()
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
    assert [w.name for w in workloads.workloads_in(["rnn"])] == ["rnn_h200", "rnn_h650", "lstm_h200", "gru_h200"]
    assert [w.name for w in workloads.workloads_in(["lm"])] == ["rnnlm_step", "lstmlm_step_2layers"]
    assert "peak" not in {w.group for w in workloads.workloads_in()}  # only on request
    assert [w.name for w in workloads.workloads_in(["peak"])] == ["sgemm_2048"]
    with pytest.raises(ValueError, match="unknown benchmark group.*bogus"):
        workloads.workloads_in(["rnn", "bogus"])


def fake_timings(workload, seconds: dict[str, float]):
    """Timings as if measured; a sliced case's estimate is 8x its time, the minimum 0.9x the median."""
    return [runner.Timing(c, seconds[c.label], seconds[c.label] * (8 if c.slices else 1), 1, 1,
                          None if c.slices else 0.9 * seconds[c.label]) for c in workload.cases if c.label in seconds]


def test_goal_checks_compare_full_size_estimates():
    workload = workloads.cross_entropy_workload(rows=64)  # goal: compiled >= 3x faster than torch
    met = fake_timings(workload, {workloads.FASTGRAD: 1.0, workloads.TORCH: 3.5, workloads.PYTHON: 1.0})
    assert "met (fastgrad compiled takes 0.29x the time of torch; minima 0.29x)" in runner.goal_status(workload.goals[0],
                                                                                                         met)
    missed = fake_timings(workload, {workloads.FASTGRAD: 1.0, workloads.TORCH: 2.0})
    assert ": missed" in runner.goal_status(workload.goals[0], missed)
    no_torch = fake_timings(workload, {workloads.FASTGRAD: 1.0})
    assert "not checked" in runner.goal_status(workload.goals[0], no_torch)
    absolute = workloads.mul_sum_backward_workload()
    assert "missed (25 us; min 22.5 us)" in runner.goal_status(absolute.goals[0],
                                                               fake_timings(absolute, {workloads.FASTGRAD: 25e-6}))


def test_a_goal_that_medians_and_minima_disagree_on_is_unsettled():
    """One run's median can be far off on a noisy machine: a verdict needs the minima to agree."""
    workload = workloads.cross_entropy_workload(rows=64)  # goal: compiled >= 3x faster than torch
    timings = fake_timings(workload, {workloads.FASTGRAD: 1.0, workloads.TORCH: 3.5})
    torch_timing = next(t for t in timings if t.case.label == workloads.TORCH)
    by_median_only = [t if t is not torch_timing else dataclasses.replace(t, minimum=2.0) for t in timings]
    assert ("unsettled: met by the medians, not by the minima (fastgrad compiled takes 0.29x the time of torch; "
            "minima 0.45x)") in runner.goal_status(workload.goals[0], by_median_only)
    by_minima_only = [t if t is not torch_timing else dataclasses.replace(t, estimate=2.0, minimum=4.0) for t in timings]
    assert "unsettled: met by the minima, not by the medians" in runner.goal_status(workload.goals[0], by_minima_only)
    absolute = workloads.mul_sum_backward_workload()
    goal = absolute.goals[0]
    near = fake_timings(absolute, {workloads.FASTGRAD: goal.seconds * 1.05})  # its minimum 0.9x: under the goal
    assert "unsettled: met by the minima, not by the medians" in runner.goal_status(goal, near)


def test_a_ratio_near_its_threshold_prints_the_digits_that_decide_the_verdict():
    """0.3349 against the 3x goal's 1/3 would print 0.33 and "missed"; 1.0504 against 1.05 would print 1.05."""
    workload = workloads.cross_entropy_workload(rows=64)
    near = fake_timings(workload, {workloads.FASTGRAD: 1.0047, workloads.TORCH: 3.0})
    assert "missed (fastgrad compiled takes 0.335x the time of torch; minima 0.335x)" in runner.goal_status(
        workload.goals[0], near)
    assert runner.ratio_text(1.0504, 1.05, 0.95) == "1.0504" and runner.ratio_text(1.2, 1.05, 0.95) == "1.20"


def test_table_scales_slices_and_ranks_against_the_fastest():
    workload = workloads.cross_entropy_workload(rows=64)
    table = runner.format_table(workload, fake_timings(workload, {workloads.PYTHON: 0.01, workloads.FASTGRAD: 0.002,
                                                                  workloads.TORCH: 0.008}))
    python_row = next(line for line in table.splitlines() if "python loops" in line)
    assert "~80 ms" in python_row and "40.00" in python_row  # 10 ms x 8, 40x the fastest
    assert "met" in table
    compiled_row = next(line for line in table.splitlines() if "fastgrad compiled" in line)
    assert "2 ms" in compiled_row and "1.8 ms" in compiled_row and "0.25" in compiled_row  # median, min, x torch
    markdown = runner.format_markdown(workload, fake_timings(workload, {workloads.PYTHON: 0.01,
                                                                        workloads.FASTGRAD: 0.002}))
    assert "| implementation | median | min | x fastest | x torch | GFLOP/s | % of peak |" in markdown
    assert "| python loops (fitted from 8 and 16 of 64 rows) | ~80 ms | - | 40.00 | - | - | - |" in markdown


def test_peak_columns_give_the_matrix_products_rate_and_share():
    workload = workloads.linear_workload(batch=100, features=100)  # 3 products of 2 x 100^3: 6 MFLOP
    timings = fake_timings(workload, {workloads.FASTGRAD: 0.001})
    row = runner.format_markdown(workload, timings, peak=12.0).splitlines()[4]
    assert row == "| fastgrad compiled | 1 ms | 900 us | 1.00 | - | 6.0 | 50% |"
    assert runner.format_markdown(workload, timings).splitlines()[4].endswith("| 6.0 | - |")  # no peak measured
    no_flops = workloads.cross_entropy_workload(rows=4, classes=3)
    assert runner.format_markdown(no_flops, fake_timings(no_flops, {workloads.FASTGRAD: 0.001}),
                                  peak=12.0).splitlines()[4].endswith("| - | - |")


def test_flop_counts_of_the_language_model_steps():
    assert workloads.recurrent_flops(4, 35, 20, 200, 200) == pytest.approx(1.344e9)
    assert workloads.lm_step_workload("rnn").flops == pytest.approx(8.4e9 + 0.336e9)  # output layer + RNN
    assert workloads.lm_step_workload("lstm", layers=2).flops == pytest.approx(8.4e9 + 2 * 1.344e9)


def test_recipes_rebuild_every_workload():
    for workload in [*workloads.all_workloads(), workloads.sgemm_peak_workload()]:
        rebuilt = workloads.build_from_recipe(workload.recipe)
        assert (rebuilt.name, [c.title for c in rebuilt.cases]) == (workload.name, [c.title for c in workload.cases])
    assert runner.recipe_at(workloads.word2vec_workload("sg"), 3)[1]["workers"] == 3  # the run's thread count
    assert runner.recipe_at(workloads.linear_workload(), 3) == workloads.linear_workload().recipe
    with pytest.raises(ValueError, match="no workload builder named 'os'"):
        workloads.build_from_recipe(("os", {}))


def test_the_workloads_file_loads_without_fastgrad_or_peers():
    """What a PyTorch or gensim process loads: no part of fastgrad comes with it."""
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import worker; w = worker.load_workloads(); "
              "w.all_workloads(); print([m for m in ('fastgrad', 'torch', 'gensim') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", script, str(runner.WORKER.parent)], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_each_case_runs_alone_in_a_process_of_its_engine_in_alternating_rounds():
    workload = workloads.linear_workload(batch=4, features=3)
    runs = []
    settings = runner.Settings(threads=1, rounds=2, repeats=2, seconds=0.001)
    timings = runner.measure(workload, settings, runs=runs)
    available = [c for c in workload.cases if c.engine != "torch" or workloads.import_torch() is not None]
    assert [t.case for t in timings] == available
    titles = [c.title for c in workload.cases]
    assert [r["case"] for r in runs] == titles + titles[::-1]  # every case in turn, the second round reversed
    pids = [r["pid"] for r in runs]
    assert len(set(pids)) == len(pids) and os.getpid() not in pids  # a fresh process for every run
    for run in runs:
        case = next(c for c in workload.cases if c.title == run["case"])
        if "unavailable" in run:
            continue
        assert run["fastgrad_loaded"] == (case.engine == "fastgrad")
        assert set(run["threads"].values()) == {1}
        assert len(run["samples"]) == 2 and ("small_samples" in run) == (case.slices is not None)
    for timing in timings:
        samples = [s for r in runs if r["case"] == timing.case.title for s in r.get("samples", [])]
        assert timing.seconds == statistics.median(samples) and timing.repeats == 4
        assert timing.minimum == (None if timing.estimated else min(samples))


def test_a_change_against_the_baseline_is_named_only_where_medians_and_minima_agree():
    workload = workloads.add_tiny_workload(4)
    case = next(c for c in workload.cases if c.label == workloads.FASTGRAD)
    baseline = dataclasses.replace(case, label=f"{workloads.FASTGRAD} {runner.BASELINE}")

    def status(after: tuple[float, float], before: tuple[float, float]) -> str:
        timings = [runner.Timing(case, after[0], after[0], 1, 1, after[1]),
                   runner.Timing(baseline, before[0], before[0], 1, 1, before[1], baseline_of=case)]
        return runner.baseline_status(timings)[0]

    assert status((1.2, 1.0), (1.0, 0.8)).endswith("1.20x its time (median, min 1.25x): slower")
    assert status((1.2, 0.8), (1.0, 0.8)).endswith(": unsettled: the medians say slower, the minima the same within 5%")
    assert status((0.8, 0.9), (1.0, 0.8)).endswith(": unsettled: the medians say faster, the minima slower")


def test_a_baseline_times_the_fastgrad_cases_with_the_baselines_package(tmp_path):
    """Here the baseline is this very checkout, so both labels must appear and the worker must have
    imported fastgrad from it; a fastgrad from elsewhere makes the worker fail, never a silent comparison."""
    checkout = runner.WORKER.parents[2]
    workload = workloads.add_tiny_workload(4)
    runs = []
    settings = runner.Settings(threads=1, rounds=2, repeats=1, seconds=0.001, baseline=checkout)
    timings = runner.measure(workload, settings, runs=runs)
    labels = [t.case.label for t in timings]
    assert labels.count(f"{workloads.FASTGRAD} {runner.BASELINE}") == 1 and workloads.FASTGRAD in labels
    assert len(runs) == 2 * (len(workload.cases) + 1)
    status = runner.baseline_status(timings)
    # a ratio next to the 5% thresholds prints more decimals (ratio_text), so the count varies with timing
    assert len(status) == 1 and re.match(r"fastgrad compiled vs baseline: \d+\.\d{2,6}x its time", status[0])
    assert "Before/after: fastgrad compiled vs baseline" in runner.format_markdown(workload, timings)
    elsewhere = tmp_path / "other"
    (elsewhere / "fastgrad").mkdir(parents=True)
    request = {"recipe": workload.recipe, "case": 2, "engine": "fastgrad", "threads": 1, "seconds": 0.001,
               "repeats": 1, "clock": "wall", "fastgrad_from": str(elsewhere / "fastgrad")}
    done = subprocess.run([sys.executable, str(runner.WORKER), json.dumps(request)], capture_output=True,
                          text=True)
    assert done.returncode != 0 and "the baseline's fastgrad should come from" in done.stderr


def test_cli_refuses_a_baseline_that_is_no_checkout(tmp_path, capsys):
    from fastgrad.cli import main

    assert main(["bench", "core", "--baseline", str(tmp_path)]) == 2
    assert f"--baseline: expected a fastgrad checkout (a folder holding fastgrad/__init__.py), got {tmp_path}" in \
        capsys.readouterr().err


def test_a_peer_process_gets_the_thread_count_and_not_fastgrads_pool_settings(monkeypatch):
    monkeypatch.setattr(runner, "IDLE_POLICY_SET_HERE", frozenset({"OMP_WAIT_POLICY"}))
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    env = runner.worker_environment("torch", 2)
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "2"
    assert "OMP_WAIT_POLICY" not in env and "OMP_WAIT_POLICY" not in runner.worker_environment("gensim", 2)
    assert runner.worker_environment("fastgrad", 2) == dict(os.environ)  # fastgrad sets its own, first thing


def test_cli_lists_groups_and_names_unknown_ones(capsys):
    from fastgrad.cli import main

    assert main(["bench", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(group in listed for group in [*workloads.GROUPS, "peak", "startup"])
    assert main(["bench", "nope"]) == 2  # a usage error, one line on stderr
    assert re.search("unknown benchmark group.*nope", capsys.readouterr().err)
    with pytest.raises(SystemExit) as refused:  # while parsing, by argparse
        main(["bench", "linear", "--rounds", "0"])
    assert refused.value.code == 2
    assert "argument --rounds: expected an integer >= 1, got '0'" in capsys.readouterr().err


def test_startup_runs_a_first_training_step_in_a_fresh_process():
    from fastgrad.benchmarks import startup

    result = startup.measure_once(None, threads=1)
    assert result["backend"] in ("compiled", "numpy", "python")  # FASTGRAD_BACKEND may choose
    assert 0 < result["import_s"] < result["process_s"] and result["first_step_s"] > 0
    table = startup.format_startup({"warm": {**result, "import_s": 0.5, "first_step_s": 1.0},
                                    "cold": result})
    assert "goal: warm import + first step < 2 s: met (1.50 s)" in table


def test_a_slow_first_call_does_not_size_the_repeats():
    """Loading compiled kernels can make the first call slower than a whole repeat: the repeats must still
    hold many calls of the warm function, or they time the warm-up."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("benchmark_worker", runner.WORKER)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    ticks = {"now": 0.0, "calls": 0}

    def function():  # 1 s the first time, then 1 ms, on a fake clock
        ticks["now"] += 1.0 if ticks["calls"] == 0 else 0.001
        ticks["calls"] += 1

    samples, calls = worker.time_function(function, 0.1, 3, lambda: ticks["now"])
    assert calls == 100 and samples == pytest.approx([0.001] * 3)
