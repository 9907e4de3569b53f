// The gateway's web console in a real browser: Debian's headless Chromium driven by
// playwright-core, against the real `event-gateway` binary (started here on a free port with a
// fresh SQLite file) and real subscribers (small node HTTP servers). Events are posted with
// curl, as a user would.
//
// Run: `npm ci && npm test` in tests/browser, after `cargo build -p event-gateway`.
// GATEWAY_BIN names the binary (default: $CARGO_TARGET_DIR or ../../target, then debug/);
// CHROMIUM_PATH the browser (default /usr/bin/chromium). Screenshots of every page go to
// target/console-screenshots/ at the repository's root.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, mkdirSync, existsSync, readFileSync, createWriteStream, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import http from "node:http";
import net from "node:net";
import { chromium } from "playwright-core";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, "target");
const gatewayBin = process.env.GATEWAY_BIN || join(targetDir, "debug", "event-gateway");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const shots = join(root, "target", "console-screenshots");

let gateway; // { url, process, log, dir }
let browser;
let page;
const errors = []; // console errors and uncaught exceptions of every page
const sinks = {};

// ---- helpers ------------------------------------------------------------------------------

async function freePort() {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

async function waitFor(what, probe, timeout = 20000, every = 50) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/// A subscriber: records every request; answers `status` (changeable).
async function startSink(name, status) {
  const sink = { name, status, received: [] };
  sink.server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      sink.received.push({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(sink.status, { "content-type": "text/plain" });
      res.end(sink.status < 300 ? "ok" : "sink down for maintenance");
    });
  });
  await new Promise((ok) => sink.server.listen(0, "127.0.0.1", ok));
  sink.url = `http://127.0.0.1:${sink.server.address().port}/hook`;
  sinks[name] = sink;
  return sink;
}

