"""backprop.py -- backpropagation in one pure-Python file, exact and portable.

It follows the article "Backpropagation in Neural Network" (GeeksforGeeks,
26 Nov 2025): matrices as lists of rows, the sigmoid, the forward pass, the
deltas, the weight updates, the article's hand-worked 2-2-1 example and its
2-4-1 XOR network -- with the article's arithmetic errors corrected.

Run ``python backprop.py`` for the walkthrough and the XOR training,
``python backprop.py --help`` for the rest (``trace`` checks a hand
calculation on any network).  It needs only ``math``, ``sys`` and ``json``,
so it also runs on MicroPython, PyPy and Pyodide.  Sections 1-6 are the
article; 7-8 go beyond it (other activations and losses, gradient checks,
saving); 9 compiles a network into its own equations, which is how training
runs fast; 10 shows it all in the terminal; 11 is the command line.

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

Errata of the article's worked example (its printed value, then the right
one; every right value is recomputed by ``python backprop.py example``):

    quantity        article      correct  why
    y3                 0.56     0.552308  F(0.21) rounds to 0.55
    a3                0.702     0.685987  0.3*0.56 + 0.9*0.58 is 0.690
    delta5          -0.0376    -0.036770  from rounded y5 = 0.67, error -0.17
    delta4          -0.0819    -0.008071  ten times too large
    Delta w23     -0.022184    -0.021257  uses y4 = 0.59, not 0.578
    w23            0.877816     0.878743  follows the wrong Delta w23
    Delta w11      0.000945    -0.000955  wrong sign
    w11            0.200945     0.199045  follows the wrong Delta w11
    w12            0.273225     0.297175  not w + delta*o
    w13            0.086615     0.279691  not w + delta*o
    w21            0.269445     0.198091  not w + delta*o
    w22             0.18534     0.294350  not w + delta*o
    y3 after           0.57     0.551895  forward pass with the wrong weights
    y4 after           0.56     0.576899  forward pass with the wrong weights
    y5 after           0.61     0.659554  forward pass with the wrong weights
    error after       -0.11    -0.159554  0.5 - y5

The article also writes the update as eta*delta_j*O_j; the output that
multiplies delta_j is that of the sending unit i: Delta w_ij = eta*delta_j*o_i.
"""

import math
import sys
# json is imported by save() and load(), the only users: at start-up it would
# cost 2 ms, most of what importing this module costs.

__version__ = "0.1.0"


def _fail(kind, message):
    """Raise one of the module's two errors (kept in one place for clarity)."""
    raise kind(message)


# ---------------------------------------------------------------------------
# 1. Matrices as lists of rows
# ---------------------------------------------------------------------------
# A matrix is a list of equal-length lists of floats: one row per sample, as
# numpy's X is.  Every helper builds a new matrix and never changes its input.

def shape(A, where="shape"):
    """Return (rows, columns) of matrix ``A``, a non-empty list of equal rows
    of numbers; anything else is refused, the message starting with ``where``.

    >>> shape([[1, 2, 3], [4, 5, 6]])
    (2, 3)
    >>> shape([[1, 2], [3]])
    Traceback (most recent call last):
    ...
    ValueError: shape: row 1 has 1 columns, row 0 has 2
    >>> shape([[1, "2"]], "add: B")
    Traceback (most recent call last):
    ...
    TypeError: add: B: row 0 holds '2', expected a number
    """
    if not isinstance(A, list) or not A or not isinstance(A[0], list):
        _fail(TypeError, "%s: expected a non-empty list of row lists, got %s"
              % (where, type(A).__name__))
    cols = len(A[0])
    for r, row in enumerate(A):
        if not isinstance(row, list):
            _fail(TypeError, "%s: row %d is a %s, expected a list"
                  % (where, r, type(row).__name__))
        if len(row) != cols:
            _fail(ValueError, "%s: row %d has %d columns, row 0 has %d"
                  % (where, r, len(row), cols))
        for v in row:
            if type(v) is not float and not _is_number(v):
                _fail(TypeError, "%s: row %d holds %r, expected a number" % (where, r, v))
    return (len(A), cols)


def matmul(A, B):
    """Matrix product A @ B (numpy's ``np.dot`` of two 2-D arrays).

    >>> matmul([[1, 2], [3, 4]], [[5], [6]])
    [[17], [39]]
    >>> matmul([[1, 2]] * 4, [[1] * 4] * 3)
    Traceback (most recent call last):
    ...
    ValueError: matmul: (4, 2) @ (3, 4) do not fit
    """
    (n, k), (k2, m) = shape(A, "matmul: A"), shape(B, "matmul: B")
    if k != k2:
        _fail(ValueError, "matmul: (%d, %d) @ (%d, %d) do not fit" % (n, k, k2, m))
    columns = list(zip(*B))         # B is checked already: no second shape() here
    # An explicit loop, not sum(): CPython >= 3.12 sums floats with
    # compensation, and every interpreter must give the same bits.
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
    """Rows become columns (numpy's ``A.T``).

    >>> transpose([[1, 2, 3], [4, 5, 6]])
    [[1, 4], [2, 5], [3, 6]]
    """
    rows, cols = shape(A, "transpose: A")
    return [[A[r][c] for r in range(rows)] for c in range(cols)]


def _same_shape(name, A, B):
    a, b = shape(A, name + ": A"), shape(B, name + ": B")
    if a != b:
        _fail(ValueError, "%s: %r and %r do not match" % (name, a, b))


def add(A, B):
    """Element-wise A + B.

    >>> add([[1, 2]], [[10, 20]])
    [[11, 22]]
    >>> add([[1, 2]], [[1], [2]])
    Traceback (most recent call last):
    ...
    ValueError: add: (1, 2) and (2, 1) do not match
    """
    _same_shape("add", A, B)
    return [[p + q for p, q in zip(ra, rb)] for ra, rb in zip(A, B)]


def subtract(A, B):
    """Element-wise A - B: ``subtract(y, o)`` is the article's error.

    >>> subtract([[0.5]], [[0.75]])
    [[-0.25]]
    >>> subtract([[1]], [[1, 2]])
    Traceback (most recent call last):
    ...
    ValueError: subtract: (1, 1) and (1, 2) do not match
    """
    _same_shape("subtract", A, B)
    return [[p - q for p, q in zip(ra, rb)] for ra, rb in zip(A, B)]


def multiply(A, B):
    """Element-wise (Hadamard) product, numpy's ``A * B``.

    >>> multiply([[1, 2], [3, 4]], [[2, 2], [0, 1]])
    [[2, 4], [0, 4]]
    >>> multiply([[1, 2]], [[1, 2, 3]])
    Traceback (most recent call last):
    ...
    ValueError: multiply: (1, 2) and (1, 3) do not match
    """
    _same_shape("multiply", A, B)
    return [[p * q for p, q in zip(ra, rb)] for ra, rb in zip(A, B)]


def scale(A, c):
    """Every element times the number ``c``.

    >>> scale([[1, -2]], 0.5)
    [[0.5, -1.0]]
    """
    shape(A, "scale: A")
    if not _is_number(c):
        _fail(TypeError, "scale: c: expected a number, got %r" % (c,))
    return [[v * c for v in row] for row in A]


def add_row(A, b):
    """Add the vector ``b`` to every row of ``A`` (numpy broadcasting of a bias).

    >>> add_row([[1, 2], [3, 4]], [10, 20])
    [[11, 22], [13, 24]]
    >>> add_row([[1, 2]], [1, 2, 3])
    Traceback (most recent call last):
    ...
    ValueError: add_row: rows of (1, 2) and a vector of 3 do not match
    """
    a = shape(A, "add_row: A")
    shape([b], "add_row: b")
    if a[1] != len(b):
        _fail(ValueError, "add_row: rows of %r and a vector of %d do not match" % (a, len(b)))
    return [[v + c for v, c in zip(row, b)] for row in A]


def column_sums(A):
    """Sum down each column (numpy's ``np.sum(A, axis=0)``), in row order.

    >>> column_sums([[1, 2], [3, 4], [5, 6]])
    [9, 12]
    """
    rows, cols = shape(A, "column_sums: A")
    sums = list(A[0])
    for row in A[1:]:
        for c in range(cols):
            sums[c] += row[c]
    return sums


def apply(f, A):
    """Apply the one-argument function ``f`` to every element.

    >>> apply(abs, [[-1, 2], [3, -4]])
    [[1, 2], [3, 4]]
    """
    shape(A, "apply: A")
    if not callable(f):
        _fail(TypeError, "apply: f: expected a function, got %r" % (f,))
    return [[f(v) for v in row] for row in A]


# ---------------------------------------------------------------------------
# 2. The sigmoid and its derivative
# ---------------------------------------------------------------------------

def sigmoid(x):
    """The logistic function F(a) = 1 / (1 + e^-a), safe for any float.

    >>> sigmoid(0.0)
    0.5
    >>> round(sigmoid(0.21), 4)     # the article's y3 (it prints 0.56)
    0.5523
    >>> sigmoid(1000), sigmoid(-1000), sigmoid(1e308), sigmoid(-1e308)
    (1.0, 0.0, 1.0, 0.0)
    """
    # The article's formula, except where e^-x would overflow (CPython raises
    # OverflowError, MicroPython ValueError); below -709, e^x/(1+e^x) equals
    # e^x to the last bit.
    if x < -709.0:
        return math.exp(x)
    return 1.0 / (1.0 + math.exp(-x))


def sigmoid_derivative(o):
    """dF/da written from the output o = F(a): o(1 - o), as the article does.

    >>> sigmoid_derivative(0.5)
    0.25
    """
    return o * (1 - o)


# Activation name -> (F, dF/da written from the output).  Section 7 adds more.
ACTIVATIONS = {"sigmoid": (sigmoid, sigmoid_derivative)}


# ---------------------------------------------------------------------------
# 3. Initial weights: numpy's legacy np.random.randn, in pure Python
# ---------------------------------------------------------------------------
# Matsumoto & Nishimura's MT19937 (1998), seeded by init_genrand as numpy's
# np.random.seed(int) does, 53-bit doubles from two draws, and numpy's polar
# Box-Muller.  The random module is no use: MicroPython's has no gauss().

