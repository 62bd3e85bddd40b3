// The visitor's language: the one chosen with the language switch (kept in localStorage), else the first of the
// browser's languages that has texts, else French (the city's). core/i18n.js starts i18next with this answer;
// the app's texts all go through it.
export const STORAGE_KEY = "jumeau.language";

export function storedLanguage() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage refused (private mode, a sandboxed frame): the browser's language then
  }
}

export function pickLanguage(available) {
  const chosen = storedLanguage();
  if (chosen && available.includes(chosen)) return chosen;
  for (const tag of navigator.languages || [navigator.language || "fr"]) {
    const code = String(tag).slice(0, 2).toLowerCase();
    if (available.includes(code)) return code;
  }
  return "fr";
}
