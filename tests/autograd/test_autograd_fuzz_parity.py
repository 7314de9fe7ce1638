"""Random straight-line programs run by fastgrad and by PyTorch 2.13, compared statement by statement: forward values,
dtypes, shapes, requires_grad / is_leaf / grad_fn, every .grad (None or values), what autograd.grad returns, and which
statements raise. The programs mix leaves of small shapes (float64, some float32; some requiring grad), elementwise ops
with broadcasting, reductions, matmul, views, advanced indexing, in-place changes of computed tensors (through
indexing too), detach, hooks, retain_grad, no_grad / enable_grad blocks, then backward (again, with retain_graph or
inputs=) or autograd.grad (allow_unused, materialize_grads, create_graph and a second grad). Each program is made by
running it in PyTorch while it is drawn, so that it is mostly valid; fixed seeds keep the test deterministic."""
import random
import warnings

import numpy as np
import pytest

import fastgrad

torch = pytest.importorskip("torch")

PROGRAMS = 3000  # (seed 942, a view whose base changed under no_grad, and 3326, a .data write, among them)

UNARY = ["exp()", "sin()", "tanh()", "sigmoid()", "relu()", "abs()", "neg()", "square()", "clamp(min=-0.5, max=0.7)",
         "pow(2)", "mul(2.5)", "softmax(-1)", "log_softmax(-1)", "abs().add(1).sqrt()", "clamp(min=0.1)"]
BINARY = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / ({b} * {b} + 0.5)", "lib.maximum({a}, {b})",
          "lib.where({a} > 0, {a}, {b})", "{a}.add({b}, alpha=2)", "lib.atan2({a}, {b})"]
REDUCTIONS = ["sum", "mean", "prod", "amax", "logsumexp", "std"]
IN_PLACE = ["add_(1.5)", "mul_(0.5)", "div_(2.0)", "clamp_(-0.5, 0.5)", "exp_()", "sigmoid_()", "relu_()", "zero_()",
            "fill_(0.25)", "tanh_()", "masked_fill_({a} > 0.3, -1.0)", "__iadd__(1)"]

# Where fastgrad deliberately differs (README.md and docs/design.md say so): an in-place write through a view showing
# one element at several positions, writes through .data counting as changes,
# and detach_() of a tensor that recorded ops already used. fastgrad raises in each.
DOCUMENTED_REFUSALS = ["shows one element of memory at several",
                       "detached in place"]


