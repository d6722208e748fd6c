"""Exercise 4's checks: the summed loss at level 3, and the learning rate that makes it train in
lockstep with level 4.
"""

import level4_numpy
from exercises import helpers
from exercises.checks.core import (STEP, LOCKSTEP, LOSS, require, array, number, relative_error,
                                   copy)
from exercises.checks.exact import small_data, start_params, stated_loss, torch_network, exact_step

TITLE = "sum over the outputs instead of the mean"
CHILD = "torch"               # its functions run where PyTorch is (and TensorFlow is not)


def step_ratio(ratio):
    """What a wrong learning rate for L_sum means, in words: L_sum's gradient is 10 times the
    mean's, so SGD's step with lr_sum is ratio = lr_sum * 10 / lr times level 4's."""
    if ratio > 1:
        return f"Your steps are {ratio:.3g} times level 4's: lr_sum is too large"
    if ratio > 0:
        return f"Your steps are {ratio:.3g} times level 4's ({1 / ratio:.3g} times too small)"
    return "A learning rate must be positive"


def run(ex):
    import torch
    import numpy as np
    params, x, y = helpers.check_batch(hidden=9, rows=5, seed=ex.seed)
    data = small_data(600, 10, seed=6)
    (x_train, y_train), _ = data
    start = start_params(24, 13)

    def loss():
        t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        z2 = torch_network(x, t)[2]
        found = []
        for scale in (1, 1000):              # z2 in the thousands: log(1 + e^z2) must stay finite
            yours = ex.call("loss_sum", z2 * scale, torch.tensor(y))
            require(isinstance(yours, torch.Tensor) and yours.requires_grad,
                    "`loss_sum` must return a torch tensor that autograd can differentiate")
            exact = float(stated_loss("sum", z2.detach() * scale, torch.tensor(y)))
            value = float(yours.detach())
            largest = float(abs(z2.detach()).max()) * scale
            require(np.isfinite(value), f"`loss_sum` gave {value} for z2 {scale} times the check "
                                        f"batch's (entries up to {largest:.0f})"
                                        f": the loss is {exact:.6g}, finite; log(1 + e^z2) "
                                        f"overflows there, logaddexp does not")
            require(abs(value - exact) <= LOSS * exact,
                    f"`loss_sum` gave {value:.10g}; the mean over the batch of the sum over the 10 "
                    f"outputs is {exact:.10g}" + (f" (z2 {scale} times the check batch's)"
                                                  if scale > 1 else ""))
            found.append(value)
        return f"{found[0]:.6f} on the check batch, and finite with z2 in the thousands"
    ex.check("loss_sum: summed over the 10 outputs, averaged over the batch, finite for large z2",
             loss)

    def step():
        t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        out = ex.call("train_step_sum", t, torch.tensor(x), torch.tensor(y), 0.05)
        require(isinstance(out, tuple) and len(out) == 2,
                "`train_step_sum` must return (loss, accuracy)")
        expected = exact_step(params, x, y, 0.05, "sum")
        for k in params:
            error = relative_error(array(t[k], k) - params[k], expected[k] - params[k])
            require(error <= STEP, f"`train_step_sum` changed {k} by another amount than "
                                   f"-lr dL_sum/d{k}: relative error {error:.2g}")
        return "one step is theta - lr dL_sum/dtheta (autograd of the stated loss)"
    ex.check("train_step_sum (level 3)", step)

    def level3(lr):
        t = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
        x_t, y_t = torch.tensor(x_train), torch.tensor(y_train)
        for epoch in range(2):
            for i in range(0, len(x_t), 50):
                ex.call("train_step_sum", t, x_t[i:i + 50], y_t[i:i + 50], lr)
        return helpers.as_numpy(t)

    def level4(lr):
        params = copy(start)
        for epoch in range(2):
            level4_numpy.train_epoch(params, x_train, y_train, 50, lr, None, shuffle=False)
        return params

    def lockstep():
        found = []
        for lr in (0.7, 0.35):
            mean = level4(lr)
            lr_sum = number(ex.call("same_steps_lr", lr), f"same_steps_lr({lr})")
            diff = helpers.max_abs_difference(level3(lr_sum), mean)
            require(diff <= LOCKSTEP,
                    f"level 3 with the summed loss at lr {lr_sum:g} ends {diff:.2e} from level 4 "
                    f"at lr {lr:g}; the lockstep wants <= {LOCKSTEP:g}. "
                    + step_ratio(lr_sum * 10 / lr))
            found.append(f"lr {lr:g} -> {lr_sum:g}: {diff:.1e}")
        unchanged = helpers.max_abs_difference(level3(0.7), level4(0.7))
        require(unchanged > 1e-2, "with lr 0.7 unchanged the summed loss gives the same weights?")
        return "largest |dW| " + "; ".join(found) + f"; with lr 0.7 unchanged: {unchanged:.2f}"
    ex.check("same_steps_lr: level 3 with the summed loss in lockstep with level 4 (float64, "
             "600 rows, batch 50, H 24, 2 epochs, lr 0.7 and 0.35)", lockstep,
             needs=["same_steps_lr", "train_step_sum"])

    def adam(loss, lr, eps):
        t = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
        optimizer = torch.optim.Adam(t.values(), lr=lr, eps=eps)
        x_t, y_t = torch.tensor(x_train), torch.tensor(y_train)
        for epoch in range(2):
            for i in range(0, len(x_t), 50):
                stated_loss(loss, torch_network(x_t[i:i + 50], t)[2], y_t[i:i + 50]).backward()
                optimizer.step()
                optimizer.zero_grad()
        return helpers.as_numpy(t)

    def lockstep_adam():
        lr = 0.01
        lr_sum = number(ex.call("same_steps_lr_adam", lr), f"same_steps_lr_adam({lr})")
        require(lr_sum > 0, f"same_steps_lr_adam({lr}) gave {lr_sum:g}: a learning rate must be "
                            f"positive")
        diff = helpers.max_abs_difference(adam("sum", lr_sum, 1e-30), adam("bce", lr, 1e-30))
        require(diff <= LOCKSTEP,
                f"Adam on L_sum at lr {lr_sum:g} ends {diff:.2e} from Adam on L at lr {lr:g}, "
                f"with eps 1e-30 so that eps plays no part; the lockstep wants <= {LOCKSTEP:g}. "
                f"Adam's step is lr m / (sqrt(v) + eps): what does a factor 10 in every gradient "
                f"do to m and to sqrt(v)?")
        with_eps = helpers.max_abs_difference(adam("sum", lr_sum, 1e-8), adam("bce", lr, 1e-8))
        return (f"lr {lr:g} -> {lr_sum:g}: {diff:.1e} with eps 1e-30; with Adam's default eps "
                f"1e-8: {with_eps:.1e}")
    ex.check("same_steps_lr_adam: Adam on the summed loss in lockstep with Adam on the "
             "project's (float64, the same setting, lr 0.01, eps 1e-30)", lockstep_adam)

