// The page: it draws, and asks backprop.py (web/page.py, in a Web Worker) for
// every number.  document.body.dataset.state: loading, ready, busy, error
// (see docs/web.md).  ?runtime= picks the Python: none, MicroPython at once
// and Pyodide loaded in the background for the long runs; micropython or
// pyodide, that one alone.  ?lang=zh: the page in Chinese.
import { ZH } from "./zh.js";

const $ = (selector) => document.querySelector(selector);
const $$ = (selector) => Array.from(document.querySelectorAll(selector));
const params = new URLSearchParams(location.search);
const forced = ["micropython", "pyodide"].includes(params.get("runtime")) ? params.get("runtime") : "";
const lang = params.get("lang") === "zh" ? "zh" : "en";

// Words --------------------------------------------------------------------

// t("English text"): the page's words in its language; {name} fills in.
function t(text, fill = {}) {
  const key = text.replace(/\s+/g, " ").trim();
  const words = (/^\s/.test(text) ? " " : "") + ((lang === "zh" && ZH[key]) || key);
  return words.replace(/\{(\w+)\}/g, (_, name) => fill[name]);
}

function translate() {
  document.documentElement.lang = lang;
  document.title = t(document.title);
  for (const e of $$("[data-t]")) e.textContent = t(e.textContent);
  for (const e of $$("[data-t-aria-label]")) e.setAttribute("aria-label", t(e.getAttribute("aria-label")));
  for (const e of $$("[title]")) e.title = t(e.title);
}

// Python's words, for the learner: no exception class, and in Chinese a
// lead-in (backprop.py's own messages stay as it writes them).
function plain(error) {
  const text = String(error && error.message || error).replace(/^\w*(Error|Exception): /, "");
  return lang === "zh" ? t("backprop.py says: {text}", { text }) : text;
}

// Two Pythons ----------------------------------------------------------------

const runtimes = {};        // name -> {worker, calls, ready: Promise, seconds, failed}
let nextId = 0, busy = 0;

function state(name, message) {
  document.body.dataset.state = name;
  if (name === "error") {
    $("#status").textContent = message;
    $("#error").hidden = false;
    $("#error").textContent = message;
  }
}

function startRuntime(name) {
  const r = { calls: new Map() };
  r.worker = new Worker("worker.js?runtime=" + name, { type: "module" });
  r.ready = new Promise((resolve, reject) => {
    r.worker.onmessage = ({ data }) => {
      if ("ready" in data) {
        if (!data.ready) return reject(new Error(data.error));
        r.seconds = data.seconds;
        return resolve(name);
      }
      const call = r.calls.get(data.id);
      r.calls.delete(data.id);
      if (--busy === 0 && document.body.dataset.state === "busy") state("ready");
      data.error ? call.reject(new Error(data.error)) : call.resolve(data.result);
    };
    r.worker.onerror = (e) => reject(new Error(e.message || "the worker failed"));
  });
  r.ready.catch((e) => (r.failed = e));
  runtimes[name] = r;
  return r.ready;
}

const primary = forced || "micropython";

function showStatus() {
  const parts = Object.entries(runtimes).map(([name, r]) => r.failed ? t("{name} failed", { name })
    : r.seconds !== undefined ? t("{name}, backprop.py imported in {s} s", { name, s: r.seconds.toFixed(2) })
    : t("{name} loading in the background, for the long runs", { name }));
  $("#status").textContent = parts.join("; ");
}

// One call of web/page.py's function fn on the runtime ``on``; the page is
// "busy" until it answers.
function python(fn, args = [], on = primary) {
  const r = runtimes[on];
  return new Promise((resolve, reject) => {
    const id = nextId++;
    r.calls.set(id, { resolve, reject });
    busy++;
    state("busy");
    r.worker.postMessage({ id, fn, args });
  });
}

// Pyodide, for the long runs, loads in the background once the page has had
// nothing to do for a second (loading it while MicroPython trains would slow
// both), or at once when a long run is asked for.
function loadPyodide() {
  if (!forced && !runtimes.pyodide) startRuntime("pyodide").then(showStatus, showStatus);
  showStatus();
}

