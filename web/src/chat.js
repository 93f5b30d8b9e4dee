/**
 * The chat view: conversations list, one conversation's turns through a Firestore listener,
 * sending (the PWA writes the turn itself, as the rules allow), regenerate (status RETRY), stop
 * (status STOP) and branches (issue #18): editing a sent prompt writes a new turn that starts a
 * branch, "< 1/2 >" switches between the versions of a turn, and the conversation's `activeLeaf`
 * says which path is shown (see branches.js). Offline, a sent turn stays in Firestore's local
 * queue (state PENDING, from the snapshot's hasPendingWrites) and goes out when the connection
 * returns. A reply that used memories (issue #17, `memoryIds`) says so under it, with their texts
 * from the memories panel's `auraos:memories` event; a search result opens its conversation at
 * the turn found (`open(cid, {turnId})`).
 */
import {
  collection,
  doc,
  limit,
  onSnapshot,
  orderBy,
  query,
  serverTimestamp,
  setDoc,
  updateDoc,
  writeBatch,
} from "firebase/firestore";

import { toolCallSummary } from "./assistant.js";
import { usedMemories, usedMemoriesLabel } from "./memory.js";
import { $, flash, h, relativeTime } from "./dom.js";
import { plainMessage } from "./errors.js";
import { MAIN, conversationTree } from "./branches.js";
import { db } from "./data.js";

const TERMINAL = new Set(["COMPLETED", "ERROR", "BLOCKED", "STOPPED"]);
const STOPPABLE = new Set(["QUEUED", "PROCESSING", "STREAMING"]); // the rules allow STOP from these
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
  STOP: "Stopping…",
  STOPPED: "Stopped",
};

// While a turn waits, how many were queued before it (counted as it was queued: the figure
// says how long the wait may be, not where the queue stands now).
const stateLabel = (state, queuedAhead) =>
  state === "QUEUED" && queuedAhead > 0
    ? `Queued · ${queuedAhead} ahead of yours`
    : (STATE_LABELS[state] ?? state);

const newId = () => doc(collection(db, "_")).id; // 20 characters of [A-Za-z0-9]
const shorten = (text) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

export class ChatView {
  constructor({ onConversationChange } = {}) {
    this.uid = null;
    this.cid = null; // the open conversation; null: a new one, created with its first message
    this.created = false; // whether the open conversation exists in Firestore
    this.titles = new Map();
    this.turns = new Map(); // turnId -> {data, pending}, every turn of the open conversation
    this.order = []; // turn ids in the listener's order (createTime)
    this.activeLeaf = null; // the conversation's activeLeaf (or this client's newer choice)
    this.conversationSeen = false; // its first snapshot came: the path can be chosen
    this.tree = conversationTree([]);
    this.leaf = null; // the last turn of the path shown
    this.turnEls = new Map(); // turnId -> <li>, kept while off the path shown
    this.memoryTexts = new Map(); // memory id -> text, from the memories panel
    this.foundTurnId = null; // a search result's turn, brought into view once it is shown
    this.unsubList = null;
    this.unsubTurns = null;
    this.unsubConversation = null;
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
    // Announces what a click changed out of sight (a version switch, a stop).
    this.announcer = h("p", { class: "visually-hidden", role: "status" });
    this.form.before(this.announcer);

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
    document.addEventListener("auraos:memories", (event) => {
      this.memoryTexts = new Map((event.detail ?? []).map((m) => [m.id, String(m.text ?? "")]));
      for (const el of this.turnEls.values()) this.renderMemories(el, el._data?.memoryIds);
    });
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
    this.unsubList = null;
    this.stopTurns();
    this.uid = this.cid = null;
    this.titles.clear();
    this.listEl.replaceChildren();
    this.resetTurns();
  }

  stopTurns() {
    this.unsubTurns?.();
    this.unsubConversation?.();
    this.unsubTurns = this.unsubConversation = null;
  }

  resetTurns() {
    this.turns.clear();
    this.order = [];
    this.activeLeaf = this.leaf = null;
    this.conversationSeen = false;
    this.tree = conversationTree([]);
    this.turnEls.clear();
    this.turnListEl.replaceChildren();
    this.emptyEl.hidden = false;
    flash(this.errorEl, "");
  }

