"""The page's Python: what web/app.js asks of backprop.py, through the worker.

Each function takes and returns plain data (the worker passes it as JSON).
Every number comes from backprop.py itself: the worked example from its
trace, the training from Network.train, a CSV file through `train`'s own
reader, the challenges from their Story, the downloads from save's and
export's own text.  Work that takes long goes in steps: MicroPython's
WebAssembly port frees memory only between the worker's calls.
"""
import json
import time

import backprop as bp

# The article's 2-2-1 example: inputs, target, learning rate, weights.
EXAMPLE = {"x1": 0.35, "x2": 0.7, "t1": 0.5, "eta": 1.0, "w11": 0.2, "w21": 0.2,
           "w12": 0.3, "w22": 0.3, "w13": 0.3, "w23": 0.9}


def _example_net(v):
    net = bp.Network([2, 2, 1], bias=False)
    net.weights = [[[v["w11"], v["w12"]], [v["w21"], v["w22"]]], [[v["w13"]], [v["w23"]]]]
    return net


def _traced(v, digits):
    lines = []
    bp.trace(_example_net(v), [v["x1"], v["x2"]], [v["t1"]], v["eta"], digits=digits,
             out=lines)
    return lines


def _uses(text):
    """The units and weights a step's formula names (its symbols, before the
    numbers): a unit by its label (its sum, output and delta are its), a
    weight by its name; the target and E are the output unit's; the
    boxes (t1 and eta) that are not weights by their names."""
    units, boxes = {"t1": "O3", "E": "O3"}, {"t1": "t1", "eta": "eta", "lr": "eta"}
    for layer in bp.unit_names([2, 2, 1]):
        for u in layer:
            for name in (u.out, u.sum, u.delta, u.label):
                units[name] = u.label
    symbols = text.split(" -> ")[0].split(": ")[0].split(" = ")
    words = "".join(c if c.isalpha() or c.isdigit() else " " for c in " ".join(symbols[:2]))
    found = {"units": [], "weights": [], "boxes": []}
    for word in words.split():
        if word in boxes and boxes[word] not in found["boxes"]:
            found["boxes"].append(boxes[word])
        kind, name = ("weights", word) if word[:1] == "w" and len(word) == 3 else \
            ("units", units.get(word))
        if name and name not in found[kind]:
            found[kind].append(name)
    return found


def example(v):
    """Every number of the worked example for the values v, in the trace's
    order: its symbol, its value, the line that works it out, the units and
    weights that line uses, and the article's value where the inputs are
    the article's and it printed a wrong one, with why."""
    v = dict((k, float(v[k])) for k in EXAMPLE)
    shown, exact = bp.trace_steps(_traced(v, 6)), bp.trace_steps(_traced(v, 17))
    article = {}
    if v == EXAMPLE:
        for quantity, printed, correct, why in bp.errata():
            name = quantity.replace(" after", "")
            if quantity.startswith("w"):
                name = "new " + name
            article[name + (" after" if quantity.endswith(" after") else "")] = [printed, why]
    return {"steps": [{"symbol": s, "value": e[1], "shown": "%.6g" % e[1], "text": t,
                       "uses": _uses(t), "article": article.get(s)}
                      for (s, _, t), e in zip(shown, exact)]}


def check(v, given):
    """A hand calculation judged: ``given`` maps symbols to the texts typed;
    the lines of the verdict, the first wrong step, and the symbols whose
    text is not a number (left out of the verdict)."""
    v = dict((k, float(v[k])) for k in EXAMPLE)
    invalid = [k for k, t in given.items() if t.strip() and bp._number(t.strip()) is None]
    pairs = ["%s=%s" % (k, t) for k, t in given.items() if t.strip() and k not in invalid]
    lines = bp.check_steps(bp.trace_steps(_traced(v, 17)), bp._given(pairs),
                           bp.trace_steps(_traced(v, 6))) if pairs else []
    wrong = [line[7:line.index(" = ")] for line in lines if line.endswith("first wrong step; it is")]
    return {"lines": lines, "wrong": wrong[0] if wrong else None, "invalid": invalid}


# Training you can watch: one network at a time, trained a chunk of epochs
# per call, so the page can draw between chunks and pause at any of them.
RUN = {}


