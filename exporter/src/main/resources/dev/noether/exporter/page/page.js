// Noether's training page: polls the exporter's JSON endpoints and draws ECharts charts. No other origin.
'use strict';

const MAX_CHART_LAYERS = 12;   // series charts show at most this many layers at once (pick others in the list)
const TABLE_PAGE = 25;         // model table rows per page
const RECORDS_PAGE = 5000;     // points per /api/records request (the server's limit)
const DETAIL_REFRESH_MS = 5000; // a live layer detail (histograms) is fetched again at most this often
// The history serves at most 1 + 1.5·maxRecords points per kind of record and worker (the first record, buckets of
// older records with their mean, min and max, the latest at full resolution): a chart's line draws each of them once.
const HISTOGRAMS = [['weights', 'c-hist-weights'], ['gradients', 'c-hist-gradients'], ['updates', 'c-hist-updates'],
  ['neuron.norms', 'c-hist-norms'], ['neuron.charges', 'c-hist-charges']];
const PHASES = ['crh', 'backward_crh', 'forward_crh', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'none'];
const PHASE_COLORS = ['#15803d', '#65a30d', '#0d9488', '#2563eb', '#4f46e5', '#7c3aed', '#c026d3', '#db2777',
  '#e11d48', '#ea580c', '#d97706', '#ca8a04', '#9ca3af'];
const RELATIONS = [['rga', 'H∝G'], ['rwa', 'H∝Z'], ['gwa', 'G∝Z']];
const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc',
  '#2f4554', '#61a0a8', '#d48265'];

const state = {
  lanes: {}, rev: 0, epoch: -1, lastSeq: 0, run: null, jvm: [], cost: [], detail: null, detailFor: '', detailSeq: -1,
  detailAt: 0, detailFetches: 0, detailDrawn: -1, layerNames: [], selected: null, tablePage: 0, renders: 0,
  connected: false,
};
window.noetherPage = state; // read by the browser tests

const charts = {};

function el(id) { return document.getElementById(id); }

function fmt(v) {
  if (v === undefined || v === null || !isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

function text(tag, content, cls) {
  const e = document.createElement(tag);
  if (content !== undefined) e.textContent = content;
  if (cls) e.className = cls;
  return e;
}

/** Draws `option` into chart `id`, or its empty state when `points` is 0; data-points is what the tests read. */
function show(id, option, points) {
  const box = el(id);
  box.dataset.points = String(points);
  // the most points one series draws along its x-axis (a heatmap: its columns), checked against the history's bound
  const series = option && Array.isArray(option.series) ? option.series : [];
  box.dataset.longestSeries = String(series.reduce((n, s) => Math.max(n, !Array.isArray(s.data) ? 0
    : s.type === 'heatmap' ? new Set(s.data.map(d => d[0])).size : s.data.length), 0));
  let empty = box.querySelector(':scope > .empty');
  if (points === 0) {
    if (!empty) { empty = text('div', '', 'empty'); box.appendChild(empty); }
    empty.textContent = box.dataset.empty;
    return;
  }
  if (empty) empty.remove();
  if (!charts[id]) charts[id] = echarts.init(box, null, { renderer: 'canvas' });
  charts[id].setOption(option, true);
}

function points(series) { return series.reduce((n, s) => n + s.data.length, 0); }

function lineOption(series, opts) {
  opts = opts || {};
  return {
    animation: false,
    grid: { left: 64, right: opts.right || 18, top: 34, bottom: 30 },
    legend: { type: 'scroll', top: 0, textStyle: { fontSize: 11 } },
    tooltip: { trigger: 'axis', confine: true },
    // every step chart spans the whole run, from its first record (step 0) to the latest, so they line up
    xAxis: opts.time ? { type: 'time', axisLabel: { hideOverlap: true, fontSize: 10 } }
      : { type: 'value', name: 'step', nameGap: 4, min: state.xMin ?? 'dataMin', max: state.xMax ?? 'dataMax',
        axisLabel: { hideOverlap: true } },
    yAxis: opts.yAxis || { type: opts.logY ? 'log' : 'value', scale: true, name: opts.yName || '',
      axisLabel: { formatter: v => fmt(v), fontSize: 10 } },
    series: series.map(s => ({
      name: s.name, type: 'line', showSymbol: s.data.length < 3, symbolSize: 4, data: s.data, yAxisIndex: s.axis || 0,
      sampling: 'lttb', // long runs: draw a shape-preserving subsample, never thousands of segments per pixel
      lineStyle: { width: s.thin ? 1 : 1.5, type: s.dashed ? 'dashed' : 'solid' }, itemStyle: s.color ? { color: s.color } : undefined,
      z: s.thin ? 1 : 2,
    })),
  };
}

function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }

/** The worker a record names ('' for none): the history keeps each worker's records in lanes of their own. */
function workerOf(r) { return typeof r.worker === 'string' ? r.worker : ''; }

/**
 * The points of `type` of `worker` to draw, oldest first: the worker's first record, buckets of its older records,
 * its latest ones. Without a worker: the only worker's, or with several every worker's in the order they were
 * stored (for "the newest record"; never one line: buckets of different workers overlap).
 */
function view(type, worker = null) {
  const lanes = state.lanes[type] || {};
  if (worker !== null) return lanes[worker] || [];
  const all = Object.values(lanes);
  if (all.length <= 1) return all[0] || [];
  state.view = state.view || {};
  const key = 'merged ' + type;
  if (!state.view[key]) state.view[key] = all.flat().sort((a, b) => a.seq - b.seq);
  return state.view[key];
}
state.points = view; // read by the browser tests

/** A point's sequence range: a bucket covers the records from seqFirst to seq. */
function seqFirst(p) { return p.seqFirst === undefined ? p.seq : p.seqFirst; }

/**
 * Merges one changed point into its lane, that of its type and worker (sorted by seq): it replaces every point it
 * covers, its own older version and the records it absorbed (other workers' records, whose seqs interleave with
 * its own, are in lanes of their own, as on the server).
 */
function merge(point) {
  const lanes = state.lanes[point.type] || (state.lanes[point.type] = {});
  const worker = workerOf(point);
  const lane = lanes[worker] || (lanes[worker] = []);
  const first = seqFirst(point);
  let lo = 0, hi = lane.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (lane[mid].seq < first) lo = mid + 1; else hi = mid; }
  let end = lo;
  while (end < lane.length && lane[end].seq <= point.seq) end++;
  lane.splice(lo, end - lo, point);
}

