/** Stands in for src/data.js in the chat UI test: no Firebase app, Firestore is fake-firestore.js. */
export const db = { path: "" };
export async function call() {
  return {};
}
export async function clearDeviceData() {}
