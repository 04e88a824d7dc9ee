// nnsize's page.  Every number comes from the API, as strings, so none is rounded by a JS float;
// the page never does arithmetic on a count and never expands a network into arrays.
"use strict";
const $ = (id) => document.getElementById(id);
const BOOT = JSON.parse($("boot").textContent);
const DEFAULT_SPEC = {input_shape: [3, 32, 32], layers: [
  {type: "Conv2d", out_channels: 16, kernel_size: 3, padding: 1}, {type: "ReLU"},
  {type: "MaxPool2d", kernel_size: 2}, {type: "Flatten"}, {type: "Linear", out_features: 10}]};
const MODES = ["mlp", "spec", "preset", "file", "hub"];
const FIELDS = {inputs: "Input neurons", hidden: "Hidden layers", neurons: "Neurons per hidden layer",
                outputs: "Output neurons", gpus: "Number of GPUs", batch: "Batch", context: "Context",
                lora: "LoRA rank", count: "A layer's count", tp: "Tensor parallel", pp: "Pipeline stages",
                dp: "Data parallel", ep: "Expert parallel", cp: "Context parallel", nodes: "Nodes",
                micro_batch: "Micro-batch", vp: "Virtual stages", global_batch: "Global batch"};
const state = {mode: "mlp", inputs: "10", hidden: "3", neurons: "20", outputs: "2", shorthand: "",
               fromShorthand: false, spec: DEFAULT_SPEC, specText: null, preset: "llama-3.1-8b",
               file: null, hub: ""};
let last = null;

function group(s) {  // "1234567" -> "1,234,567", exactly, for any size
  return /^-?\d+$/.test(String(s)) ? BigInt(s).toLocaleString("en-US") : String(s);
}

function el(name, attrs, ...children) {
  const e = document.createElement(name);
  Object.entries(attrs || {}).forEach(([k, v]) => (k in e && k !== "list") ? (e[k] = v) : e.setAttribute(k, v));
  e.append(...children);
  return e;
}

// --- talking to the API: one request in flight per purpose, late answers dropped -------------
// A request is answered on screen only while it is still the latest of its purpose: an aborted
// or superseded one ends in Stale, whose body is never read as data, and which no caller shows.
const inflight = {};
class Stale extends Error { constructor() { super("superseded"); this.name = "AbortError"; } }
function cancel(...purposes) {  // answers to a question no longer asked must not show
  for (const p of purposes) if (inflight[p]) { inflight[p].abort(); inflight[p] = null; }
}

async function call(purpose, path, body, raw) {
  if (inflight[purpose]) inflight[purpose].abort();
  const controller = inflight[purpose] = new AbortController();
  const latest = () => inflight[purpose] === controller && !controller.signal.aborted;
  let response, data;
  try {
    response = await fetch(path + (path.includes("?") ? "&" : "?") + "numbers=string", {
      method: "POST", signal: controller.signal, body: raw ? body : JSON.stringify(body),
      headers: {"content-type": raw ? "application/octet-stream" : "application/json"}});
    data = await response.json();
  } catch (e) {
    if (!latest()) throw new Stale();
    if (!response) throw new Error("the server could not be reached: " + e.message);
    data = {detail: response.statusText};
  }
  if (!latest()) throw new Stale();
  inflight[purpose] = null;
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail :
      (data.detail || []).map((d) => invalidField(d)).join("; ");
    throw new Error(words(detail || response.statusText));
  }
  return data;
}

// --- the page's words: messages name the page's fields, never the command line's flags ---------
const API_FIELDS = {gpus: "Number of GPUs", gpu: "GPU", dtype: "Precision of the weights",
                    kv_dtype: "KV-cache precision", batch: "Batch", context: "Context",
                    lora_rank: "LoRA rank", optimizer: "Optimizer", sharding: "Sharding over the GPUs",
                    hidden_layers: "Hidden layers", inputs: "Input neurons", neurons: "Neurons per hidden layer",
                    outputs: "Output neurons", network: "The shorthand", spec: "The layer spec", name: "The model's name",
                    tp: "Tensor parallel", pp: "Pipeline stages", dp: "Data parallel", ep: "Expert parallel",
                    cp: "Context parallel", nodes: "Nodes", micro_batch: "Micro-batch", vp: "Virtual stages",
                    global_batch: "Global batch", zero: "ZeRO stage", fsdp: "FSDP", recompute: "Recomputation",
                    grad_dtype: "Gradients",
                    sp: "Sequence parallel", interconnect: "Link between GPUs"};
const FLAGS = {"--kv-dtype": "the KV-cache precision", "--dtype": "the precision of the weights",
               "--gpus": "the number of GPUs", "--gpu": "the GPU", "--batch": "the batch", "--context": "the context",
               "--lora-rank": "the LoRA rank", "--qlora": "QLoRA", "--train": "Training", "--optimizer": "the optimizer",
               "--sharding": "the sharding", "--checkpointing": "activation checkpointing",
               "--tp": "tensor parallel", "--pp": "pipeline stages", "--dp": "data parallel", "--ep": "expert parallel",
               "--cp": "context parallel", "--vp": "virtual stages", "--sp": "sequence parallel", "--zero": "the ZeRO stage",
               "--fsdp": "FSDP", "--micro-batch": "the micro-batch", "--global-batch": "the global batch",
               "--recompute": "recomputation", "--nodes": "nodes", "--grad-dtype": "the gradients"};
// the layout's degrees as the page's fields name them: "tp 3 x cp 1 x pp 1 = 3 does not divide..."
const DEGREES = {tp: "tensor parallel", pp: "pipeline stages", dp: "data parallel", cp: "context parallel",
                 ep: "expert parallel", vp: "virtual stages"};
function invalidField(d) {  // FastAPI's validation error, in the page's words
  const where = (d.loc || []).slice(1);
  const name = API_FIELDS[where[0]] || where.join(".");
  const msg = String(d.msg || "")
    .replace(/^Input should be less than or equal to (\d+)$/, (m, n) => `must be at most ${group(n)}`)
    .replace(/^Input should be greater than or equal to (\d+)$/, (m, n) => `must be at least ${group(n)}`)
    .replace(/^Input should be a valid integer.*$/, "must be a whole number");
  return `${name} ${msg}`;
}
function words(message) {
  return String(message)
    .replace(/;? ?give --bandwidth,? (e\.g\. )?--bandwidth \S+/g, ": pick a GPU from the list (a memory size alone has no bandwidth)")
    .replace(/ ?\((the|an?) [a-z ]*(engine|chunk|attention|mla|imatrix|encoder|mixed)[a-z ,/-]* settings?\)/gi, "")
    .replace(/;? ?--kv-dtype changes it/g, "; the KV-cache precision changes it")
    .replace(/--[a-z][a-z0-9-]*/g, (flag) => FLAGS[flag] || flag.slice(2).replace(/-/g, " "))
    .replace(/\b(tp|pp|dp|cp|ep|vp)\b/g, (d) => DEGREES[d])
    .replace(/\bhf:(?=[\w.-]+\/)/g, "");
}

// --- the model on screen: one description, used by the count, the planner and the link ------
class Invalid extends Error {
  constructor(message, quiet) { super(message); this.quiet = !!quiet; }  // quiet: nothing to count yet
}

function canon(value) {  // JSON with sorted keys: to compare two requests
  if (Array.isArray(value)) return "[" + value.map(canon).join(",") + "]";
  if (value && typeof value === "object") return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canon(value[k])).join(",") + "}";
  return JSON.stringify(value);
}

