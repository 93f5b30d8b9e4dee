/**
 * The chat view's Stop, Edit and "< i/n >" in headless Chromium, without emulators: Vite builds
 * src/chat.js with `firebase/firestore` and src/data.js replaced by tests/ui/fake-*.js
 * (tests/ui/harness.mjs), and the test plays the backend's writes. Part of
 * `npm --prefix web run test:unit`; the real backend is the e2e test's part.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { axeViolations, noBrowser, openPage, src } from "./ui/harness.mjs";

describe("chat view: stop, edit, versions (fake Firestore)", { skip: noBrowser }, () => {
  let opened;
  let page;
  let errors;
  const base = () => page.evaluate(() => `users/u1/conversations/${window.chat.cid}`);
  const turn = (n) => page.locator(`#turn-list > li.turn:nth-child(${n})`);
  const prompts = () =>
    page.evaluate(() => [...document.querySelectorAll("#turn-list > li.turn .prompt")].map((p) => p.textContent));
  const writes = () => page.evaluate(() => JSON.parse(JSON.stringify(window.fake.writes)));
  const serverWrite = (path, changes) => page.evaluate(([p, c]) => window.fake.server(p, c), [path, changes]);
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.className);
  const settle = () => page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 20)));
  async function send(text) {
    await page.fill("#prompt", text);
    await page.press("#prompt", "Enter");
    await settle();
  }

  before(async () => {
    opened = await openPage(`import { ChatView } from ${src("chat.js")};
document.querySelector("#auth-view").hidden = true;
document.querySelector("#app-view").hidden = false;
window.chat = new ChatView({});
window.chat.start("u1", null);
`);
    ({ page, errors } = opened);
  });

  after(async () => {
    await opened?.close();
  });

  it("Stop: while queued or streaming, from the keyboard; Stopped keeps the partial reply", async () => {
    await send("Write a story");
    const path = `${await base()}/messages/${await turn(1).getAttribute("data-turn-id")}`;
    assert.equal(await turn(1).getAttribute("data-state"), "SENDING");
    assert.ok(await turn(1).locator("button.stop").isHidden(), "Stop before the turn is queued");
    await serverWrite(path, { status: { state: "QUEUED", attempt: 1, queuedAhead: 3 }, branch: "main" });
    assert.equal(await turn(1).locator(".badge").textContent(), "Queued · 3 ahead of yours");
    const stop = turn(1).locator("button.stop");
    assert.ok(await stop.isVisible());
    assert.equal(await stop.getAttribute("aria-label"), "Stop the reply to “Write a story”");
    await serverWrite(path, { "status.state": "STREAMING", response: "Once upon" });
    assert.equal(await turn(1).locator(".badge").textContent(), "Replying…"); // the count is history
    await stop.focus();
    await page.keyboard.press("Enter");
    await settle();
    assert.deepEqual((await writes()).at(-1), ["update", path, { "status.state": "STOP" }]);
    assert.equal(await turn(1).locator(".badge").textContent(), "Stopping…");
    assert.equal(await stop.getAttribute("aria-disabled"), "true");
    assert.ok(await turn(1).locator("button.regenerate").isDisabled());
    await serverWrite(path, { "status.state": "STOPPED", usage: { provider: "local", model: "m", latencyMs: 5 } });
    assert.equal(await turn(1).locator(".badge").textContent(), "Stopped");
    assert.equal(await turn(1).locator(".response").textContent(), "Once upon");
    assert.equal(await turn(1).locator(".meta").textContent(), "local/m · 5 ms");
    assert.ok(await stop.isHidden());
    assert.ok(await turn(1).locator("button.regenerate").isEnabled());
    assert.equal(await focused(), "Regenerate the reply to “Write a story”");

    await turn(1).locator("button.regenerate").click();
    assert.deepEqual((await writes()).at(-1), ["update", path, { "status.state": "RETRY" }]);
    await serverWrite(path, {
      status: { state: "STOPPED", attempt: 2 },
      response: null,
      attempts: [{ attempt: 1, response: "Once upon", state: "STOPPED" }],
    });
    assert.equal(await turn(1).locator(".attempts li").textContent(), "Once upon (stopped)");
  });

  it("Edit: Escape cancels; Enter saves a new turn that starts a branch, shown at once", async () => {
    const messages = `${await base()}/messages`;
    const first = await turn(1).getAttribute("data-turn-id");
    await send("what is 2 + 2");
    const second = await turn(2).getAttribute("data-turn-id");
    await serverWrite(`${messages}/${second}`, { status: { state: "COMPLETED", attempt: 1 }, response: "4" });
    await serverWrite(await base(), { activeLeaf: second });
    assert.ok(await turn(2).locator(".versions").isHidden());

    const edit = turn(2).locator("button.edit");
    assert.equal(await edit.getAttribute("aria-label"), "Edit your message “what is 2 + 2”");
    await edit.click();
    const editor = turn(2).locator(".edit-form textarea");
    assert.equal(await editor.inputValue(), "what is 2 + 2");
    assert.equal(await focused(), "edit-input");
    await editor.press("Escape");
    assert.equal(await editor.count(), 0);
    assert.equal(await focused(), "Edit your message “what is 2 + 2”");
    await page.keyboard.press("Enter");
    await editor.press("Enter"); // unchanged: nothing to save
    assert.equal(await editor.count(), 0);
    await edit.click();
    await editor.fill("what is 3 + 3");
    await editor.press("Enter");
    await settle();
    const [created, shown] = (await writes()).slice(-2);
    const editId = created[1].split("/").at(-1);
    assert.deepEqual(created, [
      "set",
      `${messages}/${editId}`,
      { prompt: "what is 3 + 3", parentTurnId: second, branch: editId },
    ]);
    assert.deepEqual(shown, ["update", await base(), { activeLeaf: editId }]);
    assert.deepEqual(await prompts(), ["Write a story", "what is 3 + 3"]);
    assert.equal(await turn(2).locator(".version-count").textContent(), "2/2");
    assert.ok(await turn(1).locator(".versions").isHidden());
    assert.equal(await turn(1).getAttribute("data-turn-id"), first);
  });

  it("a message goes into the shown branch; < and > switch versions and write activeLeaf", async () => {
    const edited = await turn(2).getAttribute("data-turn-id");
    await send("what is 10 - 3");
    assert.equal((await writes()).at(-1)[2].branch, edited);
    const followUp = await turn(3).getAttribute("data-turn-id");
    assert.deepEqual(await prompts(), ["Write a story", "what is 3 + 3", "what is 10 - 3"]);

    await turn(2).getByRole("button", { name: "Previous version" }).click();
    await settle();
    assert.deepEqual(await prompts(), ["Write a story", "what is 2 + 2"]);
    assert.equal(await turn(2).locator(".version-count").textContent(), "1/2");
    assert.equal(await focused(), "Next version"); // Previous is disabled at 1/2
    const original = await turn(2).getAttribute("data-turn-id");
    assert.deepEqual((await writes()).at(-1), ["update", await base(), { activeLeaf: original }]);

    await send("main again");
    assert.equal((await writes()).at(-1)[2].branch, undefined, "a main-thread turn names a branch");
    assert.deepEqual(await prompts(), ["Write a story", "what is 2 + 2", "main again"]);

    await turn(2).getByRole("button", { name: "Next version" }).click();
    await settle();
    assert.deepEqual(await prompts(), ["Write a story", "what is 3 + 3", "what is 10 - 3"]);
    assert.deepEqual((await writes()).at(-1), ["update", await base(), { activeLeaf: followUp }]);
    // The server's activeLeaf for another turn moves the view there.
    await serverWrite(await base(), { activeLeaf: original });
    assert.deepEqual(await prompts(), ["Write a story", "what is 2 + 2", "main again"]);
  });

  it("an edit of an edit is one more version; a refused switch says so", async () => {
    await turn(2).getByRole("button", { name: "Next version" }).click();
    await settle();
    await turn(2).locator("button.edit").click();
    await turn(2).locator(".edit-form textarea").fill("what is 4 + 4");
    await turn(2).locator("button.save-edit").click();
    await settle();
    assert.deepEqual(await prompts(), ["Write a story", "what is 4 + 4"]);
    assert.equal(await turn(2).locator(".version-count").textContent(), "3/3");
    await page.evaluate(() => (window.fake.refuse = (path, changes) => "activeLeaf" in changes));
    await turn(2).getByRole("button", { name: "Previous version" }).click();
    await page.locator("#chat-error", { hasText: "Could not keep this version shown" }).waitFor();
    await page.evaluate(() => (window.fake.refuse = null));
  });

  it("fits 375 px and has no axe violations in the chat", async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    assert.equal(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
      0,
    );
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(await axeViolations(page, "#chat"), []);
    assert.deepEqual(errors, []);
  });
});