  /** Show conversation `cid` (null: an empty new conversation), at `turnId` when given. */
  open(cid, { created = true, turnId = null } = {}) {
    this.stopTurns();
    this.cid = cid;
    this.foundTurnId = cid ? turnId : null;
    this.created = Boolean(cid) && created;
    this.resetTurns();
    this.updateTitle();
    this.highlightCurrent();
    if (cid) this.listen();
    this.onConversationChange(cid);
  }

  conversationRef(cid = this.cid) {
    return doc(db, "users", this.uid, "conversations", cid);
  }

  turnRef(turnId) {
    return doc(this.conversationRef(), "messages", turnId);
  }

  listen() {
    const turns = query(collection(this.conversationRef(), "messages"), orderBy("createTime"));
    this.unsubTurns = onSnapshot(
      turns,
      { includeMetadataChanges: true }, // hasPendingWrites turning false: the turn reached the server
      (snapshot) => {
        for (const change of snapshot.docChanges({ includeMetadataChanges: true })) {
          if (change.type === "removed") {
            this.turns.delete(change.doc.id);
            this.turnEls.get(change.doc.id)?.remove();
            this.turnEls.delete(change.doc.id);
          } else {
            this.turns.set(change.doc.id, {
              data: change.doc.data({ serverTimestamps: "estimate" }),
              pending: change.doc.metadata.hasPendingWrites,
            });
          }
        }
        this.order = snapshot.docs.map((d) => d.id);
        this.renderPath();
      },
      (error) => flash(this.errorEl, plainMessage(error), 0),
    );
    // The conversation's activeLeaf: which branch is shown (set by the server for each queued
    // turn, and by this client when it switches versions).
    this.unsubConversation = onSnapshot(
      this.conversationRef(),
      (snapshot) => {
        const leaf = snapshot.get("activeLeaf");
        const activeLeaf = typeof leaf === "string" && leaf ? leaf : null;
        if (activeLeaf === this.activeLeaf && this.conversationSeen) return;
        this.activeLeaf = activeLeaf;
        this.conversationSeen = true;
        this.renderPath();
      },
      (error) => {
        flash(this.errorEl, plainMessage(error), 0);
        this.conversationSeen = true; // show the newest path rather than nothing
        this.renderPath();
      },
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

  announce(text) {
    this.announcer.textContent = "";
    // A fresh text node after a tick: screen readers announce a repeated message too.
    setTimeout(() => (this.announcer.textContent = text), 50);
  }

  /**
   * Write the turn (and, for a new conversation, the conversation) in one batch, in the branch
   * of the path shown. The commit resolves once the server has it, which offline is whenever
   * the connection returns: the listener shows the local write at once (it follows the path's
   * last turn, so it is shown in that branch) and the composer stays usable meanwhile.
   */
  async send() {
    const prompt = this.input.value.trim();
    if (!prompt || !this.uid) return;
    flash(this.errorEl, "");
    const isNew = !this.cid;
    const cid = this.cid ?? newId();
    const turnId = newId();
    const branch = !isNew && this.leaf ? this.tree.branchOf(this.leaf) : MAIN;
    const conversationRef = this.conversationRef(cid);
    const turn = { prompt, createTime: serverTimestamp() };
    if (branch !== MAIN) turn.branch = branch; // the main thread: no branch field
    const batch = writeBatch(db);
    if (isNew || !this.created) batch.set(conversationRef, { createdAt: serverTimestamp() });
    batch.set(doc(conversationRef, "messages", turnId), turn);
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
      await updateDoc(this.turnRef(turnId), { "status.state": "RETRY" });
    } catch (error) {
      flash(this.errorEl, `Could not regenerate: ${plainMessage(error)}`, 0);
      button.disabled = false;
    }
  }

  /** Ask the server to end a queued or streaming reply where it is (status STOP). */
  async stopReply(turnId) {
    const state = this.turns.get(turnId)?.data.status?.state;
    if (!STOPPABLE.has(state)) return; // already stopping, or ended meanwhile
    flash(this.errorEl, "");
    try {
      await updateDoc(this.turnRef(turnId), { "status.state": "STOP" });
    } catch (error) {
      // Refused when the reply ended first: nothing left to stop.
      const now = this.turns.get(turnId)?.data.status?.state;
      if (!TERMINAL.has(now)) flash(this.errorEl, `Could not stop the reply: ${plainMessage(error)}`, 0);
    }
  }

  /**
   * Show the path from the first turn to the leaf: `activeLeaf`, followed to the newest turn
   * after it (a message just sent), else the newest turn. Turns off the path are detached.
   */
  renderPath() {
    // Wait for the conversation's activeLeaf: no flash of another branch on opening.
    if (!this.conversationSeen) return;
    const nearBottom =
      this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
    this.tree = conversationTree(
      this.order.map((id) => {
        const { data } = this.turns.get(id);
        return { id, branch: data.branch, parentTurnId: data.parentTurnId };
      }),
    );
    this.leaf = this.tree.resolveLeaf(this.activeLeaf);
    const path = this.leaf ? this.tree.path(this.leaf) : [];
    const shown = new Set(path);
    for (const el of [...this.turnListEl.children]) {
      if (!shown.has(el.dataset.turnId)) el.remove();
    }
    path.forEach((turnId, index) => {
      const el = this.renderTurn(turnId);
      if (this.turnListEl.children[index] !== el) {
        this.turnListEl.insertBefore(el, this.turnListEl.children[index] ?? null);
      }
      this.renderVersions(el, turnId);
    });
    this.emptyEl.hidden = path.length > 0;
    if (nearBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
    if (this.foundTurnId && path.length) this.showFound(path);
  }

  /**
   * Bring a search result's turn into view, marked, with the focus on it. A turn in a branch
   * not shown is shown (here only: activeLeaf is not written); one no longer there is let go.
   */
  showFound(path) {
    const turnId = this.foundTurnId;
    if (!path.includes(turnId)) {
      const leaf = this.turns.has(turnId) ? this.tree.newestThrough(turnId) : null;
      if (leaf && leaf !== this.activeLeaf) {
        this.activeLeaf = leaf;
        this.renderPath();
      } else {
        this.foundTurnId = null;
        this.announce("That message is no longer in this conversation.");
      }
      return;
    }
    this.foundTurnId = null;
    for (const other of this.turnListEl.querySelectorAll(".turn.found")) other.classList.remove("found");
    const el = this.turnEls.get(turnId);
    el.classList.add("found");
    el.tabIndex = -1;
    el.scrollIntoView({ block: "center" });
    el.focus({ preventScroll: true });
  }

  /** The <li> of a turn, brought up to date with its latest snapshot. */
  renderTurn(turnId) {
    const { data, pending } = this.turns.get(turnId);
    let el = this.turnEls.get(turnId);
    if (!el) {
      el = this.createTurnElement(turnId, data.prompt);
      this.turnEls.set(turnId, el);
    }
    if (el._data === data && el._pending === pending) return el; // unchanged since last shown
    el._data = data;
    el._pending = pending;

    // No status yet: still in the local queue (PENDING) or on the server, not yet queued (SENDING).
    const state = data.status?.state ?? (pending ? "PENDING" : "SENDING");
    const terminal = TERMINAL.has(state);
    const attempt = data.status?.attempt ?? 0;
    el.dataset.state = state;
    el.dataset.attempt = String(attempt);
    const reply = el.querySelector(".bubble.aura");
    reply.setAttribute("aria-busy", terminal ? "false" : "true");
    const responseEl = el.querySelector(".response");
    const response = data.response ?? "";
    if (responseEl.textContent !== response) responseEl.textContent = response;

    const badge = el.querySelector(".badge");
    badge.dataset.state = state;
    badge.textContent = stateLabel(state, data.status?.queuedAhead);

    const meta = el.querySelector(".meta");
    const usage = data.usage;
    meta.textContent =
      state === "COMPLETED" || state === "STOPPED"
        ? [
            data.intent?.name,
            usage ? `${usage.provider}/${usage.model}` : null,
            usage?.latencyMs !== undefined ? `${usage.latencyMs} ms` : null,
          ]
            .filter(Boolean)
            .join(" · ")
        : "";

    this.renderToolCalls(el, Array.isArray(data.toolCalls) ? data.toolCalls : []);
    this.renderMemories(el, data.memoryIds);

    const errorEl = el.querySelector(".turn-error");
    errorEl.textContent =
      state === "ERROR" || state === "BLOCKED" ? (data.status?.error?.message ?? "") : "";

    const regenerate = el.querySelector(".regenerate");
    regenerate.disabled = !terminal;
    // Stop: while queued or streaming; "Stopping…" (inert) until the server has ended the reply.
    const stop = el.querySelector(".stop");
    const showStop = STOPPABLE.has(state) || state === "STOP";
    stop.setAttribute("aria-disabled", state === "STOP" ? "true" : "false");
    if (!showStop && !stop.hidden) {
      if (document.activeElement === stop) (terminal ? regenerate : this.scroller).focus();
      if (state === "STOPPED") this.announce("The reply was stopped.");
    }
    stop.hidden = !showStop;
    this.renderAttempts(el, data.attempts ?? []);
    return el;
  }

  /** "< i/n >" on a turn with other versions (edits of it, or the turn it is an edit of). */
  renderVersions(el, turnId) {
    const versions = this.tree.versions(turnId);
    const nav = el.querySelector(".versions");
    nav.hidden = versions.length < 2;
    if (nav.hidden) return;
    const i = versions.indexOf(turnId);
    nav.querySelector(".version-count").textContent = `${i + 1}/${versions.length}`;
    nav.querySelector(".version-prev").disabled = i <= 0;
    nav.querySelector(".version-next").disabled = i >= versions.length - 1;
  }

  /** Show the previous (-1) or next (+1) version of `turnId`, with its branch's newest turn. */
  async switchVersion(turnId, delta) {
    const versions = this.tree.versions(turnId);
    const target = versions[versions.indexOf(turnId) + delta];
    if (!target) return;
    const leaf = this.tree.newestThrough(target);
    this.activeLeaf = leaf;
    this.renderPath();
    // The clicked button now belongs to another turn's element: keep the focus on its twin.
    const nav = this.turnEls.get(target)?.querySelector(".versions");
    if (nav) {
      const same = nav.querySelector(delta < 0 ? ".version-prev" : ".version-next");
      const other = nav.querySelector(delta < 0 ? ".version-next" : ".version-prev");
      (same.disabled ? other : same).focus();
    }
    this.announce(`Version ${versions.indexOf(target) + 1} of ${versions.length}`);
    flash(this.errorEl, "");
    try {
      await updateDoc(this.conversationRef(), { activeLeaf: leaf });
    } catch (error) {
      flash(this.errorEl, `Could not keep this version shown: ${plainMessage(error)}`, 0);
    }
  }

  /** Inline editor of a sent prompt: Enter (or Save) saves, Escape (or Cancel) cancels. */
  openEdit(turnId) {
    const el = this.turnEls.get(turnId);
    if (!el) return;
    const existing = el.querySelector(".edit-form");
    if (existing) {
      existing.querySelector("textarea").focus();
      return;
    }
    const prompt = this.turns.get(turnId)?.data.prompt ?? "";
    const inputId = `edit-${turnId}`;
    const hintId = `edit-hint-${turnId}`;
    const textarea = h("textarea", {
      id: inputId,
      class: "edit-input",
      rows: 2,
      maxlength: 4000,
      required: true,
      "aria-describedby": hintId,
    });
    textarea.value = prompt;
    const form = h(
      "form",
      { class: "edit-form" },
      h("label", { for: inputId, class: "visually-hidden" }, "Edit your message"),
      textarea,
      h("p", { id: hintId, class: "visually-hidden" }, "Enter saves a new version; Shift+Enter adds a new line; Escape cancels."),
      h(
        "div",
        { class: "row end" },
        h("button", { type: "button", class: "small cancel-edit", onclick: () => this.closeEdit(turnId) }, "Cancel"),
        h("button", { type: "submit", class: "primary small save-edit" }, "Save"),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveEdit(turnId, textarea.value);
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        this.closeEdit(turnId);
      }
    });
    el.classList.add("editing");
    el.querySelector(".user-actions").after(form);
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  }

  closeEdit(turnId, { focus = true } = {}) {
    const el = this.turnEls.get(turnId);
    el?.querySelector(".edit-form")?.remove();
    el?.classList.remove("editing");
    if (focus && el?.isConnected) el.querySelector(".edit").focus();
  }

  /**
   * An edit is a new turn N: `{prompt, createTime, parentTurnId, branch: N}`, the first turn of
   * branch N, shown at once (activeLeaf N; the server also sets it when it queues N).
   */
  async saveEdit(turnId, value) {
    const prompt = value.trim();
    const original = this.turns.get(turnId)?.data.prompt;
    if (!prompt) return;
    if (prompt === original || !this.uid || !this.cid) {
      this.closeEdit(turnId);
      return;
    }
    flash(this.errorEl, "");
    const editId = newId();
    this.activeLeaf = editId;
    const committed = setDoc(this.turnRef(editId), {
      prompt,
      createTime: serverTimestamp(),
      parentTurnId: turnId,
      branch: editId,
    });
    const shown = updateDoc(this.conversationRef(), { activeLeaf: editId });
    this.closeEdit(turnId, { focus: false });
    this.input.focus();
    this.announce("Edited: the new version is shown.");
    try {
      await committed;
    } catch (error) {
      flash(this.errorEl, `Your edit was not sent: ${plainMessage(error)}`, 0);
      shown.catch(() => {});
      return;
    }
    try {
      await shown;
    } catch (error) {
      flash(this.errorEl, `Could not keep the new version shown: ${plainMessage(error)}`, 0);
    }
  }

  createTurnElement(turnId, prompt) {
    const shortPrompt = shorten(prompt);
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
        { class: "user-actions" },
        h(
          "div",
          { class: "versions", role: "group", "aria-label": "Versions of this message", hidden: true },
          h(
            "button",
            {
              type: "button",
              class: "ghost small version-prev",
              "aria-label": "Previous version",
              onclick: () => this.switchVersion(turnId, -1),
            },
            h("span", { "aria-hidden": "true" }, "<"),
          ),
          h("span", { class: "version-count" }),
          h(
            "button",
            {
              type: "button",
              class: "ghost small version-next",
              "aria-label": "Next version",
              onclick: () => this.switchVersion(turnId, 1),
            },
            h("span", { "aria-hidden": "true" }, ">"),
          ),
        ),
        h(
          "button",
          {
            type: "button",
            class: "ghost small edit",
            "aria-label": `Edit your message “${shortPrompt}”`,
            onclick: () => this.openEdit(turnId),
          },
          "Edit",
        ),
      ),
      h(
        "div",
        { class: "bubble aura", "aria-live": "polite", "aria-busy": "true" },
        h("span", { class: "visually-hidden" }, "Aura replied: "),
        h("p", { class: "response" }),
        h("p", { class: "turn-error", role: "alert" }),
        h("ul", { class: "tool-calls", "aria-label": "What Aura did", hidden: true }),
        h("details", { class: "memories-used", hidden: true }, h("summary"), h("ul")),
        h(
          "div",
          { class: "turn-foot" },
          h("span", { class: "badge" }),
          h("span", { class: "meta" }),
          h(
            "span",
            { class: "turn-actions" },
            h(
              "button",
              {
                type: "button",
                class: "small stop",
                "aria-label": `Stop the reply to “${shortPrompt}”`,
                hidden: true,
                onclick: () => this.stopReply(turnId),
              },
              "Stop",
            ),
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
        ),
        h("details", { class: "attempts", hidden: true }, h("summary"), h("ol")),
      ),
    );
  }