function whole(key, value, least) {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) throw new Invalid(`${FIELDS[key] || key} must be a whole number, got "${value}"`);
  if (BigInt(text) < BigInt(least)) throw new Invalid(`${FIELDS[key] || key} must be at least ${least}, got ${text}`);
  return text;
}

function fieldsShorthand() {  // the four fields as a shorthand, compactly: 10-20x3-2
  const [i, h, n, o] = ["inputs", "hidden", "neurons", "outputs"].map((k) => String(state[k]).trim());
  return /^0*$/.test(h) ? `${i}-${o}` : `${i}-${n}x${h}-${o}`;
}

function model() {
  // {count: [path, body, raw], plan: {...}} for the model on screen; throws Invalid
  if (state.mode === "mlp") {
    if (state.fromShorthand) {
      const network = state.shorthand.trim();
      if (!network) throw new Invalid("the shorthand is empty");
      return {count: ["/api/count", {network}], plan: {network}, growth: network};
    }
    const v = {inputs: whole("inputs", state.inputs, 1), hidden_layers: whole("hidden", state.hidden, 0),
               neurons: whole("neurons", state.neurons, 1), outputs: whole("outputs", state.outputs, 1)};
    const network = fieldsShorthand();
    return {count: ["/api/count", v], plan: {network}, growth: BigInt(v.hidden_layers) > 0n ? network : ""};
  }
  if (state.mode === "spec") {
    if (state.specText !== null) {
      try { state.spec = runs(JSON.parse(state.specText)); state.specText = null; }
      catch (e) { throw new Invalid("the layer spec is not valid JSON: " + e.message); }
    }
    return {count: ["/api/count", {spec: state.spec}], plan: {spec: state.spec}};
  }
  if (state.mode === "preset") return {count: ["/api/preset", {name: state.preset}], plan: {preset: state.preset}};
  if (state.mode === "hub") {
    if (!state.hub.trim()) throw new Invalid("give a model's name on the Hub, such as Qwen/Qwen3-0.6B", true);
    return {count: ["/api/hub", {name: state.hub.trim()}], plan: {hub: state.hub.trim()}};
  }
  const f = state.file;
  if (!f) throw new Invalid("drop a file, or press the box above to choose one", true);
  if (f.kind === "config") return {count: ["/api/config", {config: f.config}], plan: {config: f.config}};
  let bytes;
  try { bytes = fromBase64(f.header); }
  catch (e) { throw new Invalid(`the file's header (header= in the link) is not base64: ${e.message}`); }
  if (!["safetensors", "gguf", "onnx"].includes(f.format)) throw new Invalid(`the link's file format "${f.format}" is not safetensors, gguf or onnx`);
  if (!/^\d+$/.test(String(f.size))) throw new Invalid(`the link's file size "${f.size}" is not a whole number of bytes`);
  const query = `?format=${f.format}&file_size=${f.size}&name=${encodeURIComponent(f.name)}`;
  // the header goes once, to be counted; the planner sends the summary the count answered (a
  // few hundred bytes, checked by the server as a header is) from then on
  return {count: ["/api/checkpoint" + query, bytes, true],
          plan: {checkpoint: {format: f.format, file_size: f.size, name: f.name,
                              ...(f.summary ? {summary: f.summary} : {header: f.header})}}};
}

// --- showing an answer, or no answer ----------------------------------------------------------
function table(elem, headers, rows, numeric) {
  elem.replaceChildren();
  const head = elem.createTHead().insertRow();
  headers.forEach((h) => head.append(el("th", {scope: "col"}, h)));
  const body = elem.createTBody();
  rows.forEach((r) => {
    const tr = body.insertRow();
    r.forEach((cell, i) => { const td = tr.insertCell(); td.textContent = cell; if (numeric(i, cell)) td.className = "num"; });
  });
}

const CHART_ROWS = 200;
function chart(report) {
  const rows = report.layers.slice(0, CHART_ROWS);
  const values = rows.map((r) => BigInt(r.params));
  const top = values.reduce((a, b) => (b > a ? b : a), 1n);
  $("chart").replaceChildren(...rows.map((r, i) => {
    const share = Number((values[i] * 10000n) / top) / 100;
    const bar = el("span", {className: "bar"});
    bar.style.width = `${values[i] > 0n ? Math.max(share, 0.4) : 0}%`;
    return el("li", {}, el("span", {className: "label"}, r.label),
              el("span", {className: "track", "aria-hidden": "true"}, bar),
              el("span", {className: "value"}, group(r.params)));
  }));
  const n = report.layers.length;
  $("chart-note").textContent = n > CHART_ROWS ?
    `The first ${group(CHART_ROWS)} of ${group(n)} rows are drawn; the table above lists them all.` :
    `All ${group(n)} rows drawn, each bar as long as its layer's share of the largest.`;
}

function number(elem, value) {
  // a count that breaks between digit groups only, never inside one: 1,234,<wbr>567
  const parts = group(value).split(",");
  elem.replaceChildren(...parts.flatMap((p, i) => i ? [",", el("wbr"), p] : [p]));
}

function busy(id, on) {  // a panel whose answer is on its way: marked, its old numbers dimmed
  if (on) $(id).setAttribute("aria-busy", "true"); else $(id).removeAttribute("aria-busy");
}

function show(data) {
  last = data;
  const r = data.report, v = data.view;
  document.body.classList.remove("invalid");
  $("detail").hidden = false;
  number($("total-params"), r.total_params);
  const active = r.active_params !== r.total_params;
  $("active-params").hidden = !active;
  $("active-params").textContent = active ? `${group(r.active_params)} active per token` : "";
  $("total-weights").textContent = group(r.weights);
  $("total-biases").textContent = group(r.biases);
  $("total-other").textContent = group(r.other_trainable);
  busy("answer", false);
  table($("layers"), v.headers, v.rows, (i, c) => /^[\d,]+$/.test(c));
  table($("totals"), ["What", "Count"], v.totals, (i) => i === 1);
  table($("memory"), ["Precision", "Bits", "Bytes", "Binary", "Decimal"], v.memory, (i) => i > 0);
  $("stored").hidden = !v.stored;
  if (v.stored) {
    $("stored-summary").textContent = v.stored.summary;
    table($("stored-table"), v.stored.headers, v.stored.rows, (i) => i > 0);
  }
  $("explain").textContent = v.explain;
  if (state.mode === "hub") {
    $("hub-compare").hidden = !data.comparison;
    $("hub-compare").textContent = data.comparison || "";
  }
  chart(r);
}

