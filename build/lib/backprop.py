"""backprop.py -- backpropagation in one pure-Python file, exact and portable.

It follows the article "Backpropagation in Neural Network" (GeeksforGeeks,
26 Nov 2025): matrices as lists of rows, the sigmoid, the forward pass, the
deltas, the weight updates, the article's hand-worked 2-2-1 example and its
2-4-1 XOR network -- with the article's arithmetic errors corrected.

Run ``python backprop.py`` for the walkthrough and the XOR training,
``python backprop.py --help`` for the rest.  It needs only ``math``, ``sys``
and ``json``, so it also runs on MicroPython, PyPy and Pyodide.

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
    delta5          -0.0376    -0.036770  from the rounded y5 = 0.67, error = -0.17
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
import json

__version__ = "0.1.0"


def _fail(kind, message):
    """Raise one of the module's two errors (kept in one place for clarity)."""
    raise kind(message)


# ---------------------------------------------------------------------------
# 1. Matrices as lists of rows
# ---------------------------------------------------------------------------
# A matrix is a list of equal-length lists of floats: one row per sample, as
# numpy's X is.  Every helper builds a new matrix and never changes its input.

def shape(A):
    """Return (rows, columns) of matrix ``A``; ragged rows are refused.

    >>> shape([[1, 2, 3], [4, 5, 6]])
    (2, 3)
    >>> shape([[1, 2], [3]])
    Traceback (most recent call last):
    ...
    ValueError: shape: row 1 has 1 columns, row 0 has 2
    """
    if not isinstance(A, list) or not A or not isinstance(A[0], list):
        _fail(TypeError, "shape: expected a non-empty list of row lists, got %s"
              % type(A).__name__)
    cols = len(A[0])
    for r, row in enumerate(A):
        if not isinstance(row, list):
            _fail(TypeError, "shape: row %d is a %s, expected a list"
                  % (r, type(row).__name__))
        if len(row) != cols:
            _fail(ValueError, "shape: row %d has %d columns, row 0 has %d"
                  % (r, len(row), cols))
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
    (n, k), (k2, m) = shape(A), shape(B)
    if k != k2:
        _fail(ValueError, "matmul: (%d, %d) @ (%d, %d) do not fit" % (n, k, k2, m))
    columns = transpose(B)
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
    rows, cols = shape(A)
    return [[A[r][c] for r in range(rows)] for c in range(cols)]


def _same_shape(name, A, B):
    if shape(A) != shape(B):
        _fail(ValueError, "%s: %r and %r do not match" % (name, shape(A), shape(B)))


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
    shape(A)
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
    if shape(A)[1] != len(b):
        _fail(ValueError, "add_row: rows of %r and a vector of %d do not match"
              % (shape(A), len(b)))
    return [[v + c for v, c in zip(row, b)] for row in A]


def column_sums(A):
    """Sum down each column (numpy's ``np.sum(A, axis=0)``), in row order.

    >>> column_sums([[1, 2], [3, 4], [5, 6]])
    [9, 12]
    """
    rows, cols = shape(A)
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
    shape(A)
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
        """The next 32-bit output of MT19937 (tempered)."""
        if self.index >= 624:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)

    def random(self):
        """A float in [0, 1) with 53 random bits, like numpy's random_sample."""
        a, b = self.uint32() >> 5, self.uint32() >> 6
        return (a * 67108864.0 + b) / 9007199254740992.0

    def gauss(self):
        """A standard normal draw, numpy's legacy polar method, bit for bit."""
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
    if not isinstance(M, (list, tuple)) or not M:
        _fail(TypeError if not isinstance(M, (list, tuple)) else ValueError,
              "%s: expected a non-empty list of rows, got %s"
              % (name, "an empty list" if isinstance(M, (list, tuple))
                 else type(M).__name__))
    width = cols
    out = []
    for r, row in enumerate(M):
        if not isinstance(row, (list, tuple)):
            _fail(TypeError, "%s: row %d is a %s, expected a list of numbers"
                  % (name, r, type(row).__name__))
        if width is None:
            width = len(row)
        if len(row) != width:
            _fail(ValueError, "%s: row %d has %d values, expected %d"
                  % (name, r, len(row), width))
        for v in row:
            if not _is_number(v):
                _fail(TypeError, "%s: row %d holds %r, expected a number"
                      % (name, r, v))
            if not math.isfinite(v):
                _fail(ValueError, "%s: row %d holds %r, expected a finite number"
                      % (name, r, v))
        out.append([float(v) for v in row])
    return out


