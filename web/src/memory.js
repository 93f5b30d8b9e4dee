/**
 * The pure part of memory and search (issue #17): how memories are ordered and labelled, what a
 * turn's `memoryIds` say under the reply, and how searchConversations' pages are merged and
 * their snippets marked. No DOM and no Firebase here, so node's test runner checks it as it is
 * (tests/memory.test.mjs).
 */
import { toDate } from "./assistant.js";

const KIND_LABELS = { fact: "Fact", preference: "Preference", person: "Person", date: "Date" };
export const QUERY_MAX = 200; // characters sent to searchConversations
export const SEARCH_PAGE = 10;

const millis = (value) => toDate(value)?.getTime() ?? 0;

/** A memory's kind as shown beside it: "Fact", "Preference", "Person", "Date" (else as stored). */
export function kindLabel(kind) {
  const name = String(kind || "fact");
  return KIND_LABELS[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
}

/** Newest first: by `updatedAt` (a replaced fact is new again), else `createdAt`; then by id. */
export function sortMemories(memories) {
  const when = (m) => millis(m.updatedAt ?? m.createdAt);
  return [...memories].sort((a, b) => when(b) - when(a) || String(a.id).localeCompare(String(b.id)));
}

/** "Used 1 memory", "Used 3 memories". */
export function usedMemoriesLabel(count) {
  return `Used ${count} ${count === 1 ? "memory" : "memories"}`;
}

/**
 * The memories a turn used, for the list under its reply: `[{id, text}]`, in the turn's order,
 * duplicates dropped; `text` is null for one no longer stored (deleted since) or not loaded.
 */
export function usedMemories(memoryIds, textsById) {
  if (!Array.isArray(memoryIds)) return [];
  const ids = [...new Set(memoryIds.filter((id) => typeof id === "string" && id))];
  return ids.map((id) => ({ id, text: textsById.get(id) ?? null }));
}

/** What is sent as `query`: spaces collapsed, trimmed, at most QUERY_MAX characters. */
export function normalizeQuery(text) {
  return String(text ?? "").replace(/\s+/g, " ").trim().slice(0, QUERY_MAX);
}

const resultKey = (result) => `${result.conversationId}/${result.turnId ?? ""}`;

/** The results shown after one more page: earlier ones kept, repeats of them dropped. */
export function mergeResults(shown, page) {
  const seen = new Set(shown.map(resultKey));
  const added = [];
  for (const result of page ?? []) {
    if (!result || typeof result.conversationId !== "string" || !result.conversationId) continue;
    const key = resultKey(result);
    if (seen.has(key)) continue;
    seen.add(key);
    added.push(result);
  }
  return { results: [...shown, ...added], added };
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A snippet cut into `[{text, mark}]`: `mark` on each word of the query found in it (any case),
 * so the page can wrap those in <mark>. A semantic match may share no word: then one plain part.
 */
export function markSnippet(snippet, query) {
  const text = String(snippet ?? "");
  const words = [...new Set(normalizeQuery(query).toLowerCase().split(" ").filter((w) => w.length >= 2))];
  if (!text || !words.length) return text ? [{ text, mark: false }] : [];
  words.sort((a, b) => b.length - a.length); // "portugal" before "port"
  const pattern = new RegExp(`(${words.map(escapeRegExp).join("|")})`, "giu");
  return text
    .split(pattern)
    .filter(Boolean)
    .map((part) => ({ text: part, mark: words.includes(part.toLowerCase()) }));
}

/** How a result matched, in words: "In a message" (a turn found by meaning) or "In the title". */
export function matchLabel(result) {
  return result?.match === "title" ? "In the title" : "In a message";
}

/** "3 results", "1 result", "No conversation matches “x”." */
export function resultsLabel(count, query, more = false) {
  if (!count) return `No conversation matches “${query}”.`;
  return `${count}${more ? "+" : ""} ${count === 1 ? "result" : "results"} for “${query}”`;
}