function noAnswer(message, quiet) {
  // the input is not valid: no number on screen may belong to another model
  last = null;
  cancel("count", "plan", "speed", "growth");
  document.body.classList.add("invalid");
  for (const id of ["total-params", "total-weights", "total-biases", "total-other", "memory-fp32"]) $(id).textContent = "-";
  $("active-params").hidden = true;
  verdict("none", "No answer", message);
  $("detail").hidden = true;
  $("plan-fit").replaceChildren(el("p", {}, "No plan until the model above is valid."));
  for (const id of ["plan-chart", "plan-legend", "plan-table", "speed-table"]) $(id).replaceChildren();
  $("plan-notes").textContent = "";
  $("speed-notes").textContent = "";
  $("hub-compare").hidden = true;
  $("hub-compare").textContent = "";
  for (const id of ["answer", "planner", "speed"]) busy(id, false);
  showError(quiet ? "" : message);
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

function notice(message) {
  $("notice").hidden = !message;
  $("notice").textContent = message || "";
}

// --- the growth charts (MLPs only) --------------------------------------------------------------
function lineChart(svg, series, axis) {
  // log-log: x = log(size), y = log(parameters); exact values in the labels
  const ns = "http://www.w3.org/2000/svg", W = 320, H = 180, pad = 44;
  const xs = series.sizes.map((s) => Math.log(Number(s))), ys = series.params.map((p) => Math.log(Number(p)));
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const px = (x) => pad + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (W - 2 * pad);
  const py = (y) => H - pad - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (H - 2 * pad);
  const svgEl = (name, attrs, text) => { const e = document.createElementNS(ns, name);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v)); if (text) e.textContent = text; return e; };
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const d = xs.map((x, i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(ys[i]).toFixed(1)}`).join(" ");
  const other = axis === "width" ? "depth" : "width";
  svg.replaceChildren(
    svgEl("line", {x1: pad, y1: H - pad, x2: W - pad, y2: H - pad}), svgEl("line", {x1: pad, y1: pad / 2, x2: pad, y2: H - pad}),
    svgEl("path", {d}), ...xs.map((x, i) => svgEl("circle", {cx: px(x), cy: py(ys[i]), r: 3})),
    svgEl("text", {x: 4, y: 12}, `parameters vs ${axis} (${other} ${series.fixed}): ~${axis}^${Number(series.exponent).toFixed(2)}`),
    svgEl("text", {x: pad, y: H - 8}, `${axis} ${series.sizes[0]}`),
    svgEl("text", {x: W - 4, y: H - 8, "text-anchor": "end"}, `${series.sizes[series.sizes.length - 1]}`),
    svgEl("text", {x: W - 4, y: py(y1) - 6, "text-anchor": "end"}, group(series.params[series.params.length - 1])),
    ...yScale(series, py, svgEl, pad));
}

function yScale(series, py, svgEl, pad) {
  // the y axis's scale: powers of ten between the smallest and largest count, on the log scale
  const short = new Intl.NumberFormat("en-US", {notation: "compact", maximumFractionDigits: 1});
  const params = series.params.map(Number), lo = Math.min(...params), hi = Math.max(...params);
  const ticks = [];
  for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) ticks.push(10 ** e);
  if (ticks.length < 2) { ticks.length = 0; ticks.push(lo, hi); }
  const step = Math.ceil(ticks.length / 5);
  return ticks.filter((t, i) => i % step === 0 || ticks.length === 2).flatMap((t) => [
    svgEl("line", {x1: pad - 3, y1: py(Math.log(t)), x2: pad, y2: py(Math.log(t))}),
    svgEl("text", {class: "ytick", x: pad - 5, y: py(Math.log(t)) + 4, "text-anchor": "end"}, short.format(t))]);
}

async function growth(network) {
  $("growth").hidden = !network;
  if (!network) return;
  try {
    const boot = BOOT.initial.growth;
    const data = network === boot.network ? boot.answer : await call("growth", "/api/growth", {network});
    lineChart($("growth-width"), data.width, "width");
    lineChart($("growth-depth"), data.depth, "depth");
  } catch (e) { if (e.name !== "AbortError") $("growth").hidden = true; }
}

// --- the planner ------------------------------------------------------------------------------
const PLAN_FIELDS = [["gpu", "plan-gpu"], ["gpus", "plan-gpus"], ["dtype", "plan-dtype"],
                     ["kv", "plan-kv-dtype"], ["batch", "plan-batch"], ["context", "plan-context"],
                     ["train", "plan-train"], ["optimizer", "plan-optimizer"], ["sharding", "plan-sharding"],
                     ["ckpt", "plan-checkpointing"], ["lora", "plan-lora"], ["qlora", "plan-qlora"],
                     ["engine", "plan-engine"],
                     // the layout over the GPUs (memory.setup.Setup's layout fields), and the link
                     ["tp", "plan-tp"], ["pp", "plan-pp"], ["dp", "plan-dp"], ["ep", "plan-ep"], ["cp", "plan-cp"],
                     ["nodes", "plan-nodes"], ["micro_batch", "plan-micro-batch"], ["interconnect", "plan-interconnect"],
                     ["sp", "plan-sp"], ["vp", "plan-vp"], ["zero", "plan-zero"], ["fsdp", "plan-fsdp"],
                     ["global_batch", "plan-global-batch"], ["recompute", "plan-recompute"],
                     ["grad_dtype", "plan-grad-dtype"]];
const PLAN_DEFAULTS = {gpu: "rtx-4090", gpus: "1", dtype: "", kv: "", batch: "1", context: "",
                       train: "", optimizer: "adamw", sharding: "none", ckpt: "", lora: "0", qlora: "",
                       engine: "transformers", tp: "0", pp: "0", dp: "0", ep: "0", cp: "0", nodes: "0",
                       micro_batch: "0", interconnect: "", sp: "", vp: "0", zero: "-1", fsdp: "", global_batch: "0",
                       recompute: "", grad_dtype: ""};
// the layout's numbers: those any plan reads, and those only training reads (a training schedule,
// training state's sharding, recomputation for the backward pass)
const LAYOUT_NUMBERS = ["tp", "pp", "dp", "ep", "cp", "nodes", "micro_batch"];
const TRAINING_LAYOUT = ["vp", "global_batch"];

function planValue(id) {
  const e = $(id);
  return e.type === "checkbox" ? (e.checked ? "1" : "") : e.value;
}

function setup() {
  if (state.refused) throw new Invalid(state.refused);
  const v = Object.fromEntries(PLAN_FIELDS.map(([k, id]) => [k, planValue(id).trim()]));
  // an empty context is the model's own: 2048, or the model's longest where shorter (BERT: 512)
  for (const k of ["gpus", "batch", "context"]) if (k !== "context" || v[k]) whole(k, v[k], 1);
  if (!v.context) v.context = "0";
  const train = !!v.train;
  if (train) whole("lora", v.lora, 0);
  if (train && v.qlora && BigInt(v.lora) < 1n) throw new Invalid("QLoRA trains LoRA adapters: give a LoRA rank of 1 or more");
  const body = {dtype: v.dtype, batch: v.batch, context: v.context, gpus: v.gpus, train,
                optimizer: v.optimizer, checkpointing: train && !!v.ckpt,
                sharding: train || !TRAINING_SHARDING.includes(v.sharding) ? v.sharding : "none",
                lora_rank: train ? v.lora : "0", qlora: train && !!v.qlora, engine: v.engine};
  if (v.kv) body.kv_dtype = v.kv;
  if (v.gpu) body.gpu = v.gpu;
  // the layout: sent only where it says more than the defaults (0: as the GPUs and sharding say)
  for (const k of [...LAYOUT_NUMBERS, ...(train ? TRAINING_LAYOUT : [])]) {
    const given = whole(k, v[k], 0);
    if (!/^0+$/.test(given)) body[k] = given;
  }
  if (v.sp && spAllowed()) body.sp = true;
  if (train && v.zero !== "-1") body.zero = v.zero;
  if (train && v.fsdp) body.fsdp = v.fsdp;
  if (train && v.recompute) body.recompute = v.recompute;
  if (train && v.grad_dtype) body.grad_dtype = v.grad_dtype;
  return body;
}

// shardings of training state (gradients, optimizer states): serving replicas hold whole copies
const TRAINING_SHARDING = ["ddp", "zero1", "zero2", "zero3", "fsdp"];
function trainingControls() {  // the controls that only training reads are off without it
  const train = $("plan-train").checked;
  for (const id of ["plan-optimizer", "plan-checkpointing", "plan-lora", "plan-qlora"]) $(id).disabled = !train;
  for (const o of $("plan-sharding").options) o.disabled = !train && TRAINING_SHARDING.includes(o.value);
  $("plan-train-note").textContent = train ? "" : "Optimizer, checkpointing, LoRA, QLoRA and the " +
    "training shardings (DDP, ZeRO, FSDP) apply to training: tick Training to set them.";
  for (const id of ["plan-vp", "plan-zero", "plan-fsdp", "plan-global-batch", "plan-recompute", "plan-grad-dtype"]) $(id).disabled = !train;
  $("plan-layout-note").textContent = train ? "" : "Virtual stages, the ZeRO stage, FSDP, the global batch, " +
    "recomputation and the gradients apply to training: tick Training to set them.";
  const sp = spAllowed();
  $("plan-sp").disabled = !sp;
  $("plan-sp-note").textContent = sp ? "" : "Sequence parallelism splits over the tensor-parallel ranks: give tensor parallel above 1.";
}

function spAllowed() {  // sequence parallelism needs tensor-parallel ranks to split over
  const tp = planValue("plan-tp").trim();
  return (/^\d+$/.test(tp) && BigInt(tp) > 1n) || planValue("plan-sharding") === "tp";
}

function layoutWords(l) {  // the layout an answer is one GPU of, in the page's words
  const parts = [`tensor parallel ${group(l.tp)}`, `pipeline stages ${group(l.pp)}`, `data parallel ${group(l.dp)}`];
  if (l.cp !== "1") parts.push(`context parallel ${group(l.cp)}`);
  let text = parts.join(" x ") + ` = ${group(l.gpus)} GPUs on ${group(l.nodes)} ${l.nodes === "1" ? "node" : "nodes"}`;
  if (l.ep !== "1") text += `, expert parallel ${group(l.ep)}`;
  if (l.vp !== "1") text += `, virtual stages ${group(l.vp)}`;
  if (l.sp) text += ", sequence parallel";
  if (l.fsdp) text += `, FSDP (${l.fsdp} shard)`;
  else if (l.zero && l.zero !== "0") text += `, ZeRO-${l.zero}`;
  if (l.micro_batches && l.micro_batches !== "1") text += `, ${group(l.micro_batches)} micro-batches of ${group(l.micro_batch)}`;
  if (l.recompute && l.recompute !== "none") text += `, ${l.recompute} recomputation`;
  if (l.grad_dtype && l.grad_dtype !== "16-bit") text += `, ${l.grad_dtype} gradients`;
  return text;
}

const PART_COLOURS = 6;
function showPlan(data) {
  const plan = data.plan, f = data.fit;
  suggestGpus("");
  table($("plan-table"), ["Part", "Bytes", "Binary", "Decimal", "How (~ an estimate)"],
    [...plan.lines.map((l) => [l.name, group(l.bytes), l.binary, l.decimal, (l.exact ? "" : "~ ") + l.how]),
     ["total (the sum of the lines)", group(plan.total_bytes), plan.total_binary, "", ""]], (i) => i > 0 && i < 4);
  $("plan-notes").textContent = plan.notes.map(words).join(" ");
  // with a layout over several GPUs every figure is one GPU's: the card and the verdict say so
  const layout = f && f.layout, perGpu = !!layout || plan.notes.some((n) => n.startsWith("Layout:"));
  const each = perGpu ? " per GPU" : "";
  $("memory-title").textContent = perGpu ? "Memory per GPU (the plan below)" : "Memory needed (the plan below)";
  $("memory-fp32").replaceChildren(el("span", {className: "big"}, plan.total_binary),
                                   el("span", {className: "sub"}, `${group(plan.total_bytes)} B${each}, the plan below`));
  busy("planner", false);
  const total = BigInt(plan.total_bytes) || 1n;
  $("plan-chart").setAttribute("aria-label", `Memory by part, ${plan.total_binary} in all: ` +
    plan.lines.map((l) => `${l.name} ${l.binary}`).join(", "));
  $("plan-chart").replaceChildren(...plan.lines.map((l, i) => {
    const part = el("span", {className: `part c${i % PART_COLOURS}`});
    part.style.width = `${Number((BigInt(l.bytes) * 100000n) / total) / 1000}%`;
    return part;
  }));
  $("plan-legend").replaceChildren(...plan.lines.map((l, i) =>
    el("li", {}, el("span", {className: `swatch c${i % PART_COLOURS}`, "aria-hidden": "true"}), `${l.name}: ${l.binary}`)));
  if (f) {
    $("plan-fit").replaceChildren(el("p", {className: f.fits ? "yes" : "no"}, words(f.verdict)),
      ...(layout ? [el("p", {id: "plan-layout-answer"}, "Layout: ", el("strong", {}, layoutWords(layout)),
                       "; every figure here is one GPU's (the busiest).")] : []),
      el("ul", {}, ...f.lines.map(([k, v]) => el("li", {}, `${k}: `, el("strong", {}, words(v))))),
      el("p", {className: "hint"}, "Precisions: " + f.precisions.map((p) => `${p.dtype} ${p.binary} ${p.fits ? "fits" : "no"}`).join(", ")));
    // the GPU as typed in the headline; what a size such as 24GB was read as stays in the plan
    const cards = layout && layout.gpus !== "1" ? `${group(layout.gpus)} x ` : "";
    verdict(f.fits ? "yes" : "no", `${f.fits ? "Fits" : "Does not fit"} on ${cards}${f.gpu.split(" (")[0]}`,
            `${plan.total_binary}${each} needed, ${f.usable_binary} usable${each}. ${plan.title}` +
            (layout ? `; ${layoutWords(layout)}.` : "."));
  } else {
    $("plan-fit").replaceChildren(el("p", {}, plan.title + ": " + plan.total_binary + " (name a GPU to see whether it fits)"));
    verdict("", `${plan.total_binary}${each} needed`, `${plan.title}. Name a GPU below to see whether it fits.`);
  }
}

function verdict(kind, headline, detail) {
  $("verdict").replaceChildren(el("strong", {}, headline), el("span", {className: "detail"}, detail));
  $("verdict").className = "verdict " + kind;
}

function suggestGpus(message) {
  // the catalogue's closest cards, as the server names them ("did you mean 'v100-16gb', ..."),
  // as buttons that pick one
  const box = $("gpu-suggest"), asked = /^(unknown GPU|GPU) '/.test(message) && /did you mean ([^)?]+)\?/.exec(message);
  const names = asked ? [...asked[1].matchAll(/'([^']+)'/g)].map((m) => m[1]) : [];
  box.hidden = !names.length;
  box.replaceChildren(...(names.length ? [el("span", {}, "Closest cards: "), ...names.map((n) => {
    const b = el("button", {type: "button", textContent: n});
    b.addEventListener("click", () => { $("plan-gpu").value = n; $("plan-gpu").dispatchEvent(new Event("input")); $("plan-gpu").focus(); });
    return b;
  })] : []));
}

function planError(message) {
  // no plan: nothing computed from it stays (the memory card, the speed)
  cancel("plan", "speed");
  suggestGpus(message);
  $("plan-fit").replaceChildren(el("p", {className: "no"}, "No plan: " + message));
  for (const id of ["plan-chart", "plan-legend", "plan-table", "speed-table"]) $(id).replaceChildren();
  $("plan-notes").textContent = "";
  $("speed-notes").textContent = "";
  $("memory-fp32").textContent = "-";
  verdict("none", "No plan", message);
  busy("planner", false); busy("speed", false);
}

async function updatePlan(source) {
  let body;
  try { body = {...source.plan, ...setup()}; }
  catch (e) { planError(e.message); return; }
  busy("planner", true);
  const plan = BOOT.initial && BOOT.initial.plan;
  if (plan && canon(body) === canon(plan.body)) { cancel("plan"); showPlan(plan.answer); updateSpeed(source, body, plan.answer); return; }
  let answer;
  try { answer = await call("plan", "/api/memory", body); }
  catch (e) { if (e.name !== "AbortError") planError(e.message); return; }
  showPlan(answer);
  updateSpeed(source, body, answer);
}

// How fast (POST /api/speed, nnsize speed's JSON): estimates in seconds, floats, shown as the
// CLI shows them (three figures, whole numbers from 1,000 grouped, never e-notation)
function figure(x) {
  const n = Number(x);
  if (!isFinite(n)) return String(x);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString("en-US");
  if (n === 0) return "0";
  return Number(n.toPrecision(3)).toLocaleString("en-US", {maximumSignificantDigits: 3});
}
async function updateSpeed(source, s, answer) {
  if (!BOOT.features.speed) return;
  // the speed of the setup the planner just answered: the same model, GPU and precision
  const p = source.plan;
  const model = "preset" in p ? {preset: p.preset} : "config" in p ? {config: p.config} : "hub" in p ? {hub: p.hub} : null;
  $("speed-table").replaceChildren();
  $("speed-notes").textContent = "";
  if (!model || !s || !s.gpu) {
    cancel("speed"); busy("speed", false);
    $("speed-notes").textContent = "Speed is estimated for language models (a preset, a config.json or a Hub name) on a named GPU.";
    return;
  }
  const fit = answer && answer.fit;
  if (fit && !fit.fits) {  // the planner's answer stands: no speed for what does not fit
    cancel("speed"); busy("speed", false);
    $("speed-notes").textContent = `No speed: this setup does not fit on ${fit.gpu} (see the planner above: ${fit.verdict})`;
    return;
  }
  if (s.train) {
    cancel("speed"); busy("speed", false);
    $("speed-notes").textContent = "Speed is estimated for inference: untick Training to see it.";
    return;
  }
  // one setup: the planner's engine and precision (its default: a file as stored, a config as
  // its quantization_config publishes it, else bf16); the GPUs split the model only with
  // tensor parallel, else each holds a whole copy
  const layout = fit && fit.layout, split = layout ? layout.tp !== "1" : s.sharding === "tp";
  const tp = layout ? layout.tp : split ? s.gpus : "1";
  const body = {...model, gpu: s.gpu, gpus: tp, dtype: s.dtype, batch: s.batch,
                context: s.context, engine: s.engine};
  if (s.kv_dtype) body.kv_dtype = s.kv_dtype;
  const link = planValue("plan-interconnect");
  if (link && tp !== "1") body.interconnect = link;
  busy("speed", true);
  let speed;
  try { speed = await call("speed", "/api/speed", body); }  // the schema of nnsize speed --json
  catch (e) {
    if (e.name !== "AbortError") { busy("speed", false); $("speed-notes").textContent = "No speed estimate: " + e.message; }
    return;
  }
  const d = speed.decode, pre = speed.prefill, range = (x, unit) => `${figure(x.roofline)} ${unit} at best, ${figure(x.expected)} ${unit} expected`;
  table($("speed-table"), ["Figure", "Value"], [
    [`Decoding, tokens per second (batch ${group(speed.batch)})`, range(d.tokens_per_s, "tokens/s")],
    ["Decoding, tokens per second per sequence", range(d.tokens_per_s_per_sequence, "tokens/s")],
    ["What bounds decoding", String(d.bound)],
    [`Time to first token (a prompt of ${group(speed.prompt)})`, range(pre.time_to_first_token_s, "s")],
    ["Batch from which decoding is compute-bound", d.compute_bound_batch === null ? "none: it stays memory-bound" : group(d.compute_bound_batch)],
    ["Engine", `${speed.engine.name} (${speed.engine.source})`]], () => false);
  const copies = layout ? ` These figures are one tensor-parallel group's (${group(tp)} GPUs)` +
      (layout.pp !== "1" ? `; the ${group(layout.pp)} pipeline stages are not in this estimate` : "") +
      (layout.dp !== "1" ? `; each of the ${group(layout.dp)} data-parallel replicas runs as fast` : "") + "." :
    !split && s.gpus !== "1" ? ` Each of the ${group(s.gpus)} GPUs holds a whole copy (no tensor parallel): these figures are one copy's.` : "";
  $("speed-notes").textContent = (speed.notes || []).map(words).join(" ") + copies;
  busy("speed", false);
}

