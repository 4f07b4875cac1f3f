// The fleet dashboard: logs in through the REST API, shows what the caller's token may read,
// and follows GET /v1/events. Plain ES module, no framework, no build step, nothing from a CDN.

const TOKEN_KEY = 'vsm.token';
const READERS = new Set([2, 3, 4]);
const DEPLOY_STATUS = { 0: 'waiting for audit', 1: 'running', 2: 'rejected', 3: 'superseded' };

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null,
  clusters: [],
  /** "cluster/node" -> node row data */
  nodes: new Map(),
  deploys: [],
  alerts: [],
  es: null,
  lastEventId: null,
  loading: false,
  queued: [],
  reloadTimer: null,
  refreshTimer: null,
  retryTimer: null,
};

const $ = (sel) => document.querySelector(sel);

/** Builds an element; children are nodes or text (never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.authorization = state.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let json;
  try {
    json = await r.json();
  } catch {
    json = { code: r.status, message: r.statusText };
  }
  if (r.status === 401 && state.token && path !== '/v1/authorization') showLogin('Your session ended; log in again.');
  return { status: r.status, body: json };
}

// ---------- formatting ----------

const GiB = 1024 ** 3;
function bytes(n) {
  if (n === null || n === undefined) return '—';
  if (n >= 1024 * GiB) return `${(n / 1024 / GiB).toFixed(1)} TiB`;
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  return `${Math.round(n / 1024 ** 2)} MiB`;
}
function age(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s ago`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}
const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)}%`);
const time = (ms) => new Date(ms).toLocaleTimeString();
const keyOf = (clusterName, nodeName) => `${clusterName}/${nodeName}`;

// ---------- views ----------

function showLogin(message = '') {
  closeStream();
  clearTimeout(state.refreshTimer);
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('#fleet-view').hidden = true;
  $('#login-view').hidden = false;
  $('#logout').hidden = true;
  $('#who').textContent = '';
  $('#login-error').textContent = message;
  setLive('off', 'offline');
}

function setLive(cls, text) {
  const l = $('#live');
  l.className = `live ${cls}`;
  l.textContent = text;
}

function notice(text) {
  const n = $('#notice');
  n.hidden = !text;
  n.textContent = text || '';
}

function nodeAge(n) {
  if (n.ageBase === null) return null;
  return n.ageBase + (performance.now() - n.ageAt);
}

function nodeRow(n) {
  const tr = el(
    'tr',
    {
      class: n.isReady ? 'ready' : 'not-ready',
      dataset: { node: keyOf(n.clusterName, n.nodeName), ready: String(n.isReady), readyAt: n.readyAt ?? '' },
      title: n.isReady ? '' : `not ready${n.readyAt ? ` since ${time(n.readyAt)}` : ''}${n.reason ? `: ${n.reason}` : ''}`,
    },
    el('td', {}, n.clusterName),
    el('td', {}, n.nodeName),
    el('td', { class: 'state' }, n.isReady ? 'ready' : 'not ready'),
    el('td', { class: 'num age' }, age(nodeAge(n))),
    el('td', { class: `num cpu${n.cpuLoad > 80 ? ' high' : ''}` }, pct(n.cpuLoad)),
    el('td', { class: `num mem${n.memLoad > 80 ? ' high' : ''}` }, pct(n.memLoad)),
    el('td', {}, `${n.operatingSystem ?? '—'} ${n.kernelVersion ?? ''}`),
    el('td', {}, n.ip ?? '—'),
    el('td', { class: 'num' }, n.cpu ?? '—'),
    el('td', { class: 'num' }, bytes(n.memory)),
    el('td', { class: 'num' }, n.gpu ? bytes(n.gpu) : 'none'),
    el('td', { class: 'num' }, bytes(n.disk)),
    el('td', {}, (n.labels ?? []).map((l) => el('span', { class: 'chip' }, l))),
  );
  return tr;
}

function renderNodes() {
  const rows = [...state.nodes.values()].sort((a, b) => a.clusterName.localeCompare(b.clusterName) || a.nodeName.localeCompare(b.nodeName));
  const body = $('#nodes tbody');
  body.replaceChildren(...(rows.length ? rows.map(nodeRow) : [el('tr', {}, el('td', { class: 'empty', colspan: 13 }, 'no nodes yet'))]));
}

function replaceNodeRow(n) {
  const old = document.querySelector(`#nodes tr[data-node="${CSS.escape(keyOf(n.clusterName, n.nodeName))}"]`);
  if (old) old.replaceWith(nodeRow(n));
  else renderNodes();
}

function renderClusters() {
  // Ready counts follow the live node list (complete: fetched with pageSize=0).
  const ready = new Map();
  const total = new Map();
  for (const n of state.nodes.values()) {
    total.set(n.clusterName, (total.get(n.clusterName) ?? 0) + 1);
    if (n.isReady) ready.set(n.clusterName, (ready.get(n.clusterName) ?? 0) + 1);
  }
  const body = $('#clusters tbody');
  const rows = state.clusters.map((c) => {
    const r = ready.get(c.clusterName) ?? 0;
    const t = total.get(c.clusterName) ?? c.nodeCount;
    return el(
      'tr',
      { class: r > 0 ? 'ready' : 'not-ready', dataset: { cluster: c.clusterName, ready: String(r > 0) } },
      el('td', {}, c.clusterName),
      el('td', { class: 'num state' }, `${r} / ${t}`),
      el('td', {}, (c.labels ?? []).map((l) => el('span', { class: 'chip' }, l))),
    );
  });
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { class: 'empty', colspan: 3 }, 'no clusters yet'))]));
}

function renderDeploys() {
  const rows = state.deploys.map((d) =>
    el(
      'tr',
      { dataset: { deploy: d.id } },
      el('td', { class: 'num' }, d.id),
      el('td', {}, d.appName),
      el('td', {}, d.version),
      el('td', {}, DEPLOY_STATUS[d.status] ?? String(d.status)),
      el('td', {}, (d.clusterName ?? []).join(', ')),
      el(
        'td',
        {},
        d.instances.length
          ? d.instances.map((i) =>
              el('span', { class: `chip ${i.state}`, dataset: { instance: i.instanceId }, title: i.lastError ?? '' }, `${i.nodeName ?? '?'}: ${i.state}${i.restarts ? ` (${i.restarts} restarts)` : ''}`),
            )
          : '—',
      ),
    ),
  );
  $('#deploys tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { class: 'empty', colspan: 6 }, 'no deployments'))]));
}

function renderAlerts() {
  const rows = state.alerts.map((a) =>
    el('tr', { dataset: { alert: a.id } }, el('td', {}, new Date(a.createTime * 1000).toLocaleString()), el('td', {}, a.kind), el('td', {}, a.clusterName), el('td', {}, a.nodeName), el('td', {}, a.message)),
  );
  $('#alerts tbody').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { class: 'empty', colspan: 5 }, 'no alerts'))]));
}

/** Heartbeat ages tick between updates from the hub. */
function tickAges() {
  for (const tr of document.querySelectorAll('#nodes tr[data-node]')) {
    const n = state.nodes.get(tr.dataset.node);
    const cell = tr.querySelector('td.age');
    if (n && cell) cell.textContent = age(nodeAge(n));
  }
}

