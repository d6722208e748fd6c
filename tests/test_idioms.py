"""What the level files say of their frameworks' usual idioms, and of themselves, holds: level 1's
words for Keras's train_step name what the installed Keras runs, level 3½ updates as level 3
does, and a level copied with common.py alone runs."""

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import EPOCH_LINE, ROOT, offline_env, write_mnist

LEVEL1 = open(os.path.join(ROOT, "level1_keras.py"), encoding="utf-8").read()


def test_level_1_names_the_step_the_installed_keras_runs(tmp_path):
    """The file, the class and the calls that level 1's Training-step section quotes are those of
    the installed Keras's train_step, in that order; and what its comments say of the metric
    string "accuracy" is what the installed Keras picks. (Keras is asked in a process of its own:
    TensorFlow and PyTorch do not share one.)"""
    import json
    code = ("import inspect, json, numpy as np, machinery.quiet_tensorflow\n"
            "from keras.src.backend.tensorflow import trainer\n"
            "from keras.src.trainers.compile_utils import get_metric\n"
            "picks = [type(get_metric('accuracy', np.zeros((2, n)), np.zeros((2, n)))).__name__"
            " for n in (10, 1)]\n"
            "print(json.dumps([inspect.getsourcefile(trainer),"
            " inspect.getsource(trainer.TensorFlowTrainer.train_step), picks]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env=offline_env(tmp_path), timeout=300)
    assert done.returncode == 0, done.stderr
    path, source, picks = json.loads(done.stdout.splitlines()[-1])
    assert picks == ["CategoricalAccuracy", "BinaryAccuracy"], picks
    assert 'the\n# string "accuracy" picks it too, from the 10 outputs\' shape' in LEVEL1
    where = "keras/src/backend/tensorflow/trainer.py"
    assert f"TensorFlowTrainer.\n# train_step in {where}" in LEVEL1
    assert path.replace(os.sep, "/").endswith(where)
    calls = ["tf.GradientTape()", "self(x, training=True)", "self._compute_loss(",
             "tape.gradient(loss,", "self.optimizer.apply_gradients(zip("]
    section = LEVEL1.split("# 4. Training step")[1].split("# 5. Evaluation")[0]
    for earlier, later in zip(calls, calls[1:]):
        assert source.index(earlier) < source.index(later), (earlier, later)
        assert section.index(earlier) < section.index(later), (earlier, later)


@pytest.mark.parametrize("level", ["level4_numpy.py", "level3b_own_autograd.py"])
def test_a_level_copied_with_common_alone_runs(level, tmp_path):
    """A learner's copy: the level and common.py in a folder of their own, no machinery/. It
    trains with main()'s defaults (common.py's), reading MNIST where the level looks for it."""
    for name in (level, "common.py"):
        shutil.copy(os.path.join(ROOT, name), tmp_path / name)
    home = tmp_path / "home"
    write_mnist(home / ".cache" / "mnist-idx", n_train=200, n_test=50)
    (tmp_path / "common.py").write_text((tmp_path / "common.py").read_text()
                                        .replace("EPOCHS = 20", "EPOCHS = 2"))
    env = {**offline_env(home), "PYTHONPATH": ""}
    done = subprocess.run([sys.executable, level], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(EPOCH_LINE.findall(done.stdout)) == 2, done.stdout
    assert not os.path.exists(tmp_path / "machinery")
    done = subprocess.run([sys.executable, level, "--epochs", "1"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert len(EPOCH_LINE.findall(done.stdout)) == 2   # no machinery/: no flags either,
    assert "no flags are read" in done.stderr          # and it says so


def test_the_engines_update_is_level_3s():
    """Level 3½ updates as level 3 does: `with no_grad(): p -= lr * p.grad` records nothing, and
    gives the numbers the NumPy update gives; evaluate() records nothing either."""
    import level3b_own_autograd as engine
    rng = np.random.default_rng(0)
    p = engine.Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    start = p.data.copy()
    loss = engine.mean(engine.tanh(engine.Tensor(rng.standard_normal((4, 3))) @ p))
    loss.backward()
    with engine.no_grad():
        assert (p * p).parents == ()                      # nothing recorded inside
        p -= 0.5 * p.grad
    assert np.array_equal(p.data, start - 0.5 * p.grad)
    assert (p * p).parents == (p, p)                      # recorded again outside
    assert re.search(r"^@no_grad\(\)[^\n]*\ndef evaluate\(", open(engine.__file__).read(), re.M)
