// Messages that must not go unnoticed (a layer that failed, a session that did not load), each with a retry.
import { describeError, retryDelay, retryable } from "./http.js";
import { addResources, live, t } from "./i18n.js";

addResources("notices", {
  fr: { retry: "Réessayer", close: "Fermer ce message" },
  en: { retry: "Try again", close: "Close this message" },
});

const AREA_ID = "notices";

function area() {
  return document.getElementById(AREA_ID);
}

// One notice per key: showing it again replaces its text. `text` is a string, or a function that builds it in
// the language shown (said again after a switch). `retry` (optional) runs when its button ("Réessayer" unless
// `retryLabel` says otherwise) is pressed; the notice goes away first and comes back if the retry fails.
// `waitMs` keeps the button disabled that long (a server that asked to be left alone for a while).
export function showNotice(key, text, retry = null, retryLabel = null, waitMs = 0) {
  clearNotice(key);
  const notice = document.createElement("div");
  notice.className = "notice";
  notice.dataset.notice = key;
  notice.setAttribute("role", "alert");
  const message = document.createElement("span");
  message.className = "notice-text";
  if (typeof text === "function") live(message, (el) => { el.textContent = text(); });
  else message.textContent = text;
  notice.append(message);
  if (retry) {
    const button = document.createElement("button");
    button.type = "button";
    if (retryLabel) button.textContent = retryLabel;
    else live(button, (el) => { el.textContent = t("notices:retry"); });
    button.dataset.testid = "notice-retry";
    if (waitMs > 0) {
      button.disabled = true;
      setTimeout(() => { button.disabled = false; }, waitMs);
    }
    button.addEventListener("click", () => {
      clearNotice(key);
      retry();
    });
    notice.append(button);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "notice-close";
  close.dataset.i18nLabel = "notices:close";
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

// An error met while loading, in words: `say(reason)` builds the sentence around describeError's reason (both in
// the language shown). The retry is offered only where trying again can help (not a 403), after a 429's wait.
export function showError(key, say, err, retry = null) {
  const text = () => say(describeError(err));
  return showNotice(key, text, retry && retryable(err) ? retry : null, null, retryDelay(err));
}
