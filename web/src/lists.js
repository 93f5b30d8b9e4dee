/**
 * Reminders, lists (tasks) and notes in the panel (issue #16): realtime listeners on
 * `users/{uid}/{reminders,tasks,notes}`, the only way they are read; every change goes through
 * a callable (createReminder, cancelReminder, addTask, completeTask, deleteTask, addNote,
 * deleteNote), whose result comes back through the same listeners. The rules let the client
 * write none of these.
 */
import { collection, limit, onSnapshot, orderBy, query } from "firebase/firestore";

import { activeReminders, dueLabel, groupTasks, isoWithOffset, toDate, DEFAULT_LIST } from "./assistant.js";
import { $, flash, h, relativeTime } from "./dom.js";
import { plainMessage } from "./errors.js";
import { call, db } from "./data.js";

const LIMIT = 200;
const shorten = (text) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/**
 * Re-render `container` keeping the focus where it was: on the control (`data-control`) of the
 * same item (`data-key`), which a re-render replaces with a new element.
 */
export function keepingFocus(container, render) {
  const active = document.activeElement;
  const key = container.contains(active) ? active.closest("[data-key]")?.dataset.key : null;
  const control = key ? active.dataset.control : null;
  render();
  if (!key) return;
  const again =
    container.querySelector(`[data-key="${CSS.escape(key)}"] [data-control="${control}"]`) ??
    container.querySelector(`[data-key="${CSS.escape(key)}"]`);
  (again ?? container.closest("section"))?.focus?.();
}

