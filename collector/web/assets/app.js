// cleansweep status page: draws the Fleet, Hosts, Host, Findings and Sweeps
// views from the JSON API (/api/v1/...) and refreshes them every 10 s.
//
// Safety rule of this file: every text that came from the API (host names,
// addresses, rule descriptions, evidence...) reaches the page only as a text
// node (el() below) or an attribute set with setAttribute; markup is never
// parsed from strings. Links to hosts are built with encodeURIComponent.
'use strict';

(function () {
  const REFRESH_MS = 10000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const VERDICTS = ['unknown', 'clean', 'notice', 'suspicious', 'mass-mailing', 'worm-scanning'];
  const VERDICT_CLASS = {
    unknown: 'c-none', clean: 'c-ok', notice: 'c-warn', suspicious: 'c-warn',
    'mass-mailing': 'c-bad', 'worm-scanning': 'c-dark',
  };

  // ---- DOM helpers: text only ------------------------------------------
  function setAttrs(node, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function append(node, ...children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    return append(node, children);
  }
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    return append(node, children);
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }
  function hostHref(key) { return '/hosts/' + encodeURIComponent(key); }

  // ---- formatting ------------------------------------------------------
  function num(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en'); }
  function pct(p, digits) { return p === null || p === undefined ? '–' : Number(p).toFixed(digits === undefined ? 1 : digits) + ' %'; }
  function ms(t) { return t ? Date.parse(t) : NaN; }
  function utc(t) { return t ? t.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–'; }
  function ago(t, now) {
    if (!t) return '–';
    const s = Math.max(0, Math.round((ms(now) - ms(t)) / 1000));
    if (s < 90) return s + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function timeCell(t, now) { return el('span', { title: utc(t) }, ago(t, now)); }
  function duration(seconds) {
    if (seconds < 120) return Math.round(seconds) + ' s';
    if (seconds < 7200) return Math.round(seconds / 60) + ' min';
    if (seconds < 172800) return (seconds / 3600).toFixed(1) + ' h';
    return (seconds / 86400).toFixed(1) + ' d';
  }
  function statusBadge(status) {
    const cls = status === 'reporting' ? 'b-reporting' : status === 'silent' ? 'b-silent' : 'b-never';
    return el('span', { class: 'badge ' + cls }, status);
  }
  function verdictBadge(verdict) { return el('span', { class: 'badge b-' + verdict }, verdict); }
  // A sweep answer's status: found, clean, incomplete, no answer.
  function sweepBadge(status) {
    return el('span', { class: 'badge b-sweep-' + String(status).replace(/[^a-z]/g, '-') }, status);
  }
  function sweepHref(id) { return '/sweeps?id=' + encodeURIComponent(id); }

  // ---- pictures ----------------------------------------------------------
  // A horizontal bar of parts [{value, cls, label}], widths in proportion.
  function stackBar(parts) {
    const total = parts.reduce((s, p) => s + p.value, 0);
    const bar = el('div', { class: 'stack', role: 'img',
      'aria-label': parts.map((p) => p.label + ' ' + p.value).join(', ') });
    for (const p of parts) {
      if (!p.value) continue;
      const seg = el('span', { class: p.cls, title: p.label + ': ' + num(p.value) });
      seg.style.width = (100 * p.value / total) + '%';
      bar.appendChild(seg);
    }
    const legend = el('div', { class: 'legend' },
      parts.map((p) => el('span', null, el('i', { class: p.cls }), p.label + ' ' + num(p.value))));
    return el('div', null, bar, legend);
  }

  // Coverage of [from, to] as a bar: green where covered, red where not.
  function coverageBar(uncovered, from, to, width, height) {
    const t0 = ms(from), t1 = ms(to), span = Math.max(1, t1 - t0);
    const s = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      preserveAspectRatio: 'none', class: 'bar', role: 'img', 'aria-label': 'coverage' });
    s.appendChild(svg('rect', { x: 0, y: 0, width: width, height: height, fill: '#2e9d5b' }));
    for (const g of uncovered) {
      const a = Math.max(0, (ms(g.from) - t0) / span), b = Math.min(1, (ms(g.to) - t0) / span);
      if (b <= a) continue;
      s.appendChild(svg('rect', { x: a * width, y: 0, width: Math.max(0.5, (b - a) * width),
        height: height, fill: '#d14343' }, svg('title', null, utc(g.from) + ' – ' + utc(g.to))));
    }
    return s;
  }
  function coverageCell(cov, from, to) {
    return el('div', { class: 'bar-cell' }, coverageBar(cov.uncovered, from, to, 110, 12),
      pct(cov.percent, 0));
  }

  // ---- fetching ----------------------------------------------------------
  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) throw new Error((body && body.error) || (res.status + ' ' + res.statusText));
    return body;
  }
  function errorBox(err) { return el('div', { class: 'error-box' }, 'Cannot load: ' + err.message); }

  function setUpdated(ok, text) {
    const u = document.getElementById('updated');
    u.className = ok ? 'updated' : 'updated error';
    u.textContent = text;
  }

  // ---- Fleet ---------------------------------------------------------------
  function fleetView(root) {
    const body = el('div');
    append(root, el('h1', null, 'Fleet'), body);
    return async function update() {
      const f = await getJson('/api/v1/fleet');
      const h = f.hosts;
      const card = (label, value, cls) => el('div', { class: 'card' },
        el('div', { class: 'label' }, label), el('div', { class: 'value ' + (cls || '') }, value));
      const flagged = f.verdicts['mass-mailing'] + f.verdicts['worm-scanning'];
      const sweep = f.lastSweep;
      const sweepCard = el('div', { class: 'card' }, el('div', { class: 'label' }, 'Last sweep'),
        sweep
          ? [el('div', { class: 'value small' + (sweep.found ? ' bad' : '') },
              el('a', { href: sweepHref(sweep.id) }, utc(sweep.issued))),
            el('div', { class: 'muted' }, num(sweep.answered) + ' of ' + num(sweep.asked) +
              ' answered · ' + num(sweep.found) + ' found' + (sweep.expired ? ' · expired' : ''))]
          : el('div', { class: 'value small' }, 'none yet'));
      clear(body);
      append(body,
        el('div', { class: 'cards' },
          card('Expected hosts', num(h.expected)),
          card('Reporting', num(h.reporting)),
          card('Silent', num(h.silent), h.silent ? 'warn' : ''),
          card('Never reported', num(h.neverReported), h.neverReported ? 'warn' : ''),
          card('Infected (24 h)', num(flagged), flagged ? 'bad' : ''),
          card('Capture loss (24 h)', pct(f.captureLoss.percent, 2)),
          card('Mean coverage (24 h)', pct(f.coverage24h.percent, 1)),
          sweepCard),
        el('div', { class: 'panel' }, el('h2', null, 'Hosts by status'),
          stackBar([
            { value: h.reporting, cls: 'c-ok', label: 'reporting' },
            { value: h.silent, cls: 'c-warn', label: 'silent' },
            { value: h.neverReported, cls: 'c-none', label: 'never reported' }]),
          h.unexpected ? el('p', { class: 'muted' }, num(h.unexpected) +
            ' reporting host(s) are not in the inventory.') : null),
        el('div', { class: 'panel' }, el('h2', null, 'Verdicts (worst finding of the last 24 h)'),
          stackBar(VERDICTS.map((v) => ({ value: f.verdicts[v], cls: VERDICT_CLASS[v], label: v })))),
        el('div', { class: 'panel' }, el('h2', null, 'Coverage over the last 24 h'),
          stackBar([
            { value: f.coverage24h.full, cls: 'c-ok', label: 'whole day' },
            { value: f.coverage24h.partial, cls: 'c-warn', label: 'partly' },
            { value: f.coverage24h.none, cls: 'c-bad', label: 'not at all' }]),
          el('p', { class: 'muted' }, num(f.eventsStored) + ' events stored; ' +
            num(f.findings) + ' finding(s) in the last 24 h; capture lost ' +
            num(f.captureLoss.dropped + f.captureLoss.interfaceDropped) + ' of ' +
            num(f.captureLoss.received) + ' packets.')));
      const att = el('div', { class: 'panel' }, el('h2', null, 'Needs attention'));
      if (!f.attention.length) {
        att.appendChild(el('p', { class: 'muted' }, 'Nothing: every host reports and none is flagged.'));
      } else {
        att.appendChild(el('table', null,
          el('thead', null, el('tr', null, ['Host', 'Agent', 'Status', 'Verdict', 'Why'].map((t) => el('th', null, t)))),
          el('tbody', null, f.attention.map((a) => el('tr', null,
            el('td', { class: 'name' }, el('a', { href: hostHref(a.key) }, a.hostname || a.key)),
            el('td', null, a.agentId || '–'),
            el('td', null, statusBadge(a.status)),
            el('td', null, verdictBadge(a.verdict)),
            el('td', null, a.reason))))));
        if (f.attentionTotal > f.attention.length) {
          att.appendChild(el('p', { class: 'muted' }, (f.attentionTotal - f.attention.length) +
            ' more — see ', el('a', { href: '/hosts?sort=verdict&order=desc' }, 'Hosts'), '.'));
        }
      }
      body.appendChild(att);
    };
  }

  // ---- Hosts -------------------------------------------------------------
  const HOST_COLUMNS = [
    ['Host', 'hostname'], ['Agent', 'agent'], ['Address', 'address'], ['Last seen', 'lastSeen'],
    ['Status', 'status'], ['Coverage 24 h', 'coverage24h'], ['Coverage 7 d', 'coverage7d'],
    ['Loss', 'loss'], ['Backlog', 'backlog'], ['Verdict', 'verdict'], ['Findings', 'findings'],
    ['Last sweep', null]];

  function hostsView(root) {
    const params = new URLSearchParams(location.search);
    const state = {
      q: params.get('q') || '', status: params.get('status') || '',
      verdict: params.get('verdict') || '', sort: params.get('sort') || 'hostname',
      order: params.get('order') || 'asc', offset: Number(params.get('offset')) || 0,
      limit: Number(params.get('limit')) || 50,
    };
    let update = null;
    const changed = (resetOffset) => {
      if (resetOffset) state.offset = 0;
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(state)) {
        if (v !== '' && !(k === 'offset' && v === 0)) p.set(k, String(v));
      }
      history.replaceState(null, '', '/hosts?' + p.toString());
      update().catch(showError);
    };
    const search = el('input', { type: 'search', placeholder: 'Filter: name, address, agent, owner',
      value: state.q, 'aria-label': 'filter' });
    let timer = null;
    search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { state.q = search.value; changed(true); }, 250);
    });
    const select = (key, options) => {
      const s = el('select', { 'aria-label': key }, options.map(([v, t]) =>
        el('option', { value: v, selected: state[key] === v }, t)));
      s.addEventListener('change', () => { state[key] = s.value; changed(true); });
      return s;
    };
    const pageSize = el('select', { 'aria-label': 'page size' }, [25, 50, 100, 200, 500].map((n) =>
      el('option', { value: n, selected: state.limit === n }, n + ' per page')));
    pageSize.addEventListener('change', () => { state.limit = Number(pageSize.value); changed(true); });
    const table = el('div');
    const pager = el('div', { class: 'pager' });
    const errors = el('div');
    const showError = (e) => { clear(errors).appendChild(errorBox(e)); };
    append(root, el('h1', null, 'Hosts'),
      el('div', { class: 'toolbar' }, search,
        select('status', [['', 'any status'], ['reporting', 'reporting'], ['silent', 'silent'], ['never', 'never reported']]),
        select('verdict', [['', 'any verdict']].concat(VERDICTS.map((v) => [v, v]))),
        pageSize),
      errors, table, pager);

    let latest = 0;  // a filter change and the timed refresh may overlap: the newest wins
    update = async function () {
      const mine = ++latest;
      const p = new URLSearchParams({ sort: state.sort, order: state.order,
        offset: String(state.offset), limit: String(state.limit) });
      if (state.q) p.set('q', state.q);
      if (state.status) p.set('status', state.status);
      if (state.verdict) p.set('verdict', state.verdict);
      const r = await getJson('/api/v1/hosts?' + p.toString());
      if (mine !== latest) return;  // an older answer arriving late must not overwrite
      clear(errors);
      const now = r.now;
      const from24 = new Date(ms(now) - 86400e3).toISOString();
      const from7 = new Date(ms(now) - 7 * 86400e3).toISOString();
      const head = el('tr', null, HOST_COLUMNS.map(([title, key]) => {
        if (!key) return el('th', null, title);
        const arrow = state.sort === key ? (state.order === 'asc' ? '▲' : '▼') : '';
        return el('th', { class: 'sortable', title: 'sort by ' + title.toLowerCase(),
          onclick: () => {
            if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
            else { state.sort = key; state.order = 'asc'; }
            changed(true);
          } }, title, el('span', { class: 'arrow' }, arrow));
      }));
      const rows = r.hosts.map((h) => el('tr', null,
        el('td', { class: 'name' }, el('a', { href: hostHref(h.key) }, h.hostname || h.key)),
        el('td', null, h.agentId || '–'),
        el('td', null, h.addresses.length ? h.addresses[0] + (h.addresses.length > 1 ? ' +' + (h.addresses.length - 1) : '') : '–'),
        el('td', null, timeCell(h.lastSeen, now)),
        el('td', null, statusBadge(h.status)),
        el('td', null, coverageCell(h.coverage24h, from24, now)),
        el('td', null, coverageCell(h.coverage7d, from7, now)),
        el('td', { class: 'num' }, h.status === 'never reported' ? '–' : pct(h.captureLoss.percent, 2)),
        el('td', { class: 'num' }, h.spool ? num(h.spool.events) : '–'),
        el('td', null, verdictBadge(h.verdict)),
        el('td', { class: 'num' }, num(h.findings)),
        el('td', null, h.lastSweep ? [sweepBadge(h.lastSweep.status), ' ',
          el('a', { href: sweepHref(h.lastSweep.sweepId), title: 'issued ' + utc(h.lastSweep.issued) },
            h.lastSweep.time ? ago(h.lastSweep.time, now) : 'asked ' + ago(h.lastSweep.issued, now))] : '–')));
      clear(table).appendChild(el('table', null, el('thead', null, head), el('tbody', null, rows)));
      const first = r.total ? r.offset + 1 : 0;
      const last = r.offset + r.hosts.length;
      const prev = el('button', { disabled: r.offset === 0, onclick: () => {
        state.offset = Math.max(0, state.offset - state.limit); changed(false); } }, '« Previous');
      const next = el('button', { disabled: last >= r.total, onclick: () => {
        state.offset += state.limit; changed(false); } }, 'Next »');
      clear(pager);
      append(pager, prev, next, el('span', { class: 'muted' },
        num(first) + '–' + num(last) + ' of ' + num(r.total) +
        (r.total !== r.all ? ' matching (' + num(r.all) + ' hosts in all)' : ' hosts')));
    };
    return () => update();
  }

  // ---- Host ------------------------------------------------------------------
  function timelineBlock(title, t) {
    const gaps = t.uncovered.filter((g) => ms(g.to) > ms(g.from));
    return el('div', { class: 'timeline panel' },
      el('h2', null, title + ' — covered ' + pct(t.percent, 1)),
      coverageBar(t.uncovered, t.from, t.to, 1000, 22),
      el('div', { class: 'axis' }, el('span', null, utc(t.from)), el('span', null, utc(t.to))),
      gaps.length ? el('details', null, el('summary', null, gaps.length + ' uncovered stretch(es)'),
        el('ul', null, gaps.slice(0, 50).map((g) => el('li', null, utc(g.from) + ' – ' + utc(g.to) +
          ' (' + duration((ms(g.to) - ms(g.from)) / 1000) + ')')))) : el('p', { class: 'muted' }, 'No gap.'));
  }

  function egressChart(e) {
    const W = 960, H = 140, bw = W / e.buckets.length;
    const parts = e.classified
      ? [['relay', '#3b73c4', 'through a relay'], ['direct', '#d14343', 'directly to outside servers'], ['internal', '#8a94a3', 'to internal servers']]
      : [['unclassified', '#8a94a3', 'SMTP connections']];
    const peak = Math.max(0, ...e.buckets.map((b) => parts.reduce((s, [k]) => s + b[k], 0)));
    const max = Math.max(1, peak);  // the bars' scale; the legend says the real peak
    const s = svg('svg', { viewBox: '0 0 ' + W + ' ' + (H + 16), preserveAspectRatio: 'none',
      role: 'img', 'aria-label': 'SMTP connections per hour' });
    e.buckets.forEach((b, i) => {
      let y = H;
      for (const [k, color, label] of parts) {
        if (!b[k]) continue;
        const h = H * b[k] / max;
        y -= h;
        s.appendChild(svg('rect', { x: i * bw + 1, y: y, width: bw - 2, height: h, fill: color },
          svg('title', null, utc(b.start) + ': ' + b[k] + ' ' + label)));
      }
      if (i % 3 === 0) {
        s.appendChild(svg('text', { x: i * bw + 2, y: H + 12, 'font-size': 10, fill: '#667085' },
          b.start.substring(11, 16)));
      }
    });
    return el('div', { class: 'chart panel' },
      el('h2', null, 'SMTP egress per hour (UTC), last 24 h — ' + num(e.events) + ' connection(s)'),
      s,
      el('div', { class: 'legend' }, parts.map(([k, color, label]) => {
        const i = el('i'); i.style.background = color; return el('span', null, i, label);
      }), el('span', null, 'highest hour: ' + num(peak))),
      e.classified ? null : el('p', { class: 'muted' },
        'The collector runs without --rules, so relay and direct connections cannot be told apart.'),
      e.truncated ? el('p', { class: 'muted' }, 'Only part of the events were read.') : null);
  }

  function findingBlock(f, withHost) {
    return el('div', { class: 'finding ' + f.severity },
      el('div', { class: 'what' }, verdictBadge(f.severity), ' ', f.rule,
        withHost ? [' — ', f.hostKey ? el('a', { href: hostHref(f.hostKey) }, f.hostname || f.host) : f.host] : null),
      el('div', null, (f.signal.startsWith('sweep_')
        ? num(f.peak) + ' found by one sweep answer (threshold ' + num(f.threshold) + '), ' +
          num(f.total) + ' answer(s) found it'
        : 'peak ' + num(f.peak) + ' in ' + duration(f.windowSeconds) + ' (threshold ' +
          num(f.threshold) + '), ' + num(f.total) + ' over the episode') +
        '; host ' + f.host + ', agent ' + f.agentId),
      el('div', { class: 'muted' }, 'first ' + utc(f.firstTime) + ' · fired ' + utc(f.firedTime) +
        ' · last ' + utc(f.lastTime)),
      f.description ? el('div', null, f.description) : null,
      el('details', null, el('summary', null, f.evidence.length +
        (f.signal.startsWith('sweep_') ? ' thing(s) a sweep found' : ' evidence event(s)')),
        el('table', { class: 'evidence' }, el('tbody', null, f.evidence.map((e) => el('tr', null,
          el('td', null, utc(e.time)),
          el('td', null, e.sweepId ? [e.agentId + ' ', el('a', { href: sweepHref(e.sweepId) }, 'sweep')]
            : e.agentId + ' #' + e.sequence),
          el('td', null, e.summary || '(event no longer stored)')))))));
  }

  function hostView(root, key) {
    const body = el('div');
    append(root, body);
    return async function update() {
      const d = await getJson('/api/v1/hosts/' + encodeURIComponent(key));
      const h = d.host;
      const fact = (k, v) => [el('dt', null, k), el('dd', null, v)];
      clear(body);
      append(body,
        el('p', null, el('a', { href: '/hosts' }, '« Hosts')),
        el('h1', null, h.hostname || h.key, ' ', statusBadge(h.status), ' ', verdictBadge(h.verdict)),
        el('div', { class: 'panel' }, el('dl', { class: 'facts' },
          fact('Agent', h.agentId || '–'),
          fact('Agent reports hostname', h.agentHostname || '–'),
          fact('Addresses', h.addresses.length ? h.addresses.join(', ') : '–'),
          fact('System', [h.os, h.kernel].filter(Boolean).join(' · ') || '–'),
          fact('Inventory', h.inInventory ? ['yes', h.owner ? ', owner ' + h.owner : '', h.mac ? ', MAC ' + h.mac : ''].join('') : 'no'),
          fact('Last seen', h.lastSeen ? utc(h.lastSeen) + ' (' + ago(h.lastSeen, d.now) + ')' : 'never'),
          fact('Last heartbeat', utc(h.lastHeartbeat)),
          h.status === 'silent' ? fact('Silent since', utc(h.silentSince)) : null,
          fact('Capture loss (24 h)', pct(h.captureLoss.percent, 2) + ' — ' + num(h.captureLoss.dropped + h.captureLoss.interfaceDropped) +
            ' of ' + num(h.captureLoss.received) + ' packets' + (h.interfaceDown ? '; an interface was down' : '')),
          fact('Lost events (24 h)', num(h.lostEvents) + ' in ' + num(h.lostEventGaps) + ' gap(s)'),
          fact('Spool backlog', h.spool ? num(h.spool.events) + ' events, ' + num(h.spool.bytes) + ' bytes' +
            (h.spool.oldestAgeSeconds !== null ? ', oldest ' + duration(h.spool.oldestAgeSeconds) + ' old' : '') : '–'))),
        timelineBlock('Coverage, last 24 h', d.timeline['24h']),
        timelineBlock('Coverage, last 7 days', d.timeline['7d']),
        egressChart(d.egress));
      const fl = el('div', { class: 'panel' }, el('h2', null, 'Findings, last 7 days (' + num(d.findingsTotal) + ')'));
      if (!d.findings.length) fl.appendChild(el('p', { class: 'muted' }, 'No finding.'));
      d.findings.forEach((f) => fl.appendChild(findingBlock(f, false)));
      const sw = el('div', { class: 'panel' }, el('h2', null, 'Sweep results'));
      if (!d.sweeps.length) sw.appendChild(el('p', { class: 'muted' }, 'No sweep asked this host yet.'));
      d.sweeps.forEach((r) => sw.appendChild(sweepResultBlock(r)));
      append(body, fl, sw);
    };
  }

  function processText(ps) {
    if (!ps.length) return 'process unknown';
    return ps.map((p) => 'pid ' + p.pid + ' ' + p.name + (p.exe ? ' (' + p.exe + ')' : '')).join(', ');
  }

  // One sweep's answer of one host: what was found, then every fact it reported.
  function sweepResultBlock(r) {
    const when = r.time ? 'answered ' + utc(r.time)
      : r.expired ? 'never answered (the sweep expired)'
      : r.delivered ? 'asked ' + utc(r.delivered) + ', no answer yet' : 'not reached yet';
    const block = el('div', { class: 'sweep-result ' + (r.status === 'found' ? 'found' : '') },
      el('div', { class: 'what' }, sweepBadge(r.status), ' ',
        el('a', { href: sweepHref(r.sweepId) }, 'sweep of ' + utc(r.issued)), ' — ' + when),
      r.reasons.length ? el('ul', null, r.reasons.map((x) => el('li', null, x))) : null);
    if (!r.time) return block;
    const rows = [];
    r.listeners.forEach((l) => rows.push(el('tr', { class: l.backdoor ? 'backdoor' : null },
      el('td', null, l.backdoor ? 'listening (backdoor port)' : 'listening'),
      el('td', null, l.transport + ' ' + l.address + ':' + l.port), el('td', null, processText(l.processes)))));
    r.smtpConnections.forEach((c) => rows.push(el('tr', null, el('td', null, 'SMTP ' + c.state),
      el('td', null, c.local + ' → ' + c.remote), el('td', null, processText(c.processes)))));
    r.hostsRedirects.forEach((h) => rows.push(el('tr', { class: 'backdoor' }, el('td', null, 'hosts file line ' + h.line),
      el('td', null, h.name + ' → ' + h.address), el('td', null, 'protected domain ' + h.domain))));
    append(block,
      rows.length ? el('table', { class: 'evidence' }, el('tbody', null, rows))
        : el('p', { class: 'muted' }, 'No listener on a checked port, no outbound SMTP connection, no hosts-file redirect.'),
      r.errors.length ? el('p', null, 'Not checked: ' + r.errors.join('; ')) : null,
      el('p', { class: 'muted' }, [r.platform, r.hostsFile ? r.hostsFile + ' (' + num(r.hostsEntries) + ' entries)' : '',
        r.unattributed ? num(r.unattributed) + ' socket(s) without a known process' : '',
        r.omitted ? num(r.omitted) + ' item(s) left out by the agent' : ''].filter(Boolean).join(' · ')));
    return block;
  }

  // ---- Findings ----------------------------------------------------------
  function findingsView(root) {
    const params = new URLSearchParams(location.search);
    const state = { since: params.get('since') || '24h', severity: params.get('severity') || '',
      q: params.get('q') || '' };
    const list = el('div');
    let update = null;
    const changed = () => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(state)) if (v) p.set(k, v);
      history.replaceState(null, '', '/findings?' + p.toString());
      update().catch((e) => clear(list).appendChild(errorBox(e)));
    };
    const ranges = [['24h', 'last 24 h'], ['7d', 'last 7 days'], ['30d', 'last 30 days']];
    if (!ranges.some(([v]) => v === state.since)) ranges.push([state.since, 'since ' + state.since]);
    const since = el('select', { 'aria-label': 'since' },
      ranges.map(([v, t]) => el('option', { value: v, selected: state.since === v }, t)));
    since.addEventListener('change', () => { state.since = since.value; changed(); });
    const sev = el('select', { 'aria-label': 'severity' }, [['', 'any severity']].concat(
      ['notice', 'suspicious', 'mass-mailing', 'worm-scanning'].map((v) => [v, v]))
      .map(([v, t]) => el('option', { value: v, selected: state.severity === v }, t)));
    sev.addEventListener('change', () => { state.severity = sev.value; changed(); });
    const q = el('input', { type: 'search', placeholder: 'Filter: address, agent, host, rule', value: state.q });
    let timer = null;
    q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { state.q = q.value; changed(); }, 250); });
    append(root, el('h1', null, 'Findings'), el('div', { class: 'toolbar' }, q, since, sev), list);
    let latest = 0;  // as in the Hosts view: the newest request's answer wins
    update = async function () {
      const mine = ++latest;
      const p = new URLSearchParams({ since: state.since, limit: '200' });
      if (state.severity) p.set('severity', state.severity);
      if (state.q) p.set('q', state.q);
      const r = await getJson('/api/v1/findings?' + p.toString());
      if (mine !== latest) return;
      clear(list);
      list.appendChild(el('p', { class: 'muted' }, num(r.total) + ' finding(s) since ' + utc(r.from) +
        (r.total > r.findings.length ? '; the newest ' + r.findings.length + ' shown' : '')));
      r.findings.forEach((f) => list.appendChild(findingBlock(f, true)));
    };
    return () => update();
  }

  // ---- Sweeps ------------------------------------------------------------
  function sweepsView(root) {
    const id = new URLSearchParams(location.search).get('id');
    const body = el('div');
    append(root, el('h1', null, 'Sweeps'), body);
    if (id) {
      return async function update() {
        const r = await getJson('/api/v1/sweeps?id=' + encodeURIComponent(id));
        const s = r.sweep;
        clear(body);
        append(body, el('p', null, el('a', { href: '/sweeps' }, '« Sweeps')),
          el('div', { class: 'panel' }, el('h2', null, 'Sweep ' + s.id),
            el('p', null, 'Issued ' + utc(s.issued) + ', expires ' + utc(s.expires) + (s.expired ? ' (expired)' : '')),
            stackBar([
              { value: s.found, cls: 'c-bad', label: 'found' },
              { value: s.incomplete, cls: 'c-warn', label: 'incomplete' },
              { value: s.answered - s.found - s.incomplete, cls: 'c-ok', label: 'clean' },
              { value: s.asked - s.answered, cls: 'c-none', label: 'no answer' }])),
          el('table', null,
            el('thead', null, el('tr', null, ['Host', 'Agent', 'Answer', 'Reached', 'Answered', 'Why'].map((t) => el('th', null, t)))),
            el('tbody', null, s.hosts.map((h) => el('tr', null,
              el('td', { class: 'name' }, h.key ? el('a', { href: hostHref(h.key) }, h.hostname || h.key) : h.hostname),
              el('td', null, h.agentId),
              el('td', null, sweepBadge(h.status)),
              el('td', null, h.delivered ? utc(h.delivered) : '–'),
              el('td', null, h.answered ? utc(h.answered) : '–'),
              el('td', null, h.reasons.length ? el('ul', null, h.reasons.map((x) => el('li', null, x))) : '–'))))));
      };
    }
    return async function update() {
      const r = await getJson('/api/v1/sweeps');
      clear(body);
      if (!r.sweeps.length) {
        body.appendChild(el('div', { class: 'panel' }, el('p', null, 'No sweep yet.'),
          el('p', { class: 'muted' }, 'Run `cleansweep-collector sweep` to have every agent check itself now; its results appear here.')));
        return;
      }
      body.appendChild(el('table', null,
        el('thead', null, el('tr', null, ['Issued', 'Expires', 'Asked', 'Reached', 'Answered', 'Found', 'Incomplete'].map((t) => el('th', null, t)))),
        el('tbody', null, r.sweeps.map((s) => el('tr', null,
          el('td', null, el('a', { href: sweepHref(s.id) }, utc(s.issued))),
          el('td', null, utc(s.expires) + (s.expired ? ' (expired)' : '')),
          el('td', { class: 'num' }, num(s.asked)), el('td', { class: 'num' }, num(s.delivered)),
          el('td', { class: 'num' }, num(s.answered)),
          el('td', { class: 'num' + (s.found ? ' bad' : '') }, num(s.found)),
          el('td', { class: 'num' }, num(s.incomplete)))))));
      if (r.more) body.appendChild(el('p', { class: 'muted' }, 'Older sweeps are not listed.'));
    };
  }

  // ---- start -------------------------------------------------------------
  function start() {
    const path = location.pathname;
    const root = clear(document.getElementById('main'));
    let view = 'fleet', update;
    if (path.startsWith('/hosts/') && path.length > 7) {
      view = 'hosts';
      update = hostView(root, decodeURIComponent(path.substring(7)));
    } else if (path === '/hosts') {
      view = 'hosts';
      update = hostsView(root);
    } else if (path === '/findings') {
      view = 'findings';
      update = findingsView(root);
    } else if (path === '/sweeps') {
      view = 'sweeps';
      update = sweepsView(root);
    } else {
      update = fleetView(root);
    }
    for (const a of document.querySelectorAll('nav a')) {
      a.classList.toggle('active', a.getAttribute('data-view') === view);
    }
    let busy = false;
    const refresh = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        await update();
        setUpdated(true, 'updated ' + new Date().toLocaleTimeString() + ' · every ' + REFRESH_MS / 1000 + ' s');
      } catch (e) {
        setUpdated(false, 'not updated: ' + e.message);
        if (!root.querySelector('table, .panel, .finding')) root.appendChild(errorBox(e));
      } finally {
        busy = false;
      }
    };
    refresh();
    setInterval(refresh, REFRESH_MS);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
