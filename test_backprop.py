"""Tests for backprop.py.  Run with:  python -m pytest

Expected numbers come from computations independent of backprop.py, and each
test says which: scalar hand algebra written out below, or numpy values
recorded once (numpy is not needed to run these tests).
"""

import math
import os
import subprocess
import sys

import pytest

import backprop as bp

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "backprop.py")


def run(*args, python=sys.executable, timeout=120):
    """Run backprop.py as a user would; return (status, stdout, stderr)."""
    p = subprocess.run([python, SCRIPT] + list(args), capture_output=True,
                       text=True, timeout=timeout, cwd=HERE)
    return p.returncode, p.stdout, p.stderr


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(abs(a), abs(b))


# ---------------------------------------------------------------- matrices

@pytest.mark.parametrize("call, message", [
    (lambda: bp.matmul([[1, 2]] * 4, [[1] * 4] * 3), "matmul: (4, 2) @ (3, 4) do not fit"),
    (lambda: bp.matmul([[1, 2], [3]], [[1], [1]]), "shape: row 1 has 1 columns, row 0 has 2"),
    (lambda: bp.add([[1, 2]], [[1], [2]]), "add: (1, 2) and (2, 1) do not match"),
    (lambda: bp.subtract([[1]], [[1, 2]]), "subtract: (1, 1) and (1, 2) do not match"),
    (lambda: bp.multiply([[1, 2]], [[1, 2, 3]]), "multiply: (1, 2) and (1, 3) do not match"),
    (lambda: bp.add_row([[1, 2]], [1, 2, 3]), "add_row: rows of (1, 2) and a vector of 3"),
    (lambda: bp.transpose([[1, 2], [3]]), "shape: row 1 has 1 columns"),
    (lambda: bp.column_sums([[1], [2, 3]]), "shape: row 1 has 2 columns"),
    (lambda: bp.scale([[1], []], 2), "shape: row 1 has 0 columns"),
    (lambda: bp.apply(abs, [[1, 2], [3]]), "shape: row 1 has 1 columns"),
])
def test_matrix_shape_errors_name_both_shapes(call, message):
    with pytest.raises(ValueError) as e:
        call()
    assert message in str(e.value)


@pytest.mark.parametrize("bad", [[], "ab", [1, 2], None])
def test_matrix_helpers_refuse_non_matrices(bad):
    with pytest.raises(TypeError):
        bp.transpose(bad)


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


# ---------------------------------------------------------------- sigmoid

