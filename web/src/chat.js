/**
 * The chat view: conversations list, one conversation's turns through a Firestore listener,
 * sending (the PWA writes the turn itself, as the rules allow) and regenerate (status RETRY).
 * Offline, a sent turn stays in Firestore's local queue (state PENDING, from the snapshot's
 * hasPendingWrites) and goes out when the connection returns.
 */
import {
  collection,
  doc,
  limit,
  onSnapshot,
  orderBy,
  query,
  serverTimestamp,
  updateDoc,
  writeBatch,
} from "firebase/firestore";

import { $, flash, h, relativeTime } from "./dom.js";
import { plainMessage } from "./errors.js";
import { db } from "./data.js";

const TERMINAL = new Set(["COMPLETED", "ERROR", "BLOCKED"]);
const STATE_LABELS = {
  PENDING: "Waiting to send",
  SENDING: "Sent",
  QUEUED: "Queued",
  PROCESSING: "Thinking…",
  STREAMING: "Replying…",
  COMPLETED: "Done",
  ERROR: "Error",
  BLOCKED: "Blocked",
  RETRY: "Regenerating…",
};

const newId = () => doc(collection(db, "_")).id; // 20 characters of [A-Za-z0-9]

export class ChatView {
  constructor({ onConversationChange } = {}) {
    this.uid = null;
    this.cid = null; // the open conversation; null: a new one, created with its first message
    this.created = false; // whether the open conversation exists in Firestore
    this.titles = new Map();
    this.turnEls = new Map();
    this.unsubList = null;
    this.unsubTurns = null;
    this.onConversationChange = onConversationChange ?? (() => {});

    this.listEl = $("#conversation-list");
    this.listEmptyEl = $("#conversation-empty");
    this.turnListEl = $("#turn-list");
    this.emptyEl = $("#chat-empty");
    this.titleEl = $("#chat-title");
    this.errorEl = $("#chat-error");
    this.scroller = $("#turns");
    this.form = $("#composer");
    this.input = $("#prompt");
    this.sendButton = $("#send");
    this.connectionEl = $("#connection");

    const showConnection = () => (this.connectionEl.hidden = navigator.onLine);
    window.addEventListener("online", showConnection);
    window.addEventListener("offline", showConnection);
    showConnection();

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.input.addEventListener("input", () => this.autosize());
    $("#new-chat").addEventListener("click", () => {
      this.open(null);
      this.input.focus();
    });
  }

  /** Start for a signed-in user: the conversations listener, then `cid` (or a new chat). */
  start(uid, cid) {
    this.stop();
    this.uid = uid;
    const conversations = query(
      collection(db, "users", uid, "conversations"),
      orderBy("updatedAt", "desc"),
      limit(50),
    );
    this.unsubList = onSnapshot(
      conversations,
      (snapshot) => this.renderList(snapshot.docs),
      (error) => flash(this.errorEl, plainMessage(error), 0),
    );
    this.open(cid ?? null, { created: Boolean(cid) });
  }

  stop() {
    this.unsubList?.();
    this.unsubTurns?.();
    this.unsubList = this.unsubTurns = null;
    this.uid = this.cid = null;
    this.titles.clear();
    this.listEl.replaceChildren();
    this.resetTurns();
  }

  resetTurns() {
    this.turnEls.clear();
    this.turnListEl.replaceChildren();
    this.emptyEl.hidden = false;
    flash(this.errorEl, "");
  }

  /** Show conversation `cid` (null: an empty new conversation). */
  open(cid, { created = true } = {}) {
    this.unsubTurns?.();
    this.unsubTurns = null;
    this.cid = cid;
    this.created = Boolean(cid) && created;
    this.resetTurns();
    this.updateTitle();
    this.highlightCurrent();
    if (cid) this.listen();
    this.onConversationChange(cid);
  }

  listen() {
    const turns = query(
      collection(db, "users", this.uid, "conversations", this.cid, "messages"),
      orderBy("createTime"),
    );
    this.unsubTurns = onSnapshot(
      turns,
      { includeMetadataChanges: true }, // hasPendingWrites turning false: the turn reached the server
      (snapshot) => {
        for (const change of snapshot.docChanges({ includeMetadataChanges: true })) {
          if (change.type === "removed") {
            this.turnEls.get(change.doc.id)?.remove();
            this.turnEls.delete(change.doc.id);
          } else {
            const data = change.doc.data({ serverTimestamps: "estimate" });
            this.renderTurn(change.doc.id, data, change.newIndex, change.doc.metadata.hasPendingWrites);
          }
        }
      },
      (error) => flash(this.errorEl, plainMessage(error), 0),
    );
  }

