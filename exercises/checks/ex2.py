"""Exercise 2's checks: the ReLU network's forward and backward pass, He's draw against Glorot's,
the signal through ten layers, and training.
"""

import numpy as np

import common
import level4_numpy
from exercises import helpers
from exercises.checks.core import (GRADIENT, require, array, number, relative_error, same_params,
                                   copy)
from exercises.checks.exact import (chain_graph, check_step, exact_gradients, exact_loss,
                                    exact_step, exact_trainer, first_wrong, hard_data, learns,
                                    start_params, torch_network)

TITLE = "a ReLU hidden layer, He or Glorot"
CHILD = "numpy"               # its functions run where PyTorch and TensorFlow are not


def run(ex):
    import torch
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    z1, h, z2 = (t.numpy() for t in torch_network(x, {k: torch.tensor(v) for k, v in
                                                      params.items()}, "relu"))
    a = 1 / (1 + np.exp(-z2))

    def forward():
        out = ex.call("forward_relu", x, copy(params))
        require(isinstance(out, tuple) and len(out) == 3,
                "`forward_relu` must return (h, z2, a), as level4_numpy.forward does")
        for what, yours, exact in zip(("h", "z2", "a"), out, (h, z2, a)):
            error = relative_error(array(yours, what, exact.shape), exact)
            require(error <= 1e-12, f"{what} is not relu's: relative error {error:.2g}")
        return "h = max(0, z1), z2, a as PyTorch computes them"
    ex.check("forward_relu", forward)

    def gradient():
        require((h == 0).any() and (h > 0).any(), "the check batch has no unit on one side")
        yours = ex.call("gradients_relu", x, y, copy(params), h, a)
        first_wrong(ex, "gradients_relu", yours, exact_gradients(x, y, params, "bce", "relu"),
                    graph=chain_graph(x, params, "relu"))
        return f"every quantity within {GRADIENT:g} of autograd's"
    ex.check(f"gradients_relu against autograd (check batch H 9, seed {ex.seed}, units on both "
             f"sides of the kink)", gradient)

    def he():
        w = array(ex.call("he_normal", 900, 300, np.random.default_rng(ex.seed), np.float32),
                  "what `he_normal` returned", (900, 300))
        require(ex.call("he_normal", 900, 300, np.random.default_rng(ex.seed), np.float32).dtype
                == np.float32, "`he_normal` did not return the dtype asked for")
        sigma = np.sqrt(2 / 900)
        require(abs(w.std() / sigma - 1) <= 0.02, f"the standard deviation is {w.std():.4g}, "
                                                  f"not sqrt(2 / fan_in) = {sigma:.4g}")
        cut = 2 * sigma / common.TRUNCATION_STD
        require(np.abs(w).max() <= cut * (1 + 1e-6),
                f"a weight of {np.abs(w).max():.4g} lies beyond the cut at 2 sigma ({cut:.4g})")
        require(np.abs(w).max() > 0.9 * cut, "no weight comes near the cut: not Keras's draw")
        return f"std {w.std():.4f} = sqrt(2 / 900) within 2%, cut at 2 sigma (900 x 300)"
    ex.check("he_normal (fan_in 900, fan_out 300, float32)", he)

    def init():
        glorot = same_params(ex.call("init_params", 50, np.random.default_rng(ex.seed),
                                     np.float64, "glorot"), common.PARAM_NAMES, "init_params")
        expected = level4_numpy.init_params(50, np.random.default_rng(ex.seed), np.float64)
        require(helpers.max_abs_difference(glorot, expected) == 0,
                "init_params(..., \"glorot\") is not level4_numpy.init_params()'s draw")
        he = same_params(ex.call("init_params", 50, np.random.default_rng(ex.seed), np.float64,
                                 "he"), common.PARAM_NAMES, "init_params")
        for k, shape in common.param_shapes(50).items():
            array(he[k], f"init_params(..., \"he\")[{k!r}]", shape)
        require(not np.any(he["b1"]) and not np.any(he["b2"]), "the biases do not start at 0")
        std = float(np.std(he["W1"]))
        require(abs(std / np.sqrt(2 / 784) - 1) <= 0.02,
                f"He's W1 has standard deviation {std:.4g}, not sqrt(2 / 784)")
        return "\"glorot\" is level 4's draw; \"he\" has W1's std sqrt(2 / 784), zero biases"
    ex.check("init_params, \"glorot\" and \"he\" (H 50)", init)

    def signal():
        out = {}
        for init in ("he", "glorot"):
            stds = [number(s, "a standard deviation") for s in ex.call("signal_std", init)]
            require(len(stds) == 10, f"signal_std({init!r}) gave {len(stds)} numbers, not one per "
                                     f"layer (10)")
            out[init] = stds
        short = [number(s, "a standard deviation") for s in
                 ex.call("signal_std", "he", 4, 128, 300, ex.seed)]
        require(len(short) == 4 and all(0.5 < s < 2 for s in short),
                f"signal_std(\"he\", depth=4, width=128, rows=300, seed={ex.seed}) gave {short}: "
                f"not 4 numbers near 1")
        require(0.5 < out["he"][-1] < 2, f"He's std after 10 layers is {out['he'][-1]:.3g}, not "
                                         f"near 1")
        require(out["glorot"][-1] < 0.1, f"Glorot's std after 10 layers is "
                                         f"{out['glorot'][-1]:.3g}: it should have shrunk")
        return (f"after 10 ReLU layers: He {out['he'][-1]:.3g}, Glorot {out['glorot'][-1]:.3g}")
    ex.check("signal_std: He keeps the signal, Glorot shrinks it", signal)

    def step():
        check_step("train_step_relu", ex.fn("train_step_relu"), copy(params), x, y, 0.5,
                   exact_step(params, x, y, 0.5, "bce", "relu"),
                   exact_loss(x, y, params, "bce", "relu"))
        trained = learns(ex.fn("train_step_relu"), exact_trainer("bce", "relu"),
                         start_params(32, 0), hard_data(600, 300, seed=2), 0.5, 3,
                         lambda x, p: np.maximum(x @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"])
        return f"one step as autograd's; {trained}"
    ex.check("train_step_relu: one exact step, and it learns as the exact step does (the "
             "checker's harder data, H 32, lr 0.5, 3 epochs)", step, needs=["train_step_relu"])

