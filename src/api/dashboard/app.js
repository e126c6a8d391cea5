// Pulse dashboard: fleet KPIs, live insights (GET /api/insights/stream, resumed with
// Last-Event-ID), workflow drill-down, forecasts with their intervals, and forms for the three
// engine endpoints. Plain browser JavaScript with no build step; charts are uPlot (a global from
// /ui/vendor/uPlot.min.js). Every text from the data goes through textContent, never innerHTML.

const HOUR = 3_600_000;
const $ = (id) => document.getElementById(id);
const state = {
  hours: 24,
  insights: new Map(),
  /** forecasts answered to this page, by workflow, until ClickHouse has a newer one */
  forecasts: new Map(),
  workflowId: null,
  /** tenant of each workflow listed, for the engine calls (workflow ids are per tenant) */
  tenants: new Map(),
  charts: new Map(),
  token: sessionStorage.getItem('pulse-token') ?? '',
};

// ---------- small helpers ----------

/** An element with attributes (data-*, class…) and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'onclick') node.addEventListener('click', v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const fmt = {
  count: (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US')),
  rate: (r) => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(1)} %`),
  ms: (v) =>
    v === null || v === undefined ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`,
  usd: (v) => (v === null || v === undefined ? '–' : `$${v.toFixed(v < 10 ? 3 : 2)}`),
  time: (ms) => (ms ? new Date(ms).toISOString().slice(5, 16).replace('T', ' ') + ' UTC' : '–'),
};

class HttpError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) $('token-form').hidden = false;
  const body = await response.json().catch(() => null);
  if (!response.ok && response.status !== 202) throw new HttpError(response.status, body);
  return body;
}

const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body) });

/** Draws (or redraws) a uPlot chart into a container, sized to it. */
function chart(container, options, data) {
  const old = state.charts.get(container.id);
  if (old) old.destroy();
  container.replaceChildren();
  const width = Math.max(280, container.clientWidth || 600);
  const plot = new uPlot({ width, height: 220, ...options }, data, container);
  state.charts.set(container.id, plot);
  container.dataset.ready = 'true';
  return plot;
}

/** Runs, failures (left axis) and p95 (right axis) of a series of buckets. */
function windowsChart(container, series) {
  const xs = series.map((p) => p.t / 1000);
  chart(
    container,
    {
      scales: { x: { time: true }, n: {}, ms: {} },
      axes: [
        {},
        { scale: 'n', label: 'runs' },
        { scale: 'ms', side: 1, label: 'p95 ms', grid: { show: false } },
      ],
      series: [
        {},
        { label: 'runs', scale: 'n', stroke: '#3b82f6', fill: 'rgba(59,130,246,0.12)' },
        { label: 'failures', scale: 'n', stroke: '#dc2626', fill: 'rgba(220,38,38,0.15)' },
        { label: 'p95', scale: 'ms', stroke: '#a855f7', value: (_u, v) => fmt.ms(v) },
      ],
    },
    [xs, series.map((p) => p.executions), series.map((p) => p.failures), series.map((p) => p.p95Ms)],
  );
}

/** A forecast with its 95 % interval as a band (executions per hour). */
function forecastChart(container, prediction) {
  const e = prediction?.executions;
  if (!e || e.point.length === 0) {
    container.replaceChildren(el('p', { class: 'note' }, 'too little history for a forecast yet'));
    delete container.dataset.ready;
    return false;
  }
  const xs = e.point.map((_v, i) => (prediction.start + i * HOUR) / 1000);
  chart(
    container,
    {
      scales: { x: { time: true } },
      axes: [{}, { label: 'runs per hour' }],
      series: [
        {},
        { label: '95% low', stroke: 'rgba(16,185,129,0.5)', dash: [4, 4] },
        { label: '95% high', stroke: 'rgba(16,185,129,0.5)', dash: [4, 4] },
        { label: `forecast (${e.method})`, stroke: '#059669', width: 2 },
      ],
      bands: [{ series: [2, 1], fill: 'rgba(16,185,129,0.15)' }],
    },
    [xs, e.lo, e.hi, e.point],
  );
  return true;
}

