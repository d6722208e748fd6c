"""The checks of Exercises 9 and 10 (the engine, level 2's pieces) on planted mistakes: each
caught by the check that should catch it, and named in words (Exercise 11's:
tests/test_exercises_fit.py; more of Exercise 10's, slower, in tests/ci/test_exercises_mistakes.py,
which CI runs after the suite). Each test checks one exercise, in this process."""

import re

import pytest

from planted import checked, line_of, named, planted, solution


def test_exercise_10_shallow_parameters_one_shot_sgd_and_float64_bias_are_caught(capsys,
                                                                                 tmp_path):
    """Three mistakes the checks once let through: parameters() that does not recurse, an SGD
    that keeps the iterable it was given (a generator runs out), a bias always in float64."""
    planted(tmp_path, 10, "for inner, p in m.named_parameters()])",
            "for inner, p in m._parameters.items()])")
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  Sequential:")
    assert "modules inside it included" in line, line
    assert line_of(out, "  passed  Linear:") and code == 1
    planted(tmp_path, 10, "self.params, self.lr, self.momentum = list(params), lr, momentum",
            "self.params, self.lr, self.momentum = params, lr, momentum")
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  SGD:")
    assert "given a list, your zero_grad() clears them" in line, line
    assert "one pass over a generator uses it up - what does your SGD keep of it?" in line, line
    planted(tmp_path, 10, "np.zeros(out_features, dtype=dtype)", "np.zeros(out_features)")
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  Linear:")
    assert "a weight and a bias of float32 and float64, not float32 both" in line, line
    assert code == 1


def test_exercise_10_pieces_that_wrap_torch_or_rebind_are_caught(capsys, tmp_path):
    """An SGD that wraps torch.optim.SGD passes on PyTorch's tensors, not on level 3½'s engine;
    `p = p - lr * p.grad` changes nothing, and the message says why; a DataLoader that shuffles
    with torch's global generator is named."""
    planted(tmp_path, 10, "        self.params, self.lr, self.momentum = list(params), lr, momentum",
            "        self.params, self.lr, self.momentum = list(params), lr, momentum\n"
            "        self.inner = torch.optim.SGD(self.params, lr, momentum=momentum)")
    (tmp_path / "exercise_10.py").write_text((tmp_path / "exercise_10.py").read_text().replace(
        "            for i, p in enumerate(self.params):",
        "            self.inner.step()\n            for i, p in enumerate([]):"))
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  your pieces on another tensor library")
    assert "on level 3½'s engine, your pieces raised" in line, line
    assert line_of(out, "  passed  SGD:") and code == 1
    planted(tmp_path, 10, "                p -= self.lr * g ", "                p = p - self.lr * g ")
    (tmp_path / "exercise_10.py").write_text((tmp_path / "exercise_10.py").read_text().replace(
        "torch.randperm(n, generator=self.generator)", "torch.randperm(n)"))   # and a 2nd mistake
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  SGD:")
    assert "the model's, or new ones under the same name?" in line, line
    line = line_of(out, "  FAILED  DataLoader:")      # the generator it was given is not used
    assert "is the order drawn from the generator you were given" in line, line


def test_exercise_10_adam_without_bias_correction_or_with_one_step_count_is_named(capsys,
                                                                                 tmp_path):
    """Adam's textbook slips, each named by the Adam check: no bias correction; one step count
    for all tensors (W1, frozen for a step, then corrected with the others' count); a step()
    that runs torch.optim.Adam's own."""
    planted(tmp_path, 10, "m_hat = m / (1 - beta1 ** t)", "m_hat = m")
    path = tmp_path / "exercise_10.py"
    path.write_text(path.read_text().replace("v_hat = v / (1 - beta2 ** t)", "v_hat = v"))
    code, out = checked(capsys, 10, tmp_path)
    named(out, "Adam:", [r"your 5 steps are those of Adam's without the bias correction",
                         r"what does torch.optim.Adam divide them by, and why\?$"])
    assert line_of(out, "  passed  SGD with momentum:") and code == 1
    planted(tmp_path, 10, "        beta1, beta2 = self.betas\n",
            "        beta1, beta2 = self.betas\n        self.count = getattr(self, 'count', 0) + 1\n")
    path.write_text(path.read_text().replace("                t += 1\n", "                t = self.count\n"))
    code, out = checked(capsys, 10, tmp_path)
    named(out, "Adam:", [r"those of Adam's with one step count for all tensors: W1 had no "
                         r"gradient at step 3"])
    planted(tmp_path, 10, "        beta1, beta2 = self.betas\n",
            "        torch.optim.Adam(self.params, self.lr).step()\n        return\n")
    code, out = checked(capsys, 10, tmp_path)
    named(out, "Adam:", [r"your step\(\) runs torch.optim.Adam's own step"])