/** The workers whose records are kept (their lanes; '' for records that name none), when there are several; else none. */
function workers() {
  state.view = state.view || {};
  if (!state.view.workers) {
    const set = new Set();
    for (const lanes of Object.values(state.lanes)) for (const w of Object.keys(lanes)) set.add(w);
    state.view.workers = set.size > 1 ? [...set].sort() : [];
  }
  return state.view.workers;
}

function workerName(w) { return w === '' ? '(no worker)' : w; }

/** One line per worker of the series `make(worker)` draws (with several workers), else one line. */
function perWorker(make) {
  const ws = workers();
  if (!ws.length) return [].concat(make(null));
  // a colour per layer no longer tells the lines apart: ECharts gives each line its own
  return ws.flatMap(w => [].concat(make(w)).map(s => ({ ...s, name: s.name + ' · ' + workerName(w), color: undefined })));
}

/** The worker whose layer details, neurons, phases and alignments are shown (with several workers), else null. */
function detailWorker() {
  const ws = workers();
  if (!ws.length) return null;
  const picked = el('detailWorker').value;
  return ws.includes(picked) ? picked : ws[0];
}

/**
 * One series per name of `section` (layers or pairs) over records of `type`, of `metric` mapped by `f`; with
 * records of several workers (a replayed run of many workers), one per name and worker.
 */
function seriesOf(section, names, metric, type, f) {
  return perWorker(w => seriesOfWorker(section, names, metric, type, f, w));
}

function seriesOfWorker(section, names, metric, type, f, worker) {
  const records = view(type, worker);
  return names.map((name, i) => {
    const data = [];
    for (const r of records) {
      const s = r[section] && r[section][name];
      const v = s ? num(s[metric]) : null;
      if (v === null) continue;
      const y = f ? f(v, s) : v;
      if (y !== null && isFinite(y)) data.push([r.step, y]);
    }
    return { name, data, color: PALETTE[i % PALETTE.length] };
  });
}

function modelSeries(name, metric, worker = null) {
  const data = [];
  for (const r of view('step', worker)) {
    const v = r.metrics ? num(r.metrics[metric]) : null;
    if (v !== null) data.push([r.step, v]);
  }
  return { name, data };
}

/** The loss's minimum or maximum per point (a full-resolution record: its own value), as a faint line. */
function envelope(name, which) {
  const data = [];
  for (const r of view('step')) {
    const v = r[which] && r[which].metrics ? num(r[which].metrics.loss) : r.metrics ? num(r.metrics.loss) : null;
    if (v !== null) data.push([r.step, v]);
  }
  return { name, data, color: '#c7d2fe', thin: true };
}

function speedSeries(worker = null) {
  const data = [];
  let prev = null;
  for (const r of view('step', worker)) {
    if (typeof r.time !== 'number') continue;
    if (prev && r.time > prev.time && r.step > prev.step) data.push([r.step, (r.step - prev.step) / (r.time - prev.time)]);
    prev = r;
  }
  return { name: 'steps/s', data };
}

function latestAnalysis(layer) {
  const analyses = view('analysis', detailWorker());
  for (let i = analyses.length - 1; i >= 0; i--) {
    const r = analyses[i];
    if (r.layers && r.layers[layer]) return { step: r.step, values: r.layers[layer], seq: r.seq };
  }
  return null;
}

/** The newest step record of any worker. */
function lastRecord() {
  const steps = view('step');
  return steps.length ? steps[steps.length - 1] : null;
}

function pairNames() { return state.run ? state.run.pairs.map(p => p.name) : []; }

function selectedLayers() { return state.selected || []; }

// ---- layer pickers (a model of 200+ layers shows a selection, never every series) ----

