"""--init-from and --save-weights: the parameters W1, b1, W2, b2 in an .npz file, checked.

The file layout is the scripts' notation: W1 is 784 x H, b1 is H, W2 is H x 10, b2 is 10, so that
h = tanh(x W1 + b1) and a = sigmoid(h W2 + b2). PyTorch's nn.Linear stores the transpose of W;
into_torch_model() and from_torch_model() convert. The names and shapes are common.py's
(PARAM_NAMES, param_shapes), handed in as `common`.
"""

import zipfile
import zlib

import numpy as np

from machinery import atomic
from machinery.errors import UserError


# Parameters read by machinery.shell before the framework loaded, for the first read after it.
_kept = {}


def load(args, common, convert=None, keep=False):
    """W1, b1, W2, b2 from the file --init-from, as NumPy arrays of --dtype, every value checked,
    each passed through `convert` if given (torch.from_numpy: as tensors). With `keep`, they are
    also kept for the next call, which then reads nothing."""
    key = (args.init_from, args.hidden, args.dtype)
    result = _kept.pop(key, None) or _load(args, common)
    if keep:
        _kept[key] = result
    return {name: convert(array) for name, array in result.items()} if convert else result


def _load(args, common):
    path, dtype = args.init_from, np.dtype(args.dtype)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise UserError(f"--init-from {path}: not a readable .npz file ({e}).") from None
    result = {}
    for name, shape in common.param_shapes(args.hidden).items():
        if name not in arrays:
            raise UserError(f"--init-from {path} has no array {name} (it has "
                            f"{', '.join(sorted(arrays)) or 'none'}); {name} must have "
                            f"shape {shape}.")
        array = arrays[name]
        if array.shape != shape:
            raise UserError(f"--init-from {path}: {name} has shape {array.shape}, "
                            f"but a model with --hidden {args.hidden} needs {name} of shape {shape}.")
        if array.dtype.kind not in "fiu":
            raise UserError(f"--init-from {path}: {name} holds {array.dtype} values; parameters "
                            "must be real numbers (floating point or integer).")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = array[~np.isfinite(array)]
            raise UserError(f"--init-from {path}: {name} holds {bad.size} values that are not "
                            f"finite numbers (e.g. {bad[0]}); every parameter must be finite.")
        with np.errstate(over="ignore"):
            converted = array.astype(dtype)
        if not np.isfinite(converted).all():
            raise UserError(f"--init-from {path}: {name} holds values too large for {dtype} "
                            f"(largest |value| {np.abs(array).max():.3g}, {dtype} holds up to "
                            f"{np.finfo(dtype).max:.3g}).")
        result[name] = converted
    return result


def as_numpy(value):
    """A NumPy array from a NumPy array or a (CPU or GPU, tracked or not) torch tensor."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def save(path, params):
    """Write {name: parameter} (W1, b1, W2, b2 as NumPy arrays or torch tensors, file layout) to
    an .npz file, whole or not at all."""
    with atomic.replace(path) as f:
        np.savez(f, **{name: as_numpy(value) for name, value in params.items()})


def into_torch_model(model, params):
    """Copy W1, b1, W2, b2 (file layout) into level 2's nn.Sequential; nn.Linear keeps W^T."""
    import torch
    model.load_state_dict({"0.weight": torch.from_numpy(params["W1"].T.copy()),
                           "0.bias": torch.from_numpy(params["b1"]),
                           "2.weight": torch.from_numpy(params["W2"].T.copy()),
                           "2.bias": torch.from_numpy(params["b2"])})


def from_torch_model(model):
    """W1, b1, W2, b2 in the file layout from level 2's nn.Sequential."""
    state = model.state_dict()
    return {"W1": as_numpy(state["0.weight"]).T, "b1": as_numpy(state["0.bias"]),
            "W2": as_numpy(state["2.weight"]).T, "b2": as_numpy(state["2.bias"])}
