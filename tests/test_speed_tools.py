"""compilers.py and blas_ladder.py: a compiled step that clears .grad inside does not give the
plain step's numbers, and cleared outside it does; the three ways of one matrix product give the
same numbers. (XLA and a compiled forward pass giving the plain numbers: tests/ci/
test_compilers.py, which CI runs.)"""

import pytest

from instruments import blas_ladder
from conftest import run_script

def test_a_compiled_step_keeps_grad_and_clearing_it_outside_mends_it():
    """The lesson of docs/speed.md: torch.compile(train_step) leaves .grad set, and the next
    step adds to it. backend="eager" captures the Python as torch.compile does, without
    generating code, so the test is quick."""
    torch = pytest.importorskip("torch")
    import level3_autograd as level
    generator = torch.Generator().manual_seed(1)
    x = torch.rand((24, 784), generator=generator)
    y = torch.eye(10)[torch.randint(10, (24,), generator=generator)]

    def start():
        params = level.init_params(16, torch.Generator().manual_seed(0), torch.float32)
        return {k: p.requires_grad_() for k, p in params.items()}

    def train(step, clear_outside=False):
        params = start()
        for first in range(0, 24, 8):
            if clear_outside:
                for p in params.values():
                    p.grad = None
            step(params, x[first:first + 8], y[first:first + 8], 1.0)
        return params

    eager = train(level.train_step)
    assert all(p.grad is None for p in eager.values())
    compiled = train(torch.compile(level.train_step, backend="eager"))
    assert all(p.grad is not None for p in compiled.values())            # not cleared
    assert max(float((compiled[k] - eager[k]).detach().abs().max()) for k in eager) > 1e-3
    mended = train(torch.compile(level.train_step, backend="eager"), clear_outside=True)
    assert max(float((mended[k] - eager[k]).detach().abs().max()) for k in eager) <= 1e-6


def test_the_ladders_three_ways_give_the_same_numbers():
    results = blas_ladder.ladder(batch=4, hidden=16, repeats=2, python_repeats=1)
    assert [r["way"] for r in results] == ["pure Python, three loops", "NumPy, one row at a time",
                                           "NumPy, one call: x @ W1"]
    for r in results:
        assert r["seconds"] > 0 and r["relative"] <= 1e-5, r


def test_ladder_and_compilers_command_lines(tmp_path):
    done = run_script("instruments/blas_ladder.py", "--batch-size", 3, "--hidden", 5, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "pure Python, three loops" in done.stdout and "x @ W1" in done.stdout
    for script, flags, message in [
            ("instruments/blas_ladder.py", ["--hidden", "0"], "--hidden: must be a positive whole number"),
            ("instruments/compilers.py", ["--modes", "fast"], "'fast' is not one of"),
            ("instruments/compilers.py", ["--batch-sizes", "32,x"], "--batch-sizes"),
            ("instruments/bench.py", ["--batch-sizes", "0"], "must be a positive whole number"),
            ("instruments/bench.py", ["--levels", "jax"], "give some of keras")]:
        done = run_script(script, *flags, home=tmp_path)
        assert done.returncode == 2 and message in done.stderr, (script, done.stderr)
        assert "Traceback" not in done.stderr
    for script in ("instruments/blas_ladder.py", "instruments/compilers.py", "instruments/bench.py"):
        done = run_script(script, "--help", home=tmp_path)
        assert done.returncode == 0 and "usage:" in done.stdout