function forecastNote(prediction) {
  const e = prediction?.executions;
  if (!e) return '';
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const cost = prediction.projectedCostMicros;
  return (
    `${fmt.count(sum(e.point))} runs over ${prediction.horizonHours} h ` +
    `(95% ${fmt.count(sum(e.lo))}–${fmt.count(sum(e.hi))})` +
    (cost
      ? `; cost ${fmt.usd(cost.point / 1e6)} (${fmt.usd(cost.lo / 1e6)}–${fmt.usd(cost.hi / 1e6)})`
      : '') +
    (prediction.throttleRisks?.[0] ? `; ${prediction.throttleRisks[0].message}` : '')
  );
}

// ---------- fleet ----------

async function loadOverview() {
  const o = await api(`/api/dashboard/overview?hours=${state.hours}`);
  $('kpi-executions').textContent = fmt.count(o.kpis.executions);
  $('kpi-success').textContent = fmt.rate(o.kpis.successRate);
  $('kpi-p95').textContent = fmt.ms(o.kpis.p95Ms);
  $('kpi-cost').textContent = fmt.usd(o.kpis.costUsd);
  $('fleet-range').textContent =
    `${fmt.time(o.from)} → ${fmt.time(o.to)}, ${o.stepMs / 60_000}-minute buckets`;
  windowsChart($('fleet-chart'), o.series);
  $('services').replaceChildren(
    el('tr', {}, ...['service', 'calls', 'failed', 'p95', 'cost'].map((h) => el('th', {}, h))),
    ...o.services.map((s) =>
      el(
        'tr',
        {},
        el('td', {}, s.service),
        el('td', {}, fmt.count(s.executions)),
        el(
          'td',
          { class: s.successRate !== null && s.successRate < 0.95 ? 'bad' : '' },
          fmt.rate(1 - (s.successRate ?? 1)),
        ),
        el('td', {}, fmt.ms(s.p95Ms)),
        el('td', {}, fmt.usd(s.costUsd)),
      ),
    ),
  );
}

async function loadWorkflows() {
  const { workflows } = await api('/api/dashboard/workflows?limit=200');
  for (const w of workflows) state.tenants.set(w.workflowId, w.tenantId);
  $('workflows').replaceChildren(
    el(
      'tr',
      {},
      ...['workflow', 'tenant', 'name', 'version', 'runs (24 h)', 'success', 'p95'].map((h) =>
        el('th', {}, h),
      ),
    ),
    ...workflows.map((w) =>
      el(
        'tr',
        { 'data-workflow-id': w.workflowId, class: 'link', onclick: () => void openWorkflow(w.workflowId) },
        el('td', {}, w.workflowId),
        el('td', {}, w.tenantId),
        el('td', {}, w.name ?? ''),
        el(
          'td',
          {},
          w.currentVersion === w.latestVersion
            ? `v${w.currentVersion}`
            : `v${w.currentVersion} of ${w.latestVersion}`,
        ),
        el('td', {}, fmt.count(w.executions)),
        el('td', {}, fmt.rate(w.successRate)),
        el('td', {}, fmt.ms(w.p95Ms)),
      ),
    ),
  );
}

async function loadImpact() {
  const { sessions } = await api('/api/dashboard/impact?limit=50');
  const header = ['started', 'workflow', 'root cause', 'fix', 'failing before', 'normal', 'after', 'status'];
  $('impact').replaceChildren(
    el('tr', {}, ...header.map((h) => el('th', {}, h))),
    ...(sessions.length === 0
      ? [el('tr', {}, el('td', { colspan: header.length, class: 'note' }, 'no troubleshooting session yet'))]
      : sessions.map((s) =>
          el(
            'tr',
            { 'data-session-id': s.sessionId, class: 'link', onclick: () => void openWorkflow(s.workflowId) },
            el('td', {}, fmt.time(s.startTime)),
            el('td', {}, s.workflowId),
            el('td', {}, s.rootCause ?? 'none found'),
            el(
              'td',
              {},
              s.fixVersion === null ? '–' : `v${s.fixVersion}${s.fixService ? ` (${s.fixService})` : ''}`,
            ),
            el('td', { class: 'bad' }, fmt.rate(s.failureBefore)),
            el('td', {}, fmt.rate(s.baseline)),
            el(
              'td',
              {
                class:
                  s.failureAfter === null ? '' : s.failureAfter <= (s.baseline ?? 0) + 0.05 ? 'good' : 'bad',
              },
              s.failureAfter === null ? '–' : `${fmt.rate(s.failureAfter)} of ${fmt.count(s.runsAfter)} runs`,
            ),
            el('td', {}, s.status.replaceAll('_', ' ') + (s.rolledBack ? ' (rolled back)' : '')),
          ),
        )),
  );
}

