/** src/assistant.js: grouping, due times in the reminder's time zone, tool-call summaries. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  activeReminders,
  dueLabel,
  formatDue,
  groupTasks,
  isoWithOffset,
  listLabel,
  timeZoneToSync,
  toDate,
  toolCallSummary,
  unreadNotifications,
} from "../src/assistant.js";

const at = (iso) => new Date(iso);

describe("formatDue: the reminder's own time zone, days as Aura says them", () => {
  // 2026-12-02 12:00 UTC is 12:00 in Lisbon (WET), 21:00 in Tokyo, 07:00 in New York.
  const now = at("2026-12-02T12:00:00Z");

  it("today and tomorrow, 24 h", () => {
    assert.equal(formatDue(at("2026-12-02T18:00:00Z"), "Europe/Lisbon", now), "today at 18:00");
    assert.equal(formatDue(at("2026-12-03T09:05:00Z"), "Europe/Lisbon", now), "tomorrow at 09:05");
    assert.equal(formatDue(at("2026-12-02T00:00:00Z"), "UTC", now), "today at 00:00");
  });

  it("the day is the zone's: 16:00 UTC is already tomorrow in Tokyo, still today in New York", () => {
    assert.equal(formatDue(at("2026-12-02T16:00:00Z"), "Asia/Tokyo", now), "tomorrow at 01:00");
    assert.equal(formatDue(at("2026-12-02T16:00:00Z"), "America/New_York", now), "today at 11:00");
  });

  it("summer time: Lisbon is UTC+1 in July", () => {
    assert.equal(formatDue(at("2026-07-10T17:00:00Z"), "Europe/Lisbon", at("2026-07-10T08:00:00Z")), "today at 18:00");
  });

  it("other days by weekday, day and month; the year only when it is another", () => {
    assert.equal(formatDue(at("2026-12-04T10:00:00Z"), "Europe/Lisbon", now), "on Friday 4 December at 10:00");
    assert.equal(formatDue(at("2026-12-01T10:00:00Z"), "Europe/Lisbon", now), "yesterday at 10:00");
    assert.equal(formatDue(at("2027-01-08T10:00:00Z"), "Europe/Lisbon", now), "on Friday 8 January 2027 at 10:00");
  });

  it("a Firestore Timestamp or ISO string; an unknown zone reads as UTC; nothing gives ''", () => {
    const timestamp = { toDate: () => at("2026-12-02T18:00:00Z") };
    assert.equal(formatDue(timestamp, "Europe/Lisbon", now), "today at 18:00");
    assert.equal(formatDue("2026-12-02T18:00:00Z", "Mars/Olympus", now), "today at 18:00");
    assert.equal(formatDue(null, "UTC", now), "");
  });

  it("dueLabel names the zone only when this device is elsewhere", () => {
    const due = at("2026-12-02T18:00:00Z");
    assert.equal(dueLabel(due, "Europe/Lisbon", { now, localZone: "Europe/Lisbon" }), "today at 18:00");
    assert.equal(
      dueLabel(due, "Europe/Lisbon", { now, localZone: "Europe/Paris" }),
      "today at 18:00 (Europe/Lisbon)",
    );
  });
});

describe("isoWithOffset: createReminder's dueAt", () => {
  it("writes the local wall time and its offset", () => {
    const instant = at("2026-12-04T17:00:00Z");
    assert.equal(isoWithOffset(instant, 60), "2026-12-04T18:00:00+01:00");
    assert.equal(isoWithOffset(instant, -300), "2026-12-04T12:00:00-05:00");
    assert.equal(isoWithOffset(instant, 330), "2026-12-04T22:30:00+05:30");
    assert.equal(isoWithOffset(instant, 0), "2026-12-04T17:00:00+00:00");
    assert.equal(new Date(isoWithOffset(instant, 330)).getTime(), instant.getTime());
  });
});

describe("timeZoneToSync: updateProfile at sign-in", () => {
  it("only when the browser's zone differs from the profile's", () => {
    assert.equal(timeZoneToSync("UTC", "Europe/Lisbon"), "Europe/Lisbon");
    assert.equal(timeZoneToSync(undefined, "Europe/Lisbon"), "Europe/Lisbon");
    assert.equal(timeZoneToSync("Europe/Lisbon", "Europe/Lisbon"), null);
    assert.equal(timeZoneToSync("UTC", null), null);
  });
});

describe("groupTasks: by list, open items first", () => {
  const t = (id, list, minute, done = false) => ({
    id,
    text: id,
    list,
    done,
    createdAt: at(`2026-12-02T12:${String(minute).padStart(2, "0")}:00Z`),
  });

  it("to-do, then shopping, then the user's lists by name", () => {
    const groups = groupTasks([t("a", "packing", 1), t("b", "shopping", 2), t("c", "todo", 3), t("d", "books", 4)]);
    assert.deepEqual(
      groups.map((g) => [g.list, g.label]),
      [
        ["todo", "To-do"],
        ["shopping", "Shopping"],
        ["books", "Books"],
        ["packing", "Packing"],
      ],
    );
  });

  it("in a list: open in the order added, then done; `open` counts the open ones", () => {
    const [shopping] = groupTasks([
      t("eggs", "shopping", 5),
      t("milk", "shopping", 1, true),
      t("bread", "shopping", 3),
    ]);
    assert.deepEqual(shopping.tasks.map((x) => x.id), ["bread", "eggs", "milk"]);
    assert.equal(shopping.open, 2);
  });

  it("a task without a list is a to-do", () => {
    assert.deepEqual(groupTasks([{ id: "x", text: "x" }]).map((g) => g.list), ["todo"]);
    assert.equal(listLabel(""), "To-do");
    assert.deepEqual(groupTasks([]), []);
  });
});

describe("activeReminders and unreadNotifications", () => {
  it("reminders: scheduled and fired, soonest first", () => {
    const reminders = [
      { id: "late", status: "scheduled", dueAt: at("2026-12-03T10:00:00Z") },
      { id: "gone", status: "cancelled", dueAt: at("2026-12-02T10:00:00Z") },
      { id: "fired", status: "fired", dueAt: at("2026-12-02T11:00:00Z") },
      { id: "done", status: "done", dueAt: at("2026-12-01T10:00:00Z") },
      { id: "soon", status: "scheduled", dueAt: { toDate: () => at("2026-12-02T12:00:00Z") } },
    ];
    assert.deepEqual(activeReminders(reminders).map((r) => r.id), ["fired", "soon", "late"]);
  });

  it("notifications: no readAt (absent or null), newest first", () => {
    const list = [
      { id: "old", createdAt: at("2026-12-02T10:00:00Z") },
      { id: "read", createdAt: at("2026-12-02T11:00:00Z"), readAt: at("2026-12-02T11:01:00Z") },
      { id: "new", createdAt: at("2026-12-02T12:00:00Z"), readAt: null },
    ];
    assert.deepEqual(unreadNotifications(list).map((n) => n.id), ["new", "old"]);
  });

  it("toDate: Timestamp, Date, string; null for nothing or garbage", () => {
    const date = at("2026-12-02T10:00:00Z");
    assert.equal(toDate({ toDate: () => date }), date);
    assert.equal(toDate(date), date);
    assert.equal(toDate("2026-12-02T10:00:00Z").getTime(), date.getTime());
    assert.equal(toDate(undefined), null);
    assert.equal(toDate("not a date"), null);
  });
});

describe("toolCallSummary: name · status, and a short result", () => {
  it("the name and status, as under a reply", () => {
    assert.equal(toolCallSummary({ name: "create_reminder", status: "ok" }).label, "create_reminder · ok");
    assert.equal(
      toolCallSummary({ name: "cancel_reminder", status: "needs_confirmation" }).label,
      "cancel_reminder · needs confirmation",
    );
    assert.equal(toolCallSummary({ name: "create_reminder", status: "needs_input" }).label, "create_reminder · needs input");
    assert.equal(toolCallSummary({}).label, "tool · unknown");
  });

  it("the result's own words first, then a count, then the arguments", () => {
    const summary = (call) => toolCallSummary(call).detail;
    assert.equal(summary({ name: "add_task", status: "ok", result: { text: "milk", list: "shopping" } }), "milk");
    assert.equal(summary({ name: "x", status: "error", result: { error: "unknown time zone" } }), "unknown time zone");
    assert.equal(summary({ name: "x", status: "error", result: { error: { message: "bad input" } } }), "bad input");
    assert.equal(summary({ name: "list_tasks", status: "ok", result: { items: [1, 2] } }), "2 found");
    assert.equal(summary({ name: "search_notes", status: "ok", result: { count: 0 } }), "0 found");
    assert.equal(summary({ name: "calculate", status: "ok", args: { expression: "6*7" }, result: { value: 42 } }), "6*7");
    assert.equal(summary({ name: "get_time", status: "ok" }), "");
  });

  it("a long result is cut to 60 characters", () => {
    const detail = toolCallSummary({ name: "add_note", status: "ok", result: { text: "x".repeat(200) } }).detail;
    assert.equal(detail.length, 60);
    assert.ok(detail.endsWith("…"));
  });
});