class Random:
    """numpy's legacy ``RandomState(seed)``: ``random()`` and ``gauss()``.

    >>> r = Random(0)
    >>> r.gauss(), r.gauss()          # np.random.seed(0); np.random.randn(2)
    (1.764052345967664, 0.4001572083672233)
    """

    def __init__(self, seed):
        mt = [seed & 0xFFFFFFFF]
        for i in range(1, 624):
            p = mt[-1]
            mt.append((1812433253 * (p ^ (p >> 30)) + i) & 0xFFFFFFFF)
        self.mt, self.index, self.spare = mt, 624, None

    def _twist(self):
        mt = self.mt
        for i in range(624):
            y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7FFFFFFF)
            v = mt[(i + 397) % 624] ^ (y >> 1)
            mt[i] = v ^ 0x9908B0DF if y & 1 else v
        self.index = 0

    def uint32(self):
        """The next 32-bit output of MT19937 (tempered).

        >>> Random(5489).uint32()       # mt19937ar.c's first output for 5489
        3499211612
        """
        if self.index >= 624:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)

    def random(self):
        """A float in [0, 1) with 53 random bits, like numpy's random_sample.

        >>> Random(0).random()          # np.random.seed(0); np.random.random()
        0.5488135039273248
        """
        a, b = self.uint32() >> 5, self.uint32() >> 6
        return (a * 67108864.0 + b) / 9007199254740992.0

    def gauss(self):
        """A standard normal draw, numpy's legacy polar method, bit for bit.

        >>> Random(42).gauss()          # np.random.seed(42); np.random.randn()
        0.4967141530112327
        """
        if self.spare is not None:
            g, self.spare = self.spare, None
            return g
        while True:
            x1, x2 = 2.0 * self.random() - 1.0, 2.0 * self.random() - 1.0
            r2 = x1 * x1 + x2 * x2
            if 0.0 < r2 < 1.0:
                break
        f = math.sqrt(-2.0 * math.log(r2) / r2)
        self.spare = f * x1
        return f * x2


# ---------------------------------------------------------------------------
# 4. The network: forward pass, deltas, weight updates
# ---------------------------------------------------------------------------

def _is_number(v):
    # bool is refused on purpose: True is an int on CPython but not on
    # MicroPython, and a truth value in a data matrix is almost always a bug.
    return type(v) is not bool and isinstance(v, (int, float))


def _matrix(M, name, cols=None):
    """Check M is a non-empty matrix of finite numbers; return it as floats."""
    if not isinstance(M, (list, tuple)):
        _fail(TypeError, "%s: expected a list of rows, got %s" % (name, type(M).__name__))
    if not M:
        _fail(ValueError, "%s: expected at least one row, got an empty list" % name)
    out = []
    for r, row in enumerate(M):
        if not isinstance(row, (list, tuple)):
            _fail(TypeError, "%s: row %d is a %s, expected a list of numbers"
                  % (name, r, type(row).__name__))
        if cols is None:
            cols = len(row)
        if len(row) != cols:
            _fail(ValueError, "%s: row %d has %d values, expected %d"
                  % (name, r, len(row), cols))
        for v in row:
            if not _is_number(v):
                _fail(TypeError, "%s: row %d holds %r, expected a number" % (name, r, v))
            if not math.isfinite(v):
                _fail(ValueError, "%s: row %d holds %r, expected a finite number"
                      % (name, r, v))
        out.append([float(v) for v in row])
    return out


def _whole(value, name, low):
    """Check ``value`` is an int >= low (bools refused); return it."""
    if type(value) is not int:
        _fail(TypeError, "%s: expected a whole number >= %d, got %r" % (name, low, value))
    if value < low:
        _fail(ValueError, "%s: expected a whole number >= %d, got %r" % (name, low, value))
    return value


def _finite(M):
    """True when the sum of matrix M is finite: no element is infinite or NaN
    (and they are not so huge that their sum overflows, which is as bad).

    >>> _finite([[1.0, 2.0]]), _finite([[1.0, float("nan")]]), _finite([[1e308, 1e308]])
    (True, False, False)
    """
    t = 0.0
    for row in M:
        for v in row:
            t += v
    return t - t == 0.0