def _data(s):
    """(X, Y, labels or None, inputs' names) of a toy data set s asks for."""
    if s["data"] == "xor":
        return bp.XOR_X, bp.XOR_Y, [0, 1, 1, 0], ["x1", "x2"]
    if s["data"] == "circle":
        X, Y = bp._circle(200, s["seed"])
        return X, Y, [int(t[0]) for t in Y], ["x1", "x2"]
    X, Y, labels = bp.spiral(seed=s["seed"])
    return X, Y, labels, ["x1", "x2"]


# backprop.py's words for its command line's flags, as the page names them
PAGE_WORDS = (("--missing drop", 'missing values "drop the row"'),
              ("--missing mean", 'missing values "fill in the mean"'),
              ("--missing", "missing values"), ("--target", "target"))


def _upload(text, name):
    """The uploaded text written under its own name (letters, digits, . _ -
    kept; .csv added where it is missing), so that errors name it."""
    kept = "".join(c if c.isalpha() or c.isdigit() or c in "._-" else "_" for c in name or "")
    path = (kept.lstrip(".") or "upload") + ("" if kept.endswith(".csv") else ".csv")
    with open(path, "w") as f:
        f.write(text)
    return path


def _in_page_words(call, *args):
    try:
        return call(*args)
    except ValueError as e:
        message = str(e)
        for flag, words in PAGE_WORDS:
            message = message.replace(flag, words)
        raise ValueError(message)


def _csv(s):
    """The uploaded CSV file as `train` reads it (bp._Dataset): its rules,
    its errors; a fifth of the rows to validate on, none held out to test."""
    path = _upload(s["csv"], s.get("name"))
    o = {"target": s.get("target"), "task": None, "missing": s.get("missing") or "error",
         "delimiter": None, "seed": s["seed"], "hidden": s["hidden"],
         "activation": s["activation"]}
    return o, _in_page_words(bp._Dataset, path, o, 0.0, True)


def columns(text, name=None):
    """The column names of a CSV file's text, as `train` reads them."""
    return _in_page_words(lambda: bp.CsvFile(_upload(text, name)).names)


def _network(s, X, Y):
    """A toy data set's network, from the settings s; its split rows."""
    xor = s["data"] == "xor"
    outputs = len(Y[0])
    net = bp.Network([len(X[0])] + s["hidden"] + [outputs], seed=s["seed"],
                     activation=s["activation"],
                     output_activation=s["output"] if outputs > 1 or s["output"] != "softmax"
                     else "sigmoid", loss=s["loss"],
                     init="randn" if xor else bp.ACTIVATIONS[s["activation"]].init)
    order = list(range(len(X)))
    bp.shuffle(order, bp.Random(s["seed"]))
    cut = 0 if xor else len(X) // 5        # XOR: the article's four rows, in its order
    return net, order[cut:] if cut else list(range(len(X))), order[:cut]


def start(s):
    """A new network for the settings s, at its first weights: a CSV file's
    is the one `train` makes of it, with the same preprocessing."""
    if s["data"] == "csv":
        o, data = _csv(s)
        every = list(range(len(data.X)))
        X, Y, names = data.inputs(every), data.targets(every), bp._input_names(data.info)
        labels = [int(v) for v in data.values] if data.info["classes"] else None
        net, fit, val = bp._csv_network(o, len(X[0]), data.info["classes"]), data.fit, data.val
        net.csv = data.info
    else:
        X, Y, labels, names = _data(s)
        net, fit, val = _network(s, X, Y)
    RUN.clear()
    RUN.update(net=net, s=s, X=[X[i] for i in fit], Y=[Y[i] for i in fit],
               val=([X[i] for i in val], [Y[i] for i in val]) if val else None,
               labels=labels and [labels[i] for i in fit], names=names, all=(X, labels))
    net.train(RUN["X"], RUN["Y"], 0, s["lr"], **_options())     # its step compiled now
    return {"sizes": net.sizes, "epoch": 0, "rows": len(fit), "validation": len(val),
            "output": net.activations[-1], "loss": net.loss_name,
            "surface": _surface() if len(X[0]) == 2 else None, "points": _points()}


def train(epochs, surface=True):
    """``epochs`` more epochs: their losses (and validation losses), the
    accuracy where there are classes, and (``surface``) the surface for two
    inputs.  The article's own settings train by the article's loop."""
    net, s = RUN["net"], RUN["s"]
    history = net.train(RUN["X"], RUN["Y"], epochs, s["lr"], report_every=1, **_options())
    out = {"epoch": net.epoch, "history": [list(entry) for entry in history],
           "accuracy": net.accuracy(RUN["X"], RUN["labels"]) if RUN["labels"] else None}
    if surface and len(RUN["X"][0]) == 2:
        out["surface"] = _surface()
    return out