export class ListsPanel {
  constructor() {
    this.uid = null;
    this.unsubs = [];
    this.reminders = [];
    this.tasks = [];
    this.notes = [];
    this.clock = null;

    this.reminderList = $("#reminder-list");
    this.remindersEmpty = $("#reminders-empty");
    this.reminderForm = $("#reminder-form");
    this.remindersStatus = $("#reminders-status");
    this.taskGroups = $("#task-groups");
    this.tasksEmpty = $("#tasks-empty");
    this.taskForm = $("#task-form");
    this.taskListNames = $("#task-list-names");
    this.tasksStatus = $("#tasks-status");
    this.noteList = $("#note-list");
    this.notesEmpty = $("#notes-empty");
    this.noteForm = $("#note-form");
    this.notesStatus = $("#notes-status");

    this.reminderForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.addReminder();
    });
    this.taskForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.addTask();
    });
    this.noteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.addNote();
    });
    this.noteForm.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.noteForm.requestSubmit();
      }
    });
  }

  start(uid) {
    this.stop();
    this.uid = uid;
    this.unsubs = [
      this.listen("reminders", "dueAt", "asc", (items) => {
        this.reminders = items;
        this.renderReminders();
      }, this.remindersStatus),
      this.listen("tasks", "createdAt", "asc", (items) => {
        this.tasks = items;
        this.renderTasks();
      }, this.tasksStatus),
      this.listen("notes", "updatedAt", "desc", (items) => {
        this.notes = items;
        this.renderNotes();
      }, this.notesStatus),
    ];
    // "today at 18:00" turns into "yesterday at 18:00" at midnight: words are kept current.
    this.clock = setInterval(() => {
      this.renderReminders();
      this.renderNotes();
    }, 60_000);
    this.renderReminders();
    this.renderTasks();
    this.renderNotes();
  }

  stop() {
    for (const unsubscribe of this.unsubs) unsubscribe();
    this.unsubs = [];
    clearInterval(this.clock);
    this.clock = null;
    this.uid = null;
    this.reminders = [];
    this.tasks = [];
    this.notes = [];
    this.renderReminders();
    this.renderTasks();
    this.renderNotes();
    for (const el of [this.remindersStatus, this.tasksStatus, this.notesStatus]) flash(el, "");
  }

  /** A listener on `users/{uid}/{name}` ordered by `field`: `onItems([{id, ...data}])`. */
  listen(name, field, direction, onItems, statusEl) {
    const items = query(collection(db, "users", this.uid, name), orderBy(field, direction), limit(LIMIT));
    return onSnapshot(
      items,
      (snapshot) => onItems(snapshot.docs.map((d) => ({ id: d.id, ...d.data({ serverTimestamps: "estimate" }) }))),
      (error) => flash(statusEl, `Could not load your ${name}: ${plainMessage(error)}`, 0),
    );
  }

  /** Focus a reminder (a notification's "Show"): by its path or id. */
  focusReminder(ref) {
    const id = String(ref ?? "").split("/").at(-1);
    const el = id ? this.reminderList.querySelector(`[data-key="${CSS.escape(id)}"]`) : null;
    (el ?? this.reminderList.closest("section")).scrollIntoView({ block: "nearest" });
    el?.focus();
  }

  // ---------------------------------------------------------------- reminders

  renderReminders() {
    const items = activeReminders(this.reminders);
    this.remindersEmpty.hidden = items.length > 0;
    keepingFocus(this.reminderList, () =>
      this.reminderList.replaceChildren(
        ...items.map((reminder) => {
          const due = toDate(reminder.dueAt);
          const fired = reminder.status === "fired";
          const text = String(reminder.text ?? "");
          return h(
            "li",
            { class: "item", tabindex: "-1", dataset: { key: reminder.id, status: reminder.status ?? "scheduled" } },
            h(
              "div",
              { class: "item-main" },
              h("span", { class: "item-text" }, text),
              due ? h("time", { class: "item-when", datetime: due.toISOString() }, dueLabel(due, reminder.timeZone)) : null,
            ),
            fired ? h("span", { class: "badge", dataset: { state: "fired" } }, "Due") : null,
            h(
              "button",
              {
                type: "button",
                class: "ghost small",
                dataset: { control: "cancel" },
                "aria-label": `${fired ? "Clear" : "Cancel"} the reminder “${shorten(text)}”`,
                onclick: (event) => this.cancelReminder(reminder, event.currentTarget),
              },
              fired ? "Clear" : "Cancel",
            ),
          );
        }),
      ),
    );
  }

  async addReminder() {
    const form = this.reminderForm;
    const text = form.text.value.trim();
    const due = form.when.value ? new Date(form.when.value) : null; // datetime-local: this device's time
    if (!text) return this.refuse(this.remindersStatus, form.text, "Say what to remind you of.");
    if (!due || Number.isNaN(due.getTime())) return this.refuse(this.remindersStatus, form.when, "Pick a date and time.");
    if (due.getTime() <= Date.now()) return this.refuse(this.remindersStatus, form.when, "Pick a time in the future.");
    await this.submit(form, this.remindersStatus, "Reminder not set", async () => {
      await call("createReminder", { text, dueAt: isoWithOffset(due) });
      form.reset();
      return "Reminder set.";
    });
  }

  async cancelReminder(reminder, button) {
    button.setAttribute("aria-disabled", "true");
    try {
      await call("cancelReminder", { reminderId: reminder.id });
      flash(this.remindersStatus, `Cancelled the reminder to ${reminder.text}.`);
    } catch (error) {
      button.removeAttribute("aria-disabled");
      flash(this.remindersStatus, `Could not cancel the reminder: ${plainMessage(error)}`, 0);
    }
  }

  // ---------------------------------------------------------------- tasks

  renderTasks() {
    const groups = groupTasks(this.tasks);
    this.tasksEmpty.hidden = groups.length > 0;
    const names = new Set([DEFAULT_LIST, "shopping", ...groups.map((g) => g.list)]);
    this.taskListNames.replaceChildren(...[...names].map((name) => h("option", { value: name })));
    keepingFocus(this.taskGroups, () =>
      this.taskGroups.replaceChildren(
        ...groups.map((group, index) => {
          const headingId = `task-list-${index}-title`; // list names may hold any character
          return h(
            "div",
            { class: "task-group", role: "group", "aria-labelledby": headingId, dataset: { list: group.list } },
            h("h3", { id: headingId }, group.label, " ", h("span", { class: "count" }, `(${group.open} open)`)),
            h("ul", { class: "item-list" }, group.tasks.map((task) => this.taskItem(task, group))),
          );
        }),
      ),
    );
  }

  taskItem(task, group) {
    const inputId = `task-${task.id}`;
    const text = String(task.text ?? "");
    return h(
      "li",
      { class: "item task", dataset: { key: task.id, done: task.done ? "true" : "false" } },
      h("input", {
        id: inputId,
        type: "checkbox",
        checked: Boolean(task.done),
        dataset: { control: "done" },
        onchange: (event) => this.completeTask(task, event.currentTarget),
      }),
      h("label", { for: inputId, class: "item-text" }, text),
      h(
        "button",
        {
          type: "button",
          class: "ghost small",
          dataset: { control: "delete" },
          "aria-label": `Delete “${shorten(text)}” from ${group.label}`,
          onclick: (event) => this.deleteTask(task, event.currentTarget),
        },
        "Delete",
      ),
    );
  }

  async addTask() {
    const form = this.taskForm;
    const text = form.text.value.trim();
    const list = form.list.value.trim().toLowerCase() || DEFAULT_LIST;
    if (!text) return this.refuse(this.tasksStatus, form.text, "Type the item to add.");
    await this.submit(form, this.tasksStatus, "Not added", async () => {
      await call("addTask", { text, list });
      form.text.value = "";
      form.list.value = list;
      form.text.focus();
      return `Added ${text}.`;
    });
  }

  /** The checkbox shows the new state at once; the listener confirms it, an error undoes it. */
  async completeTask(task, checkbox) {
    const done = checkbox.checked;
    try {
      await call("completeTask", { taskId: task.id, done });
    } catch (error) {
      checkbox.checked = !done;
      flash(this.tasksStatus, `Could not update “${task.text}”: ${plainMessage(error)}`, 0);
    }
  }

  async deleteTask(task, button) {
    button.setAttribute("aria-disabled", "true");
    try {
      await call("deleteTask", { taskId: task.id });
      flash(this.tasksStatus, `Deleted ${task.text}.`);
      this.taskForm.text.focus();
    } catch (error) {
      button.removeAttribute("aria-disabled");
      flash(this.tasksStatus, `Could not delete “${task.text}”: ${plainMessage(error)}`, 0);
    }
  }

  // ---------------------------------------------------------------- notes

  renderNotes() {
    this.notesEmpty.hidden = this.notes.length > 0;
    keepingFocus(this.noteList, () =>
      this.noteList.replaceChildren(
        ...this.notes.map((note) => {
          const updated = toDate(note.updatedAt ?? note.createdAt);
          const text = String(note.text ?? "");
          return h(
            "li",
            { class: "item note", dataset: { key: note.id } },
            h(
              "div",
              { class: "item-main" },
              h("p", { class: "item-text note-text" }, text),
              updated ? h("time", { class: "item-when", datetime: updated.toISOString() }, relativeTime(updated)) : null,
            ),
            h(
              "button",
              {
                type: "button",
                class: "ghost small",
                dataset: { control: "delete" },
                "aria-label": `Delete the note “${shorten(text)}”`,
                onclick: (event) => this.deleteNote(note, event.currentTarget),
              },
              "Delete",
            ),
          );
        }),
      ),
    );
  }

  async addNote() {
    const form = this.noteForm;
    const text = form.text.value.trim();
    if (!text) return this.refuse(this.notesStatus, form.text, "Type the note first.");
    await this.submit(form, this.notesStatus, "Note not saved", async () => {
      await call("addNote", { text });
      form.reset();
      return "Note saved.";
    });
  }

  async deleteNote(note, button) {
    button.setAttribute("aria-disabled", "true");
    try {
      await call("deleteNote", { noteId: note.id });
      flash(this.notesStatus, "Note deleted.");
      this.noteForm.text.focus();
    } catch (error) {
      button.removeAttribute("aria-disabled");
      flash(this.notesStatus, `Could not delete the note: ${plainMessage(error)}`, 0);
    }
  }

  // ---------------------------------------------------------------- forms

  refuse(statusEl, field, text) {
    flash(statusEl, text, 0);
    field.focus();
  }

  /** Run `action` with the form's button busy; its result (or the error) goes to `statusEl`. */
  async submit(form, statusEl, failure, action) {
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    flash(statusEl, "Saving…", 0);
    try {
      flash(statusEl, await action());
    } catch (error) {
      flash(statusEl, `${failure}: ${plainMessage(error)}`, 0);
    } finally {
      button.disabled = false;
    }
  }
}
