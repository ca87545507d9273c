// The page: it draws, and asks the worker (Python) for every number.
// document.body.dataset.state: loading, ready, busy, error (see docs/web.md).
const $ = (selector) => document.querySelector(selector);
const $$ = (selector) => Array.from(document.querySelectorAll(selector));
const params = new URLSearchParams(location.search);
const runtime = params.get("runtime") === "pyodide" ? "pyodide" : "micropython";
let worker, calls = new Map(), nextId = 0, busy = 0;

function state(name, message) {
  document.body.dataset.state = name;
  if (name === "error") {
    $("#error").hidden = false;
    $("#error").textContent = message;
  }
}

function startWorker() {
  state("loading");
  worker = new Worker("worker.js?runtime=" + runtime, { type: "module" });
  worker.onmessage = ({ data }) => {
    if ("ready" in data) {
      if (!data.ready) return state("error", "Python did not start: " + data.error);
      $("#status").textContent = `${data.runtime}, backprop.py imported in ${data.seconds.toFixed(2)} s`;
      state("ready");
      return document.dispatchEvent(new Event("python-ready"));
    }
    const call = calls.get(data.id);
    calls.delete(data.id);
    if (--busy === 0 && document.body.dataset.state === "busy") state("ready");
    data.error ? call.reject(new Error(data.error)) : call.resolve(data.result);
  };
  worker.onerror = (e) => state("error", "the worker failed: " + e.message);
}

// One call of web/page.py's function fn; the page is "busy" until it answers.
function python(fn, ...args) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    calls.set(id, { resolve, reject });
    busy++;
    state("busy");
    worker.postMessage({ id, fn, args });
  });
}

function whenReady() {
  return ["ready", "busy"].includes(document.body.dataset.state) ? Promise.resolve()
    : new Promise((resolve) => document.addEventListener("python-ready", resolve, { once: true }));
}

// The page clock: it keeps ticking while Python works, because Python is
// in the worker.
const opened = performance.now();
setInterval(() => { $("#clock").textContent = Math.round((performance.now() - opened) / 100); }, 100);

// The worked example --------------------------------------------------------

const EXAMPLE = { x1: 0.35, x2: 0.7, t1: 0.5, eta: 1, w11: 0.2, w21: 0.2, w12: 0.3,
                  w22: 0.3, w13: 0.3, w23: 0.9 };

function exampleValues() {
  const v = {};
  for (const name of Object.keys(EXAMPLE)) v[name] = Number($(`input[name="${name}"]`).value);
  return v;
}

async function showExample() {
  const v = exampleValues();
  if (Object.values(v).some((x) => !Number.isFinite(x))) return;
  try {
    const { steps } = await python("example", v);
    const typed = Object.fromEntries($$("#steps input").map((i) => [i.name.slice(6), i.value]));
    $("#steps tbody").replaceChildren(...steps.map((s) => {
      const row = document.createElement("tr");
      row.dataset.step = s.symbol;
      row.innerHTML = "<th></th><td class='formula'></td><td><output tabindex='0'></output></td>" +
        "<td class='article'></td><td><input size='9'></td>";
      row.cells[0].textContent = s.symbol;
      row.cells[1].textContent = s.text;
      const out = row.querySelector("output");
      out.dataset.symbol = s.symbol;
      out.dataset.value = s.value;
      out.textContent = s.shown;
      out.title = s.text;
      if (s.article) row.cells[3].textContent = `${s.article[0]} (${s.article[1]})`;
      const mine = row.querySelector("input");
      mine.name = "check-" + s.symbol;
      mine.setAttribute("aria-label", "your value of " + s.symbol);
      mine.value = typed[s.symbol] || "";
      mine.addEventListener("change", checkHand);
      return row;
    }));
    for (const text of $$("[data-of]")) {
      const s = steps.find((step) => step.symbol === text.dataset.of);
      text.textContent = `${s.symbol} = ${s.shown}`;
    }
    await checkHand();
  } catch (e) {
    $("#verdict").textContent = e.message;
  }
}

async function checkHand() {
  const given = Object.fromEntries($$("#steps input").filter((i) => i.value.trim())
    .map((i) => [i.name.slice(6), i.value.trim()]));
  $$("#steps tr.wrong").forEach((row) => row.classList.remove("wrong"));
  if (!Object.keys(given).length) return ($("#verdict").textContent = "");
  try {
    const { lines, wrong } = await python("check", exampleValues(), given);
    $("#verdict").textContent = lines.join("\n");
    if (wrong) $(`#steps tr[data-step="${CSS.escape(wrong)}"]`).classList.add("wrong");
  } catch (e) {
    $("#verdict").textContent = e.message;
  }
}

