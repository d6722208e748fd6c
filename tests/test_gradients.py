"""The hand-derived backward pass of level 4, checked two independent ways."""

import numpy as np
import pytest
import torch

import level3_autograd
import level4_numpy


@pytest.fixture
def batch():
    rng = np.random.default_rng(3)
    params = level4_numpy.init_params(7, rng, np.float64)
    params["b1"] += rng.normal(0, 0.1, 7)          # nonzero biases, so their gradients count too
    params["b2"] += rng.normal(0, 0.1, 10)
    params["W2"] *= 4                               # push some outputs towards saturation
    x = rng.random((6, 784))
    y = np.eye(10)[rng.integers(0, 10, 6)]
    return params, x, y


def loss_at(params, x, y):
    h, z2, a = level4_numpy.forward(x, params)
    return level4_numpy.loss_fn(z2, y)


def test_gradients_match_finite_differences(batch):
    params, x, y = batch
    h, z2, a = level4_numpy.forward(x, params)
    grads = level4_numpy.gradients(x, y, params, h, a)
    step = 1e-6
    for name, p in params.items():
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + step
            up = loss_at(params, x, y)
            p[i] = saved - step
            down = loss_at(params, x, y)
            p[i] = saved
            numeric[i] = (up - down) / (2 * step)  # dL/dp ~ (L(p + e) - L(p - e)) / 2e
        error = np.abs(grads[name] - numeric).max() / np.abs(numeric).max()
        assert error <= 1e-6, (name, error)


def test_gradients_match_torch_autograd(batch):
    params, x, y = batch
    h, z2, a = level4_numpy.forward(x, params)
    grads = level4_numpy.gradients(x, y, params, h, a)
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    z2_t, a_t = level3_autograd.forward(torch.tensor(x), tensors)
    loss = level3_autograd.loss_fn(z2_t, torch.tensor(y))
    loss.backward()
    assert abs(float(loss.detach()) - level4_numpy.loss_fn(z2, y)) <= 1e-14
    assert np.abs(a_t.detach().numpy() - a).max() <= 1e-14
    for name, t in tensors.items():
        error = np.abs(grads[name] - t.grad.numpy()).max()
        assert error <= 1e-10, (name, error)
        assert np.abs(t.grad.numpy()).max() > 1e-4     # a real gradient, not zeros on both sides


def test_training_step_lowers_the_loss(batch):
    params, x, y = batch
    before = loss_at(params, x, y)
    loss, acc = level4_numpy.train_step(params, x, y, lr=0.5)
    assert loss == pytest.approx(before)
    assert loss_at(params, x, y) < before
