"""What the checks of Exercises 10 and 11 (level 2's pieces and fit()) and the whole stack run in
the process that holds the student's file: each task builds something with the student's classes
- a model, a fit() - and returns values (arrays, lists, numbers), which the checker compares with
its own references, in its own process. A task decides nothing. Exercise 9's tasks, and what
these share with them, are in engine_tasks.py.

A task is task(module, ...): the student's module first, then the checker's inputs.
"""

import numpy as np

from exercises.checks.engine_tasks import NAMES, engine_of, put_in

# Exercise 10: level 2's pieces -----------------------------------------------------------------
def tagged(model_parameters, named):
    """Each of the parameters() a module gave, by its name in `named` (identity), else "?"."""
    return [next((name for name, t in named.items() if t is p), "?") for p in model_parameters]


def exercise_10_linear(module, x, seed):
    import torch
    layer = module.Linear(x.shape[1], 3, np.random.default_rng(seed), np.float64)
    given = list(layer.parameters())
    single = module.Linear(x.shape[1], 3, np.random.default_rng(seed), np.float32)
    try:                                       # after the dtypes: a wrong one fails forward too
        out = layer(torch.from_numpy(x)).detach().numpy()
    except Exception as e:                     # noqa: BLE001 - said in words by the check
        out = f"{type(e).__name__}: {e}"
    return {"parameters": tagged(given, {"weight": layer.weight, "bias": layer.bias}),
            "weight": layer.weight.detach().numpy(), "bias": layer.bias.detach().numpy(),
            "requires_grad": [bool(p.requires_grad) for p in given],
            "bias_is_parameter": isinstance(getattr(layer, "bias", None), module.Parameter),
            "out": out,
            "float32": [str(single.weight.dtype).split(".")[-1],
                        str(single.bias.dtype).split(".")[-1]],
            "float64": [str(layer.weight.dtype).split(".")[-1],
                        str(layer.bias.dtype).split(".")[-1]]}


def indexed(model, i):
    """model[i], or None where the given __getitem__ finds nothing under str(i)."""
    try:
        return model[i]
    except (KeyError, IndexError):
        return None


def exercise_10_sequential(module, x, seed):
    import torch
    rng = np.random.default_rng(seed)
    first, second = module.Linear(x.shape[1], 4, rng, np.float64), module.Linear(4, 3, rng,
                                                                                np.float64)
    model = module.Sequential(first, module.Tanh(), second)
    named = {"first.weight": first.weight, "first.bias": first.bias,
             "second.weight": second.weight, "second.bias": second.bias}
    third = module.Linear(3, 2, rng, np.float64)
    nested = module.Sequential(model, module.Tanh(), third)          # a Sequential inside one
    return {"parameters": tagged(list(model.parameters()), named),
            "nested": tagged(list(nested.parameters()),
                             {**named, "third.weight": third.weight, "third.bias": third.bias}),
            "indexing": [indexed(model, 0) is first, indexed(model, 2) is second],
            "tanh": module.Tanh()(torch.from_numpy(x)).numpy(),
            "layers": [t.detach().numpy() for t in (first.weight, first.bias, second.weight,
                                                    second.bias)],
            "out": model(torch.from_numpy(x)).detach().numpy(),
            "mixed": mixed(module, third)}


def mixed(module, layer):
    """A Module given, by attribute, a parameter of its own, a module, a number, a tensor that
    needs no gradient, a result computed from a parameter (it requires grad, and is no
    Parameter), and then its own parameter again, replaced: what its parameters() gives, by
    name."""
    import torch
    own, other, again = (module.parameter(np.full(2, v)) for v in (0.0, 1.0, 2.0))
    holder = module.Module()
    holder.own = own
    holder.other = other
    holder.layer = layer
    holder.steps = 3                           # neither a parameter nor a module
    holder.batch = torch.zeros(2)              # a tensor that needs no gradient
    holder.cache = torch.tanh(other)           # requires grad, kept for later: no Parameter
    holder.own = again                         # the same name again: replaced, in its place
    return tagged(list(holder.parameters()), {"own": own, "other": other, "again": again,
                                              "batch": holder.batch, "cache": holder.cache,
                                              "weight": layer.weight, "bias": layer.bias})