async function api(method, path, body) {
  const response = await fetch(gateway.url + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/// POSTs an event in binary mode with curl, as a user would; answers curl's HTTP status.
async function curlEvent(id, type, data = { n: id }, source = "/browser-tests") {
  const { stdout } = await run("curl", [
    "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", `${gateway.url}/events`,
    "-H", "ce-specversion: 1.0", "-H", `ce-id: ${id}`, "-H", `ce-source: ${source}`,
    "-H", `ce-type: ${type}`, "-H", "ce-subject: browser", "-H", "content-type: application/json",
    "--data-binary", JSON.stringify(data),
  ]);
  assert.equal(stdout, "202", `curl posting ${id}`);
}

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function open(path) {
  await page.goto(gateway.url + path);
  await page.waitForLoadState("domcontentloaded");
}

// ---- the gateway, the subscribers and the browser ------------------------------------------

before(async () => {
  assert.ok(existsSync(gatewayBin), `no gateway binary at ${gatewayBin}: run \`cargo build -p event-gateway\` first`);
  assert.ok(existsSync(chromiumPath), `no browser at ${chromiumPath}: apt-get install chromium`);
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "console-browser-"));
  const port = await freePort();
  const log = join(dir, "gateway.log");
  const out = createWriteStream(log);
  const child = spawn(gatewayBin, [], {
    env: {
      ...process.env,
      GATEWAY_LISTEN: `127.0.0.1:${port}`,
      GATEWAY_DATABASE_URL: `sqlite://${join(dir, "gateway.db")}`,
      RUST_LOG: process.env.RUST_LOG || "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  gateway = { url: `http://127.0.0.1:${port}`, process: child, log, dir };
  await waitFor("the gateway to answer /healthz", async () => {
    if (child.exitCode !== null) throw new Error(`the gateway exited: ${readFileSync(log, "utf8")}`);
    try {
      return (await fetch(`${gateway.url}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 30000);
  await startSink("orders", 200);
  await startSink("flaky", 503);
  await startSink("formed", 200);
  await startSink("copies", 202);
  assert.equal((await api("POST", "/subscriptions", {
    id: "orders", sink: sinks.orders.url, filters: [{ prefix: { type: "com.example." } }],
  })).status, 201);
  assert.equal((await api("POST", "/subscriptions", {
    id: "flaky", sink: sinks.flaky.url, filters: [{ exact: { type: "com.acme.flaky.v1" } }],
    delivery: { retry: 0 },
  })).status, 201);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
});

after(async () => {
  if (browser) await browser.close();
  if (gateway) {
    const exited = new Promise((ok) => gateway.process.once("exit", ok));
    gateway.process.kill("SIGTERM");
    const stopped = await Promise.race([exited.then(() => true), new Promise((ok) => setTimeout(() => ok(false), 20000))]);
    if (!stopped) gateway.process.kill("SIGKILL");
    assert.ok(stopped, "the gateway stops on SIGTERM with console pages open");
    rmSync(gateway.dir, { recursive: true, force: true });
  }
  for (const sink of Object.values(sinks)) sink.server.close();
});

// ---- the tests ------------------------------------------------------------------------------

test("an event posted with curl shows in the live tail within 2 s, with its delivery", async () => {
  await open("/console/tail");
  await page.waitForFunction(() => document.getElementById("tail-state").textContent.startsWith("Live"));
  const posted = Date.now();
  await curlEvent("tail-1", "com.example.order.created.v1", {
    order_id: "0190b2a4-7c1e-7000-8000-000000000001", customer_id: "c-1",
    items: [{ sku: "book", quantity: 1, unit_price_cents: 1200 }], total_cents: 1200, currency: "EUR",
  }, "/order-service");
  await page.waitForSelector('#tail-rows tr[data-kind="event"][data-event-id="tail-1"]', { timeout: 2000 });
  assert.ok(Date.now() - posted <= 2000, "shown within 2 s of the 202");
  await page.waitForSelector('#tail-rows tr[data-kind="delivery"][data-event-id="tail-1"][data-outcome="delivered"]', { timeout: 10000 });
  const delivery = await page.textContent('#tail-rows tr[data-kind="delivery"][data-event-id="tail-1"]');
  assert.match(delivery, /orders/);
  assert.match(delivery, /delivered 200/);
  await shot("2-live-tail");
});

test("the event's page shows its attributes, schema verdict and attempts, and its curl lines work", async () => {
  await page.click('#tail-rows tr[data-kind="event"][data-event-id="tail-1"] a');
  await page.waitForURL(/\/console\/events\/[A-Za-z0-9_-]+$/);
  await page.waitForSelector('article.delivery[data-subscription="orders"][data-status="delivered"]');
  assert.match(await page.textContent("#attributes"), /tail-1/);
  assert.match(await page.textContent("#schema-verdict"), /Valid against the schema of com\.example\.order\.created\.v1/);
  const timeline = await page.textContent('article.delivery[data-subscription="orders"] ol.timeline');
  assert.match(timeline, /delivered\s+200\s+attempt 1/);
  await shot("4-event");
  // The copied lines, pointed at a capturing subscriber, send the same event.
  for (const [field, check] of [
    ["#copy-curl-structured", (r) => {
      assert.match(r.headers["content-type"], /^application\/cloudevents\+json/);
      assert.equal(JSON.parse(r.body).id, "tail-1");
    }],
    ["#copy-curl-binary", (r) => {
      assert.equal(r.headers["ce-id"], "tail-1");
      assert.equal(r.headers["ce-type"], "com.example.order.created.v1");
      assert.equal(JSON.parse(r.body).customer_id, "c-1");
    }],
  ]) {
    const line = await page.inputValue(field);
    assert.ok(line.startsWith(`curl -i -X POST ${gateway.url}/events `), line);
    const before = sinks.copies.received.length;
    await run("bash", ["-c", line.replace(`${gateway.url}/events`, sinks.copies.url)]);
    assert.equal(sinks.copies.received.length, before + 1);
    check(sinks.copies.received.at(-1));
  }
  assert.match(await page.inputValue("#copy-cectl"), /^cectl --gateway http:\/\/127\.0\.0\.1:\d+ send -t com\.example\.order\.created\.v1 -s \/order-service --id tail-1 /);
});

test("a failing subscriber's dead letter is redelivered from the dead-letters page, and the new attempt shows", async () => {
  await curlEvent("flaky-1", "com.acme.flaky.v1");
  const dead = await waitFor("the dead letter", async () => {
    const list = (await api("GET", "/deadletters?subscription=flaky")).body.deadLetters;
    return list.find((d) => d.eventId === "flaky-1");
  });
  sinks.flaky.status = 200; // the subscriber is fixed
  await open("/console/deadletters?subscription=flaky");
  const row = `tr[data-dead-letter="${dead.id}"]`;
  await page.waitForSelector(row);
  assert.match(await page.textContent(row), /exhausted|non retryable/);
  await shot("5-dead-letters");
  await page.check(`${row} input[type=checkbox]`);
  await page.click("#redeliver-selected");
  await page.waitForSelector("#dry-run-count");
  assert.equal(await page.textContent("#dry-run-count"), "1");
  await shot("5-dead-letters-confirm");
  await page.click("#confirm");
  await page.waitForURL(/\/console\/deadletters\/progress\?item=/);
  await page.waitForSelector('#progress[data-done="true"]', { timeout: 15000 });
  const progress = await page.textContent("#progress-items");
  assert.match(progress, /delivered/);
  assert.match(progress, /200/);
  await shot("5-redelivery-progress");
  await page.click('#progress-items a:text("Event")');
  await page.waitForSelector('article.delivery[data-subscription="flaky"][data-status="delivered"]');
  const timeline = await page.textContent('article.delivery[data-subscription="flaky"] ol.timeline');
  assert.match(timeline, /dead lettered\s+503/);
  assert.match(timeline, /redelivered/);
  assert.match(timeline, /delivered\s+200/);
  assert.equal(sinks.flaky.received.length, 2, "the failed attempt and the redelivery");
});

test("a subscription is created through the form, with a filter preview", async () => {
  await open("/console/subscriptions/new");
  await page.fill("#sub-id", "formed");
  await page.fill("#sub-sink", sinks.formed.url);
  await page.fill("#sub-filters", '[{"prefix": {"type": "com.acme.flaky"}}]');
  await page.waitForSelector("#preview-count");
  await waitFor("the preview", async () => /Matches 1 of the last \d+ events/.test(await page.textContent("#preview-count")));
  await page.fill("#sub-retry", "3");
  await shot("6-subscription-form");
  await page.click("#save");
  await page.waitForURL(/\/console\/subscriptions\/formed\?done=created$/);
  assert.match(await page.textContent("#flash"), /Subscription created/);
  assert.match(await page.textContent("#sink"), new RegExp(sinks.formed.url.replace(/[.]/g, "\\.")));
  await shot("6-subscription");
  const wire = await api("GET", "/subscriptions/formed");
  assert.equal(wire.status, 200);
  assert.deepEqual(wire.body.filters, [{ prefix: { type: "com.acme.flaky" } }]);
  assert.equal(wire.body.delivery.retry, 3);
  await curlEvent("formed-1", "com.acme.flaky.v1");
  await waitFor("the new subscription's delivery", async () => sinks.formed.received.some((r) => r.headers["ce-id"] === "formed-1"));
  await open("/console/subscriptions");
  await page.waitForSelector('#subscriptions tr[data-subscription="formed"]');
  await shot("6-subscriptions");
});

test("the live tail works from the keyboard: filter, pause and resume, move, open", async () => {
  await open("/console/tail");
  await page.waitForFunction(() => document.getElementById("tail-state").textContent.startsWith("Live"));
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement.id), "f-type");
  await page.keyboard.type("com.acme.keys");
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.activeElement.tagName), "BODY");
  assert.equal(await page.evaluate(() => window.location.search), "?type=com.acme.keys", "the filter is in the URL");
  await page.keyboard.press(" ");
  assert.equal(await page.getAttribute("#tail-toggle", "aria-pressed"), "true");
  for (const id of ["keys-1", "keys-2", "keys-3"]) await curlEvent(id, "com.acme.keys.v1");
  await curlEvent("other-1", "com.acme.other.v1");
  await page.waitForFunction(() => /Paused · \d+ waiting/.test(document.getElementById("tail-state").textContent) &&
    parseInt(document.getElementById("tail-state").textContent.match(/(\d+) waiting/)[1], 10) >= 4);
  assert.equal(await page.locator("#tail-rows tr").count(), 0, "nothing is shown while paused");
  await page.keyboard.press(" ");
  await page.waitForSelector('#tail-rows tr[data-event-id="keys-3"]');
  assert.equal(await page.locator('#tail-rows tr[data-event-id="other-1"]:visible').count(), 0, "filtered out");
  assert.equal(await page.locator('#tail-rows tr[data-kind="event"]:visible').count(), 3);
  await page.keyboard.press("j");
  const first = await page.evaluate(() => document.activeElement.getAttribute("data-event-id"));
  assert.equal(first, "keys-3", "j selects the newest");
  await page.keyboard.press("j");
  const second = await page.evaluate(() => document.activeElement.getAttribute("data-event-id"));
  assert.notEqual(second, null);
  await page.keyboard.press("k");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("data-event-id")), "keys-3");
  await page.keyboard.press("?");
  assert.ok(await page.evaluate(() => document.getElementById("help").open), "? shows the shortcuts");
  await page.keyboard.press("Escape");
  await page.focus('#tail-rows tr[data-kind="event"][data-event-id="keys-3"]');
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/console\/events\//);
  assert.match(await page.textContent("#attributes"), /keys-3/);
});

test("the tail says when entries were missed (its pause buffer overflowed)", async () => {
  await open("/console/tail?buffer=2&type=com.acme.missed");
  await page.waitForFunction(() => document.getElementById("tail-state").textContent.startsWith("Live"));
  await page.click("#tail-toggle");
  for (const id of ["missed-1", "missed-2", "missed-3", "missed-4"]) await curlEvent(id, "com.acme.missed.v1");
  await page.waitForSelector("#tail-missed:not([hidden])");
  assert.match(await page.textContent("#tail-missed-text"), /^\d+ entr(y was|ies were) not shown: more arrived while paused than the tail holds \(2\)/);
  assert.match(await page.getAttribute("#tail-missed-link", "href"), /^\/console\/events\?since=/);
  await page.click("#tail-toggle");
  await page.waitForSelector('#tail-rows tr[data-event-id="missed-4"]');
  assert.equal(await page.locator('#tail-rows tr[data-event-id="missed-1"]').count(), 0, "the oldest was dropped");
  await shot("2-live-tail-missed");
  await page.click("#tail-missed-dismiss");
  assert.ok(await page.locator("#tail-missed").isHidden());
});

test("every page renders without script errors, and its screenshot is saved", async () => {
  const pages = [
    ["1-overview", "/console", "#card-success"],
    ["2-live-tail-empty", "/console/tail", "#tail"],
    ["3-events", "/console/events?type=com.acme.", "#event-results"],
    ["5-dead-letters-all", "/console/deadletters", "h1"],
    ["6-subscription-detail", "/console/subscriptions/orders", "#delivery-policy"],
    ["6-subscription-edit", "/console/subscriptions/orders/edit", "#preview-count"],
    ["7-catalog", "/console/catalog", "#catalog"],
    ["7-catalog-type", "/console/catalog/com.example.order.created.v1", "#example-verdict"],
    ["8-login", "/console/login", "h1"],
  ];
  for (const [name, path, selector] of pages) {
    await open(path);
    await page.waitForSelector(selector);
    await page.waitForTimeout(300);
    await shot(name);
  }
  // A busier tail for the README.
  await open("/console/tail");
  await page.waitForFunction(() => document.getElementById("tail-state").textContent.startsWith("Live"));
  for (const [id, type] of [["busy-1", "com.example.invoice.sent.v1"], ["busy-2", "com.acme.flaky.v1"], ["busy-3", "com.acme.audit.v1"]]) {
    await curlEvent(id, type);
  }
  await page.waitForSelector('#tail-rows tr[data-kind="delivery"][data-event-id="busy-2"][data-subscription="formed"]', { timeout: 10000 });
  await page.waitForTimeout(1500); // let the highlight of new rows fade
  await shot("2-live-tail-busy");
  await open("/console");
  assert.match(await page.textContent("#card-success"), /%/);
  assert.match(await page.textContent("#backlog"), /orders/);
  // The overview refreshes itself from the stream: a new event shows without a reload.
  const accepted = async () => parseInt((await page.textContent("#card-ingest")).match(/(\d+) accepted/)[1], 10);
  const before = await accepted();
  await page.evaluate(() => { window.sameDocument = true; });
  await page.waitForTimeout(500); // the page's stream is open
  await curlEvent("live-overview-1", "com.acme.audit.v1");
  await waitFor("the overview to count the new event", async () => (await accepted()) === before + 1, 10000);
  assert.ok(await page.evaluate(() => window.sameDocument), "refreshed in place, not reloaded");
  // Keyboard navigation between pages: `g e` goes to Events.
  await page.keyboard.press("g");
  await page.keyboard.press("e");
  await page.waitForURL(/\/console\/events$/);
  assert.deepEqual(errors, [], "no script or CSP errors on any page");
});
