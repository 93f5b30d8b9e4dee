/**
 * Build-time configuration (Vite env, see web/README.md). Defaults: the local emulators of
 * project demo-auraos on their standard ports.
 */
const env = import.meta.env;

/** "host:port" -> {host, port}; a bare host keeps the default port. */
export function parseHostPort(value, fallbackPort) {
  const text = String(value).trim().replace(/^https?:\/\//, "");
  const at = text.lastIndexOf(":");
  if (at <= 0) return { host: text, port: fallbackPort };
  return { host: text.slice(0, at), port: Number(text.slice(at + 1)) };
}

export const config = Object.freeze({
  firebase: Object.freeze({
    apiKey: env.VITE_FIREBASE_API_KEY || "demo-key",
    projectId: env.VITE_FIREBASE_PROJECT_ID || "demo-auraos",
    authDomain: env.VITE_FIREBASE_AUTH_DOMAIN || `${env.VITE_FIREBASE_PROJECT_ID || "demo-auraos"}.firebaseapp.com`,
    appId: env.VITE_FIREBASE_APP_ID || undefined,
  }),
  functionsRegion: env.VITE_FUNCTIONS_REGION || "us-central1",
  useEmulators: (env.VITE_USE_EMULATORS ?? "true") !== "false",
  emulators: Object.freeze({
    auth: parseHostPort(env.VITE_AUTH_EMULATOR_HOST || "127.0.0.1:9099", 9099),
    firestore: parseHostPort(env.VITE_FIRESTORE_EMULATOR_HOST || "127.0.0.1:8080", 8080),
    functions: parseHostPort(env.VITE_FUNCTIONS_EMULATOR_HOST || "127.0.0.1:5001", 5001),
  }),
});
