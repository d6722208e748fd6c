"""Exercise 10's checks: Linear and Sequential (what parameters() returns, in which order), SGD
and Adam (step() and zero_grad()), the DataLoader's batches (shuffled from its generator; in dataset order
PyTorch's), the pieces on level 3½'s engine, and level 2's own train_step on the student's pieces,
in lockstep with level 2 itself.
"""

import numpy as np

import level4_numpy
from exercises import helpers
from exercises.checks.core import (EXACT, Failure, array, copy, how_they_moved, one_line, require,
                                   weights)
from exercises.checks.exact import exact_step, small_data, start_params

TITLE = "write level 2's abstractions"
CHILD = "torch"               # its functions run where PyTorch is (and TensorFlow is not)
LOCK10 = dict(hidden=24, rows=620, batch_size=50, lr=0.7, epochs=2)      # last batch: 20 rows
LINEAR = ["Module.__setattr__", "Module.parameters", "Linear.__init__", "Linear.forward"]
WRITE = LINEAR + ["Module.named_parameters", "Tanh.forward", "Sequential.__init__",
                  "Sequential.forward", "SGD.__init__", "SGD.step", "SGD.zero_grad",
                  "Adam.__init__", "Adam.step", "Adam.zero_grad", "DataLoader.__init__",
                  "DataLoader.__iter__"]                                # the student's functions