// --- one update: count, plan, speed, link ---------------------------------------------------------
async function update() {
  writeHash();
  cancel("count", "plan", "speed", "growth");
  let source;
  try { source = model(); }
  catch (e) { if (e instanceof Invalid) { noAnswer(e.message, e.quiet); return; } throw e; }
  if (state.mode === "preset") {  // what belongs to the new choice shows at once
    const p = BOOT.presets.find((x) => x.name === state.preset);
    $("preset-source").textContent = p ? `${p.description}. Source: ${p.source}` : "";
  }
  const [path, body, raw] = source.count;
  const boot = BOOT.initial, file = state.file;
  let data;
  if (boot && !raw && path === boot.path && canon(body) === canon(boot.body)) data = boot.answer;
  else {
    for (const id of ["answer", "planner", "speed"]) busy(id, true);
    verdict("loading", "Loading…", "The numbers below are the previous model's until the new ones arrive.");
    try { data = await call("count", path, body, raw); }
    catch (e) { if (e.name !== "AbortError") noAnswer(e.message); return; }
  }
  showError("");
  if (data.summary && file && state.file === file) {  // what the planner sends for this file
    file.summary = data.summary;
    source = model();
  }
  show(data);
  if (state.mode === "mlp") growth(source.growth); else $("growth").hidden = true;
  updatePlan(source);
}

