// The visitor's language: the first of the browser's languages a plugin has texts for, else French (the city's).
export function pickLanguage(available) {
  for (const tag of navigator.languages || [navigator.language || "fr"]) {
    const code = String(tag).slice(0, 2).toLowerCase();
    if (available.includes(code)) return code;
  }
  return "fr";
}
