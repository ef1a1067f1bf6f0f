// The status page in a real browser: headless Debian Chromium (/usr/bin/chromium)
// driven by playwright-core opens the Fleet, Hosts and Host pages of a running
// collector and checks what a person would see there.
//
//   node status_pages.mjs CONFIG.json
//
// CONFIG.json (written by the caller, whose own records are the oracle):
//   {"base": "http://127.0.0.1:PORT",     the status page
//    "modules": "BUILD/browser/node_modules",   where install.sh put playwright-core
//    "out": "DIR",                        screenshots go here (fleet.png, hosts.png, host.png,
//                                         host-hostile.png)
//    "flagged": {"host": "ws03", "address": "10.60.1.13", "verdict": "mass-mailing",
//                "direct": 12, "relay": 1},   its SMTP sessions: direct to outside, via the relay
//    "sweep": {"asked": 4, "found": 1,    the last sweep: hosts asked (all answered), found;
//              "port": 3127, "pid": 4242, "name": "taskmon"},   the flagged host's backdoor
//                                         listener and its process (optional: no sweep checks)
//    "clean": ["ws01", ...],              reporting hosts with no finding
//    "hostile": "<script>alert(1)</script>",   an inventory host that never reported
//    "expected": 5, "reporting": 4}       inventory size, hosts reporting
//
// Checks, on every page: the view drew itself from the API ("updated ..." in the
// header, no error box); no dialog (alert) opened, no script error, no console
// error (a CSP violation is one), no failed request; the only <script> element
// is the page's own /static/app.js. Then per page what it shows (see below).
// Prints one line per page and "status_pages: N passed, 0 failed"; exit 0 when
// everything holds, 1 on the first failure (with a screenshot of that moment).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const CHROMIUM = '/usr/bin/chromium';
const TIMEOUT_MS = 20000;  // bounds a hung page; nothing waits for a fixed time

class CheckFailure extends Error {}
function check(condition, message) {
  if (!condition) throw new CheckFailure(message);
}

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let chromium;
try {
  ({ chromium } = createRequire(path.join(path.resolve(config.modules), 'noop.js'))('playwright-core'));
} catch (e) {
  console.log(`FAIL: playwright-core not found under ${config.modules} ` +
              `(tests/browser/install.sh BUILD_DIR installs it): ${e.message.split('\n')[0]}`);
  process.exit(1);
}
fs.mkdirSync(config.out, { recursive: true });

let passed = 0;
const dialogs = [];
const problems = [];  // script errors, console errors, failed requests

// Waits until the view has been drawn from the API once: app.js writes
// "updated HH:MM:SS · every 10 s" into #updated after a successful load and
// "not updated: ..." after a failed one.
async function loaded(page, url) {
  const response = await page.goto(config.base + url, { waitUntil: 'load' });
  check(response && response.status() === 200, `${url}: HTTP ${response && response.status()}`);
  const handle = await page.waitForFunction(() => {
    const t = document.getElementById('updated').textContent;
    return t ? t : null;
  }, null, { timeout: TIMEOUT_MS });
  const updated = await handle.jsonValue();
  check(updated.startsWith('updated '), `${url}: the page says "${updated}"`);
  check(await page.locator('.error-box').count() === 0,
    `${url}: error box: ${await page.locator('.error-box').allTextContents()}`);
}

// What no page may ever do with a hostile name: run it.
async function noInjectedScript(page, url) {
  const scripts = await page.evaluate(() => Array.from(document.querySelectorAll('script'),
    (s) => ({ src: s.getAttribute('src'), text: s.textContent })));
  check(scripts.length === 1 && scripts[0].src === '/static/app.js' && scripts[0].text === '',
    `${url}: script elements ${JSON.stringify(scripts)}`);
  check(dialogs.length === 0, `${url}: a dialog opened: ${JSON.stringify(dialogs)}`);
  check(problems.length === 0, `${url}: ${problems.join('; ')}`);
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(config.out, name), fullPage: true });
}