// ---------- data ----------

function setNodes(list) {
  const now = performance.now();
  const old = state.nodes;
  state.nodes = new Map();
  for (const n of list) {
    const key = keyOf(n.clusterName, n.nodeName);
    const prev = old.get(key);
    state.nodes.set(key, {
      ...n,
      ageBase: n.lastHeartbeatAgeMs ?? (prev ? nodeAge(prev) : null),
      ageAt: n.lastHeartbeatAgeMs !== null && n.lastHeartbeatAgeMs !== undefined ? now : (prev?.ageAt ?? now),
      readyAt: prev && prev.isReady === n.isReady ? prev.readyAt : undefined,
      reason: prev && prev.isReady === n.isReady ? prev.reason : undefined,
    });
  }
}

async function load(parts = ['clusters', 'nodes', 'deploys', 'alerts']) {
  state.loading = true;
  try {
    const want = new Set(parts);
    const [clusters, nodes, deploys, alerts] = await Promise.all([
      want.has('clusters') ? api('GET', '/v1/cluster?pageSize=0') : null,
      want.has('nodes') ? api('GET', '/v1/node?pageSize=0') : null,
      want.has('deploys') ? api('GET', '/v1/deploy?pageSize=0') : null,
      want.has('alerts') ? api('GET', '/v1/alert?pageSize=50&order=desc') : null,
    ]);
    if (!state.token) return;
    if (clusters?.status === 200) state.clusters = clusters.body.data;
    if (nodes?.status === 200) setNodes(nodes.body.data);
    if (deploys?.status === 200) state.deploys = deploys.body.data;
    if (alerts?.status === 200) state.alerts = alerts.body.data;
    $('#deploy-tables').hidden = deploys?.status === 403;
    renderNodes();
    renderClusters();
    renderDeploys();
    renderAlerts();
  } finally {
    state.loading = false;
    const queued = state.queued.splice(0);
    for (const [kind, data] of queued) apply(kind, data);
  }
}