class Program:
    """Statements over `lib` (torch or fastgrad) and `C`, the data arrays, drawn while torch runs them."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.data, self.statements, self.names = [], [], []
        self.env = {"lib": torch, "C": self.data}
        self.count = 0

    def array(self, shape, dtype="float64") -> str:
        self.data.append(np.round(np.random.default_rng(self.random.randrange(2**31)).uniform(-2, 2, shape), 3)
                         .astype(dtype))
        return f"C[{len(self.data) - 1}]"

    def constant(self, shape, like: str) -> str:
        return f"lib.tensor({self.array(shape)}, dtype={like}.dtype)"

    def new_name(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def shape(self, name: str) -> tuple:
        return tuple(self.env[name].shape)

    def add(self, statement: str, keep_refused: float = 0.0) -> None:
        """Keep the statement if torch runs it (or, with probability keep_refused, if torch refuses it)."""
        before = set(self.env)
        try:
            exec(statement, self.env)
        except Exception:
            if self.random.random() >= keep_refused:
                for name in set(self.env) - before:
                    del self.env[name]
                return
        self.statements.append(statement)
        self.names += sorted(n for n in set(self.env) - before if n[0] == "v" and isinstance(self.env[n], torch.Tensor))

    def leaf(self) -> None:
        r = self.random
        shape = tuple(r.randint(1, 4) for _ in range(r.randint(0, 3)))
        dtype = "float32" if r.random() < 0.15 else "float64"
        self.add(f"{self.new_name()} = lib.tensor({self.array(shape, dtype)}, requires_grad={r.random() < 0.7})")

    def step(self) -> None:
        r = self.random
        if not self.names or r.random() < 0.05:
            return self.leaf()
        a = r.choice(self.names)
        shape = self.shape(a)
        if 0 in shape:
            return self.leaf()
        new, ndim = self.new_name(), len(shape)
        kind = r.choices(["unary", "binary", "reduce", "matmul", "view", "index", "in_place", "set", "misc"],
                         [10, 10, 6, 3, 12, 4, 12, 7, 10])[0]
        same_shape = [n for n in self.names if self.shape(n) == shape]
        if kind == "unary":
            op = r.choice(UNARY) if ndim else "exp()"
            return self.add(f"{new} = {a}.{op}")
        if kind == "binary":
            b = r.choice(self.names) if r.random() < 0.8 else repr(round(r.uniform(-2, 2), 2))
            return self.add(f"{new} = " + r.choice(BINARY).format(a=a, b=b))
        if kind == "reduce":
            name = r.choice(REDUCTIONS)
            if ndim == 0 or r.random() < 0.2:
                return self.add(f"{new} = {a}.{'sum' if name in ('logsumexp', 'std') else name}()")
            dim = r.randrange(-ndim, ndim)
            if r.random() < 0.3:
                return self.add(f"{new} = {a}.max({dim}, keepdim={r.random() < 0.5})[0]")
            return self.add(f"{new} = {a}.{name}({dim}, keepdim={r.random() < 0.5})")
        if kind == "matmul" and ndim:
            other = (shape[-1],) if r.random() < 0.3 else (shape[-1], r.randint(1, 3))
            return self.add(f"{new} = {a} @ {self.constant(other, a)}")
        if kind == "view" or kind == "matmul":
            return self.add(f"{new} = {a}{self.view(shape)}")
        if kind == "index" and ndim:
            if r.random() < 0.4:
                return self.add(f"{new} = {a}[{a} > 0.1]")
            return self.add(f"{new} = {a}[lib.tensor({[r.randrange(shape[0]) for _ in range(r.randint(1, 4))]})]")
        if kind == "in_place" or kind == "index":
            if same_shape and r.random() < 0.4:
                other = r.choice(same_shape)
                return self.add(f"{a}.{r.choice(['add_', 'mul_', 'sub_', 'copy_'])}({other})", 0.3)
            if ndim and r.random() < 0.15:
                index = [r.randrange(shape[0]) for _ in range(r.randint(1, 3))]
                source = self.constant((len(index),) + shape[1:], a)
                return self.add(f"{a}.index_add_(0, lib.tensor({index}), {source})", 0.3)
            return self.add(f"{a}.{r.choice(IN_PLACE).format(a=a)}", 0.3)
        if kind == "set" and ndim:
            key = self.view(shape) if r.random() < 0.7 else f"[{a} > 0]"
            value = r.choice([repr(round(r.uniform(-2, 2), 2)), r.choice(self.names), r.choice(self.names) + ".sum()"])
            return self.add(f"{a}{key} {r.choice(['=', '+=', '*='])} {value}", 0.3)
        return self.misc(a, new)

    def view(self, shape) -> str:
        r, ndim = self.random, len(shape)
        if ndim == 0:
            return r.choice([".unsqueeze(0)", ".view(1)", ".reshape(-1)", ".expand(2)", ".squeeze()"])
        d = r.randrange(ndim)
        start = r.randrange(shape[d])
        size = int(np.prod(shape))
        return r.choice([
            "[" + ", ".join(r.choice([str(r.randrange(n)), f"{r.randrange(n)}::{r.randint(1, 2)}", ":"])
                            for n in shape[:r.randint(1, ndim)]) + "]",
            f"[..., {r.randrange(shape[-1])}]", f"[None, {r.randrange(shape[0])}]",
            f".select({d}, {r.randrange(-shape[d], shape[d])})", f".transpose({d}, {r.randrange(ndim)})", ".t()",
            ".permute(" + ", ".join(map(str, r.sample(range(ndim), ndim))) + ")", ".view(-1)", ".reshape(1, -1)",
            ".expand(" + ", ".join(str(r.randint(1, 3) if n == 1 else n) for n in shape) + ")",
            f".unsqueeze({r.randint(-ndim - 1, ndim)})", f".squeeze({d})", ".squeeze()", ".flatten()",
            f".narrow({d}, {start}, {r.randint(1, shape[d] - start)})", ".diagonal()" if ndim > 1 else ".diag()",
            f".unbind({d})[{r.randrange(shape[d])}]", f".chunk(2, {d})[0]", f".split(1, {d})[-1]",
            f".as_strided(({size // 2},), (2,), {size % 2})" if size > 1 else ".flatten()",
        ])

    def misc(self, a: str, new: str) -> None:
        r = self.random
        choice = r.randrange(11)
        if choice == 0:
            return self.add(f"{new} = {a}.detach()")
        if choice == 1:
            return self.add(f"{a}.detach_()", 0.3)
        if choice == 2:
            return self.add(f"{a}.requires_grad_()", 0.3)
        if choice == 3:
            return self.add(f"{a}.retain_grad()")
        if choice == 4:
            return self.add(f"{new} = {a}.clone()")
        if choice == 5:
            return self.add(f"{new} = {a}.detach().clone().requires_grad_()")
        if choice == 6:
            return self.add(f"{new} = {a}.data * 2")
        if choice == 7:
            return self.add(f"{a}.data.mul_(0.5)")
        if choice == 8:
            inner = r.choice([f"{new} = {a} * 3", f"{a}.add_(1)",
                              f"{new} = {a}.sin()\n    with lib.enable_grad():\n        {self.new_name()} = {a} * {a}"])
            return self.add(f"with lib.no_grad():\n    {inner}")
        try:  # (torch 2.13 crashes registering a hook on a multi-output view whose base changed in place)
            self.env[a].grad_fn
        except RuntimeError:
            return None
        hook = r.choice(["lambda g: g * 2", "lambda g: None", "lambda g: g + 1"])
        return self.add(f"_ = {a}.register_hook({hook})", 0.3)

    def finish(self) -> None:
        r = self.random
        graded = [n for n in self.names if self.env[n].requires_grad]
        if not graded:
            return
        outputs = r.sample(graded, min(len(graded), r.randint(1, 3)))
        self.add("loss = " + " + ".join(f"({o} * {self.constant(self.shape(o), o)}).sum()" for o in outputs), 1)
        way = r.choice(["backward", "twice", "retained", "inputs", "grad", "grad", "second order"])
        if way in ("backward", "twice", "retained", "inputs"):
            inputs = f"inputs=[{', '.join(r.sample(graded, r.randint(1, len(graded))))}]" if way == "inputs" else ""
            self.add(f"loss.backward({'retain_graph=True' if way == 'retained' else inputs})", 1)
            if way in ("twice", "retained"):
                self.add("loss.backward()", 1)
            return
        inputs = r.sample(graded + [n for n in self.names if n not in graded][:1], r.randint(1, min(3, len(graded))))
        create_graph = way == "second order" or r.random() < 0.3
        arguments = f"allow_unused={r.random() < 0.6}, create_graph={create_graph}"
        arguments += ", materialize_grads=True" * (r.random() < 0.3) + ", retain_graph=True" * (r.random() < 0.3)
        output = "loss"
        if len(outputs) == 1 and r.random() < 0.3:
            output = outputs[0]
            arguments = f"grad_outputs={self.constant(self.shape(output), output)}, {arguments}"
        results = [f"g{i}" for i in range(len(inputs))]
        self.add(f"{', '.join(results)}, = lib.autograd.grad({output}, [{', '.join(inputs)}], {arguments})", 1)
        self.names += [g for g in results if isinstance(self.env.get(g), torch.Tensor)]
        recorded = [g for g in results if isinstance(self.env.get(g), torch.Tensor) and self.env[g].requires_grad]
        if create_graph and recorded:
            total = " + ".join(f"({g} * {g}).sum()" for g in recorded)
            again = r.sample(graded, r.randint(1, len(graded)))
            seconds = [f"h{i}" for i in range(len(again))]
            self.add(f"{', '.join(seconds)}, = lib.autograd.grad({total}, [{', '.join(again)}], allow_unused=True)", 1)
            self.names += [h for h in seconds if isinstance(self.env.get(h), torch.Tensor)]


def program(seed: int) -> Program:
    p = Program(seed)
    for _ in range(p.random.randint(1, 3)):
        p.leaf()
    for _ in range(p.random.randint(2, 14)):
        p.step()
    p.finish()
    return p


def state(lib, env: dict) -> dict:
    """What each tensor shows: None for a tensor that torch refuses to describe (a multi-output view whose base
    changed in place, whose grad_fn and is_leaf raise)."""
    described = {}
    for name, t in env.items():
        if not isinstance(t, lib.Tensor):
            continue
        try:
            grad = t.grad
            described[name] = dict(
                shape=tuple(t.shape), dtype=str(t.dtype).split(".")[-1], requires_grad=t.requires_grad,
                is_leaf=t.is_leaf, has_grad_fn=t.grad_fn is not None, value=t.detach().numpy().copy(),
                grad=None if grad is None else (str(grad.dtype).split(".")[-1], grad.numpy().copy(),
                                               str((grad * 2).dtype).split(".")[-1]))
        except RuntimeError:
            described[name] = None
    return described


def run(lib, p: Program) -> list:
    env = {"lib": lib, "C": p.data}
    trace = []
    for statement in p.statements:
        try:
            exec(statement, env)
            error = None
        except Exception as e:  # noqa: BLE001 (which statement raises, and what, is compared)
            error = f"{type(e).__name__}: {e}"
        trace.append((error, state(lib, env)))
    return trace


def close(ours, theirs, rtol: float, scale: float = 1e-2) -> bool:
    return ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=rtol, atol=rtol * scale, equal_nan=True)


def differences(ours: dict, theirs: dict, rtol: float) -> list[str]:
    """What differs; in float32 programs up to rtol times the largest value around (sin of a float32 product of
    large values differs in its first digits between two correct libraries)."""
    found = []
    scale = 1e-2 if rtol < 1e-5 else max([1.0] + [float(np.max(np.abs(t["value"]), initial=0, where=np.isfinite(
        t["value"]))) for t in theirs.values() if t is not None])
    for name, t in theirs.items():
        f = ours.get(name, "absent")
        if t is None or f is None:
            continue
        if f == "absent":
            found.append(f"{name} is not a tensor in fastgrad")
            continue
        found += [f"{name}.{key}: fastgrad {f[key]}, torch {t[key]}"
                  for key in ("shape", "dtype", "requires_grad", "is_leaf", "has_grad_fn") if f[key] != t[key]]
        if f["shape"] == t["shape"] and not close(f["value"], t["value"], rtol, scale):
            found.append(f"{name} values differ")
        if (f["grad"] is None) != (t["grad"] is None):
            found.append(f"{name}.grad is None in {'fastgrad' if f['grad'] is None else 'torch'} only")
        elif t["grad"] is not None and (f["grad"][0::2] != t["grad"][0::2] or not close(f["grad"][1], t["grad"][1],
                                                                                       rtol)):
            found.append(f"{name}.grad differs")
    return found


def known_difference(statements: list[str], our_error, their_error, found: list[str]) -> str | None:
    """Why a difference is known, else None. Known are differences left on purpose and those found and not fixed yet:
    - documented refusals (README.md, docs/design.md): see DOCUMENTED_REFUSALS, and .data writes;
    - fastgrad saves other tensors than PyTorch for some ops (pow's and max's output, where PyTorch saves the input or
      indices; a cast copy of a mixed-dtype input; not prod's output), so an in-place change after use makes one of
      them refuse backward where the other does not; the gradients fastgrad gives are those of the values used;
    - a view made while its base had no history does not require grad after the base gains one in place, nor after
      requires_grad_() on the base, and a view made under no_grad does not require grad (PyTorch's do);
    - autograd.grad with a non-leaf input that has hooks and other inputs beyond it: PyTorch returns that input's
      gradient before its hooks ran (with it alone, after them); fastgrad's is after them either way;
    - with create_graph, a gradient that is constant in the inputs (relu's mask, amax's pick) does not require grad
      and is not connected to them (PyTorch's is, with zero second derivatives)."""
    if our_error and not their_error and any(text in our_error for text in DOCUMENTED_REFUSALS):
        return "documented refusal"
    if any(".data.mul_" in s for s in statements) and (
            found and all("values differ" in d or ".grad differs" in d or ".grad is None in" in d for d in found)
            or "modified by an in-place operation" in str(our_error)):
        return "documented: .data writes count as changes"
    grad_call = statements[-1]
    if "autograd.grad(" in grad_call and found and all(d.startswith("g") and "values differ" in d for d in found):
        inputs = grad_call.split("[", 1)[1].split("]", 1)[0].split(", ")
        hooked = {s.split(".register_hook")[0][4:] for s in statements if ".register_hook" in s}
        if any(inputs[int(d.split()[0][1:])] in hooked for d in found):
            return "torch's grad gives a hooked non-leaf input its gradient before the hooks when it walks on"
    if "modified by an in" in f"{our_error}{their_error}":
        return "saved tensors differ"
    if found and all("requires_grad" in d or "is_leaf" in d or "has_grad_fn" in d for d in found):
        return "flags of views whose base gained or lost a history, or of constant derivatives"
    if "does not require grad" in str(our_error) or any(" is not a tensor in fastgrad" in d for d in found):
        return "second-order graphs through constant derivatives"
    return None


def compare(seed: int) -> tuple[list[str], list[str]]:
    """(unexplained differences, reasons of the known ones) for program `seed`."""
    p = program(seed)
    rtol = 1e-4 if any(a.dtype == np.float32 for a in p.data) else 1e-6
    ours, theirs = run(fastgrad, p), run(torch, p)
    for i, ((our_error, our_state), (their_error, their_state)) in enumerate(zip(ours, theirs)):
        found = differences(our_state, their_state, rtol)
        if our_error and their_error:
            found = []  # (what a refused statement leaves behind is not specified: torch may have written already)
        elif our_error or their_error:
            found.append(f"only {'fastgrad' if our_error else 'torch'} raises: {our_error or their_error}")
        if found:
            reason = known_difference(p.statements[:i + 1], our_error, their_error, found)
            report = [f"seed {seed}, statement {i}: {p.statements[i]!r}: {d}" for d in found]
            return ([], [reason]) if reason else (report, [])
        if our_error and their_error:
            return [], []
    return [], []


def test_random_programs_match_torch():
    unexplained, reasons = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch warns reading .grad of a tensor that is not a leaf)
        for seed in range(PROGRAMS):
            report, known = compare(seed)
            unexplained += report
            reasons += known
    assert not unexplained, "\n".join(unexplained[:20])
    assert len(reasons) < PROGRAMS // 10  # the known differences stay rare, so that the programs test something