function whenIdle(then, since = performance.now()) {
  if (busy) since = performance.now();
  if (performance.now() - since > 1000) return then();
  setTimeout(() => whenIdle(then, since), 200);
}

// The runtime for long work: Pyodide once it is ready (``wait``: as soon as
// it is, unless it failed), else the first.
async function fastest(wait) {
  if (wait) loadPyodide();
  const p = runtimes.pyodide;
  if (forced || !p || p.failed) return primary;
  if (p.seconds !== undefined || !wait) return p.seconds !== undefined ? "pyodide" : primary;
  return p.ready.catch(() => primary);
}

function restart(name) {
  const r = runtimes[name];
  r.worker.terminate();
  for (const call of r.calls.values()) call.reject(new Error("stopped"));
  busy = Math.max(0, busy - r.calls.size);
  if (!busy) state("ready");
  startRuntime(name).then(showStatus);
}

// The page clock: it ticks on while Python works, in a worker.
const opened = performance.now();
setInterval(() => { $("#clock").textContent = Math.round((performance.now() - opened) / 100); }, 100);

// The settings in the URL: a link gives the same page ------------------------

function remember(changes) {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  history.replaceState(null, "", url);
}

// The worked example --------------------------------------------------------

const EXAMPLE = { x1: 0.35, x2: 0.7, t1: 0.5, eta: 1, w11: 0.2, w21: 0.2, w12: 0.3,
                  w22: 0.3, w13: 0.3, w23: 0.9 };
// where the boxes that are not weights stand, in the diagram's coordinates
const PLACES = { x1: [80, 22], x2: [80, 308], t1: [450, 214], eta: [450, 290] };
const ALONG = { x1h1: 0.55, x2h2: 0.55, x1h2: 0.28, x2h1: 0.28, h1O3: 0.5, h2O3: 0.5 };
let steps = [], at = 0;

// Each weight's box on its own edge (w_ij: from unit i to unit j), part way along.
function placeBoxes() {
  const box = $(".net svg").viewBox.baseVal;
  for (const label of $$(".net label")) {
    let [x, y] = PLACES[label.dataset.at] || [0, 0];
    if (label.dataset.from) {
      const line = $(`.net line[data-from="${label.dataset.from}"][data-to="${label.dataset.to}"]`);
      const k = ALONG[label.dataset.from + label.dataset.to];
      x = line.x1.baseVal.value + k * (line.x2.baseVal.value - line.x1.baseVal.value);
      y = line.y1.baseVal.value + k * (line.y2.baseVal.value - line.y1.baseVal.value);
    }
    label.style.left = `${100 * x / box.width}%`;
    label.style.top = `${100 * y / box.height}%`;
  }
}

function exampleValues() {
  const v = {}, bad = [];
  for (const name of Object.keys(EXAMPLE)) {
    const input = $(`.net input[name="${name}"]`), text = input.value.trim();
    v[name] = Number(text);
    const wrong = !text || !Number.isFinite(v[name]) || (name === "eta" && !(v[name] > 0));
    input.setAttribute("aria-invalid", wrong ? "true" : "false");
    if (wrong) bad.push(name === "eta" ? "η" : name);
  }
  return [v, bad];
}

async function showExample() {
  const [v, bad] = exampleValues();
  $("#example").classList.toggle("stale", bad.length > 0);
  $("#example-error").hidden = !bad.length;
  if (bad.length) {
    $("#example-error").textContent = t(bad.includes("η") ? "{names}: expected a number (η: above 0); " +
      "the numbers below are stale until it is fixed" : "{names}: expected a number; the numbers " +
      "below are stale until it is fixed", { names: bad.join(", ") });
    return;
  }
  remember(Object.fromEntries(Object.keys(EXAMPLE).map((k) => [k, v[k] === EXAMPLE[k] ? null : v[k]])));
  try {
    ({ steps } = await python("example", [v]));
  } catch (e) {
    $("#example-error").hidden = false;
    return ($("#example-error").textContent = plain(e));
  }
  const typed = Object.fromEntries($$("#steps input").map((i) => [i.name.slice(6), i.value]));
  $("#steps tbody").replaceChildren(...steps.map(row));
  for (const text of $$("[data-of]")) {
    const s = steps.find((step) => step.symbol === text.dataset.of);
    text.textContent = `${s.symbol} = ${s.shown}`;
  }
  for (const input of $$("#steps input")) input.value = typed[input.name.slice(6)] || "";
  showStep();
  await checkHand();
}

