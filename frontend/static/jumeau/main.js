// Entry point: read the session, start the viewer core, then one plugin per layer or tool.
import { LayerUpdates } from "./core/LayerUpdates.js";
import { Viewer } from "./core/Viewer.js";
import { TilesetLayerPlugin } from "./plugins/TilesetLayerPlugin.js";
import { describeError, fetchJson } from "./core/http.js";
import { clearNotice, showError, showNotice } from "./core/notices.js";
import { addResources, t } from "./core/i18n.js";
import { Shell } from "./core/Shell.js";
import { layerTitle } from "./core/layerTitle.js";
import { ViewLink } from "./core/ViewLink.js";
import { watchConnection } from "./core/connectivity.js";

const TEXTS = {
  fr: {
    scene: "Vue 3D de la ville",
    loading: "Chargement de la ville en 3D…",
    signIn: "Connexion",
    signOut: "{{user}} · Déconnexion",
    basemap: "Fond de plan",
    layerFailed: "{{title}} : la couche n'a pas pu être chargée. {{reason}}",
    sessionFailed: "Impossible d'ouvrir le jumeau numérique. {{reason}}",
    startFailed: "Le jumeau numérique n'a pas pu démarrer. {{reason}}",
    role: { citizen: "citoyen", planner: "urbaniste", field_agent: "agent de terrain" },
  },
  en: {
    scene: "3D view of the city",
    loading: "Loading the city in 3D…",
    signIn: "Sign in",
    signOut: "{{user}} · Sign out",
    basemap: "Base map",
    layerFailed: "{{title}}: the layer could not be loaded. {{reason}}",
    sessionFailed: "The digital twin could not be opened. {{reason}}",
    startFailed: "The digital twin could not start. {{reason}}",
    role: { citizen: "citizen", planner: "planner", field_agent: "field agent" },
  },
};
addResources("main", TEXTS);

// Tool plugins: each module's default export is a class with `static wants(session)`,
// `init(viewer, jumeau)` and `dispose()`; networks and project layers belong to their plugins.
// The consultation comes before the projects: in its comment mode a tap on a variant pins a comment, not its attributes.
const TOOL_PLUGINS = [
  "./plugins/SearchPlugin.js",
  "./plugins/NetworksPlugin.js",
  "./plugins/ConsultationPlugin.js",
  "./plugins/ProjectsPlugin.js",
  "./plugins/ImpactPlugin.js",
  "./plugins/BalconyPlugin.js",
  "./plugins/TransitPlugin.js",
  "./plugins/RoutesPlugin.js",
  "./plugins/SunPlugin.js",
  "./plugins/MeasurePlugin.js",
  "./plugins/StylePlugin.js",
  "./plugins/PrintPlugin.js",
  "./plugins/ClipPlugin.js",
  "./plugins/ExcavationPlugin.js",
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
    link.dataset.i18n = "main:signIn";
    link.textContent = t("main:signIn");
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
  button.textContent = t("main:signOut", { user: session.user });
  form.append(button);
  return form;
}

// A base layer (buildings, point clouds) that fails says so in words, with a retry that loads it again.
async function addBaseLayer(viewer, jumeau, layer) {
  const options = layer.name === "buildings" ? { style: BUILDING_STYLE } : {};
  const notice = `layer-${layer.name}`;
  try {
    jumeau.layers[layer.name] = await viewer.use(new TilesetLayerPlugin(layer, options));
    // The city is there once its buildings are, even while the globe still refines the far horizon.
    if (layer.name === "buildings") jumeau.layers[layer.name].tileset.initialTilesLoaded.addEventListener(hideLoading);
    clearNotice(notice);
  } catch (err) {
    console.error(`layer ${layer.name} (${layer.url}):`, err);
    showError(notice, (reason) => t("main:layerFailed", { title: layerTitle(layer), reason }), err,
      () => addBaseLayer(viewer, jumeau, layer));
  }
}