def test_exercise_9_missing_unbroadcast_is_named(capsys, tmp_path):
    planted(tmp_path, 9, """        return record(self.data + other.data, (self, other),
                      (lambda g: unbroadcast(g, self.data.shape),
                       lambda g: unbroadcast(g, other.data.shape)))""",
            """        return record(self.data + other.data, (self, other),
                      (lambda g: g, lambda g: g))""")
    code, out = checked(capsys, 9, tmp_path)
    line = line_of(out, "  FAILED  + and - with broadcasting")
    assert "the gradient of b (shape (3,)) has shape (5, 3)" in line, line
    assert "where did its copies' gradients go, and how do they come back to (3,)?" in line, line
    assert line_of(out, "  passed  @ (matmul)") and code == 1


def test_exercise_9_order_that_visits_a_shared_tensor_twice_is_named(capsys, tmp_path):
    """(Freeing nothing, as the first such walks do: the solution's freed results, met again,
    would end it with a TypeError.)"""
    planted(tmp_path, 9, "            elif id(parent) not in seen:       # seen:",
            "            elif True:       # seen:")
    path = tmp_path / "exercise_9.py"
    path.write_text(path.read_text().replace("t.parents, t.vjps, t.grad = (), None, None",
                                             "pass"))
    code, out = checked(capsys, 9, tmp_path)
    line = line_of(out, "  FAILED  backward(): a tensor used three times")
    assert re.search(r"the vjp of a toward x ran [2-9] times in one backward\(\) \(a is used "
                     r"by b, c, e: when is its gradient complete", line), line
    assert code == 1


def test_exercise_9_walk_that_marks_tensors_when_pushed_fails_the_order(capsys, tmp_path):
    """A student's iterative walk that marks a tensor seen when it is pushed: in h + h*h it lists
    h before h*h. Every operation passes; the order check does not (for one order of e's
    parents), nor the graphs with shared tensors, which point to the order (backward() passed the
    checks before them, so they are not called the order check's follow-ons)."""
    source = solution(9)
    start = source.index("        # Depth first, a tensor listed")
    end = source.index("        if any(t.vjps is None for t in order):  # a result")
    (tmp_path / "exercise_9.py").write_text(source[:start] + """        order, seen, stack = [], {id(self)}, [(self, False)]
        while stack:
            t, parents_done = stack.pop()
            if parents_done:
                order.append(t)
                continue
            stack.append((t, True))
            for p in t.parents:
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append((p, False))
""" + source[end:])
    code, out = checked(capsys, 9, tmp_path)
    line = line_of(out, "  FAILED  backward(): a tensor used three times")
    assert re.search(r"\(the checker's graph: .* e = (7d \+ a|a \+ 7d)\) the vjps of \w ran "
                     r"before that of \w toward \w: .* reverse topological order", line), line
    line = line_of(out, "  FAILED  backward() on 50 graphs with shared tensors")
    assert "graph 1 of 50 (n2 = tanh(x); n3 = n2 * n2; n4 = n2 + n3;" in line, line
    assert "Look at the order: a tensor's vjps may run only once" in line and code == 1, line
    for operation in ("@ (matmul)", "+ and -", "* with", "tanh and relu", "logaddexp", "mean"):
        assert line_of(out, f"  passed  {operation}")


def test_exercise_9_walk_right_for_one_order_of_the_parents_only_fails_the_order(capsys,
                                                                                tmp_path):
    """A walk that lists each tensor before its parents as it first meets them (a pre-order),
    its parents pushed in reverse: right for e = 7d + a, wrong for e = a + 7d."""
    source = solution(9)
    start = source.index("        # Depth first, a tensor listed")
    end = source.index("        if any(t.vjps is None for t in order):  # a result")
    (tmp_path / "exercise_9.py").write_text(source[:start] + """        order, seen, stack = [], {id(self)}, [self]
        while stack:
            t = stack.pop()
            order.insert(0, t)                 # before its parents, so reversed(order) runs it first
            for p in reversed(t.parents):
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append(p)
""" + source[end:])
    code, out = checked(capsys, 9, tmp_path)
    line = line_of(out, "  FAILED  backward(): a tensor used three times")
    assert "e = a + 7d) the vjps of a ran before that of" in line, line
    assert code == 1


