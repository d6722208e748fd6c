"""Exercise 10's checks on more planted mistakes, one each, named in words by the check that
should catch it: the slower part of tests/test_exercises_rebuild.py (each runs the whole
exercise's checks, PyTorch included), which CI runs after the suite."""

import pytest

from planted import checked, named, planted

# (the line planted, its replacement, the check that fails, what its line must say)
LAYER_MISTAKES = {
    "a bias that is no parameter": ("        self.bias = parameter(np.zeros(out_features, dtype=dtype))",
                                    "        self.bias = torch.zeros(out_features, dtype="
                                    "getattr(torch, np.dtype(dtype).name), requires_grad=True)",
                                    "Linear:", [r"self.bias is no Parameter - how is the weight "
                                                r"made\?"]),
    "every tensor that requires grad": ("        elif isinstance(value, Parameter):",
                                        "        elif getattr(value, 'requires_grad', False):",
                                        "Sequential:", [r"cache is a result, not a parameter"]),
    "a velocity that starts at zero": ("1.0 * g if v is None", "0.0 * g if v is None",
                                       "SGD with momentum:", [r"after step 1 of 4", r"step 1 moved "
                                                              r"nothing", r"first step"]),
    "one velocity for every tensor": ("                    v = self.velocity.get(i)   #",
                                      "                    v = self.velocity.get(0)   #",
                                      "SGD with momentum:", [r"how many velocities does SGD "
                                                             r"keep\?"]),
    "layers kept in a list": ("            setattr(self, str(i), layer)",
                              "            object.__setattr__(self, 'layers', list(layers))",
                              "Sequential:", [r"gives nothing, not first.weight",
                                              r"are its layers registered as its modules"]),
    "torch's own Parameter": ("        self.bias = parameter(np.zeros(out_features, dtype=dtype))",
                              "        self.bias = torch.nn.Parameter(torch.zeros(out_features, "
                              "dtype=getattr(torch, np.dtype(dtype).name)))",
                              "your pieces on another tensor library",
                              [r"the first Linear's bias \(torch.nn.parameter.Parameter\), the "
                               r"second Linear's bias \(torch.nn.parameter.Parameter\) are not "
                               r"the engine's tensors", r"how were they made\?"]),
    "a step that needs every .grad": ("                if g is None:", "                if False:",
                                      "SGD:", [r"with W1's .grad None \(as a frozen layer's",
                                               r"step\(\) raised TypeError"]),
    "a dampened velocity": ("self.momentum * v + g", "self.momentum * v + (1 - self.momentum) * g",
                            "SGD with momentum:", [r"your 4 steps are those of torch.optim.SGD\(\.\.\., "
                                                   r"dampening=0.9", r"what does the default do"]),
    "torch's Parameter told apart": ("        elif isinstance(value, Parameter):",
                                     "        elif isinstance(value, torch.nn.Parameter):",
                                     "your pieces on another tensor library",
                                     [r"model.parameters\(\) gives nothing",
                                      r"how does your Module tell a parameter\?"]),
    "an update through p.data": ("                p -= self.lr * g ", "                p.data -= self.lr * g ",
                                 "SGD:", [r"through p.data, which autograd does not see",
                                          r"version counter"]),
}


@pytest.mark.parametrize("mistake", LAYER_MISTAKES)
def test_exercise_10_layer_mistake_is_named_in_words(mistake, capsys, tmp_path):
    old, new, check, said = LAYER_MISTAKES[mistake]
    planted(tmp_path, 10, old, new)
    code, out = checked(capsys, 10, tmp_path)
    line = named(out, check, said)
    assert "KeyError" not in line and code == 1, out
