/**
 * Stands in for src/data.js in the UI tests: no Firebase app, Firestore is fake-firestore.js.
 * `call` records each callable in `window.fake.calls` and answers with `window.fake.onCall(name,
 * data)` when set (it may throw, as a refused call does), else `{}`.
 */
export const db = { path: "" };
export async function call(name, data = {}) {
  window.fake.calls.push([name, JSON.parse(JSON.stringify(data))]);
  return window.fake.onCall ? window.fake.onCall(name, data) : {};
}
export async function clearDeviceData() {}
