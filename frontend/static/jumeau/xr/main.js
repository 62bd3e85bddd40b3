// Entry point of /xr/: read the session and the street position, start the XR viewer, offer "Enter AR/VR".
import { XRViewer } from "./XRViewer.js";
import { describeError, fetchJson } from "../core/http.js";

function position(session) {
  const params = new URLSearchParams(window.location.search);
  const lon = parseFloat(params.get("lon"));
  const lat = parseFloat(params.get("lat"));
  if (Number.isFinite(lon) && Number.isFinite(lat)) return { lon, lat };
  const [w, s, e, n] = session.extent_degrees;
  return { lon: (w + e) / 2, lat: (s + n) / 2 };
}

async function start() {
  const session = await fetchJson("/api/session/");
  document.getElementById("xr-role").textContent = `${session.city} · ${session.role}`;
  const viewer = await new XRViewer(document.getElementById("xr"), session, position(session)).init();
  window.jumeauXR = viewer;
  const button = document.getElementById("xr-enter");
  const mode = await viewer.supportedMode();
  if (mode) {
    button.textContent = mode === "immersive-ar" ? "Entrer en réalité augmentée" : "Entrer en réalité virtuelle";
    button.disabled = false;
    button.addEventListener("click", async () => {
      try {
        await viewer.enter(mode);
      } catch (err) {
        viewer.say(`WebXR : ${err.message}`);
      }
    });
  } else {
    button.textContent = "WebXR indisponible sur cet appareil";
  }
  viewer.ready = true;
}

start().catch((err) => {
  document.getElementById("xr-messages").textContent = `Impossible d'ouvrir la vue immersive. ${describeError(err)}`;
  console.error(err);
});