def _options():
    """train()'s options from the settings: none for the article's own."""
    s, options = RUN["s"], {"batch_size": RUN["s"]["batch"] or None}
    if s["optimizer"] != "sgd" or s["batch"] or RUN["val"]:
        options["optimizer"] = s["optimizer"]
    if RUN["val"]:
        options["validation"] = RUN["val"]
    return options


def _points():
    X, labels = RUN["all"]
    return [[x[0], x[1], c] for x, c in zip(X, labels or [0] * len(X))] if len(X[0]) == 2 \
        else []


def _surface(n=24):
    """The network's class (or first output) over the data's box and a margin
    around it, n x n, top row first."""
    X, net = RUN["all"][0], RUN["net"]
    lo = [min(x[k] for x in X) for k in (0, 1)]
    hi = [max(x[k] for x in X) for k in (0, 1)]
    pad = [0.1 * ((hi[k] - lo[k]) or 1.0) for k in (0, 1)]
    lo, hi = [lo[k] - pad[k] for k in (0, 1)], [hi[k] + pad[k] for k in (0, 1)]
    grid = [[lo[0] + (hi[0] - lo[0]) * c / (n - 1), hi[1] - (hi[1] - lo[1]) * r / (n - 1)]
            for r in range(n) for c in range(n)]
    out = net.predict(grid)
    values = [row[0] if len(row) == 1 else bp.classify(row) / (len(row) - 1) for row in out]
    return {"box": lo + hi, "n": n, "values": values}


def downloads():
    """The trained model as save writes it, and as export writes it."""
    net = RUN["net"]
    return {"json": bp._dumps(net), "python": bp.export_python(net),
            "c": bp.export_c(net) if all(bp.ACTIVATIONS[a].F_c for a in net.activations)
            else None}


# The article's three challenges, a story at a time, in steps.
STORY = {}


def challenge(story):
    """Start one of the article's three challenges (see challenge_step)."""
    told = bp.CHALLENGES[story]
    X, y, validation = told.data()
    STORY.clear()
    STORY.update(name=story, X=X, validation=validation, steps=told.running(X, y, validation))
    return {"cases": [case[2] for case in told.cases], "epochs": told.epochs}


def challenge_step(seconds):
    """The started challenge trained on for about ``seconds``: where it is,
    ``{"case", "epoch"}``; at its end, as the command line tells it, and each
    case's losses (or how it diverged) and what it measures per layer."""
    end, step = time.time() + seconds, None
    try:
        while step is None or time.time() < end:
            step = next(STORY["steps"])
    except StopIteration as e:
        return _told(e.value)
    return {"case": step[0], "epoch": step[1]}


def _told(runs):
    told, lines = bp.CHALLENGES[STORY["name"]], []
    told.tell(runs, STORY["X"], STORY["validation"], lines.append, True)
    cases = []
    for name, mark, label, _, _ in told.cases:
        history, net, measured = runs[name]
        diverged = not isinstance(history, list)
        cases.append({"label": label, "diverged": str(history) if diverged else None,
                      "history": [] if diverged else [list(entry) for entry in history],
                      "measured": measured})
    STORY.clear()
    return {"lines": lines, "cases": cases, "measure": told.measure[0] if told.measure else None}


def choices():
    """The names the settings offer, from backprop.py's registries."""
    acts = bp.ACTIVATIONS
    return {"activation": sorted(k for k in acts if acts[k].hidden),
            "output": sorted(k for k in acts if acts[k].output),
            "loss": sorted(bp.LOSSES), "optimizer": sorted(bp.OPTIMIZERS),
            "missing": ["error", "drop", "mean"], "story": list(bp.CHALLENGES)}


def call(request):
    """The worker's entry: ``{"fn": name, "args": [...]}`` as JSON, the answer as JSON."""
    r = json.loads(request)
    if r["fn"] not in CALLS:
        raise ValueError("page: no function %r" % r["fn"])
    return json.dumps(globals()[r["fn"]](*r["args"]))


CALLS = ("example", "check", "columns", "start", "train", "downloads", "challenge",
         "challenge_step", "choices")
