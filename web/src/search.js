/**
 * Conversation search (issue #17), above the conversations list: the callable
 * `searchConversations({query, limit, pageToken})` -> `{results: [{conversationId, turnId, title,
 * snippet, score, match}], nextPageToken}`; a result opens its conversation (at the turn found,
 * when there is one: `onOpen(cid, turnId)`), *Load more* asks for the next page. Errors show the server's message.
 */
import { $, flash, h } from "./dom.js";
import { plainMessage } from "./errors.js";
import { call } from "./data.js";
import { SEARCH_PAGE, markSnippet, matchLabel, mergeResults, normalizeQuery, resultsLabel } from "./memory.js";

export class ConversationSearch {
  constructor({ onOpen }) {
    this.onOpen = onOpen;
    this.query = "";
    this.results = [];
    this.nextPageToken = null;
    this.generation = 0; // a newer search (or Clear) makes an older answer stale

    this.form = $("#search-form");
    this.input = $("#search-query");
    this.panel = $("#search-results");
    this.listEl = $("#search-list");
    this.headingEl = $("#search-title");
    this.moreButton = $("#search-more");
    this.statusEl = $("#search-status");

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search(this.input.value);
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && (this.input.value || !this.panel.hidden)) {
        event.preventDefault();
        event.stopPropagation(); // clears the search, not the drawer
        this.clear();
      }
    });
    $("#search-clear").addEventListener("click", () => {
      this.clear();
      this.input.focus();
    });
    this.moreButton.addEventListener("click", () => this.loadMore());
  }

  start() {
    this.clear();
  }

  stop() {
    this.clear();
  }

  clear() {
    this.generation += 1;
    this.query = "";
    this.results = [];
    this.nextPageToken = null;
    this.input.value = "";
    this.panel.hidden = true;
    this.listEl.replaceChildren();
    flash(this.statusEl, "");
  }

  async search(text) {
    const query = normalizeQuery(text);
    if (!query) {
      this.clear();
      this.input.focus();
      return;
    }
    this.query = query;
    this.results = [];
    this.nextPageToken = null;
    this.listEl.replaceChildren();
    this.panel.hidden = false;
    this.headingEl.textContent = `Searching for “${query}”…`;
    await this.fetchPage(null);
  }

  async loadMore() {
    if (!this.nextPageToken) return;
    const firstNew = this.results.length;
    if (await this.fetchPage(this.nextPageToken)) {
      this.listEl.children[firstNew]?.querySelector("button")?.focus();
    }
  }

  /** One page; true when it was shown (not stale, not failed). */
  async fetchPage(pageToken) {
    const generation = ++this.generation;
    const request = { query: this.query, limit: SEARCH_PAGE };
    if (pageToken) request.pageToken = pageToken;
    this.form.setAttribute("aria-busy", "true");
    this.moreButton.disabled = true;
    flash(this.statusEl, "Searching…", 0);
    try {
      const answer = await call("searchConversations", request);
      if (generation !== this.generation) return false;
      const { results, added } = mergeResults(this.results, Array.isArray(answer?.results) ? answer.results : []);
      this.results = results;
      this.nextPageToken = typeof answer?.nextPageToken === "string" && answer.nextPageToken ? answer.nextPageToken : null;
      this.listEl.append(...added.map((result) => this.item(result)));
      const label = resultsLabel(results.length, this.query, Boolean(this.nextPageToken));
      this.headingEl.textContent = results.length ? "Results" : "No results";
      flash(this.statusEl, label, 0); // the count, announced and kept in view
      return true;
    } catch (error) {
      if (generation !== this.generation) return false;
      if (!this.results.length) this.headingEl.textContent = "Search failed";
      flash(this.statusEl, `Search failed: ${plainMessage(error)}`, 0);
      return false;
    } finally {
      if (generation === this.generation) {
        this.form.removeAttribute("aria-busy");
        this.moreButton.disabled = false;
        this.moreButton.hidden = !this.nextPageToken;
      }
    }
  }

  /** The conversation, at the turn found (the chat focuses it), else the composer. */
  open(result) {
    this.onOpen(result.conversationId, result.turnId ?? null);
    if (!result.turnId) $("#prompt").focus();
  }

  item(result) {
    const title = String(result.title || "New conversation");
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "search-result",
          dataset: { cid: result.conversationId, turnId: result.turnId ?? "", match: result.match ?? "" },
          onclick: () => this.open(result),
        },
        h("span", { class: "title" }, title),
        result.snippet
          ? h(
              "span",
              { class: "snippet" },
              markSnippet(result.snippet, this.query).map((part) => (part.mark ? h("mark", {}, part.text) : part.text)),
            )
          : null,
        h("span", { class: "when" }, matchLabel(result)),
      ),
    );
  }
}
