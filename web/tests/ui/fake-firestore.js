/**
 * An in-memory stand-in for `firebase/firestore`, only what the views use, for the UI tests
 * (tests/*-ui.test.mjs): writes apply at once (as the SDK's latency compensation shows them)
 * and are recorded in `window.fake.writes`; `window.fake.server(path, changes)` plays the
 * backend; `window.fake.refuse(path, changes)`, when set, makes an update fail as the rules would.
 */
let seq = 0;
const docs = new Map(); // path -> data
const listeners = new Set();
const TS = { __ts: true };
export const serverTimestamp = () => TS;
const clone = (v) => JSON.parse(JSON.stringify(v));
function resolveTs(data) {
  const out = {};
  for (const [k, v] of Object.entries(data)) out[k] = v === TS ? { seq: ++seq } : v;
  return out;
}
export function collection(parent, ...segs) {
  const base = parent?.path ?? "";
  const path = [base, ...segs].filter(Boolean).join("/");
  return { kind: "col", path };
}
let idn = 0;
export function doc(parent, ...segs) {
  if (parent?.kind === "col" && segs.length === 0) {
    const id = `auto${++idn}`;
    return { kind: "doc", path: `${parent.path}/${id}`, id };
  }
  const base = parent?.path ?? "";
  const path = [base, ...segs].filter(Boolean).join("/");
  return { kind: "doc", path, id: path.split("/").at(-1) };
}
export const query = (col) => ({ kind: "col", path: col.path });
export const orderBy = () => null;
export const limit = () => null;
function snapDoc(path) {
  const data = docs.get(path);
  return {
    id: path.split("/").at(-1),
    exists: () => data !== undefined,
    data: () => (data ? { ...data } : undefined),
    get: (f) => data?.[f],
    metadata: { hasPendingWrites: false },
  };
}
function fire() {
  for (const l of listeners) l();
}
export function onSnapshot(target, ...args) {
  const cb = args.find((a) => typeof a === "function");
  let prev = new Map();
  const l = () => {
    if (target.kind === "doc") return cb(snapDoc(target.path));
    const prefix = target.path + "/";
    const paths = [...docs.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/"));
    paths.sort((a, b) => (docs.get(a).createTime?.seq ?? 0) - (docs.get(b).createTime?.seq ?? 0));
    const list = paths.map(snapDoc);
    const changes = [];
    const now = new Map(paths.map((p) => [p, docs.get(p)]));
    for (const [p, d] of now) if (prev.get(p) !== d) changes.push({ type: prev.has(p) ? "modified" : "added", doc: snapDoc(p) });
    for (const p of prev.keys()) if (!now.has(p)) changes.push({ type: "removed", doc: snapDoc(p) });
    prev = now;
    cb({ docs: list, docChanges: () => changes });
  };
  listeners.add(l);
  queueMicrotask(l);
  return () => listeners.delete(l);
}
function setPath(obj, dotted, value) {
  const parts = dotted.split(".");
  let o = obj;
  for (const p of parts.slice(0, -1)) o = o[p] = { ...(o[p] ?? {}) };
  o[parts.at(-1)] = value;
}
export const writes = [];
export async function setDoc(ref, data) {
  writes.push(["set", ref.path, clone({ ...data, createTime: undefined })]);
  docs.set(ref.path, resolveTs(data));
  queueMicrotask(fire);
}
export async function updateDoc(ref, changes) {
  writes.push(["update", ref.path, clone(changes)]);
  if (window.fake.refuse?.(ref.path, changes)) throw new Error("Missing or insufficient permissions.");
  const data = { ...(docs.get(ref.path) ?? {}) };
  for (const [k, v] of Object.entries(changes)) setPath(data, k, v);
  docs.set(ref.path, data);
  queueMicrotask(fire);
}
export async function deleteDoc(ref) {
  writes.push(["delete", ref.path]);
  if (window.fake.refuse?.(ref.path, null)) throw new Error("Missing or insufficient permissions.");
  docs.delete(ref.path);
  queueMicrotask(fire);
}
export function writeBatch() {
  const ops = [];
  return {
    set: (ref, data) => ops.push([ref, data]),
    commit: async () => {
      for (const [ref, data] of ops) await setDoc(ref, data);
    },
  };
}
window.fake = {
  docs,
  writes,
  calls: [],
  server(path, changes) {
    const data = { ...(docs.get(path) ?? {}) };
    for (const [k, v] of Object.entries(changes)) setPath(data, k, v);
    docs.set(path, data);
    fire();
  },
  list: (prefix) => [...docs.entries()].filter(([p]) => p.startsWith(prefix)),
};