function updateLayerPickers() {
  const names = state.run ? state.run.layers.map(l => l.name) : [];
  if (names.join('\u0000') === state.layerNames.join('\u0000')) return;
  state.layerNames = names;
  if (state.selected === null || state.selected.length === 0) state.selected = names.slice(0, MAX_CHART_LAYERS);
  const pick = el('layers');
  pick.replaceChildren(...names.map(n => {
    const o = text('option', n);
    o.value = n;
    o.selected = state.selected.includes(n);
    return o;
  }));
  el('layerNote').textContent = names.length > MAX_CHART_LAYERS
    ? `${state.selected.length} of ${names.length} layers on the charts (Ctrl-click to pick up to ${MAX_CHART_LAYERS})` : '';
  const detail = el('detailLayer');
  const current = detail.value;
  detail.replaceChildren(...names.map(n => { const o = text('option', n); o.value = n; return o; }));
  const probed = state.run.layers.filter(l => l.probed).map(l => l.name);
  detail.value = names.includes(current) ? current : (probed[0] || names[0] || '');
}

/** With several workers: which one's layer details, neurons, phases and alignments to show. */
function updateWorkerPicker() {
  const ws = workers();
  el('detailWorkerPick').hidden = ws.length === 0;
  const pick = el('detailWorker');
  if (ws.join('\u0000') === Array.from(pick.options).map(o => o.value).join('\u0000')) return;
  const current = pick.value;
  pick.replaceChildren(...ws.map(w => { const o = text('option', workerName(w)); o.value = w; return o; }));
  pick.value = ws.includes(current) ? current : (ws[0] ?? '');
}

el('layers').addEventListener('change', () => {
  const chosen = Array.from(el('layers').selectedOptions).map(o => o.value).slice(0, MAX_CHART_LAYERS);
  state.selected = chosen;
  el('layerNote').textContent = state.layerNames.length > MAX_CHART_LAYERS
    ? `${chosen.length} of ${state.layerNames.length} layers on the charts` : '';
  render();
});
el('detailLayer').addEventListener('change', () => { state.detailFor = ''; refreshDetail().then(render); });
el('detailWorker').addEventListener('change', () => { state.detailFor = ''; refreshDetail().then(render); });

// ---- charts ----

function renderTraining() {
  const layers = selectedLayers();
  // buckets of older steps draw their mean; their minimum and maximum frame it, so spikes stay visible (one worker)
  const loss = perWorker(w => modelSeries('loss', 'loss', w));
  const lossLines = loss.length;
  if (!workers().length) loss.push(envelope('loss min', 'min'), envelope('loss max', 'max'));
  show('c-loss', lineOption(loss), points(loss.slice(0, lossLines)));
  const lr = perWorker(w => modelSeries('learning rate', 'learning.rate', w));
  show('c-lr', lineOption(lr), points(lr));
  const ratio = seriesOf('layers', layers, 'layer.update.ratio', 'step', v => v > 0 ? Math.log10(v) : null);
  show('c-ratio', lineOption(ratio, { yName: 'log10' }), points(ratio));
  const wnorm = seriesOf('layers', layers, 'layer.weight.norm', 'step');
  show('c-wnorm', lineOption(wnorm), points(wnorm));
  const unorm = seriesOf('layers', layers, 'layer.update.ratio', 'step',
    (v, s) => num(s['layer.weight.norm']) === null ? null : v * s['layer.weight.norm']);
  show('c-unorm', lineOption(unorm, { logY: true }), points(unorm));
  const gnorm = seriesOf('layers', layers, 'layer.gradient.norm', 'step');
  show('c-gnorm', lineOption(gnorm, { logY: true }), points(gnorm));
  const speed = perWorker(w => speedSeries(w));
  show('c-speed', lineOption(speed), points(speed));
  const mib = x => x / 1048576;
  const jvm = [['heap used', 'heapUsed'], ['heap committed', 'heapCommitted'], ['non-heap', 'nonHeapUsed'],
    ['direct buffers', 'directBuffers']].map(([name, key]) => ({ name, data: state.jvm.map(s => [s.t, mib(s[key])]) }));
  show('c-jvm', lineOption(jvm, { time: true }), points(jvm));
  renderModelTable();
}

function renderPhysics() {
  const layers = selectedLayers();
  const pairs = pairNames();
  const drift = seriesOf('pairs', pairs, 'charge.drift', 'step');
  show('c-drift', lineOption(drift), points(drift));
  const observed = seriesOf('pairs', pairs, 'charge.drift.rate', 'step');
  const predicted = seriesOf('pairs', pairs, 'charge.drift.rate.predicted', 'step')
    .map(s => ({ ...s, name: s.name + ' predicted', dashed: true }));
  const rate = observed.concat(predicted);
  show('c-rate', lineOption(rate), points(rate));
  const residual = seriesOf('pairs', pairs, 'charge.residual', 'step', v => v > 0 ? v : null);
  show('c-residual', lineOption(residual, { logY: true }), points(residual));
  renderChargeParts(pairs);
  const balance = seriesOf('pairs', pairs, 'pair.norm.ratio', 'step');
  for (const imbalance of perWorker(w => modelSeries('norm imbalance (CV)', 'norm.imbalance', w))) {
    if (imbalance.data.length) balance.push({ ...imbalance, dashed: true, color: imbalance.color || '#111827' });
  }
  let spreadPoints = 0;
  for (const spread of perWorker(w => modelSeries('norm spread (std ‖W‖², right)', 'norm.spread', w))) {
    if (spread.data.length) balance.push({ ...spread, dashed: true, color: spread.color || '#b45309', axis: 1 });
    spreadPoints += spread.data.length;
  }
  show('c-balance', lineOption(balance, spreadPoints ? { right: 56, yAxis: [
    { type: 'value', scale: true, axisLabel: { formatter: v => fmt(v), fontSize: 10 } },
    { type: 'value', scale: true, name: '‖W‖²', splitLine: { show: false }, axisLabel: { formatter: v => fmt(v), fontSize: 10 } }] } : {}),
  points(balance));
  const efflr = seriesOf('layers', layers, 'layer.effective.learning.rate', 'step');
  show('c-efflr', lineOption(efflr, { logY: true }), points(efflr));
  renderNeurons(layers);
  const ranks = seriesOf('layers', layers, 'layer.effective.rank', 'analysis')
    .concat(seriesOf('layers', layers, 'representation.effective.rank', 'analysis')
      .map(s => ({ ...s, name: s.name + ' repr.', dashed: true })));
  show('c-ranks', lineOption(ranks), points(ranks));
  renderPhases(layers);
  renderAlignments();
  // the detail's charts change only with a new detail (or another layer): drawing them is most of a render
  if (state.detailDrawn !== state.detailFetches) {
    renderHeatmap();
    renderPah();
    renderHeads();
    renderDistributions();
    state.detailDrawn = state.detailFetches;
  }
}