function reloadSoon(...parts) {
  state.reloadParts = new Set([...(state.reloadParts ?? []), ...parts]);
  clearTimeout(state.reloadTimer);
  state.reloadTimer = setTimeout(() => {
    const p = [...state.reloadParts];
    state.reloadParts = new Set();
    void load(p);
  }, 150);
}

// ---------- live events ----------

const KINDS = ['hello', 'resync', 'end', 'node.ready', 'cluster.ready', 'node.facts', 'node.joined', 'node.deleted', 'node.load', 'instance.state', 'alert'];

function apply(kind, e) {
  if (state.loading && kind !== 'node.load') {
    state.queued.push([kind, e]);
    return;
  }
  switch (kind) {
    case 'node.ready': {
      const n = state.nodes.get(keyOf(e.clusterName, e.nodeName));
      if (!n) return reloadSoon('nodes', 'clusters');
      n.isReady = e.ready;
      n.readyAt = e.at;
      n.reason = e.reason;
      replaceNodeRow(n);
      renderClusters();
      return;
    }
    case 'cluster.ready':
      return reloadSoon('clusters');
    case 'node.facts':
    case 'node.joined':
    case 'node.deleted':
      return reloadSoon('nodes', 'clusters');
    case 'node.load': {
      const now = performance.now();
      for (const l of e.nodes) {
        const n = state.nodes.get(keyOf(l.clusterName, l.nodeName));
        if (!n) continue;
        if (l.lastHeartbeatAgeMs !== null) {
          n.ageBase = l.lastHeartbeatAgeMs;
          n.ageAt = now;
        }
        if (l.cpuLoad !== null) n.cpuLoad = l.cpuLoad;
        if (l.memLoad !== null) n.memLoad = l.memLoad;
        const tr = document.querySelector(`#nodes tr[data-node="${CSS.escape(keyOf(n.clusterName, n.nodeName))}"]`);
        if (tr) {
          tr.querySelector('td.cpu').textContent = pct(n.cpuLoad);
          tr.querySelector('td.cpu').classList.toggle('high', n.cpuLoad > 80);
          tr.querySelector('td.mem').textContent = pct(n.memLoad);
          tr.querySelector('td.mem').classList.toggle('high', n.memLoad > 80);
        }
      }
      tickAges();
      return;
    }
    case 'instance.state': {
      const d = state.deploys.find((x) => x.id === e.deployId);
      const i = d?.instances.find((x) => x.instanceId === e.instanceId);
      if (!i) return reloadSoon('deploys');
      if (e.state === 'removed') d.instances = d.instances.filter((x) => x !== i);
      else Object.assign(i, { state: e.state, restarts: e.restarts, lastError: e.error });
      renderDeploys();
      return;
    }
    case 'alert':
      state.alerts.unshift(e.alert);
      state.alerts.length = Math.min(state.alerts.length, 50);
      renderAlerts();
      return;
  }
}

