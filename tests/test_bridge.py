"""The custom autograd.Functions of bridge_function.py: level 4's formulas inside level 3."""

import torch

from instruments import bridge_function as bridge
import common
import level3_autograd


def test_gradcheck_passes_for_both_functions():
    params, x, y = bridge.batch()
    small_x = x[:, :12].clone().requires_grad_()
    W = params["W1"][:12].detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(bridge.Linear.apply, (small_x, W, params["b1"]))
    z2 = torch.randn((4, 10), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(bridge.loss_fn, (z2, y))


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(bridge.Linear):
        @staticmethod
        def backward(ctx, dz):
            x, W = ctx.saved_tensors
            return dz @ W.T, x.T @ dz, dz.mean(axis=0)      # a mean where the sum belongs
    params, x, y = bridge.batch()
    W = params["W1"][:12].detach().clone().requires_grad_()
    assert not torch.autograd.gradcheck(Wrong.apply, (x[:, :12].clone().requires_grad_(), W,
                                                      params["b1"]), raise_exception=False)


def test_level_3_trains_identically_on_the_hand_written_backward(monkeypatch):
    params, x, y = bridge.batch(hidden=6, size=8)
    mine = {k: p.detach().clone().requires_grad_() for k, p in params.items()}
    for _ in range(3):
        level3_autograd.train_step(params, x, y, lr=0.5)
    monkeypatch.setattr(level3_autograd, "forward", bridge.forward)
    monkeypatch.setattr(level3_autograd, "loss_fn", bridge.loss_fn)
    for _ in range(3):
        level3_autograd.train_step(mine, x, y, lr=0.5)
    for name in common.PARAM_NAMES:
        assert float((mine[name] - params[name]).detach().abs().max()) <= 1e-14, name
        assert float((mine[name] - bridge.batch(hidden=6, size=8)[0][name]).detach().abs().max()) > 1e-3