async function loadHealth() {
  const response = await fetch('/health');
  const h = await response.json();
  const pill = $('health');
  pill.textContent = `pipeline: ${h.status}`;
  pill.className = `pill ${h.status === 'ok' ? 'ok' : 'warn'}`;
  $('stages').replaceChildren(
    el('tr', {}, ...['stage', 'state', 'partitions', 'lag', 'last commit'].map((x) => el('th', {}, x))),
    ...(h.stages ?? []).map((s) =>
      el(
        'tr',
        {},
        el('td', {}, s.stage),
        el('td', { class: s.state === 'running' ? 'good' : 'bad' }, s.state),
        el('td', {}, (s.partitions ?? []).length),
        el('td', { class: s.lag > 10_000 ? 'bad' : '' }, fmt.count(s.lag)),
        el('td', {}, s.lastCommitAgeMs === null ? '–' : `${fmt.ms(s.lastCommitAgeMs)} ago`),
      ),
    ),
  );
}

// ---------- insights: ClickHouse for what came before, the live stream for what comes ----------

function insightItem(i) {
  const target = i.relatedWorkflows?.[0] ?? i.workflowId;
  return el(
    'li',
    {
      'data-insight-id': i.insightId,
      'data-kind': i.kind,
      'data-state': i.state,
      class: `${i.severity} ${i.state} ${target ? 'link' : ''}`,
      onclick: target ? () => void openWorkflow(target) : null,
    },
    el('span', { class: 'badge' }, i.kind === 'incident' ? 'incident' : i.kind.replaceAll('_', ' ')),
    el('span', { class: `badge ${i.state}` }, i.state),
    ' ',
    i.description,
    el(
      'small',
      {},
      ` ${i.tenantId} · opened ${fmt.time(i.openedAt)}${i.resolvedAt ? ` · resolved ${fmt.time(i.resolvedAt)}` : ''}`,
    ),
  );
}

function renderInsights() {
  const all = [...state.insights.values()].sort(
    (a, b) => (a.state === 'open' ? 0 : 1) - (b.state === 'open' ? 0 : 1) || b.openedAt - a.openedAt,
  );
  $('insights').replaceChildren(...all.slice(0, 100).map(insightItem));
  $('kpi-open').textContent = fmt.count(all.filter((i) => i.state === 'open').length);
}

function upsertInsight(insight, live) {
  const known = state.insights.get(insight.insightId);
  // The stream is newer than ClickHouse; among stream records the later one wins.
  if (known && known.live && !live) return;
  state.insights.set(insight.insightId, { ...insight, live });
}

async function loadInsights() {
  const { insights } = await api('/api/dashboard/insights?limit=200');
  for (const i of insights) upsertInsight(i, false);
  renderInsights();
}