class Network:
    """A fully connected network trained by backpropagation.

    ``sizes`` lists the units per layer, input first: ``[2, 4, 1]`` is the
    article's XOR network.  ``weights[l][i][j]`` joins unit i of layer l to
    unit j of layer l+1; ``biases[l][j]`` belongs to unit j of layer l+1.
    Both are plain lists: assign them to set any weights you like.  Seeded
    weights are numpy's ``np.random.seed(seed)`` then ``np.random.randn``
    per layer, bit for bit; biases start at zero (and stay there with
    ``bias=False``).  The defaults are the article's: sigmoid units and the
    squared error; see ACTIVATIONS and LOSSES for the others.

    >>> net = Network([2, 4, 1], seed=0)
    >>> net.weights[0][0]
    [1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458]
    >>> net.biases
    [[0.0, 0.0, 0.0, 0.0], [0.0]]
    >>> Network([2, 16, 3], activation="tanh", output_activation="softmax",
    ...         loss="cross_entropy").activations
    ['tanh', 'softmax']
    """

    def __init__(self, sizes, bias=True, seed=0, activation="sigmoid",
                 output_activation="sigmoid", loss="mse"):
        self.sizes = _check_sizes(sizes)
        self.activations = _check_activations(activation, output_activation, self.sizes)
        self.loss_name = _check_loss(loss, self.activations[-1], self.sizes[-1])
        self.bias = bool(bias)
        if type(seed) is not int or not 0 <= seed < 2 ** 32:
            _fail(ValueError if type(seed) is int else TypeError,
                  "seed: expected a whole number from 0 to 2**32-1, got %r" % (seed,))
        self.rng = Random(seed)
        # Drawn in layer order, row-major: numpy's randn(n_in, n_out) per layer.
        self.weights = [[[self.rng.gauss() for j in range(n_out)] for i in range(n_in)]
                        for n_in, n_out in zip(sizes, sizes[1:])]
        self.biases = [[0.0] * n_out for n_out in sizes[1:]]

    def _inputs(self, X):
        return _matrix(X, "X", self.sizes[0])

    def _data(self, X, y):
        """Check a batch: inputs X and targets y, row for row."""
        X = self._inputs(X)
        y = _matrix(y, "y", self.sizes[-1])
        if len(y) != len(X):
            _fail(ValueError, "y: %d rows of targets for %d rows of X" % (len(y), len(X)))
        if self.loss_name == "cross_entropy":
            for r, row in enumerate(y):
                for v in row:
                    if not 0.0 <= v <= 1.0:
                        _fail(ValueError, "y: cross_entropy needs targets in [0, 1], "
                              "row %d holds %r" % (r, v))
        return X, y

    # -- forward ------------------------------------------------------------
    def forward(self, X):
        """The forward pass: ``(a, o)``, the weighted sums and outputs per layer.

        ``o[0]`` is the input and ``a[0]`` is None; for l >= 1,
        ``a[l] = o[l-1] @ weights[l-1] + biases[l-1]`` and ``o[l] = F(a[l])``.

        >>> net = worked_example()
        >>> a, o = net.forward([[0.35, 0.7]])
        >>> a[1], o[2]
        ([[0.20999999999999996, 0.315]], [[0.6650736395247564]])
        """
        return self._forward(self._inputs(X))

    def _forward(self, X):
        a, o = [None], [X]
        for W, b, name in zip(self.weights, self.biases, self.activations):
            a.append(add_row(matmul(o[-1], W), b))
            o.append(activate(name, a[-1]))
        return a, o

    def predict(self, X):
        """The network's outputs for the rows of ``X``.

        >>> worked_example().predict([[0.35, 0.7]])     # y5
        [[0.6650736395247564]]
        """
        return self.forward(X)[1][-1]

    # -- backward -------------------------------------------------------------
    def deltas(self, X, y):
        """The error terms per layer (``delta[0]`` is None), the article's formulas.

        Output layer: ``delta = (y - o) * o * (1 - o)``; each hidden layer:
        ``delta_h = o_h * (1 - o_h) * sum_k w_hk * delta_k``.  Other
        activations put their own derivative F'(o) where o(1 - o) stands.

        >>> net = worked_example()
        >>> delta = net.deltas([[0.35, 0.7]], [[0.5]])
        >>> round(delta[2][0][0], 5), round(delta[1][0][1], 6)   # delta5, delta4
        (-0.03677, -0.008071)
        """
        X, y = self._data(X, y)
        return self._deltas(self._forward(X)[1], y)

    def _deltas(self, o, y):
        L = len(self.weights)
        delta = [None] * (L + 1)
        delta[L] = output_delta(self.activations[-1], self.loss_name, o[L], y)
        for l in range(L - 1, 0, -1):
            error = matmul(delta[l + 1], transpose(self.weights[l]))
            delta[l] = multiply(error, apply(ACTIVATIONS[self.activations[l - 1]][1], o[l]))
        return delta

    def _ascent(self, o, delta):
        """Per layer, sum over the batch of o_i * delta_j, and of delta_j."""
        return ([matmul(transpose(o[l]), delta[l + 1]) for l in range(len(self.weights))],
                [column_sums(delta[l + 1]) for l in range(len(self.weights))])

    def gradients(self, X, y):
        """``(dW, db)``: the gradient of the objective, summed over the batch.

        The objective is E = 1/2 sum (y - o)^2 over batch and outputs for
        ``mse`` and the summed cross-entropy for ``cross_entropy``.  Shaped
        like ``weights`` and ``biases``; ``dW[l][i][j] = -sum_n o[l][n][i] *
        delta[l+1][n][j]``, so the article's update is exactly
        ``w -= lr * dW``.  ``db`` is all zeros when the network has no biases.

        >>> net = worked_example()
        >>> dW, db = net.gradients([[0.35, 0.7]], [[0.5]])
        >>> round(dW[1][1][0], 6)          # -Delta w23 at lr = 1
        0.021257
        """
        X, y = self._data(X, y)
        o = self._forward(X)[1]
        up_W, up_b = self._ascent(o, self._deltas(o, y))
        dW = [scale(g, -1.0) for g in up_W]
        db = [[-v if self.bias else 0.0 for v in g] for g in up_b]
        return dW, db

    def update(self, o, delta, lr):
        """Apply ``Delta w_ij = lr * delta_j * o_i`` (summed over the batch).

        Biases, if any, move by ``lr * sum_n delta_j``.  The new weights are
        new lists, so a caller holding the old ones still has them.  Returns
        False, changing nothing, if a new weight would not be finite.

        >>> net = worked_example()
        >>> a, o = net.forward(EXAMPLE_X)
        >>> net.update(o, net.deltas(EXAMPLE_X, EXAMPLE_Y), lr=1)
        True
        >>> round(net.weights[0][0][0], 6)        # new w11 = 0.2 - 0.000955
        0.199045
        """
        up_W, up_b = self._ascent(o, delta)
        W = [add(w, scale(g, lr)) for w, g in zip(self.weights, up_W)]
        b = self.biases
        if self.bias:
            b = [[v + g * lr for v, g in zip(vs, gs)] for vs, gs in zip(b, up_b)]
        for M in W + b:
            if not _finite(M if isinstance(M[0], list) else [M]):
                return False
        self.weights[:], self.biases[:] = W, b
        return True

    def step(self, X, y, lr):
        """One full-batch epoch, the article's ``feedforward`` then ``backward``.

        Returns the outputs of the forward pass, from before the update.

        >>> net = worked_example()
        >>> o5 = net.step([[0.35, 0.7]], [[0.5]], lr=1)
        >>> round(net.weights[1][1][0], 6)       # new w23
        0.878743
        """
        X, y = self._data(X, y)
        lr = _check_lr(lr)
        a, o = self._forward(X)
        if not self.update(o, self._deltas(o, y), lr):
            _fail(Diverged, "lr: the update made a weight infinite or NaN; "
                  "weights left as they were")
        return o[-1]

    # -- training -------------------------------------------------------------
    def loss(self, X, y):
        """The reported loss: the article's ``mean((y - o)^2)`` for ``mse``,
        the cross-entropy per sample for ``cross_entropy``.

        >>> round(worked_example().loss([[0.35, 0.7]], [[0.5]]), 6)   # 0.1651^2
        0.027249
        """
        X, y = self._data(X, y)
        a, o = self._forward(X)
        return self._reported(a[-1], o[-1], y)

    def _reported(self, a, o, y):
        if self.loss_name == "mse":
            return mse(y, o)
        return objective(self.activations[-1], self.loss_name, a, o, y) / len(y)

    def objective(self, X, y):
        """The objective that train() descends and gradients() differentiates.

        >>> round(worked_example().objective(EXAMPLE_X, EXAMPLE_Y), 6)  # 0.027249 / 2
        0.013625
        """
        X, y = self._data(X, y)
        a, o = self._forward(X)
        return objective(self.activations[-1], self.loss_name, a[-1], o[-1], y)

    def train(self, X, y, epochs, lr, report_every=None, batch_size=None, callback=None,
              compiled=None):
        """Train by gradient descent; return the loss history.

        By default each epoch is one full-batch update, as in the article;
        ``batch_size=k`` instead updates after every k samples, visiting them
        in an order shuffled each epoch by the network's own seeded generator.
        The history is a list of ``(epoch, loss)`` for epoch 0 and every
        ``report_every`` epochs after (default: every tenth of the run), the
        loss (see ``loss()``) of the whole data before that epoch's updates;
        ``callback(epoch, loss)`` is called at the same epochs.  Memory does
        not grow with the number of epochs.  If an epoch's loss (computed every
        full-batch epoch, at reports with mini-batches) is not finite, or an
        update would make a weight infinite or NaN, training stops with the
        weights from before that epoch and raises ``Diverged``.  Training runs
        the network compiled into its own equations (section 9) when it has at
        most COMPILE_LIMIT weights, or ``compiled=True``; ``compiled=False``
        runs the list code.  Both give the same numbers.

        >>> net = Network([2, 4, 1], seed=0)
        >>> history = net.train(XOR_X, XOR_Y, epochs=10000, lr=0.1, report_every=4000)
        >>> [(e, round(l, 6)) for e, l in history]
        [(0, 0.326682), (4000, 0.014423), (8000, 0.0029)]
        """
        X, y = self._data(X, y)
        lr = _check_lr(lr)
        _whole(epochs, "epochs", 0)
        if report_every is None:
            report_every = max(1, epochs // 10)
        _whole(report_every, "report_every", 1)
        if batch_size is not None:
            _whole(batch_size, "batch_size", 1)
        if callback is not None and not callable(callback):
            _fail(TypeError, "callback: expected a function of (epoch, loss), got %r"
                  % (callback,))
        history = []

        def report(epoch, loss):
            history.append((epoch, loss))
            if callback is not None:
                callback(epoch, loss)
        run = (_compiled(self, batch_size is None, compiled, len(X))
               if compiled is not False else None)
        if run is None:
            self._train_lists(X, y, epochs, lr, report_every, batch_size, report)
        else:
            _train_compiled(self, run, X, y, epochs, lr, report_every, batch_size, report)
        return history

    def _train_lists(self, X, y, epochs, lr, report_every, batch_size, report):
        """The training loop on lists: the reference for the compiled one."""
        order = list(range(len(X)))
        for epoch in range(epochs):
            saved = list(self.weights), list(self.biases)
            if batch_size is None or epoch % report_every == 0:
                a, o = self._forward(X)
                loss = self._reported(a[-1], o[-1], y)
                if not math.isfinite(loss):
                    _diverged(epoch, loss)
                if epoch % report_every == 0:
                    report(epoch, loss)
            if batch_size is None:
                ok = self.update(o, self._deltas(o, y), lr)
            else:
                ok = self._minibatches(X, y, order, batch_size, lr)
            if not ok:
                self.weights[:], self.biases[:] = saved
                _diverged(epoch, None)

    def _minibatches(self, X, y, order, k, lr):
        """One epoch of updates on shuffled batches of k samples."""
        shuffle(order, self.rng)
        for start in range(0, len(order), k):
            rows = order[start:start + k]
            o = self._forward([X[i] for i in rows])[1]
            if not self.update(o, self._deltas(o, [y[i] for i in rows]), lr):
                return False
        return True

    def accuracy(self, X, labels):
        """The fraction of rows classified right: ``labels`` are class numbers
        or target rows; the class is the largest output (or output >= 0.5
        when there is one output).

        >>> net = xor(out=[])
        >>> net.accuracy(XOR_X, [0, 1, 1, 0]), net.accuracy(XOR_X, XOR_Y)
        (1.0, 1.0)
        """
        X = self._inputs(X)
        if not isinstance(labels, (list, tuple)) or len(labels) != len(X):
            _fail(ValueError, "labels: expected %d labels, one per row of X, got %r"
                  % (len(X), labels if not isinstance(labels, (list, tuple))
                     else "%d" % len(labels)))
        if isinstance(labels[0], (list, tuple)):
            labels = [classify(row) for row in _matrix(labels, "labels", self.sizes[-1])]
        top = max(2, self.sizes[-1])
        for v in labels:
            if type(v) is not int or not 0 <= v < top:
                _fail(ValueError, "labels: expected class numbers from 0 to %d, got %r"
                      % (top - 1, v))
        hits = 0
        for row, label in zip(self._forward(X)[1][-1], labels):
            hits += classify(row) == label
        return hits / len(X)


class Diverged(ValueError):
    """Training produced an infinite or NaN loss or weight (lr too large?).

    >>> net = Network([1, 1], output_activation="linear")
    >>> net.train([[1e3]], [[1.0]], epochs=5, lr=1e300)
    Traceback (most recent call last):
    ...
    backprop.Diverged: epoch 1: the loss is inf; weights are from before that epoch (try a smaller lr)
    """


def _diverged(epoch, loss):
    if loss is None:
        _fail(Diverged, "epoch %d: an update made a weight infinite or NaN; "
              "weights are from before that epoch (try a smaller lr)" % epoch)
    _fail(Diverged, "epoch %d: the loss is %r; weights are from before "
          "that epoch (try a smaller lr)" % (epoch, loss))


def _check_lr(lr):
    if not _is_number(lr):
        _fail(TypeError, "lr: expected a number, got %r" % (lr,))
    if not (math.isfinite(lr) and lr > 0):
        _fail(ValueError, "lr: expected a finite number > 0, got %r" % (lr,))
    return lr


def _check_sizes(sizes):
    if not isinstance(sizes, (list, tuple)):
        _fail(TypeError, "sizes: expected a list of layer sizes, got %r" % (sizes,))
    if len(sizes) < 2:
        _fail(ValueError, "sizes: expected at least two layers (input and output), "
              "got %r" % (list(sizes),))
    for s in sizes:
        if type(s) is not int:
            _fail(TypeError, "sizes: expected whole numbers, got %r" % (s,))
        if s < 1:
            _fail(ValueError, "sizes: every layer needs at least one unit, got %r"
                  % (list(sizes),))
    return list(sizes)


def mse(y, o):
    """Mean squared error, ``np.mean(np.square(y - o))``, summed in order.

    >>> mse([[0.5]], [[0.75]])
    0.0625
    """
    total, count = 0.0, 0
    for row_y, row_o in zip(y, o):
        for t, v in zip(row_y, row_o):
            total += (t - v) * (t - v)
            count += 1
    return total / count


def classify(row):
    """The class of one output row: the largest output, or ``o >= 0.5`` for one.

    >>> classify([0.1, 0.7, 0.2]), classify([0.2]), classify([0.5])
    (1, 0, 1)
    """
    if len(row) == 1:
        return int(row[0] >= 0.5)
    best = 0
    for j in range(1, len(row)):
        if row[j] > row[best]:
            best = j
    return best


def shuffle(items, rng):
    """Shuffle a list in place (Fisher-Yates) with a ``Random`` generator.

    >>> items = [1, 2, 3, 4, 5]
    >>> shuffle(items, Random(0)); items
    [1, 4, 2, 5, 3]
    """
    for i in range(len(items) - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        items[i], items[j] = items[j], items[i]


# ---------------------------------------------------------------------------
# 5. The worked example: the article's 2-2-1 network, one update
# ---------------------------------------------------------------------------

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
    >>> d[1][0][0]                       # delta3 = -0.0027
    -0.0027275877458127758
    >>> d[1][0][1]                       # delta4 = -0.00807, not -0.0819
    -0.008071427316084548

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


def updates_to_converge(tolerance=0.001, lr=1):
    """How many updates until the example's output is within ``tolerance`` of 0.5.

    >>> updates_to_converge(tolerance=0.1)
    14
    """
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


def walkthrough():
    """The worked example's numbers in the article's order, as (name, value) pairs.

    >>> dict(walkthrough())["delta4"]
    -0.008071427316084548
    """
    net = worked_example()
    a, o = net.forward(EXAMPLE_X)
    delta = net.deltas(EXAMPLE_X, EXAMPLE_Y)
    x1, x2 = EXAMPLE_X[0]
    y3, y4 = o[1][0]
    d3, d4 = delta[1][0]
    d5 = delta[2][0][0]
    steps = [("a1", a[1][0][0]), ("y3", y3), ("a2", a[1][0][1]), ("y4", y4),
             ("a3", a[2][0][0]), ("y5", o[2][0][0]),
             ("error", EXAMPLE_Y[0][0] - o[2][0][0]),
             ("delta5", d5), ("delta3", d3), ("delta4", d4),
             # Delta w_ij = eta * delta_j * o_i, eta = 1
             ("Delta w13", d5 * y3), ("Delta w23", d5 * y4),
             ("Delta w11", d3 * x1), ("Delta w21", d3 * x2),
             ("Delta w12", d4 * x1), ("Delta w22", d4 * x2)]
    net.step(EXAMPLE_X, EXAMPLE_Y, lr=1)
    (w11, w12), (w21, w22) = net.weights[0]
    (w13,), (w23,) = net.weights[1]
    steps += [("w11", w11), ("w12", w12), ("w21", w21), ("w22", w22),
              ("w13", w13), ("w23", w23)]
    a, o = net.forward(EXAMPLE_X)
    steps += [("y3 after", o[1][0][0]), ("y4 after", o[1][0][1]),
              ("y5 after", o[2][0][0]), ("error after", EXAMPLE_Y[0][0] - o[2][0][0])]
    return steps


# What the article prints for a value that is wrong, and why.
ERRATA = [
    ("y3", "0.56", "F(0.21) rounds to 0.55"),
    ("a3", "0.702", "0.3*0.56 + 0.9*0.58 is 0.690"),
    ("delta5", "-0.0376", "from rounded y5 = 0.67, error -0.17"),
    ("delta4", "-0.0819", "ten times too large"),
    ("Delta w23", "-0.022184", "uses y4 = 0.59, not 0.578"),
    ("w23", "0.877816", "follows the wrong Delta w23"),
    ("Delta w11", "0.000945", "wrong sign"),
    ("w11", "0.200945", "follows the wrong Delta w11"),
    ("w12", "0.273225", "not w + delta*o"),
    ("w13", "0.086615", "not w + delta*o"),
    ("w21", "0.269445", "not w + delta*o"),
    ("w22", "0.18534", "not w + delta*o"),
    ("y3 after", "0.57", "forward pass with the wrong weights"),
    ("y4 after", "0.56", "forward pass with the wrong weights"),
    ("y5 after", "0.61", "forward pass with the wrong weights"),
    ("error after", "-0.11", "0.5 - y5"),
]


def errata():
    """Rows ``(quantity, article's value, correct value, why)`` for the example.

    >>> errata()[0]
    ('y3', '0.56', 0.5523079095743253, 'F(0.21) rounds to 0.55')
    """
    values = dict(walkthrough())
    return [(name, printed, values[name], why) for name, printed, why in ERRATA]


def errata_table():
    """The errata as aligned text lines (the module docstring holds a copy).

    >>> print(errata_table()[1])
        y3                 0.56     0.552308  F(0.21) rounds to 0.55
    """
    lines = ["    %-12s %10s %12s  %s" % ("quantity", "article", "correct", "why")]
    for name, printed, value, why in errata():
        lines.append("    %-12s %10s %12.6f  %s" % (name, printed, value, why))
    return lines


# ---------------------------------------------------------------------------
# 6. The XOR network: the article's numpy program, in lists
# ---------------------------------------------------------------------------

XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
XOR_Y = [[0], [1], [1], [0]]


def xor(epochs=10000, lr=0.1, hidden=4, seed=0, quiet=False, ascii=False, out=None):
    """The article's XOR run: its ``Epoch N, Loss:...`` lines and predictions,
    then (unless ``quiet``) the loss curve, the truth table and the learned
    decision surface.  Returns the trained network.

    >>> lines = []
    >>> net = xor(epochs=1, quiet=True, out=lines)
    >>> lines[0]
    'Epoch 0, Loss:0.3266821523682062'
    """
    net = Network([2, hidden, 1], seed=seed)
    write = _writer(out)
    # report often enough for a curve, and at the article's epochs 0, 4000, 8000
    step = max(d for d in range(1, 4001) if 4000 % d == 0 and d <= max(1, epochs // 64))
    progress, finish = _progress(epochs) if out is None else (None, lambda: None)
    history = net.train(XOR_X, XOR_Y, epochs, lr, report_every=step, callback=progress)
    finish()
    for epoch, loss in history:
        if epoch % 4000 == 0:
            write("Epoch %d, Loss:%r" % (epoch, loss))
    write("Predictions after training:")
    write(format_matrix(net.predict(XOR_X)))
    if quiet or not history:
        return net
    write("")
    write("The loss, every %d epochs (log scale):" % step)
    for line in line_plot([loss for _, loss in history], log=True, ascii=ascii, step=step):
        write(line)
    write("")
    write("  x1  x2  target  output")
    for x, t, o in zip(XOR_X, XOR_Y, net.predict(XOR_X)):
        write("  %2d  %2d  %6d  %.4f" % (x[0], x[1], t[0], o[0]))
    write("")
    write("What it learned: the output over 0 <= x1, x2 <= 1 (darker is nearer 1)")
    for line in shade_map(surface(net), ascii=ascii):
        write(line)
    return net


def _writer(out):
    """A print function for ``out``: None is stdout, a list collects lines."""
    if out is None:
        return print
    return out.append


def format_matrix(M, digits=8):
    """Show a matrix the way numpy prints one, with a fixed number of digits.

    >>> print(format_matrix([[0.5], [0.25]]))
    [[0.50000000]
     [0.25000000]]
    """
    fmt = "%." + str(digits) + "f"
    rows = ["[" + " ".join(fmt % v for v in row) + "]" for row in M]
    return "[" + "\n ".join(rows) + "]"


# ---------------------------------------------------------------------------
# 7. Beyond the article: other activations and losses
# ---------------------------------------------------------------------------
# Every derivative is written from the output o, as the article writes the
# sigmoid's, so the delta recursion of section 4 needs nothing else.

def tanh_derivative(o):
    """d tanh(a)/da = 1 - o^2, from the output o = tanh(a).

    >>> tanh_derivative(0.5)
    0.75
    """
    return 1.0 - o * o


def relu(x):
    """max(0, x): the article's example of a hidden activation.

    >>> relu(-2.0), relu(3.0)
    (0.0, 3.0)
    """
    return x if x > 0.0 else 0.0


def relu_derivative(o):
    """1 where the unit is on (o > 0), else 0.

    >>> relu_derivative(3.0), relu_derivative(0.0)
    (1.0, 0.0)
    """
    return 1.0 if o > 0.0 else 0.0


def linear(x):
    """The identity, for regression outputs.

    >>> linear(-1.5)
    -1.5
    """
    return x


def linear_derivative(o):
    """1 everywhere.

    >>> linear_derivative(7.0)
    1.0
    """
    return 1.0


def softmax(row):
    """exp(a_j) / sum_k exp(a_k) of one row, stable: the row maximum is
    subtracted first, so exp never overflows.

    >>> [round(p, 4) for p in softmax([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    >>> softmax([1000.0, 0.0])
    [1.0, 0.0]
    """
    m = max(row)
    e = [math.exp(v - m) for v in row]
    total = 0.0
    for v in e:
        total += v
    return [v / total for v in e]


ACTIVATIONS.update({"tanh": (math.tanh, tanh_derivative),
                    "relu": (relu, relu_derivative),
                    "linear": (linear, linear_derivative)})
HIDDEN_ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh")
OUTPUT_ACTIVATIONS = ("linear", "sigmoid", "softmax")
LOSSES = ("cross_entropy", "mse")


def activate(name, A):
    """Apply the activation ``name`` to matrix ``A`` (softmax works on rows).

    >>> activate("relu", [[-1.0, 2.0]]), activate("softmax", [[0.0, 0.0]])
    ([[0.0, 2.0]], [[0.5, 0.5]])
    """
    if name == "softmax":
        return [softmax(row) for row in A]
    return apply(ACTIVATIONS[name][0], A)


def output_delta(name, loss, o, y):
    """delta = -dE/da at the output, for output activation ``name`` and ``loss``.

    With ``mse`` it is the article's (y - o)*F'(o) (softmax couples its
    outputs, so its Jacobian appears); cross-entropy with a sigmoid or
    softmax output cancels F' and leaves y - o, which is also the numerically
    safe form.

    >>> output_delta("sigmoid", "mse", [[0.75]], [[0.5]])
    [[-0.046875]]
    >>> output_delta("softmax", "cross_entropy", [[0.25, 0.75]], [[0.0, 1.0]])
    [[-0.25, 0.25]]
    """
    e = subtract(y, o)
    if loss == "cross_entropy":
        if name == "sigmoid":
            return e
        # d/da of -sum y log softmax(a) is p * sum(y) - y; sum(y) is 1 for one-hot
        return [[t - p * _total(ty) for t, p in zip(ty, po)] for ty, po in zip(y, o)]
    if name == "softmax":
        return [[p * (ej - _dot(er, po)) for ej, p in zip(er, po)] for er, po in zip(e, o)]
    return multiply(e, apply(ACTIVATIONS[name][1], o))


def _total(v):
    t = 0.0
    for x in v:
        t += x
    return t


def _dot(u, v):
    t = 0.0
    for p, q in zip(u, v):
        t += p * q
    return t


def softplus(x):
    """log(1 + e^x) without overflow: -log(sigmoid(-x)).

    >>> softplus(0.0) == math.log(2), softplus(1000.0), softplus(-1000.0)
    (True, 1000.0, 0.0)
    """
    return max(x, 0.0) + math.log(1.0 + math.exp(-abs(x)))


def objective(name, loss, a, o, y):
    """The summed objective E: 1/2 sum (y - o)^2, or the cross-entropy
    -sum y log p (binary for a sigmoid output), computed from the weighted
    sums ``a`` so that no log(0) is ever taken.

    >>> objective("sigmoid", "mse", [[0.0]], [[0.5]], [[1.0]])
    0.125
    >>> round(objective("sigmoid", "cross_entropy", [[0.0]], [[0.5]], [[1.0]]), 6)
    0.693147
    """
    total = 0.0
    for ra, ro, ry in zip(a, o, y):
        if loss == "mse":
            for t, v in zip(ry, ro):
                total += 0.5 * (t - v) * (t - v)
        elif name == "sigmoid":
            # log F(a) = -softplus(-a), log(1 - F(a)) = -softplus(a)
            for t, v in zip(ry, ra):
                total += t * softplus(-v) + (1.0 - t) * softplus(v)
        else:
            m = max(ra)
            log_sum = m + math.log(_total([math.exp(v - m) for v in ra]))
            for t, v in zip(ry, ra):
                total += t * (log_sum - v)
    return total


def _known(name, what, known):
    if not isinstance(name, str) or name not in known:
        _fail(ValueError if isinstance(name, str) else TypeError,
              "%s: unknown name %r; expected one of %s" % (what, name, ", ".join(known)))
    return name


def _check_activations(activation, output_activation, sizes):
    """One activation name per layer after the input; the last is the output's."""
    hidden = len(sizes) - 2
    if isinstance(activation, (list, tuple)):
        if len(activation) != hidden:
            _fail(ValueError, "activation: expected one name per hidden layer (%d), got %r"
                  % (hidden, list(activation)))
        names = list(activation)
    else:
        names = [_known(activation, "activation", HIDDEN_ACTIVATIONS)] * hidden
    for name in names:
        _known(name, "activation", HIDDEN_ACTIVATIONS)
    names.append(_known(output_activation, "output_activation", OUTPUT_ACTIVATIONS))
    if names[-1] == "softmax" and sizes[-1] < 2:
        _fail(ValueError, "output_activation: softmax needs at least 2 output units, "
              "sizes ends in %d (use sigmoid for one)" % sizes[-1])
    return names


def _check_loss(loss, output, outputs):
    _known(loss, "loss", LOSSES)
    if loss == "cross_entropy" and output == "linear":
        _fail(ValueError, "loss: cross_entropy needs a sigmoid or softmax output, "
              "not linear")
    return loss


# ---------------------------------------------------------------------------
# 8. Beyond the article: checking gradients, saving, a harder problem
# ---------------------------------------------------------------------------

def gradient_check(net, X, y, eps=1e-6):
    """The largest relative error of ``net.gradients`` against central
    differences (E(w + eps) - E(w - eps)) / 2eps of the objective, over every
    weight and bias, each relative to max(|analytic|, |numeric|, 1e-3).  A
    right backward pass gives about 1e-7 or less; a wrong derivative 1e-2 or
    more.  Rounding limits the differences to about 1e-16 * E / eps, so for
    an objective E much above 1 pass a larger ``eps`` such as 1e-5.

    >>> gradient_check(Network([3, 4, 2], seed=1), [[0.1, 0.2, 0.3]], [[0.0, 1.0]]) < 1e-7
    True
    """
    X, y = net._data(X, y)
    if not (_is_number(eps) and 0 < eps < 1):
        _fail(ValueError, "eps: expected a number between 0 and 1, got %r" % (eps,))
    dW, db = net.gradients(X, y)
    pairs = [(w, g) for W, G in zip(net.weights, dW) for w, g in zip(W, G)]
    if net.bias:
        pairs += list(zip(net.biases, db))
    worst = 0.0
    for row, grads in pairs:
        for j in range(len(row)):
            keep = row[j]
            try:
                row[j] = keep + eps
                up = net.objective(X, y)
                row[j] = keep - eps
                down = net.objective(X, y)
            finally:
                row[j] = keep
            numeric = (up - down) / (2 * eps)
            err = abs(grads[j] - numeric) / max(abs(grads[j]), abs(numeric), 1e-3)
            worst = max(worst, err)
    return worst


FORMAT = "backprop.py network"
FORMAT_VERSION = 1


def _dumps(net):
    """The JSON text of a network, keys in a fixed order on every interpreter."""
    import json
    fields = [("format", FORMAT), ("version", FORMAT_VERSION), ("sizes", net.sizes),
              ("bias", net.bias), ("activations", net.activations),
              ("loss", net.loss_name), ("weights", net.weights), ("biases", net.biases)]
    return "{\n" + ",\n".join(' "%s": %s' % (k, json.dumps(v)) for k, v in fields) + "\n}\n"


def save(net, path):
    """Write ``net`` to ``path`` as JSON, atomically: a temporary file is
    written, then renamed over the target, so a crash never leaves half a model.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "xor.json")
    >>> save(worked_example(), path); load(path).weights == worked_example().weights
    True
    """
    import json
    import os
    text = _dumps(net)
    _from_dict(json.loads(text))        # refuse to write what load would refuse
    tmp = path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            if hasattr(os, "fsync"):
                os.fsync(f.fileno())
        getattr(os, "replace", os.rename)(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def load(path):
    """Read a network written by ``save``; every field is checked first, and a
    wrong or truncated file raises ValueError saying what is wrong.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "broken.json")
    >>> with open(path, "w") as f:
    ...     n = f.write('{"format": "backprop.py network", "version": 2}')
    >>> load(path)                          # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...broken.json: field 'version': expected format version 1
    """
    import json
    with open(path) as f:
        text = f.read()
    data, problem = _attempt(json.loads, text)
    if problem:
        _fail(ValueError, "%s: not a JSON network file (truncated or damaged?)" % path)
    return _from_dict(data, path)


def _attempt(f, *args):
    """``(f(*args), None)``, or ``(None, message)`` if f raised ValueError or
    TypeError -- so that our own error is raised outside the ``except`` block,
    without a chained traceback.
    """
    try:
        return f(*args), None
    except (TypeError, ValueError) as e:
        return None, str(e) or type(e).__name__


def _from_dict(data, where="model"):
    """Build a Network from parsed JSON, validating every field before use."""
    def field(key, ok, expected):
        if not isinstance(data, dict) or key not in data or not ok(data[key]):
            _fail(ValueError, "%s: field %r: expected %s" % (where, key, expected))
        return data[key]
    per_layer = lambda v: isinstance(v, list) and len(v) == len(sizes) - 1  # noqa: E731
    field("format", lambda v: v == FORMAT, repr(FORMAT))
    field("version", lambda v: v == FORMAT_VERSION, "format version %d" % FORMAT_VERSION)
    sizes = field("sizes", lambda v: isinstance(v, list), "a list of layer sizes")
    bias = field("bias", lambda v: v is True or v is False, "true or false")
    names = field("activations", per_layer, "one activation name per layer after the input")
    loss = field("loss", lambda v: True, "a loss name")
    weights = field("weights", per_layer, "one matrix per layer after the input")
    biases = field("biases", per_layer, "one vector per layer after the input")

    def build():
        net = Network(sizes, bias=bias, activation=names[:-1],
                      output_activation=names[-1], loss=loss)
        for l, (w, b, n_in, n_out) in enumerate(zip(weights, biases, sizes, sizes[1:])):
            w = _matrix(w, "weights[%d]" % l, n_out)
            if len(w) != n_in:
                _fail(ValueError, "weights[%d] has %d rows, expected %d" % (l, len(w), n_in))
            b = _matrix([b], "biases[%d]" % l, n_out)[0]
            if not bias and any(b):
                _fail(ValueError, "biases[%d]: expected zeros, the network has no biases" % l)
            net.weights[l], net.biases[l] = w, b
        return net
    net, problem = _attempt(build)
    if problem:
        _fail(ValueError, "%s: %s" % (where, problem))
    return net


Network.save = save
Network.load = staticmethod(load)


def spiral(points=50, classes=3, seed=0):
    """A classic toy data set: ``classes`` interleaved spiral arms in the
    plane, ``points`` per arm, with seeded noise.  Returns (X, y, labels)
    with one-hot rows y.

    >>> X, y, labels = spiral(points=2, classes=2)
    >>> len(X), y[0], labels
    (4, [1.0, 0.0], [0, 0, 1, 1])
    """
    rng = Random(seed)
    X, y, labels = [], [], []
    for c in range(classes):
        for i in range(points):
            r = i / max(1, points - 1)
            t = 4.0 * (c + r) + 0.2 * rng.gauss()
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append([1.0 if k == c else 0.0 for k in range(classes)])
            labels.append(c)
    return X, y, labels


def spiral_demo(epochs=200, lr=0.02, batch_size=10, seed=0, out=None):
    """Train a [2, 16, 16, 3] tanh network with softmax and cross-entropy
    on mini-batches of the spiral; print the loss falling and the accuracy.

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
    for epoch, loss in net.train(X, y, epochs, lr, batch_size=batch_size,
                                 report_every=max(1, epochs // 10)):
        write("epoch %4d  loss %.6f" % (epoch, loss))
    write("final loss %.6f, training accuracy %.1f%%"
          % (net.loss(X, y), 100 * net.accuracy(X, labels)))
    return net


# ---------------------------------------------------------------------------
# 9. The network compiled into its own equations
# ---------------------------------------------------------------------------
# The article works the example as scalar equations: a1 = w11*x1 + w21*x2,
# y3 = F(a1), ...  So can the program: equations() writes the forward pass,
# the deltas and the updates of one training loop as straight-line Python,
# every weight a local variable, and train() runs it.  It does exactly the
# operations of the list code above, in the same order, so both give the
# same numbers -- only much faster, since no lists are built on the way.
# The source is made from layer sizes (integers) and names from fixed
# tables only, never from text a user passed.

_F = {"sigmoid": "(exp({a}) if {a} < -709.0 else 1.0 / (1.0 + exp(-{a})))",
      "tanh": "tanh({a})", "relu": "({a} if {a} > 0.0 else 0.0)", "linear": "{a}"}
_DF = {"sigmoid": "({o} * (1.0 - {o}))", "tanh": "(1.0 - {o} * {o})",
       "relu": "(1.0 if {o} > 0.0 else 0.0)", "linear": "1.0"}
COMPILE_LIMIT = 3000        # weights and biases; bigger networks use the lists
UNROLL_LIMIT = 600          # samples x weights written out without a loop


def _sum(terms):
    """``t1 + t2 + ...`` summed left to right, as the list code sums."""
    return " + ".join(terms)


def equations(net, full_batch=True, samples=0):
    """Python source of ``net``'s training loop, written out unit by unit.

    Names: ``o{l}_{i}`` is output i of layer l (``o0_i`` the inputs),
    ``a{l}_{j}`` a weighted sum, ``d{l}_{j}`` a delta, ``w{l}_{i}_{j}`` and
    ``b{l}_{j}`` the weights and biases, ``gw``/``gb`` their sums of
    ``o_i * delta_j`` over a batch, ``E`` the loss.  With ``samples=n``
    (full batch only) the n samples are written out one after the other too,
    their inputs ``x{s}_{i}`` and targets ``t{s}_{j}`` read once.

    >>> src = equations(worked_example())
    >>> print(src[src.index("a1_0 ="):src.index("# loss")].replace("    ", ""))
    a1_0 = o0_0 * w0_0_0 + o0_1 * w0_1_0
    o1_0 = (exp(a1_0) if a1_0 < -709.0 else 1.0 / (1.0 + exp(-a1_0)))
    a1_1 = o0_0 * w0_0_1 + o0_1 * w0_1_1
    o1_1 = (exp(a1_1) if a1_1 < -709.0 else 1.0 / (1.0 + exp(-a1_1)))
    a2_0 = o1_0 * w1_0_0 + o1_1 * w1_1_0
    o2_0 = (exp(a2_0) if a2_0 < -709.0 else 1.0 / (1.0 + exp(-a2_0)))
    r0 = y0 - o2_0
    <BLANKLINE>
    """
    sizes, acts, loss = net.sizes, net.activations, net.loss_name
    L, out = len(sizes) - 1, sizes[-1]
    w = ["w%d_%d_%d" % (l, i, j) for l in range(L) for i in range(sizes[l])
         for j in range(sizes[l + 1])]
    b = ["b%d_%d" % (l, j) for l in range(L) for j in range(sizes[l + 1])] if net.bias else []
    params = w + b
    d = lambda l, j: "d%d_%d" % (l, j)                      # noqa: E731

    def sample(xs, ys):
        """One sample's work, its inputs named xs and its targets ys."""
        o = lambda l, i: xs[i] if l == 0 else "o%d_%d" % (l, i)   # noqa: E731
        body = ["# forward pass: a = sum_i o_i * w_ij + b_j, o = F(a)"]
        for l in range(1, L + 1):
            for j in range(sizes[l]):
                terms = ["%s * w%d_%d_%d" % (o(l - 1, i), l - 1, i, j) for i in range(sizes[l - 1])]
                body.append("a%d_%d = %s" % (l, j, _sum(terms + (["b%d_%d" % (l - 1, j)] if b else []))))
                if acts[l - 1] != "softmax":
                    body.append("%s = %s" % (o(l, j), _F[acts[l - 1]].format(a="a%d_%d" % (l, j))))
        a_out = ["a%d_%d" % (L, j) for j in range(out)]
        if acts[-1] == "softmax":                 # the row maximum keeps exp from overflowing
            body.append("m = max(%s)" % ", ".join(a_out))
            body += ["e%d = exp(%s - m)" % (j, a_out[j]) for j in range(out)]
            body.append("t = %s" % _sum(["e%d" % j for j in range(out)]))
            body += ["%s = e%d / t" % (o(L, j), j) for j in range(out)]
        body += ["r%d = %s - %s" % (j, ys[j], o(L, j)) for j in range(out)]   # y - o
        if full_batch:
            body.append("# loss")
            for j in range(out):
                y, v, a = ys[j], o(L, j), a_out[j]
                if loss == "mse":
                    body.append("E += r%d * r%d" % (j, j))
                elif acts[-1] == "sigmoid":
                    body.append("E += %s * softplus(-%s) + (1.0 - %s) * softplus(%s)" % (y, a, y, a))
                else:
                    body.append("E += %s * (m + log(t) - %s)" % (y, a))
        body.append("# output deltas")
        e = ["r%d" % j for j in range(out)]
        if loss == "cross_entropy" and acts[-1] == "softmax":
            body.append("sy = %s" % _sum(ys))
        if loss == "mse" and acts[-1] == "softmax":
            body.append("dot = %s" % _sum(["%s * %s" % (e[j], o(L, j)) for j in range(out)]))
        for j in range(out):
            v = o(L, j)
            if loss == "cross_entropy":
                rhs = e[j] if acts[-1] == "sigmoid" else "%s - %s * sy" % (ys[j], v)
            elif acts[-1] == "softmax":
                rhs = "%s * (%s - dot)" % (v, e[j])
            else:
                rhs = "%s * %s" % (e[j], _DF[acts[-1]].format(o=v))
            body.append("%s = %s" % (d(L, j), rhs))
        body.append("# hidden deltas: d_h = F'(o_h) * sum_k w_hk * d_k")
        for l in range(L - 1, 0, -1):
            for h in range(sizes[l]):
                error = _sum(["%s * w%d_%d_%d" % (d(l + 1, k), l, h, k) for k in range(sizes[l + 1])])
                body.append("%s = (%s) * %s" % (d(l, h), error, _DF[acts[l - 1]].format(o=o(l, h))))
        body.append("# sums over the batch of o_i * d_j")
        for l in range(L):
            body += ["gw%d_%d_%d += %s * %s" % (l, i, j, o(l, i), d(l + 1, j))
                     for i in range(sizes[l]) for j in range(sizes[l + 1])]
            body += ["gb%d_%d += %s" % (l, j, d(l + 1, j)) for j in range(sizes[l + 1] if b else 0)]
        return body

    g = ["g" + p for p in params]
    chunks = [range(i, min(i + 50, len(params))) for i in range(0, len(params), 50)]
    zero = [" = ".join(g[i] for i in c) + " = 0.0" for c in chunks]
    update = ["# updates: w += lr * sum(o_i * d_j)"] + ["%s += g%s * lr" % (p, p) for p in params]
    # as _finite(): the sum of the new weights is finite, or training diverged
    update += ["c%d = %s" % (n, _sum([params[i] for i in c])) for n, c in enumerate(chunks)]
    update += ["c = %s" % _sum(["c%d" % n for n in range(len(chunks))]),
               "if c - c != 0.0:", "    return epoch, None, None"]
    reported = ["loss = %s" % ("E / count" if loss == "mse" else "E / n"),
                "if loss - loss != 0.0:", "    return epoch, None, loss",
                "if epoch % report_every == 0:",
                "    report(epoch, loss, [%s])" % ", ".join(params)]
    head = ["%s, = P" % ", ".join(params), "n = len(X)", "count = n * %d" % out]
    xs = ["o0_%d" % i for i in range(sizes[0])]
    ys = ["y%d" % j for j in range(out)]
    if not samples and 2 * len(params) > 256:
        # CPython numbers locals in order of first use and names the first 256
        # in one byte, the rest in two: give the short ones to the sample's
        # own values, which the loop reads most (about 15 % faster)
        hot = xs + ys + ["%s%d_%d" % (c, l, j) for l in range(1, L + 1)
                         for j in range(sizes[l]) for c in "aod"]
        head[:0] = ["# the sample's own names first: they get the one-byte slots",
                    " = ".join(hot[:250]) + " = 0.0"]
    unpack = ["%s, = X[s]" % ", ".join(xs), "%s, = Y[s]" % ", ".join(ys)]
    body = sample(xs, ys)
    if samples:                               # every sample written out: no loop at all
        work = []
        for s in range(samples):
            xs = ["x%d_%d" % (s, i) for i in range(sizes[0])]
            ys = ["t%d_%d" % (s, j) for j in range(out)]
            head += ["%s, = X[%d]" % (", ".join(xs), s), "%s, = Y[%d]" % (", ".join(ys), s)]
            # the first sample starts the sums (0.0 + x is x: the same numbers)
            work += [text.replace(" += ", " = ") if s == 0 and text[0] == "g" else text
                     for text in sample(xs, ys)]
        loop = ["E = 0.0"] + work + reported + update
    elif full_batch:
        loop = ["E = 0.0"] + zero + ["for s in range(n):"] + _indent(unpack + body) \
            + reported + update
    else:
        loop = ["if epoch % report_every == 0:",
                "    loss = measure([%s])" % ", ".join(params),
                "    if loss - loss != 0.0:", "        return epoch, None, loss",
                "    report(epoch, loss, None)",
                "shuffle(order, rng)",
                "for start in range(0, n, k):"] + _indent(
            zero + ["for s in order[start:start + k]:"] + _indent(unpack + body) + update)
    src = ["def run(P, X, Y, epochs, lr, report_every, k, order, rng, report, measure):"]
    src += _indent(head + ["for epoch in range(epochs):"] + _indent(loop))
    src += ["    return -1, [%s], None" % ", ".join(params)]
    return "\n".join(src) + "\n"


def _indent(lines):
    return ["    " + text for text in lines]


_COMPILED = {}


def _compiled(net, full_batch, force=None, n=0):
    """The compiled training loop for ``net``'s shape, or None to use lists."""
    size = sum(len(W) * len(W[0]) + len(W[0]) for W in net.weights)
    if size > COMPILE_LIMIT and not force:
        return None
    # a small full batch is written out sample by sample: no loop, no indexing
    samples = n if full_batch and n * size <= UNROLL_LIMIT else 0
    key = (tuple(net.sizes), tuple(net.activations), net.loss_name, net.bias,
           full_batch, samples)
    if key not in _COMPILED:
        scope = {"exp": math.exp, "tanh": math.tanh, "log": math.log,
                 "softplus": softplus, "shuffle": shuffle}
        try:
            exec(equations(net, full_batch, samples), scope)
        except (NameError, MemoryError, RuntimeError):  # no exec, no room, too long
            return None
        _COMPILED[key] = scope["run"]
    return _COMPILED[key]


def _params(net):
    """Weights, then biases if any, as one flat list (the order equations() uses)."""
    flat = [v for W in net.weights for row in W for v in row]
    return flat + ([v for b in net.biases for v in b] if net.bias else [])


def _set_params(net, P):
    it = iter(P)
    net.weights[:] = [[[next(it) for _ in row] for row in W] for W in net.weights]
    if net.bias:
        net.biases[:] = [[next(it) for _ in b] for b in net.biases]


def _train_compiled(net, run, X, y, epochs, lr, report_every, k, report):
    """train() with the compiled loop; on divergence, replay up to the bad epoch."""
    P0, rng = _params(net), net.rng
    state = list(rng.mt), rng.index, rng.spare

    def measure(P):                 # mini-batches: the loss of all the data, as the lists do
        _set_params(net, P)
        a, o = net._forward(X)
        return net._reported(a[-1], o[-1], y)

    def sync(epoch, loss, P):       # a callback sees the weights of that moment
        if P is not None:
            _set_params(net, P)
        report(epoch, loss)
    bad, P, loss = run(P0, X, y, epochs, lr, report_every, k, list(range(len(X))), rng,
                       sync, measure)
    if bad >= 0:
        rng.mt, rng.index, rng.spare = state
        P = run(P0, X, y, bad, lr, report_every, k, list(range(len(X))), rng,
                lambda epoch, loss, P: None, measure)[1]
    _set_params(net, P)
    if bad >= 0:
        _diverged(bad, loss)


# ---------------------------------------------------------------------------
# 10. Seeing it: the walkthrough of any network, plots in the terminal
# ---------------------------------------------------------------------------

def unit_names(sizes):
    """The article's names, for any sizes: units are numbered 1, 2, ... in
    layer order, inputs first; ``x_g`` or ``y_g`` is the output of unit g and
    ``delta_g`` its delta; the units after the inputs are numbered again,
    k = 1, 2, ..., for their sums ``a_k``, their labels (``h_k`` hidden,
    ``O_k`` output) and the weights ``w_ik`` into them from unit i of the
    layer before.  Returns per layer a list of (label, output, sum, delta, k).

    >>> unit_names([2, 2, 1])[2]
    [('O3', 'y5', 'a3', 'delta5', 3)]
    """
    names, g = [], 0
    for l, n in enumerate(sizes):
        layer = []
        for _ in range(n):
            g += 1
            k = g - sizes[0]
            label = "x%d" % g if l == 0 else ("O%d" if l == len(sizes) - 1 else "h%d") % k
            layer.append((label, label if l == 0 else "y%d" % g, "a%d" % k, "delta%d" % g, k))
        names.append(layer)
    return names


def _say(write, *parts):
    """Write ``a = b = c ...`` on one line, or, past 79 columns, the numbers
    on a second line under the first ``=``."""
    text = "  " + " = ".join(parts)
    if len(text) <= 79 or len(parts) < 3:
        write(text)
    else:
        write("  " + " = ".join(parts[:2]))
        write("  " + " " * len(parts[0]) + " = " + " = ".join(parts[2:]))


def _weight_name(i, k, wide):
    return "w%d,%d" % (i, k) if wide else "w%d%d" % (i, k)


def trace(net, x, y, lr, digits=6, ascii=False, out=None):
    """Print one sample's forward pass, deltas and update, every number shown,
    in the article's notation (see unit_names): check a hand calculation.
    Updates ``net``.

    >>> lines = []
    >>> trace(worked_example(), [0.35, 0.7], [0.5], lr=1, out=lines)
    >>> print(lines[8])
      a1 = w11*x1 + w21*x2 = 0.2*0.35 + 0.2*0.7 = 0.21
    >>> print("\\n".join(lines[28:30]))
      Delta w23 = eta*delta5*y4 = 1*(-0.0367703)*0.578105 = -0.0212571
        w23: 0.9 -> 0.878743    (dE/dw23 = 0.0212571)
    """
    X, Y = net._data([x], [y])
    lr = _check_lr(lr)
    write, names = _writer(out), unit_names(net.sizes)
    g = lambda v: "%.*g" % (digits, v)                            # noqa: E731
    p = lambda v: g(v) if v >= 0 else "(%s)" % g(v)                # noqa: E731
    wide = max(net.sizes) >= 10
    arrow = "-->" if ascii else "──▶"
    write("The network %s: %s hidden, %s output, loss %s%s; eta = %s" % (
        "-".join(str(s) for s in net.sizes), "/".join(net.activations[:-1]) or "no",
        net.activations[-1], net.loss_name, "" if net.bias else ", no biases", g(lr)))
    for l, W in enumerate(net.weights):
        for j, (label, _, _, _, k) in enumerate(names[l + 1]):
            for i, src in enumerate(names[l]):
                write("  %-4s %s %s = %s %s %s" % (src[0], arrow[:2], _weight_name(i + 1, k, wide),
                                                 g(W[i][j]), arrow, label))
            if net.bias:
                write("  %-4s    bias b%d = %s" % (label, k, g(net.biases[l][j])))
    a, o = net._forward(X)
    _trace_forward(net, names, a, o, g, p, wide, write)
    outs = names[-1]
    write("Error: target - output")
    for j, unit in enumerate(outs):
        write("  t%d - %s = %s - %s = %s" % (j + 1, unit[1], g(Y[0][j]), p(o[-1][0][j]),
                                             g(Y[0][j] - o[-1][0][j])))
    write("  E = %s (%s)" % (g(objective(net.activations[-1], net.loss_name, a[-1], o[-1], Y)),
                             "1/2 sum (t - y)^2" if net.loss_name == "mse" else "cross-entropy"))
    delta = net._deltas(o, Y)
    write("Backward pass: delta = -dE/da, output layer first")
    _trace_deltas(net, names, o, delta, Y, g, p, wide, write)
    write("Weight updates: Delta w_ik = eta * delta_k * y_i, where y_i is the output of")
    write("unit i and -delta_k * y_i is the gradient dE/dw_ik")
    old_W, old_b = list(net.weights), list(net.biases)   # update() makes new lists
    net.update(o, delta, lr)
    for l in range(len(net.weights) - 1, -1, -1):
        for j, (label, _, _, dname, k) in enumerate(names[l + 1]):
            dj = delta[l + 1][0][j]
            for i, src in enumerate(names[l]):
                oi, wn = o[l][0][i], _weight_name(i + 1, k, wide)
                _say(write, "Delta " + wn, "eta*%s*%s" % (dname, src[1]),
                     "%s*%s*%s" % (g(lr), p(dj), p(oi)), g(lr * dj * oi))
                write("    %s: %s -> %s    (dE/d%s = %s)" % (
                    wn, g(old_W[l][i][j]), g(net.weights[l][i][j]), wn, g(-dj * oi)))
            if net.bias:
                _say(write, "Delta b%d" % k, "eta*%s" % dname, "%s*%s" % (g(lr), p(dj)),
                     g(lr * dj))
                write("    b%d: %s -> %s    (dE/db%d = %s)" % (
                    k, g(old_b[l][j]), g(net.biases[l][j]), k, g(-dj)))
    write("After the update")
    a, o = net._forward(X)
    _trace_forward(net, names, a, o, g, p, wide, write)
    write("  E = %s" % g(objective(net.activations[-1], net.loss_name, a[-1], o[-1], Y)))


def _trace_forward(net, names, a, o, g, p, wide, write):
    write("Forward pass: a_k = sum_i w_ik * (output of unit i)%s, then y = F(a)"
          % (" + b_k" if net.bias else ""))
    for l, W in enumerate(net.weights):
        name = net.activations[l]
        for j, (label, yname, aname, _, k) in enumerate(names[l + 1]):
            terms = ["%s*%s" % (_weight_name(i + 1, k, wide), src[1]) for i, src in enumerate(names[l])]
            nums = ["%s*%s" % (p(W[i][j]), p(o[l][0][i])) for i in range(len(W))]
            if net.bias:
                terms.append("b%d" % k)
                nums.append(p(net.biases[l][j]))
            _say(write, aname, " + ".join(terms), " + ".join(nums), g(a[l + 1][0][j]))
        sums = ", ".join(u[2] for u in names[l + 1])
        for j, (label, yname, aname, _, k) in enumerate(names[l + 1]):
            call = "softmax(%s)[%d]" % (sums, j + 1) if name == "softmax" else \
                "%s(%s)" % (name, aname)
            write("  %s = %s = %s" % (yname, call, g(o[l + 1][0][j])))


def _derivative(name, y, v, g, p):
    """F'(a) written from the output, as symbols and as numbers."""
    if name == "sigmoid":
        return "%s*(1 - %s)" % (y, y), "%s*(1 - %s)" % (p(v), g(v))
    if name == "tanh":
        return "(1 - %s^2)" % y, "(1 - %s^2)" % p(v)
    if name == "relu":
        return "[%s > 0]" % y, "%d" % (v > 0)
    return "1", "1"


def _trace_deltas(net, names, o, delta, Y, g, p, wide, write):
    L, out = len(net.weights), net.activations[-1]
    for j, (label, y, _, dname, k) in enumerate(names[L]):
        t, v = "t%d" % (j + 1), o[L][0][j]
        if net.loss_name == "cross_entropy":
            text = "%s - %s = %s - %s" % (t, y, g(Y[0][j]), p(v))
        elif out == "softmax":
            text = "%s*((%s - %s) - sum_m (t_m - y_m)*y_m)" % (y, t, y)
        else:
            sym, num = _derivative(out, y, v, g, p)
            text = "%s*(%s - %s) = %s*(%s - %s)" % (sym, t, y, num, g(Y[0][j]), p(v))
        _say(write, dname, *(text.split(" = ") + [g(delta[L][0][j])]))
    for l in range(L - 1, 0, -1):
        for h, (label, y, _, dname, k) in enumerate(names[l]):
            nxt = names[l + 1]
            sym, num = _derivative(net.activations[l - 1], y, o[l][0][h], g, p)
            terms = " + ".join("%s*%s" % (_weight_name(h + 1, u[4], wide), u[3]) for u in nxt)
            nums = " + ".join("%s*%s" % (p(net.weights[l][h][m]), p(delta[l + 1][0][m]))
                              for m in range(len(nxt)))
            _say(write, dname, "%s*(%s)" % (sym, terms), "%s*(%s)" % (num, nums),
                 g(delta[l][0][h]))


def _ascii_only():
    """True when stdout cannot take Unicode (its encoding is not UTF-8)."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"   # MicroPython: UTF-8
    return encoding.lower().replace("-", "").replace("_", "") not in ("utf8", "utf8mb4")


def line_plot(values, height=10, width=64, log=False, ascii=False, first=0, step=1):
    """A series as text lines: one column per value (evenly thinned to
    ``width``), a marker at each value's height, the y range on the left,
    and x from ``first`` in steps of ``step`` along the bottom.

    >>> print("\\n".join(line_plot([4, 3, 2, 1, 2], height=4, ascii=True)))
             4 |*
               | *
               |  * *
             1 |   *
               +-----
                0   4
    """
    if width < len(values):
        picks = [i * (len(values) - 1) // (width - 1) for i in range(width)]
    else:
        picks = list(range(len(values)))
    ys = [math.log10(values[i]) if log else values[i] for i in picks]
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or 1.0
    rows = [[" "] * len(ys) for _ in range(height)]
    for c, v in enumerate(ys):
        rows[height - 1 - int((v - lo) / span * (height - 1) + 0.5)][c] = "*" if ascii else "•"
    label = (lambda v: "%.0e" % 10 ** v) if log else (lambda v: "%.3g" % v)
    lines = []
    for r, row in enumerate(rows):
        tag = label(hi) if r == 0 else label(lo) if r == height - 1 else ""
        lines.append("%10s |%s" % (tag, "".join(row).rstrip()))
    last = "%d" % (first + picks[-1] * step)
    lines.append("%10s +%s" % ("", "-" * len(ys)))
    lines.append("%11s %d%*s" % ("", first, len(ys) - len("%d" % first), last))
    return lines


SHADES, ASCII_SHADES = " ░▒▓█", " .:-=+*#%@"


def shade_map(grid, ascii=False):
    """A grid of values in [0, 1] (rows top to bottom, as over the square
    0 <= x, y <= 1 with y growing upwards) as characters, darker for values
    nearer 1, each cell two characters wide.

    >>> print("\\n".join(shade_map([[0.0, 0.4, 0.7, 1.0]] * 2, ascii=True)))
    1 |  ==##@@|
    0 |  ==##@@|
       0      1
    """
    shades = ASCII_SHADES if ascii else SHADES
    lines = []
    for r, row in enumerate(grid):
        cells = "".join(shades[min(len(shades) - 1, int(max(0.0, v) * len(shades)))] * 2
                        for v in row)
        tag = "1" if r == 0 else "0" if r == len(grid) - 1 else " "
        lines.append("%s |%s|" % (tag, cells))
    lines.append("   0%*s" % (2 * len(grid[0]) - 1, "1"))
    return lines


def surface(net, columns=32, rows=16):
    """The first output of ``net`` over the square 0 <= x1, x2 <= 1, as rows
    of values from x2 = 1 at the top: one forward pass per row.

    >>> net = worked_example()
    >>> surface(net, columns=2, rows=2)[1] == [net.predict([[0, 0]])[0][0],
    ...                                        net.predict([[1, 0]])[0][0]]
    True
    """
    return [[o[0] for o in net.predict([[c / (columns - 1), 1.0 - r / (rows - 1)]
                                        for c in range(columns)])]
            for r in range(rows)]


def _progress(epochs):
    """``(callback, finish)`` for train(): epoch, loss and speed on one line
    that updates in place once a run has taken a second -- only when stdout
    is a terminal, so logs and pipes stay clean."""
    isatty = getattr(sys.stdout, "isatty", None)
    if not (isatty and isatty()):
        return None, lambda: None
    import time
    start, shown = time.time(), []

    def show(epoch, loss):
        elapsed = time.time() - start
        if elapsed > 1.0:
            sys.stdout.write("\r  epoch %d/%d  loss %.6g  %.0f epochs/s "
                             % (epoch, epochs, loss, epoch / elapsed))
            shown.append(epoch)

    def finish():
        if shown:
            sys.stdout.write("\r%s\r" % (" " * 60))
    return show, finish


# ---------------------------------------------------------------------------
# 11. Command line
# ---------------------------------------------------------------------------

USAGE = """usage: python backprop.py [COMMAND] [OPTIONS]

commands:
  (none)     the worked example, then the XOR training
  example    the article's 2-2-1 example, step by step, with its errata
             --digits N (6)
             --equations: print the network's training loop as the Python
             equations backprop.py compiles and runs
  xor        train the article's 2-4-1 network on XOR, then plot what it learned
             --epochs N (10000)  --lr F (0.1)  --hidden N (4)  --seed N (0)
             --equations  --quiet
  spiral     train a [2, 16, 16, 3] tanh/softmax classifier on mini-batches
             --epochs N (200)  --lr F (0.02)  --batch-size N (10)  --seed N (0)
  trace      one sample, one update, every number shown, in the article's
             notation: check a hand calculation.  The network comes from a
             file written by Network.save, or from --sizes and --weights:
             trace MODEL.json --x 0.05,0.1 --y 0.01,0.99 [--lr 0.5] [--digits 6]
             trace --sizes 2,2,2 --weights "0.15,0.25,0.2,0.3;0.4,0.5,0.45,0.55"
                   [--biases "0.35,0.35;0.6,0.6"] --x 0.05,0.1 --y 0.01,0.99
             (--weights: per layer, separated by ';', the rows w_i1 w_i2 ... one
             after the other; also --activation, --output-activation, --loss)
  --ascii    (example, xor, trace) plain ASCII, no Unicode blocks; the default
             when stdout is not UTF-8
  --quiet    (xor) only the article's lines
  -h, --help show this help"""


class UsageError(Exception):
    """A bad command line: reported on one line, exit status 2.

    >>> _count(1)("--hidden", "0")
    Traceback (most recent call last):
    ...
    backprop.UsageError: --hidden: expected a whole number >= 1, got '0'
    """


def _parse(args, spec):
    """Parse ``--name value`` pairs against ``spec``: name -> (convert, default);
    a name whose convert is None is a flag without a value."""
    values = dict((name.replace("-", "_"), default)
                  for name, (convert, default) in spec.items())
    i = 0
    while i < len(args):
        flag = args[i]
        name = flag[2:] if flag.startswith("--") else None
        if name not in spec:
            raise UsageError("unknown option %r" % flag)
        if spec[name][0] is None:
            values[name.replace("-", "_")] = True
            i += 1
            continue
        if i + 1 >= len(args):
            raise UsageError("%s needs a value" % flag)
        values[name.replace("-", "_")] = spec[name][0](flag, args[i + 1])
        i += 2
    return values


def _count(low):
    def convert(flag, text):
        v, problem = _attempt(int, text)
        if problem or v < low:
            raise UsageError("%s: expected a whole number >= %d, got %r" % (flag, low, text))
        return v
    return convert


def _positive(flag, text):
    v, problem = _attempt(float, text)
    if problem or not (math.isfinite(v) and v > 0):
        raise UsageError("%s: expected a finite number > 0, got %r" % (flag, text))
    return v


def show_example(digits=6, ascii=False, out=None):
    """The worked example as a story: the network, the forward pass, the
    error, the deltas, the updates, the errata, and the output converging.

    >>> lines = []
    >>> show_example(out=lines)
    >>> [ln for ln in lines if ln.startswith("  y3 =")][0]
    '  y3 = sigmoid(a1) = 0.552308'
    """
    write = _writer(out)
    write("The article's worked example: x1 = 0.35, x2 = 0.7, target t1 = 0.5, eta = 1")
    trace(worked_example(), EXAMPLE_X[0], EXAMPLE_Y[0], 1, digits, ascii, out)
    write("")
    write("Errata: what the article prints, and the right value")
    for line in errata_table():
        write(line)
    outputs = converging()
    write("")
    write("The output y5 over %d such updates, until it is within 0.001 of 0.5:"
          % (len(outputs) - 1))
    for line in line_plot(outputs, height=8, ascii=ascii):
        write(line)
    write("It takes %d such updates to bring y5 within 0.001 of 0.5." % (len(outputs) - 1))


def _floats(flag, text):
    """``--x 0.05,0.10`` and the like: numbers separated by commas."""
    values = []
    for part in text.split(","):
        v, problem = _attempt(float, part)
        if problem or not math.isfinite(v):
            raise UsageError("%s: expected numbers separated by commas, got %r" % (flag, text))
        values.append(v)
    return values


def _layers(flag, text):
    """``--weights "0.15,0.25,0.2,0.3;0.4,0.5,0.45,0.55"``: one list per layer."""
    return [_floats(flag, part) for part in text.split(";")]


def _names(flag, text):
    return text


def _sizes(flag, text):
    """``--sizes 2,2,1``: whole numbers separated by commas."""
    parts = [_attempt(int, part) for part in text.split(",")]
    if any(problem for _, problem in parts):
        raise UsageError("%s: expected whole numbers separated by commas, got %r" % (flag, text))
    return [v for v, _ in parts]


def _trace_network(model, o):
    """The network to trace: a saved model file, or --sizes and --weights."""
    if model is not None:
        if o["sizes"] or o["weights"] or o["biases"]:
            raise UsageError("give a model file or --sizes/--weights, not both")
        return load(model)
    if not (o["sizes"] and o["weights"]):
        raise UsageError("trace needs a model file, or --sizes and --weights")
    net = Network(o["sizes"], bias=bool(o["biases"]), activation=o["activation"],
                  output_activation=o["output_activation"], loss=o["loss"])
    fill = [("--weights", o["weights"], [n * m for n, m in zip(net.sizes, net.sizes[1:])]),
            ("--biases", o["biases"] or [[0.0] * n for n in net.sizes[1:]], net.sizes[1:])]
    for flag, given, want in fill:
        if [len(v) for v in given] != want:
            raise UsageError("%s: expected %s values per layer (row by row), got %s"
                             % (flag, want, [len(v) for v in given]))
    net.weights = [[row[i * m:(i + 1) * m] for i in range(n)]
                   for row, n, m in zip(o["weights"], net.sizes, net.sizes[1:])]
    net.biases = [list(b) for b in fill[1][1]]
    return net


EXAMPLE_OPTIONS = {"equations": (None, False), "ascii": (None, False), "digits": (_count(1), 6)}
XOR_OPTIONS = {"equations": (None, False), "quiet": (None, False), "ascii": (None, False),
               "epochs": (_count(0), 10000), "lr": (_positive, 0.1),
               "hidden": (_count(1), 4), "seed": (_count(0), 0)}
TRACE_OPTIONS = {"x": (_floats, None), "y": (_floats, None), "lr": (_positive, 0.5),
                 "digits": (_count(1), 6), "ascii": (None, False), "sizes": (_sizes, None),
                 "weights": (_layers, None), "biases": (_layers, None),
                 "activation": (_names, "sigmoid"), "output-activation": (_names, "sigmoid"),
                 "loss": (_names, "mse")}
SPIRAL_OPTIONS = {"epochs": (_count(0), 200), "lr": (_positive, 0.02),
                  "batch-size": (_count(1), 10), "seed": (_count(0), 0)}


def main(argv=None):
    """Run the command line; return the exit status.

    >>> main(["xor", "--epochs", "1", "--quiet"])
    Epoch 0, Loss:0.3266821523682062
    Predictions after training:
    [[0.71322076]
     [0.67984749]
     [0.82099661]
     [0.80413179]]
    0
    """
    args = list(getattr(sys, "argv", [])[1:] if argv is None else argv)
    try:
        if args and args[0] in ("-h", "--help"):
            print(USAGE)
            return 0
        command = args.pop(0) if args and not args[0].startswith("-") else None
        if "-h" in args or "--help" in args:
            print(USAGE)
            return 0
        if command is None:
            if args:
                raise UsageError("unknown option %r" % args[0])
            show_example(ascii=_ascii_only())
            print("")
            xor(ascii=_ascii_only())
        elif command == "example":
            options = _parse(args, EXAMPLE_OPTIONS)
            if options["equations"]:
                print("# The article's names: x1 x2 = o0_0 o0_1; a1 a2 a3 = a1_0 a1_1 a2_0;\n"
                      "# y3 y4 y5 = o1_0 o1_1 o2_0; w11 w12 w21 w22 = w0_0_0 w0_0_1 w0_1_0 w0_1_1;\n"
                      "# w13 w23 = w1_0_0 w1_1_0; delta3 delta4 delta5 = d1_0 d1_1 d2_0.")
                print(equations(worked_example()), end="")
            else:
                show_example(options["digits"], options["ascii"] or _ascii_only())
        elif command == "xor":
            options = _parse(args, XOR_OPTIONS)
            if options.pop("equations"):
                print(equations(Network([2, options["hidden"], 1])), end="")
            else:
                options["ascii"] = options["ascii"] or _ascii_only()
                xor(**options)
        elif command == "trace":
            model = args.pop(0) if args and not args[0].startswith("--") else None
            o = _parse(args, TRACE_OPTIONS)
            net = _trace_network(model, o)
            if o["x"] is None or o["y"] is None:
                raise UsageError("trace needs --x and --y, the sample and its targets")
            if len(o["x"]) != net.sizes[0] or len(o["y"]) != net.sizes[-1]:
                raise UsageError("--x has %d values and --y %d; the network takes %d and gives %d"
                                 % (len(o["x"]), len(o["y"]), net.sizes[0], net.sizes[-1]))
            trace(net, o["x"], o["y"], o["lr"], o["digits"], o["ascii"] or _ascii_only())
        elif command == "spiral":
            spiral_demo(**_parse(args, SPIRAL_OPTIONS))
        else:
            raise UsageError("unknown command %r (try --help)" % command)
        getattr(sys.stdout, "flush", lambda: None)()     # a closed pipe shows here
    except (UsageError, ValueError, TypeError, OSError) as e:
        if getattr(e, "errno", None) == 32:     # EPIPE: the reader (``| head``) left
            _stdout_to_devnull()
            return 1
        # one line, no traceback: a bad value (or a run it made diverge)
        sys.stderr.write("backprop.py: error: %s\n" % e)
        return 2
    return 0


def _stdout_to_devnull():
    """Send what is left in stdout's buffer nowhere, so the flush at exit
    cannot fail a second time."""
    try:
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (ImportError, AttributeError, OSError):
        pass


if __name__ == "__main__":
    sys.exit(main())
