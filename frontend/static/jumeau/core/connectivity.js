// A lost connection is said in words: the browser going offline, or a live socket (buses, walks, layer updates)
// dropping. The notice goes away by itself when the browser is back online and every dropped socket reopened.
import { addResources, t } from "./i18n.js";
import { clearNotice, showNotice } from "./notices.js";

addResources("connectivity", {
  fr: {
    offline: "Vous êtes hors ligne : la carte reste affichée, mais rien de nouveau ne se charge. " +
      "Tout reprendra au retour du réseau.",
    dropped: "La connexion en direct avec le serveur est coupée (bus, balades, mises à jour des couches). " +
      "Reconnexion automatique en cours…",
  },
  en: {
    offline: "You are offline: the map stays on screen but nothing new loads. It resumes when the network is back.",
    dropped: "The live connection to the server is lost (buses, walks, layer updates). Reconnecting automatically…",
  },
});

export const NOTICE = "connection";

export function watchConnection(win = window) {
  const dropped = new Set(); // paths of live sockets that were open and closed since
  const update = () => {
    if (!win.navigator.onLine) showNotice(NOTICE, t("connectivity:offline"));
    else if (dropped.size) showNotice(NOTICE, t("connectivity:dropped"));
    else clearNotice(NOTICE);
  };
  win.addEventListener("offline", update);
  win.addEventListener("online", update);
  // core/LiveSocket.js raises these on each socket's open and close.
  win.addEventListener("jumeau:socket", (event) => {
    if (event.detail.connected) dropped.delete(event.detail.path);
    else if (event.detail.wasConnected) dropped.add(event.detail.path);
    update();
  });
  if (!win.navigator.onLine) update();
}