  /** What Aura did for the turn (issue #16): "create_reminder · ok · water the plants". */
  renderToolCalls(el, calls) {
    const list = el.querySelector(".tool-calls");
    list.hidden = calls.length === 0;
    list.replaceChildren(
      ...calls.map((toolCall) => {
        const { label, detail } = toolCallSummary(toolCall);
        return h(
          "li",
          { dataset: { tool: toolCall?.name ?? "", status: toolCall?.status ?? "" } },
          h("span", { class: "tool-label" }, label),
          detail ? h("span", { class: "tool-detail" }, ` · ${detail}`) : null,
        );
      }),
    );
  }

  /** "Used 2 memories" under a reply whose turn has `memoryIds`; their texts when opened. */
  renderMemories(el, memoryIds) {
    const used = usedMemories(memoryIds, this.memoryTexts);
    const details = el.querySelector(".memories-used");
    details.hidden = used.length === 0;
    if (!used.length) return;
    const texts = used.map((m) => m.text ?? "A memory since deleted");
    const summary = details.querySelector("summary");
    summary.textContent = usedMemoriesLabel(used.length);
    summary.title = texts.join("\n");
    details.querySelector("ul").replaceChildren(
      ...used.map((m, i) => h("li", { dataset: { memoryId: m.id, gone: m.text === null ? "true" : false } }, texts[i])),
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
