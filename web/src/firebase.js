/** The Firebase app, connected to the emulators unless VITE_USE_EMULATORS=false. */
import { initializeApp } from "firebase/app";
import { connectAuthEmulator, getAuth } from "firebase/auth";
import { connectFirestoreEmulator, initializeFirestore } from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions, httpsCallable } from "firebase/functions";

import { config } from "./config.js";

export const app = initializeApp(config.firebase);
export const auth = getAuth(app);
export const db = initializeFirestore(app, {});
export const functions = getFunctions(app, config.functionsRegion);

if (config.useEmulators) {
  const { auth: a, firestore: f, functions: fn } = config.emulators;
  // disableWarnings: no banner over the UI; the console still says where we are connected.
  connectAuthEmulator(auth, `http://${a.host}:${a.port}`, { disableWarnings: true });
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
