/**
 * The "You" panel: profile (and its time zone), consent toggles (the personalisation one also
 * turns memory on and off), recommendations, export my data, delete my account.
 * Everything goes through callables except the recommendations, which are a Firestore listener.
 */
import { doc, onSnapshot } from "firebase/firestore";

import { timeZoneToSync } from "./assistant.js";
import { $, flash, h } from "./dom.js";
import { plainMessage } from "./errors.js";
import { call, db } from "./data.js";

const SOURCE_LABELS = {
  personal: "For you",
  similar: "Similar people liked",
  popular: "Popular",
  interests: "Your interests",
};

export class Panel {
  constructor({ onAccountDeleted }) {
    this.uid = null;
    this.consent = { analytics: false, personalization: false };
    this.recommendations = null; // last snapshot: {items: [...]} or null when none exists
    this.unsubRecs = null;
    this.profileLoaded = false;
    this.onAccountDeleted = onAccountDeleted;
    this.sessionId = sessionStorage.getItem("auraos.session") ?? crypto.randomUUID();
    sessionStorage.setItem("auraos.session", this.sessionId);

    this.analyticsEl = $("#consent-analytics");
    this.personalizationEl = $("#consent-personalization");
    this.consentStatus = $("#consent-status");
    this.recsEl = $("#recs");
    this.dataStatus = $("#data-status");
    this.profileStatus = $("#profile-status");
    this.displayNameEl = $("#display-name");
    this.dialog = $("#delete-dialog");

    for (const [el, key] of [
      [this.analyticsEl, "analytics"],
      [this.personalizationEl, "personalization"],
    ]) {
      el.addEventListener("change", () => this.setConsent(key, el.checked, el));
    }
    $("#profile-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveProfile();
    });
    $("#recs-refresh").addEventListener("click", () => this.refreshRecommendations());
    $("#export").addEventListener("click", (event) => this.exportData(event.currentTarget));
    $("#delete-account").addEventListener("click", () => {
      this.dialog.returnValue = "";
      this.dialog.showModal();
    });
    this.dialog.addEventListener("close", () => {
      if (this.dialog.returnValue === "confirm") this.deleteAccount();
      else $("#delete-account").focus();
    });
    // Started offline (a reload from the cache): the profile loads once the connection returns.
    window.addEventListener("online", () => {
      if (this.uid && !this.profileLoaded) this.loadProfile(this.uid);
    });
  }

  async start(uid) {
    this.stop();
    this.uid = uid;
    this.unsubRecs = onSnapshot(
      doc(db, "recommendations", uid),
      (snapshot) => {
        this.recommendations = snapshot.exists() ? snapshot.data() : null;
        this.renderRecommendations();
      },
      (error) => this.renderRecommendations(plainMessage(error)),
    );
    this.renderRecommendations();
    await this.loadProfile(uid);
  }

  async loadProfile(uid) {
    try {
      const profile = await call("getProfile");
      if (this.uid !== uid) return;
      this.profileLoaded = true;
      flash(this.consentStatus, "");
      this.consent = {
        analytics: Boolean(profile.consent?.analytics),
        personalization: Boolean(profile.consent?.personalization),
      };
      this.displayNameEl.value = profile.displayName ?? "";
      this.renderConsent();
      this.trackPageView();
      this.syncTimeZone(profile.timeZone);
    } catch (error) {
      flash(this.consentStatus, `Could not load your profile: ${plainMessage(error)}`, 0);
    }
  }

  /**
   * Reminders are said and parsed in the profile's time zone: at sign-in it follows this
   * device's (updateProfile), so "at 6pm" means 18:00 where the user is. Best effort.
   */
  async syncTimeZone(profileTimeZone) {
    const timeZone = timeZoneToSync(profileTimeZone);
    if (!timeZone) return;
    try {
      await call("updateProfile", { timeZone });
    } catch (error) {
      console.warn(`updateProfile({timeZone: ${timeZone}}):`, plainMessage(error));
    }
  }

  stop() {
    this.unsubRecs?.();
    this.unsubRecs = null;
    this.uid = null;
    this.profileLoaded = false;
    this.recommendations = null;
    this.consent = { analytics: false, personalization: false };
    this.analyticsEl.disabled = this.personalizationEl.disabled = true;
    this.renderConsent();
    for (const el of [this.consentStatus, this.dataStatus, this.profileStatus]) flash(el, "");
  }

  renderConsent() {
    this.analyticsEl.checked = this.consent.analytics;
    this.personalizationEl.checked = this.consent.personalization;
    if (this.uid) this.analyticsEl.disabled = this.personalizationEl.disabled = false;
    this.renderRecommendations();
    // Memory follows the personalisation consent: the memories panel (another chunk, maybe
    // loaded later) reads the attribute and listens to the event.
    const detail = { personalization: this.consent.personalization, known: this.profileLoaded };
    if (detail.known) document.body.dataset.personalization = detail.personalization ? "on" : "off";
    else delete document.body.dataset.personalization;
    document.dispatchEvent(new CustomEvent("auraos:consent", { detail }));
  }

  async setConsent(key, value, el) {
    el.disabled = true;
    flash(this.consentStatus, "Saving…", 0);
    try {
      const { consent } = await call("setConsent", { [key]: value });
      this.consent = {
        analytics: Boolean(consent.analytics),
        personalization: Boolean(consent.personalization),
      };
      flash(this.consentStatus, "Saved.");
      if (key === "analytics" && value) this.trackPageView();
    } catch (error) {
      flash(this.consentStatus, `Not saved: ${plainMessage(error)}`, 0);
    } finally {
      el.disabled = false;
      this.renderConsent();
    }
  }

  async saveProfile() {
    const displayName = this.displayNameEl.value.trim();
    if (!displayName) {
      flash(this.profileStatus, "Enter a display name.");
      return;
    }
    try {
      const profile = await call("updateProfile", { displayName });
      this.displayNameEl.value = profile.displayName ?? displayName;
      flash(this.profileStatus, "Saved.");
    } catch (error) {
      flash(this.profileStatus, `Not saved: ${plainMessage(error)}`, 0);
    }
  }

  renderRecommendations(errorText) {
    if (errorText) {
      this.recsEl.replaceChildren(h("p", { class: "error" }, errorText));
      return;
    }
    if (!this.consent.personalization) {
      this.recsEl.replaceChildren(
        h(
          "p",
          { class: "empty-state", dataset: { empty: "consent" } },
          "Turn on personalisation under Privacy to see suggestions here.",
        ),
      );
      return;
    }
    const items = this.recommendations?.items ?? [];
    if (!items.length) {
      this.recsEl.replaceChildren(
        h(
          "p",
          { class: "empty-state", dataset: { empty: "none" } },
          "No recommendations yet. They appear here once AuraOS has learnt what you like.",
        ),
      );
      return;
    }
    this.recsEl.replaceChildren(
      h(
        "ul",
        { class: "recs-list" },
        items.map((item) =>
          h(
            "li",
            { dataset: { itemId: item.itemId } },
            h("span", {}, item.title),
            h("span", { class: "badge" }, SOURCE_LABELS[item.source] ?? item.source),
          ),
        ),
      ),
    );
  }

  async refreshRecommendations() {
    try {
      const result = await call("getRecommendations");
      this.recommendations = { items: result.items ?? [] };
      this.renderRecommendations();
    } catch (error) {
      this.renderRecommendations(plainMessage(error));
    }
  }

  /** A page_view event, only with analytics consent (trackEvents refuses otherwise). */
  async trackPageView() {
    if (!this.consent.analytics) return;
    try {
      await call("trackEvents", {
        events: [
          {
            type: "page_view",
            data: { path: location.pathname || "/" },
            sessionId: this.sessionId,
            clientTime: new Date().toISOString(),
          },
        ],
      });
    } catch (error) {
      console.warn("trackEvents:", plainMessage(error));
    }
  }

  async exportData(button) {
    button.disabled = true;
    flash(this.dataStatus, "Preparing your export…", 0);
    try {
      const data = await call("exportMyData");
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const link = h("a", {
        href: url,
        download: `auraos-export-${new Date().toISOString().slice(0, 10)}.json`,
      });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      flash(this.dataStatus, "Your data was downloaded as a JSON file.");
    } catch (error) {
      flash(this.dataStatus, `Export failed: ${plainMessage(error)}`, 0);
    } finally {
      button.disabled = false;
    }
  }

  async deleteAccount() {
    flash(this.dataStatus, "Deleting your account…", 0);
    try {
      const { status } = await call("deleteMyAccount");
      await this.onAccountDeleted(status);
    } catch (error) {
      flash(this.dataStatus, `Could not delete your account: ${plainMessage(error)}`, 0);
    }
  }
}
