/**
 * The pure part of "Aura acts" (issue #16): how reminders, lists, notes, notifications and a
 * turn's tool calls are ordered, grouped and worded. No DOM and no Firebase here, so node's test
 * runner checks it as it is (tests/assistant.test.mjs).
 */

export const DEFAULT_LIST = "todo";
export const SHOPPING_LIST = "shopping";
const LIST_LABELS = { [DEFAULT_LIST]: "To-do", [SHOPPING_LIST]: "Shopping" };
const ACTIVE_REMINDER = new Set(["scheduled", "fired"]);
const DAY_MS = 86_400_000;

/** A Firestore Timestamp, a Date, an ISO string or millis as a Date; null when absent. */
export function toDate(value) {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value.toDate === "function") return value.toDate();
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const millis = (value) => toDate(value)?.getTime() ?? 0;

/** `timeZone` when Intl knows it, else UTC (the backend's default). */
export function knownTimeZone(timeZone) {
  if (!timeZone) return "UTC";
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone });
    return timeZone;
  } catch {
    return "UTC";
  }
}

function parts(date, timeZone, options) {
  const found = {};
  for (const part of new Intl.DateTimeFormat("en-GB", { timeZone, ...options }).formatToParts(date)) {
    found[part.type] = part.value;
  }
  return found;
}

/** Midnight UTC of the calendar day `date` falls on in `timeZone`: days compare by subtraction. */
function calendarDay(date, timeZone) {
  const { year, month, day } = parts(date, timeZone, { year: "numeric", month: "numeric", day: "numeric" });
  return Date.UTC(Number(year), Number(month) - 1, Number(day));
}

/**
 * When a reminder is due, as Aura says it (tool_spec.md): 24 h `HH:MM` in the reminder's own time
 * zone, the day as `today`, `tomorrow`, `yesterday` or `on Friday 4 December` (the year added
 * when it is not this year's): "today at 18:00", "on Friday 4 December at 10:00".
 */
export function formatDue(due, timeZone, now = new Date()) {
  const date = toDate(due);
  if (!date) return "";
  const zone = knownTimeZone(timeZone);
  const { hour, minute } = parts(date, zone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const time = `${hour}:${minute}`;
  const days = Math.round((calendarDay(date, zone) - calendarDay(now, zone)) / DAY_MS);
  if (days === 0) return `today at ${time}`;
  if (days === 1) return `tomorrow at ${time}`;
  if (days === -1) return `yesterday at ${time}`;
  const day = parts(date, zone, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  const thisYear = parts(now, zone, { year: "numeric" }).year;
  const year = day.year === thisYear ? "" : ` ${day.year}`;
  return `on ${day.weekday} ${day.day} ${day.month}${year} at ${time}`;
}

/** formatDue, naming the zone when it is not the one this device is in ("… (Europe/Lisbon)"). */
export function dueLabel(due, timeZone, { now = new Date(), localZone = deviceTimeZone() } = {}) {
  const text = formatDue(due, timeZone, now);
  const zone = knownTimeZone(timeZone);
  return text && zone !== knownTimeZone(localZone) ? `${text} (${zone})` : text;
}

/** This device's IANA time zone (what the profile's `timeZone` should be), or null. */
export function deviceTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/** The time zone to send with updateProfile at sign-in, or null when the profile has it. */
export function timeZoneToSync(profileTimeZone, browserTimeZone = deviceTimeZone()) {
  if (!browserTimeZone || browserTimeZone === profileTimeZone) return null;
  return browserTimeZone;
}

/**
 * ISO 8601 with the offset `offsetMinutes` east of UTC (default: this device's at that
 * instant), as createReminder takes `dueAt`: "2026-12-04T18:00:00+01:00".
 */
export function isoWithOffset(date, offsetMinutes = -date.getTimezoneOffset()) {
  const pad = (n) => String(n).padStart(2, "0");
  const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const abs = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Reminders still to come or just fired, soonest first; done and cancelled ones drop out. */
export function activeReminders(reminders) {
  return reminders
    .filter((r) => ACTIVE_REMINDER.has(r.status ?? "scheduled"))
    .sort((a, b) => millis(a.dueAt) - millis(b.dueAt));
}

/** A list's name as a heading: "To-do", "Shopping", or the user's own ("packing" -> "Packing"). */
export function listLabel(list) {
  const name = String(list || DEFAULT_LIST);
  return LIST_LABELS[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * Tasks grouped by list: to-do first, shopping next, the user's lists by name; in each, open
 * items in the order they were added, then the done ones. `[{list, label, tasks, open}]`.
 */
export function groupTasks(tasks) {
  const groups = new Map();
  for (const task of tasks) {
    const list = String(task.list || DEFAULT_LIST);
    if (!groups.has(list)) groups.set(list, []);
    groups.get(list).push(task);
  }
  const rank = (list) => (list === DEFAULT_LIST ? 0 : list === SHOPPING_LIST ? 1 : 2);
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([list, items]) => ({
      list,
      label: listLabel(list),
      tasks: [...items].sort(
        (a, b) => Number(Boolean(a.done)) - Number(Boolean(b.done)) || millis(a.createdAt) - millis(b.createdAt),
      ),
      open: items.filter((t) => !t.done).length,
    }));
}

/** Notifications not read yet, newest first (an unread one has no `readAt`, or null). */
export function unreadNotifications(notifications) {
  return notifications
    .filter((n) => !n.readAt)
    .sort((a, b) => millis(b.createdAt) - millis(a.createdAt));
}

const STATUS_WORDS = {
  ok: "ok",
  error: "error",
  needs_confirmation: "needs confirmation",
  needs_input: "needs input",
};
const DETAIL_KEYS = ["error", "message", "question", "summary", "text", "title", "query", "expression", "answer"];
const DETAIL_MAX = 60;

const shorten = (text) => (text.length > DETAIL_MAX ? `${text.slice(0, DETAIL_MAX - 1)}…` : text);

function firstText(object) {
  if (!object || typeof object !== "object") return "";
  for (const key of DETAIL_KEYS) {
    const value = object[key];
    if (typeof value === "string" && value.trim()) return value.trim();
    if (value && typeof value === "object" && typeof value.message === "string") return value.message;
  }
  return "";
}

/** How many things a result lists (`items`, `reminders`, `tasks`, `notes`, `events`, `count`). */
function countOf(result) {
  if (!result || typeof result !== "object") return null;
  if (typeof result.count === "number") return result.count;
  for (const key of ["items", "reminders", "tasks", "notes", "events"]) {
    if (Array.isArray(result[key])) return result[key].length;
  }
  return null;
}

/**
 * One tool call of a turn, shown under the reply: `label` "create_reminder · ok", `detail` a
 * short result ("water the plants", "2 found", the error's message), possibly empty.
 */
export function toolCallSummary(call) {
  const name = String(call?.name || "tool");
  const status = STATUS_WORDS[call?.status] ?? String(call?.status || "unknown");
  const count = countOf(call?.result);
  const detail =
    firstText(call?.result) || (count !== null ? `${count} found` : "") || firstText(call?.args);
  return { label: `${name} · ${status}`, detail: shorten(detail) };
}