function row(s) {
  const tr = document.createElement("tr");
  tr.dataset.step = s.symbol;
  tr.innerHTML = "<th scope='row'></th><td class='formula'></td><td><output></output></td>" +
    "<td class='article'></td><td><input size='9' inputmode='decimal'></td>";
  tr.cells[0].textContent = s.symbol;
  tr.cells[1].textContent = s.text;
  const out = tr.querySelector("output");
  Object.assign(out.dataset, { symbol: s.symbol, value: s.value });
  out.textContent = s.shown;
  out.title = s.text;
  if (s.article) tr.cells[3].textContent = `${s.article[0]} (${t(s.article[1])})`;
  const mine = tr.querySelector("input");
  mine.name = "check-" + s.symbol;
  mine.setAttribute("aria-label", t("your value of {symbol}", { symbol: s.symbol }));
  mine.addEventListener("change", checkHand);
  return tr;
}

async function checkHand() {
  const given = Object.fromEntries($$("#steps input").filter((i) => i.value.trim())
    .map((i) => [i.name.slice(6), i.value.trim()]));
  $$("#steps tr.wrong").forEach((tr) => tr.classList.remove("wrong"));
  $$("#steps input").forEach((i) => i.setAttribute("aria-invalid", "false"));
  $("#step-mine").value = given[steps[at] && steps[at].symbol] || "";
  if (!Object.keys(given).length) return ($("#verdict").textContent = "");
  const [v, bad] = exampleValues();
  if (bad.length) return;
  try {
    const { lines, wrong, invalid } = await python("check", [v, given]);
    for (const symbol of invalid) $(`#steps input[name="check-${CSS.escape(symbol)}"]`).setAttribute("aria-invalid", "true");
    $("#verdict").textContent = (invalid.length ? t("{names}: not a number", { names: invalid.join(", ") }) + "\n" : "") +
      lines.map(verdict).join("\n");
    if (wrong) $(`#steps tr[data-step="${CSS.escape(wrong)}"]`).classList.add("wrong");
  } catch (e) {
    $("#verdict").textContent = plain(e);
  }
}

// A line of the hand check's verdict (check_steps'), in the page's language.
function verdict(line) {
  const m = line.match(/^check: (.+?) = (\S+) is (right|the first wrong step; it is)$/);
  if (m) return t(m[3] === "right" ? "check: {symbol} = {value} is right" :
    "check: {symbol} = {value} is the first wrong step; it is", { symbol: m[1], value: m[2] });
  const few = line.match(/^check: (.+?) = (\S+) has too few digits to judge; write two or more$/);
  if (few) return t("check: {symbol} = {value} has too few digits to judge; write two or more",
    { symbol: few[1], value: few[2] });
  return line.startsWith("check: ") ? t(line) : line;
}

// Step through one update, a quantity at a time, in the article's order.
function showStep() {
  if (!steps.length) return;
  at = Math.max(0, Math.min(at, steps.length - 1));
  const s = steps[at];
  $("#example").dataset.stepSymbol = s.symbol;
  $$("#example .active").forEach((e) => e.classList.remove("active"));
  for (const unit of s.uses.units) $(`.net [data-unit="${unit}"]`).classList.add("active");
  for (const box of s.uses.boxes) $(`.net label[data-at="${box}"]`).classList.add("active");
  for (const w of s.uses.weights) {
    const input = $(`.net input[name="${w}"]`);
    $(`.net line[data-from="${input.dataset.from}"][data-to="${input.dataset.to}"]`).classList.add("active");
    input.parentElement.classList.add("active");
  }
  $(`#steps tr[data-step="${CSS.escape(s.symbol)}"]`).classList.add("active");
  $("#step-count").textContent = t("step {k} of {n}", { k: at + 1, n: steps.length }) +
    (s.symbol.endsWith(" after") ? t(", with the new weights") : "");
  $("#step-formula").textContent = s.text;
  const mine = $(`#steps input[name="check-${CSS.escape(s.symbol)}"]`);
  $("#step-mine").value = mine ? mine.value : "";
  $("#step-mine").setAttribute("aria-label", t("your value of {symbol}", { symbol: s.symbol }));
  // a button that disables itself would drop the keyboard's focus: it moves on
  const [back, next] = [$("#step-back"), $("#step-next")];
  back.disabled = at === 0;
  next.disabled = at === steps.length - 1;
  if (back.disabled && document.activeElement === back) next.focus();
  if (next.disabled && document.activeElement === next) back.focus();
}