class Network:
    """A fully connected network with sigmoid units, trained by backpropagation.

    ``sizes`` lists the units per layer, input first: ``[2, 4, 1]`` is the
    article's XOR network.  ``weights[l][i][j]`` joins unit i of layer l to
    unit j of layer l+1; ``biases[l][j]`` belongs to unit j of layer l+1.
    Both are plain lists: assign them to set any weights you like.  Seeded
    weights are numpy's ``np.random.seed(seed)`` then ``np.random.randn``
    per layer, bit for bit; biases start at zero.

    >>> net = Network([2, 4, 1], seed=0)
    >>> net.weights[0][0]
    [1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458]
    >>> net.biases
    [[0.0, 0.0, 0.0, 0.0], [0.0]]
    """

    def __init__(self, sizes, bias=True, seed=0):
        if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
            _fail(ValueError if isinstance(sizes, (list, tuple)) else TypeError,
                  "sizes: expected a list of at least two layer sizes, got %r"
                  % (sizes,))
        for s in sizes:
            if type(s) is not int:
                _fail(TypeError, "sizes: expected whole numbers, got %r" % (s,))
            if s < 1:
                _fail(ValueError, "sizes: every layer needs at least one unit, got %r"
                      % (list(sizes),))
        if type(seed) is not int or not 0 <= seed < 2 ** 32:
            _fail(ValueError if type(seed) is int else TypeError,
                  "seed: expected a whole number from 0 to 2**32-1, got %r" % (seed,))
        self.sizes = list(sizes)
        self.bias = bool(bias)
        self.rng = Random(seed)
        # Drawn in layer order, row-major: numpy's randn(n_in, n_out) per layer.
        self.weights = [[[self.rng.gauss() for j in range(n_out)] for i in range(n_in)]
                        for n_in, n_out in zip(sizes, sizes[1:])]
        self.biases = [[0.0] * n_out for n_out in sizes[1:]]

    def _inputs(self, X, name="X"):
        return _matrix(X, name, self.sizes[0])

    def _targets(self, X, y):
        y = _matrix(y, "y", self.sizes[-1])
        if len(y) != len(X):
            _fail(ValueError, "y: %d rows of targets for %d rows of X" % (len(y), len(X)))
        return y

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
        for W, b in zip(self.weights, self.biases):
            a.append(add_row(matmul(o[-1], W), b))
            o.append(apply(sigmoid, a[-1]))
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
        ``delta_h = o_h * (1 - o_h) * sum_k w_hk * delta_k``.

        >>> net = worked_example()
        >>> delta = net.deltas([[0.35, 0.7]], [[0.5]])
        >>> round(delta[2][0][0], 5), round(delta[1][0][1], 6)   # delta5, delta4
        (-0.03677, -0.008071)
        """
        X = self._inputs(X)
        return self._deltas(self._forward(X)[1], self._targets(X, y))

    def _deltas(self, o, y):
        L = len(self.weights)
        delta = [None] * (L + 1)
        delta[L] = multiply(subtract(y, o[L]), apply(sigmoid_derivative, o[L]))
        for l in range(L - 1, 0, -1):
            error = matmul(delta[l + 1], transpose(self.weights[l]))
            delta[l] = multiply(error, apply(sigmoid_derivative, o[l]))
        return delta

    def _ascent(self, o, delta):
        """Per layer, sum over the batch of o_i * delta_j, and of delta_j."""
        return ([matmul(transpose(o[l]), delta[l + 1]) for l in range(len(self.weights))],
                [column_sums(delta[l + 1]) for l in range(len(self.weights))])

    def gradients(self, X, y):
        """``(dW, db)``: the gradient of E = 1/2 sum (y - o)^2 over batch and outputs.

        Shaped like ``weights`` and ``biases``; ``dW[l][i][j] = -sum_n
        o[l][n][i] * delta[l+1][n][j]``.  The article's update is exactly
        ``w -= lr * dW``.  ``db`` is all zeros when the network has no biases.

        >>> net = worked_example()
        >>> dW, db = net.gradients([[0.35, 0.7]], [[0.5]])
        >>> round(dW[1][1][0], 6)          # -Delta w23 at lr = 1
        0.021257
        """
        X = self._inputs(X)
        y = self._targets(X, y)
        o = self._forward(X)[1]
        up_W, up_b = self._ascent(o, self._deltas(o, y))
        dW = [scale(g, -1.0) for g in up_W]
        db = [[-v if self.bias else 0.0 for v in g] for g in up_b]
        return dW, db

    def update(self, o, delta, lr):
        """Apply ``Delta w_ij = lr * delta_j * o_i`` (summed over the batch).

        Biases, if any, move by ``lr * sum_n delta_j``.  Layers are updated
        output first, as the article's ``backward`` does; the new weights are
        new lists, so a caller holding the old ones still has them.
        """
        up_W, up_b = self._ascent(o, delta)
        for l in range(len(self.weights) - 1, -1, -1):
            self.weights[l] = add(self.weights[l], scale(up_W[l], lr))
            if self.bias:
                self.biases[l] = [b + g * lr for b, g in zip(self.biases[l], up_b[l])]

    def step(self, X, y, lr):
        """One full-batch epoch, the article's ``feedforward`` then ``backward``.

        Returns the outputs of the forward pass, from before the update.

        >>> net = worked_example()
        >>> o5 = net.step([[0.35, 0.7]], [[0.5]], lr=1)
        >>> round(net.weights[1][1][0], 6)       # new w23
        0.878743
        """
        X = self._inputs(X)
        y = self._targets(X, y)
        lr = _check_lr(lr)
        a, o = self._forward(X)
        self.update(o, self._deltas(o, y), lr)
        return o[-1]

    # -- training -------------------------------------------------------------
    def loss(self, X, y):
        """The article's loss, ``mean((y - o)^2)`` over every sample and output.

        >>> round(worked_example().loss([[0.35, 0.7]], [[0.5]]), 6)   # 0.1651^2
        0.027249
        """
        X = self._inputs(X)
        return mse(self._targets(X, y), self._forward(X)[1][-1])

    def train(self, X, y, epochs, lr, report_every=None):
        """Train with full-batch gradient descent; return the loss history.

        The history is a list of ``(epoch, loss)`` for epoch 0 and every
        ``report_every`` epochs after (default: every tenth of the run); the
        loss is the article's ``mean((y - o)^2)`` of the forward pass that
        starts that epoch, before its update.  Memory does not grow with the
        number of epochs.

        >>> net = Network([2, 4, 1], seed=0)
        >>> history = net.train(XOR_X, XOR_Y, epochs=10000, lr=0.1, report_every=4000)
        >>> [(e, round(l, 6)) for e, l in history]
        [(0, 0.326682), (4000, 0.014423), (8000, 0.0029)]
        """
        X = self._inputs(X)
        y = self._targets(X, y)
        lr = _check_lr(lr)
        if type(epochs) is not int or epochs < 0:
            _fail(ValueError if type(epochs) is int else TypeError,
                  "epochs: expected a whole number >= 0, got %r" % (epochs,))
        if report_every is None:
            report_every = max(1, epochs // 10)
        if type(report_every) is not int or report_every < 1:
            _fail(ValueError if type(report_every) is int else TypeError,
                  "report_every: expected a whole number >= 1, got %r" % (report_every,))
        history = []
        for epoch in range(epochs):
            a, o = self._forward(X)
            if epoch % report_every == 0:
                history.append((epoch, mse(y, o[-1])))
            self.update(o, self._deltas(o, y), lr)
        return history


def _check_lr(lr):
    if not _is_number(lr):
        _fail(TypeError, "lr: expected a number, got %r" % (lr,))
    if not (math.isfinite(lr) and lr > 0):
        _fail(ValueError, "lr: expected a finite number > 0, got %r" % (lr,))
    return lr


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


def updates_to_converge(tolerance=0.001, lr=1, limit=100000):
    """How many updates until the example's output is within ``tolerance`` of 0.5."""
    net = worked_example()
    for count in range(limit + 1):
        if abs(net.predict(EXAMPLE_X)[0][0] - EXAMPLE_Y[0][0]) < tolerance:
            return count
        net.step(EXAMPLE_X, EXAMPLE_Y, lr)
    return None


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
    ("delta5", "-0.0376", "from the rounded y5 = 0.67, error = -0.17"),
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


