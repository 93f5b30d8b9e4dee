/**
 * The pure part of memory and search (issue #17, src/memory.js): memories' order and kinds,
 * "Used N memories", the query sent, search pages merged, snippets marked. No browser.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  QUERY_MAX,
  kindLabel,
  markSnippet,
  matchLabel,
  mergeResults,
  normalizeQuery,
  resultsLabel,
  sortMemories,
  usedMemories,
  usedMemoriesLabel,
} from "../src/memory.js";

describe("memories", () => {
  it("are listed newest first, a replaced fact (updatedAt) counting as new", () => {
    const memories = [
      { id: "a", text: "Is called Sam", createdAt: "2026-01-01T10:00:00Z", updatedAt: "2026-01-01T10:00:00Z" },
      { id: "b", text: "Lives in Lisbon", createdAt: "2025-12-01T10:00:00Z", updatedAt: "2026-01-02T10:00:00Z" },
      { id: "c", text: "Likes jazz", createdAt: "2026-01-01T12:00:00Z" },
      { id: "d", text: "Has no date" },
    ];
    assert.deepEqual(sortMemories(memories).map((m) => m.id), ["b", "c", "a", "d"]);
    assert.deepEqual(memories.map((m) => m.id), ["a", "b", "c", "d"], "the input was sorted in place");
  });

  it("take a Firestore Timestamp as well as a string", () => {
    const at = (ms) => ({ toDate: () => new Date(ms) });
    assert.deepEqual(sortMemories([{ id: "x", updatedAt: at(1) }, { id: "y", updatedAt: at(2) }]).map((m) => m.id), ["y", "x"]);
  });

  it("show their kind in words; an unknown kind as stored, capitalised; none is a fact", () => {
    assert.deepEqual(["fact", "preference", "person", "date", "habit", undefined].map(kindLabel), [
      "Fact",
      "Preference",
      "Person",
      "Date",
      "Habit",
      "Fact",
    ]);
  });
});

describe("memories a reply used", () => {
  it("are counted in words", () => {
    assert.equal(usedMemoriesLabel(1), "Used 1 memory");
    assert.equal(usedMemoriesLabel(3), "Used 3 memories");
  });

  it("are named by their text, in the turn's order; a deleted one has none; repeats and junk drop", () => {
    const texts = new Map([["m1", "Lives in Porto"], ["m2", "Is called Sam"]]);
    assert.deepEqual(usedMemories(["m2", "gone", "m2", "", 7, "m1"], texts), [
      { id: "m2", text: "Is called Sam" },
      { id: "gone", text: null },
      { id: "m1", text: "Lives in Porto" },
    ]);
    assert.deepEqual(usedMemories(undefined, texts), []);
    assert.deepEqual(usedMemories("m1", texts), []);
  });
});

describe("conversation search", () => {
  it("sends the query trimmed, spaces collapsed, at most QUERY_MAX characters", () => {
    assert.equal(normalizeQuery("  where   do\nI live  "), "where do I live");
    assert.equal(normalizeQuery(null), "");
    assert.equal(normalizeQuery("x".repeat(500)).length, QUERY_MAX);
  });

  it("adds a page's new results after the shown ones, dropping repeats and results without a conversation", () => {
    const first = [
      { conversationId: "c1", turnId: "t1", title: "Porto", match: "semantic" },
      { conversationId: "c2", turnId: null, title: "Trip to Porto", match: "title" },
    ];
    const { results, added } = mergeResults(first, [
      { conversationId: "c1", turnId: "t1", title: "Porto again" },
      { conversationId: "c1", turnId: "t2", title: "Porto" },
      { conversationId: "c2", title: "no turnId is a null one" },
      { turnId: "t9" },
      null,
    ]);
    assert.deepEqual(added.map((r) => `${r.conversationId}/${r.turnId}`), ["c1/t2"]);
    assert.deepEqual(results.map((r) => r.title), ["Porto", "Trip to Porto", "Porto"]);
    assert.deepEqual(mergeResults([], undefined), { results: [], added: [] });
  });

  it("marks the query's words in a snippet, any case, longest first; one letter is not marked", () => {
    assert.deepEqual(markSnippet("I live in Porto, near porto's river", "PORTO a"), [
      { text: "I live in ", mark: false },
      { text: "Porto", mark: true },
      { text: ", near ", mark: false },
      { text: "porto", mark: true },
      { text: "'s river", mark: false },
    ]);
    assert.deepEqual(markSnippet("Portugal and Porto", "port portugal").filter((p) => p.mark).map((p) => p.text), [
      "Portugal",
      "Port",
    ]);
    assert.deepEqual(markSnippet("a (b) c", "(b)"), [
      { text: "a ", mark: false },
      { text: "(b)", mark: true },
      { text: " c", mark: false },
    ]);
    assert.deepEqual(markSnippet("nothing shared", "porto"), [{ text: "nothing shared", mark: false }]);
    assert.deepEqual(markSnippet("", "porto"), []);
  });

  it("says how a result matched and how many there are", () => {
    assert.equal(matchLabel({ match: "title" }), "In the title");
    assert.equal(matchLabel({ match: "semantic" }), "In a message");
    assert.equal(resultsLabel(0, "porto"), "No conversation matches “porto”.");
    assert.equal(resultsLabel(1, "porto"), "1 result for “porto”");
    assert.equal(resultsLabel(10, "porto", true), "10+ results for “porto”");
  });
});