def exercise_10_names(module, x, seed):
    """named_parameters() of the student's Sequential(Linear, Tanh, Linear), of one inside
    another, and of the Module of mixed(): the names, and whether the tensors are parameters()'s,
    in its order."""
    import torch
    rng = np.random.default_rng(seed)
    model = module.Sequential(module.Linear(x.shape[1], 4, rng, np.float64), module.Tanh(),
                              module.Linear(4, 3, rng, np.float64))
    nested = module.Sequential(model, module.Tanh(), module.Linear(3, 2, rng, np.float64))
    holder = module.Module()
    holder.own = module.parameter(np.zeros(2))
    holder.other = module.parameter(np.ones(2))
    holder.layer = module.Linear(2, 2, rng, np.float64)
    holder.batch = torch.zeros(2)
    holder.own = module.parameter(np.ones(2))

    def names(m):
        pairs = list(m.named_parameters())
        same = [p for name, p in pairs] == list(m.parameters()) and all(
            a is b for (name, a), b in zip(pairs, m.parameters()))
        return {"names": [str(name) for name, p in pairs], "same": bool(same)}
    return {"model": names(model), "nested": names(nested), "mixed": names(holder)}


def exercise_10_sgd(module, start, x, y, lr):
    """Two steps of level 3's network with the student's SGD: the parameters after each, their
    .grad after zero_grad(), and whether they stayed the same leaf tensors."""
    import torch
    import level3_autograd
    params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    tensors = list(params.values())
    optimizer = module.SGD((p for p in tensors), lr)   # a generator, as model.parameters() is
    out = {"after": [], "grad_after_zero": [], "same": [], "leaf": []}
    listed = module.SGD(tensors, lr)           # given a list: does zero_grad() clear then?
    z2, a = level3_autograd.forward(torch.from_numpy(x), params)
    level3_autograd.loss_fn(z2, torch.from_numpy(y)).backward()
    listed.zero_grad()
    out["list_clears"] = all(p.grad is None or not bool(p.grad.abs().sum()) for p in tensors)
    for p in tensors:
        p.grad = None
    out["around"] = []                         # what step() did around autograd
    for step in range(2):
        z2, a = level3_autograd.forward(torch.from_numpy(x), params)
        level3_autograd.loss_fn(z2, torch.from_numpy(y)).backward()
        with around_autograd(tensors, out["around"]):
            optimizer.step()
        out["after"].append({k: v.detach().numpy().copy() for k, v in params.items()})
        optimizer.zero_grad()
        out["grad_after_zero"].append([None if p.grad is None else p.grad.numpy().copy()
                                       for p in tensors])
        out["same"].append([p is q for p, q in zip(tensors, params.values())])
        out["leaf"].append([bool(p.is_leaf and p.requires_grad) for p in tensors])
    z2, a = level3_autograd.forward(torch.from_numpy(x), params)   # W1 left out, as a frozen
    level3_autograd.loss_fn(z2, torch.from_numpy(y)).backward()     # layer's is: .grad None
    tensors[0].grad = None
    before = [p.detach().numpy().copy() for p in tensors]
    try:
        optimizer.step()
        out["frozen"] = {"moved": [bool(np.any(p.detach().numpy() != b))
                                   for p, b in zip(tensors, before)]}
    except Exception as error:
        out["frozen"] = {"raised": f"{type(error).__name__}: {str(error)[:120]}"}
    return out