// The body rows of the tables matching `selector` as {name, href, badges: [{text, cls}]}
// (name: the text of the row's td.name, the host's link).
async function tableRows(page, selector) {
  return page.$$eval(selector + ' tbody tr', (rows) => rows.map((tr) => ({
    name: tr.querySelector('td.name') ? tr.querySelector('td.name').textContent : null,
    href: tr.querySelector('td.name a') ? tr.querySelector('td.name a').getAttribute('href') : null,
    badges: Array.from(tr.querySelectorAll('.badge'), (b) => ({ text: b.textContent, cls: b.className })),
  })));
}

function badgeFor(row, text) {
  // Status "never reported" has class b-never; verdicts have b-<verdict>.
  const cls = text === 'never reported' ? 'b-never' : 'b-' + text;
  return row.badges.find((b) => b.text === text && b.cls.split(' ').includes(cls));
}

async function fleetPage(page) {
  await loaded(page, '/');
  await noInjectedScript(page, '/');
  const cards = Object.fromEntries(await page.$$eval('.card', (cs) => cs.map((c) => [
    c.querySelector('.label').textContent,
    { text: c.querySelector('.value').textContent, cls: c.querySelector('.value').className }])));
  check(cards['Expected hosts'].text === String(config.expected) &&
        cards['Reporting'].text === String(config.reporting) &&
        cards['Never reported'].text === String(config.expected - config.reporting),
        `fleet cards ${JSON.stringify(cards)}`);
  const infected = cards['Infected (24 h)'];
  check(infected.text === '1' && infected.cls.split(' ').includes('bad'),
    `"Infected (24 h)" card ${JSON.stringify(infected)}: want 1, drawn as bad`);
  if (config.sweep) {
    // "Last sweep": its time, drawn bad (it found something), and its counts.
    const sweep = cards['Last sweep'];
    // Its counts, and the colour it is drawn in (its link's): that of "Infected".
    const drawn = await page.$$eval('.card', (cs) => {
      const color = (e) => (e ? getComputedStyle(e).color : null);
      const by = (label) => cs.find((c) => c.querySelector('.label').textContent === label);
      const last = by('Last sweep');
      return { counts: Array.from(last.querySelectorAll('.muted'), (m) => m.textContent),
               link: color(last.querySelector('.value a')),
               infected: color(by('Infected (24 h)').querySelector('.value')) };
    });
    const counts = drawn.counts;
    const s = config.sweep;
    check(sweep && sweep.cls.split(' ').includes('bad') && sweep.text !== 'none yet' &&
          drawn.link !== null && drawn.link === drawn.infected &&
          JSON.stringify(counts) === JSON.stringify([`${s.asked} of ${s.asked} answered · ${s.found} found`]),
      `"Last sweep" card ${JSON.stringify(sweep)} ${JSON.stringify(drawn)}: want ${s.asked} of ` +
      `${s.asked} answered, ${s.found} found, drawn as bad (in the colour of "Infected")`);
  }
  // "Needs attention": the flagged host with its verdict, the hostile name as text.
  const rows = await tableRows(page, '.panel table');
  const flagged = rows.filter((r) => r.badges.some((b) => b.cls.split(' ').includes('b-' + config.flagged.verdict)));
  check(flagged.length === 1 && flagged[0].name === config.flagged.host &&
        flagged[0].href === '/hosts/' + config.flagged.host && badgeFor(flagged[0], 'reporting'),
    `needs attention, flagged rows ${JSON.stringify(flagged)}: want only ${config.flagged.host}`);
  const hostile = rows.filter((r) => r.name === config.hostile);
  check(hostile.length === 1 && hostile[0].href === '/hosts/' + encodeURIComponent(config.hostile) &&
        badgeFor(hostile[0], 'never reported'),
    `needs attention: the hostile host as text ${JSON.stringify(hostile)} in ${JSON.stringify(rows)}`);
  for (const h of config.clean) {
    check(!rows.some((r) => r.name === h), `needs attention lists clean ${h}: ${JSON.stringify(rows)}`);
  }
  await noInjectedScript(page, '/');
  await screenshot(page, 'fleet.png');
  return `fleet: infected 1 (${config.flagged.host}), ${config.hostile} listed as text` +
         (config.sweep ? `, last sweep ${config.sweep.found} found` : '');
}

