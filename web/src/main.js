/** AuraOS reference PWA: sign in, chat, reminders/lists/notes, memories, search, consent, export, delete. */
import "./styles.css";

import {
  createUserWithEmailAndPassword,
  onAuthStateChanged,
  signInWithEmailAndPassword,
  signOut,
} from "firebase/auth";

import { $, flash } from "./dom.js";
import { authErrorMessage, plainMessage } from "./errors.js";
import { auth } from "./firebase.js";

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

// ------------------------------------------------------------------ chat and panel (lazy)

const conversationFromHash = () => /^#\/c\/([A-Za-z0-9_-]{1,64})$/.exec(location.hash)?.[1] ?? null;

// Set while signed in, read by the inline script in index.html before the first paint: a
// returning user sees no sign-in form while Auth restores the session.
const SIGNED_IN_HINT = "auraos.signedIn";

function setSignedInHint(signedIn) {
  try {
    if (signedIn) localStorage.setItem(SIGNED_IN_HINT, "1");
    else localStorage.removeItem(SIGNED_IN_HINT);
  } catch {
    /* storage disabled: no hint, the sign-in form may show for a moment */
  }
}

let views = null; // {clearDeviceData, chat, panel} once the signed-in chunk has loaded
let viewsLoading = null;

/** Load the signed-in chunk (Firestore, Functions, chat, panel) once; resolves to the views. */
function loadViews() {
  viewsLoading ??= import("./signed-in.js").then(
    ({ ChatView, Panel, clearDeviceData }) => {
      views = {
        clearDeviceData,
        chat: new ChatView({
          onConversationChange(cid) {
            const hash = cid ? `#/c/${cid}` : "";
            if (location.hash !== hash) history.replaceState(null, "", hash || location.pathname);
            closeDrawers();
          },
        }),
        panel: new Panel({
          async onAccountDeleted(status) {
            pendingNotice =
              status === "deleted"
                ? "Your account has been deleted."
                : "Your account is being deleted. Everything is removed within a few minutes.";
            await endSession();
          },
        }),
      };
      return views;
    },
    (error) => {
      viewsLoading = null; // e.g. offline before the service worker cached the chunk: retry later
      throw error;
    },
  );
  return viewsLoading;
}

let assistant = null; // {lists, notifications, memories, search} once the assistant chunk has loaded
let assistantLoading = null;

/** Load the assistant chunk (reminders, lists, notes, notifications, memories, search) once. */
function loadAssistant() {
  assistantLoading ??= import("./assistant-views.js").then(
    ({ assistantViews }) =>
      (assistant = assistantViews({
        showPanel() {
          // A notification's reminder is shown in the panel (a drawer on narrow screens).
          const narrow = panelToggle.offsetParent !== null;
          if (narrow && panelToggle.getAttribute("aria-expanded") !== "true") panelToggle.click();
        },
        openConversation: (cid, turnId) => views?.chat.open(cid, { turnId }),
      })),
    (error) => {
      assistantLoading = null;
      throw error;
    },
  );
  return assistantLoading;
}

function stopViews() {
  views?.chat.stop();
  views?.panel.stop();
  for (const view of Object.values(assistant ?? {})) view.stop();
}

// A notice for the signed-out screen; it survives the reload that follows a sign-out.
const NOTICE_KEY = "auraos.notice";
let pendingNotice = sessionStorage.getItem(NOTICE_KEY) ?? "";
sessionStorage.removeItem(NOTICE_KEY);

async function endSession() {
  // Stop the listeners first: once signed out they would only report permission errors.
  stopViews();
  const signedInViews = views;
  if (signedInViews) sessionStorage.setItem(NOTICE_KEY, pendingNotice);
  await signOut(auth);
  if (signedInViews) {
    // The user's conversations leave this device (a turn still waiting to send is dropped);
    // the reloaded page starts without Firestore until the next sign-in.
    await signedInViews.clearDeviceData();
    location.reload();
  }
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
  loadViews().catch(() => {}); // fetched while Auth answers; a failure shows after sign-in
  loadAssistant().catch(() => {});
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

onAuthStateChanged(auth, async (user) => {
  document.body.dataset.auth = user ? "signed-in" : "signed-out";
  document.documentElement.removeAttribute("data-restoring");
  account.hidden = !user;
  navToggle.hidden = !user;
  authView.hidden = Boolean(user);
  appView.hidden = !user;
  if (user) {
    setSignedInHint(true);
    $("#account-email").textContent = user.email ?? "";
    $("#prompt").focus();
    let loaded;
    try {
      loaded = await loadViews();
    } catch (error) {
      flash($("#chat-error"), `AuraOS could not load: ${plainMessage(error)}`, 0);
      return;
    }
    if (auth.currentUser?.uid !== user.uid) return; // signed out (or switched) meanwhile
    loaded.chat.start(user.uid, conversationFromHash());
    loaded.panel.start(user.uid);
    try {
      const acts = await loadAssistant();
      if (auth.currentUser?.uid !== user.uid) return;
      for (const view of Object.values(acts)) view.start(user.uid);
    } catch (error) {
      flash($("#reminders-status"), `Reminders and lists could not load: ${plainMessage(error)}`, 0);
    }
  } else {
    setSignedInHint(false);
    stopViews();
    closeDrawers();
    flash(authNotice, pendingNotice, 0);
    pendingNotice = "";
    history.replaceState(null, "", location.pathname);
    authForm.email.focus();
  }
});

// A returning user: fetch the signed-in chunk while Auth restores the session.
if (document.documentElement.hasAttribute("data-restoring")) {
  loadViews().catch(() => {});
  loadAssistant().catch(() => {});
}

// ------------------------------------------------------------------ service worker

if (import.meta.env.PROD && "serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js").catch((error) => {
      console.warn("service worker not registered:", error);
    });
  });
}
