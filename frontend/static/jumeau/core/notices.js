// Messages that must not go unnoticed (a layer that failed, a session that did not load), each with a retry.
const AREA_ID = "notices";

function area() {
  return document.getElementById(AREA_ID);
}

// One notice per key: showing it again replaces its text. `retry` (optional) runs when "Réessayer" is pressed;
// the notice goes away first and comes back if the retry fails again.
export function showNotice(key, text, retry = null) {
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
    button.textContent = "Réessayer";
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
  close.setAttribute("aria-label", "Fermer ce message");
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
