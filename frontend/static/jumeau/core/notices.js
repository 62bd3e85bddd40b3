// Messages that must not go unnoticed (a layer that failed, a session that did not load), each with a retry.
import { addResources, t } from "./i18n.js";

addResources("notices", {
  fr: { retry: "Réessayer", close: "Fermer ce message" },
  en: { retry: "Try again", close: "Close this message" },
});

const AREA_ID = "notices";

function area() {
  return document.getElementById(AREA_ID);
}

// One notice per key: showing it again replaces its text. `retry` (optional) runs when its button ("Réessayer"
// unless `retryLabel` says otherwise) is pressed; the notice goes away first and comes back if the retry fails.
export function showNotice(key, text, retry = null, retryLabel = null) {
  clearNotice(key);
  const notice = document.createElement("div");
  notice.className = "notice";
  notice.dataset.notice = key;
  notice.setAttribute("role", "alert");
  const message = document.createElement("span");
  message.className = "notice-text";
  message.textContent = text;
  notice.append(message);
  if (retry) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = retryLabel || t("notices:retry");
    button.dataset.testid = "notice-retry";
    button.addEventListener("click", () => {
      clearNotice(key);
      retry();
    });
    notice.append(button);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "notice-close";
  close.setAttribute("aria-label", t("notices:close"));
  close.textContent = "×";
  close.addEventListener("click", () => clearNotice(key));
  notice.append(close);
  area().append(notice);
  return notice;
}

export function clearNotice(key) {
  const old = area().querySelector(`[data-notice="${CSS.escape(key)}"]`);
  if (old) old.remove();
}

export function hasNotice(key) {
  return Boolean(area().querySelector(`[data-notice="${CSS.escape(key)}"]`));
}