def around_autograd(params, noted):
    """A with block that notes in `noted` each `p.data` of a tensor of `params`: a change made
    through it is one autograd does not see (p.detach() shares p's version counter; p.data does
    not). PyTorch's torch-function mode sees it, as it sees every call on a tensor."""
    import torch
    from torch.overrides import TorchFunctionMode
    ids = {id(p) for p in params}

    class Noting(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func == torch.Tensor.data.__get__ and args and id(args[0]) in ids:
                noted.append("p.data")
            return func(*args, **(kwargs or {}))
    return Noting()


def exercise_10_momentum(module, start, batches, lr, momentum):
    """Level 3's network trained on `batches` with the student's SGD(params, lr, momentum), and
    the same with torch.optim.SGD, and with two of its variants that a student's rule may match
    (dampening=momentum, nesterov=True): the parameters after each step, for each."""
    import torch
    import level3_autograd
    out = {}
    variants = {"torch": {}, "dampening": {"dampening": momentum}, "nesterov": {"nesterov": True}}
    for who in ("yours", *variants):
        params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
        optimizer = (module.SGD(params.values(), lr, momentum=momentum) if who == "yours" else
                     torch.optim.SGD(params.values(), lr=lr, momentum=momentum, **variants[who]))
        out[who] = []
        for x, y in batches:
            z2, a = level3_autograd.forward(torch.from_numpy(x), params)
            level3_autograd.loss_fn(z2, torch.from_numpy(y)).backward()
            optimizer.step()
            optimizer.zero_grad()
            out[who].append({k: v.detach().numpy().copy() for k, v in params.items()})
    return out


class AdamRule:
    """Adam written out, with three rules a student's may follow instead of torch.optim.Adam's:
    no bias correction, eps inside the square root, one step count for all tensors (a tensor
    left out of a step still counted). Defaults: torch's rule. Only to name a mistake."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, corrected=True,
                 eps_inside=False, one_count=False):
        self.params, self.lr, self.betas, self.eps = list(params), lr, betas, eps
        self.corrected, self.eps_inside, self.one_count = corrected, eps_inside, one_count
        self.state, self.count = {}, 0

    def step(self):
        import torch
        b1, b2 = self.betas
        self.count += 1
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                t, m, v = self.state.get(i, (0, torch.zeros_like(p), torch.zeros_like(p)))
                t += 1
                m, v = b1 * m + (1 - b1) * p.grad, b2 * v + (1 - b2) * p.grad * p.grad
                n = self.count if self.one_count else t
                m_hat, v_hat = (m / (1 - b1 ** n), v / (1 - b2 ** n)) if self.corrected else (m, v)
                p -= self.lr * m_hat / ((v_hat + self.eps).sqrt() if self.eps_inside
                                        else v_hat.sqrt() + self.eps)
                self.state[i] = (t, m, v)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


ADAM_RULES = {"torch": {}, "uncorrected": {"corrected": False}, "eps_inside": {"eps_inside": True},
              "one_count": {"one_count": True}}


def exercise_10_adam(module, start, batches, lr, frozen):
    """Level 3's network trained on `batches` with the student's Adam(params, lr), with
    torch.optim.Adam's, and with AdamRule's other rules; before step `frozen` (from 1), W1's
    .grad is set to None, as a frozen layer's. The parameters after each step, for each; whether
    the student's zero_grad() cleared .grad; whether torch's own Adam ran inside the student's."""
    import importlib
    import torch
    import level3_autograd
    functional = importlib.import_module("torch.optim.adam")     # where Adam.step() does its sums
    out, used = {"cleared": []}, []
    for who in ("yours", *ADAM_RULES):
        params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
        optimizer = (module.Adam((p for p in params.values()), lr) if who == "yours" else
                     torch.optim.Adam(params.values(), lr=lr) if who == "torch" else
                     AdamRule(params.values(), lr, **ADAM_RULES[who]))
        out[who] = []
        for step, (x, y) in enumerate(batches, 1):
            z2, a = level3_autograd.forward(torch.from_numpy(x), params)
            level3_autograd.loss_fn(z2, torch.from_numpy(y)).backward()
            if step == frozen:
                params["W1"].grad = None
            if who == "yours":
                adam, functional.adam = functional.adam, (
                    lambda *args, **kwargs: used.append(1) or adam(*args, **kwargs))
                try:
                    optimizer.step()
                finally:
                    functional.adam = adam
            else:
                optimizer.step()
            optimizer.zero_grad()
            if who == "yours":
                out["cleared"].append(all(p.grad is None or not bool(p.grad.abs().sum())
                                          for p in params.values()))
            out[who].append({k: v.detach().numpy().copy() for k, v in params.items()})
    out["torch_adam_inside"] = bool(used)
    return out


def exercise_10_loader(module, n, batch_size, seed, shuffle, epochs):
    """The rows of each batch that the student's DataLoader gives, epoch after epoch, over a
    dataset whose x is the row number."""
    import torch
    rows = torch.arange(n, dtype=torch.float64).reshape(n, 1)
    labels = torch.zeros(n, 10, dtype=torch.float64)
    loader = module.DataLoader(module.TensorDataset(rows, labels), batch_size=batch_size,
                               shuffle=shuffle, generator=torch.Generator().manual_seed(seed))
    out = []
    for epoch in range(epochs):
        out.append([[int(r) for r in x.reshape(-1).tolist()] for x, y in loader])
    return out


def exercise_10_lockstep(module, data, config):
    """Level 2's train_step, unchanged, on the student's Sequential, Linear, Tanh, SGD and
    DataLoader: the model from np.random.default_rng(seed) (level 4's start), the batches in
    dataset order. The weights, as W1, b1, W2, b2."""
    import torch
    import level2_pytorch
    rng = np.random.default_rng(config["seed"])
    model = module.Sequential(module.Linear(784, config["hidden"], rng, np.float64), module.Tanh(),
                              module.Linear(config["hidden"], 10, rng, np.float64))
    first = weights_of(model)
    optimizer = module.SGD(model.parameters(), config["lr"])
    dataset = module.TensorDataset(torch.from_numpy(data["x_train"]),
                                   torch.from_numpy(data["y_train"]))
    for epoch in range(config["epochs"]):
        loader = module.DataLoader(dataset, batch_size=config["batch_size"], shuffle=False)
        for x, y in loader:
            level2_pytorch.train_step(model, optimizer, x, y)
    return {**weights_of(model), "start": first}


def exercise_10_engine(module, data, config):
    """The student's Sequential, Linear, Tanh and SGD with level 3½'s engine behind Parameter,
    parameter, tanh and no_grad, for this run only: level 3½'s loss, batches in dataset order, from level
    4's start (np.random.default_rng(seed)). Pieces that reach for PyTorch itself break here.
    The weights."""
    import level3b_own_autograd as level
    with put_in({module: tensor_library(level)}):
        rng = np.random.default_rng(config["seed"])
        model = module.Sequential(module.Linear(784, config["hidden"], rng, np.float64),
                                  module.Tanh(), module.Linear(config["hidden"], 10, rng,
                                                               np.float64))
        foreign = [f"the {which} Linear's {part} ({type(getattr(layer, part)).__module__}."
                   f"{type(getattr(layer, part)).__name__})"
                   for which, layer in (("first", model[0]), ("second", model[2]))
                   for part in ("weight", "bias")
                   if not isinstance(getattr(layer, part), level.Tensor)]
        if foreign:                            # made past the four names: PyTorch's still
            return {"foreign": foreign}
        if not list(model.parameters()):       # a Parameter not recognised as one
            return {"registered": 0}
        optimizer = module.SGD(model.parameters(), config["lr"])
        first = weights_of(model)
        x, y, b = data["x_train"], data["y_train"], config["batch_size"]
        for epoch in range(config["epochs"]):
            for i in range(0, len(x), b):
                level.loss_fn(model(level.Tensor(x[i:i + b])), level.Tensor(y[i:i + b])).backward()
                optimizer.step()
                optimizer.zero_grad()
    return {**weights_of(model), "start": first}


def tensor_library(engine):
    """Exercise 10's four names - Parameter, parameter, tanh, no_grad - on an engine of level
    3½'s kind: a Parameter is a Tensor of its own class that requires grad unless told not to,
    as nn.Parameter is PyTorch's."""
    class Parameter(engine.Tensor):
        def __init__(self, data, requires_grad=True):
            super().__init__(data, requires_grad)
    return dict(Parameter=Parameter, tanh=engine.tanh, no_grad=engine.no_grad,
                parameter=lambda a: Parameter(np.array(a)))


def weights_of(model):
    """W1, b1, W2, b2 of a Sequential(Linear, Tanh, Linear) of the student's, as NumPy copies."""
    layers = model[0], model[2]
    return {name: np.array(getattr(layer, part).data, copy=True)
            for name, (layer, part) in zip(NAMES, [(layers[0], "weight"), (layers[0], "bias"),
                                                   (layers[1], "weight"), (layers[1], "bias")])}


# Exercise 11: fit() ----------------------------------------------------------------------------
def over_level2(module, start, config):
    """Level 2's own model from `start`, float64, and the student's Model over it, compiled with
    level 2's loss (or Exercise 4's sum) and torch.optim.SGD (with config's momentum, if any):
    (the model, the Model)."""
    import torch
    import level2_pytorch
    from machinery import params_files
    model = level2_pytorch.build_model(start["W1"].shape[1], torch.float64)
    params_files.into_torch_model(model, start)
    trainer = module.Model(model)
    loss = level2_pytorch.loss_fn if config.get("loss") != "sum" else summed_loss
    trainer.compile(loss=loss, optimizer=torch.optim.SGD(
        model.parameters(), lr=config["lr"], momentum=config.get("momentum", 0.0)))
    return model, trainer


def exercise_11_fit(module, start, data, config, rng):
    """The student's Model over level 2's own model, loss and torch.optim.SGD (so that only fit()
    is the student's), from `start`: compile(), then fit(). The history and the weights."""
    from machinery import params_files
    model, trainer = over_level2(module, start, config)
    validation = (data["x_test"], data["y_test"]) if config.get("validation") else None
    history = trainer.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                          epochs=config["epochs"], shuffle=config["shuffle"],
                          rng=None if config.get("rng_none") else rng,
                          validation_data=validation)
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "weights": params_files.from_torch_model(model)}


