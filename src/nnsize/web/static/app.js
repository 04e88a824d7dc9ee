// nnsize's page: every number comes from the API (as strings, so none is rounded by a JS float)
"use strict";
const $ = (id) => document.getElementById(id);
const DEFAULT_SPEC = {input_shape: [3, 32, 32], layers: [
  {type: "Conv2d", out_channels: 16, kernel_size: 3, padding: 1}, {type: "ReLU"},
  {type: "MaxPool2d", kernel_size: 2}, {type: "Flatten"}, {type: "Linear", out_features: 10}]};
const state = {mode: "mlp", inputs: "10", hidden: "3", neurons: "20", outputs: "2", shorthand: "",
               spec: DEFAULT_SPEC, preset: "llama-3.1-8b", actions: ""};
let last = null, pending = null, presets = [];

function group(s) {  // "1234567" -> "1,234,567", exactly, for any size
  return /^-?\d+$/.test(String(s)) ? BigInt(s).toLocaleString("en-US") : String(s);
}

async function post(path, body, raw) {
  if (pending) pending.abort();
  pending = new AbortController();
  const response = await fetch(path + (path.includes("?") ? "&" : "?") + "numbers=string", {
    method: "POST", signal: pending.signal, body: raw ? body : JSON.stringify(body),
    headers: {"content-type": raw ? "application/octet-stream" : "application/json"}});
  const data = await response.json();
  if (!response.ok) {
    const detail = typeof data.detail === "string" ? data.detail :
      (data.detail || []).map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    throw new Error(detail || response.statusText);
  }
  return data;
}

function showError(message) {
  $("error").hidden = !message;
  $("error").textContent = message || "";
}

function table(el, headers, rows, numeric) {
  el.replaceChildren();
  const head = el.createTHead().insertRow();
  headers.forEach((h) => { const th = document.createElement("th"); th.scope = "col"; th.textContent = h; head.append(th); });
  const body = el.createTBody();
  rows.forEach((r) => {
    const tr = body.insertRow();
    r.forEach((cell, i) => { const td = tr.insertCell(); td.textContent = cell; if (numeric(i, cell)) td.className = "num"; });
  });
}

