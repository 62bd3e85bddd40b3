// Entry point: read the session, start the viewer core, then one plugin per layer or tool.
import { LayerUpdates } from "./core/LayerUpdates.js";
import { Viewer } from "./core/Viewer.js";
import { TilesetLayerPlugin } from "./plugins/TilesetLayerPlugin.js";
import { describeError, fetchJson } from "./core/http.js";
import { clearNotice, showNotice } from "./core/notices.js";
import { setUpToolbarToggle } from "./core/toolbarToggle.js";

// Tool plugins: each module's default export is a class with `static wants(session)`,
// `init(viewer, jumeau)` and `dispose()`; networks and project layers belong to their plugins.
const TOOL_PLUGINS = [
  "./plugins/NetworksPlugin.js",
  "./plugins/ProjectsPlugin.js",
  "./plugins/ImpactPlugin.js",
  "./plugins/BalconyPlugin.js",
  "./plugins/TransitPlugin.js",
  "./plugins/RoutesPlugin.js",
  "./plugins/SunPlugin.js",
  "./plugins/MeasurePlugin.js",
  "./plugins/ClipPlugin.js",
  "./plugins/StylePlugin.js",
];

const BUILDING_STYLE = {
  color: {
    conditions: [
      ["${use} === 'Résidentiel'", "color('#f2e6d0')"],
      ["${use} === 'Commercial et services'", "color('#e8c39e')"],
      ["${use} === 'Religieux'", "color('#d9b8ff')"],
      ["${use} === 'Sportif'", "color('#c8e6c9')"],
      ["true", "color('#eeeeee')"],
    ],
  },
};

// Staff sign in to see networks and drafts; citizens need no account.
function accountControl(session) {
  if (!session.user) {
    const link = document.createElement("a");
    link.href = "/accounts/login/?next=/";
    link.textContent = "Connexion";
    link.style.color = "inherit";
    return link;
  }
  const form = document.createElement("form");
  form.method = "post";
  form.action = "/accounts/logout/";
  form.style.display = "inline";
  const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  form.innerHTML = `<input type="hidden" name="csrfmiddlewaretoken" value="${token ? token.split("=")[1] : ""}">`;
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = `${session.user} · Déconnexion`;
  form.append(button);
  return form;
}

// A base layer (buildings, point clouds) that fails says so in words, with a retry that loads it again.
async function addBaseLayer(viewer, jumeau, layer) {
  const options = layer.name === "buildings" ? { style: BUILDING_STYLE } : {};
  const notice = `layer-${layer.name}`;
  try {
    jumeau.layers[layer.name] = await viewer.use(new TilesetLayerPlugin(layer, options));
    clearNotice(notice);
  } catch (err) {
    console.error(`layer ${layer.name} (${layer.url}):`, err);
    showNotice(notice, `${layer.title} : la couche n'a pas pu être chargée. ${describeError(err)}`,
      () => addBaseLayer(viewer, jumeau, layer));
  }
}

function hideLoading() {
  document.getElementById("loading").hidden = true;
}

async function start() {
  let session;
  try {
    session = await fetchJson("/api/session/");
  } catch (err) {
    // Nothing is built yet: trying again is simply starting again.
    console.error("session (/api/session/):", err.detail || err);
    hideLoading();
    showNotice("session", `Impossible d'ouvrir le jumeau numérique. ${describeError(err)}`, () => {
      document.getElementById("loading").hidden = false;
      start();
    });
    return;
  }
  document.getElementById("role").textContent = `${session.city} · ${session.role}`;
  document.getElementById("account").replaceChildren(accountControl(session));
  const viewer = await new Viewer("cesium", session).init();
  viewer.firstRender.then(hideLoading);
  const jumeau = { viewer, session, layers: {}, tools: {}, ready: false };
  window.jumeau = jumeau;
  for (const layer of session.layers) {
    if (layer.kind !== "3dtiles" || !(layer.name === "buildings" || layer.name.startsWith("pointcloud-"))) continue;
    await addBaseLayer(viewer, jumeau, layer);
  }
  for (const path of TOOL_PLUGINS) {
    try {
      const { default: Plugin } = await import(path);
      if (!Plugin.wants || Plugin.wants(session)) {
        const plugin = new Plugin();
        jumeau.tools[Plugin.name] = plugin;
        await viewer.use(plugin, jumeau);
      }
    } catch (err) {
      console.error(`plugin ${path}:`, err);
    }
  }
  // After the layers: the first snapshot then reloads any layer published while they were loading.
  jumeau.updates = viewer.updates = new LayerUpdates(viewer).start();
  jumeau.ready = true;
  viewer.setStatus("");
}

setUpToolbarToggle();
start().catch((err) => {
  // The scene itself failed (terrain, basemap, WebGL): start over from a fresh page.
  console.error(err);
  hideLoading();
  showNotice("start", `Le jumeau numérique n'a pas pu démarrer. ${describeError(err)}`, () => window.location.reload());
});
