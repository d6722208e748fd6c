"""A level file, driven from outside: what the shell run and the instruments need of a level
that its lesson does not say.

A level file holds its lesson: main() loads MNIST the level's own way, draws a random start,
trains, prints each epoch with common.print_epoch(), and returns the trained model. What a run
from the shell adds is done here, by putting one of the level's functions or variables in place
for the run (each a context manager; afterwards the level is as it was):

  data_from(level, DIR)      --data-dir: load_data() reads the four MNIST files of DIR (level 1:
                             keras.datasets.mnist.load_data; levels 2 and 3: their mnist();
                             levels 3½ and 4: their MNIST_DIR)
  start_from(level, params)  --init-from: the model starts from these weights (the level's own
                             random draw still happens first, and the shuffling follows it)
  on_device(level, device)   --device: levels 2 and 3 get their data and their weights there
  training_starts(level, f)  f() is called as training starts (the first epoch's clock)

and weights(level, trained) reads what main() returned in the file layout (--save-weights).
A level is told apart by what it defines, so that a copy of one under another name works too.
"""

import contextlib
import os

from machinery import mnist_files, params_files

NAMES = ("W1", "b1", "W2", "b2")               # common.PARAM_NAMES: Keras's order of the weights


def name(level):
    """The level's file name without .py (level4_numpy)."""
    return os.path.splitext(os.path.basename(level.__file__))[0]


def framework(level):
    """"keras", "torch" or "numpy": what the level computes with."""
    return "keras" if hasattr(level, "keras") else "torch" if hasattr(level, "torch") else "numpy"


def model_maker(level):
    """The name of the function that makes the level's model: build_model (levels 1 and 2, whose
    framework holds the weights in layers) or init_params (the others, which hold them in a dict)."""
    return "build_model" if hasattr(level, "build_model") else "init_params"


@contextlib.contextmanager
def replaced(owner, attribute, value):
    """Within it, owner.attribute is `value`; afterwards it is what it was."""
    before = getattr(owner, attribute)
    setattr(owner, attribute, value)
    try:
        yield
    finally:
        setattr(owner, attribute, before)


def after(owner, attribute, then):
    """Within it, the function owner.attribute returns then(what it returned)."""
    function = getattr(owner, attribute)
    return replaced(owner, attribute, lambda *args, **kwargs: then(function(*args, **kwargs)))


def before(owner, attribute, first):
    """Within it, the function owner.attribute calls first() before it starts."""
    function = getattr(owner, attribute)

    def call(*args, **kwargs):
        first()
        return function(*args, **kwargs)
    return replaced(owner, attribute, call)


def training_starts(level, start):
    """Within it, start() is called as the level's training starts: as its first epoch starts
    (train_epoch), or at level 1, once its model is compiled, as fit() is next."""
    if hasattr(level, "train_epoch"):
        return before(level, "train_epoch", start)
    return after(level, "compile_model", lambda nothing: start())


def data_from(level, data_dir):
    """Within it, level.load_data() reads the four MNIST files of `data_dir` (nothing changes when
    it is None: the level's own loader then reads, or downloads, them)."""
    if data_dir is None:
        return contextlib.nullcontext()
    if framework(level) == "keras":            # keras.datasets.mnist.load_data() returns these
        return replaced(level.keras.datasets.mnist, "load_data",
                        lambda: mnist_files.read_dir(data_dir))
    if framework(level) == "torch":            # the level's mnist(), torchvision's, returns these
        return replaced(level, "mnist", lambda: mnist_files.read_dir(data_dir, level.torch.from_numpy))
    return replaced(level, "MNIST_DIR", data_dir)


def load_data(level, data_dir, limit, dtype):
    """level.load_data(limit, dtype), from the files of `data_dir` if given: they are read and
    checked first, so that a missing or broken file is one clear message (a DataError)."""
    if data_dir is not None:
        mnist_files.read_dir(data_dir, keep=framework(level) != "numpy")
    with data_from(level, data_dir):
        return level.load_data(limit, dtype)


def start_from(level, params):
    """Within it, the model the level makes starts from `params` (W1, b1, W2, b2 as NumPy arrays
    of the run's dtype, file layout), put in after the level's own random draw."""
    holder = kind(level)
    if holder == "keras":
        def put(model):
            model.set_weights([params[k] for k in NAMES])
            return model
    elif holder == "nn":
        def put(model):
            params_files.into_torch_model(model, params)   # nn.Linear keeps W^T
            return model
    elif holder == "torch":
        def put(drawn):
            return {k: level.torch.from_numpy(params[k].copy()).requires_grad_() for k in drawn}
    elif holder == "engine":
        def put(drawn):
            return {k: level.Tensor(params[k].copy(), requires_grad=True) for k in drawn}
    else:
        def put(drawn):
            return {k: params[k].copy() for k in drawn}
    return after(level, model_maker(level), put)


def on_device(level, device):
    """Within it, a PyTorch level's data and weights are on `device`: PyTorch runs each operation
    where its tensors are, so nothing else in the level changes."""
    stack = contextlib.ExitStack()
    stack.enter_context(after(level, "load_data", lambda sets: tuple(
        tuple(t.to(device) for t in pair) for pair in sets)))
    if kind(level) == "nn":
        stack.enter_context(after(level, "build_model", lambda model: model.to(device)))
    else:                                      # leaves again, on the device
        stack.enter_context(after(level, "init_params", lambda params: {
            k: p.detach().to(device).requires_grad_() for k, p in params.items()}))
    return stack


def kind(level):
    """"keras" (level 1), "nn" (level 2), "torch" (level 3), "engine" (level 3½) or "numpy"
    (level 4): how the level holds its weights."""
    if framework(level) == "keras":
        return "keras"
    if framework(level) == "torch":
        return "nn" if hasattr(level, "build_model") else "torch"
    return "engine" if hasattr(level, "Tensor") else "numpy"


def weights(level, trained):
    """W1, b1, W2, b2 in the file layout, as NumPy arrays, from what level.main() returned."""
    holder = kind(level)
    if holder == "keras":
        return dict(zip(NAMES, trained.get_weights()))
    if holder == "nn":
        return params_files.from_torch_model(trained)
    if holder == "engine":
        return {k: trained[k].data for k in NAMES}
    return {k: params_files.as_numpy(trained[k]) for k in NAMES}
