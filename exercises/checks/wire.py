"""What passes between the checker and the process that runs a student's code: values only.

A message is one JSON object and the bytes of the arrays it holds: 8 bytes of length, the JSON
text, 8 bytes giving the number of arrays, and for each 8 bytes of length and its bytes. A value
is JSON (null, true, 1, 2.5, "text", a list, an object with text keys) or one of these objects,
each a single key starting with "__":

    {"__nd__": [dtype, shape, index]}        a NumPy array of numbers or booleans, its bytes the
                                             message's array number `index`
    {"__tensor__": [array, requires_grad]}   a PyTorch tensor (the side that has torch makes one)
    {"__float__": "nan" | "inf" | "-inf"}    a float JSON cannot write
    {"__tuple__": [values]}                  a tuple
    {"__dtype__": "float32"}                 a NumPy dtype; {"__torch_dtype__": "float64"} torch's
    {"__rng__": state}                       a NumPy Generator (PCG64), by its state
    {"__ref__": reference}                   something the other side holds: a function of the
                                             student's file, of a level, a callback, a handle

decode() accepts nothing else: a wrong type, an array whose bytes do not match its shape, a
dtype that is not a number, a message too long, each is a WireError, and no value comes of it.
Nothing is ever unpickled. The checker (exercises/checks/sandbox.py) validates every answer so;
what the student's process sends can be wrong, never more than values.
"""

import json
import math
import struct

import numpy as np

MAX_MESSAGE = 512 * 2**20          # bytes: a longer message is an error, not a value
KINDS = "biuf"                     # bool, int, unsigned, float: the dtypes a value may have
DEPTH = 32                         # nesting a value may have


class WireError(Exception):
    """A message or a value that is not what the protocol allows."""


# ---------------------------------------------------------------------------------------------
# Framing
# ---------------------------------------------------------------------------------------------
def frame(message, blobs=()):
    """The bytes of a message and its arrays' bytes."""
    data = json.dumps(message, allow_nan=False).encode()
    parts = [struct.pack(">Q", len(data)), data, struct.pack(">Q", len(blobs))]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    return b"".join(parts)


def send(stream, message, blobs=()):
    stream.write(frame(message, blobs))
    stream.flush()


def receive(stream):
    """The next (message, blobs), or None at the end of the stream."""
    return unframe(lambda n, first=False: read_exactly(stream, n, first))


def unframe(read):
    """(message, blobs) from read(n) -> n bytes (read(n, first=True) may give None: the end)."""
    head = read(8, first=True)
    if head is None:
        return None
    size, total = struct.unpack(">Q", head)[0], 0
    if size > MAX_MESSAGE:
        raise WireError(f"a message of {size} bytes, more than the {MAX_MESSAGE} allowed")
    try:
        message = json.loads(read(size))
    except (ValueError, UnicodeDecodeError) as e:
        raise WireError(f"a message that is not JSON ({e})") from None
    if not isinstance(message, dict):
        raise WireError("a message that is not a JSON object")
    count = struct.unpack(">Q", read(8))[0]
    if count > 100000:
        raise WireError(f"a message with {count} arrays")
    blobs = []
    for _ in range(count):
        n = struct.unpack(">Q", read(8))[0]
        total += n
        if total > MAX_MESSAGE:
            raise WireError(f"a message of more than the {MAX_MESSAGE} bytes allowed")
        blobs.append(read(n))
    return message, blobs


def read_exactly(stream, n, first=False):
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            if got == 0 and first:
                return None
            raise WireError("the stream ended inside a message")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------
def encode(value, blobs, refer=None, depth=0):
    """value as JSON, its arrays' bytes appended to `blobs` (a list). refer(value) gives the
    reference of a value that is not one (a function, a model), or raises WireError; without
    it, such a value is an error."""
    if depth > DEPTH:
        raise WireError("a value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return {"__nd__": array_parts(value, blobs)}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return {"__dtype__": np.dtype(value).name}
    if isinstance(value, np.random.Generator):
        return {"__rng__": value.bit_generator.state}
    kind = type(value).__module__.split(".")[0]
    if kind == "torch":
        import torch
        if isinstance(value, torch.Tensor):
            return {"__tensor__": [array_parts(value.detach().cpu().numpy(), blobs),
                                   bool(value.requires_grad)]}
        if isinstance(value, torch.dtype):
            return {"__torch_dtype__": str(value).split(".")[-1]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, blobs, refer, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, blobs, refer, depth + 1) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) and not k.startswith("__") for k in value):
            raise WireError("a dict whose keys are not all text (or start with __)")
        return {k: encode(v, blobs, refer, depth + 1) for k, v in value.items()}
    if refer is not None:
        return {"__ref__": refer(value)}
    raise WireError(f"a {type(value).__name__}, which is not a value")


def array_parts(a, blobs):
    a = np.asarray(a, order="C")               # (np.ascontiguousarray would make 0-d 1-d)
    if a.dtype.kind not in KINDS:
        raise WireError(f"an array of {a.dtype}, not of numbers")
    blobs.append(a.tobytes())
    return [a.dtype.str, list(a.shape), len(blobs) - 1]