function chart(report) {
  const svg = $("chart"), rows = report.layers.slice(0, 60);
  const values = rows.map((r) => BigInt(r.params));
  const top = values.reduce((a, b) => (b > a ? b : a), 1n);
  const bar = 22, width = 700, label = 230;
  svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(1, rows.length) * bar}`);
  svg.replaceChildren(...rows.flatMap((r, i) => {
    const w = Number((values[i] * 10000n) / top) / 10000 * (width - label - 80);
    const ns = "http://www.w3.org/2000/svg";
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", 0); t.setAttribute("y", i * bar + 15); t.textContent = r.label.slice(0, 32);
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", label); rect.setAttribute("y", i * bar + 4);
    rect.setAttribute("width", Math.max(w, values[i] > 0n ? 1 : 0)); rect.setAttribute("height", bar - 8);
    const v = document.createElementNS(ns, "text");
    v.setAttribute("x", label + w + 6); v.setAttribute("y", i * bar + 15); v.textContent = group(r.params);
    return [t, rect, v];
  }));
}

function show(data) {
  last = data;
  const r = data.report, v = data.view;
  $("total-weights").textContent = group(r.weights);
  $("total-biases").textContent = group(r.biases);
  $("total-params").textContent = group(r.total_params);
  const fp32 = v.memory.find((m) => m[0] === "fp32");
  $("memory-fp32").textContent = `${fp32[2]} B = ${fp32[3]} = ${fp32[4]}`;
  table($("layers"), v.headers, v.rows, (i, c) => /^[\d,]+$/.test(c));
  table($("totals"), ["", "Count"], v.totals, (i) => i === 1);
  table($("memory"), ["Precision", "Bits", "Bytes", "Binary", "Decimal"], v.memory, (i) => i > 0);
  $("explain").textContent = v.explain;
  chart(r);
  showError("");
  updatePlan();
}

function lineChart(svg, series, axis) {
  // log-log: x = log(size), y = log(parameters); exact values in the labels
  const ns = "http://www.w3.org/2000/svg", W = 320, H = 180, pad = 34;
  const xs = series.sizes.map((s) => Math.log(Number(s))), ys = series.params.map((p) => Math.log(Number(p)));
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const px = (x) => pad + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (W - 2 * pad);
  const py = (y) => H - pad - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (H - 2 * pad);
  const el = (name, attrs, text) => { const e = document.createElementNS(ns, name);
    Object.entries(attrs).forEach(([k, v]) => e.setAttribute(k, v)); if (text) e.textContent = text; return e; };
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const d = xs.map((x, i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(ys[i]).toFixed(1)}`).join(" ");
  const other = axis === "width" ? "depth" : "width";
  svg.replaceChildren(
    el("line", {x1: pad, y1: H - pad, x2: W - pad, y2: H - pad}), el("line", {x1: pad, y1: pad / 2, x2: pad, y2: H - pad}),
    el("path", {d}), ...xs.map((x, i) => el("circle", {cx: px(x), cy: py(ys[i]), r: 3})),
    el("text", {x: pad, y: 12}, `parameters vs ${axis} (${other} ${series.fixed}): ~${axis}^${Number(series.exponent).toFixed(2)}`),
    el("text", {x: pad, y: H - 8}, `${axis} ${series.sizes[0]}`),
    el("text", {x: W - pad, y: H - 8, "text-anchor": "end"}, `${series.sizes[series.sizes.length - 1]}`),
    el("text", {x: W - pad, y: py(y1) - 6, "text-anchor": "end"}, group(series.params[series.params.length - 1])));
}

async function growth(network) {
  try {
    const response = await fetch("/api/growth", {method: "POST", headers: {"content-type": "application/json"},
                                                 body: JSON.stringify({network})});
    const data = await response.json();
    $("growth").hidden = !response.ok;
    if (response.ok) { lineChart($("growth-width"), data.width, "width"); lineChart($("growth-depth"), data.depth, "depth"); }
  } catch (e) { $("growth").hidden = true; }
}

function planSource() {
  if (state.mode === "mlp") return state.shorthand.trim() ? {network: state.shorthand.trim()} :
    {network: [state.inputs, ...Array(+state.hidden || 0).fill(state.neurons), state.outputs].join("-")};
  if (state.mode === "spec") return {spec: state.spec};
  if (state.mode === "preset") return {preset: state.preset};
  return state.config ? {config: state.config} : null;
}

