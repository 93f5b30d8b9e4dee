/**
 * Firestore and Functions, loaded after sign-in (see main.js). Firestore keeps a persistent
 * local cache shared by all tabs: conversations read offline, and a turn written offline is
 * queued in IndexedDB and sent when the connection returns.
 */
import {
  connectFirestoreEmulator,
  initializeFirestore,
  persistentLocalCache,
  persistentMultipleTabManager,
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