/** The detail layer's histograms over time (TensorBoard's distributions): one column per histogram. */
function renderDistributions() {
  const all = (state.detail && state.detail.histograms) || {};
  el('chargePair').textContent = state.detail && state.detail.chargePair ? `pair ${state.detail.chargePair}` : '';
  for (const [quantity, id] of HISTOGRAMS) {
    const h = all[quantity];
    if (!h || !h.steps || !h.steps.length) { show(id, null, 0); continue; }
    const rows = h.rows, width = (h.hi - h.lo) / rows;
    const centre = k => rows === 1 ? h.lo : h.lo + (k + 0.5) * width;
    const data = [];
    let top = 0;
    for (let c = 0; c < h.steps.length; c++) {
      for (let k = 0; k < rows; k++) {
        const v = h.share[c * rows + k];
        if (v > 0) { data.push([c, k, v]); top = Math.max(top, v); }
      }
    }
    show(id, {
      animation: false, grid: { left: 58, right: 14, top: 8, bottom: 36 },
      tooltip: { confine: true, formatter: p => {
        const c = p.value[0], k = p.value[1];
        const range = rows === 1 ? fmt(h.lo) : `${fmt(h.lo + k * width)} … ${fmt(h.lo + (k + 1) * width)}`;
        return `step ${h.steps[c]}: ${(100 * p.value[2]).toFixed(1)} % in ${range}<br>`
          + `min ${fmt(h.min[c])}, mean ${fmt(h.mean[c])}, max ${fmt(h.max[c])} (${h.count[c]} values)`;
      } },
      xAxis: { type: 'category', data: h.steps.map(String), name: 'step', nameGap: 4, nameLocation: 'end',
        axisLabel: { hideOverlap: true, fontSize: 10 }, splitArea: { show: false } },
      yAxis: { type: 'category', data: Array.from({ length: rows }, (_, k) => fmt(centre(k))),
        axisLabel: { fontSize: 10, interval: Math.max(0, Math.ceil(rows / 6) - 1) } },
      visualMap: { show: false, min: 0, max: top || 1, dimension: 2,
        inRange: { color: ['#eef4fb', '#9ecae1', '#4292c6', '#08519c', '#08306b'] } },
      series: [{ type: 'heatmap', data, progressive: 0 }],
    }, data.length);
  }
}

// ---- what moves the charge (METRICS.md §11): one stacked chart per pair, in one ECharts instance ----

const PARTS = [['decay', '#2563eb'], ['optimizer', '#ea580c'], ['gradient', '#dc2626'], ['step', '#9ca3af']];
const MAX_PART_PAIRS = 4; // the first pairs with parts; each gets its own grid
const PART_GRID_HEIGHT = 150;

function renderChargeParts(allPairs) {
  const pairs = allPairs.filter(p => seriesOf('pairs', [p], 'charge.drift.rate.part.decay', 'step')[0].data.length)
    .slice(0, MAX_PART_PAIRS);
  const box = el('c-parts');
  const height = 40 + PART_GRID_HEIGHT * Math.max(1, pairs.length);
  if (box.style.height !== height + 'px') {
    box.style.height = height + 'px';
    if (charts['c-parts']) charts['c-parts'].resize();
  }
  const grids = [], xAxis = [], yAxis = [], series = [];
  pairs.forEach((pair, i) => {
    grids.push({ left: 64, right: 18, top: 40 + i * PART_GRID_HEIGHT, height: PART_GRID_HEIGHT - 40 });
    xAxis.push({ type: 'value', gridIndex: i, min: 'dataMin', max: 'dataMax', axisLabel: { hideOverlap: true } });
    yAxis.push({ type: 'value', gridIndex: i, scale: true, name: pair, nameTextStyle: { align: 'left' },
      axisLabel: { formatter: v => fmt(v), fontSize: 10 } });
    for (const [part, color] of PARTS) {
      const data = seriesOf('pairs', [pair], 'charge.drift.rate.part.' + part, 'step')[0].data;
      series.push({ name: part, type: 'line', stack: pair, areaStyle: { opacity: 0.5 }, showSymbol: false,
        xAxisIndex: i, yAxisIndex: i, data, itemStyle: { color }, lineStyle: { width: 1 }, sampling: 'lttb' });
    }
    series.push({ name: 'observed rate', type: 'line', showSymbol: false, xAxisIndex: i, yAxisIndex: i,
      data: seriesOf('pairs', [pair], 'charge.drift.rate', 'step')[0].data, itemStyle: { color: '#111827' },
      lineStyle: { width: 1.5, type: 'dashed' }, sampling: 'lttb' });
  });
  show('c-parts', { animation: false, grid: grids, xAxis, yAxis, series, legend: { top: 0 },
    tooltip: { trigger: 'axis', confine: true, valueFormatter: v => fmt(v) } }, points(series));
}

