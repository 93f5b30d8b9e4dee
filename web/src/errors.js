/** Readable messages from Firebase errors: the server's own words when it sent some. */

const AUTH_MESSAGES = {
  "auth/invalid-email": "That e-mail address is not valid.",
  "auth/missing-password": "Enter a password.",
  "auth/weak-password": "Choose a password of at least 6 characters.",
  "auth/email-already-in-use": "An account with this e-mail already exists: sign in instead.",
  "auth/invalid-credential": "Wrong e-mail or password.",
  "auth/wrong-password": "Wrong e-mail or password.",
  "auth/user-not-found": "No account with this e-mail: create one first.",
  "auth/user-disabled": "This account has been disabled.",
  "auth/too-many-requests": "Too many attempts; wait a moment and try again.",
  "auth/network-request-failed": "Cannot reach the sign-in service. Check your connection.",
};

/**
 * The message of a blocking function's refusal. The Auth emulator wraps it as
 * `((HTTP request to … returned HTTP error 403: {"error":{"message":"…"}}))`, production as
 * `((…))`; the SDK puts that text in `error.message` as `Firebase: … (auth/internal-error).`
 */
export function blockingFunctionMessage(message) {
  const inner = /\(\((.*)\)\)/s.exec(message ?? "");
  if (!inner) return null;
  const text = inner[1].trim();
  const json = text.indexOf("{");
  if (json >= 0) {
    try {
      const parsed = JSON.parse(text.slice(json));
      const found = parsed?.error?.message ?? parsed?.message;
      if (found) return String(found);
    } catch {
      /* not JSON: fall through */
    }
  }
  return text.replace(/^HTTP request to \S+ returned HTTP error \d+:\s*/, "") || null;
}

export function authErrorMessage(error) {
  const refused = blockingFunctionMessage(error?.message);
  if (refused) return refused;
  if (error?.code && AUTH_MESSAGES[error.code]) return AUTH_MESSAGES[error.code];
  return plainMessage(error);
}

/** Callable and Firestore errors: their message (callables carry the server's message). */
export function plainMessage(error) {
  const message = String(error?.message || error || "Something went wrong.");
  return message.replace(/^Firebase:\s*/, "").replace(/\s*\((auth|firestore)\/[\w-]+\)\.?$/, "");
}