for (const input of $$("#example .net input")) input.addEventListener("input", showExample);
$("#reset-example").addEventListener("click", () => {
  for (const [name, v] of Object.entries(EXAMPLE)) $(`input[name="${name}"]`).value = v;
  showExample();
});

// Training ----------------------------------------------------------------

const form = $("#settings");
let run = null;         // {epochs, history: [[epoch, loss, val?]], playing}
let csvText = "";

function settings() {
  const f = Object.fromEntries(new FormData(form));
  return { data: f.data, hidden: f.hidden.split(",").map(Number), activation: f.activation,
           output: f.output, loss: f.loss, optimizer: f.optimizer, lr: Number(f.lr),
           batch: Number(f.batch), epochs: Number(f.epochs), seed: Number(f.seed),
           csv: csvText, target: f.target || null };
}

// The choices of activation, output, loss and optimizer are backprop.py's
// registries' names: Python knows them, the page asks.
document.addEventListener("python-ready", async () => {
  const names = await python("choices");
  for (const [field, options] of Object.entries(names)) {
    const select = form.elements[field], keep = params.get(field) || select.value;
    select.replaceChildren(...options.map((name) => new Option(name, name)));
    select.value = options.includes(keep) ? keep : select.value;
  }
}, { once: true });

// The settings live in the URL: a link gives the same run.
function remember() {
  const url = new URL(location.href);
  for (const [k, v] of new FormData(form)) if (k !== "target") url.searchParams.set(k, v);
  history.replaceState(null, "", url);
}
for (const [k, v] of params) {
  const field = form.elements[k];
  if (field && k !== "target") field.value = v;
}

async function reset() {
  pause();
  remember();
  const s = settings();
  $$(".csv").forEach((e) => (e.hidden = s.data !== "csv"));
  if (s.data === "csv" && !csvText) return ($("#progress").textContent = "choose a CSV file");
  try {
    const started = await python("start", s);
    run = { total: s.epochs, history: [], started, surface: started.surface, points: started.points };
    $("#progress").textContent = `network ${started.sizes.join("-")}, ${started.rows} rows` +
      (started.validation ? `, ${started.validation} to validate` : "");
    draw();
  } catch (e) {
    run = null;
    $("#progress").textContent = e.message;
  }
}

let chunk = 1;          // epochs per call, grown so that a call takes about 0.1 s
async function train(epochs) {
  const t0 = performance.now();
  const out = await python("train", epochs);
  const seconds = (performance.now() - t0) / 1000;
  run.history.push(...out.history);
  run.surface = out.surface || run.surface;
  $("#progress").textContent = `epoch ${out.epoch}` +
    (out.history.length ? `, loss ${out.history[out.history.length - 1][1].toPrecision(6)}` : "") +
    (out.accuracy !== null ? `, accuracy ${(100 * out.accuracy).toFixed(1)} %` : "");
  draw();
  return seconds;
}

async function play() {
  if (!run) await reset();
  if (!run || run.playing) return;
  run.playing = true;
  const mine = run;
  try {
    while (mine.playing && mine === run) {
      const done = run.history.length;
      if (done >= run.total) break;
      const seconds = await train(Math.min(chunk, run.total - done));
      chunk = Math.max(1, Math.min(5000, Math.round(chunk * (seconds < 0.05 ? 2 : seconds > 0.2 ? 0.5 : 1))));
    }
  } catch (e) {
    if (e.message !== "stopped") $("#progress").textContent = e.message;
  }
  mine.playing = false;
}

function pause() {
  if (run) run.playing = false;
}

$("#play").addEventListener("click", play);
$("#pause").addEventListener("click", pause);
$("#step").addEventListener("click", async () => {
  if (!run) await reset();
  pause();
  if (run) await train(1).catch((e) => ($("#progress").textContent = e.message));
});
$("#reset").addEventListener("click", reset);
$("#stop").addEventListener("click", () => {
  // Python cannot be interrupted inside the worker: the worker goes, a new one comes
  pause();
  worker.terminate();
  for (const call of calls.values()) call.reject(new Error("stopped"));
  calls.clear();
  busy = 0;
  run = null;
  startWorker();
  $("#progress").textContent = "stopped; Play starts again from the first weights";
  whenReady().then(showExample);
});
form.addEventListener("change", (e) => { if (e.target.name !== "target") reset(); });
$("#csv-file").addEventListener("change", async (e) => {
  csvText = await e.target.files[0].text();
  let header;
  try {
    header = await python("columns", csvText);
  } catch (error) {
    return ($("#progress").textContent = error.message);
  }
  const target = form.elements.target;
  target.replaceChildren(...header.map((name) => new Option(name, name)));
  target.value = header[header.length - 1];
  form.elements.data.value = "csv";
  reset();
});
form.elements.target.addEventListener("change", reset);

