"""MNIST as files: the four canonical gzipped IDX files, read and checked; and fetching MNIST.

Every level can read the same four files from one folder (``--data-dir`` / ``MNIST_DIR``), so that
all of them see exactly the same arrays. Without that flag each level uses its framework's own
loader; the functions ``prefetch_*`` run that loader once beforehand, quietly, and turn its failure
into one clear line, so that the level's own call then finds the files in its cache.
"""

import contextlib
import gzip
import hashlib
import io
import math
import os
import urllib.error
import urllib.request
import zlib

import numpy as np

from machinery.errors import DataError

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
HINT = ("Put the four MNIST files ({}) in a folder and pass it with --data-dir DIR "
        "or the environment variable MNIST_DIR.").format(", ".join(FILES.values()))


def read_idx(path):
    """Read one gzipped IDX file into a NumPy array of unsigned bytes.

    An IDX file is a 4-byte magic number (two zero bytes, a type byte 0x08 for unsigned bytes,
    and the number of dimensions), one big-endian 32-bit size per dimension, then the data.
    """
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path} cannot be decompressed: it is truncated or not a gzip file "
                        f"({e}).") from None
    if len(raw) < 4:
        raise DataError(f"{path} is truncated: {len(raw)} bytes, too short for an IDX header.")
    magic = int.from_bytes(raw[:4], "big")
    ndim = raw[3]
    if raw[:3] != b"\x00\x00\x08" or ndim not in (1, 3):
        raise DataError(f"{path} has the wrong IDX magic number 0x{magic:08x}; MNIST files start "
                        "with 0x00000801 (labels) or 0x00000803 (images).")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its IDX header.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(shape)
    if len(raw) - header != expected:
        raise DataError(f"{path} has {len(raw) - header} data bytes, but its header says "
                        f"{' x '.join(map(str, shape))} = {expected}: the file is truncated "
                        "or corrupt.")
    return np.frombuffer(bytearray(raw), dtype=np.uint8, offset=header).reshape(shape)  # writable


def check_mnist(x_train, y_train, x_test, y_test):
    """Check that four arrays look like MNIST: images N x 28 x 28, N labels in 0..9."""
    for part, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.ndim != 3 or tuple(x.shape[1:]) != (28, 28):
            raise DataError(f"the {part} images have shape {tuple(x.shape)}; MNIST images "
                            "are N x 28 x 28.")
        if y.ndim != 1:
            raise DataError(f"the {part} labels have shape {tuple(y.shape)}; expected one "
                            "label per image.")
        if len(x) != len(y):
            raise DataError(f"there are {len(x)} {part} images but {len(y)} {part} labels; "
                            "the counts must agree.")
        if len(y) == 0:
            raise DataError(f"the {part} set is empty.")
        if int(y.max()) > 9 or int(y.min()) < 0:
            raise DataError(f"the {part} labels go from {int(y.min())} to {int(y.max())}; "
                            "digit labels must be 0-9.")


# Arrays read by machinery.shell before the framework loaded, for the first read after it.
_kept = {}


def read_dir(data_dir, convert=None, keep=False):
    """((train images, train labels), (test images, test labels)) from a folder, checked, as
    keras.datasets.mnist.load_data() returns them: uint8 arrays, images N x 28 x 28, labels N.
    `convert` (torch.from_numpy, say) is applied to each array. With `keep`, the arrays are also
    kept for the next call with the same folder, which then reads nothing."""
    key = os.path.abspath(data_dir)
    arrays = _kept.pop(key, None) or _read_dir(data_dir)
    if keep:
        _kept[key] = arrays
    arrays = [convert(a) if convert else a for a in arrays]
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])


def _read_dir(data_dir):
    if os.path.exists(data_dir) and not os.path.isdir(data_dir):
        raise DataError(f"--data-dir {data_dir} is a file, not a folder. {HINT}")
    if not os.path.isdir(data_dir):
        raise DataError(f"the data folder {data_dir} does not exist (--data-dir). {HINT}")
    missing = [f for f in FILES.values() if not os.path.isfile(os.path.join(data_dir, f))]
    if missing:
        raise DataError(f"{data_dir} lacks {', '.join(missing)}. {HINT}")
    arrays = [read_idx(os.path.join(data_dir, name)) for name in FILES.values()]
    for key, array in zip(FILES, arrays):
        want = 3 if key.endswith("images") else 1
        if array.ndim != want:
            raise DataError(f"{FILES[key]} holds a {array.ndim}-dimensional array; "
                            f"expected {want} dimensions.")
    check_mnist(*arrays)
    return arrays


CACHE_DIR = os.path.join(os.path.expanduser("~"), ".cache", "mnist-idx")   # levels 3½ and 4: MNIST_DIR
TORCHVISION_ROOT = os.path.join(os.path.expanduser("~"), ".cache", "torchvision")   # levels 2 and 3


MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"   # a mirror of the original files


def download(url=MNIST_URL, folder=CACHE_DIR):
    """Fetch the four MNIST .gz files from `url` into `folder` (only those not there yet), each
    to a temporary name first, so that a failed download leaves nothing half-written."""
    os.makedirs(folder, exist_ok=True)
    for name in FILES.values():
        path = os.path.join(folder, name)
        if os.path.exists(path):
            continue
        partial = path + ".part"
        try:
            urllib.request.urlretrieve(url + name, partial)
        except (urllib.error.URLError, OSError, ValueError) as e:
            if os.path.exists(partial):
                os.remove(partial)
            reason = getattr(e, "reason", e)
            raise DataError(f"could not download {url + name} ({reason}). " + HINT) from None
        os.replace(partial, path)
    return folder


# Keras keeps its download in ~/.keras/datasets/mnist.npz. If a file is there whose hash is wrong,
# Keras downloads it again - and deletes the file when that fails. Check first, and leave such a
# file alone.
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def keras_cache_path():
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "datasets", "mnist.npz")


def prefetch_keras():
    """Run keras.datasets.mnist.load_data() once, quietly, so that level 1's call reads its cache."""
    path = keras_cache_path()
    if os.path.exists(path):
        with open(path, "rb") as f:
            if hashlib.file_digest(f, "sha256").hexdigest() != KERAS_MNIST_SHA256:
                raise DataError(f"{path} is not the file Keras expects (its SHA-256 differs): "
                                "move it away so that Keras can download it again. " + HINT)
    import keras
    try:
        with contextlib.redirect_stdout(io.StringIO()):   # its download progress bar
            arrays = [a for pair in keras.datasets.mnist.load_data() for a in pair]
    except Exception as e:  # Keras raises a bare Exception for a failed download
        raise DataError(f"Keras could not download MNIST ({e}). " + HINT) from None
    check_mnist(*arrays)


def prefetch_torchvision(root):
    """Run torchvision's datasets.MNIST(root, download=True) once for each split, quietly."""
    from torchvision import datasets
    arrays = []
    for train in (True, False):
        try:
            with contextlib.redirect_stdout(io.StringIO()):   # its download log
                mnist = datasets.MNIST(root, train=train, download=True)
        except (RuntimeError, OSError) as e:
            reason = str(e).splitlines() or [""]               # it lists every mirror it tried
            raise DataError(f"torchvision could not download MNIST ({reason[0]} {reason[-1]}). "
                            + HINT) from None
        arrays += [mnist.data.numpy(), mnist.targets.numpy()]
    check_mnist(*arrays)