def decode(data, blobs, resolve=None, depth=0):
    """A value from JSON and the message's arrays' bytes, checked. resolve(reference) gives what
    a {"__ref__": ...} stands for; without it, a reference is an error."""
    if depth > DEPTH:
        raise WireError("a value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, blobs, resolve, depth + 1) for v in data]
    if not isinstance(data, dict):
        raise WireError(f"a {type(data).__name__} in a message")
    if len(data) == 1:
        (key, body), = data.items()
        if key == "__nd__":
            return array_of(body, blobs)
        if key == "__tensor__":
            if not (isinstance(body, list) and len(body) == 2 and isinstance(body[1], bool)):
                raise WireError("a tensor that is not [array, requires_grad]")
            import torch
            tensor = torch.from_numpy(array_of(body[0], blobs))
            return tensor.requires_grad_() if body[1] and tensor.is_floating_point() else tensor
        if key == "__float__":
            if body not in ("nan", "inf", "-inf"):
                raise WireError(f"a float written {body!r}")
            return float(body)
        if key == "__tuple__":
            if not isinstance(body, list):
                raise WireError("a tuple that is not a list")
            return tuple(decode(v, blobs, resolve, depth + 1) for v in body)
        if key == "__dtype__":
            return np.dtype(dtype_name(body))
        if key == "__torch_dtype__":
            import torch
            return getattr(torch, dtype_name(body))
        if key == "__rng__":
            return generator(body)
        if key == "__ref__":
            if resolve is None:
                raise WireError("a reference where only values may come")
            return resolve(body)
    if any(k.startswith("__") for k in data):
        raise WireError(f"an object with the keys {sorted(data)[:3]}")
    return {k: decode(v, blobs, resolve, depth + 1) for k, v in data.items()}


def dtype_name(name):
    if name not in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                    "uint64", "float16", "float32", "float64"):
        raise WireError(f"a dtype named {name!r}")
    return name


def array_of(body, blobs):
    if not (isinstance(body, list) and len(body) == 3 and isinstance(body[0], str)
            and isinstance(body[1], list) and isinstance(body[2], int)
            and not isinstance(body[2], bool) and 0 <= body[2] < len(blobs)):
        raise WireError("an array that is not [dtype, shape, the number of its bytes]")
    try:
        dtype = np.dtype(body[0])
    except TypeError:
        raise WireError(f"an array of dtype {body[0]!r}") from None
    if dtype.kind not in KINDS or dtype.hasobject:
        raise WireError(f"an array of {dtype}, not of numbers")
    shape = body[1]
    if len(shape) > DEPTH or not all(isinstance(n, int) and 0 <= n < 2**40 for n in shape):
        raise WireError(f"an array of shape {shape}")
    raw = blobs[body[2]]
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise WireError(f"an array of shape {tuple(shape)} and {dtype} with {len(raw)} bytes")
    return np.frombuffer(raw, dtype).reshape(shape).copy()


def generator(state):
    if not (isinstance(state, dict) and state.get("bit_generator") == "PCG64"):
        raise WireError("a random generator that is not NumPy's PCG64")
    try:
        bits = np.random.PCG64()
        bits.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise WireError(f"a random generator's state that PCG64 refuses ({e})") from None
    return np.random.Generator(bits)


# ---------------------------------------------------------------------------------------------
# Arguments changed in place
# ---------------------------------------------------------------------------------------------
def arrays_of(value, blobs, before=None):
    """The arrays and tensors of a structure (None elsewhere), encoded: what a call changed.
    With `before` (copies_of() the structure before the call), only the arrays that changed."""
    if isinstance(value, (list, tuple)):
        return [arrays_of(v, blobs, before[i] if isinstance(before, list) and i < len(before)
                          else None) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: arrays_of(v, blobs, before.get(k) if isinstance(before, dict) else None)
                for k, v in value.items()}
    if isinstance(value, np.ndarray) or type(value).__module__.split(".")[0] == "torch" and \
            hasattr(value, "detach"):
        now = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
        if isinstance(before, np.ndarray) and before.shape == now.shape and \
                before.dtype == now.dtype and np.array_equal(before, now, equal_nan=True):
            return None
        return encode(value, blobs)
    return None


def copies_of(value):
    """Copies of the arrays and tensors of a structure, for arrays_of() after a call."""
    if isinstance(value, (list, tuple)):
        return [copies_of(v) for v in value]
    if isinstance(value, dict):
        return {k: copies_of(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        return value.detach().cpu().numpy().copy()
    return None


def put_back(originals, changed):
    """Copy the arrays of `changed` into the arrays of `originals` at the same places."""
    if isinstance(originals, (list, tuple)) and isinstance(changed, list):
        for o, c in zip(originals, changed):
            put_back(o, c)
    elif isinstance(originals, dict) and isinstance(changed, dict):
        for k, c in changed.items():
            if k in originals:
                put_back(originals[k], c)
    elif changed is not None and hasattr(originals, "shape"):
        new = np.asarray(changed.detach().numpy() if hasattr(changed, "detach") else changed)
        if tuple(new.shape) != tuple(originals.shape):
            return                            # reshaped in the child: the original stays
        if hasattr(originals, "detach"):
            import torch
            with torch.no_grad():
                originals.copy_(torch.from_numpy(new).to(originals.dtype))
        elif originals.flags.writeable:
            originals[...] = new