def exercise_11_callbacks(module, start, data, config, stop_after):
    """The student's Model over level 2's own model, loss and torch.optim.SGD, from `start`, in
    dataset order with validation_data, for 2 * config["epochs"] epochs, with stop_training left
    set beforehand and two callbacks: the first notes each on_epoch_end(epoch, logs) and sets
    stop_training at epoch `stop_after`; the second notes them only. The notes, the history and
    the weights."""
    from machinery import params_files
    model, trainer = over_level2(module, start, config)
    trainer.stop_training = True               # left over from an earlier fit()
    seen = {"first": [], "second": []}

    class Noting(module.Callback):
        def __init__(self, name, stop):
            self.name, self.stop = name, stop

        def on_epoch_end(self, epoch, logs=None):
            seen[self.name].append([int(epoch), {str(k): float(v)
                                                 for k, v in dict(logs or {}).items()}])
            if self.stop is not None and epoch >= self.stop:
                trainer.stop_training = True

    history = trainer.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                          epochs=2 * config["epochs"], shuffle=False,
                          validation_data=(data["x_test"], data["y_test"]),
                          callbacks=[Noting("first", stop_after), Noting("second", None)])
    return {"seen": seen,
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "weights": params_files.from_torch_model(model)}


def exercise_11_batches(module, start, data, config, stop_at):
    """The student's Model over level 2's own model, loss and torch.optim.SGD, from `start`, in
    dataset order with validation_data, for 2 * config["epochs"] epochs, with a callback that
    notes each on_train_batch_end(batch, logs) and each on_epoch_end(epoch, logs), and sets
    stop_training at batch stop_at[1] of epoch stop_at[0]. The notes, the history and the
    weights."""
    from machinery import params_files
    model, trainer = over_level2(module, start, config)
    notes = []

    def plain(logs):
        return {str(k): float(v) for k, v in dict(logs or {}).items()}

    class Noting(module.Callback):
        epoch = 0

        def on_train_batch_end(self, batch, logs=None):
            notes.append(["batch", Noting.epoch, int(batch), plain(logs)])
            if [Noting.epoch, batch] == list(stop_at):
                trainer.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            notes.append(["epoch", int(epoch), None, plain(logs)])
            Noting.epoch = epoch + 1

    history = trainer.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                          epochs=2 * config["epochs"], shuffle=False,
                          validation_data=(data["x_test"], data["y_test"]), callbacks=[Noting()])
    return {"notes": notes,
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "weights": params_files.from_torch_model(model)}