function renderNeurons(layers) {
  const rows = layers.map(l => ({ l, a: latestAnalysis(l) })).filter(x => x.a && num(x.a.values['neurons.distinct']) !== null);
  const neurons = name => state.run.layers.find(x => x.name === name) || {};
  const series = [['dead', 'neurons.dead'], ['inactive', 'neurons.inactive'], ['distinct', 'neurons.distinct']]
    .map(([name, key]) => ({ name, type: 'bar', data: rows.map(x => num(x.a.values[key])) }));
  series.push({ name: 'neurons', type: 'bar', data: rows.map(x => neurons(x.l).neurons ?? null), itemStyle: { color: '#d1d5db' } });
  const n = series.reduce((k, s) => k + s.data.filter(v => v !== null).length, 0);
  show('c-neurons', {
    animation: false, grid: { left: 50, right: 10, top: 34, bottom: 40 }, legend: { top: 0 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: rows.map(x => x.l), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value' }, series,
  }, rows.length ? n : 0);
}

function renderPhases(layers) {
  const analyses = view('analysis', detailWorker());
  const steps = analyses.map(r => String(r.step));
  const data = [];
  analyses.forEach((r, x) => layers.forEach((l, y) => {
    const p = r.layers && r.layers[l] && r.layers[l]['crh.phase'];
    if (typeof p === 'string' && PHASES.includes(p)) data.push([x, y, PHASES.indexOf(p)]);
  }));
  show('c-phase', {
    animation: false, grid: { left: 90, right: 10, top: 40, bottom: 30 },
    tooltip: { formatter: p => `${layers[p.value[1]]} at step ${steps[p.value[0]]}: phase ${PHASES[p.value[2]]}` },
    xAxis: { type: 'category', data: steps, name: 'step', nameGap: 4 }, yAxis: { type: 'category', data: layers },
    visualMap: { type: 'piecewise', dimension: 2, orient: 'horizontal', top: 0, left: 'center', itemWidth: 10,
      itemHeight: 10, textStyle: { fontSize: 10 },
      pieces: PHASES.map((p, i) => ({ value: i, label: p, color: PHASE_COLORS[i] })) },
    series: [{ type: 'heatmap', data }],
  }, data.length);
}

function detailLayer() { return el('detailLayer').value; }

function renderAlignments() {
  const w = detailWorker();
  document.querySelectorAll('.detailName').forEach(e => {
    e.textContent = (detailLayer() || '–') + (w === null ? '' : ' · ' + workerName(w));
  });
  document.querySelectorAll('.workerName').forEach(e => { e.textContent = w === null ? '' : ' — ' + workerName(w); });
  const a = latestAnalysis(detailLayer());
  const cats = [], align = [], base = [];
  for (const side of ['a', 'b']) {
    for (const [rel, label] of RELATIONS) {
      cats.push(`${label} ${side === 'a' ? 'input' : 'output'}`);
      align.push(a ? num(a.values[`crh.alignment.${rel}.${side}`]) : null);
      base.push(a ? num(a.values[`crh.alignment.baseline.${rel}.${side}`]) : null);
    }
  }
  const n = align.filter(v => v !== null).length;
  show('c-align', {
    animation: false, grid: { left: 44, right: 10, top: 34, bottom: 44 }, legend: { top: 0 }, tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: cats, axisLabel: { interval: 0, rotate: 25, fontSize: 10 } },
    yAxis: { type: 'value', min: -1, max: 1 },
    series: [{ name: `alignment (step ${a ? a.step : '–'})`, type: 'bar', data: align },
      { name: 'random-rotation baseline', type: 'bar', data: base, itemStyle: { color: '#d1d5db' } }],
  }, n);
}

function renderHeatmap() {
  const c = state.detail && state.detail.correlation;
  if (!c) { show('c-heatmap', null, 0); return; }
  const data = [];
  for (let i = 0; i < c.cells; i++) for (let j = 0; j < c.cells; j++) data.push([j, i, c.matrix[i * c.cells + j]]);
  const axis = { type: 'category', data: Array.from({ length: c.cells }, (_, i) => i), axisLabel: { show: false }, axisTick: { show: false } };
  show('c-heatmap', {
    animation: false, grid: { left: 20, right: 70, top: 10, bottom: 20 },
    tooltip: { formatter: p => `r = ${fmt(p.value[2])}` },
    xAxis: axis, yAxis: { ...axis, inverse: true },
    visualMap: { min: -1, max: 1, calculable: true, orient: 'vertical', right: 0, top: 'middle', itemHeight: 160,
      inRange: { color: ['#2166ac', '#f7f7f7', '#b2182b'] } },
    series: [{ type: 'heatmap', data, progressive: 0 }],
    title: { text: `${c.neurons} neurons, step ${state.detail.step}${c.cells < c.neurons ? ' (block-averaged)' : ''}`,
      bottom: 0, left: 'center', textStyle: { fontSize: 11, fontWeight: 'normal' } },
  }, data.length);
}