$("#step-next").addEventListener("click", () => { at++; showStep(); });
$("#step-back").addEventListener("click", () => { at--; showStep(); });
$("#step-mine").addEventListener("change", () => {
  const mine = $(`#steps input[name="check-${CSS.escape(steps[at].symbol)}"]`);
  mine.value = $("#step-mine").value;
  checkHand();
});

for (const input of $$(".net input")) {
  input.addEventListener("input", showExample);
  if (input.dataset.from) {       // the edge of the weight in focus stands out
    const line = () => $(`.net line[data-from="${input.dataset.from}"][data-to="${input.dataset.to}"]`);
    input.addEventListener("focus", () => line().classList.add("active"));
    input.addEventListener("blur", () => line().classList.remove("active"));
  }
}
$("#reset-example").addEventListener("click", () => {
  for (const [name, v] of Object.entries(EXAMPLE)) $(`.net input[name="${name}"]`).value = v;
  showExample();
});
for (const name of Object.keys(EXAMPLE)) {
  if (params.has(name)) $(`.net input[name="${name}"]`).value = params.get(name);
}

// Training ----------------------------------------------------------------

const form = $("#settings");
let run = null;         // {total, history: [[epoch, loss, val?]], playing, on}
let csvText = "", csvName = "";

// The settings, checked: [settings, the fields that are wrong].
function settings() {
  const f = Object.fromEntries(new FormData(form)), bad = [];
  const whole = (name, low, high) => {
    const ok = /^\d+$/.test(f[name].trim()) && Number(f[name]) >= low && Number(f[name]) <= high;
    if (!ok) bad.push([name, t("expected a whole number from {low} to {high}", { low, high })]);
    return Number(f[name]);
  };
  const hidden = f.hidden.split(",").map((part) => part.trim());
  if (!hidden.every((part) => /^\d+$/.test(part) && Number(part) >= 1 && Number(part) <= 1000))
    bad.push(["hidden", t("expected whole numbers from 1 to 1000, separated by commas")]);
  const lr = Number(f.lr);
  if (!f.lr.trim() || !(lr > 0) || !Number.isFinite(lr)) bad.push(["lr", t("expected a number above 0")]);
  const s = { data: f.data, hidden: hidden.map(Number), activation: f.activation, output: f.output,
              loss: f.loss, optimizer: f.optimizer, lr, batch: whole("batch", 0, 1000000),
              epochs: whole("epochs", 1, 100000000), seed: whole("seed", 0, 4294967295),
              missing: f.missing, csv: csvText, name: csvName, target: f.target || null };
  for (const field of form.elements) field.setAttribute && field.setAttribute("aria-invalid", "false");
  for (const [name] of bad) form.elements[name].setAttribute("aria-invalid", "true");
  return [s, bad];
}

function say(text) {
  $("#progress").textContent = text;
}

let resets = 0;         // a reset still starting when another begins must not overwrite it

async function reset() {
  pause();
  const mine = ++resets;
  const [s, bad] = settings();
  remember(Object.fromEntries([...new FormData(form)].filter(([k]) => k !== "target")));
  $$(".csv").forEach((e) => (e.hidden = s.data !== "csv"));
  $$(".toy").forEach((e) => (e.hidden = s.data === "csv"));
  run = null;
  downloadable();
  if (bad.length) return say(bad.map(([name, why]) => `${t(labelOf(name))}: ${why}`).join("; "));
  if (s.data === "csv" && !csvText) return say(t("choose a CSV file"));
  if (s.data !== "xor") loadPyodide();
  const on = await fastest(false);
  if (mine !== resets) return;
  try {
    const started = await python("start", [s], on);
    if (mine !== resets) return;
    run = { total: s.epochs, history: [], started, on, chunk: 1, drawn: 0,
            surface: started.surface, points: started.points };
    say(t("network {sizes}, {rows} rows", { sizes: started.sizes.join("-"), rows: started.rows }) +
        (started.validation ? t(", {n} to validate", { n: started.validation }) : "") +
        (s.data === "csv" ? t(", {output} output, loss {loss}", started) : "") +
        (on !== primary ? t(" (on {name})", { name: on }) : ""));
    draw();
  } catch (e) {
    if (mine === resets) say(plain(e));
  }
}