def xor(epochs=10000, lr=0.1, hidden=4, seed=0, out=None):
    """The article's XOR run; prints its ``Epoch N, Loss:...`` lines to ``out``.

    Returns the trained network.

    >>> net = xor(epochs=1, out=[])
    >>> net.sizes
    [2, 4, 1]
    """
    net = Network([2, hidden, 1], seed=seed)
    write = _writer(out)
    for epoch, loss in net.train(XOR_X, XOR_Y, epochs, lr, report_every=4000):
        write("Epoch %d, Loss:%r" % (epoch, loss))
    write("Predictions after training:")
    write(format_matrix(net.predict(XOR_X)))
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
# 7. Command line
# ---------------------------------------------------------------------------

USAGE = """usage: python backprop.py [COMMAND] [OPTIONS]

commands:
  (none)     the worked example, then the XOR training
  example    the article's 2-2-1 example, step by step, with its errata
  xor        train the article's 2-4-1 network on XOR
             --epochs N (10000)  --lr F (0.1)  --hidden N (4)  --seed N (0)
  -h, --help show this help"""


class UsageError(Exception):
    """A bad command line: reported on one line, exit status 2."""


def _parse(args, spec):
    """Parse ``--name value`` pairs against ``spec``: name -> (convert, default)."""
    values = dict((name, default) for name, (convert, default) in spec.items())
    i = 0
    while i < len(args):
        flag = args[i]
        name = flag[2:] if flag.startswith("--") else None
        if name not in spec:
            raise UsageError("unknown option %r" % flag)
        if i + 1 >= len(args):
            raise UsageError("%s needs a value" % flag)
        values[name] = spec[name][0](flag, args[i + 1])
        i += 2
    return values