  renderList(docs) {
    this.titles = new Map(docs.map((d) => [d.id, d.data().title]));
    this.listEmptyEl.hidden = docs.length > 0;
    this.listEl.replaceChildren(
      ...docs.map((d) => {
        const data = d.data({ serverTimestamps: "estimate" });
        const title = data.title || "New conversation";
        const updated = data.updatedAt?.toDate?.();
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              dataset: { cid: d.id },
              "aria-current": d.id === this.cid ? "true" : "false",
              onclick: () => this.open(d.id),
            },
            h("span", { class: "title" }, title),
            updated ? h("time", { class: "when", datetime: updated.toISOString() }, relativeTime(updated)) : null,
          ),
        );
      }),
    );
    this.updateTitle();
  }

  highlightCurrent() {
    for (const button of this.listEl.querySelectorAll("button[data-cid]")) {
      button.setAttribute("aria-current", button.dataset.cid === this.cid ? "true" : "false");
    }
  }

  updateTitle() {
    const title = (this.cid && this.titles.get(this.cid)) || "New conversation";
    this.titleEl.textContent = title;
    document.title = this.cid ? `${title} · AuraOS` : "AuraOS";
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 160)}px`;
  }

  /**
   * Write the turn (and, for a new conversation, the conversation) in one batch. The commit
   * resolves once the server has it, which offline is whenever the connection returns: the
   * listener shows the local write at once and the composer stays usable meanwhile.
   */
  async send() {
    const prompt = this.input.value.trim();
    if (!prompt || !this.uid) return;
    flash(this.errorEl, "");
    const isNew = !this.cid;
    const cid = this.cid ?? newId();
    const turnId = newId();
    const conversationRef = doc(db, "users", this.uid, "conversations", cid);
    const batch = writeBatch(db);
    if (isNew || !this.created) batch.set(conversationRef, { createdAt: serverTimestamp() });
    batch.set(doc(conversationRef, "messages", turnId), { prompt, createTime: serverTimestamp() });
    const committed = batch.commit();
    this.input.value = "";
    this.autosize();
    if (isNew) this.open(cid, { created: true }); // listener shows the pending write at once
    this.created = true;
    try {
      await committed;
    } catch (error) {
      flash(this.errorEl, `Your message was not sent: ${plainMessage(error)}`, 0);
      if (!this.input.value) this.input.value = prompt;
      if (isNew && this.cid === cid) this.created = false;
    }
  }

  async regenerate(turnId, button) {
    button.disabled = true;
    flash(this.errorEl, "");
    try {
      await updateDoc(doc(db, "users", this.uid, "conversations", this.cid, "messages", turnId), {
        "status.state": "RETRY",
      });
    } catch (error) {
      flash(this.errorEl, `Could not regenerate: ${plainMessage(error)}`, 0);
      button.disabled = false;
    }
  }

  renderTurn(turnId, data, index, pending) {
    // No status yet: still in the local queue (PENDING) or on the server, not yet queued (SENDING).
    const state = data.status?.state ?? (pending ? "PENDING" : "SENDING");
    const terminal = TERMINAL.has(state);
    const attempt = data.status?.attempt ?? 0;
    let el = this.turnEls.get(turnId);
    if (!el) {
      el = this.createTurnElement(turnId, data.prompt);
      this.turnEls.set(turnId, el);
      this.emptyEl.hidden = true;
    }
    const nearBottom =
      this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
    // Place it where the listener says (ordered by createTime).
    if (this.turnListEl.children[index] !== el) {
      el.remove();
      this.turnListEl.insertBefore(el, this.turnListEl.children[index] ?? null);
    }

    el.dataset.state = state;
    el.dataset.attempt = String(attempt);
    const reply = el.querySelector(".bubble.aura");
    reply.setAttribute("aria-busy", terminal ? "false" : "true");
    const responseEl = el.querySelector(".response");
    const response = data.response ?? "";
    if (responseEl.textContent !== response) responseEl.textContent = response;

    const badge = el.querySelector(".badge");
    badge.dataset.state = state;
    badge.textContent = STATE_LABELS[state] ?? state;

    const meta = el.querySelector(".meta");
    const usage = data.usage;
    meta.textContent =
      state === "COMPLETED"
        ? [
            data.intent?.name,
            usage ? `${usage.provider}/${usage.model}` : null,
            usage?.latencyMs !== undefined ? `${usage.latencyMs} ms` : null,
          ]
            .filter(Boolean)
            .join(" · ")
        : "";

    const errorEl = el.querySelector(".turn-error");
    errorEl.textContent =
      state === "ERROR" || state === "BLOCKED" ? (data.status?.error?.message ?? "") : "";

    el.querySelector(".regenerate").disabled = !terminal;
    this.renderAttempts(el, data.attempts ?? []);

    if (nearBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  createTurnElement(turnId, prompt) {
    const shortPrompt = prompt.length > 40 ? `${prompt.slice(0, 40)}…` : prompt;
    return h(
      "li",
      { class: "turn", dataset: { turnId } },
      h(
        "div",
        { class: "bubble user" },
        h("span", { class: "visually-hidden" }, "You said: "),
        h("p", { class: "prompt" }, prompt),
      ),
      h(
        "div",
        { class: "bubble aura", "aria-live": "polite", "aria-busy": "true" },
        h("span", { class: "visually-hidden" }, "Aura replied: "),
        h("p", { class: "response" }),
        h("p", { class: "turn-error", role: "alert" }),
        h(
          "div",
          { class: "turn-foot" },
          h("span", { class: "badge" }),
          h("span", { class: "meta" }),
          h(
            "button",
            {
              type: "button",
              class: "ghost small regenerate",
              "aria-label": `Regenerate the reply to “${shortPrompt}”`,
              disabled: true,
              onclick: (event) => this.regenerate(turnId, event.currentTarget),
            },
            "Regenerate",
          ),
        ),
        h("details", { class: "attempts", hidden: true }, h("summary"), h("ol")),
      ),
    );
  }

  renderAttempts(el, attempts) {
    const details = el.querySelector(".attempts");
    details.hidden = attempts.length === 0;
    if (!attempts.length) return;
    details.querySelector("summary").textContent =
      `Earlier attempts (${attempts.length})`;
    details.querySelector("ol").replaceChildren(
      ...[...attempts]
        .sort((a, b) => (a.attempt ?? 0) - (b.attempt ?? 0))
        .map((a) =>
          h(
            "li",
            {},
            a.response || a.error?.message || "(no reply)",
            a.state && a.state !== "COMPLETED" ? ` (${a.state.toLowerCase()})` : "",
          ),
        ),
    );
  }
}
