// The interface language, through i18next: French first, English, chosen from the browser or by the visitor.
//
// Each part of the app keeps its texts in one `{fr: {...}, en: {...}}` object and registers it under its own
// namespace with addResources("balcony", TEXTS); then t("balcony:title") reads it in the language shown, or
// texts("balcony", TEXTS) gives a `T` whose T.title does the same (and whose T.count(n) builds a text from data).
// A switch needs no reload: elements carrying data-i18n="ns:key" (their text), data-i18n-label (their aria-label)
// or data-i18n-title are re-labelled by relabel(), texts kept with live(element, apply) are applied again, and
// the parts of the app built from data (an open panel, a notice) hear "jumeau:relabel" and rebuild themselves.
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

// Numbers and dates written as the language shown writes them.
export function locale() {
  return i18next.language === "en" ? "en-GB" : "fr-FR";
}

export function addResources(namespace, texts) {
  for (const lng of LANGUAGES) {
    if (texts[lng]) i18next.addResourceBundle(lng, namespace, texts[lng], true, true);
  }
}

export function t(key, options) {
  return i18next.t(key, options);
}

// Strings go to i18next; texts built from numbers (functions) have no place there and are read from the object.
function stringsOf(tree) {
  const out = {};
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === "string") out[key] = value;
    else if (value && typeof value === "object") out[key] = stringsOf(value);
  }
  return out;
}

// A namespace's texts as read now: T.key is the string (through i18next) or the function of the language shown,
// so code that builds a text after a switch builds it in the new language.
export function texts(namespace, all) {
  addResources(namespace, Object.fromEntries(LANGUAGES.filter((l) => all[l]).map((l) => [l, stringsOf(all[l])])));
  return new Proxy({}, {
    get(_, key) {
      if (typeof key !== "string") return undefined;
      const value = (all[language()] || all.fr)[key] ?? all.fr[key];
      return typeof value === "string" ? t(`${namespace}:${key}`) : value;
    },
  });
}

// Texts set from code on elements that outlive a switch (a tool's button, its card's labels): `apply(element)`
// runs now and after each switch, as long as the element exists (held weakly: a removed element is forgotten).
const liveTexts = new Set();

export function live(element, apply) {
  apply(element);
  liveTexts.add({ ref: new WeakRef(element), apply });
  return element;
}

function applyLive() {
  for (const entry of liveTexts) {
    const element = entry.ref.deref();
    if (element) entry.apply(element);
    else liveTexts.delete(entry);
  }
}

// Texts of elements marked with data-i18n / data-i18n-label, in the language now shown.
export function relabel(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.setAttribute("title", t(el.dataset.i18nTitle));
  applyLive();
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