async function hostsPage(page) {
  await loaded(page, '/hosts');
  await noInjectedScript(page, '/hosts');
  const rows = await tableRows(page, 'main table');
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  const want = [config.flagged.host, ...config.clean, config.hostile].sort();
  check(JSON.stringify(Object.keys(byName).sort()) === JSON.stringify(want),
    `hosts table names ${JSON.stringify(Object.keys(byName))}, want ${JSON.stringify(want)}`);
  check(badgeFor(byName[config.flagged.host], config.flagged.verdict) &&
        badgeFor(byName[config.flagged.host], 'reporting'),
    `${config.flagged.host} row ${JSON.stringify(byName[config.flagged.host])}`);
  for (const h of config.clean) {
    check(badgeFor(byName[h], 'clean') && badgeFor(byName[h], 'reporting') &&
          !byName[h].badges.some((b) => b.text === config.flagged.verdict),
      `${h} row ${JSON.stringify(byName[h])}: want reporting and clean`);
  }
  check(badgeFor(byName[config.hostile], 'unknown') &&
        badgeFor(byName[config.hostile], 'never reported'),
    `hostile row ${JSON.stringify(byName[config.hostile])}`);
  await noInjectedScript(page, '/hosts');
  await screenshot(page, 'hosts.png');

  // The verdict filter narrows the table to the flagged host (the API's filter, drawn).
  await page.selectOption('select[aria-label="verdict"]', config.flagged.verdict);
  await page.waitForFunction((n) => document.querySelectorAll('main table tbody tr').length === n &&
    location.search.includes('verdict='), 1, { timeout: TIMEOUT_MS });
  const only = await tableRows(page, 'main table');
  check(only.length === 1 && only[0].name === config.flagged.host,
    `verdict=${config.flagged.verdict} shows ${JSON.stringify(only)}`);
  // Typing the hostile name into the filter finds it and runs nothing.
  await page.selectOption('select[aria-label="verdict"]', '');
  await page.fill('input[type=search]', config.hostile);
  await page.waitForFunction((name) => {
    const cells = document.querySelectorAll('main table tbody td.name');
    return cells.length === 1 && cells[0].textContent === name;
  }, config.hostile, { timeout: TIMEOUT_MS });
  await noInjectedScript(page, '/hosts?q=...');
  return `hosts: ${config.flagged.host} ${config.flagged.verdict}, ${config.clean.join(' ')} clean, ` +
         `filters by verdict and by the hostile name`;
}

