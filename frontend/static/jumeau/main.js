// Entry point: read the session, start the viewer core, add one plugin per layer the user may load.
import { Viewer } from "./core/Viewer.js";
import { TilesetLayerPlugin } from "./plugins/TilesetLayerPlugin.js";

const BUILDING_STYLE = {
  color: {
    conditions: [
      ["${use} === 'Résidentiel'", "color('#f2e6d0')"],
      ["${use} === 'Commercial et services'", "color('#e8c39e')"],
      ["${use} === 'Religieux'", "color('#d9b8ff')"],
      ["true", "color('#eeeeee')"],
    ],
  },
};

async function start() {
  const session = await (await fetch("/api/session/", { credentials: "same-origin" })).json();
  document.getElementById("role").textContent = `${session.city} · ${session.role}`;
  const viewer = await new Viewer("cesium", session).init();
  const jumeau = { viewer, session, layers: {} };
  window.jumeau = jumeau;
  for (const layer of session.layers) {
    if (layer.kind !== "3dtiles") continue;
    const options = layer.name === "buildings" ? { style: BUILDING_STYLE } : {};
    try {
      jumeau.layers[layer.name] = await viewer.use(new TilesetLayerPlugin(layer, options));
    } catch (err) {
      viewer.setStatus(`${layer.title}: ${err.message}`);
      console.error(err);
    }
  }
  jumeau.ready = true;
  viewer.setStatus("");
}

start().catch((err) => {
  document.getElementById("status").textContent = `Erreur : ${err.message}`;
  console.error(err);
});
