/**
 * Branches of a conversation (issue #18), computed from the turns the messages listener holds.
 * No Firebase and no DOM here, so it runs under `node --test` (tests/branches.test.mjs).
 *
 * Every turn has a `branch`: "main" for the original thread (also when missing), else the id of
 * the branch's first turn R, an edit of the turn `R.parentTurnId`. In a branch, turns follow one
 * another in creation order; R takes its parent's place, so R's predecessor is its parent's.
 * The turns at one position ("versions") are the original turn T and every branch root whose
 * parentTurnId chain leads to T (an edit of an edit is one more version of T).
 */
export const MAIN = "main";

/**
 * @param {Array<{id: string, branch?: string|null, parentTurnId?: string|null}>} turns in
 *   creation order (the listener's order: `orderBy("createTime")`).
 */
export function conversationTree(turns) {
  const byId = new Map();
  turns.forEach((t, order) => {
    if (!t?.id || byId.has(t.id)) return;
    const branch = typeof t.branch === "string" && t.branch ? t.branch : MAIN;
    byId.set(t.id, { id: t.id, branch, parent: t.parentTurnId || null, order });
  });
  const ordered = [...byId.values()].sort((a, b) => a.order - b.order);
  const isRoot = (t) => t.branch !== MAIN && t.id === t.branch;

  // Each branch's turns in order; a branch root first, whatever the timestamps say.
  const members = new Map();
  for (const t of ordered) {
    if (!members.has(t.branch)) members.set(t.branch, []);
    members.get(t.branch).push(t);
  }
  const position = new Map();
  for (const [branch, list] of members) {
    const root = list.findIndex((t) => t.id === branch);
    if (root > 0) list.unshift(...list.splice(root, 1));
    list.forEach((t, i) => position.set(t.id, i));
  }

  const predMemo = new Map();
  /** The turn shown before `id` on any path through it (null: the first turn). */
  function pred(id, seen = new Set()) {
    if (predMemo.has(id)) return predMemo.get(id);
    const t = byId.get(id);
    let result = null;
    if (t && !seen.has(id)) {
      seen.add(id);
      if (isRoot(t)) {
        result = t.parent && byId.has(t.parent) ? pred(t.parent, seen) : null;
      } else {
        const i = position.get(id);
        result = i > 0 ? members.get(t.branch)[i - 1].id : null;
      }
    }
    predMemo.set(id, result);
    return result;
  }

  const originMemo = new Map();
  /** The original turn of the position `id` stands at (itself unless it is an edit). */
  function origin(id, seen = new Set()) {
    if (originMemo.has(id)) return originMemo.get(id);
    const t = byId.get(id);
    let result = id;
    if (t && isRoot(t) && t.parent && byId.has(t.parent) && !seen.has(id)) {
      seen.add(id);
      result = origin(t.parent, seen);
    }
    originMemo.set(id, result);
    return result;
  }

  const versions = new Map(); // origin id -> [origin, edits…] in creation order
  for (const t of ordered) {
    const o = origin(t.id);
    if (!versions.has(o)) versions.set(o, []);
    if (o === t.id) versions.get(o).unshift(t.id);
    else versions.get(o).push(t.id);
  }

  /** Whether `ancestor` is on the path that ends at `id` (itself included). */
  function passesThrough(id, ancestor) {
    for (let cur = id, steps = 0; cur !== null && steps <= byId.size; cur = pred(cur), steps++) {
      if (cur === ancestor) return true;
    }
    return false;
  }

  const api = {
    has: (id) => byId.has(id),
    size: byId.size,
    pred: (id) => pred(id),
    branchOf: (id) => byId.get(id)?.branch ?? MAIN,
    /** The turns from the first to `leaf`. */
    path(leaf) {
      if (!byId.has(leaf)) return [];
      const out = [];
      for (let cur = leaf; cur !== null && out.length <= byId.size; cur = pred(cur)) out.push(cur);
      return out.reverse();
    },
    /** The versions at `id`'s position: the original turn, then its edits, oldest first. */
    versions(id) {
      return versions.get(origin(id)) ?? [id];
    },
    /** The most recent turn on any path through `id` (`id` itself when nothing follows it). */
    newestThrough(id) {
      if (!byId.has(id)) return null;
      for (let i = ordered.length - 1; i >= 0; i--) {
        if (passesThrough(ordered[i].id, id)) return ordered[i].id;
      }
      return id;
    },
    /** The leaf to show: the newest turn through `activeLeaf`, else the newest turn of all. */
    resolveLeaf(activeLeaf) {
      if (activeLeaf && byId.has(activeLeaf)) return api.newestThrough(activeLeaf);
      return ordered.at(-1)?.id ?? null;
    },
  };
  return api;
}