// --- permalink: the whole state in the URL ---------------------------------------------------------
const LINK_HEADER_LIMIT = 6000;  // base64 characters of a checkpoint header kept in a link
function writeHash() {
  const p = new URLSearchParams({mode: state.mode});
  let linkable = true;
  if (state.mode === "mlp") {
    if (state.fromShorthand) p.set("shorthand", state.shorthand);
    else for (const k of ["inputs", "hidden", "neurons", "outputs"]) p.set(k, state[k]);
  }
  if (state.mode === "spec") p.set("spec", state.specText !== null ? state.specText : JSON.stringify(state.spec));
  if (state.mode === "preset") p.set("preset", state.preset);
  if (state.mode === "hub") p.set("name", state.hub);
  if (state.mode === "file" && state.file) {
    const f = state.file;
    if (f.kind === "config") p.set("config", JSON.stringify(f.config));
    else if (f.header.length <= LINK_HEADER_LIMIT) {
      p.set("format", f.format); p.set("size", f.size); p.set("fname", f.name); p.set("header", f.header);
    } else linkable = false;
  }
  for (const [key, id] of PLAN_FIELDS) {
    const value = planValue(id);
    if (value !== PLAN_DEFAULTS[key]) p.set(key, value);
  }
  history.replaceState(null, "", "#" + p.toString());
  const link = $("permalink");
  if (linkable) { link.href = location.href; link.removeAttribute("aria-disabled"); link.textContent = "Permalink"; }
  else { link.removeAttribute("href"); link.setAttribute("aria-disabled", "true");
         link.textContent = "No permalink: this file's header is too large for a link"; }
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const [key, id] of PLAN_FIELDS) {
    if (!p.has(key)) continue;
    const e = $(id), given = p.get(key);
    if (e.type === "checkbox") { e.checked = given === "1"; continue; }
    if (e.tagName === "SELECT") {
      const option = [...e.options].find((o) => o.value.toLowerCase() === given.trim().toLowerCase());
      if (option) e.value = option.value;
      else state.refused = `the link's ${e.closest("label").firstChild.textContent.trim().toLowerCase()} "${given}" is not one this page knows: pick one from the list`;
    } else e.value = given;
  }
  if (!p.has("mode")) return;
  const mode = p.get("mode");
  if (!MODES.includes(mode) || (mode === "hub" && !BOOT.features.hub)) {
    notice(`The link's mode "${mode}" is not one this page has (${MODES.filter((m) => m !== "hub" || BOOT.features.hub).join(", ")}): showing the calculator.`);
    return;
  }
  state.mode = mode;
  for (const k of ["inputs", "hidden", "neurons", "outputs", "preset"]) if (p.has(k)) state[k] = p.get(k);
  if (p.has("shorthand")) { state.shorthand = p.get("shorthand"); shorthandChanged(); }
  if (p.has("name")) state.hub = p.get("name");
  if (p.has("spec")) state.specText = p.get("spec");
  if (p.has("repeat")) state.specText = null;
  if (mode === "file") {
    try {
      if (p.has("config")) state.file = {kind: "config", config: JSON.parse(p.get("config")), name: "config.json"};
      else if (p.has("header")) state.file = {kind: "checkpoint", format: p.get("format"), size: p.get("size"),
                                              name: p.get("fname") || "checkpoint", header: p.get("header")};
      if (state.file) $("file-name").textContent = `${state.file.name}, from the link (its header travels in it)`;
    } catch (e) { notice("The link's config is not valid JSON: " + e.message); }
  }
}