def run(ex):
    rng = np.random.default_rng(ex.seed)
    x = rng.normal(size=(5, 6))

    def linear():
        out = ex.task("exercise_10_linear", x, ex.seed)
        weight = level4_numpy.glorot_normal(6, 3, np.random.default_rng(ex.seed), np.float64)
        found = out.get("parameters")
        require(found == ["weight", "bias"],
                f"Linear(6, 3).parameters() gives {described(found)}, not [weight, bias]"
                + (": self.bias is no Parameter - how is the weight made?"
                   if found == ["weight"] and not out.get("bias_is_parameter") else
                   ": the bias is not registered - did it go through your __setattr__?"
                   if found == ["weight"] else
                   ": the weight is not registered - did it go through your __setattr__?"
                   if found == ["bias"] else
                   ": in which order does nn.Linear assign them?" if found == ["bias", "weight"]
                   else
                   ": does Module.__setattr__ register a Parameter?"
                   if not found else ""))
        require(all(out.get("requires_grad", [])), "a parameter does not require grad: how was "
                                                   "it made?")
        for dtype in ("float32", "float64"):
            found = out.get(dtype)
            require(found == [dtype, dtype], f"Linear(6, 3, rng, np.{dtype}) gives a weight and "
                    f"a bias of {' and '.join(map(str, found or ['?']))}, not {dtype} both: make "
                    f"both in the dtype given")
        mine = array(out.get("weight"), "weight")
        require(mine.shape == (6, 3), f"weight has shape {mine.shape}, not (6, 3): in_features x "
                                      f"out_features, as level 3's W1")
        require(np.abs(mine - weight).max() <= 1e-15,
                "weight does not start where level 4's W1 starts from the same rng: how does "
                "level 4's init_params draw W1, and does anything draw from rng before it?")
        require(np.all(array(out.get("bias"), "bias") == 0), "bias is not zeros")
        if isinstance(out.get("out"), str):
            raise Failure(f"Linear(6, 3)(x) raised {out['out'][:200]}")
        z = array(out.get("out"), "Linear(6, 3)(x)")
        require(z.shape == (5, 3) and np.abs(z - x @ weight).max() <= 1e-12,
                "Linear's forward is not x @ weight + bias")
        return "parameters() = [weight, bias], both leaves; forward x @ W + b; dtype as given"
    ex.check("Linear: its weight and bias, registered in order; forward; dtype", linear,
             needs=LINEAR)

    def sequential():
        out = ex.task("exercise_10_sequential", x, ex.seed)
        found = out.get("mixed")
        want = ["again", "other", "weight", "bias"]
        require(found == want,
                f"a Module m given m.own = a Parameter, m.other = a Parameter, m.layer = a "
                f"Linear, m.steps = 3, m.batch = a tensor without requires_grad, m.cache = "
                f"tanh(m.other) (it requires grad, and is no Parameter), then m.own = another "
                f"Parameter (again), gives {described(found)}, not {described(want)}"
                + (": cache is a result, not a parameter of the model - what makes a tensor a "
                   "parameter?" if "cache" in (found or []) and "batch" not in found else
                   ": register Parameters and modules only, a name assigned again replaces what "
                   "it held in its place, and its own parameters come first, then those of its "
                   "modules"))
        order = ["first.weight", "first.bias", "second.weight", "second.bias"]
        found = out.get("parameters")
        require(found == order, f"Sequential(first, Tanh(), second).parameters() gives "
                                f"{described(found)}, not {', '.join(order)}: its own (none), "
                                f"then each registered module's, in order"
                + (" - are its layers registered as its modules?"
                   if not found else ""))
        nested = order[:2] + order[2:] + ["third.weight", "third.bias"]
        found = out.get("nested")
        require(found == nested, f"Sequential(Sequential(first, Tanh(), second), Tanh(), third)"
                                 f".parameters() gives {described(found)}, not "
                                 f"{', '.join(nested)}: a registered module's parameters are "
                                 f"all of its own parameters(), modules inside it included")
        require(out.get("indexing") == [True, True],
                "model[0] and model[2] are not the first and third layers: the given "
                "__getitem__ looks in _modules, under \"0\", \"1\", ...")
        t = array(out.get("tanh"), "Tanh()(x)")
        require(np.abs(t - np.tanh(x)).max() <= 1e-15, "Tanh() does not give tanh(x)")
        w1, b1, w2, b2 = [array(a, "a layer's parameter") for a in out.get("layers", [])]
        z = array(out.get("out"), "the model's output")
        require(z.shape == (5, 3) and np.abs(z - (np.tanh(x @ w1 + b1) @ w2 + b2)).max() <= 1e-12,
                "Sequential's forward is not the layers one after the other")
        return ("parameters() in the layers' order, a Sequential inside one too; only parameters "
                "and modules registered, a name assigned again replaced; forward through each "
                "layer")
    ex.check("Sequential: the layers' parameters in order, nested too; what a module registers; "
             "forward; Tanh", sequential,
             needs=LINEAR + ["Tanh.forward", "Sequential.__init__", "Sequential.forward"])

    def names():
        import torch
        out = ex.task("exercise_10_names", x, ex.seed)
        require(isinstance(out, dict), "named_parameters() gave nothing")
        linear = lambda i, o: torch.nn.Linear(i, o)           # noqa: E731 - PyTorch's names
        model = torch.nn.Sequential(linear(6, 4), torch.nn.Tanh(), linear(4, 3))
        holder = torch.nn.Module()
        holder.own = torch.nn.Parameter(torch.zeros(2))
        holder.other = torch.nn.Parameter(torch.zeros(2))
        holder.layer = linear(2, 2)
        holder.own = torch.nn.Parameter(torch.ones(2))
        want = {"model": ("Sequential(Linear, Tanh(), Linear)", model),
                "nested": ("Sequential(that Sequential, Tanh(), Linear)",
                           torch.nn.Sequential(model, torch.nn.Tanh(), linear(3, 2))),
                "mixed": ("m (the module of the Sequential check)", holder)}
        for key, (what, theirs) in want.items():
            found = out.get(key, {})
            expected = [name for name, p in theirs.named_parameters()]
            require(found.get("names") == expected,
                    f"{what}.named_parameters() names {found.get('names')}, nn.Module's "
                    f"{expected}")
            require(found.get("same"), f"{what}.named_parameters() does not give the tensors of "
                                       f"its parameters(), in the same order")
        return (f"the names as nn.Module's ({', '.join(out['nested']['names'])} for the nested "
                f"one), the tensors as parameters()")
    ex.check("named_parameters(): each parameter under its dotted name, as nn.Module's", names,
             needs=LINEAR + ["Module.named_parameters", "Tanh.forward", "Sequential.__init__"])

    def sgd():
        params, xb, yb = helpers.check_batch(hidden=7, rows=6, seed=ex.seed)
        lr = 0.3
        from exercises.checks import remote
        try:
            out = ex.task("exercise_10_sgd", params, xb, yb, lr)
        except remote.StudentError as e:
            if "leaf Variable that requires grad is being used in an in-place" in str(
                    e.info.get("message", "")):
                raise Failure("step() raised PyTorch's \"a leaf Variable that requires grad is "
                              "being used in an in-place operation\": autograd would record the "
                              "update as part of the model - what keeps it out?") from None
            raise
        first = exact_step(params, xb, yb, lr)
        second = exact_step(first, xb, yb, lr)
        after = out.get("after", [])
        require(len(after) == 2, "no parameters after the steps")
        moved = helpers.max_abs_difference(weights(after[0], "the parameters"), params)
        require(moved > 0, "after step() the parameters are unchanged: which tensors did it "
                           "change - the model's, or new ones under the same name?")
        diff = helpers.max_abs_difference(weights(after[0], "the parameters after step()"), first)
        require(diff <= 1e-12, f"after one step() the parameters are {diff:.1e} from "
                               f"theta - lr dL/dtheta")
        for k, grads in enumerate(out.get("grad_after_zero", [])):
            left = [name for name, g in zip(("W1", "b1", "W2", "b2"), grads)
                    if g is not None and np.any(np.asarray(g) != 0)]
            one_shot = (" (given a list, your zero_grad() clears them: the checker hands SGD "
                        "its parameters as a generator, as model.parameters() is, and one pass "
                        "over a generator uses it up - what does your SGD keep of it?)"
                        if out.get("list_clears") else "")
            require(not left, f"after zero_grad(), the .grad of {', '.join(left)} still holds "
                              f"the last gradient: the next backward() adds to it{one_shot}")
        require(all(all(s) for s in out.get("same", [])),
                "step() replaced the tensors, and the model still holds the old ones: how can "
                "a step change a tensor rather than make a new one?")
        require(all(all(s) for s in out.get("leaf", [])),
                "after step() a parameter is no longer a leaf that requires grad: autograd "
                "recorded the update as part of the model - what keeps it out?")
        require(not out.get("around"),
                "step() reached the parameters through p.data, which autograd does not see: a "
                "change made through it leaves p's version counter as it was, so a graph that "
                "saved p's old value computes a wrong gradient silently where PyTorch would "
                "raise. What does torch.optim.SGD's own step() use (torch/optim/sgd.py)?")
        diff = helpers.max_abs_difference(weights(after[1], "the parameters after two steps"),
                                          second)
        stuck = helpers.max_abs_difference(weights(after[1], "the parameters"), first) == 0
        require(diff <= 1e-12, f"after a second step() the parameters are {diff:.1e} from two "
                               f"plain SGD steps" + (
                                   ": the second step() changed nothing. The checker gave SGD "
                                   "its parameters as a generator, as model.parameters() may "
                                   "be, and a generator runs out after one pass: what does your "
                                   "SGD keep of it?"
                                   if stuck else ""))
        frozen = out.get("frozen") or {}
        require(not frozen.get("raised"),
                f"with W1's .grad None (as a frozen layer's, or a parameter the loss does not "
                f"reach), step() raised {frozen.get('raised')}: what does torch.optim.SGD's "
                f"step() do with such a parameter?")
        require(frozen.get("moved") == [False, True, True, True],
                f"with W1's .grad None (a frozen layer's), step() moved "
                f"{[n for n, m in zip(('W1', 'b1', 'W2', 'b2'), frozen.get('moved') or []) if m]}"
                f", not b1, W2 and b2: what does torch.optim.SGD's step() do with W1?")
        return ("two steps as theta - lr dL/dtheta; .grad cleared between them; leaves, in "
                "place; a parameter whose .grad is None left as it is")
    ex.check("SGD: step() changes the parameters in place, leaves still, and leaves alone one whose "
             ".grad is None; zero_grad() clears .grad", sgd,
             needs=["SGD.__init__", "SGD.step", "SGD.zero_grad"])

    def momentum():
        params, xb, yb = helpers.check_batch(hidden=7, rows=12, seed=ex.seed + 1)
        batches = [(xb[i:i + 4], yb[i:i + 4]) for i in (0, 4, 8, 0)]
        from exercises.checks import remote
        try:
            out = ex.task("exercise_10_momentum", params, batches, 0.3, 0.9)
        except remote.StudentError as e:
            if "shape" in str(e.info.get("message", "")):
                raise Failure(f"with momentum, step() raised {e.info.get('type')}: "
                              f"{one_line(e.info.get('message', ''), 120)}: one tensor's "
                              f"velocity met another's shape - how many velocities does SGD "
                              f"keep?") from None
            raise
        require(isinstance(out, dict) and len(out.get("yours", [])) == len(batches),
                "SGD(momentum=0.9) gave no parameters after its steps")
        for step, (mine, theirs) in enumerate(zip(out["yours"], out["torch"]), 1):
            diff = helpers.max_abs_difference(weights(mine, "the parameters"), theirs)
            for variant, words in (("dampening", "dampening=0.9: v <- 0.9 v + (1 - 0.9) g"),
                                   ("nesterov", "nesterov=True")):
                runs = out.get(variant) or []
                if diff > 1e-12 and len(runs) == len(out["yours"]) and all(
                        helpers.max_abs_difference(weights(m, "the parameters"), r) <= 1e-12
                        for m, r in zip(out["yours"], runs)):
                    raise Failure(f"with momentum 0.9, your {len(runs)} steps are those of "
                                  f"torch.optim.SGD(..., {words}), not of its default: read "
                                  f"its rule in torch/optim/sgd.py - what does the default do "
                                  f"with the new gradient?")
            if diff > 1e-12:
                moved = helpers.max_abs_difference(weights(mine, "the parameters"),
                                                   params if step == 1 else out["torch"][step - 2])
                raise Failure(f"with momentum 0.9, after step {step} of {len(batches)} your "
                              f"parameters are {diff:.2e} from torch.optim.SGD's"
                              + (" (step 1 moved nothing)" if step == 1 and moved == 0 else "")
                              + (": every step before agrees - what does a step carry over from "
                                 "the ones before, and for which tensor?" if step > 1 else
                                 ": what is the velocity of a parameter at its first step, in "
                                 "torch.optim.SGD?"))
        return f"{len(batches)} steps as torch.optim.SGD(momentum=0.9)'s, within 1e-12"
    ex.check("SGD with momentum: four steps as torch.optim.SGD(params, lr, momentum=0.9)",
             momentum, needs=["SGD.__init__", "SGD.step", "SGD.zero_grad"])

    def adam():
        params, xb, yb = helpers.check_batch(hidden=7, rows=12, seed=ex.seed + 2)
        batches = [(xb[i:i + 4], yb[i:i + 4]) for i in (0, 4, 8, 0, 4)]
        frozen = 3                                   # W1's .grad None before this step
        from exercises.checks import remote
        try:
            out = ex.task("exercise_10_adam", params, batches, 0.01, frozen)
        except remote.StudentError as e:
            message = str(e.info.get("message", ""))
            if "NoneType" in message:
                raise Failure(f"step() raised {e.info.get('type')}: {one_line(message, 120)}: "
                              f"at step {frozen} W1's .grad was None, as a frozen layer's is - "
                              f"what does torch.optim.Adam's step() do with such a "
                              f"tensor?") from None
            raise
        require(isinstance(out, dict) and len(out.get("yours", [])) == len(batches),
                "Adam gave no parameters after its steps")
        require(not out.get("torch_adam_inside"),
                "your step() runs torch.optim.Adam's own step: the exercise is to write its "
                "rule - what does _single_tensor_adam in torch/optim/adam.py compute?")

        def apart(runs, other):
            return max(helpers.max_abs_difference(weights(m, "the parameters"), r)
                       for m, r in zip(runs, other))
        yours, theirs = out["yours"], out["torch"]
        rules = (("uncorrected", "Adam's without the bias correction: m and v start at 0, so "
                                 "after step 1 they are (1 - 0.9) g and (1 - 0.999) g^2 - what "
                                 "does torch.optim.Adam divide them by, and why?"),
                 ("eps_inside", "Adam's with eps inside the square root, sqrt(v^ + eps): where "
                                "does torch.optim.Adam add eps?"),
                 ("one_count", f"Adam's with one step count for all tensors: W1 had no "
                               f"gradient at step {frozen} and took no step - whose count does "
                               f"its bias correction use?"))
        for step, (mine, exact) in enumerate(zip(yours, theirs), 1):
            diff = helpers.max_abs_difference(weights(mine, "the parameters"), exact)
            if diff <= 1e-12:
                continue
            for rule, words in rules:
                runs = out.get(rule) or []
                if len(runs) == len(yours) and apart(yours, runs) <= 1e-12:
                    raise Failure(f"your {len(yours)} steps are those of {words}")
            before = params if step == 1 else yours[step - 2]
            if step == frozen and np.any(mine["W1"] != before["W1"]):
                raise Failure(f"at step {frozen} W1's .grad was None (a frozen layer's) and your "
                              f"step() moved W1: what does torch.optim.Adam's step() do with "
                              f"such a tensor?")
            require(helpers.max_abs_difference(weights(mine, "the parameters"), before) > 0,
                    f"step {step} moved no parameter{' (step 1 did)' if step > 1 else ''}. The "
                    f"checker gave Adam its parameters as a generator, as model.parameters() "
                    f"is, and one pass over a generator uses it up: what does your Adam keep of "
                    f"it?")
            require(all(out.get("cleared", [])[:step - 1]),
                    "after zero_grad(), a .grad still holds the last gradient: the next "
                    "backward() adds to it")
            raise Failure(f"after step {step} of {len(batches)} your parameters are {diff:.2e} "
                          f"from torch.optim.Adam's" + (
                              ": what are m and v after a first step from zero, and what does "
                              "torch.optim.Adam do with them?" if step == 1 else
                              ": every step before agrees - what does a step carry over from "
                              "the ones before, and for which tensor?"))
        return (f"{len(batches)} steps as torch.optim.Adam(params, lr=0.01)'s, within 1e-12, "
                f"W1 without a gradient at step {frozen}")
    ex.check("Adam: five steps as torch.optim.Adam(params, lr=0.01), one with a tensor whose .grad "
             "is None", adam, needs=["Adam.__init__", "Adam.step", "Adam.zero_grad"])

    def loader():
        import torch
        from torch.utils.data import DataLoader, TensorDataset
        n, batch, seed = 23, 5, ex.seed % 10007
        found = ex.task("exercise_10_loader", n, batch, seed, True, 3)
        again = ex.task("exercise_10_loader", n, batch, seed, True, 3)
        other = ex.task("exercise_10_loader", n, batch, seed + 1, True, 3)
        for run in (found, again, other):
            require(isinstance(run, list) and len(run) == 3, "no batches")
        rows = torch.arange(n)
        plain = ex.task("exercise_10_loader", n, batch, seed, False, 1)
        pytorch = [[b.tolist() for b, in DataLoader(TensorDataset(rows), batch_size=batch)]]
        if plain != pytorch:
            sizes = [len(b) for b in plain[0]] if plain and isinstance(plain[0], list) else "?"
            raise Failure(f"with shuffle=False the batches hold {sizes} rows, "
                          f"{[len(b) for b in pytorch[0]]} in PyTorch's DataLoader"
                          + (": the last, shorter batch is missing - a DataLoader hands out the "
                             "rows that remain too" if plain == [pytorch[0][:-1]] else
                             f"; its batches are the rows in dataset order, [0..{batch - 1}], "
                             f"[{batch}..{2 * batch - 1}]..., yours {plain[0][:2]}..."))
        for epoch, mine in enumerate(found, 1):
            sizes = [len(b) for b in mine]
            if sorted(sum(mine, [])) != list(range(n)) or sizes != [len(b) for b in plain[0]]:
                raise Failure(f"epoch {epoch}'s batches hold rows {sorted(sum(mine, []))} in "
                              f"batches of {sizes}: each of the {n} rows once, in batches of "
                              f"{batch}, the last one {n % batch}")
            if mine == plain[0]:
                raise Failure(f"epoch {epoch} with shuffle=True is in dataset order")
            if epoch > 1 and mine == found[0]:
                raise Failure(f"epoch {epoch} repeats epoch 1's order: when, and how often, is "
                              f"the order drawn?")
        require(found == again, "two loaders given generators seeded alike gave different "
                                "batches: is the order drawn from the generator you were given, "
                                "and from nothing else?")
        require(found != other, "generators seeded differently gave the same batches: the "
                                "order does not come from the generator")
        return (f"{n} rows, batches of {batch}, 3 epochs: each row once per epoch, a new order "
                f"each, the same again for a generator seeded alike")
    ex.check("DataLoader: each epoch's rows in batches, shuffled afresh from the generator; "
             "dataset order without shuffle", loader,
             needs=["DataLoader.__init__", "DataLoader.__iter__"])

    def engine():
        config = dict(LOCK10, seed=ex.seed % 1000)
        (x_train, y_train), _ = small_data(config["rows"], 10, seed=ex.seed % 991)
        from exercises.checks import remote
        try:
            out = ex.task("exercise_10_engine", {"x_train": x_train, "y_train": y_train}, config)
        except remote.StudentError as e:
            advice = (". The checker put level 3½'s engine behind Parameter, parameter, tanh "
                      "and no_grad: in Module, Linear, Tanh, Sequential and SGD compute only "
                      "with those, @, +, a number times a tensor, -= and .grad = None"
                      if e.info.get("type") in ("TypeError", "AttributeError") else "")
            raise Failure(f"on level 3½'s engine, your pieces raised {e.info.get('type')}: "
                          f"{one_line(e.info.get('message', ''), 160)}{advice}") from None
        foreign = out.get("foreign") if isinstance(out, dict) else None
        require(not foreign, f"on level 3½'s engine, {', '.join(foreign or [])} "
                             f"{'is' if len(foreign or []) == 1 else 'are'} not the engine's "
                             f"tensors: the checker put the engine behind Parameter, parameter, "
                             f"tanh and no_grad - how were they made?")
        require(not isinstance(out, dict) or out.get("registered") != 0,
                "on level 3½'s engine, model.parameters() gives nothing: the checker put the "
                "engine behind Parameter, parameter, tanh and no_grad - how does your Module "
                "tell a parameter?")
        mine = weights(out, "the engine's weights")
        start = start_params(config["hidden"], config["seed"])
        starts_apart(out, start)
        exact = copy(start)
        for epoch in range(config["epochs"]):
            level4_numpy.train_epoch(exact, x_train, y_train, config["batch_size"], config["lr"],
                                     None, shuffle=False)
        diff = helpers.max_abs_difference(mine, exact)
        require(diff <= EXACT, f"on level 3½'s engine, your pieces end {diff:.2e} from level 4; "
                               f"the lockstep wants <= {EXACT:g}. "
                + how_they_moved(mine, exact, start, "level 4's"))
        return f"largest |dW| from level 4 {diff:.1e}"
    ex.check("your pieces on another tensor library: level 3½'s engine behind the four names "
             "(float64, dataset order)", engine,
             needs=LINEAR + ["Tanh.forward", "Sequential.__init__", "Sequential.forward",
                             "SGD.__init__", "SGD.step", "SGD.zero_grad"])

    def lockstep():
        import torch
        import level2_pytorch
        from machinery import params_files
        config = dict(LOCK10, seed=ex.seed % 1000)
        (x_train, y_train), _ = small_data(config["rows"], 10, seed=ex.seed % 991)
        out = ex.task("exercise_10_lockstep", {"x_train": x_train, "y_train": y_train}, config)
        mine = weights(out, "your model's weights")
        start = start_params(config["hidden"], config["seed"])
        starts_apart(out, start)
        model = level2_pytorch.build_model(config["hidden"], torch.float64)
        params_files.into_torch_model(model, start)
        optimizer = torch.optim.SGD(model.parameters(), lr=config["lr"])
        for epoch in range(config["epochs"]):
            level2_pytorch.train_epoch(model, optimizer, torch.from_numpy(x_train),
                                       torch.from_numpy(y_train), config["batch_size"],
                                       None, False)
        exact = params_files.from_torch_model(model)
        diff = helpers.max_abs_difference(mine, exact)
        require(diff <= EXACT, f"level 2's train_step on your pieces ends {diff:.2e} from level 2 "
                               f"itself; the lockstep wants <= {EXACT:g}. "
                + how_they_moved(mine, exact, start, "level 2's"))
        return f"largest |dW| from level 2 {diff:.1e}"
    ex.check(f"level 2's train_step on your pieces, in lockstep with level 2 (float64, "
             f"{LOCK10['rows']} rows, batch {LOCK10['batch_size']}, H {LOCK10['hidden']}, lr "
             f"{LOCK10['lr']:g}, {LOCK10['epochs']} epochs, dataset order)", lockstep,
             needs=LINEAR + ["Tanh.forward", "Sequential.__init__", "Sequential.forward",
                             "SGD.__init__", "SGD.step", "SGD.zero_grad", "DataLoader.__init__",
                             "DataLoader.__iter__"])


def starts_apart(out, start):
    """A Failure when the student's model did not start from level 4's weights: then how far the
    training moved says nothing about the steps."""
    first = weights(out.get("start"), "your model's first weights")
    apart = helpers.max_abs_difference(first, start)
    require(apart == 0, f"your model starts {apart:.2e} from level 4's start: " + (
        "rounding only - a Linear of yours keeps its numbers in another dtype than the float64 "
        "asked for" if apart < 1e-6 else
        "a Linear of yours draws its weight otherwise than level 4 draws W1 and W2 (the same "
        "rng, one after the other)"))


def described(found):
    return "nothing" if not found else "[" + ", ".join(map(str, found)) + "]"