/** SSE over fetch (so the token can go in a header), reconnecting with Last-Event-ID. */
async function followInsights() {
  let lastEventId = null;
  for (;;) {
    const live = $('live');
    try {
      const headers = { accept: 'text/event-stream' };
      if (state.token) headers.authorization = `Bearer ${state.token}`;
      if (lastEventId) headers['last-event-id'] = lastEventId;
      const response = await fetch('/api/insights/stream', { headers });
      if (response.status === 401) $('token-form').hidden = false;
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = { data: [] };
          for (const line of frame.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            const name = line.slice(0, colon);
            const text = line.slice(colon + 1).replace(/^ /, '');
            if (name === 'data') fields.data.push(text);
            else fields[name] = text;
          }
          if (fields.id) lastEventId = fields.id;
          if (fields.event === 'ready') {
            live.textContent = 'live stream: connected';
            live.className = 'pill ok';
          } else if (fields.event === 'insight') {
            const insight = JSON.parse(fields.data.join('\n'));
            upsertInsight(insight, true);
            renderInsights();
            if (
              state.workflowId &&
              [insight.workflowId, ...(insight.relatedWorkflows ?? [])].includes(state.workflowId)
            )
              void openWorkflow(state.workflowId, { keepScroll: true });
          }
        }
      }
      throw new Error('stream ended');
    } catch (error) {
      live.textContent = `live stream: reconnecting (${error.message})`;
      live.className = 'pill warn';
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

// ---------- one workflow ----------

function sessionItem(s) {
  const root = Array.isArray(s.hypotheses) ? s.hypotheses[0] : null;
  const recommendations = Array.isArray(s.recommendations) ? s.recommendations : [];
  const actions = Array.isArray(s.actions) ? s.actions : [];
  const fix = actions.find((a) => a.action === 'published_version');
  return el(
    'li',
    { 'data-session-id': s.sessionId, 'data-status': s.status, class: 'session' },
    el('span', { class: 'badge' }, s.status.replaceAll('_', ' ')),
    el('b', {}, ` root cause: ${root?.summary ?? 'none found'}`),
    el('small', {}, ` started ${fmt.time(s.startTime)}${s.endTime ? ` · ended ${fmt.time(s.endTime)}` : ''}`),
    fix
      ? el(
          'div',
          {},
          `fix published as version ${fix.version}${fix.resolution?.instructions ? `: ${fix.resolution.instructions}` : ''}`,
        )
      : null,
    ...recommendations
      .slice(0, 3)
      .map((r) =>
        el(
          'div',
          { class: 'note' },
          `${r.automatic ? 'automatic' : 'for the user'}: ${r.instructions ?? r.summary ?? ''}`,
        ),
      ),
  );
}

async function openWorkflow(workflowId, { keepScroll = false } = {}) {
  const switched = state.workflowId !== workflowId;
  state.workflowId = workflowId;
  const section = $('workflow');
  const d = await api(`/api/dashboard/workflows/${encodeURIComponent(workflowId)}?hours=48`);
  if (state.workflowId !== workflowId) return;
  state.tenants.set(workflowId, d.workflow.tenantId);
  for (const form of ['analyze-form', 'predict-form']) {
    const input = $(form).elements.namedItem('workflow_id');
    if (switched || !input.value) input.value = workflowId;
  }
  section.hidden = false;
  section.dataset.workflowId = workflowId;
  $('wf-title').textContent =
    `${workflowId} · ${d.workflow.tenantId}${d.workflow.name ? ` · ${d.workflow.name}` : ''} · v${d.workflow.currentVersion}`;
  $('wf-kpis').replaceChildren(
    ...[
      ['runs (48 h)', fmt.count(d.kpis.executions)],
      ['success rate', fmt.rate(d.kpis.successRate)],
      ['p95', fmt.ms(d.kpis.p95Ms)],
      ['cost', fmt.usd(d.kpis.costUsd)],
    ].map(([k, v]) => el('div', { class: 'kpi' }, el('span', {}, k), el('b', {}, v))),
  );
  windowsChart($('wf-chart'), d.series);
  $('wf-sessions').replaceChildren(
    ...(d.sessions.length
      ? d.sessions.map(sessionItem)
      : [el('li', { class: 'note' }, 'no troubleshooting session yet')]),
  );
  $('wf-insights').replaceChildren(
    ...(d.insights.length ? d.insights.map(insightItem) : [el('li', { class: 'note' }, 'no insight')]),
  );
  $('wf-versions').replaceChildren(
    ...d.versions.map((v) =>
      el(
        'li',
        {},
        el('b', {}, `v${v.version}`),
        ` ${fmt.time(v.publishedAt)} · ${v.reason || 'created'} · `,
        (v.definition?.steps ?? []).map((s) => s.service).join(' → '),
      ),
    ),
  );
  if (d.forecast) {
    forecastChart($('wf-forecast'), d.forecast.prediction);
    $('wf-forecast-note').textContent =
      `${forecastNote(d.forecast.prediction)} · asked ${fmt.time(d.forecast.completedAt)}`;
  } else {
    $('wf-forecast').replaceChildren(el('p', { class: 'note' }, 'no forecast yet: ask for one'));
    delete $('wf-forecast').dataset.ready;
    // A refresh keeps what a pending request says; another workflow starts blank.
    if (switched) $('wf-forecast-note').textContent = '';
  }
  if (!keepScroll) section.scrollIntoView({ behavior: 'instant', block: 'start' });
}

async function predictFor(workflowId, horizon, chartBox, noteBox) {
  noteBox.textContent = 'forecasting…';
  const r = await post('/api/workflows/optimization/predict', {
    user_id: 'dashboard',
    tenant_id: tenantOf(workflowId),
    workflow_id: workflowId,
    prediction_horizon: horizon,
  });
  if (r.status === 'accepted') {
    noteBox.textContent = `accepted as ${r.command_id}; the result will show in the workflow's forecast`;
    return;
  }
  if (r.status !== 'completed') {
    noteBox.textContent = `${r.status}: ${r.error?.message ?? JSON.stringify(r.result).slice(0, 300)}`;
    return;
  }
  state.forecasts.set(workflowId, { completedAt: Date.now(), prediction: r.result });
  forecastChart(chartBox, r.result);
  noteBox.textContent = forecastNote(r.result) || JSON.stringify(r.result).slice(0, 300);
}

// ---------- forms ----------

/** A listed workflow's tenant; 'default' for one the page has not seen. */
function tenantOf(workflowId) {
  return state.tenants.get(workflowId) ?? 'default';
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function onSubmit(form, handler) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const box = form.querySelector('.result');
    const button = form.querySelector('button');
    button.disabled = true;
    handler(formData(form), box)
      .catch((error) => {
        const issues = error.body?.issues?.map((i) => `${i.path}: ${i.message}`).join('; ');
        box.replaceChildren(
          el('p', { class: 'bad' }, issues ? `${error.message}: ${issues}` : error.message),
        );
      })
      .finally(() => (button.disabled = false));
  });
}

