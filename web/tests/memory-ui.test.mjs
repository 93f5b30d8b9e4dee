/**
 * Memories, "Used N memories" and conversation search (issue #17) in headless Chromium, without
 * emulators: the You panel (src/panel.js), the assistant chunk's views (src/assistant-views.js)
 * and the chat (src/chat.js) on the fake Firestore and callables of tests/ui/, the test playing
 * the backend (its writes, getProfile, setConsent, searchConversations). Part of
 * `npm --prefix web run test:unit`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { axeViolations, noBrowser, openPage, src } from "./ui/harness.mjs";

const USER = "users/u1";
const MEMORIES = `${USER}/memories`;

describe("memories, used memories, conversation search (fake Firestore)", { skip: noBrowser }, () => {
  let opened;
  let page;
  const server = (path, changes) => page.evaluate(([p, c]) => window.fake.server(p, c), [path, changes]);
  const calls = (name) =>
    page.evaluate((n) => JSON.parse(JSON.stringify(window.fake.calls)).filter(([called]) => called === n), name);
  const writes = () => page.evaluate(() => JSON.parse(JSON.stringify(window.fake.writes)));
  const settle = () => page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 20)));
  const texts = (selector) => page.locator(selector).allTextContents();
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.id);
  /** The callable `name` answers with `source`, a function of the request (it may throw), in the page. */
  const answer = (name, source) =>
    page.evaluate(([n, s]) => (window.answers[n] = (0, eval)(s)), [name, source]);

  before(async () => {
    opened = await openPage(
      `import { Panel } from ${src("panel.js")};
import { assistantViews } from ${src("assistant-views.js")};
import { ChatView } from ${src("chat.js")};
document.querySelector("#auth-view").hidden = true;
document.querySelector("#app-view").hidden = false;
window.answers = { getProfile: { consent: { personalization: false }, timeZone: "Europe/Lisbon" } };
window.fake.onCall = (name, data) => {
  const found = window.answers[name];
  return typeof found === "function" ? found(data) : (found ?? {});
};
window.chat = new ChatView({});
window.chat.start("u1", null);
new Panel({ onAccountDeleted() {} }).start("u1");
const views = assistantViews({ showPanel() {}, openConversation: (cid, turnId) => window.chat.open(cid, { turnId }) });
for (const view of Object.values(views)) view.start("u1");
`,
      { timezoneId: "Europe/Lisbon" },
    );
    page = opened.page;
    await settle();
  });

  after(async () => {
    await opened?.close();
  });

  it("memory off: says so and points to the personalisation switch; turning it on shows the list", async () => {
    const off = page.locator("#memories-off");
    await off.waitFor();
    assert.equal(
      await off.locator("p").textContent(),
      "Memory is off. Turn on personalisation to let Aura remember what you tell it.",
    );
    assert.ok(await page.locator("#memories-empty").isHidden());
    await page.getByRole("button", { name: "Go to the personalisation switch" }).click();
    assert.equal(await focused(), "consent-personalization");

    await answer("setConsent", "() => ({ consent: { analytics: false, personalization: true } })");
    await page.keyboard.press("Space");
    await page.locator("#consent-status", { hasText: "Saved." }).waitFor();
    assert.deepEqual(await calls("setConsent"), [["setConsent", { personalization: true }]]);
    await off.waitFor({ state: "hidden" });
    assert.ok(await page.locator("#memories-empty").isVisible());
    assert.equal(
      await page.textContent("#memories-hint"),
      "To change one, tell Aura (e.g. 'Actually I moved to Lisbon').",
    );
  });

  it("lists memories newest first with their kind, the vector left out", async () => {
    await server(`${MEMORIES}/m1`, {
      text: "Is called Sam",
      kind: "person",
      slot: "name",
      createdAt: "2026-01-01T10:00:00Z",
      updatedAt: "2026-01-01T10:00:00Z",
      embedding: [0.1, 0.2],
    });
    await server(`${MEMORIES}/m2`, {
      text: "Lives in Porto",
      kind: "fact",
      slot: "home",
      createdAt: "2026-01-01T10:00:01Z",
      updatedAt: new Date().toISOString(),
    });
    await server(`${MEMORIES}/m3`, { text: "Likes jazz", kind: "preference", updatedAt: "2026-01-01T09:00:00Z" });
    assert.deepEqual(await texts("#memory-list .item-text"), ["Lives in Porto", "Is called Sam", "Likes jazz"]);
    assert.deepEqual(await texts("#memory-list .memory-kind"), ["Fact", "Person", "Preference"]);
    assert.match(await page.textContent('#memory-list [data-key="m2"] .item-when'), /^Fact · just now$/);
    assert.ok(await page.locator("#memories-empty").isHidden());
    assert.equal(await page.locator("#memory-list").textContent().then((t) => t.includes("0.1")), false);
  });

  it("Delete asks once more; Escape takes it back; the second click deletes the document", async () => {
    const del = page.getByRole("button", { name: "Delete the memory “Is called Sam”" });
    await del.click();
    const confirm = page.getByRole("button", { name: "Confirm: forget “Is called Sam”" });
    await confirm.waitFor();
    assert.equal(await focused(), "Confirm: forget “Is called Sam”", "the focus left the button");
    assert.equal((await writes()).filter(([op]) => op === "delete").length, 0, "deleted on the first click");
    await page.keyboard.press("Escape");
    await del.waitFor();
    assert.equal(await focused(), "Delete the memory “Is called Sam”");

    await del.click();
    await confirm.click();
    assert.deepEqual((await writes()).at(-1), ["delete", `${MEMORIES}/m1`]);
    await page.locator("#memories-status", { hasText: "Forgot “Is called Sam”." }).waitFor();
    assert.deepEqual(await texts("#memory-list .item-text"), ["Lives in Porto", "Likes jazz"]);
    assert.equal(await focused(), "Delete the memory “Likes jazz”", "the focus did not move to the next memory");
  });

  it("a refused delete brings the memory back with the reason", async () => {
    await page.evaluate(() => (window.fake.refuse = (path, changes) => changes === null && path.endsWith("/m3")));
    await page.getByRole("button", { name: "Delete the memory “Likes jazz”" }).click();
    await page.getByRole("button", { name: "Confirm: forget “Likes jazz”" }).click();
    await page.locator("#memories-status", {
      hasText: "Could not delete “Likes jazz”: Missing or insufficient permissions.",
    }).waitFor();
    assert.deepEqual(await texts("#memory-list .item-text"), ["Lives in Porto", "Likes jazz"]);
    await page.evaluate(() => (window.fake.refuse = null));
  });

  it("a reply that used memories says so; opened, it names them (a deleted one as such)", async () => {
    await page.fill("#prompt", "Where do I live?");
    await page.press("#prompt", "Enter");
    await settle();
    const turn = page.locator("#turn-list > li.turn").first();
    const path = await page.evaluate(
      () => `users/u1/conversations/${window.chat.cid}/messages/${document.querySelector("#turn-list > li.turn").dataset.turnId}`,
    );
    assert.ok(await turn.locator(".memories-used").isHidden());
    await server(path, { status: { state: "COMPLETED", attempt: 1 }, response: "You live in Porto.", memoryIds: ["m2"] });
    const used = turn.locator(".memories-used");
    assert.equal(await used.locator("summary").textContent(), "Used 1 memory");
    assert.equal(await used.locator("summary").getAttribute("title"), "Lives in Porto");
    assert.ok(await used.locator("li").isHidden(), "the texts show before the summary is opened");
    await used.locator("summary").click();
    assert.deepEqual(await texts(`#turn-list .memories-used li`), ["Lives in Porto"]);

    await server(path, { memoryIds: ["m2", "m1"] });
    assert.equal(await used.locator("summary").textContent(), "Used 2 memories");
    assert.deepEqual(await texts(`#turn-list .memories-used li`), ["Lives in Porto", "A memory since deleted"]);
    // The memory deleted now: the reply says so without a new snapshot of the turn.
    await page.evaluate(() => (window.fake.docs.delete("users/u1/memories/m2"), window.fake.server("_/x", {})));
    assert.deepEqual(await texts(`#turn-list .memories-used li`), ["A memory since deleted", "A memory since deleted"]);
  });

  it("search: results with the query's words marked; Load more asks for the next page", async () => {
    // A conversation of three turns to be found.
    await server(`${USER}/conversations/c9`, { title: "Moving house", updatedAt: "2026-01-01T10:00:00Z" });
    const prompts = ["Hi, I'm Sam.", "I live in Porto.", "What is the weather like?"];
    for (const [i, prompt] of prompts.entries()) {
      await server(`${USER}/conversations/c9/messages/t${i + 1}`, {
        prompt,
        createTime: { seq: 1000 + i },
        status: { state: "COMPLETED" },
        response: "Noted.",
      });
    }
    await answer(
      "searchConversations",
      `(request) => request.pageToken
        ? { results: [{ conversationId: "c9", turnId: "t2", title: "Moving house", snippet: "I live in Porto.", score: 0.8, match: "semantic" },
                      { conversationId: "c7", turnId: null, title: "Porto trip", snippet: "", score: 0.5, match: "title" }],
            nextPageToken: null }
        : { results: [{ conversationId: "c9", turnId: "t2", title: "Moving house", snippet: "I live in Porto.", score: 0.9, match: "semantic" }],
            nextPageToken: "p2" }`,
    );
    await page.fill("#search-query", "  porto ");
    await page.press("#search-query", "Enter");
    await page.locator("#search-status", { hasText: "1+ result for “porto”" }).waitFor();
    assert.deepEqual(await calls("searchConversations"), [["searchConversations", { query: "porto", limit: 10 }]]);
    assert.deepEqual(await texts("#search-list .title"), ["Moving house"]);
    assert.deepEqual(await texts("#search-list mark"), ["Porto"]);
    assert.deepEqual(await texts("#search-list .when"), ["In a message"]);

    await page.getByRole("button", { name: "Load more" }).click();
    await page.locator("#search-status", { hasText: "2 results for “porto”" }).waitFor();
    assert.deepEqual((await calls("searchConversations")).at(-1), [
      "searchConversations",
      { query: "porto", limit: 10, pageToken: "p2" },
    ]);
    assert.deepEqual(await texts("#search-list .title"), ["Moving house", "Porto trip"], "a repeat was listed twice");
    assert.ok(await page.locator("#search-more").isHidden());
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.cid), "c7", "the focus is not on the first new result");
  });

  it("search: a result opens its conversation at the turn found, marked and focused", async () => {
    await page.locator('#search-list button[data-cid="c9"]').click();
    await page.locator('#turn-list > li.turn.found[data-turn-id="t2"]').waitFor();
    assert.equal(await page.evaluate(() => window.chat.cid), "c9");
    assert.equal(await page.textContent("#chat-title"), "Moving house");
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.turnId), "t2");
    assert.equal(await page.locator("#turn-list > li.turn.found").count(), 1);
  });

  it("search: no result and a refused search are said; Escape clears", async () => {
    await answer("searchConversations", "() => ({ results: [], nextPageToken: null })");
    await page.fill("#search-query", "zebra");
    await page.press("#search-query", "Enter");
    await page.locator("#search-status", { hasText: "No conversation matches “zebra”." }).waitFor();
    assert.equal(await page.textContent("#search-title"), "No results");

    await answer("searchConversations", "() => { throw new Error('Search is busy, try again.'); }");
    await page.press("#search-query", "Enter");
    await page.locator("#search-status", { hasText: "Search failed: Search is busy, try again." }).waitFor();
    await page.press("#search-query", "Escape");
    assert.ok(await page.locator("#search-results").isHidden());
    assert.equal(await page.inputValue("#search-query"), "");
  });

  it("fits 375 px; no axe violations in the panel, the sidebar with results, and the chat", async () => {
    await answer(
      "searchConversations",
      `() => ({ results: [{ conversationId: "c9", turnId: "t2", title: "Moving house", snippet: "I live in Porto.", match: "semantic" }], nextPageToken: "p2" })`,
    );
    await page.fill("#search-query", "porto");
    await page.press("#search-query", "Enter");
    await page.locator("#search-more").waitFor();
    await page.locator("#turn-list .memories-used summary").first().waitFor().catch(() => {});
    await page.setViewportSize({ width: 375, height: 740 });
    assert.equal(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
      0,
    );
    await page.setViewportSize({ width: 1280, height: 800 });
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("#panel .card, #sidebar")]
        .filter((el) => el.scrollWidth > el.clientWidth)
        .map((el) => el.id || el.getAttribute("aria-labelledby")),
    );
    assert.deepEqual(wide, []);
    assert.deepEqual(await axeViolations(page, "#panel, #sidebar, #chat"), []);
    assert.deepEqual(opened.errors, []);
  });
});
