/**
 * End-to-end: the PWA as the Hosting emulator serves it (web/dist, built by exec.sh) in headless
 * Chromium (playwright-core, Debian's /usr/bin/chromium) against the running emulators and
 * ai_service. Run inside an emulator session, e.g.
 *
 *   bash emulators/exec.sh "npm --prefix web run test:e2e"
 *
 * Emulator addresses: FIREBASE_AUTH_EMULATOR_HOST, FIRESTORE_EMULATOR_HOST (set by
 * firebase-tools), FUNCTIONS_EMULATOR_HOST, else what the hub (FIREBASE_EMULATOR_HUB) reports,
 * else the standard ports; the app: AURAOS_WEB_URL, else the hub's hosting emulator, else
 * http://127.0.0.1:5173/. CHROMIUM_PATH overrides the browser. The chat screenshot goes to
 * docs/screenshots/chat.png; a failing step leaves a screenshot in web/test-results/.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const WEB_ROOT = fileURLToPath(new URL("..", import.meta.url));
const REPO_ROOT = join(WEB_ROOT, "..");
const RESULTS = join(WEB_ROOT, "test-results");
const SCREENSHOT = process.env.AURAOS_E2E_SCREENSHOT ?? join(REPO_ROOT, "docs", "screenshots", "chat.png");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const REPLY_MS = Number(process.env.AURAOS_E2E_REPLY_TIMEOUT_MS ?? 60_000);
const UI_MS = 15_000;

const SKILL_PROMPT = "what is 6 * 7";
const LLM_PROMPT = "Hello! Can you suggest a name for a pet goldfish?";
const OFFLINE_PROMPT = "what is 5 + 4";
const STORY_PROMPT = "Write a long story about a dragon, at least ten sentences.";
const EDIT_FROM = "what is 2 + 2";
const EDIT_TO = "what is 3 + 3";
const BRANCH_PROMPT = "what is 10 - 3";
const REMINDER_PROMPT = "Remind me to stretch in 1 minute";
const MEMORY_PROMPT = "Hi, I'm Sam. I live in Porto.";
const MEMORY_TEXT = "Lives in Porto";
const RECALL_PROMPT = "Where do I live?";
const TIME_ZONE = "Europe/Lisbon"; // the browser's; the profile follows it at sign-in
// The local scheduler fires due reminders once a minute: "in 1 minute" fires within ~2 minutes.
const FIRE_MS = Number(process.env.AURAOS_E2E_FIRE_TIMEOUT_MS ?? 150_000);
const PASSWORD = "e2e-password-1";

/** host:port of the auth, firestore, functions and hosting emulators. */
async function emulatorHosts() {
  const found = {
    auth: "127.0.0.1:9099",
    firestore: "127.0.0.1:8080",
    functions: "127.0.0.1:5001",
    hosting: "127.0.0.1:5173",
  };
  const hub = process.env.FIREBASE_EMULATOR_HUB;
  if (hub) {
    try {
      const response = await fetch(`http://${hub}/emulators`, { signal: AbortSignal.timeout(5000) });
      const listed = await response.json();
      for (const name of Object.keys(found)) {
        if (listed[name]?.port) found[name] = `${listed[name].host}:${listed[name].port}`;
      }
    } catch (error) {
      console.warn(`# emulator hub ${hub} not readable (${error.message}); using env/defaults`);
    }
  }
  if (process.env.FIREBASE_AUTH_EMULATOR_HOST) found.auth = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (process.env.FIRESTORE_EMULATOR_HOST) found.firestore = process.env.FIRESTORE_EMULATOR_HOST;
  if (process.env.FUNCTIONS_EMULATOR_HOST) found.functions = process.env.FUNCTIONS_EMULATOR_HOST;
  if (process.env.AURAOS_WEB_URL) found.hosting = new URL(process.env.AURAOS_WEB_URL).host;
  return found;
}

async function reachable(hostPort) {
  try {
    await fetch(`http://${hostPort}/`, { signal: AbortSignal.timeout(3000) });
    return true;
  } catch {
    return false;
  }
}