onSubmit($('generate-form'), async (f, box) => {
  box.textContent = 'generating…';
  const r = await post('/api/workflows/automation/generate', {
    user_id: 'dashboard',
    description: f.description,
    strategy: f.strategy,
    ...(f.tenant_id ? { tenant_id: f.tenant_id } : {}),
  });
  const w = r.result?.workflow;
  if (!w) {
    box.replaceChildren(
      el('p', {}, `${r.status}: ${r.error?.message ?? JSON.stringify(r.result).slice(0, 300)}`),
    );
    return;
  }
  box.dataset.workflowId = w.workflowId;
  box.replaceChildren(
    el(
      'p',
      {},
      el('b', {}, w.workflowId),
      ` (${r.status}): `,
      [w.trigger.service, ...w.steps.map((s) => s.service)].join(' → '),
    ),
    el('button', { type: 'button', onclick: () => void openWorkflow(w.workflowId) }, 'open it'),
  );
  // The definitions loader adds it to ClickHouse within a second or two.
  for (let i = 0; i < 20; i++) {
    await loadWorkflows();
    if (document.querySelector(`#workflows tr[data-workflow-id="${CSS.escape(w.workflowId)}"]`)) break;
    await new Promise((r2) => setTimeout(r2, 500));
  }
});

onSubmit($('analyze-form'), async (f, box) => {
  box.textContent = 'analyzing…';
  const r = await post('/api/workflows/troubleshooting/analyze', {
    user_id: 'dashboard',
    tenant_id: tenantOf(f.workflow_id),
    workflow_id: f.workflow_id,
    error_logs: [f.log],
    auto_resolve: f.auto_resolve === 'on',
  });
  const body = r.result ?? {};
  box.replaceChildren(
    el('p', {}, `${body.status ?? r.status}: root cause ${body.hypotheses?.[0]?.summary ?? 'none found'}`),
    ...(body.recommendations ?? []).slice(0, 3).map((x) => el('p', { class: 'note' }, x.instructions ?? '')),
  );
});

onSubmit($('predict-form'), async (f, box) => {
  await predictFor(f.workflow_id, Number(f.prediction_horizon), $('predict-chart'), box);
});

$('wf-predict').addEventListener('click', () => {
  const note = $('wf-forecast-note');
  if (state.workflowId)
    predictFor(state.workflowId, 168, $('wf-forecast'), note).catch(
      (error) => (note.textContent = error.message),
    );
});
$('wf-close').addEventListener('click', () => {
  state.workflowId = null;
  $('workflow').hidden = true;
});
$('range').addEventListener('change', (e) => {
  state.hours = Number(e.target.value);
  void loadOverview();
});
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = $('token').value.trim();
  sessionStorage.setItem('pulse-token', state.token);
  $('token-form').hidden = true;
  void refresh();
});

// ---------- start ----------

const quietly = (p) => p.catch((error) => console.warn(error));

async function refresh() {
  await Promise.all([
    quietly(loadOverview()),
    quietly(loadWorkflows()),
    quietly(loadInsights()),
    quietly(loadHealth()),
  ]);
}

void followInsights();
void refresh();
setInterval(() => void quietly(loadHealth()), 5000);
setInterval(() => void quietly(loadOverview()), 15_000);
setInterval(() => void quietly(loadImpact()), 10_000);
setInterval(() => void quietly(loadWorkflows()), 20_000);
setInterval(() => {
  if (state.workflowId) void quietly(openWorkflow(state.workflowId, { keepScroll: true }));
}, 10_000);