function labelOf(name) {
  const field = form.elements[name];
  return field.closest("label").querySelector("span").textContent;
}

// A chunk of epochs, sized to take about a fifth of a second: it starts at
// one, so the first epoch shows at once, whatever ran before.
async function train(epochs) {
  const mine = run, t0 = performance.now();
  const surface = performance.now() - mine.drawn > 300 || mine.history.length + epochs >= mine.total;
  const out = await python("train", [epochs, surface], mine.on);
  const seconds = (performance.now() - t0) / 1000;
  if (mine !== run) return seconds;
  run.history.push(...out.history);
  if (out.surface) (run.surface = out.surface, run.drawn = performance.now());
  downloadable();
  say(t("epoch {epoch}", { epoch: out.epoch }) +
      (out.history.length ? t(", loss {loss}", { loss: out.history[out.history.length - 1][1].toPrecision(6) }) : "") +
      (out.accuracy !== null ? t(", accuracy {a} %", { a: (100 * out.accuracy).toFixed(1) }) : ""));
  draw();
  return seconds;
}

async function play() {
  if (!run) await reset();
  if (!run || run.playing) return;
  run.playing = true;
  const mine = run;
  try {
    if (run.history.length >= run.total) say(t("done: {n} epochs, as set", { n: run.total }));
    while (mine.playing && mine === run && run.history.length < run.total) {
      const seconds = await train(Math.min(run.chunk, run.total - run.history.length));
      // toward a fifth of a second a call: at most 8 times as many epochs as the last
      run.chunk = Math.max(1, Math.min(8 * run.chunk, Math.round(run.chunk * 0.2 / Math.max(seconds, 0.001))));
    }
  } catch (e) {
    if (e.message !== "stopped") say(plain(e));
  }
  mine.playing = false;
}

function pause() {
  if (run) run.playing = false;
}

function downloadable() {
  $$("[data-download]").forEach((b) => (b.disabled = !(run && run.history.length)));
}

$("#play").addEventListener("click", play);
$("#pause").addEventListener("click", pause);
$("#step").addEventListener("click", async () => {
  if (!run) await reset();
  pause();
  if (run && run.history.length >= run.total) return say(t("done: {n} epochs, as set", { n: run.total }));
  if (run) await train(1).catch((e) => say(plain(e)));
});
$("#reset").addEventListener("click", reset);
$("#stop").addEventListener("click", () => {
  // Python cannot be interrupted inside a worker: the worker goes, a new one comes
  pause();
  const on = run ? run.on : primary;
  if (telling && telling.on === on) (finishTelling(), $("#story-progress").textContent = t("stopped"));
  run = null;
  downloadable();
  restart(on);
  say(t("stopped; Play starts again from the first weights"));
  if (on === primary) runtimes[on].ready.then(showExample);
});
form.addEventListener("change", (e) => { if (e.target.name !== "target" && e.target.id !== "csv-file") reset(); });
$("#csv-file").addEventListener("change", async (e) => {
  csvText = await e.target.files[0].text();
  csvName = e.target.files[0].name;
  let header;
  try {
    header = await python("columns", [csvText, csvName]);
  } catch (error) {
    return say(plain(error));
  }
  const target = form.elements.target;
  target.replaceChildren(...header.map((name) => new Option(name, name)));
  target.value = header[header.length - 1];
  form.elements.data.value = "csv";
  reset();
});
form.elements.target.addEventListener("change", reset);

