/** AuraOS reference PWA: sign in, chat, consent, recommendations, export, delete. */
import "./styles.css";

import {
  createUserWithEmailAndPassword,
  onAuthStateChanged,
  signInWithEmailAndPassword,
  signOut,
} from "firebase/auth";

import { ChatView } from "./chat.js";
import { $, flash } from "./dom.js";
import { authErrorMessage } from "./errors.js";
import { auth } from "./firebase.js";
import { Panel } from "./panel.js";

const authView = $("#auth-view");
const appView = $("#app-view");
const authForm = $("#auth-form");
const authError = $("#auth-error");
const authNotice = $("#auth-notice");
const account = $("#account");
const navToggle = $("#toggle-nav");
const panelToggle = $("#toggle-panel");
const scrim = $("#scrim");

// ------------------------------------------------------------------ drawers (narrow screens)

const drawers = [
  [navToggle, $("#sidebar")],
  [panelToggle, $("#panel")],
];

function closeDrawers(returnFocus = false) {
  for (const [button, drawer] of drawers) {
    const wasOpen = drawer.classList.contains("open");
    drawer.classList.remove("open");
    button.setAttribute("aria-expanded", "false");
    if (wasOpen && returnFocus) button.focus();
  }
  scrim.hidden = true;
}

for (const [button, drawer] of drawers) {
  button.addEventListener("click", () => {
    const open = !drawer.classList.contains("open");
    closeDrawers();
    if (!open) return;
    drawer.classList.add("open");
    button.setAttribute("aria-expanded", "true");
    scrim.hidden = false;
    drawer.querySelector("button, input, [tabindex]")?.focus();
  });
}
scrim.addEventListener("click", () => closeDrawers(true));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !scrim.hidden) closeDrawers(true);
});

// ------------------------------------------------------------------ chat and panel

const conversationFromHash = () => /^#\/c\/([A-Za-z0-9_-]{1,64})$/.exec(location.hash)?.[1] ?? null;

const chat = new ChatView({
  onConversationChange(cid) {
    const hash = cid ? `#/c/${cid}` : "";
    if (location.hash !== hash) history.replaceState(null, "", hash || location.pathname);
    closeDrawers();
  },
});

const panel = new Panel({
  async onAccountDeleted(status) {
    pendingNotice =
      status === "deleted"
        ? "Your account has been deleted."
        : "Your account is being deleted. Everything is removed within a few minutes.";
    await endSession();
  },
});

let pendingNotice = "";

async function endSession() {
  // Stop the listeners first: once signed out they would only report permission errors.
  chat.stop();
  panel.stop();
  await signOut(auth);
}

$("#sign-out").addEventListener("click", () => {
  pendingNotice = "You are signed out.";
  endSession();
});

// ------------------------------------------------------------------ sign in / sign up

authForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const action = event.submitter?.value ?? "signin";
  const email = authForm.email.value.trim();
  const password = authForm.password.value;
  flash(authNotice, "");
  if (!email || !password) {
    flash(authError, "Enter your e-mail and password.", 0);
    (email ? authForm.password : authForm.email).focus();
    return;
  }
  const buttons = authForm.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  flash(authError, "");
  try {
    if (action === "signup") {
      // Runs the blocking functions: beforeUserCreated may refuse; beforeUserSignedIn makes the profile.
      await createUserWithEmailAndPassword(auth, email, password);
    } else {
      await signInWithEmailAndPassword(auth, email, password);
    }
    authForm.password.value = "";
  } catch (error) {
    flash(authError, authErrorMessage(error), 0);
    authForm.password.focus();
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
});

onAuthStateChanged(auth, (user) => {
  document.body.dataset.auth = user ? "signed-in" : "signed-out";
  account.hidden = !user;
  navToggle.hidden = !user;
  authView.hidden = Boolean(user);
  appView.hidden = !user;
  if (user) {
    $("#account-email").textContent = user.email ?? "";
    chat.start(user.uid, conversationFromHash());
    panel.start(user.uid);
    $("#prompt").focus();
  } else {
    chat.stop();
    panel.stop();
    closeDrawers();
    flash(authNotice, pendingNotice, 0);
    pendingNotice = "";
    history.replaceState(null, "", location.pathname);
    authForm.email.focus();
  }
});

// ------------------------------------------------------------------ service worker

if (import.meta.env.PROD && "serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js").catch((error) => {
      console.warn("service worker not registered:", error);
    });
  });
}