// --- the calculator's two views: the four fields and the shorthand -------------------------------
function shorthandChanged() {
  // A shorthand the four fields can hold fills them; any other turns them off, visibly.
  const text = state.shorthand.trim();
  const tokens = text.split("-").map((t) => t.trim());
  let fields = null;
  if (!text) fields = "empty";
  else if (tokens.length >= 2 && tokens.every((t, i) => /^\d+$/.test(t) ||
           (i > 0 && i < tokens.length - 1 && /^\d+x\d+$/.test(t)))) {
    const hidden = tokens.slice(1, -1).map((t) => t.split("x"));
    const widths = new Set(hidden.map((h) => BigInt(h[0]).toString()));
    if (widths.size <= 1) {
      const count = hidden.reduce((a, h) => a + BigInt(h[1] || "1"), 0n);
      fields = {inputs: tokens[0], hidden: count.toString(), neurons: hidden.length ? hidden[0][0] : state.neurons,
                outputs: tokens[tokens.length - 1]};
    }
  }
  if (fields && fields !== "empty") Object.assign(state, fields);
  state.fromShorthand = fields === null;
  for (const k of ["inputs", "hidden", "neurons", "outputs"]) $(k).value = state[k];
  $("fields").disabled = state.fromShorthand;
  $("shorthand-note").textContent = state.fromShorthand ?
    "Counting the shorthand: its hidden layers are not all one width, or it is not a shorthand the four fields can show, so the fields are off. Clear the shorthand to use them." :
    "The four fields and the shorthand describe one network: edit either.";
  $("shorthand-note").className = state.fromShorthand ? "hint active" : "hint";
}

// --- tabs (WAI-ARIA tabs: arrows, Home and End move between them) ----------------------------------
function visibleModes() { return MODES.filter((m) => !$("tab-" + m).hidden); }

function select(mode, focus) {
  state.mode = mode;
  for (const m of MODES) {
    const tab = $("tab-" + m);
    tab.setAttribute("aria-selected", String(m === mode));
    tab.tabIndex = m === mode ? 0 : -1;
    $("panel-" + m).hidden = m !== mode;
  }
  if (focus) $("tab-" + mode).focus();
  update();
}

function tabKeys(e) {
  const modes = visibleModes(), i = modes.indexOf(state.mode);
  const next = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: modes.length - 1}[e.key];
  if (next === undefined) return;
  e.preventDefault();
  select(modes[(next + modes.length) % modes.length], true);
}