// A chart of lines on a log scale: series of {points: [[x, y], ...], cls,
// label}; the x axis from 0 to ``end``, the epochs of the run.
function chart(svg, series, title, end) {
  const all = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  if (all.length < 2) return (svg.innerHTML = "");
  const lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all)) + 1e-9;
  const last = Math.max(1, end);
  const xy = ([x, y]) => `${(40 + 350 * x / last).toFixed(1)},` +
    `${(200 - 180 * (Math.log10(Math.max(y, 1e-300)) - lo) / (hi - lo)).toFixed(1)}`;
  svg.innerHTML = series.map((s) => s.points.length ?
    `<polyline class="${s.cls}" points="${s.points.map(xy).join(" ")}"><title></title></polyline>` : "").join("") +
    `<text x="4" y="20">${(10 ** hi).toPrecision(2)}</text><text x="4" y="200">${(10 ** lo).toPrecision(2)}</text>` +
    `<text x="396" y="215" text-anchor="end">${last}</text><text x="44" y="215"></text>`;
  svg.querySelector("text:last-child").textContent = title;
  svg.querySelectorAll("polyline title").forEach((e, k) =>
    (e.textContent = series.filter((s) => s.points.length)[k].label));
}

// the classes' colours (Okabe-Ito, colour-blind safe) and marks
const COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"];
const MARKS = ["circle", "triangle", "square", "diamond", "cross", "plus"];

function mark(g, x, y, k) {
  const r = 4;
  g.beginPath();
  const shape = MARKS[k % MARKS.length];
  if (shape === "circle") g.arc(x, y, r, 0, 7);
  else if (shape === "triangle") (g.moveTo(x, y - r - 1), g.lineTo(x + r + 1, y + r), g.lineTo(x - r - 1, y + r));
  else if (shape === "square") g.rect(x - r, y - r, 2 * r, 2 * r);
  else if (shape === "diamond") (g.moveTo(x, y - r - 1), g.lineTo(x + r + 1, y), g.lineTo(x, y + r + 1), g.lineTo(x - r - 1, y));
  else (g.moveTo(x - r, y - r), g.lineTo(x + r, y + r), g.moveTo(x + r, y - r), g.lineTo(x - r, y + r));
  g.closePath();
  g.fillStyle = COLOURS[k % COLOURS.length];
  g.fill();
  g.lineWidth = 1.5;
  g.strokeStyle = "#111";
  g.stroke();
}

function draw() {
  const h = run ? run.history : [];
  const series = [1, 2].map((k) => ({ cls: k === 1 ? "training" : "validation",
    label: t(k === 1 ? "training" : "validation"),
    points: h.filter((e) => e.length > k).map((e) => [e[0], e[k]]) }));
  chart($("#loss"), series, t("loss per epoch (log scale)") +
        (series[1].points.length ? t("; dashed: validation") : ""), h.length ? h[h.length - 1][0] + 1 : 1);
  $("#loss").dataset.epochs = h.length;
  const canvas = $("#surface"), g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  canvas.hidden = !(run && run.surface);
  if (canvas.hidden) return;
  const { box, n, values } = run.surface, size = canvas.width / n;
  const classes = Math.max(1, ...run.points.map((p) => p[2]));
  values.forEach((v, k) => {        // a light tint of the class's colour
    g.fillStyle = COLOURS[Math.round(v * classes) % COLOURS.length] + "40";
    g.fillRect((k % n) * size, Math.floor(k / n) * size, size + 1, size + 1);
  });
  for (const [x, y, c] of run.points) {
    mark(g, (x - box[0]) / (box[2] - box[0] || 1) * canvas.width,
         (box[3] - y) / (box[3] - box[1] || 1) * canvas.height, c);
  }
}

for (const button of $$("[data-download]")) {
  button.addEventListener("click", async () => {
    if (!run) return;
    const files = await python("downloads", [], run.on);
    const kind = button.dataset.download;
    if (!files[kind]) return say(t("no C for this network's activations"));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([files[kind]], { type: "text/plain" }));
    a.download = { json: "model.json", python: "model.py", c: "model.h" }[kind];
    document.body.append(a);
    a.click();
    a.remove();
  });
}

// The challenges, each run in steps of a fifth of a second, which Cancel ends.
let telling = null;