def exercise_11_evaluate(module, start, data, config):
    """The student's Model over level 2's own model, loss and torch.optim.SGD, from `start`: fit()
    in dataset order, then evaluate() on the test set in batches of config["evaluate"] rows; then
    a Model over level 3½'s forward() from `start`, on its engine (its Tensor and no_grad behind
    as_tensor, as_array and no_grad), evaluate() again, the network noting each time it is
    called whether the engine records. The numbers, how far evaluate() moved the weights, and
    the notes."""
    from machinery import params_files
    import level3b_own_autograd as level
    model, trainer = over_level2(module, start, config)
    trainer.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                epochs=config["epochs"], shuffle=False)
    before = params_files.from_torch_model(model)
    found = trainer.evaluate(data["x_test"], data["y_test"], batch_size=config["evaluate"])
    after = params_files.from_torch_model(model)
    moved = max(float(np.abs(after[k] - before[k]).max()) for k in NAMES)
    params = {k: level.Tensor(np.array(v), requires_grad=True) for k, v in start.items()}
    recording = []

    def network(x):
        recording.append(bool(level.no_grad.recording))
        return level.forward(x, params)[0]
    with put_in({module: dict(as_tensor=level.Tensor, as_array=lambda t: np.asarray(t.data),
                              no_grad=level.no_grad)}):
        other = module.Model(network)
        other.compile(optimizer=None, loss=level.loss_fn)
        on_engine = other.evaluate(data["x_test"], data["y_test"], batch_size=config["evaluate"])
    return {"result": [float(v) for v in found], "moved": moved, "recording": recording,
            "engine": [float(v) for v in on_engine]}