// The role in words (its code stays in data-role for scripts and tests).
function showRole(session) {
  const role = document.getElementById("role");
  role.dataset.role = session.role;
  const words = () => `${session.city} · ${t(`main:role.${session.role}`, { defaultValue: session.role })}`;
  role.textContent = words();
  document.addEventListener("jumeau:relabel", () => { role.textContent = words(); });
}

// The shaded relief under the buildings, in the terrain group: hidden, the globe shows its plain colour.
function addBasemapControl(viewer) {
  if (!viewer.basemapLayer) return;
  const label = document.createElement("label");
  const input = document.createElement("input");
  input.type = "checkbox";
  input.checked = true;
  input.dataset.layer = "basemap";
  input.addEventListener("change", () => {
    viewer.basemapLayer.show = input.checked;
    viewer.requestRender();
  });
  const text = document.createElement("span");
  text.dataset.i18n = "main:basemap";
  text.textContent = t("main:basemap");
  label.append(input, text);
  viewer.addControl(label, { group: "terrain" });
}

// Resolves once a frame has drawn buildings, or their first view has loaded (a view without any), or a tile
// failed (the notice says so), or after `patienceMs` on a slow network; at once without a buildings layer.
function buildingsDrawn(viewer, jumeau, patienceMs = 10000) {
  const layer = jumeau.layers.buildings;
  if (!layer || !layer.tileset) return Promise.resolve();
  const { tileset } = layer;
  const scene = viewer.cesium.scene;
  return new Promise((resolve) => {
    const removers = [];
    const timer = setTimeout(() => done(), patienceMs);
    const done = () => {
      clearTimeout(timer);
      for (const remove of removers) remove();
      resolve();
    };
    removers.push(scene.postRender.addEventListener(() => {
      if (tileset.statistics.numberOfCommands > 0 || tileset.tilesLoaded) done();
    }));
    removers.push(tileset.tileFailed.addEventListener(done));
    viewer.requestRender();
  });
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
    showError("session", (reason) => t("main:sessionFailed", { reason }), err, () => {
      document.getElementById("loading").hidden = false;
      start();
    });
    return;
  }
  showRole(session);
  document.getElementById("account").replaceChildren(accountControl(session));
  // The scene at once; its buildings are fetched while the terrain and the shaded relief are (viewer.ground),
  // not after them: the city shows as soon as its first tiles are drawn.
  const viewer = new Viewer("cesium", session, shell).create();
  shell.bindViewer(viewer);
  const link = new ViewLink(viewer);
  link.restoreCamera();
  viewer.firstRender.then(hideLoading);
  const jumeau = { viewer, session, layers: {}, tools: {}, link, ready: false };
  window.jumeau = jumeau;
  const baseLayers = (async () => {
    for (const layer of session.layers) {
      if (layer.kind !== "3dtiles" || !(layer.name === "buildings" || layer.name.startsWith("pointcloud-"))) continue;
      await addBaseLayer(viewer, jumeau, layer);
    }
  })();
  await viewer.ground;
  addBasemapControl(viewer);
  await baseLayers;
  // The tools wait for the buildings' first frame: their modules, API calls and scene objects would otherwise
  // hold the page's one thread while the first tiles are decoded. Fetched side by side, started in their order.
  await buildingsDrawn(viewer, jumeau);
  const modules = TOOL_PLUGINS.map((path) => import(path).catch((err) => err));
  for (const [i, path] of TOOL_PLUGINS.entries()) {
    try {
      const module = await modules[i];
      if (module instanceof Error) throw module;
      const Plugin = module.default;
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
  link.restoreRest();
  link.follow();
  jumeau.ready = true;
  viewer.setStatus("");
}

const shell = new Shell().setUp();
watchConnection();
start().catch((err) => {
  // The scene itself failed (terrain, basemap, WebGL): start over from a fresh page.
  console.error(err);
  hideLoading();
  showNotice("start", () => t("main:startFailed", { reason: describeError(err) }), () => window.location.reload());
});