// --- the layer editor and the spec text, two views of state.spec -----------------------------------
function splitTop(text) {  // split on commas outside brackets and parentheses
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[" || c === "(" || c === "{") depth++;
    else if (c === "]" || c === ")" || c === "}") depth--;
    else if (c === "," && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
  }
  parts.push(text.slice(start));
  return parts.map((s) => s.trim()).filter(Boolean);
}

function pythonValue(raw) {
  // JSON, or Python's spelling of it: (7, 7), True, None, 'same'
  const json = raw.replace(/\(/g, "[").replace(/\)/g, "]").replace(/\bTrue\b/g, "true")
    .replace(/\bFalse\b/g, "false").replace(/\bNone\b/g, "null").replace(/'/g, '"').replace(/,\s*\]/g, "]");
  try { return JSON.parse(json); } catch (e) { return raw.replace(/^["']|["']$/g, ""); }
}

function parseArgs(text) {
  const args = {};
  for (const part of splitTop(text)) {
    const eq = part.indexOf("=");
    const k = eq < 0 ? "" : part.slice(0, eq).trim(), raw = eq < 0 ? "" : part.slice(eq + 1).trim();
    if (!k || !raw) throw new Invalid(`arguments are name=value, got "${part}"`);
    args[k] = pythonValue(raw);
  }
  return args;
}

function compact(v) {  // JSON on one line, spaced as people write it
  if (Array.isArray(v)) return "[" + v.map(compact).join(", ") + "]";
  if (v && typeof v === "object") return "{" + Object.keys(v).map((k) => JSON.stringify(k) + ": " + compact(v[k])).join(", ") + "}";
  return JSON.stringify(v);
}

function specJSON(spec) {  // a spec as text: one line per layer
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) return JSON.stringify(spec, null, 2);
  const lines = Object.keys(spec).map((k) => Array.isArray(spec[k]) && k === "layers" ?
    `  "layers": [\n${spec[k].map((l) => "    " + compact(l)).join(",\n")}\n  ]` : `  ${JSON.stringify(k)}: ${compact(spec[k])}`);
  return "{\n" + lines.join(",\n") + "\n}";
}

// Runs of identical layers are one entry with a count ("repeat": n), in the editor, the text, the
// link and the request: 50,000 identical layers are one row and a few bytes.
function runs(spec) {
  if (!spec || typeof spec !== "object" || !Array.isArray(spec.layers)) return spec;
  const plain = (l) => l && typeof l === "object" && !Array.isArray(l) && typeof l.type === "string" &&
    !("name" in l) && (!("repeat" in l) || (Number.isInteger(l.repeat) && l.repeat >= 1));
  const out = [];
  for (const layer of spec.layers) {
    const prev = out[out.length - 1];
    if (plain(layer) && plain(prev)) {
      const {repeat: a = 1, ...p} = prev, {repeat: b = 1, ...l} = layer;
      if (canon(p) === canon(l)) { out[out.length - 1] = {...p, repeat: a + b}; continue; }
    }
    out.push(layer);
  }
  return out.length === spec.layers.length ? spec : {...spec, layers: out};
}

function formatArgs(layer) {
  return Object.entries(layer).filter(([k]) => k !== "type" && k !== "repeat").map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
}

function renderEditor() {
  const body = $("editor").tBodies[0];
  body.replaceChildren();
  const layers = Array.isArray(state.spec.layers) ? state.spec.layers : [];
  layers.forEach((layer, i) => {
    const tr = body.insertRow();
    tr.insertCell().textContent = i;
    const type = el("input", {value: layer.type || "", "aria-label": `Layer ${i} type`});
    type.setAttribute("list", "layer-types");
    const args = el("input", {value: formatArgs(layer), "aria-label": `Layer ${i} arguments`, spellcheck: false});
    const count = el("input", {value: String(layer.repeat || 1), "aria-label": `Layer ${i} count (identical layers in a row)`,
                               inputMode: "numeric", size: 6, spellcheck: false});
    const remove = el("button", {type: "button", textContent: "Remove", "aria-label": `Remove layer ${i}`});
    const sync = () => {
      try {
        const n = whole("count", count.value, 1);
        layers[i] = {type: type.value, ...parseArgs(args.value)};
        if (n !== "1") layers[i].repeat = Number(n);
        fromEditor();
      }
      catch (e) { writeHash(); noAnswer(e.message); }
    };
    type.addEventListener("input", sync); args.addEventListener("input", sync); count.addEventListener("input", sync);
    remove.addEventListener("click", () => { layers.splice(i, 1); renderEditor(); fromEditor(); });
    tr.insertCell().append(type); tr.insertCell().append(args); tr.insertCell().append(count); tr.insertCell().append(remove);
  });
  $("input-shape").value = (state.spec.input_shape || []).join(", ");
}

function fromEditor() {
  const shape = $("input-shape").value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => /^\d+$/.test(s) ? Number(s) : s);
  const before = (state.spec.layers || []).length;
  state.spec = runs({...state.spec, input_shape: shape});
  if ((state.spec.layers || []).length !== before) renderEditor();
  state.specText = null;
  $("spec-text").value = specJSON(state.spec);
  update();
}

// --- files: read the header only ------------------------------------------------------------------
function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text) { return Uint8Array.from(atob(text), (c) => c.charCodeAt(0)); }

// A GGUF file's header: magic, version, counts, metadata, tensor infos; the tensors' data follows
// it.  It is read here, a slice at a time, to its end, and sent without the tokenizer's
// vocabulary (tokenizer.*: megabytes of strings that size nothing): metadata and tensor infos only.
const GGUF_HEADER_LIMIT = 16 * 1024 * 1024;  // the API's limit on a header
async function ggufHeader(file) {
  let buffer = new Uint8Array(0), at = 0;
  const need = async (n) => {
    if (at + n <= buffer.length) return;
    const want = Math.min(file.size, Math.max(at + n, buffer.length * 2, 65536));
    if (at + n > file.size) throw new Invalid(`${file.name}: the GGUF header ends before the file's ${group(file.size)} bytes do`);
    if (want > GGUF_HEADER_LIMIT * 4) throw new Invalid(`${file.name}: the GGUF header runs past ${group(GGUF_HEADER_LIMIT * 4)} bytes: count it with the command line`);
    buffer = new Uint8Array(await file.slice(0, want).arrayBuffer());
  };
  const view = () => new DataView(buffer.buffer);
  const u32 = async () => { await need(4); const v = view().getUint32(at, true); at += 4; return v; };
  const u64 = async () => { await need(8); const v = view().getBigUint64(at, true); at += 8; return v; };
  const skip = async (n) => { if (n > BigInt(file.size)) throw new Invalid(`${file.name}: not a GGUF file nnsize reads (a length of ${group(n)} bytes)`); await need(Number(n)); at += Number(n); };
  const SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};
  const value = async (type) => {
    if (type === 8) return skip(await u64());
    if (type === 9) {
      const inner = await u32(), count = await u64();
      if (inner in SIZES) return skip(count * BigInt(SIZES[inner]));
      for (let i = 0n; i < count; i++) await value(inner);
      return;
    }
    if (!(type in SIZES)) throw new Invalid(`${file.name}: a metadata value of unknown type ${type}: not a GGUF file nnsize reads`);
    return skip(BigInt(SIZES[type]));
  };
  await need(24);
  if (String.fromCharCode(...buffer.subarray(0, 4)) !== "GGUF") throw new Invalid(`${file.name} is not a GGUF file (no GGUF magic number)`);
  at = 4;
  const version = await u32();
  if (version !== 2 && version !== 3) throw new Invalid(`${file.name}: GGUF version ${version} is not supported (2 and 3 are)`);
  const tensors = await u64(), kvs = await u64();
  const kept = [];  // [start, end) of each metadata entry sent
  for (let i = 0n; i < kvs; i++) {
    const start = at, length = await u64();
    await need(Number(length));
    const key = new TextDecoder().decode(buffer.subarray(at, at + Number(length)));
    at += Number(length);
    await value(await u32());
    if (!key.startsWith("tokenizer.")) kept.push([start, at]);
  }
  const infos = at;
  for (let i = 0n; i < tensors; i++) {
    await skip(await u64());  // the name
    const dims = await u32();
    await skip(BigInt(dims) * 8n + 4n + 8n);  // the dimensions, the type, the offset
  }
  const size = 24 + kept.reduce((a, [x, y]) => a + y - x, 0) + at - infos;
  if (size > GGUF_HEADER_LIMIT) throw new Invalid(`${file.name}: its GGUF header is over ${group(GGUF_HEADER_LIMIT)} bytes: count it with the command line`);
  const out = new Uint8Array(size);
  out.set(buffer.subarray(0, 16));
  new DataView(out.buffer).setBigUint64(16, BigInt(kept.length), true);
  let o = 24;
  for (const [x, y] of kept) { out.set(buffer.subarray(x, y), o); o += y - x; }
  out.set(buffer.subarray(infos, at), o);
  return out.buffer;
}

async function countFile(file) {
  try {
    const lower = file.name.toLowerCase();
    $("file-name").textContent = `${file.name}: ${group(file.size)} bytes`;
    if (lower.endsWith(".json")) {
      if (file.size > 1024 * 1024) throw new Invalid("a config.json over 1 MiB is not a config");
      let data;
      try { data = JSON.parse(await file.text()); } catch (e) { throw new Invalid(`${file.name} is not valid JSON: ${e.message}`); }
      if (data && (data.model_type || data.architectures) && !data.layers) {
        state.file = {kind: "config", config: data, name: file.name};
      } else {
        state.spec = runs(data); state.specText = null; renderEditor();
        $("spec-text").value = specJSON(state.spec);
        select("spec");
        return;
      }
    } else if (lower.endsWith(".safetensors")) {
      const head = new DataView(await file.slice(0, 8).arrayBuffer());
      if (head.byteLength < 8) throw new Invalid("too short to be a safetensors file");
      const length = head.getBigUint64(0, true);
      if (length > 16n * 1024n * 1024n) throw new Invalid("the header claims more than 16 MiB: not a safetensors file nnsize reads in the page");
      const bytes = await file.slice(0, 8 + Number(length)).arrayBuffer();
      state.file = {kind: "checkpoint", format: "safetensors", size: String(file.size), name: file.name, header: toBase64(bytes)};
    } else if (lower.endsWith(".gguf")) {
      state.file = {kind: "checkpoint", format: "gguf", size: String(file.size), name: file.name, header: toBase64(await ggufHeader(file))};
    } else if (lower.endsWith(".onnx")) {
      // an ONNX file keeps its weights inside unless they are external data: the file itself is
      // the header, so only small ones (or ones with external data) are sent
      if (file.size > 16 * 1024 * 1024) throw new Invalid("this ONNX file holds its weights inside (over 16 MiB): count it with the command line, nnsize model.onnx");
      state.file = {kind: "checkpoint", format: "onnx", size: String(file.size), name: file.name, header: toBase64(await file.arrayBuffer())};
    } else {
      throw new Invalid("drop a config.json, a .safetensors, a .gguf or an .onnx file");
    }
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    state.file = null; writeHash(); noAnswer(e.message); return;
  }
  update();
}

// --- copying ----------------------------------------------------------------------------------------
async function copy(button, what, text) {
  let ok = true;
  try { await navigator.clipboard.writeText(text); }
  catch (e) {  // no clipboard permission: the old way
    const area = el("textarea", {value: text}); document.body.append(area);
    area.select(); ok = document.execCommand("copy"); area.remove();
  }
  const label = button.dataset.label || (button.dataset.label = button.textContent);
  button.textContent = ok ? "Copied" : "Copy failed";
  $("copy-status").textContent = ok ? `${what} copied to the clipboard.` : `Could not copy the ${what}: select it in the page instead.`;
  clearTimeout(button.timer);
  button.timer = setTimeout(() => { button.textContent = label; $("copy-status").textContent = ""; }, 2500);
}

// --- start: everything the first screen needs came with the page ----------------------------------
function fillLists() {
  $("layer-types").replaceChildren(...BOOT.layers.map((t) => el("option", {value: t})));
  // each card also by the spelling people type (rtx 3060 12gb), which the list filters on too
  $("gpu-list").replaceChildren(...BOOT.gpus.map((g) => el("option", {value: g.name, label: g.name.replace(/-/g, " ")})));
  $("plan-interconnect").append(...(BOOT.interconnects || []).map((i) =>
    el("option", {value: i.name, textContent: `${i.name} (${i.bandwidth})`})));
  const groups = {};
  for (const d of BOOT.dtypes) {
    groups[d.group] = groups[d.group] || el("optgroup", {label: d.group});
    groups[d.group].append(el("option", {value: d.name, textContent: `${d.name} (${d.bits} bits)`}));
  }
  const files = el("optgroup", {label: "llama.cpp files (llama-quantize types)"});
  const known = new Set(BOOT.dtypes.map((d) => d.name.toLowerCase()));
  for (const m of BOOT.gguf_files || []) if (!known.has(m.name.toLowerCase())) files.append(el("option", {value: m.name, textContent: `${m.name} (${m.about})`}));
  $("plan-dtype").replaceChildren(el("option", {value: "", textContent: "default: a file as stored, else bf16"}), ...Object.values(groups), files);
  $("plan-dtype").value = "";
  $("plan-kv-dtype").append(...BOOT.dtypes.filter((d) => d.kv).map((d) => el("option", {value: d.name, textContent: d.name})));
  const kinds = {};
  for (const p of BOOT.presets) {
    kinds[p.kind] = kinds[p.kind] || el("optgroup", {label: p.kind === "language model" ? "Language models" : "Classic networks"});
    // the name alone (a phone shows it whole); the description is the line below the list
    kinds[p.kind].append(el("option", {value: p.name, textContent: p.name, title: p.description}));
  }
  $("preset").replaceChildren(...Object.values(kinds));
  $("tab-hub").hidden = !BOOT.features.hub;
  $("speed").hidden = !BOOT.features.speed;
}

function init() {
  fillLists();
  readHash();
  for (const k of ["inputs", "hidden", "neurons", "outputs"]) {
    $(k).value = state[k];
    $(k).addEventListener("input", () => {
      notice(""); state[k] = $(k).value; state.fromShorthand = false;
      state.shorthand = ["inputs", "hidden", "neurons", "outputs"].every((f) => /^\d+$/.test(String(state[f]).trim())) ? fieldsShorthand() : "";
      $("shorthand").value = state.shorthand;
      update();
    });
  }
  if (!state.fromShorthand && !state.shorthand) state.shorthand = fieldsShorthand();
  $("shorthand").value = state.shorthand;
  $("shorthand").addEventListener("input", () => { notice(""); state.shorthand = $("shorthand").value; shorthandChanged(); update(); });
  for (const m of MODES) {
    $("tab-" + m).addEventListener("click", () => select(m));
    $("tab-" + m).addEventListener("keydown", tabKeys);
  }
  $("spec-text").value = state.specText !== null ? state.specText : specJSON(state.spec);
  $("spec-text").addEventListener("input", () => {
    state.specText = $("spec-text").value;
    try {
      const parsed = JSON.parse(state.specText), compacted = runs(parsed);
      state.spec = compacted; state.specText = null; renderEditor();
      if (compacted !== parsed) $("spec-text").value = specJSON(compacted);
    } catch (e) { /* said by update() */ }
    update();
  });
  $("input-shape").addEventListener("input", fromEditor);
  $("add-layer").addEventListener("click", () => { state.spec.layers = [...(state.spec.layers || []), {type: "Linear", out_features: 10}]; renderEditor(); fromEditor(); });
  renderEditor();
  const drop = $("drop"), file = $("file");
  drop.addEventListener("click", () => file.click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); file.click(); } });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) countFile(e.dataTransfer.files[0]); });
  file.addEventListener("change", () => file.files[0] && countFile(file.files[0]));
  const nothing = () => { $("copy-status").textContent = "Nothing to copy: there is no answer until the model above is valid."; };
  $("copy-md").addEventListener("click", (e) => last ? copy(e.target, "Markdown", last.view.markdown) : nothing());
  $("copy-json").addEventListener("click", (e) => last ? copy(e.target, "JSON", JSON.stringify(last.report, null, 2)) : nothing());
  $("preset").value = state.preset;
  $("preset").addEventListener("change", () => { state.preset = $("preset").value; update(); });
  $("hub-name").value = state.hub;
  $("hub-go").addEventListener("click", () => { state.hub = $("hub-name").value; update(); });
  $("hub-name").addEventListener("keydown", (e) => { if (e.key === "Enter") { state.hub = $("hub-name").value; update(); } });
  trainingControls();
  for (const [, id] of PLAN_FIELDS) $(id).addEventListener($(id).tagName === "SELECT" || $(id).type === "checkbox" ? "change" : "input", () => {
    state.refused = "";
    trainingControls();
    writeHash();
    let source;
    try { source = model(); } catch (e) { return; }
    if (last) updatePlan(source);
    else update();
  });
  select(state.mode);
  // a link pasted into this tab changes only the hash: read it as a new page
  addEventListener("hashchange", () => location.reload());
}

init();
