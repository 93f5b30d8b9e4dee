/** Unit tests of the branch paths (src/branches.js): `npm --prefix web run test:unit`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { MAIN, conversationTree } from "../src/branches.js";

// Turns in creation order: [id, branch?, parentTurnId?]
const tree = (...rows) =>
  conversationTree(rows.map(([id, branch, parentTurnId]) => ({ id, branch, parentTurnId })));

describe("conversationTree", () => {
  it("a conversation without branches is one path; a missing branch is main", () => {
    const t = tree(["a"], ["b", "main"], ["c", null]);
    assert.deepEqual(t.path("c"), ["a", "b", "c"]);
    assert.equal(t.resolveLeaf(undefined), "c");
    assert.equal(t.resolveLeaf("nope"), "c");
    assert.equal(t.branchOf("b"), MAIN);
    assert.deepEqual(t.versions("b"), ["b"]);
    assert.equal(t.pred("a"), null);
    assert.deepEqual(t.path("unknown"), []);
  });

  it("an empty conversation has no leaf", () => {
    assert.equal(tree().resolveLeaf("x"), null);
    assert.equal(tree().newestThrough("x"), null);
  });

  it("an edit replaces its parent; later turns of its branch follow it", () => {
    // main: a b c; N edits b, then d in N.
    const t = tree(["a"], ["b"], ["c"], ["N", "N", "b"], ["d", "N"]);
    assert.deepEqual(t.path("d"), ["a", "N", "d"]);
    assert.deepEqual(t.path("c"), ["a", "b", "c"]);
    assert.deepEqual(t.versions("b"), ["b", "N"]);
    assert.deepEqual(t.versions("N"), ["b", "N"]);
    assert.deepEqual(t.versions("a"), ["a"]);
    assert.deepEqual(t.versions("d"), ["d"]);
    assert.equal(t.newestThrough("b"), "c");
    assert.equal(t.newestThrough("N"), "d");
    assert.equal(t.branchOf("d"), "N");
  });

  it("the active leaf picks the branch, extended to the newest turn after it", () => {
    const t = tree(["a"], ["b"], ["c"], ["N", "N", "b"], ["d", "N"]);
    assert.equal(t.resolveLeaf("c"), "c");
    assert.equal(t.resolveLeaf("b"), "c"); // an inner turn: its branch's newest leaf
    assert.equal(t.resolveLeaf("N"), "d");
    assert.equal(t.resolveLeaf(null), "d");
    // A turn sent (still pending) after the active leaf of main shows at once.
    const sent = tree(["a"], ["b"], ["c"], ["N", "N", "b"], ["d", "N"], ["e"]);
    assert.equal(sent.resolveLeaf("c"), "e");
    assert.deepEqual(sent.path("e"), ["a", "b", "c", "e"]);
    assert.equal(sent.resolveLeaf("d"), "d");
  });

  it("editing the first prompt: the branch has no predecessor", () => {
    const t = tree(["a"], ["b"], ["N", "N", "a"], ["x", "N"]);
    assert.deepEqual(t.path("x"), ["N", "x"]);
    assert.deepEqual(t.path("N"), ["N"]);
    assert.deepEqual(t.versions("N"), ["a", "N"]);
    assert.equal(t.newestThrough("a"), "b");
  });

  it("an edit of an edit is another version of the same position", () => {
    const t = tree(["a"], ["b"], ["N", "N", "b"], ["M", "M", "N"], ["m1", "M"]);
    assert.deepEqual(t.versions("b"), ["b", "N", "M"]);
    assert.deepEqual(t.versions("M"), ["b", "N", "M"]);
    assert.deepEqual(t.path("m1"), ["a", "M", "m1"]);
    assert.deepEqual(t.path("N"), ["a", "N"]);
    assert.equal(t.newestThrough("N"), "N");
    assert.equal(t.newestThrough("M"), "m1");
  });

  it("an edit inside a branch: the switch lands on the deepest newest turn", () => {
    // main a b; N edits b; n1 n2 in N; P edits n1 (inside N); p1 in P.
    const t = tree(["a"], ["b"], ["N", "N", "b"], ["n1", "N"], ["n2", "N"], ["P", "P", "n1"], ["p1", "P"]);
    assert.deepEqual(t.path("p1"), ["a", "N", "P", "p1"]);
    assert.deepEqual(t.path("n2"), ["a", "N", "n1", "n2"]);
    assert.deepEqual(t.versions("P"), ["n1", "P"]);
    assert.deepEqual(t.versions("N"), ["b", "N"]);
    // Switching to N (from b) shows the most recent turn on any path through N: p1.
    assert.equal(t.newestThrough("N"), "p1");
    assert.equal(t.newestThrough("n1"), "n2");
    assert.equal(t.newestThrough("b"), "b");
  });

  it("a branch root is first in its branch whatever the order says", () => {
    const t = tree(["a"], ["x", "N"], ["N", "N", "a"]);
    assert.deepEqual(t.path("x"), ["N", "x"]);
  });

  it("unknown parents and cycles end the path instead of looping", () => {
    const orphan = tree(["a"], ["N", "N", "gone"], ["n1", "N"]);
    assert.deepEqual(orphan.path("n1"), ["N", "n1"]);
    assert.deepEqual(orphan.versions("N"), ["N"]);
    const cycle = tree(["A", "A", "B"], ["B", "B", "A"]);
    assert.ok(cycle.path("B").length <= 2);
    assert.ok(cycle.versions("A").length >= 1);
    assert.ok(cycle.resolveLeaf("A"));
  });
});