def exercise_11_early(module, cases):
    """The student's EarlyStopping on each case - its settings and a run of the monitored
    number, fed epoch by epoch to on_epoch_end (with a model that only has stop_training) - and
    the epoch after which it set stop_training (None: never)."""
    class Held:
        stop_training = False
    stops = []
    for settings, values in cases:
        early, held = module.EarlyStopping(**settings), Held()
        early.model = held
        stop = None
        for epoch, value in enumerate(values):
            early.on_epoch_end(epoch, {settings.get("monitor", "val_loss"): value,
                                       "other": 0.0})
            if held.stop_training:
                stop = epoch
                break
        stops.append(stop)
    return stops


def exercise_11_early_fit(module, start, data, config):
    """The student's fit() over level 2's model with their EarlyStopping(monitor="loss",
    min_delta=1.0), 2 * config["epochs"] epochs: the epochs the history holds, and whether the
    callback was given .model."""
    model, trainer = over_level2(module, start, config)
    early = module.EarlyStopping(monitor="loss", min_delta=1.0)
    history = trainer.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                          epochs=2 * config["epochs"], shuffle=False, callbacks=[early])
    return {"epochs": len(history.history.get("loss", [])),
            "model": getattr(early, "model", None) is trainer}


def exercise_11_engine(module, start, data, config):
    """The student's Model over level 3½'s forward(), loss_fn and a plain SGD on its engine, with
    level 3½'s Tensor and no_grad put behind as_tensor, as_array and no_grad for this run: a
    fit() that reaches for PyTorch itself breaks here. The history and the weights."""
    import level3b_own_autograd as level
    params = {k: level.Tensor(np.array(v), requires_grad=True) for k, v in start.items()}

    with put_in({module: dict(as_tensor=level.Tensor, as_array=lambda t: np.asarray(t.data),
                              no_grad=level.no_grad)}):
        trainer = module.Model(lambda x: level.forward(x, params)[0])
        trainer.compile(optimizer=update(level, params, config["lr"]), loss=level.loss_fn)
        history = trainer.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                              epochs=config["epochs"], shuffle=False)
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "weights": {k: np.asarray(p.data) for k, p in params.items()}}


def summed_loss(z2, y):
    """Exercise 4's loss: binary cross-entropy summed over the 10 outputs, mean over the batch."""
    import torch
    return torch.mean(torch.sum(torch.logaddexp(torch.zeros_like(z2), z2) - y * z2, dim=1))


# The whole stack: 11 on 10 on 9 -----------------------------------------------------------------
def whole_stack(engine, pieces, fitting, data, config):
    """The student's fit() (Exercise 11) on their Linear, Tanh, Sequential and SGD (Exercise 10),
    computing on their engine (Exercise 9) with level 3½'s loss: each file's tensor library put
    in, for this run only. Where engine is None, level 3½'s engine stands in; where pieces is
    None, level 3½'s forward() and SGD update. The history and the weights."""
    from exercises import helpers
    if engine is None:
        import level3b_own_autograd as engine
    level = helpers.level_with("level3b_own_autograd", **engine_of(engine))
    swaps = {fitting: dict(as_tensor=engine.Tensor, as_array=lambda t: np.asarray(t.data),
                           no_grad=engine.no_grad)}
    if pieces is not None:
        swaps[pieces] = tensor_library(engine)
    with put_in(swaps):
        rng = np.random.default_rng(config["seed"])
        if pieces is not None:
            model = pieces.Sequential(pieces.Linear(784, config["hidden"], rng, np.float64),
                                      pieces.Tanh(), pieces.Linear(config["hidden"], 10, rng,
                                                                   np.float64))
            network, optimizer = model, pieces.SGD(model.parameters(), config["lr"])
        else:
            params = level.init_params(config["hidden"], rng, np.float64)
            network, optimizer = (lambda x: level.forward(x, params)[0]), update(level, params,
                                                                                   config["lr"])
        trainer = fitting.Model(network)
        trainer.compile(loss=level.loss_fn, optimizer=optimizer)
        history = trainer.fit(data["x_train"], data["y_train"], batch_size=config["batch_size"],
                              epochs=config["epochs"], shuffle=False)
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "weights": (weights_of(model) if pieces is not None else
                        {k: np.asarray(params[k].data) for k in NAMES})}


def update(level, params, lr):
    """Level 3½'s SGD update as an optimizer, with step() and zero_grad()."""
    class SGD:
        def step(self):
            with level.no_grad():
                for p in params.values():
                    p -= lr * p.grad

        def zero_grad(self):
            for p in params.values():
                p.grad = None
    return SGD()
