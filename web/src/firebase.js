/**
 * The Firebase app and Auth: all the sign-in screen needs. Firestore and Functions live in
 * data.js, loaded with the signed-in views. Connected to the emulators unless
 * VITE_USE_EMULATORS=false.
 */
import { initializeApp } from "firebase/app";
import {
  browserLocalPersistence,
  connectAuthEmulator,
  indexedDBLocalPersistence,
  initializeAuth,
} from "firebase/auth";

import { config } from "./config.js";

export const app = initializeApp(config.firebase);
// initializeAuth, not getAuth: no popup/redirect resolver (e-mail and password only), a smaller
// first chunk. IndexedDB persistence keeps the user signed in offline, as getAuth would.
export const auth = initializeAuth(app, {
  persistence: [indexedDBLocalPersistence, browserLocalPersistence],
});

if (config.useEmulators) {
  const { host, port } = config.emulators.auth;
  // disableWarnings: no banner over the UI; the console still says where we are connected.
  connectAuthEmulator(auth, `http://${host}:${port}`, { disableWarnings: true });
}