async function tell() {
  const story = $("#story").value, mine = {};
  telling = mine;
  remember({ story });
  $("#tell").disabled = true;
  $("#cancel").hidden = false;
  $("#story-text").textContent = "";
  try {
    if (!forced && runtimes.pyodide && runtimes.pyodide.seconds === undefined && !runtimes.pyodide.failed)
      $("#story-progress").textContent = t("waiting for Pyodide, the faster Python…");
    const on = mine.on = await fastest(true);
    const { cases, epochs } = await python("challenge", [story], on);
    let out = {};
    while (telling === mine && !out.lines) {
      out = await python("challenge_step", [0.2], on);
      if (telling === mine && out.case !== undefined) $("#story-progress").textContent = t("{label}: epoch {epoch} of {epochs}",
        { label: t(cases[out.case]), epoch: out.epoch + 1, epochs });
    }
    if (telling === mine) showStory(out, epochs);
  } catch (e) {
    if (telling === mine) $("#story-progress").textContent = e.message === "stopped" ? t("stopped") : plain(e);
  }
  if (telling === mine) finishTelling();
}

function finishTelling() {
  telling = null;
  $("#tell").disabled = false;
  $("#cancel").hidden = true;
}

function showStory({ lines, cases, measure }, epochs) {
  $("#story-progress").textContent = "";
  $("#story-text").textContent = lines.join("\n");
  $("#story-about").textContent = lang === "zh" ? t("story: " + $("#story").value) : "";
  // each case's loss (its validation loss dashed), the problem first, then the cures
  const series = cases.flatMap((c, k) => [1, 2].map((i) => ({
    cls: `case${k}` + (i === 2 ? " validation" : ""), label: t(c.label),
    points: c.history.filter((e) => e.length > i).map((e) => [e[0], e[i]]) })));
  chart($("#story-plot"), series, t("loss per epoch (log scale), each case") +
        (series.some((s) => s.cls.endsWith("validation") && s.points.length) ? t("; dashed: validation") : ""), epochs);
  $("#story-legend").replaceChildren(...cases.map((c, k) => {
    const item = document.createElement("li");
    item.className = `case${k}`;
    item.textContent = t(c.label) + (c.diverged ? t(" (diverged: {why})", { why: c.diverged }) : "") +
      (c.measured ? t("; at the start, {what}, first layer to last: {values}", {
        what: t(measure[0].toLowerCase() + measure.slice(1)),
        values: c.measured.map((v) => v.toPrecision(2)).join(", ") }) : "");
    return item;
  }));
}

$("#tell").addEventListener("click", tell);
$("#cancel").addEventListener("click", () => {
  finishTelling();
  $("#story-progress").textContent = t("cancelled");
});
$("#story").addEventListener("change", () => remember({ story: $("#story").value }));

// Start ---------------------------------------------------------------------

// For tests and scripts: the run as the page holds it, and the page's Python.
window.backpropPage = { run: () => run, python, runtimes };

translate();
placeBoxes();
// only the page's own settings are read from the URL: any other name is ignored
const stories = [...$("#story").options].map((o) => o.value);
if (stories.includes(params.get("story"))) $("#story").value = params.get("story");
for (const field of form.elements) {
  if (!field.name || field.name === "target" || !params.has(field.name)) continue;
  const offered = field.tagName !== "SELECT" || [...field.options].some((o) => o.value === params.get(field.name));
  if (offered) field.value = params.get(field.name);
}
$("#runtime").value = forced;
$("#lang").value = lang;
for (const id of ["runtime", "lang"]) {
  $("#" + id).addEventListener("change", (e) => {
    remember({ [id]: e.target.value || null });
    location.reload();
  });
}
downloadable();
state("loading");
startRuntime(primary).then(async () => {
  showStatus();
  state("ready");
  // the choices of activation, output, loss and optimizer are backprop.py's
  // registries' names: Python knows them, the page asks
  const names = await python("choices");
  for (const field of ["activation", "output", "loss", "optimizer"]) {
    const select = form.elements[field], first = select.value, keep = params.get(field);
    select.replaceChildren(...names[field].map((name) => new Option(name, name)));
    select.value = names[field].includes(keep) ? keep : first;
  }
  await showExample();
  await reset();
  if (!forced) whenIdle(loadPyodide);
}, (e) => state("error", t("Python did not start: {why}", { why: e.message })));
