/**
 * Firestore and Functions, loaded after sign-in (see main.js). Firestore keeps a persistent
 * local cache shared by all tabs: conversations read offline, and a turn written offline is
 * queued in IndexedDB and sent when the connection returns.
 */
import {
  clearIndexedDbPersistence,
  connectFirestoreEmulator,
  initializeFirestore,
  persistentLocalCache,
  persistentMultipleTabManager,
  terminate,
} from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions, httpsCallable } from "firebase/functions";

import { config } from "./config.js";
import { app } from "./firebase.js";

export const db = initializeFirestore(app, {
  localCache: persistentLocalCache({ tabManager: persistentMultipleTabManager() }),
});
export const functions = getFunctions(app, config.functionsRegion);

if (config.useEmulators) {
  const { auth: a, firestore: f, functions: fn } = config.emulators;
  connectFirestoreEmulator(db, f.host, f.port);
  connectFunctionsEmulator(functions, fn.host, fn.port);
  console.info(
    `AuraOS: emulators auth ${a.host}:${a.port}, firestore ${f.host}:${f.port}, ` +
      `functions ${fn.host}:${fn.port} (${config.functionsRegion}), project ${config.firebase.projectId}`,
  );
}

/** Call a callable function by name; resolves to its `data`. */
export async function call(name, data = {}) {
  const result = await httpsCallable(functions, name)(data);
  return result.data;
}

/**
 * Remove this device's copy of the user's data (Firestore's IndexedDB cache) at sign-out. `db`
 * is unusable afterwards: the caller reloads the page. Best effort: another open tab keeps the
 * cache in use (failed-precondition), and it is cleared at the next sign-out.
 */
export async function clearDeviceData() {
  await terminate(db);
  try {
    await clearIndexedDbPersistence(db);
  } catch (error) {
    console.warn("the local Firestore cache was not cleared:", error?.code ?? error);
  }
}
