/**
 * In-app notifications (issue #16): a listener on `users/{uid}/notifications` shows the unread
 * ones (a reminder fired) as toasts; *Show* and *Dismiss* mark them read with
 * markNotificationsRead, *Show* also brings up what it is about. Unread is filtered here, not
 * queried: the backend leaves `readAt` out until it is set (unset fields are not written), and
 * `where("readAt", "==", null)` does not match a missing field.
 */
import { collection, limit, onSnapshot, orderBy, query } from "firebase/firestore";

import { unreadNotifications } from "./assistant.js";
import { $, flash, h } from "./dom.js";
import { plainMessage } from "./errors.js";
import { call, db } from "./data.js";

const SHOWN = 5;

export class NotificationTray {
  constructor({ onShow } = {}) {
    this.uid = null;
    this.unsub = null;
    this.items = [];
    this.hiding = new Set(); // marked read here, until the listener says so
    this.onShow = onShow ?? (() => {});
    this.el = $("#notifications");
    this.listEl = $("#notification-list");
    this.statusEl = $("#notifications-status");
  }

  start(uid) {
    this.stop();
    this.uid = uid;
    const recent = query(collection(db, "users", uid, "notifications"), orderBy("createdAt", "desc"), limit(20));
    this.unsub = onSnapshot(
      recent,
      (snapshot) => {
        this.items = snapshot.docs.map((d) => ({ id: d.id, ...d.data({ serverTimestamps: "estimate" }) }));
        this.render();
      },
      (error) => {
        this.el.hidden = false;
        flash(this.statusEl, `Could not load your notifications: ${plainMessage(error)}`, 0);
      },
    );
  }

  stop() {
    this.unsub?.();
    this.unsub = null;
    this.uid = null;
    this.items = [];
    this.hiding.clear();
    flash(this.statusEl, "");
    this.render();
  }

  unread() {
    return unreadNotifications(this.items).filter((n) => !this.hiding.has(n.id));
  }

  /** Keyed: an existing toast is kept (the live region announces only new ones). */
  render() {
    const unread = this.unread();
    const shown = unread.slice(0, SHOWN);
    const keep = new Set(shown.map((n) => n.id));
    for (const li of [...this.listEl.children]) {
      if (!keep.has(li.dataset.notificationId)) li.remove();
    }
    shown.forEach((notification, index) => {
      const li =
        this.listEl.querySelector(`[data-notification-id="${CSS.escape(notification.id)}"]`) ??
        this.toast(notification);
      if (this.listEl.children[index] !== li) this.listEl.insertBefore(li, this.listEl.children[index] ?? null);
    });
    this.renderDismissAll(unread);
    this.el.hidden = unread.length === 0 && !this.statusEl.textContent;
  }

  renderDismissAll(unread) {
    let button = this.el.querySelector(".dismiss-all");
    if (unread.length < 2) {
      button?.remove();
      return;
    }
    if (!button) {
      button = h("button", { type: "button", class: "small dismiss-all", onclick: () => this.markRead(this.unread()) });
      this.listEl.after(button);
    }
    button.textContent = `Dismiss all (${unread.length})`;
  }

  toast(notification) {
    const title = String(notification.title || "Reminder");
    return h(
      "li",
      { class: "toast", dataset: { notificationId: notification.id, kind: notification.kind ?? "" } },
      h("p", { class: "toast-title" }, title),
      notification.body ? h("p", { class: "toast-body" }, String(notification.body)) : null,
      h(
        "div",
        { class: "row end" },
        h(
          "button",
          {
            type: "button",
            class: "small primary show",
            "aria-label": `Show “${title}”`,
            onclick: () => {
              this.markRead([notification]);
              this.onShow(notification);
            },
          },
          "Show",
        ),
        h(
          "button",
          {
            type: "button",
            class: "small dismiss",
            "aria-label": `Dismiss “${title}”`,
            onclick: () => this.markRead([notification]),
          },
          "Dismiss",
        ),
      ),
    );
  }

  /** Hide at once, then markNotificationsRead; a refusal brings them back with the reason. */
  async markRead(notifications) {
    const ids = notifications.map((n) => n.id);
    if (!ids.length) return;
    const hadFocus = this.el.contains(document.activeElement);
    for (const id of ids) this.hiding.add(id);
    flash(this.statusEl, "");
    this.render();
    if (hadFocus && !this.el.contains(document.activeElement)) {
      (this.listEl.querySelector("button.dismiss") ?? $("#prompt"))?.focus();
    }
    try {
      await call("markNotificationsRead", { ids });
    } catch (error) {
      for (const id of ids) this.hiding.delete(id);
      flash(this.statusEl, `Could not mark as read: ${plainMessage(error)}`, 0);
      this.render();
    }
  }
}
