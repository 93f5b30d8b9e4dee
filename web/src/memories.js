/**
 * What Aura remembers (issue #17), in the panel: a listener on `users/{uid}/memories`, newest
 * first, each with its kind and a Delete that asks once more (a second click) before
 * `deleteDoc`, the one write the rules let the owner make. Nobody edits a memory from here: the
 * server writes them, only with the personalisation consent, so changing one is telling Aura.
 *
 * Two page events connect it to the other chunks without importing them: the You panel
 * dispatches `auraos:consent` ({personalization, known}) whenever the consent is loaded or
 * changed (and keeps it in `body[data-personalization]`, for a panel loaded later), and this panel dispatches `auraos:memories` (the memories, `[{id, text, ...}]`) on each
 * snapshot, from which the chat says which memories a reply used.
 */
import { collection, deleteDoc, doc, limit, onSnapshot, orderBy, query } from "firebase/firestore";

import { toDate } from "./assistant.js";
import { $, flash, h, relativeTime } from "./dom.js";
import { plainMessage } from "./errors.js";
import { db } from "./data.js";
import { keepingFocus } from "./lists.js";
import { kindLabel, sortMemories } from "./memory.js";

const LIMIT = 200;
const CONFIRM_MS = 5000; // an unanswered "Confirm" turns back into "Delete"
const shorten = (text) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

export const CONSENT_EVENT = "auraos:consent";
export const MEMORIES_EVENT = "auraos:memories";

export class MemoriesPanel {
  constructor() {
    this.uid = null;
    this.unsub = null;
    this.memories = [];
    this.loaded = false;
    const consent = document.body.dataset.personalization; // set by the You panel once known
    this.consent = { personalization: consent === "on", known: Boolean(consent) };
    this.armed = null; // the id whose Delete asks for confirmation
    this.armTimer = null;
    this.deleting = new Set(); // deleted here, until the listener says so

    this.listEl = $("#memory-list");
    this.emptyEl = $("#memories-empty");
    this.offEl = $("#memories-off");
    this.statusEl = $("#memories-status");

    $("#memories-consent").addEventListener("click", () => {
      const consentSwitch = $("#consent-personalization");
      consentSwitch.scrollIntoView({ block: "center" });
      consentSwitch.focus();
    });
    document.addEventListener(CONSENT_EVENT, (event) => {
      this.consent = { personalization: Boolean(event.detail?.personalization), known: Boolean(event.detail?.known) };
      this.render();
    });
    this.listEl.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.armed) {
        event.stopPropagation(); // not the drawer's Escape
        this.disarm();
      }
    });
  }

  start(uid) {
    this.stop();
    this.uid = uid;
    const memories = query(collection(db, "users", uid, "memories"), orderBy("updatedAt", "desc"), limit(LIMIT));
    this.unsub = onSnapshot(
      memories,
      (snapshot) => {
        this.memories = sortMemories(
          snapshot.docs.map((d) => {
            const { embedding: _vector, ...data } = d.data({ serverTimestamps: "estimate" });
            return { id: d.id, ...data };
          }),
        );
        this.loaded = true;
        for (const id of this.deleting) if (!this.memories.some((m) => m.id === id)) this.deleting.delete(id);
        this.render();
        document.dispatchEvent(new CustomEvent(MEMORIES_EVENT, { detail: this.memories }));
      },
      (error) => flash(this.statusEl, `Could not load your memories: ${plainMessage(error)}`, 0),
    );
    this.render();
  }

  stop() {
    this.unsub?.();
    this.unsub = null;
    this.uid = null;
    this.memories = [];
    this.loaded = false;
    this.deleting.clear();
    this.disarm(false);
    flash(this.statusEl, "");
    this.render();
  }

  shown() {
    return this.memories.filter((m) => !this.deleting.has(m.id));
  }

  render() {
    const items = this.shown();
    const off = this.consent.known && !this.consent.personalization;
    this.offEl.hidden = !off;
    this.emptyEl.hidden = off || !this.loaded || items.length > 0;
    keepingFocus(this.listEl, () =>
      this.listEl.replaceChildren(...items.map((memory) => this.item(memory))),
    );
  }

  item(memory) {
    const text = String(memory.text ?? "");
    const updated = toDate(memory.updatedAt ?? memory.createdAt);
    const armed = this.armed === memory.id;
    return h(
      "li",
      { class: "item memory", dataset: { key: memory.id, kind: memory.kind ?? "fact" } },
      h(
        "div",
        { class: "item-main" },
        h("span", { class: "item-text" }, text),
        h(
          "span",
          { class: "item-when" },
          h("span", { class: "memory-kind" }, kindLabel(memory.kind)),
          updated ? [" · ", h("time", { datetime: updated.toISOString() }, relativeTime(updated))] : null,
        ),
      ),
      h(
        "button",
        {
          type: "button",
          class: armed ? "danger small" : "ghost small",
          dataset: { control: "delete", armed: armed ? "true" : "false" },
          "aria-label": armed ? `Confirm: forget “${shorten(text)}”` : `Delete the memory “${shorten(text)}”`,
          onclick: () => (armed ? this.remove(memory) : this.arm(memory)),
        },
        armed ? "Confirm" : "Delete",
      ),
    );
  }

  /** The first click: the button asks for a second one, for a while. */
  arm(memory) {
    this.disarm(false);
    this.armed = memory.id;
    this.armTimer = setTimeout(() => this.disarm(), CONFIRM_MS);
    this.render();
    flash(this.statusEl, `Press Confirm to forget “${memory.text}”.`);
  }

  disarm(render = true) {
    clearTimeout(this.armTimer);
    this.armTimer = null;
    if (this.armed === null) return;
    this.armed = null;
    if (render) this.render();
  }

  /** The second click: gone from the list at once, back with the reason if the delete fails. */
  async remove(memory) {
    this.disarm(false);
    const index = this.shown().findIndex((m) => m.id === memory.id);
    this.deleting.add(memory.id);
    this.render();
    // The focus was on the button just removed: the next memory's Delete, else the heading.
    const next = this.shown()[Math.max(0, index)] ?? this.shown().at(-1);
    const target = next && this.listEl.querySelector(`[data-key="${CSS.escape(next.id)}"] button`);
    (target ?? $("#memories-title")).focus();
    try {
      await deleteDoc(doc(db, "users", this.uid, "memories", memory.id));
      flash(this.statusEl, `Forgot “${memory.text}”.`);
    } catch (error) {
      this.deleting.delete(memory.id);
      this.render();
      flash(this.statusEl, `Could not delete “${memory.text}”: ${plainMessage(error)}`, 0);
    }
  }
}