function renderPah() {
  const pah = (state.detail && state.detail.pah) || {};
  const series = [];
  let n = 0;
  ['a', 'b'].forEach((side, k) => {
    const s = pah[side];
    if (!s || !Array.isArray(s.logLambdaG) || !s.logLambdaG.length) return;
    const pts = s.logLambdaG.map((x, i) => [x, s.logLambdaH[i]]).filter(p => isFinite(p[0]) && isFinite(p[1]));
    n += pts.length;
    const color = PALETTE[k];
    series.push({ name: `${side === 'a' ? 'input' : 'output'} side (${side})`, type: 'scatter', symbolSize: 5, data: pts, itemStyle: { color } });
    const mx = pts.reduce((t, p) => t + p[0], 0) / pts.length, my = pts.reduce((t, p) => t + p[1], 0) / pts.length;
    const xs = pts.map(p => p[0]), lo = Math.min(...xs), hi = Math.max(...xs);
    const line = (slope, name, dashed) => series.push({ name, type: 'line', showSymbol: false, itemStyle: { color },
      lineStyle: { type: dashed ? 'dashed' : 'solid', width: 1.5 }, data: [[lo, my + slope * (lo - mx)], [hi, my + slope * (hi - mx)]] });
    if (num(s.fitted) !== null) line(s.fitted, `${side}: fitted κ = ${fmt(s.fitted)}`, false);
    if (num(s.predicted) !== null) line(s.predicted, `${side}: predicted κ = ${fmt(s.predicted)}`, true);
  });
  show('c-pah', {
    animation: false, grid: { left: 50, right: 14, top: 62, bottom: 30 }, legend: { top: 0, textStyle: { fontSize: 10 } },
    tooltip: { trigger: 'item' }, xAxis: { type: 'value', name: 'log λG', scale: true, nameGap: 4 },
    yAxis: { type: 'value', name: 'log λH', scale: true }, series,
  }, n);
}

/**
 * The talk's Fig. 3 for the detail layer, when it is an attention projection: each head's eigenvalue pairs
 * (log λG, log λH) on the side the heads split, one colour per head, with its least-squares line and exponent κ.
 */
function renderHeads() {
  const h = state.detail && state.detail.heads;
  const series = [];
  let n = 0;
  (h && Array.isArray(h.heads) ? h.heads : []).forEach((head, k) => {
    const xs = Array.isArray(head.log_lambda_g) ? head.log_lambda_g : [];
    const pts = xs.map((x, i) => [x, head.log_lambda_h[i]]).filter(p => isFinite(p[0]) && isFinite(p[1]));
    if (!pts.length) return;
    n += pts.length;
    const color = PALETTE[k % PALETTE.length];
    const kappa = num(head.exponent);
    const name = `head ${head.head}: κ = ${fmt(kappa)}`;
    series.push({ name, type: 'scatter', symbolSize: 6, data: pts, itemStyle: { color } });
    if (kappa !== null) {
      const mx = pts.reduce((t, p) => t + p[0], 0) / pts.length, my = pts.reduce((t, p) => t + p[1], 0) / pts.length;
      const lo = Math.min(...pts.map(p => p[0])), hi = Math.max(...pts.map(p => p[0]));
      series.push({ name, type: 'line', showSymbol: false, itemStyle: { color }, lineStyle: { width: 1.5 },
        data: [[lo, my + kappa * (lo - mx)], [hi, my + kappa * (hi - mx)]] });
    }
  });
  show('c-heads', {
    animation: false, grid: { left: 50, right: 14, top: 62, bottom: 30 }, legend: { top: 0, textStyle: { fontSize: 10 } },
    title: h ? { text: `block ${h.block}, side ${h.side}`, bottom: 0, right: 0, textStyle: { fontSize: 10, fontWeight: 'normal' } } : undefined,
    tooltip: { trigger: 'item' }, xAxis: { type: 'value', name: 'log λG', scale: true, nameGap: 4 },
    yAxis: { type: 'value', name: 'log λH', scale: true }, series,
  }, n);
}