async function hostPage(page) {
  const url = '/hosts/' + config.flagged.host;
  await loaded(page, url);
  await noInjectedScript(page, url);
  const h1 = await page.$eval('main h1', (h) => ({ text: h.textContent,
    badges: Array.from(h.querySelectorAll('.badge'), (b) => ({ text: b.textContent, cls: b.className })) }));
  check(h1.text.startsWith(config.flagged.host + ' ') && badgeFor(h1, config.flagged.verdict) &&
        badgeFor(h1, 'reporting'), `${url}: heading ${JSON.stringify(h1)}`);
  const facts = await page.$$eval('dl.facts dt', (dts) => Object.fromEntries(
    dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  check(facts['Addresses'].split(', ').includes(config.flagged.address) &&
        facts['Agent'] === config.flagged.host,
    `${url}: facts ${JSON.stringify(facts)}`);
  const findings = await page.$$eval('.finding', (fs) => fs.map((f) => ({
    cls: f.className, text: f.querySelector('.what').textContent,
    detail: f.textContent })));
  const bad = findings.filter((f) => f.cls.split(' ').includes(config.flagged.verdict));
  check(bad.length >= 1 && bad.every((f) => f.detail.includes('host ' + config.flagged.address + ',')),
    `${url}: findings ${JSON.stringify(findings.map((f) => f.text))}: want a ` +
    `${config.flagged.verdict} one about ${config.flagged.address}`);
  // The egress chart's bars (their tooltips: "TIME: N directly to outside servers",
  // "TIME: N through a relay") add up to what the caller saw the host send.
  const bars = await page.$$eval('.chart svg rect', (rs) => rs.map((r) => ({
    fill: r.getAttribute('fill'), title: r.querySelector('title') ? r.querySelector('title').textContent : '' })));
  const sum = (label) => bars.reduce((n, b) => {
    const m = b.title.match(/: (\d+) (.*)$/);
    return n + (m && m[2] === label ? Number(m[1]) : 0);
  }, 0);
  const direct = sum('directly to outside servers'), relayed = sum('through a relay');
  check(direct === config.flagged.direct && relayed === config.flagged.relay &&
        bars.some((b) => b.fill === '#d14343' && b.title.endsWith('directly to outside servers')),
    `${url}: egress chart ${direct} direct, ${relayed} via the relay; want ` +
    `${config.flagged.direct} and ${config.flagged.relay} (drawn red and blue)`);
  let swept = '';
  if (config.sweep) {
    // Sweep results: one answer, found, whose backdoor row names the port and the process.
    const s = config.sweep;
    const results = await page.$$eval('.sweep-result', (rs) => rs.map((r) => ({
      cls: r.className,
      rows: Array.from(r.querySelectorAll('table.evidence tr.backdoor'),
        (tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)) })));
    const rows = results.length === 1 ? results[0].rows : [];
    check(results.length === 1 && results[0].cls.split(' ').includes('found') && rows.length === 1 &&
          rows[0][0] === 'listening (backdoor port)' && rows[0][1] === `tcp 0.0.0.0:${s.port}` &&
          rows[0][2].startsWith(`pid ${s.pid} ${s.name} (`),
      `${url}: sweep results ${JSON.stringify(results)}: want one, found, listening on ` +
      `${s.port} by pid ${s.pid} ${s.name}`);
    swept = `; sweep found ${rows[0][1]} (${rows[0][2]})`;
  }
  await noInjectedScript(page, url);
  await screenshot(page, 'host.png');

  const hostileUrl = '/hosts/' + encodeURIComponent(config.hostile);
  await loaded(page, hostileUrl);
  const title = await page.$eval('main h1', (h) => h.firstChild.textContent);
  check(title === config.hostile, `${hostileUrl}: heading text ${JSON.stringify(title)}`);
  await noInjectedScript(page, hostileUrl);
  await screenshot(page, 'host-hostile.png');
  return `host: ${config.flagged.host} ${config.flagged.verdict} with ${bad.length} finding(s), ` +
         `${direct} direct and ${relayed} relayed SMTP session(s) charted${swept}; ` +
         `the hostile host's own page titled with its name as text`;
}

async function main() {
  check(fs.existsSync(CHROMIUM), `${CHROMIUM} not found (deploy/install-deps.sh installs chromium)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The test runs as root (network namespaces), and Chromium refuses to start
    // as root inside its own sandbox: --no-sandbox. The page under test is our
    // own, on loopback.
    chromiumSandbox: false,
    timeout: TIMEOUT_MS,
  });
  let page = null;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(TIMEOUT_MS);
    page = await context.newPage();
    page.on('dialog', (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
    page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url || 'page'})`);
    });
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`); });
    for (const step of [fleetPage, hostsPage, hostPage]) {
      console.log(await step(page));
      passed += 1;
    }
  } catch (e) {
    if (page) await page.screenshot({ path: path.join(config.out, 'failure.png'), fullPage: true }).catch(() => {});
    console.log(`FAIL: ${e instanceof CheckFailure ? e.message : e.stack}`);
    console.log(`status_pages: ${passed} passed, 1 failed`);
    await browser.close();
    process.exit(1);
  }
  await browser.close();
  console.log(`status_pages: ${passed} passed, 0 failed`);
}

main().catch((e) => {
  console.log(`FAIL: ${e instanceof CheckFailure ? e.message : e.stack}`);
  process.exit(1);
});