// A chart of lines on a log scale: series of {points: [[x, y], ...], cls, label}.
function chart(svg, series, title) {
  const all = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  if (all.length < 2) return (svg.innerHTML = "");
  const lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all)) + 1e-9;
  const last = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const xy = ([x, y]) => `${(40 + 350 * x / last).toFixed(1)},` +
    `${(200 - 180 * (Math.log10(Math.max(y, 1e-300)) - lo) / (hi - lo)).toFixed(1)}`;
  svg.innerHTML = series.map((s) => s.points.length ?
    `<polyline class="${s.cls}" points="${s.points.map(xy).join(" ")}"><title></title></polyline>` : "").join("") +
    `<text x="4" y="20">${(10 ** hi).toPrecision(2)}</text><text x="4" y="200">${(10 ** lo).toPrecision(2)}</text>` +
    `<text x="396" y="215" text-anchor="end">${last}</text><text x="44" y="215"></text>`;
  svg.querySelector("text:last-child").textContent = title;
  svg.querySelectorAll("polyline title").forEach((t, k) =>
    (t.textContent = series.filter((s) => s.points.length)[k].label));
}

function draw() {
  const h = run ? run.history : [];
  const series = [1, 2].map((k) => ({ cls: k === 1 ? "training" : "validation",
    label: k === 1 ? "training" : "validation",
    points: h.filter((e) => e.length > k).map((e) => [e[0], e[k]]) }));
  chart($("#loss"), series, "loss per epoch (log scale)" +
        (series[1].points.length ? "; dashed: validation" : ""));
  const canvas = $("#surface"), g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (!run || !run.surface) return;
  const { box, n, values } = run.surface, size = canvas.width / n;
  values.forEach((v, k) => {
    g.fillStyle = `hsl(${210 - 180 * v}, 70%, ${85 - 20 * Math.abs(v - 0.5)}%)`;
    g.fillRect((k % n) * size, Math.floor(k / n) * size, size + 1, size + 1);
  });
  const classes = Math.max(1, ...run.points.map((p) => p[2]));
  for (const [x, y, c] of run.points) {
    g.fillStyle = `hsl(${210 - 180 * c / classes}, 80%, 35%)`;
    g.beginPath();
    g.arc((x - box[0]) / (box[2] - box[0] || 1) * canvas.width, (box[3] - y) / (box[3] - box[1] || 1) * canvas.height, 3, 0, 7);
    g.fill();
  }
}

for (const button of $$("[data-download]")) {
  button.addEventListener("click", async () => {
    if (!run) return;
    const files = await python("downloads");
    const kind = button.dataset.download;
    if (!files[kind]) return ($("#progress").textContent = "no C for this network's activations");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([files[kind]], { type: "text/plain" }));
    a.download = { json: "model.json", python: "model.py", c: "model.h" }[kind];
    document.body.append(a);
    a.click();
    a.remove();
  });
}

// The challenges ------------------------------------------------------------

$("#tell").addEventListener("click", async () => {
  $("#story-text").textContent = "running…";
  try {
    const { lines, cases } = await python("challenges", $("#story").value);
    $("#story-text").textContent = lines.join("\n");
    // each case's loss (its validation loss dashed), the problem first, then the cures
    const series = cases.flatMap((c, k) => [1, 2].map((i) => ({
      cls: `case${k}` + (i === 2 ? " validation" : ""), label: c.label,
      points: c.history.filter((e) => e.length > i).map((e) => [e[0], e[i]]) })));
    chart($("#story-plot"), series, "loss per epoch (log scale), each case");
    $("#story-legend").replaceChildren(...cases.map((c, k) => {
      const item = document.createElement("li");
      item.className = `case${k}`;
      item.textContent = c.label + (c.diverged ? ` (diverged: ${c.diverged})` : "") +
        (c.measured ? `; per layer, first to last: ${c.measured.map((v) => v.toPrecision(2)).join(", ")}` : "");
      return item;
    }));
  } catch (e) {
    $("#story-text").textContent = e.message;
  }
});

// For tests and scripts: the run as the page holds it, and the page's Python.
window.backpropPage = { run: () => run, python };

$("#runtime").value = runtime;
$("#runtime").addEventListener("change", (e) => {
  const url = new URL(location.href);
  url.searchParams.set("runtime", e.target.value);
  location.href = url;
});
startWorker();
whenReady().then(showExample).then(reset);