function renderMonitor() {
  const pct = key => state.cost.filter(c => c[key] !== null).map(c => [c.t, 100 * c[key]]);
  const overhead = [{ name: 'cost (% of training time)', data: pct('overhead') },
    { name: 'budget (%)', data: pct('budget'), dashed: true },
    { name: 'observed steps (%)', data: pct('observed'), axis: 1 }];
  show('c-overhead', lineOption(overhead, { time: true, right: 50,
    yAxis: [{ type: 'value', name: '% cost', min: 0, axisLabel: { formatter: v => fmt(v), fontSize: 10 } },
      { type: 'value', name: '% observed', min: 0, max: 100 }] }),
  state.run && state.run.mode === 'live' ? points(overhead) : 0);
  const cost = [{ name: 'analysis mean (s)', data: state.cost.filter(c => c.mean !== null).map(c => [c.t, c.mean]) },
    { name: 'skipped (total)', data: state.cost.map(c => [c.t, c.skipped]), axis: 1, dashed: true }];
  show('c-cost', lineOption(cost, { time: true, right: 50,
    yAxis: [{ type: 'value', name: 's', scale: true }, { type: 'value', name: 'skips', scale: true }] }),
  state.run && state.run.mode === 'live' ? points(cost) : 0);
  const alerts = (state.run && state.run.alerts) || [];
  const table = text('table');
  table.appendChild(row(['rule', 'now', 'where'], 'th'));
  for (const a of alerts) {
    const tr = row([a.rule, a.state, a.where.join(', ')]);
    tr.children[1].className = a.state;
    table.appendChild(tr);
  }
  el('alerts').replaceChildren(table);
  const gpus = (state.run && state.run.monitor && state.run.monitor.gpus) || [];
  el('gpuPanel').hidden = gpus.length === 0;
  if (gpus.length) {
    const t = text('table');
    t.appendChild(row(['gpu', 'busy', 'memory used / total (GiB)', 'power (W)', 'temperature (°C)'], 'th'));
    const gib = v => v === null || v === undefined ? '–' : (v / 1073741824).toFixed(2);
    for (const g of gpus) {
      t.appendChild(row([g.gpu, g.utilization === null ? '–' : (100 * g.utilization).toFixed(0) + ' %',
        `${gib(g.memoryUsed)} / ${gib(g.memoryTotal)}`, fmt(g.power), fmt(g.temperature)]));
    }
    el('gpus').replaceChildren(t);
  }
}

function row(cells, tag) {
  const tr = text('tr');
  for (const c of cells) tr.appendChild(text(tag || 'td', c === undefined || c === null ? '–' : String(c)));
  return tr;
}

function renderModelTable() {
  const layers = state.run ? state.run.layers : [];
  const box = el('modelTable');
  if (!layers.length) { box.replaceChildren(text('p', 'No layer mapped yet: Noether maps dense layers (and their pairs) when training starts.', 'note')); return; }
  const pages = Math.ceil(layers.length / TABLE_PAGE);
  state.tablePage = Math.min(state.tablePage, pages - 1);
  const table = text('table');
  table.appendChild(row(['layer', 'kind', 'weight shape', 'weights', 'activation', 'normalization', 'probe', 'symmetry pairs'], 'th'));
  for (const l of layers.slice(state.tablePage * TABLE_PAGE, (state.tablePage + 1) * TABLE_PAGE)) {
    const shape = l.shape || (l.neurons !== undefined ? `${l.neurons} × ${l.inputs ?? '?'}` : '–');
    table.appendChild(row([l.name, l.kind, shape, l.weights, l.activation, l.normalization ?? (l.kind ? 'none' : undefined),
      l.probed ? 'yes' : 'not yet', l.pairs.join(', ')]));
  }
  const parts = [];
  if (state.run.optimizer) parts.push(text('p', `Optimizer: ${state.run.optimizer}`, 'note optimizer'));
  parts.push(table);
  const skipped = state.run.unsupported || [];
  if (skipped.length) {
    parts.push(text('p', `Not mapped (weight metrics only where they hold weights): ${skipped.length}`, 'note unsupported'));
    const list = text('ul', undefined, 'unsupported');
    for (const u of skipped) list.appendChild(text('li', `${u.name}: ${u.reason}`));
    parts.push(list);
  }
  if (pages > 1) {
    const pager = text('div', undefined, 'pager');
    const prev = text('button', '‹ previous'), next = text('button', 'next ›');
    prev.disabled = state.tablePage === 0;
    next.disabled = state.tablePage >= pages - 1;
    prev.onclick = () => { state.tablePage--; renderModelTable(); };
    next.onclick = () => { state.tablePage++; renderModelTable(); };
    pager.append(prev, text('span', `layers ${state.tablePage * TABLE_PAGE + 1}–${Math.min(layers.length, (state.tablePage + 1) * TABLE_PAGE)} of ${layers.length}`), next);
    parts.push(pager);
  }
  box.replaceChildren(...parts);
}