let planPending = null;
async function updatePlan() {
  const source = planSource();
  if (!source) return;
  const body = {...source, dtype: $("plan-dtype").value || "bf16", batch: +$("plan-batch").value,
                context: +$("plan-context").value, train: $("plan-train").checked,
                optimizer: $("plan-optimizer").value};
  if ($("plan-gpu").value.trim()) body.gpu = $("plan-gpu").value.trim();
  if (planPending) planPending.abort();
  planPending = new AbortController();
  try {
    const response = await fetch("/api/memory", {method: "POST", signal: planPending.signal,
      headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
    const data = await response.json();
    if (!response.ok) {
      $("plan-verdict").textContent = typeof data.detail === "string" ? data.detail : "check the planner's fields";
      return;
    }
    const plan = data.plan;
    table($("plan-table"), ["", "Bytes", "Binary", "Decimal", "How (~ an estimate)"],
      [...plan.lines.map((l) => [l.name, group(l.bytes), l.binary, l.decimal, (l.exact ? "" : "~ ") + l.how]),
       ["total (the sum of the lines)", group(plan.total_bytes), plan.total_binary, "", ""]], (i) => i > 0 && i < 4);
    $("plan-notes").textContent = plan.notes.join(" ");
    const f = data.fit;
    $("plan-verdict").textContent = f ? `${f.fits ? "Fits" : "Does not fit"} on ${f.gpu} (${f.usable_binary} usable): ` +
      `${plan.total_binary} needed. Largest batch ${group(f.largest_batch)}, longest context ${group(f.longest_context)}, ` +
      `fewest GPUs ${group(f.fewest_gpus)}. Precisions that fit: ${f.precisions.filter((p) => p.fits).map((p) => p.dtype).join(", ") || "none"}.` : plan.title;
    const ns = "http://www.w3.org/2000/svg", svg = $("plan-chart"), W = 700, total = BigInt(plan.total_bytes) || 1n;
    let x = 0;
    const parts = [];
    plan.lines.forEach((l, i) => {
      const w = Number((BigInt(l.bytes) * 100000n) / total) / 100000 * W;
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", x); r.setAttribute("y", 0); r.setAttribute("width", w); r.setAttribute("height", 24);
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", 0); t.setAttribute("y", 44 + 16 * i); t.textContent = `${l.name}: ${l.binary}`;
      parts.push(r, t); x += w;
    });
    svg.setAttribute("viewBox", `0 0 ${W} ${36 + 16 * plan.lines.length}`);
    svg.replaceChildren(...parts);
  } catch (e) { if (e.name !== "AbortError") $("plan-verdict").textContent = e.message; }
}

async function update() {
  writeHash();
  try {
    if (state.mode === "mlp") {
      const body = state.shorthand.trim() ? {network: state.shorthand.trim()} : {
        inputs: +state.inputs, hidden_layers: +state.hidden, neurons: +state.neurons, outputs: +state.outputs};
      for (const k of ["inputs", "hidden_layers", "neurons", "outputs"]) {
        if (k in body && !/^\d+$/.test(String(state[{hidden_layers: "hidden"}[k] || k]).trim()))
          throw new Error(`${k.replace("_", " ")} must be a whole number`);
      }
      show(await post("/api/count", body));
      const hidden = +state.hidden;
      growth(body.network || (hidden > 0 ? `${state.inputs}-${state.neurons}x${hidden}-${state.outputs}` : ""));
    } else if (state.mode === "spec") {
      show(await post("/api/count", {spec: state.spec}));
    } else if (state.mode === "preset") {
      const body = {name: state.preset};
      if (state.preset === "dqn" && state.actions) body.actions = +state.actions;
      show(await post("/api/preset", body));
      const p = presets.find((x) => x.name === state.preset);
      $("preset-source").textContent = p ? `${p.description}. Source: ${p.source}` : "";
    }
  } catch (e) {
    if (e.name !== "AbortError") showError(e.message);
  }
}

// --- permalink: the whole state in the URL -------------------------------------------------
function writeHash() {
  const p = new URLSearchParams({mode: state.mode});
  if (state.mode === "mlp") Object.entries({inputs: state.inputs, hidden: state.hidden, neurons: state.neurons,
    outputs: state.outputs, shorthand: state.shorthand}).forEach(([k, v]) => v !== "" && p.set(k, v));
  if (state.mode === "spec") p.set("spec", JSON.stringify(state.spec));
  if (state.mode === "preset") p.set("preset", state.preset);
  for (const [key, id] of PLAN_FIELDS) {
    const el = $(id);
    const value = el.type === "checkbox" ? (el.checked ? "1" : "") : el.value;
    if (value) p.set(key, value);
  }
  history.replaceState(null, "", "#" + p.toString());
  $("permalink").href = location.href;
}

const PLAN_FIELDS = [["dtype", "plan-dtype"], ["batch", "plan-batch"], ["context", "plan-context"],
                     ["gpu", "plan-gpu"], ["train", "plan-train"], ["optimizer", "plan-optimizer"]];

function readPlanHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const [key, id] of PLAN_FIELDS) {
    if (!p.has(key)) continue;
    const el = $(id);
    if (el.type === "checkbox") el.checked = p.get(key) === "1"; else el.value = p.get(key);
  }
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (!p.has("mode")) return;
  state.mode = p.get("mode");
  for (const k of ["inputs", "hidden", "neurons", "outputs", "shorthand", "preset"]) if (p.has(k)) state[k] = p.get(k);
  if (p.has("spec")) { try { state.spec = JSON.parse(p.get("spec")); } catch (e) { showError("the link's spec is not valid JSON"); } }
}

