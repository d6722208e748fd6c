"""notebooks/: every level as a notebook, made from its file, fresh, runnable, and clean."""

import os
import re
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pytest

import common
from conftest import LEVELS, ROOT, offline_env
from machinery import levels

sys.path.insert(0, os.path.join(ROOT, "docs"))
import make_notebooks  # noqa: E402

NOTEBOOKS = os.path.join(ROOT, "notebooks")


def committed(level):
    return nbformat.read(os.path.join(NOTEBOOKS, level.replace(".py", ".ipynb")), as_version=4)


@pytest.mark.parametrize("level", LEVELS)
def test_notebook_is_what_its_level_file_makes(level):
    """Made again from the level file, the notebook has the committed cells, byte for byte
    (outputs are not compared): a changed level without a remade notebook fails here."""
    made = make_notebooks.cells_of(ROOT, level)
    cells = committed(level).cells
    assert [(c.cell_type, c.source) for c in cells] == made, \
        f"notebooks/{level.replace('.py', '.ipynb')} is stale: run python docs/make_notebooks.py"


@pytest.mark.parametrize("level", LEVELS)
def test_committed_outputs_are_clean(level):
    """Run once, with outputs: no error, no traceback, no path of the machine that ran them."""
    notebook = committed(level)
    assert notebook.metadata["executed"]["machine"] and notebook.metadata["executed"]["date"]
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert any(o.output_type == "display_data" and "image/png" in o.data
               for c in code for o in c.outputs)           # the plot is there
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     + str(o.get("evalue", "")) for c in code for o in c.outputs)
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert "Traceback" not in text
    assert not re.search(r"(?<![\w.])/(home|root|work|tmp|usr|opt|Users|var)/", text)
    assert "site-packages" not in text and os.path.expanduser("~") not in text
    assert make_notebooks.LOSS_LINE in text


def level_step_loss(level, data_dir, tmp_path):
    """The loss of the level's own train_step on the notebook's first batch, from the notebook's
    start: the same seed, dtype, slice and size, the weights drawn as the level's main() draws
    them."""
    import importlib
    rows, batch = make_notebooks.LIMIT, common.BATCH_SIZE
    if level == "level1_keras.py":              # TensorFlow, in a process of its own
        code = (f"import sys; sys.path.insert(0, {ROOT!r})\n"
                "import machinery.quiet_tensorflow, keras, common, level1_keras as L\n"
                "from machinery import levels\n"
                "keras.utils.set_random_seed(common.SEED); keras.config.set_floatx(common.DTYPE)\n"
                f"(x, y), _ = levels.load_data(L, {data_dir!r}, {rows}, common.DTYPE)\n"
                "model = L.build_model(common.HIDDEN); L.compile_model(model, common.LR)\n"
                f"print(repr(float(model.train_on_batch(x[:{batch}], y[:{batch}])[0])))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=offline_env(tmp_path), timeout=300)
        assert done.returncode == 0, done.stderr
        return float(done.stdout.split()[-1])
    L = importlib.import_module(level[:-3])
    if level in ("level2_pytorch.py", "level3_autograd.py"):
        import torch
        dtype = getattr(torch, common.DTYPE)
        (x, y), _ = levels.load_data(L, data_dir, rows, dtype)
        x, y = x[:batch], y[:batch]
        if level == "level2_pytorch.py":
            torch.manual_seed(common.SEED)
            model = L.build_model(common.HIDDEN, dtype)
            optimizer = torch.optim.SGD(model.parameters(), lr=common.LR)
            return float(L.train_step(model, optimizer, x, y)[0])
        params = L.init_params(common.HIDDEN, torch.Generator().manual_seed(common.SEED), dtype)
        return float(L.train_step(params, x, y, common.LR)[0])
    dtype = np.dtype(common.DTYPE)
    (x, y), _ = levels.load_data(L, data_dir, rows, dtype)
    params = L.init_params(common.HIDDEN, np.random.default_rng(common.SEED), dtype)
    x, y = x[:batch], y[:batch]
    if level == "level3b_own_autograd.py":
        x, y = L.Tensor(x), L.Tensor(y)
    return float(L.train_step(params, x, y, common.LR)[0])


@pytest.mark.parametrize("level", LEVELS)
def test_notebook_runs_and_teaches_the_levels_numbers(level, mnist_dir, tmp_path, monkeypatch):
    """Each notebook runs top to bottom under nbclient on the tests' small data, and the loss its
    one-step cell prints is the loss of the level file's own train_step on that batch."""
    for key, value in offline_env(tmp_path).items():   # the kernel inherits this environment
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MNIST_DIR", mnist_dir)
    notebook = make_notebooks.notebook_of(make_notebooks.cells_of(ROOT, level))
    make_notebooks.execute(notebook, NOTEBOOKS)       # raises CellExecutionError on any error
    text = "\n".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream")
    printed = float(re.search(re.escape(make_notebooks.LOSS_LINE) + r"(\S+)", text).group(1))
    assert printed == pytest.approx(level_step_loss(level, mnist_dir, tmp_path), rel=1e-6)
    assert len(re.findall(r"^epoch +\d+/\d+  train loss", text, re.M)) == make_notebooks.EPOCHS


def test_a_level_without_a_section_stops_the_generator(tmp_path):
    root, out = tmp_path / "root", tmp_path / "out"
    root.mkdir()
    out.mkdir()
    for level in LEVELS:
        shutil.copy(os.path.join(ROOT, level), root / level)
    broken = (root / "level3_autograd.py").read_text().replace("# 3. Loss\n", "# Loss\n")
    (root / "level3_autograd.py").write_text(broken)
    (out / "level1_keras.ipynb").write_text("as it was")
    done = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "make_notebooks.py"),
                           "--root", root, "--out-dir", out], capture_output=True, text=True,
                          env=offline_env(tmp_path), timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "level3_autograd.py" in lines[0] and "3. Loss" in lines[0], lines
    assert sorted(os.listdir(out)) == ["level1_keras.ipynb"]   # nothing written, nothing changed
    assert (out / "level1_keras.ipynb").read_text() == "as it was"
