/**
 * Reminders, lists, notes, notifications and a turn's tool calls (issue #16) in headless
 * Chromium, without emulators: src/lists.js, src/notifications.js and src/chat.js on the fake
 * Firestore and callables of tests/ui/, the test playing the backend's writes. The browser is
 * in Europe/Lisbon. Part of `npm --prefix web run test:unit`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { axeViolations, noBrowser, openPage, src } from "./ui/harness.mjs";

const USER = "users/u1";

describe("reminders, lists, notes, notifications, tool calls (fake Firestore)", { skip: noBrowser }, () => {
  let opened;
  let page;
  const server = (path, changes) => page.evaluate(([p, c]) => window.fake.server(p, c), [path, changes]);
  const remove = (path) => page.evaluate((p) => (window.fake.docs.delete(p), window.fake.server("_/x", {})), path);
  const calls = () => page.evaluate(() => JSON.parse(JSON.stringify(window.fake.calls)));
  const lastCall = async () => (await calls()).at(-1);
  const settle = () => page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 20)));
  const texts = (selector) => page.locator(selector).allTextContents();
  /** Make the next callable `name` fail with `message` (as a refused call does). */
  const refuseNext = (name, message) =>
    page.evaluate(
      ([n, m]) => {
        window.fake.onCall = (called) => {
          if (called !== n) return {};
          window.fake.onCall = null;
          throw new Error(m);
        };
      },
      [name, message],
    );

  before(async () => {
    opened = await openPage(
      `import { ListsPanel } from ${src("lists.js")};
import { NotificationTray } from ${src("notifications.js")};
import { ChatView } from ${src("chat.js")};
document.querySelector("#auth-view").hidden = true;
document.querySelector("#app-view").hidden = false;
window.shown = [];
const lists = new ListsPanel();
lists.start("u1");
new NotificationTray({ onShow: (n) => { window.shown.push(n.id); lists.focusReminder(n.ref); } }).start("u1");
window.chat = new ChatView({});
window.chat.start("u1", null);
`,
      { timezoneId: "Europe/Lisbon" },
    );
    page = opened.page;
    await settle();
  });

  after(async () => {
    await opened?.close();
  });

  it("lists: grouped by list, to-do first; the checkbox completes a task through completeTask", async () => {
    assert.ok(await page.locator("#tasks-empty").isVisible());
    await server(`${USER}/tasks/t1`, { text: "eggs", list: "shopping", done: false, createdAt: "2026-12-02T10:02:00Z" });
    await server(`${USER}/tasks/t2`, { text: "milk", list: "shopping", done: false, createdAt: "2026-12-02T10:01:00Z" });
    await server(`${USER}/tasks/t3`, { text: "call the bank", list: "todo", done: false, createdAt: "2026-12-02T10:03:00Z" });
    assert.deepEqual(await texts(".task-group h3"), ["To-do (1 open)", "Shopping (2 open)"]);
    assert.deepEqual(await texts('.task-group[data-list="shopping"] label'), ["milk", "eggs"]);
    assert.ok(await page.locator("#tasks-empty").isHidden());

    const milk = page.getByRole("checkbox", { name: "milk" });
    await milk.focus();
    await page.keyboard.press("Space");
    assert.deepEqual(await lastCall(), ["completeTask", { taskId: "t2", done: true }]);
    await server(`${USER}/tasks/t2`, { done: true, doneAt: "2026-12-02T10:05:00Z" });
    assert.equal(await page.locator('[data-key="t2"]').getAttribute("data-done"), "true");
    assert.ok(await milk.isChecked());
    assert.deepEqual(await texts('.task-group[data-list="shopping"] label'), ["eggs", "milk"]);
    assert.equal(await page.evaluate(() => document.activeElement?.id), "task-t2", "the focus left the checkbox");
    assert.equal(await page.locator('.task-group[data-list="shopping"] h3').textContent(), "Shopping (1 open)");
  });

  it("lists: a refused change is undone and says why; add and delete go through callables", async () => {
    await refuseNext("completeTask", "That task no longer exists.");
    await page.getByRole("checkbox", { name: "eggs" }).click(); // not check(): it is undone at once
    await page.locator("#tasks-status", { hasText: "Could not update “eggs”: That task no longer exists." }).waitFor();
    assert.equal(await page.getByRole("checkbox", { name: "eggs" }).isChecked(), false);

    await page.fill("#task-text", "bread");
    await page.fill("#task-list", " Shopping ");
    await page.press("#task-text", "Enter");
    await page.locator("#tasks-status", { hasText: "Added bread." }).waitFor();
    assert.deepEqual(await lastCall(), ["addTask", { text: "bread", list: "shopping" }]);
    assert.equal(await page.inputValue("#task-text"), "");

    await page.click("#task-form button[type=submit]");
    assert.equal(await page.textContent("#tasks-status"), "Type the item to add.");
    assert.equal((await lastCall())[0], "addTask");
    assert.equal((await calls()).filter(([name]) => name === "addTask").length, 1, "an empty item was sent");

    await page.getByRole("button", { name: "Delete “call the bank” from To-do" }).click();
    assert.deepEqual(await lastCall(), ["deleteTask", { taskId: "t3" }]);
    await remove(`${USER}/tasks/t3`);
    assert.deepEqual(await texts(".task-group h3"), ["Shopping (1 open)"]);
  });

  it("reminders: active ones soonest first, due times in the reminder's zone; cancel and create", async () => {
    const soon = new Date(Date.now() + 60 * 60_000);
    const later = new Date(Date.now() + 3 * 24 * 60 * 60_000);
    await server(`${USER}/reminders/r1`, { text: "water the plants", dueAt: later.toISOString(), timeZone: "Asia/Tokyo", status: "scheduled" });
    await server(`${USER}/reminders/r2`, { text: "stretch", dueAt: soon.toISOString(), timeZone: "Europe/Lisbon", status: "scheduled" });
    await server(`${USER}/reminders/r3`, { text: "old", dueAt: soon.toISOString(), status: "cancelled" });
    assert.deepEqual(await texts("#reminder-list .item-text"), ["stretch", "water the plants"]);
    const [nearWhen, farWhen] = await texts("#reminder-list .item-when");
    assert.match(nearWhen, /^(today|tomorrow) at \d\d:\d\d$/);
    assert.match(farWhen, /^on \w+day \d{1,2} \w+( \d{4})? at \d\d:\d\d \(Asia\/Tokyo\)$/);

    await page.getByRole("button", { name: "Cancel the reminder “stretch”" }).click();
    assert.deepEqual(await lastCall(), ["cancelReminder", { reminderId: "r2" }]);
    await page.locator("#reminders-status", { hasText: "Cancelled the reminder to stretch." }).waitFor();
    await server(`${USER}/reminders/r2`, { status: "cancelled" });
    assert.deepEqual(await texts("#reminder-list .item-text"), ["water the plants"]);

    await page.fill("#reminder-text", "call mum");
    await page.fill("#reminder-when", "2020-01-01T09:00");
    await page.click("#reminder-form button[type=submit]");
    assert.equal(await page.textContent("#reminders-status"), "Pick a time in the future.");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "reminder-when");
    await page.fill("#reminder-when", "2099-12-04T18:00");
    await page.click("#reminder-form button[type=submit]");
    await page.locator("#reminders-status", { hasText: "Reminder set." }).waitFor();
    // Lisbon in December is UTC+0: the wall time typed, with the offset.
    assert.deepEqual(await lastCall(), ["createReminder", { text: "call mum", dueAt: "2099-12-04T18:00:00+00:00" }]);
    assert.equal(await page.inputValue("#reminder-text"), "");

    await refuseNext("createReminder", "Reminders can be at most a year ahead.");
    await page.fill("#reminder-text", "far away");
    await page.fill("#reminder-when", "2099-07-01T09:30");
    await page.click("#reminder-form button[type=submit]");
    await page.locator("#reminders-status", {
      hasText: "Reminder not set: Reminders can be at most a year ahead.",
    }).waitFor();
    assert.equal((await lastCall())[1].dueAt, "2099-07-01T09:30:00+01:00"); // summer time
    assert.equal(await page.inputValue("#reminder-text"), "far away", "the form lost what was typed");
  });

  it("notes: newest listed, added and deleted through callables", async () => {
    await page.fill("#note-text", "the wifi password is on the router");
    await page.press("#note-text", "Control+Enter");
    await page.locator("#notes-status", { hasText: "Note saved." }).waitFor();
    assert.deepEqual(await lastCall(), ["addNote", { text: "the wifi password is on the router" }]);
    await server(`${USER}/notes/n1`, { text: "the wifi password is on the router", updatedAt: new Date().toISOString() });
    assert.deepEqual(await texts("#note-list .note-text"), ["the wifi password is on the router"]);
    assert.equal(await page.textContent("#note-list .item-when"), "just now");
    await page.getByRole("button", { name: "Delete the note “the wifi password is on the router”" }).click();
    assert.deepEqual(await lastCall(), ["deleteNote", { noteId: "n1" }]);
  });

  it("notifications: a fired reminder shows a toast; Dismiss and Show mark it read", async () => {
    assert.ok(await page.locator("#notifications").isHidden());
    await server(`${USER}/reminders/r1`, { status: "fired", firedAt: new Date().toISOString() });
    assert.equal(await page.locator('[data-key="r1"] .badge').textContent(), "Due");
    assert.ok(await page.getByRole("button", { name: "Clear the reminder “water the plants”" }).isVisible());
    await server(`${USER}/notifications/x1`, {
      kind: "reminder",
      title: "Reminder",
      body: "water the plants",
      createdAt: new Date().toISOString(),
      ref: `${USER}/reminders/r1`,
    });
    await server(`${USER}/notifications/x0`, {
      kind: "reminder",
      title: "Old one",
      body: "read already",
      createdAt: new Date(Date.now() - 60_000).toISOString(),
      readAt: new Date().toISOString(),
    });
    await page.locator("#notifications").waitFor();
    assert.deepEqual(await texts("#notification-list .toast-body"), ["water the plants"]);

    await refuseNext("markNotificationsRead", "Try again later.");
    await page.getByRole("button", { name: "Dismiss “Reminder”" }).click();
    await page.locator("#notifications-status", { hasText: "Could not mark as read: Try again later." }).waitFor();
    assert.equal(await page.locator("#notification-list .toast").count(), 1, "the refused one did not come back");

    await page.getByRole("button", { name: "Show “Reminder”" }).click();
    assert.deepEqual(await lastCall(), ["markNotificationsRead", { ids: ["x1"] }]);
    assert.deepEqual(await page.evaluate(() => window.shown), ["x1"]);
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.key), "r1", "Show did not bring up the reminder");
    assert.equal(await page.locator("#notification-list .toast").count(), 0);
    await server(`${USER}/notifications/x1`, { readAt: new Date().toISOString() });
    assert.ok(await page.locator("#notifications").isHidden() || (await page.textContent("#notifications-status")) !== "");

    // Two at once: Dismiss all marks both.
    for (const id of ["x2", "x3"]) {
      await server(`${USER}/notifications/${id}`, { kind: "reminder", title: `Reminder ${id}`, body: id, createdAt: new Date().toISOString() });
    }
    await page.getByRole("button", { name: "Dismiss all (2)" }).click();
    const [name, { ids }] = await lastCall();
    assert.equal(name, "markNotificationsRead");
    assert.deepEqual([...ids].sort(), ["x2", "x3"]);
  });

  it("a turn's tool calls are listed under the reply", async () => {
    await page.fill("#prompt", "Remind me to stretch in 1 minute");
    await page.press("#prompt", "Enter");
    await settle();
    const turn = page.locator("#turn-list > li.turn").first();
    assert.ok(await turn.locator(".tool-calls").isHidden());
    const path = await page.evaluate(
      () => `users/u1/conversations/${window.chat.cid}/messages/${document.querySelector("#turn-list > li.turn").dataset.turnId}`,
    );
    await server(path, {
      status: { state: "COMPLETED", attempt: 1 },
      response: "Okay, I'll remind you to stretch today at 18:01.",
      toolCalls: [
        { name: "create_reminder", args: { text: "stretch", when: "in 1 minute" }, status: "ok", result: { reminderId: "r9" } },
        { name: "list_tasks", args: {}, status: "error", result: { error: "lists are unavailable" } },
      ],
    });
    assert.deepEqual(await texts("#turn-list .tool-calls li"), [
      "create_reminder · ok · stretch",
      "list_tasks · error · lists are unavailable",
    ]);
    assert.equal(await turn.locator('.tool-calls li[data-tool="create_reminder"]').getAttribute("data-status"), "ok");
  });

  it("fits 375 px; no axe violations in the panel, the toasts and the chat", async () => {
    await server(`${USER}/notifications/x4`, { kind: "reminder", title: "Reminder", body: "stretch", createdAt: new Date().toISOString() });
    await page.locator("#notifications").waitFor();
    await page.setViewportSize({ width: 375, height: 740 });
    assert.equal(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
      0,
    );
    await page.setViewportSize({ width: 1280, height: 800 });
    // Nothing in the panel's column is wider than it (a date-time picker is, side by side).
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("#panel .card")]
        .filter((card) => card.scrollWidth > card.clientWidth)
        .map((card) => card.getAttribute("aria-labelledby")),
    );
    assert.deepEqual(wide, []);
    assert.deepEqual(await axeViolations(page, "#panel, #notifications, #chat"), []);
    assert.deepEqual(opened.errors, []);
  });
});
