#!/usr/bin/env node
/**
 * Lighthouse on the PWA as the Hosting emulator serves it: mobile preset (Lighthouse's default
 * config: Moto G Power viewport, simulated slow 4G and 4x CPU slowdown), headless Debian Chromium.
 * Prints each run's scores and the median of each category, writes web/lighthouse-results.json,
 * and exits 1 when a median is under its threshold. Run inside an emulator session:
 *
 *   bash emulators/exec.sh "npm --prefix web run lighthouse"
 *
 * The app: --url, else AURAOS_WEB_URL, else the hub's hosting emulator (FIREBASE_EMULATOR_HUB),
 * else http://127.0.0.1:5173/. --runs N (default 3; performance is noisy on a busy machine).
 * CHROMIUM_PATH overrides the browser.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const WEB_ROOT = fileURLToPath(new URL("..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const THRESHOLDS = { performance: 90, accessibility: 100, "best-practices": 95 };
const METRICS = {
  "first-contentful-paint": "FCP",
  "largest-contentful-paint": "LCP",
  "total-blocking-time": "TBT",
  "cumulative-layout-shift": "CLS",
  "speed-index": "SI",
};

async function appUrl(explicit) {
  if (explicit) return explicit;
  if (process.env.AURAOS_WEB_URL) return process.env.AURAOS_WEB_URL;
  const hub = process.env.FIREBASE_EMULATOR_HUB;
  if (hub) {
    try {
      const listed = await (await fetch(`http://${hub}/emulators`, { signal: AbortSignal.timeout(5000) })).json();
      if (listed.hosting) return `http://${listed.hosting.host}:${listed.hosting.port}/`;
    } catch (error) {
      console.warn(`# emulator hub ${hub} not readable (${error.message})`);
    }
  }
  return "http://127.0.0.1:5173/";
}

/** One Lighthouse run in a fresh browser profile; the scores (0-100), metrics and what fell short. */
async function runOnce(url) {
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"],
  });
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: Object.keys(THRESHOLDS),
    });
    const { lhr } = result;
    if (lhr.runtimeError) throw new Error(`${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
    const scores = Object.fromEntries(
      Object.keys(THRESHOLDS).map((id) => [id, Math.round((lhr.categories[id].score ?? 0) * 100)]),
    );
    const metrics = Object.fromEntries(
      Object.entries(METRICS).map(([id, name]) => [name, lhr.audits[id].numericValue]),
    );
    const shortfalls = Object.keys(THRESHOLDS).flatMap((category) =>
      lhr.categories[category].auditRefs
        .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null && lhr.audits[ref.id].score < 1)
        .map((ref) => `${category}: ${ref.id} (${lhr.audits[ref.id].displayValue ?? lhr.audits[ref.id].score})`),
    );
    const bytes = {
      transferred: lhr.audits["total-byte-weight"].numericValue,
      unusedJavaScript: lhr.audits["unused-javascript"].details?.overallSavingsBytes ?? 0,
    };
    return {
      scores,
      metrics,
      bytes,
      shortfalls,
      lighthouseVersion: lhr.lighthouseVersion,
      userAgent: lhr.environment.hostUserAgent,
      formFactor: lhr.configSettings.formFactor,
      throttlingMethod: lhr.configSettings.throttlingMethod,
    };
  } finally {
    await chrome.kill();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const fmt = (name, value) => (name === "CLS" ? value.toFixed(3) : `${Math.round(value)} ms`);

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      runs: { type: "string", default: "3" },
      out: { type: "string", default: join(WEB_ROOT, "lighthouse-results.json") },
    },
  });
  if (!existsSync(CHROMIUM)) {
    console.error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    process.exit(2);
  }
  const url = await appUrl(values.url);
  const runs = [];
  for (let i = 0; i < Number(values.runs); i += 1) {
    const run = await runOnce(url);
    runs.push(run);
    const metrics = Object.entries(run.metrics).map(([name, value]) => `${name} ${fmt(name, value)}`);
    const kb = (n) => `${Math.round(n / 1024)} KiB`;
    console.log(
      `# lighthouse run ${i + 1}: ${JSON.stringify(run.scores)}; ${metrics.join(", ")}; ` +
        `transferred ${kb(run.bytes.transferred)}, unused JS ${kb(run.bytes.unusedJavaScript)}`,
    );
  }
  const scores = Object.fromEntries(
    Object.keys(THRESHOLDS).map((id) => [id, median(runs.map((run) => run.scores[id]))]),
  );
  const metrics = Object.fromEntries(
    Object.values(METRICS).map((name) => [name, median(runs.map((run) => run.metrics[name]))]),
  );
  const failed = Object.entries(THRESHOLDS).filter(([id, min]) => scores[id] < min);
  const report = {
    url,
    lighthouseVersion: runs[0].lighthouseVersion,
    userAgent: runs[0].userAgent,
    formFactor: runs[0].formFactor,
    throttlingMethod: runs[0].throttlingMethod,
    thresholds: THRESHOLDS,
    median: { scores, metrics },
    runs,
    passed: failed.length === 0,
    measuredAt: new Date().toISOString(),
  };
  await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);

  console.log(
    `Lighthouse ${report.lighthouseVersion} (${report.formFactor}, ${report.throttlingMethod} throttling), ` +
      `median of ${runs.length} on ${url}:`,
  );
  for (const [id, min] of Object.entries(THRESHOLDS)) {
    console.log(`  ${id.padEnd(15)} ${String(scores[id]).padStart(3)}  (threshold ${min})`);
  }
  console.log(`  ${Object.entries(metrics).map(([name, value]) => `${name} ${fmt(name, value)}`).join(", ")}`);
  const shortfalls = [...new Set(runs.flatMap((run) => run.shortfalls))];
  if (shortfalls.length) console.log(`  audits short of full marks: ${shortfalls.join("; ")}`);
  console.log(`  results: ${values.out}`);
  if (failed.length) {
    console.error(`below threshold: ${failed.map(([id, min]) => `${id} ${scores[id]} < ${min}`).join(", ")}`);
    process.exit(1);
  }
}

await main();