def _number(kind, text):
    """``kind(text)``, or None where the text is not such a number."""
    try:
        return kind(text)
    except ValueError:
        return None


def _count(low):
    def convert(flag, text):
        v = _number(int, text)
        if v is None or v < low:
            raise UsageError("%s: expected a whole number >= %d, got %r" % (flag, low, text))
        return v
    return convert


def _positive(flag, text):
    v = _number(float, text)
    if v is None or not (math.isfinite(v) and v > 0):
        raise UsageError("%s: expected a finite number > 0, got %r" % (flag, text))
    return v


XOR_OPTIONS = {"epochs": (_count(0), 10000), "lr": (_positive, 0.1),
               "hidden": (_count(1), 4), "seed": (_count(0), 0)}


def show_example(out=None):
    """Print the worked example's numbers and the errata table."""
    write = _writer(out)
    write("The article's worked example: inputs x1 = 0.35, x2 = 0.7, target 0.5, eta = 1")
    for name, value in walkthrough():
        write("  %-12s %12.6f" % (name, value))
    write("It takes %d such updates to bring y5 within 0.001 of 0.5."
          % updates_to_converge())
    write("")
    write("Errata: what the article prints, and the right value")
    for line in errata_table():
        write(line)


def main(argv=None):
    """Run the command line; return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
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
            show_example()
            print("")
            xor()
        elif command == "example":
            _parse(args, {})
            show_example()
        elif command == "xor":
            xor(**_parse(args, XOR_OPTIONS))
        else:
            raise UsageError("unknown command %r (try --help)" % command)
    except UsageError as e:
        sys.stderr.write("backprop.py: error: %s\n" % e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
