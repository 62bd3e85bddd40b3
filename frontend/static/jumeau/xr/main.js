// Entry point of /xr/: read the session and the street position, start the XR viewer, offer VR and AR.
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
  // One button per immersive mode the device offers: a Quest offers both, VR and AR passthrough.
  const modes = await viewer.supportedModes();
  for (const mode of modes) {
    const button = document.getElementById(mode === "immersive-ar" ? "xr-enter-ar" : "xr-enter-vr");
    button.hidden = false;
    button.disabled = false;
    button.addEventListener("click", async () => {
      try {
        await viewer.enter(mode);
      } catch (err) {
        viewer.say(`WebXR : ${err.message}`);
      }
    });
  }
  if (!modes.length) document.getElementById("xr-unavailable").hidden = false;
  viewer.ready = true;
}

start().catch((err) => {
  document.getElementById("xr-messages").textContent = `Impossible d'ouvrir la vue immersive. ${describeError(err)}`;
  console.error(err);
});