function renderHeader() {
  const run = state.run;
  const mode = el('mode');
  mode.textContent = !state.connected ? 'disconnected' : run.mode === 'replay' ? 'replay' : 'live';
  mode.className = 'badge' + (run && run.mode === 'replay' ? ' replay' : '');
  el('model').textContent = run ? run.models.join(', ') : '';
  el('metricsLink').hidden = !run || run.mode !== 'live';
  // the newest step record, of whichever worker sent it (with several, the header names it)
  const last = lastRecord();
  const lastWorker = last && workers().length ? workerOf(last) : null;
  el('step').textContent = last ? String(last.step) + (lastWorker === null ? '' : ' · ' + workerName(lastWorker)) : '–';
  const speed = speedSeries(lastWorker).data;
  el('rate').textContent = speed.length ? speed[speed.length - 1][1].toFixed(0) : '–';
  const loss = modelSeries('loss', 'loss', lastWorker).data;
  el('loss').textContent = loss.length ? fmt(loss[loss.length - 1][1]) : '–';
  el('empty').hidden = view('step').length + view('analysis').length > 0;
  if (run) {
    const h = run.history;
    const lane = (h.lanes && h.lanes.step) || { records: 0, fullResolution: 0, buckets: 0 };
    const lines = Math.max(1, workers().length); // each worker's first record is kept apart from the others
    const merged = lane.records - lane.fullResolution;
    const n = v => Number(v).toLocaleString('en-US');
    el('historyInfo').textContent = `${n(lane.records)} step records` + (lines > 1 ? ` of ${lines} workers` : '') + (merged > 0
      ? ` from step 0 · the latest ${n(lane.fullResolution - lines)} at full resolution · ${n(merged)} older in ${n(lane.buckets)} buckets`
      : '') + (h.dropped ? ` · ${n(h.dropped)} dropped` : '');
    const skipped = run.replay ? run.replay.skippedLines : 0;
    el('skippedInfo').hidden = !skipped;
    if (skipped) el('skippedInfo').textContent = `${skipped} bad event-log lines skipped (first: ${run.replay.firstSkipped})`;
    el('footer').textContent = (run.replay ? `Replay of ${run.replay.file}: ${run.replay.records} records. ` : '')
      + `History bounds: the latest ${h.maxRecords} records of each kind${workers().length ? ' and worker' : ''} at full `
      + `resolution, at most ${h.maxBuckets} buckets of older ones, ${(h.maxBytes / 1048576).toFixed(0)} MiB in all `
      + `(now ${(h.bytes / 1048576).toFixed(2)} MiB).`;
  }
}

function render() {
  if (!state.run) return;
  const started = performance.now();
  updateLayerPickers();
  updateWorkerPicker();
  // every worker's line from its first record to its latest: the axis spans them all
  const ends = Object.values(state.lanes.step || {}).filter(l => l.length);
  state.xMin = ends.length ? Math.min(...ends.map(l => l[0].step)) : undefined;
  state.xMax = ends.length ? Math.max(...ends.map(l => l[l.length - 1].step)) : undefined;
  renderHeader();
  renderTraining();
  renderPhysics();
  renderMonitor();
  state.renders++;
  document.body.dataset.renderMs = String(Math.round(performance.now() - started));
}

// ---- polling ----

async function getJson(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

async function refreshDetail() {
  const layer = detailLayer();
  const worker = detailWorker();
  const a = layer ? latestAnalysis(layer) : null;
  const seq = a ? a.seq : -1;
  // live histograms arrive between analyses: fetch a live detail again now and then
  const stale = state.run && state.run.mode === 'live' && Date.now() - state.detailAt > DETAIL_REFRESH_MS;
  if (!layer || (state.detailFor === layer && state.detailWorkerFor === worker && state.detailSeq === seq && !stale)) return;
  state.detail = await getJson('api/layer?name=' + encodeURIComponent(layer)
    + (worker === null ? '' : '&worker=' + encodeURIComponent(worker)));
  state.detailFor = layer;
  state.detailWorkerFor = worker;
  state.detailSeq = seq;
  state.detailAt = Date.now();
  state.detailFetches++;
}

async function poll() {
  let delay = 1000;
  try {
    const run = await getJson('api/run');
    for (;;) {
      const page = await getJson(`api/records?after=${state.rev}&epoch=${state.epoch}&limit=${RECORDS_PAGE}`);
      // a compaction merged older buckets (a new epoch): the page starts over from everything
      if (page.reset) state.lanes = {};
      state.epoch = page.epoch;
      for (const r of page.records) merge(r);
      if (page.records.length || page.reset) state.view = null; // the workers seen may have changed
      state.rev = page.rev;
      state.lastSeq = page.lastSeq;
      if (page.records.length < RECORDS_PAGE) break;
    }
    state.run = run;
    state.connected = true;
    if (run.mode === 'live') {
      const t = Date.now();
      if (run.jvm) state.jvm.push({ t, ...run.jvm });
      const m = run.monitor || {};
      const skipped = Object.values(m.skipped || {}).reduce((a, b) => a + b, 0);
      state.cost.push({ t, mean: m.analysisSecondsMean ?? null, skipped, overhead: m.monitorOverhead ?? null,
        budget: m.overheadBudget ?? null, observed: m.observedFraction ?? null });
      if (state.jvm.length > 3600) state.jvm.shift();
      if (state.cost.length > 3600) state.cost.shift();
    } else {
      delay = 5000; // a replay does not change
    }
    updateLayerPickers();
    updateWorkerPicker();
    const before = state.detailFetches;
    await refreshDetail();
    // A replay does not change: draw again only when something new arrived (or on the first poll).
    if (run.mode === 'live' || state.renders === 0 || state.lastSeq !== state.drawnSeq || state.detailFetches !== before) {
      render();
      state.drawnSeq = state.lastSeq;
    }
  } catch (e) {
    state.connected = false;
    if (state.run) renderHeader();
    delay = 3000;
  }
  // Drawing must never take the tab: wait at least three drawing times between polls.
  setTimeout(poll, Math.max(delay, 3 * Number(document.body.dataset.renderMs || 0)));
}

window.addEventListener('resize', () => Object.values(charts).forEach(c => c.resize()));
poll();
