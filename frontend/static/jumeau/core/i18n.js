// The interface language, through i18next: French first, English, chosen from the browser or by the visitor.
//
// Each part of the app keeps its texts in one `{fr: {...}, en: {...}}` object and registers it under its own
// namespace with addResources("balcony", TEXTS); then t("balcony:title") reads it in the language shown.
// Elements carrying data-i18n="ns:key" (their text) or data-i18n-label="ns:key" (their aria-label) are
// re-labelled by relabel() when the language changes, so a switch needs no reload for them.
import i18next from "i18next";
import { STORAGE_KEY, pickLanguage } from "./language.js";

export const LANGUAGES = ["fr", "en"];

// Synchronous: the texts are in the bundle, nothing is fetched, so t() works as soon as this module is loaded.
i18next.init({
  lng: pickLanguage(LANGUAGES),
  fallbackLng: "fr",
  supportedLngs: LANGUAGES,
  resources: {},
  initAsync: false,
  interpolation: { escapeValue: false }, // textContent, never innerHTML: nothing to escape
  returnNull: false,
});

export function language() {
  return i18next.language;
}

export function addResources(namespace, texts) {
  for (const lng of LANGUAGES) {
    if (texts[lng]) i18next.addResourceBundle(lng, namespace, texts[lng], true, true);
  }
}

export function t(key, options) {
  return i18next.t(key, options);
}

// Texts of elements marked with data-i18n / data-i18n-label, in the language now shown.
export function relabel(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.setAttribute("title", t(el.dataset.i18nTitle));
  document.documentElement.lang = language();
  // Texts built from data (a role, a count) listen for this and rebuild themselves.
  document.dispatchEvent(new CustomEvent("jumeau:relabel"));
}

// The visitor's choice: kept for the next visits, and the marked texts re-labelled at once.
export async function setLanguage(lng) {
  if (!LANGUAGES.includes(lng)) throw new Error(`unknown language ${lng}: one of ${LANGUAGES.join(", ")}`);
  try {
    window.localStorage.setItem(STORAGE_KEY, lng);
  } catch {
    // Not kept past this page; the switch still applies now.
  }
  await i18next.changeLanguage(lng);
  relabel();
}

export function onLanguageChanged(callback) {
  i18next.on("languageChanged", callback);
}