def test_exercise_9_recursive_walk_fails_the_deep_graph_only(capsys, tmp_path):
    """Level 3½'s own walk, which calls itself for each parent: right, but not 10,000 deep."""
    source = solution(9)
    start = source.index("        # Depth first, a tensor listed")
    end = source.index("        if any(t.vjps is None for t in order):  # a result")
    (tmp_path / "exercise_9.py").write_text(source[:start] + """        order, seen = [], set()

        def visit(t):
            if id(t) not in seen:
                seen.add(id(t))
                for parent in t.parents:
                    visit(parent)
                order.append(t)
        visit(self)
""" + source[end:])
    code, out = checked(capsys, 9, tmp_path)
    line = line_of(out, "  FAILED  backward() on a graph 10,000 operations deep")
    assert "RecursionError" in line and "if not Python's own calls?" in line, line
    checks = len(re.findall(r"^  (passed|FAILED)  ", out, re.M))
    assert len(re.findall(r"^  passed  ", out, re.M)) == checks - 1 and code == 1, out
    raised = (tmp_path / "exercise_9.py").read_text().replace(
        "        order, seen = [], set()\n", "        order, seen = [], set()\n"
        "        sys.setrecursionlimit(100000)\n")                # the limit raised, and record()
    copied = raised.replace("    return Tensor(data, True, parents, vjps)",          # copying the
                            "    return Tensor(data, True, tuple(parents), vjps)")   # parents:
    assert copied != raised                                                          # caught
    (tmp_path / "exercise_9.py").write_text(copied)
    code, out = checked(capsys, 9, tmp_path)
    line = line_of(out, "  FAILED  backward() on a graph 10,000 operations deep")
    assert re.search(r"backward\(\) went [\d,]+ calls deep", line), line


def test_exercise_9_engine_in_float32_fails_the_lockstep(capsys, tmp_path):
    planted(tmp_path, 9, "self.data, self.grad = np.asarray(data), None",
            "self.data, self.grad = np.asarray(data, np.float32), None")
    code, out = checked(capsys, 9, tmp_path)
    line = line_of(out, "  FAILED  level 3½'s own training code on your engine")
    moved = re.search(r"ends ([\d.e+-]+) from level 4; the lockstep wants <= 1e-12", line)
    assert moved and 1e-12 < float(moved.group(1)) < 1e-3, line
    assert code == 1


def test_exercise_10_linear_without_its_bias_and_zero_grad_doing_nothing(capsys, tmp_path):
    """Linear's bias set without registering it; zero_grad() that does nothing; a __setattr__
    that assigns with self.name = value (and so calls itself); one that registers everything."""
    planted(tmp_path, 10, "        self.bias = parameter(np.zeros(out_features, dtype=dtype))",
            "        object.__setattr__(self, 'bias', parameter(np.zeros(out_features, dtype=dtype)))")
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  Linear:")
    assert "parameters() gives [weight], not [weight, bias]: the bias is not registered" in line
    line = line_of(out, "  FAILED  level 2's train_step")
    assert 'follow-on of the check "Linear", which failed above' in line, line
    assert "`Linear.__init__`" in line, line
    planted(tmp_path, 10, "        for p in self.params:\n            p.grad = None",
            "        pass")
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  SGD:")
    assert "after zero_grad(), the .grad of W1, b1, W2, b2 still holds the last gradient" in line
    assert "generator" not in line, line                    # a list would not help this one
    assert line_of(out, "  passed  Linear:") and code == 1
    planted(tmp_path, 10, "        object.__setattr__(self, name, value)  # not self.name",
            "        self.__dict__[name] = value\n        setattr(self, name, value)  # not self.name")
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  Linear:")
    assert "RecursionError" in line and "calls __setattr__ again" in line, line
    planted(tmp_path, 10, '        elif isinstance(value, Parameter):',
            "        elif not isinstance(value, Module):")
    code, out = checked(capsys, 10, tmp_path)
    line = line_of(out, "  FAILED  Sequential:")
    assert "register Parameters and modules only" in line, line