describe("AuraOS PWA on the emulators", { timeout: 15 * 60_000 }, () => {
  let hosts;
  let appUrl;
  let browser;
  let context;
  let page;
  let failed = false;
  const email = `ada.${Date.now().toString(36)}@example.com`; // unique: reruns on live emulators
  const pageErrors = [];

  /** One step of the journey; later steps are skipped once one fails. */
  function step(name, fn, timeout = 2 * 60_000) {
    it(name, { timeout }, async (t) => {
      if (failed) {
        t.skip("an earlier step failed");
        return;
      }
      try {
        await fn(t);
      } catch (error) {
        failed = true;
        if (page) {
          await mkdir(RESULTS, { recursive: true });
          const file = join(RESULTS, `${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`);
          await page.screenshot({ path: file, fullPage: true }).catch(() => {});
          console.error(`# screenshot of the failure: ${file}`);
          if (pageErrors.length) console.error(`# page errors:\n${pageErrors.join("\n")}`);
        }
        throw error;
      }
    });
  }

  const turn = (n) => page.locator(`#turn-list > li.turn:nth-child(${n})`);
  const turnCount = () => page.locator("#turn-list > li.turn").count();

  /** The user's uid, from the Auth emulator (the page keeps it to itself). */
  async function userId() {
    const response = await fetch(
      `http://${hosts.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-key`,
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD, returnSecureToken: true }),
      },
    );
    const body = await response.json();
    assert.ok(body.localId, `no uid for ${email}: ${JSON.stringify(body)}`);
    return body.localId;
  }

  /** A document's fields as the Firestore emulator stores them (read as owner: no rules). */
  async function storedDoc(path) {
    const project = process.env.GCLOUD_PROJECT ?? "demo-auraos";
    const response = await fetch(
      `http://${hosts.firestore}/v1/projects/${project}/databases/(default)/documents/${path}`,
      { headers: { Authorization: "Bearer owner" } },
    );
    assert.equal(response.status, 200, `${path}: HTTP ${response.status}`);
    const fields = (await response.json()).fields ?? {};
    return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.stringValue ?? v]));
  }

  /** Poll `read` until `check` holds for its value (or fail with the last one). */
  async function eventually(read, check, what, timeout = UI_MS) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      last = await read();
      if (check(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail(`${what}: still ${JSON.stringify(last)} after ${timeout} ms`);
  }

  const conversationId = () => /#\/c\/([A-Za-z0-9_-]+)$/.exec(page.url())?.[1];

  async function waitForTerminal(n, timeout = REPLY_MS) {
    await page.waitForSelector(
      `#turn-list > li.turn:nth-child(${n}):is([data-state="COMPLETED"], [data-state="ERROR"], [data-state="BLOCKED"])`,
      { timeout },
    );
    return turn(n).getAttribute("data-state");
  }

  before(async () => {
    hosts = await emulatorHosts();
    for (const [name, hostPort] of Object.entries(hosts)) {
      assert.ok(
        await reachable(hostPort),
        `the ${name} emulator is not reachable at ${hostPort}: run the tests inside ` +
          `emulators/exec.sh (see web/README.md)`,
      );
    }
    assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    await rm(RESULTS, { recursive: true, force: true });
    appUrl = `http://${hosts.hosting}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
      colorScheme: "light",
      reducedMotion: "reduce",
      timezoneId: TIME_ZONE,
    });
    context.setDefaultTimeout(UI_MS);
    page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
    });
    console.log(`# app ${appUrl}; emulators ${JSON.stringify(hosts)}`);
  });

  after(async () => {
    await browser?.close();
  });

  step("loads the shell from the Hosting emulator: headers, manifest, service worker", async () => {
    const response = await page.goto(appUrl);
    assert.equal(response.headers()["cache-control"], "no-cache");
    const script = await page.getAttribute('script[type="module"][src^="/assets/"]', "src");
    const asset = await fetch(new URL(script, appUrl));
    assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal((await fetch(new URL("/sw.js", appUrl))).headers.get("cache-control"), "no-cache");
    // The SPA rewrite: any path gets the shell.
    const deep = await fetch(new URL("/c/some-conversation", appUrl));
    assert.match(await deep.text(), /<title>AuraOS<\/title>/);
    await page.locator("#auth-form").waitFor();
    const manifest = await page.evaluate(async () => {
      const href = document.querySelector('link[rel="manifest"]').href;
      return (await fetch(href)).json();
    });
    assert.equal(manifest.name, "AuraOS");
    const scope = await page.evaluate(() =>
      navigator.serviceWorker.ready.then((registration) => registration.scope),
    );
    assert.equal(scope, appUrl);
  });

  step("shows the server's refusal of a bad sign-in", async () => {
    await page.fill("#email", email);
    await page.fill("#password", PASSWORD);
    await page.click('button[value="signin"]');
    await page.locator("#auth-error:not(:empty)").waitFor();
    assert.ok(await page.locator("#app-view").isHidden());
  });

  step("signs up; the blocking functions create the profile", async () => {
    await page.click('button[value="signup"]');
    await page.locator("#app-view").waitFor();
    assert.equal(await page.textContent("#account-email"), email);
    // getProfile answered: the switches are enabled once the profile is loaded.
    await page.locator("#consent-analytics:enabled").waitFor();
    assert.equal(await page.isChecked("#consent-personalization"), false);
    await page.fill("#display-name", "Ada");
    await page.press("#display-name", "Enter"); // updateProfile
    await page.locator("#profile-status", { hasText: "Saved." }).waitFor();
  });

  step("keeps the profile's time zone to the browser's (updateProfile at sign-in)", async () => {
    const uid = await userId();
    await eventually(
      async () => (await storedDoc(`users/${uid}`)).timeZone,
      (zone) => zone === TIME_ZONE,
      "the profile's timeZone",
    );
  });

  step("adds a task to a list from the panel and completes it with its checkbox", async () => {
    await page.fill("#task-text", "buy oat milk");
    await page.fill("#task-list", "shopping");
    await page.click("#task-form button[type=submit]");
    await page.locator("#tasks-status", { hasText: "Added buy oat milk." }).waitFor();
    const group = page.locator('.task-group[data-list="shopping"]');
    await group.locator("h3", { hasText: "Shopping (1 open)" }).waitFor(); // through the listener
    const checkbox = group.getByRole("checkbox", { name: "buy oat milk" });
    assert.equal(await checkbox.isChecked(), false);
    const taskId = await group.locator("li.task").getAttribute("data-key");
    await checkbox.click(); // completeTask
    await group.locator('li.task[data-done="true"]').waitFor();
    await group.locator("h3", { hasText: "Shopping (0 open)" }).waitFor();
    assert.ok(await checkbox.isChecked());
    const uid = await userId();
    const stored = await storedDoc(`users/${uid}/tasks/${taskId}`);
    assert.equal(stored.done?.booleanValue, true, `the task is not done: ${JSON.stringify(stored)}`);
    assert.ok(stored.doneAt, "the task has no doneAt");
  });

  step(
    "sends two messages; both replies stream and complete",
    async () => {
      // Record every state and response length each turn goes through, as the listener delivers them.
      await page.evaluate(() => {
        window.__seen = {};
        const record = () => {
          for (const el of document.querySelectorAll("#turn-list > li.turn")) {
            const seen = (window.__seen[el.dataset.turnId] ??= { states: [], lengths: [] });
            if (seen.states.at(-1) !== el.dataset.state) seen.states.push(el.dataset.state);
            const length = el.querySelector(".response").textContent.length;
            if (seen.lengths.at(-1) !== length) seen.lengths.push(length);
          }
        };
        new MutationObserver(record).observe(document.querySelector("#turn-list"), {
          subtree: true,
          childList: true,
          characterData: true,
          attributes: true,
          attributeFilter: ["data-state"],
        });
      });

      await page.fill("#prompt", SKILL_PROMPT);
      await page.press("#prompt", "Enter");
      await turn(1).waitFor();
      assert.equal(await turn(1).locator(".prompt").textContent(), SKILL_PROMPT);
      assert.equal(await waitForTerminal(1), "COMPLETED");
      assert.match(await turn(1).locator(".response").textContent(), /42/);

      await page.fill("#prompt", LLM_PROMPT);
      await page.press("#prompt", "Enter");
      await turn(2).waitFor();
      assert.equal(await waitForTerminal(2), "COMPLETED");
      const reply = (await turn(2).locator(".response").textContent()).trim();
      assert.ok(reply.length > 0, "the model's reply is empty");
      assert.match(await turn(2).locator(".meta").textContent(), /\//); // provider/model

      const seen = await page.evaluate(() => window.__seen);
      const [skill, llm] = await Promise.all([1, 2].map((n) => turn(n).getAttribute("data-turn-id")));
      console.log(`# states seen: ${JSON.stringify({ skill: seen[skill], llm: seen[llm] })}`);
      for (const id of [skill, llm]) {
        assert.equal(seen[id].states.at(-1), "COMPLETED");
        assert.ok(seen[id].states.length >= 2, `turn ${id} went straight to its end state`);
      }
      assert.ok(
        seen[llm].states.includes("STREAMING"),
        `the model's reply did not stream: ${seen[llm].states.join(" → ")}`,
      );
      assert.ok(seen[llm].lengths.length >= 3, `the reply did not grow: ${seen[llm].lengths}`);

      // The conversation list (ordered by updatedAt) shows it, titled by the first prompt.
      await page.locator('#conversation-list button[aria-current="true"]').waitFor();
      assert.equal(await page.textContent("#chat-title"), SKILL_PROMPT);

      await mkdir(join(SCREENSHOT, ".."), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      console.log(`# chat screenshot: ${SCREENSHOT}`);
    },
    2 * REPLY_MS + 60_000,
  );

  step(
    "regenerates a reply; the earlier attempt is kept",
    async () => {
      const button = turn(1).locator("button.regenerate");
      await button.click();
      await page.waitForSelector('#turn-list > li.turn:nth-child(1)[data-attempt="2"]', {
        timeout: REPLY_MS,
      });
      assert.equal(await waitForTerminal(1), "COMPLETED");
      assert.match(await turn(1).locator(".response").textContent(), /42/);
      assert.equal(await turn(1).locator(".attempts summary").textContent(), "Earlier attempts (1)");
      assert.ok(await button.isEnabled());
    },
    REPLY_MS + 30_000,
  );

  step(
    "offline: a message sent offline waits on the device, then is answered once back online",
    async () => {
      await context.setOffline(true);
      await page.locator("#connection").waitFor({ state: "visible" });
      await page.fill("#prompt", OFFLINE_PROMPT);
      await page.press("#prompt", "Enter");
      await turn(3).waitFor();
      assert.equal(await turn(3).locator(".prompt").textContent(), OFFLINE_PROMPT);
      // Queued in Firestore's local cache, not sent: it stays pending while offline.
      await page.waitForTimeout(2000);
      assert.equal(await turn(3).getAttribute("data-state"), "PENDING");
      assert.equal(await turn(3).locator(".badge").textContent(), "Waiting to send");
      assert.ok(await page.locator("#send").isEnabled(), "the composer is blocked while offline");

      await context.setOffline(false);
      await page.locator("#connection").waitFor({ state: "hidden" });
      assert.equal(await waitForTerminal(3), "COMPLETED");
      assert.match(await turn(3).locator(".response").textContent(), /9/);
    },
    REPLY_MS + 60_000,
  );

  step("offline: a reload shows the conversation from the device's cache", async () => {
    await context.setOffline(true);
    const response = await page.reload();
    assert.ok(response?.fromServiceWorker(), "the offline reload was not answered by the service worker");
    assert.equal(await page.evaluate(() => navigator.onLine), false);
    await page.locator("#app-view").waitFor();
    await page.locator("#connection").waitFor({ state: "visible" });
    await turn(3).waitFor();
    assert.equal(await turn(3).getAttribute("data-state"), "COMPLETED");
    assert.match(await turn(3).locator(".response").textContent(), /9/);
    assert.match(await turn(1).locator(".response").textContent(), /42/);
    await context.setOffline(false);
    // The profile (a callable) loads once the connection returns.
    await page.locator("#consent-analytics:enabled").waitFor({ timeout: 60_000 });
  });

  step("toggles consent; recommendations follow it and it survives a reload", async () => {
    await page.locator('#recs [data-empty="consent"]').waitFor();
    await page.click('label[for="consent-personalization"]');
    await page.locator("#consent-status", { hasText: "Saved." }).waitFor();
    assert.equal(await page.isChecked("#consent-personalization"), true);
    await page.locator('#recs [data-empty="none"]').waitFor();
    await page.click("#recs-refresh");
    await page.locator('#recs [data-empty="none"]').waitFor();

    await page.click('label[for="consent-analytics"]');
    await page.locator("#consent-analytics:checked:enabled").waitFor();

    await page.reload();
    await page.locator("#consent-personalization:enabled").waitFor();
    assert.equal(await page.isChecked("#consent-personalization"), true);
    assert.equal(await page.isChecked("#consent-analytics"), true);
    // The open conversation comes back from the URL.
    await turn(2).waitFor();
    assert.equal(await turn(1).getAttribute("data-attempt"), "2");
  });

  step(
    "stops a long reply while it streams: Stopped, the partial reply kept, Regenerate offered",
    async () => {
      const n = (await turnCount()) + 1;
      await page.fill("#prompt", STORY_PROMPT);
      await page.press("#prompt", "Enter");
      const story = turn(n);
      await story.waitFor();
      assert.equal(await story.locator(".prompt").textContent(), STORY_PROMPT);
      const stop = story.locator("button.stop");
      // Streaming, with some of the story already there.
      await page.waitForFunction(
        (i) => {
          const el = document.querySelector(`#turn-list > li.turn:nth-child(${i})`);
          return el?.dataset.state === "STREAMING" && el.querySelector(".response").textContent.length >= 40;
        },
        n,
        { timeout: REPLY_MS },
      );
      assert.ok(await stop.isVisible(), "no Stop button while the reply streams");
      assert.match(await stop.getAttribute("aria-label"), /^Stop the reply to /);
      assert.ok(await story.locator("button.regenerate").isDisabled());
      // From the keyboard.
      await stop.focus();
      const before = (await story.locator(".response").textContent()).trim();
      await page.keyboard.press("Enter");
      await page.waitForSelector(`#turn-list > li.turn:nth-child(${n})[data-state="STOPPED"]`, {
        timeout: REPLY_MS,
      });
      assert.equal(await story.locator(".badge").textContent(), "Stopped");
      const kept = (await story.locator(".response").textContent()).trim();
      assert.ok(kept.startsWith(before), `the partial reply was not kept: ${JSON.stringify({ before, kept })}`);
      await page.waitForTimeout(2000);
      assert.equal((await story.locator(".response").textContent()).trim(), kept, "the reply grew after STOPPED");
      assert.ok(await stop.isHidden(), "Stop is still offered after the reply stopped");
      const regenerate = story.locator("button.regenerate");
      assert.ok(await regenerate.isEnabled(), "Regenerate is not offered on a stopped reply");
      assert.equal(
        await page.evaluate(() => document.activeElement?.classList.contains("regenerate")),
        true,
        "the focus did not move from Stop to Regenerate",
      );
      console.log(`# stopped after ${kept.length} characters: ${JSON.stringify(kept.slice(0, 80))}…`);

      // Regenerate from STOPPED, and stop the new attempt as soon as it is queued.
      await regenerate.click();
      await page.waitForSelector(`#turn-list > li.turn:nth-child(${n})[data-attempt="2"]`, { timeout: REPLY_MS });
      await stop.waitFor({ state: "visible", timeout: REPLY_MS });
      await stop.click();
      await page.waitForSelector(`#turn-list > li.turn:nth-child(${n})[data-state="STOPPED"]`, {
        timeout: REPLY_MS,
      });
      assert.equal(await story.locator(".attempts summary").textContent(), "Earlier attempts (1)");
      assert.match(await story.locator(".attempts li").first().textContent(), /\(stopped\)$/);
      assert.ok(await regenerate.isEnabled());
    },
    3 * REPLY_MS + 30_000,
  );

  step(
    "edits a sent prompt into a new branch; < 1/2 > switches versions; the shown branch survives a reload",
    async () => {
      await page.click("#new-chat");
      await page.fill("#prompt", EDIT_FROM);
      await page.press("#prompt", "Enter");
      await turn(1).waitFor();
      assert.equal(await waitForTerminal(1), "COMPLETED");
      assert.match(await turn(1).locator(".response").textContent(), /\b4\b/);
      const originalId = await turn(1).getAttribute("data-turn-id");
      const cid = conversationId();
      assert.ok(cid, `no conversation in the URL: ${page.url()}`);
      assert.ok(await turn(1).locator(".versions").isHidden(), "versions shown on a turn without edits");

      // Edit opens an inline editor; Escape cancels and gives the focus back.
      const edit = turn(1).locator("button.edit");
      await edit.click();
      const editor = turn(1).locator(".edit-form textarea");
      await editor.waitFor();
      assert.equal(await editor.inputValue(), EDIT_FROM);
      assert.equal(await editor.evaluate((el) => el === document.activeElement), true);
      await editor.press("Escape");
      await editor.waitFor({ state: "detached" });
      assert.ok(await turn(1).locator(".prompt").isVisible());
      assert.equal(await edit.evaluate((el) => el === document.activeElement), true);

      // From the keyboard: Enter on Edit, type, Enter saves a new version.
      await page.keyboard.press("Enter");
      await editor.waitFor();
      await editor.fill(EDIT_TO);
      await editor.press("Enter");
      await page.locator("#turn-list > li.turn:nth-child(1) .prompt", { hasText: EDIT_TO }).waitFor();
      assert.equal(await turnCount(), 1);
      assert.equal(await waitForTerminal(1), "COMPLETED");
      assert.match(await turn(1).locator(".response").textContent(), /\b6\b/);
      assert.equal(await turn(1).locator(".version-count").textContent(), "2/2");
      assert.ok(await turn(1).getByRole("button", { name: "Previous version" }).isEnabled());
      assert.ok(await turn(1).getByRole("button", { name: "Next version" }).isDisabled());
      const editId = await turn(1).getAttribute("data-turn-id");
      assert.notEqual(editId, originalId);

      // A message sent now goes into the edit's branch.
      await page.fill("#prompt", BRANCH_PROMPT);
      await page.press("#prompt", "Enter");
      await turn(2).waitFor();
      assert.equal(await waitForTerminal(2), "COMPLETED");
      assert.match(await turn(2).locator(".response").textContent(), /\b7\b/);
      const followUpId = await turn(2).getAttribute("data-turn-id");
      assert.ok(await turn(2).locator(".versions").isHidden());

      // As stored: the edit names its parent and its own branch; the follow-up that branch.
      const uid = await userId();
      const messages = `users/${uid}/conversations/${cid}/messages`;
      const edited = await storedDoc(`${messages}/${editId}`);
      assert.equal(edited.parentTurnId, originalId);
      assert.equal(edited.branch, editId);
      assert.equal((await storedDoc(`${messages}/${followUpId}`)).branch, editId);
      assert.equal((await storedDoc(`${messages}/${originalId}`)).branch, "main", "the server did not write branch main");

      // "<": back to the original prompt and its answer, alone in the main thread.
      await turn(1).getByRole("button", { name: "Previous version" }).click();
      await page.locator("#turn-list > li.turn:nth-child(1) .prompt", { hasText: EDIT_FROM }).waitFor();
      assert.equal(await turn(1).getAttribute("data-turn-id"), originalId);
      assert.match(await turn(1).locator(".response").textContent(), /\b4\b/);
      assert.equal(await turn(1).locator(".version-count").textContent(), "1/2");
      assert.equal(await turnCount(), 1);
      // The focus stays on the version buttons ("Previous" is disabled now: "Next").
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute("aria-label")),
        "Next version",
      );
      await eventually(
        async () => (await storedDoc(`users/${uid}/conversations/${cid}`)).activeLeaf,
        (leaf) => leaf === originalId,
        "the conversation's activeLeaf",
      );

      // A reload shows the branch last chosen (the newest turn is in the other one).
      await page.reload();
      await turn(1).waitFor();
      await page.locator("#turn-list > li.turn:nth-child(1) .version-count", { hasText: "1/2" }).waitFor();
      assert.equal(await turn(1).locator(".prompt").textContent(), EDIT_FROM);
      assert.equal(await turnCount(), 1);

      // ">": the edit's branch again, with its newest turn.
      await turn(1).getByRole("button", { name: "Next version" }).click();
      await page.locator("#turn-list > li.turn:nth-child(1) .prompt", { hasText: EDIT_TO }).waitFor();
      assert.equal(await turn(1).locator(".version-count").textContent(), "2/2");
      assert.equal(await turnCount(), 2);
      assert.equal(await turn(2).locator(".prompt").textContent(), BRANCH_PROMPT);
      assert.match(await turn(2).locator(".response").textContent(), /\b7\b/);
      await eventually(
        async () => (await storedDoc(`users/${uid}/conversations/${cid}`)).activeLeaf,
        (leaf) => leaf === followUpId,
        "the conversation's activeLeaf",
      );
      await mkdir(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, "branches.png") });
    },
    4 * REPLY_MS + 30_000,
  );

  step(
    "sets a reminder by chat, sees it listed and its tool call, and sees it fire",
    async (t) => {
      await page.click("#new-chat");
      await page.fill("#prompt", REMINDER_PROMPT);
      await page.press("#prompt", "Enter");
      await turn(1).waitFor();
      assert.equal(await waitForTerminal(1), "COMPLETED");
      const reply = await turn(1).locator(".response").textContent();
      if ((await turn(1).locator(".tool-calls li").count()) === 0) {
        // The chat's tools (ai_service, issue #16) are not there yet: the turn has no toolCalls.
        t.skip(`the chat answered without tools (no toolCalls on the turn): ${JSON.stringify(reply.slice(0, 120))}`);
        return;
      }
      const call = turn(1).locator('.tool-calls li[data-tool="create_reminder"]');
      assert.equal(await call.getAttribute("data-status"), "ok");
      assert.match(await call.textContent(), /^create_reminder · ok/);
      assert.match(reply, /remind you to stretch (today|tomorrow) at \d\d:\d\d/);

      // Listed in the panel through the reminders listener, due in the profile's zone.
      const reminder = page.locator("#reminder-list li", { hasText: "stretch" });
      await reminder.waitFor();
      assert.equal(await reminder.getAttribute("data-status"), "scheduled");
      assert.match(await reminder.locator(".item-when").textContent(), /^(today|tomorrow) at \d\d:\d\d$/);
      const reminderId = await reminder.getAttribute("data-key");

      // The scheduler fires it: the reminder turns fired and a notification shows.
      const started = Date.now();
      const toast = page.locator("#notification-list .toast", { hasText: "stretch" });
      await toast.waitFor({ timeout: FIRE_MS });
      console.log(`# the reminder fired ${Math.round((Date.now() - started) / 1000)} s after it was listed`);
      await page.locator(`#reminder-list li[data-key="${reminderId}"][data-status="fired"]`).waitFor();
      const notificationId = await toast.getAttribute("data-notification-id");
      await mkdir(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, "reminder-fired.png") });

      // Dismiss marks it read (markNotificationsRead): gone here and read as stored.
      await toast.getByRole("button", { name: /^Dismiss/ }).click();
      await toast.waitFor({ state: "detached" });
      const uid = await userId();
      await eventually(
        async () => (await storedDoc(`users/${uid}/notifications/${notificationId}`)).readAt,
        Boolean,
        "the notification's readAt",
      );
      assert.equal((await storedDoc(`users/${uid}/reminders/${reminderId}`)).status, "fired");
    },
    REPLY_MS + FIRE_MS + 60_000,
  );

  let memoryConversation = null; // the conversation that told Aura where the user lives

  step(
    "remembers what the user says: the memory is listed, a reply uses it, and deleting it forgets it",
    async () => {
      // Memory follows the personalisation consent (on since the consent step, unless run alone).
      await page.locator("#consent-personalization:enabled").waitFor();
      if (!(await page.isChecked("#consent-personalization"))) {
        await page.locator("#memories-off").waitFor();
        await page.click('label[for="consent-personalization"]');
        await page.locator("#consent-status", { hasText: "Saved." }).waitFor();
      }
      await page.locator("#memories-off").waitFor({ state: "hidden" });

      await page.click("#new-chat");
      await page.fill("#prompt", MEMORY_PROMPT);
      await page.press("#prompt", "Enter");
      await turn(1).waitFor();
      assert.equal(await waitForTerminal(1), "COMPLETED");
      memoryConversation = conversationId();
      const memory = page.locator("#memory-list li", { hasText: MEMORY_TEXT });
      await memory.waitFor(); // through the memories listener
      assert.equal(await memory.locator(".item-text").textContent(), MEMORY_TEXT);
      assert.match(await memory.locator(".memory-kind").textContent(), /^(Fact|Preference|Person|Date)$/);
      const memoryId = await memory.getAttribute("data-key");

      // Another conversation: the reply comes from the memory, and says so under it.
      await page.click("#new-chat");
      await page.fill("#prompt", RECALL_PROMPT);
      await page.press("#prompt", "Enter");
      await turn(1).waitFor();
      assert.equal(await waitForTerminal(1), "COMPLETED");
      assert.match(await turn(1).locator(".response").textContent(), /Porto/);
      const used = turn(1).locator(".memories-used");
      assert.match(await used.locator("summary").textContent(), /^Used \d+ memor(y|ies)$/);
      await used.locator("summary").click();
      await used.locator(`li[data-memory-id="${memoryId}"]`, { hasText: MEMORY_TEXT }).waitFor();

      // Delete asks once more, then the document is gone, from the panel and from Firestore.
      await memory.getByRole("button", { name: `Delete the memory “${MEMORY_TEXT}”` }).click();
      await memory.getByRole("button", { name: `Confirm: forget “${MEMORY_TEXT}”` }).click();
      await memory.waitFor({ state: "detached" });
      await page.locator("#memories-status", { hasText: `Forgot “${MEMORY_TEXT}”.` }).waitFor();
      const uid = await userId();
      const project = process.env.GCLOUD_PROJECT ?? "demo-auraos";
      const stored = await fetch(
        `http://${hosts.firestore}/v1/projects/${project}/databases/(default)/documents/users/${uid}/memories/${memoryId}`,
        { headers: { Authorization: "Bearer owner" } },
      );
      assert.equal(stored.status, 404, "the memory is still stored");
      // The reply that used it now says the memory is gone.
      await used.locator(`li[data-memory-id="${memoryId}"][data-gone="true"]`).waitFor();
      await mkdir(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, "memories.png") });
    },
    2 * REPLY_MS + 60_000,
  );

  step("searches conversations: 'Porto' finds the conversation that said it and opens it", async (t) => {
    assert.ok(memoryConversation, "no conversation from the memory step");
    await page.fill("#search-query", "Porto");
    await page.press("#search-query", "Enter");
    const status = page.locator("#search-status");
    await eventually(() => status.textContent(), (text) => text && text !== "Searching…", "the search status", REPLY_MS);
    const said = await status.textContent();
    if (/^Search failed: .*(not[ -]found|NOT_FOUND|does not exist)/i.test(said)) {
      t.skip(`searchConversations is not deployed on the emulators: ${said}`);
      return;
    }
    assert.doesNotMatch(said, /^Search failed/);
    const result = page.locator(`#search-list button[data-cid="${memoryConversation}"]`).first();
    await result.waitFor();
    const turnId = await result.getAttribute("data-turn-id");
    console.log(`# search 'Porto': ${said}; the conversation found by ${await result.getAttribute("data-match")}`);
    await result.click();
    await page.waitForFunction((cid) => location.hash === `#/c/${cid}`, memoryConversation);
    await page.locator("#turn-list > li.turn", { hasText: MEMORY_PROMPT }).waitFor();
    if (turnId) {
      await page.locator(`#turn-list > li.turn.found[data-turn-id="${turnId}"]`).waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.turnId), turnId);
    }
    await page.click("#search-clear");
    assert.ok(await page.locator("#search-results").isHidden());
  }, REPLY_MS + 30_000);

  step("fits a 375 px wide screen; drawers open and close from the keyboard", async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(overflow, 0, "the page scrolls sideways at 375 px");
    assert.ok(await page.locator("#prompt").isVisible());
    assert.ok(await page.locator("#sidebar").isHidden());
    await mkdir(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, "chat-375px.png") });
    await page.focus("#toggle-nav");
    await page.keyboard.press("Enter");
    await page.locator("#sidebar.open #new-chat").waitFor({ state: "visible" });
    assert.equal(await page.getAttribute("#toggle-nav", "aria-expanded"), "true");
    await page.keyboard.press("Escape");
    await page.locator("#sidebar").waitFor({ state: "hidden" });
    assert.equal(await page.evaluate(() => document.activeElement?.id), "toggle-nav");
    await page.click("#toggle-panel");
    await page.locator("#panel.open #export").waitFor({ state: "visible" });
    await page.screenshot({ path: join(RESULTS, "panel-375px.png") });
    await page.keyboard.press("Escape");
    await page.locator("#panel").waitFor({ state: "hidden" });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  step("exports my data as a JSON download", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    assert.match(download.suggestedFilename(), /^auraos-export-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(await readFile(await download.path(), "utf8"));
    assert.ok(exported.uid, "the export has no uid");
    const text = JSON.stringify(exported);
    assert.ok(text.includes(SKILL_PROMPT), "the export does not hold the conversation");
    assert.ok(text.includes(email), "the export does not hold the profile");
    await page.locator("#data-status", { hasText: "downloaded" }).waitFor();
  });

  step("deletes the account, signs out, and the account is gone, from the device too", async () => {
    await page.click("#delete-account");
    await page.locator("#delete-dialog[open]").waitFor();
    // Signing out clears Firestore's local cache, then reloads the page.
    await Promise.all([page.waitForEvent("load", { timeout: REPLY_MS }), page.click("#delete-confirm")]);
    await page.locator('body[data-auth="signed-out"]').waitFor(); // Auth has answered
    assert.match(await page.textContent("#auth-notice"), /deleted/);
    const databases = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.deepEqual(
      databases.filter((name) => name.startsWith("firestore/")),
      [],
      `the Firestore cache is still on the device: ${databases}`,
    );
    // Signing in again is refused (the deletion is in progress or done).
    await page.fill("#email", email);
    await page.fill("#password", PASSWORD);
    await page.click('button[value="signin"]');
    await page.locator("#auth-error:not(:empty)").waitFor();
    assert.ok(await page.locator("#app-view").isHidden());
    // The server deletes the Auth user asynchronously.
    const deadline = Date.now() + REPLY_MS;
    let last = "";
    while (Date.now() < deadline) {
      const response = await fetch(
        `http://${hosts.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo-key`,
        {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email, password: PASSWORD, returnSecureToken: true }),
        },
      );
      last = JSON.stringify(await response.json());
      if (last.includes("EMAIL_NOT_FOUND")) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.fail(`the Auth user still exists after ${REPLY_MS} ms: ${last}`);
  }, REPLY_MS + 60_000);
});