// --- tabs -------------------------------------------------------------------------------------
function select(mode) {
  state.mode = mode;
  $("growth").hidden = mode !== "mlp";
  for (const m of ["mlp", "spec", "preset", "file"]) {
    $("tab-" + m).setAttribute("aria-selected", String(m === mode));
    $("panel-" + m).hidden = m !== mode;
  }
  if (mode !== "file") update();
}

// --- the layer editor and the spec text, two views of state.spec ----------------------------
function parseArgs(text) {
  const args = {};
  for (const part of text.split(/,(?![^\[]*\])/).map((s) => s.trim()).filter(Boolean)) {
    const [k, ...rest] = part.split("=");
    const raw = rest.join("=").trim();
    if (!k.trim() || !raw) throw new Error(`arguments are name=value, got "${part}"`);
    try { args[k.trim()] = JSON.parse(raw); } catch (e) { args[k.trim()] = raw.replace(/^["']|["']$/g, ""); }
  }
  return args;
}

function formatArgs(layer) {
  return Object.entries(layer).filter(([k]) => k !== "type").map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
}

function renderEditor() {
  const body = $("editor").tBodies[0];
  body.replaceChildren();
  const layers = Array.isArray(state.spec.layers) ? state.spec.layers : [];
  layers.forEach((layer, i) => {
    const tr = body.insertRow();
    tr.insertCell().textContent = i;
    const type = document.createElement("input");
    type.value = layer.type || ""; type.setAttribute("list", "layer-types"); type.setAttribute("aria-label", `Layer ${i} type`);
    const args = document.createElement("input");
    args.value = formatArgs(layer); args.setAttribute("aria-label", `Layer ${i} arguments`);
    const remove = document.createElement("button");
    remove.type = "button"; remove.textContent = "Remove"; remove.setAttribute("aria-label", `Remove layer ${i}`);
    const sync = () => {
      try { layers[i] = {type: type.value, ...parseArgs(args.value)}; showError(""); fromEditor(); }
      catch (e) { showError(e.message); }
    };
    type.addEventListener("input", sync); args.addEventListener("input", sync);
    remove.addEventListener("click", () => { layers.splice(i, 1); renderEditor(); fromEditor(); });
    tr.insertCell().append(type); tr.insertCell().append(args); tr.insertCell().append(remove);
  });
  $("input-shape").value = (state.spec.input_shape || []).join(", ");
}

function fromEditor() {
  const shape = $("input-shape").value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  state.spec = {...state.spec, input_shape: shape};
  $("spec-text").value = JSON.stringify(state.spec, null, 2);
  update();
}

// --- files: read the header only ----------------------------------------------------------------
async function countFile(file) {
  try {
    const lower = file.name.toLowerCase();
    if (lower.endsWith(".json")) {
      if (file.size > 1024 * 1024) throw new Error("a config.json over 1 MiB is not a config");
      const data = JSON.parse(await file.text());
      if (data && (data.model_type || data.architectures) && !data.layers) {
        state.config = data;
        show(await post("/api/config", {config: data}));
      } else {
        state.spec = data; renderEditor(); $("spec-text").value = JSON.stringify(data, null, 2); select("spec");
      }
      return;
    }
    const name = encodeURIComponent(file.name);
    if (lower.endsWith(".safetensors")) {
      const head = new DataView(await file.slice(0, 8).arrayBuffer());
      if (head.byteLength < 8) throw new Error("too short to be a safetensors file");
      const length = head.getBigUint64(0, true);
      if (length > 100n * 1024n * 1024n) throw new Error("the header claims more than 100 MB: not a safetensors file");
      const bytes = await file.slice(0, 8 + Number(length)).arrayBuffer();
      show(await post(`/api/checkpoint?format=safetensors&file_size=${file.size}&name=${name}`, bytes, true));
    } else if (lower.endsWith(".gguf")) {
      const bytes = await file.slice(0, Math.min(file.size, 16 * 1024 * 1024)).arrayBuffer();
      show(await post(`/api/checkpoint?format=gguf&file_size=${file.size}&name=${name}`, bytes, true));
    } else if (lower.endsWith(".onnx")) {
      // an ONNX file keeps its weights inside unless they are external data: the file itself is
      // the header, so only small ones (or ones with external data) are sent
      if (file.size > 16 * 1024 * 1024) throw new Error("this ONNX file holds its weights inside (over 16 MiB): count it with the command line, nnsize model.onnx");
      show(await post(`/api/checkpoint?format=onnx&file_size=${file.size}&name=${name}`, await file.arrayBuffer(), true));
    } else {
      throw new Error("drop a config.json, a .safetensors, a .gguf or an .onnx file");
    }
  } catch (e) {
    showError(e.message);
  }
}

async function copy(text) {
  try { await navigator.clipboard.writeText(text); }
  catch (e) {  // no clipboard permission: select the text for the user instead
    const area = document.createElement("textarea"); area.value = text; document.body.append(area);
    area.select(); document.execCommand("copy"); area.remove();
  }
}

async function init() {
  readHash();
  for (const k of ["inputs", "hidden", "neurons", "outputs", "shorthand"]) {
    $(k).value = state[k];
    $(k).addEventListener("input", () => { state[k] = $(k).value; update(); });
  }
  for (const m of ["mlp", "spec", "preset", "file"]) $("tab-" + m).addEventListener("click", () => select(m));
  $("spec-text").value = JSON.stringify(state.spec, null, 2);
  $("spec-text").addEventListener("input", () => {
    try { state.spec = JSON.parse($("spec-text").value); renderEditor(); update(); }
    catch (e) { showError("the layer spec is not valid JSON: " + e.message); }
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
  $("copy-md").addEventListener("click", () => last && copy(last.view.markdown));
  $("copy-json").addEventListener("click", () => last && copy(JSON.stringify(last.report, null, 2)));
  $("preset").addEventListener("change", () => { state.preset = $("preset").value; update(); });
  fetch("/api/layers").then((r) => r.json()).then((types) => {
    $("layer-types").replaceChildren(...types.map((t) => Object.assign(document.createElement("option"), {value: t})));
  });
  for (const id of ["plan-dtype", "plan-batch", "plan-context", "plan-gpu", "plan-train", "plan-optimizer"])
    $(id).addEventListener("input", () => { writeHash(); updatePlan(); });
  fetch("/api/gpus").then((r) => r.json()).then((list) => {
    $("gpu-list").replaceChildren(...list.map((g) => Object.assign(document.createElement("option"), {value: g.name})));
  });
  const dtypes = await (await fetch("/api/dtypes")).json();
  $("plan-dtype").replaceChildren(...dtypes.map((d) => Object.assign(document.createElement("option"),
    {value: d.name, textContent: `${d.name} (${d.bits} bits)`})));
  $("plan-dtype").value = "bf16";
  readPlanHash();
  presets = await (await fetch("/api/presets")).json();
  const groups = {};
  for (const p of presets) {
    groups[p.kind] = groups[p.kind] || Object.assign(document.createElement("optgroup"), {label: p.kind === "language model" ? "Language models" : "Classic networks"});
    groups[p.kind].append(Object.assign(document.createElement("option"), {value: p.name, textContent: `${p.name}: ${p.description}`}));
  }
  $("preset").replaceChildren(...Object.values(groups));
  $("preset").value = state.preset;
  select(state.mode === "file" ? "mlp" : state.mode);
}

init();