# Exercise 9's new parts, one mistake each: (the line planted, its replacement, the check that
# fails, what its line must say). Level 3½'s training code does not use them: its lockstep passes.
ENGINE_MISTAKES = {
    "softmax without the shift": ("    s = z - Tensor(z.data.max(axis=1, keepdims=True))",
                                  "    s = z",
                                  "softmax_cross_entropy", [r"not finite", r"e\^z overflows"]),
    "sum's vjp not reshaped": ("return np.broadcast_to(np.reshape(g, kept), self.data.shape)",
                               "return np.broadcast_to(g, self.data.shape)",
                               "Tensor.sum", [r"which axes must it have"]),
    "softmax with a vjp of its own": ("    s = z - Tensor(z.data.max(axis=1, keepdims=True))\n"
                                      "    lse = log(exp(s).sum(axis=1, keepdims=True))",
                                      "    p = np.exp(z.data - z.data.max(axis=1, keepdims=True))\n"
                                      "    p /= p.sum(axis=1, keepdims=True)\n"
                                      "    return record(np.mean(np.sum(-y.data * np.log(p), 1)), "
                                      "(z,), (lambda g: g * (p - y.data) / len(p),))",
                                      "softmax_cross_entropy", [r"is 1 recorded operation",
                                                                r"not with a vjp of its own"]),
    "softmax's own vjp, wrapped": ("    return mean((y * (lse - s)).sum(axis=1))",
                                   "    p = np.exp(s.data) / np.exp(s.data).sum(1, keepdims=True)\n"
                                   "    own = record(mean((y * (lse - s)).sum(axis=1)).data, (z,),"
                                   " (lambda g: g * (p - y.data) / len(p),))\n"
                                   "    return mean(exp(log(tanh(own) - tanh(own) + own)))",
                                   "softmax_cross_entropy", [r"1 of them with a vjp written inside"]),
    "no_grad's state on its instance": ("        no_grad.before.append(no_grad.recording)   #",
                                        "        self.saved = no_grad.recording   #",
                                        "no_grad on a function that calls itself",
                                        [r"where is each entry's state kept"]),
    "numbers as float64 arrays": ("    return Tensor(np.asarray(value, dtype=like.data.dtype))",
                                  "    return Tensor(np.asarray(value, dtype=float))",
                                  "float32 stays float32", [r"1 - t gives float64",
                                                            r"where does a float64 come in"]),
    "record() of constants": ("    if not no_grad.recording or not any(p.requires_grad for p in "
                              "parents):", "    if not no_grad.recording:",
                              "record() and no_grad",
                              [r"of two tensors that need no gradient made a tensor of the graph"]),
    "no_grad that turns recording on": ("        no_grad.recording = no_grad.before.pop()",
                                        "        no_grad.before.pop()\n"
                                        "        no_grad.recording = True",
                                        "record() and no_grad",
                                        [r"in the outer no_grad, after the inner one ended",
                                         r"what should leaving a no_grad give back\?"]),
    "a backward() that frees nothing": ("                t.parents, t.vjps, t.grad = (), None, None",
                                        "                pass",
                                        "backward() frees the graph",
                                        [r"a, b, c, d are still in memory",
                                         r"what still leads to them from e"]),
    "a freed result taken for a leaf": ("t.parents, t.vjps, t.grad = (), None, None",
                                        "t.parents, t.vjps, t.grad = (), (), None",
                                        "backward() frees the graph",
                                        [r"returned quietly", r"RuntimeError",
                                         r"tell a freed result from a leaf\?"]),
    "only a freed loss refused": ("        if any(t.vjps is None for t in order):",
                                  "        if self.vjps is None:",
                                  "backward() frees the graph",
                                  [r"f.backward\(\), f = 4a made after e.backward\(\) with a "
                                   r"kept, raised TypeError; PyTorch's raises RuntimeError"]),
}


@pytest.mark.parametrize("mistake", ENGINE_MISTAKES)
def test_exercise_9_mistake_in_what_level_3b_does_not_have_is_named(mistake, capsys, tmp_path):
    old, new, check, said = ENGINE_MISTAKES[mistake]
    planted(tmp_path, 9, old, new)
    if mistake == "no_grad's state on its instance":           # and __exit__ reads it back
        path = tmp_path / "exercise_9.py"
        path.write_text(path.read_text().replace("no_grad.recording = no_grad.before.pop()",
                                                 "no_grad.recording = self.saved"))
    code, out = checked(capsys, 9, tmp_path)
    named(out, check, said)
    assert line_of(out, "  passed  level 3½'s own training code") and code == 1, out


def test_exercise_9_state_a_failed_check_leaves_does_not_fail_the_next(capsys, tmp_path):
    """A no_grad whose __exit__ raises leaves recording off in the student's class: the checker
    loads the module again after the failed check, so the operations' checks still pass."""
    planted(tmp_path, 9, "        no_grad.recording = no_grad.before.pop()",
            "        no_grad.before.pop()\n        raise ValueError('left off')")
    code, out = checked(capsys, 9, tmp_path)
    assert "ValueError: left off" in line_of(out, "  FAILED  record() and no_grad"), out
    for later in ("@ (matmul)", "float32 stays float32", "backward() on 50 graphs"):
        assert line_of(out, f"  passed  {later}"), out
    assert code == 1