function closeStream() {
  clearTimeout(state.retryTimer);
  if (state.es) state.es.close();
  state.es = null;
}

function openStream() {
  closeStream();
  const q = new URLSearchParams({ token: state.token });
  if (state.lastEventId) q.set('lastEventId', state.lastEventId);
  const es = new EventSource(`/v1/events?${q}`);
  state.es = es;
  es.onopen = () => setLive('on', 'live');
  es.onerror = () => {
    if (es !== state.es) return;
    if (es.readyState === EventSource.CLOSED) {
      // The hub refused the stream (token, role or load): check the session, then try again.
      setLive('retry', 'reconnecting');
      state.retryTimer = setTimeout(() => void recheck(), 2000);
    } else setLive('retry', 'reconnecting');
  };
  for (const kind of KINDS) {
    es.addEventListener(kind, (m) => {
      if (es !== state.es) return;
      if (m.lastEventId) state.lastEventId = m.lastEventId;
      const data = m.data ? JSON.parse(m.data) : {};
      if (kind === 'hello' || kind === 'resync') return void load();
      if (kind === 'end') {
        closeStream();
        return void recheck();
      }
      apply(kind, data);
    });
  }
}

async function recheck() {
  const r = await api('GET', '/v1/authorization');
  if (r.status === 200) openStream();
  else if (r.status === 401) showLogin('Your session ended; log in again.');
  else state.retryTimer = setTimeout(() => void recheck(), 5000);
}

// ---------- session ----------

function tokenExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

/** Renews the token five minutes before it expires; the stream reconnects with the new one. */
function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  const exp = tokenExpiry(state.token);
  if (!exp) return;
  const wait = Math.max(10_000, exp - Date.now() - 5 * 60_000);
  state.refreshTimer = setTimeout(async () => {
    const r = await api('PUT', '/v1/authorization');
    if (r.status === 200 && r.body.token) {
      state.token = r.body.token;
      sessionStorage.setItem(TOKEN_KEY, state.token);
      openStream();
      scheduleRefresh();
    }
  }, wait);
}

async function start() {
  const me = await api('GET', '/v1/authorization');
  if (me.status !== 200) return showLogin(me.status === 401 ? '' : me.body.message);
  state.me = me.body.data;
  $('#login-view').hidden = true;
  $('#fleet-view').hidden = false;
  $('#logout').hidden = false;
  $('#who').textContent = `${state.me.displayName} (role ${state.me.role})`;
  scheduleRefresh();
  if (!READERS.has(state.me.role)) {
    $('#fleet-tables').hidden = true;
    $('#deploy-tables').hidden = true;
    $('#alert-tables').hidden = true;
    notice(`Your account (role ${state.me.role}) may not view the fleet: it needs to belong to an approved business. Ask an administrator.`);
    return;
  }
  notice('');
  $('#fleet-tables').hidden = false;
  $('#alert-tables').hidden = false;
  openStream();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-error').textContent = '';
  $('#login-submit').disabled = true;
  try {
    const r = await api('POST', '/v1/authorization', { user: $('#login-user').value, password: $('#login-password').value });
    if (r.status !== 200 || !r.body.token) {
      $('#login-error').textContent = r.body.message || `login failed (${r.status})`;
      return;
    }
    state.token = r.body.token;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('#login-password').value = '';
    await start();
  } finally {
    $('#login-submit').disabled = false;
  }
});

$('#logout').addEventListener('click', async () => {
  await api('DELETE', '/v1/authorization');
  showLogin('');
});

setInterval(tickAges, 1000);
if (state.token) void start();
else showLogin('');