@pytest.mark.parametrize("x, expected", [
    (1000, 1.0), (-1000, 0.0), (1e308, 1.0), (-1e308, 0.0),
    (float("inf"), 1.0), (float("-inf"), 0.0), (709.0, 1.0),
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


# ---------------------------------------------------------------- seeding

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


def test_issue_first_row_for_seed_0():
    assert bp.Network([2, 4, 1], seed=0).weights[0][0] == [
        1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458]


def test_mt19937_reference_output():
    # Matsumoto & Nishimura's mt19937ar.c, init_genrand(5489): the first
    # output is 3499211612 (also CPython's random.seed-free C reference, and
    # std::mt19937's documented 10000th output below).
    r = bp.Random(5489)
    first = r.uint32()
    for _ in range(9998):
        r.uint32()
    assert first == 3499211612
    assert r.uint32() == 4123659995


@pytest.mark.parametrize("seed", [-1, 2 ** 32, 1.5, "0", None, True])
def test_bad_seed_refused(seed):
    with pytest.raises((TypeError, ValueError)) as e:
        bp.Network([2, 2, 1], seed=seed)
    assert "seed" in str(e.value)


@pytest.mark.parametrize("sizes", [[], [3], [2, 0, 1], [2, -1], [2, 1.5], "21", None])
def test_bad_sizes_refused(sizes):
    with pytest.raises((TypeError, ValueError)) as e:
        bp.Network(sizes)
    assert "sizes" in str(e.value)


# ---------------------------------------------------------------- worked example

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


def test_errata_article_values_are_wrong_and_corrections_right():
    hand = hand_worked_example()
    rows = bp.errata()
    assert len(rows) == 16
    for name, printed, value, why in rows:
        assert value == pytest.approx(hand[name], rel=1e-15)
        decimals = len(printed.split(".")[1])
        assert round(value, decimals) != float(printed), name
        assert why


def test_errata_table_in_docstring_and_readme_is_the_computed_one():
    readme = open(os.path.join(HERE, "README.md")).read()
    for line in bp.errata_table():
        assert line in bp.__doc__
        assert line.strip() in readme


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


def test_forward_keeps_a_and_o_per_layer():
    net = bp.Network([3, 5, 4, 2], seed=0)
    a, o = net.forward([[1, 2, 3], [0, 0, 0]])
    assert a[0] is None and o[0] == [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    assert [len(r[0]) for r in a[1:]] == [5, 4, 2]
    # hand algebra for one unit: a = sum_i o_i w_ij + b_j
    W = net.weights[0]
    assert a[1][0][0] == 1 * W[0][0] + 2 * W[1][0] + 3 * W[2][0] + 0.0
    assert o[1][0][0] == bp.sigmoid(a[1][0][0])


# ---------------------------------------------------------------- XOR

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


def test_issue_numbers_for_seed_0():
    net = bp.Network([2, 4, 1], seed=0)
    history = net.train(bp.XOR_X, bp.XOR_Y, 10000, 0.1, report_every=4000)
    for (_, got), want in zip(history, [0.3266821523682062, 0.014422999240721955,
                                        0.0029003780991066768]):
        assert close(got, want)
    assert [round(r[0], 5) for r in net.predict(bp.XOR_X)] == [0.04413, 0.9556, 0.95931, 0.04896]


def test_train_history_and_report_every():
    net = bp.Network([2, 4, 1], seed=0)
    h = net.train(bp.XOR_X, bp.XOR_Y, epochs=5, lr=0.1, report_every=1)
    assert [e for e, _ in h] == [0, 1, 2, 3, 4]
    assert all(b < a for (_, a), (_, b) in zip(h, h[1:]))      # loss falls
    assert [e for e, _ in bp.Network([2, 4, 1]).train(bp.XOR_X, bp.XOR_Y, 100, 0.1)] == \
        list(range(0, 100, 10))
    assert bp.Network([2, 4, 1]).train(bp.XOR_X, bp.XOR_Y, 0, 0.1) == []


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=-1), "epochs"), (dict(epochs=2.0), "epochs"),
    (dict(lr=0), "lr"), (dict(lr=float("nan")), "lr"), (dict(lr="0.1"), "lr"),
    (dict(report_every=0), "report_every"),
])
def test_train_refuses_bad_arguments_and_keeps_weights(kwargs, message):
    net = bp.Network([2, 4, 1], seed=0)
    before = [[row[:] for row in W] for W in net.weights]
    args = dict(epochs=10, lr=0.1)
    args.update(kwargs)
    with pytest.raises((TypeError, ValueError)) as e:
        net.train(bp.XOR_X, bp.XOR_Y, **args)
    assert message in str(e.value)
    assert net.weights == before


# ---------------------------------------------------------------- command line

def test_default_command_shows_walkthrough_errata_and_xor():
    status, out, err = run()
    assert status == 0 and err == ""
    assert "y3" in out and "Errata" in out and "0.552308" in out
    assert "Epoch 0, Loss:0.32668215236820" in out
    assert "Epoch 8000, Loss:0.00290037809910" in out
    assert "Predictions after training:" in out


def test_example_command():
    status, out, err = run("example")
    assert status == 0 and err == ""
    assert "132 such updates" in out
    assert "-0.0819" in out and "-0.008071" in out


def test_xor_command_options():
    status, out, err = run("xor", "--epochs", "4001", "--lr", "0.5", "--hidden", "3", "--seed", "7")
    assert status == 0 and err == ""
    net = bp.Network([2, 3, 1], seed=7)
    history = net.train(bp.XOR_X, bp.XOR_Y, 4001, 0.5, report_every=4000)
    for epoch, loss in history:
        assert "Epoch %d, Loss:%r" % (epoch, loss) in out
    assert bp.format_matrix(net.predict(bp.XOR_X)) in out


@pytest.mark.parametrize("args", [("-h",), ("--help",), ("xor", "--help")])
def test_help(args):
    status, out, err = run(*args)
    assert status == 0 and "usage: python backprop.py" in out and err == ""


@pytest.mark.parametrize("args, fragment", [
    (("frobnicate",), "unknown command 'frobnicate'"),
    (("xor", "--bogus", "1"), "unknown option '--bogus'"),
    (("xor", "--epochs", "abc"), "--epochs: expected a whole number"),
    (("xor", "--hidden", "-1"), "--hidden: expected a whole number >= 1"),
    (("xor", "--hidden", "0"), "--hidden: expected a whole number >= 1"),
    (("xor", "--lr", "nan"), "--lr: expected a finite number > 0"),
    (("xor", "--lr", "-2"), "--lr: expected a finite number > 0"),
    (("xor", "--seed"), "--seed needs a value"),
    (("example", "--epochs", "3"), "unknown option '--epochs'"),
    (("--epochs", "3"), "unknown option '--epochs'"),
])
def test_command_line_errors_are_one_line_exit_2(args, fragment):
    status, out, err = run(*args)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and fragment in err
    assert "Traceback" not in err
