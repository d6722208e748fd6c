"""Level 3½'s autograd engine, checked the micrograd way: every operation's value and gradient
against PyTorch's autograd, then the whole model's gradients against level 4's gradients()."""

import numpy as np
import pytest
import torch

import level3b_own_autograd as engine
import level4_numpy

rng = np.random.default_rng(11)


def both(*shapes):
    """The same random float64 arrays as engine Tensors and as torch tensors, all needing grads."""
    arrays = [rng.normal(size=shape) for shape in shapes]
    return ([engine.Tensor(a.copy(), requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


OPERATIONS = {                                  # name: (shapes, engine op, torch op)
    "matmul": ([(4, 3), (3, 5)], lambda a, b: a @ b, lambda a, b: a @ b),
    "add": ([(4, 3), (4, 3)], lambda a, b: a + b, lambda a, b: a + b),
    "add-broadcast": ([(4, 3), (3,)], lambda a, b: a + b, lambda a, b: a + b),
    "sub-broadcast": ([(4, 3), (1, 3)], lambda a, b: a - b, lambda a, b: a - b),
    "mul": ([(4, 3), (4, 3)], lambda a, b: a * b, lambda a, b: a * b),
    "mul-broadcast": ([(3,), (4, 3)], lambda a, b: a * b, lambda a, b: a * b),
    "tanh": ([(4, 3)], engine.tanh, torch.tanh),
    "sigmoid": ([(4, 3)], engine.sigmoid, torch.sigmoid),
    "logaddexp": ([(4, 3), (4, 3)], engine.logaddexp, torch.logaddexp),
    "mean": ([(4, 3)], engine.mean, torch.mean),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_operation_value_and_gradient_match_torch(name):
    shapes, ours, theirs = OPERATIONS[name]
    mine, reference = both(*shapes)
    out, ref = ours(*mine), theirs(*reference)
    assert np.abs(out.data - ref.detach().numpy()).max() <= 1e-12
    weights = rng.normal(size=ref.shape)       # L = sum(weights * out): a gradient of every entry
    engine.mean(out * engine.Tensor(weights * out.data.size)).backward()
    (ref * torch.tensor(weights)).sum().backward()
    for t, r in zip(mine, reference):
        assert t.grad.shape == t.data.shape
        assert np.abs(t.grad - r.grad.numpy()).max() <= 1e-12, name
        assert np.abs(t.grad).max() > 1e-3     # a real gradient, not zeros on both sides


def test_bias_gradient_is_a_sum_over_the_batch():
    (x, b), _ = both((6, 3), (3,))
    engine.mean(x + b).backward()
    assert np.allclose(b.grad, np.full(3, 6 / 18))   # each b_j was added to 6 rows


def model_and_batch():
    params = level4_numpy.init_params(7, np.random.default_rng(3), np.float64)
    params["b1"] += rng.normal(0, 0.1, 7)
    params["b2"] += rng.normal(0, 0.1, 10)
    x = rng.random((6, 784))
    y = np.eye(10)[rng.integers(0, 10, 6)]
    return params, x, y


def test_engine_gradients_equal_level_4():
    params, x, y = model_and_batch()
    h, z2, a = level4_numpy.forward(x, params)
    expected = level4_numpy.gradients(x, y, params, h, a)
    tensors = {k: engine.Tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    z2_t, a_t = engine.forward(engine.Tensor(x), tensors)
    loss = engine.loss_fn(z2_t, engine.Tensor(y))
    assert abs(loss.data - level4_numpy.loss_fn(z2, y)) <= 1e-14
    loss.backward()
    for name, t in tensors.items():
        assert np.abs(t.grad - expected[name]).max() <= 1e-12, name
        assert np.abs(expected[name]).max() > 1e-4


def test_backward_twice_accumulates_as_torch_does():
    """.grad of a leaf adds up over backward() calls, in torch and here: call it twice without
    clearing .grad and every parameter's gradient is doubled (which is why the training step
    sets p.grad = None after each update). Intermediate results are not double-counted."""
    params, x, y = model_and_batch()
    tensors = {k: engine.Tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    torch_params = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = engine.loss_fn(engine.forward(engine.Tensor(x), tensors)[0], engine.Tensor(y))
    import level3_autograd
    torch_loss = level3_autograd.loss_fn(level3_autograd.forward(torch.tensor(x), torch_params)[0],
                                         torch.tensor(y))
    loss.backward()
    once = {k: t.grad.copy() for k, t in tensors.items()}
    loss.backward()
    torch_loss.backward(retain_graph=True)
    torch_loss.backward()
    for name, t in tensors.items():
        assert np.abs(t.grad - 2 * once[name]).max() <= 1e-14, name
        assert np.abs(t.grad - torch_params[name].grad.numpy()).max() <= 1e-12, name


def test_data_tensors_record_nothing():
    x, y = engine.Tensor(rng.random((3, 4))), engine.Tensor(rng.random((3, 4)))
    out = engine.mean(engine.tanh(x) * y)
    assert not out.requires_grad and out.parents == ()
