// The app shell: a top bar (name, role, status, language, account), the sheet that holds the results, tools and
// layers (a bottom sheet on a phone, a side panel on a desktop), and the map's own controls (home, compass,
// zoom). Plugins reach it through the viewer (addToolbar, addControl, showPanel); they never look for its nodes.
import { LANGUAGES, addResources, language, relabel, setLanguage, t } from "./i18n.js";

export const TEXTS = {
  fr: {
    sheet: "Couches et outils",
    tools: "Outils",
    layers: "Couches",
    results: "Informations",
    close: "Fermer",
    closePanel: "Fermer les informations",
    navigation: "Navigation",
    home: "Revenir à la vue de départ",
    compass: "Orienter la carte vers le nord",
    zoomIn: "Rapprocher",
    zoomOut: "Éloigner",
    switchLanguage: "English",
    switchLanguageLabel: "Switch to English",
    group: {
      terrain: "Terrain et fond de plan",
      buildings: "Bâtiments",
      projects: "Projets et variantes",
      networks: "Réseaux enterrés",
      pointclouds: "Nuages de points",
      buses: "Bus",
      walks: "Balades",
      other: "Autres couches",
    },
  },
  en: {
    sheet: "Layers and tools",
    tools: "Tools",
    layers: "Layers",
    results: "Information",
    close: "Close",
    closePanel: "Close the information",
    navigation: "Navigation",
    home: "Back to the starting view",
    compass: "Turn the map to face north",
    zoomIn: "Zoom in",
    zoomOut: "Zoom out",
    switchLanguage: "Français",
    switchLanguageLabel: "Passer en français",
    group: {
      terrain: "Terrain and base map",
      buildings: "Buildings",
      projects: "Projects and variants",
      networks: "Underground networks",
      pointclouds: "Point clouds",
      buses: "Buses",
      walks: "Walks",
      other: "Other layers",
    },
  },
};
addResources("shell", TEXTS);

// The layer panel's groups, in the order a visitor reads them.
export const GROUPS = ["terrain", "buildings", "projects", "networks", "pointclouds", "buses", "walks", "other"];
const PHONE = "(max-width: 600px)";

// Which group a layer's control goes to, from its name (as /api/session/ and the plugins spell it).
export function layerGroup(name, layer = null) {
  if (name === "terrain" || name === "basemap") return "terrain";
  if (name === "buildings") return "buildings";
  if (name === "networks") return "networks";
  if (name.startsWith("project-") || (layer && layer.project)) return "projects";
  if (name.startsWith("pointcloud-")) return "pointclouds";
  if (name === "transit") return "buses";
  if (name === "walks") return "walks";
  return "other";
}

export class Shell {
  constructor(doc = document) {
    this.doc = doc;
    this.sheet = doc.getElementById("toolbar");
    this.body = doc.getElementById("toolbar-body");
    this.toggle = doc.getElementById("toolbar-toggle");
    this.layers = doc.getElementById("layers");
    this.tools = doc.getElementById("tools");
    this.groups = new Map();
    this.session = null;
  }

  setUp() {
    this.toggle.addEventListener("click", () => this.expand(this.body.hidden));
    // A phone opens on the map: its 844 px are not spent on checkboxes before anyone asks for them.
    this.expand(!window.matchMedia(PHONE).matches);
    this.setUpLanguageSwitch();
    // The controls over the map sit above the sheet, whatever its height: they read --sheet-height.
    const observer = new ResizeObserver(() => this.measure());
    observer.observe(this.sheet);
    window.addEventListener("resize", () => this.measure());
    relabel();
    return this;
  }

  measure() {
    const height = window.matchMedia(PHONE).matches ? this.sheet.getBoundingClientRect().height : 0;
    this.doc.documentElement.style.setProperty("--sheet-height", `${Math.round(height)}px`);
  }

  isExpanded() {
    return !this.body.hidden;
  }

  expand(expanded) {
    this.body.hidden = !expanded;
    this.toggle.setAttribute("aria-expanded", String(expanded));
    this.measure();
    this.doc.dispatchEvent(new CustomEvent("jumeau:toolbar", { detail: { expanded } }));
  }

  setUpLanguageSwitch() {
    const button = this.doc.getElementById("language");
    button.addEventListener("click", async () => {
      const next = LANGUAGES.find((l) => l !== language());
      await setLanguage(next);
      button.setAttribute("lang", LANGUAGES.find((l) => l !== next));
    });
    button.setAttribute("lang", LANGUAGES.find((l) => l !== language()));
  }

  // The home, compass and zoom buttons, once there is a scene to move.
  bindViewer(viewer) {
    this.session = viewer.session;
    const cesium = viewer.cesium;
    const camera = cesium.camera;
    const Cesium = window.Cesium;
    const on = (id, action) => this.doc.getElementById(id).addEventListener("click", action);
    on("control-home", () => viewer.home(1.2));
    on("control-compass", () => {
      // North up, from where the visitor stands: only the heading changes.
      camera.flyTo({
        destination: camera.positionWC.clone(),
        orientation: { heading: 0, pitch: camera.pitch, roll: 0 },
        duration: 0.6,
      });
    });
    // A step of a third of the height above the ground: the same feel at street level and over the city.
    const step = () => Math.max(5, camera.positionCartographic.height * 0.33);
    on("control-zoom-in", () => { camera.zoomIn(step()); viewer.requestRender(); });
    on("control-zoom-out", () => { camera.zoomOut(step()); viewer.requestRender(); });
    const needle = this.doc.getElementById("compass-needle");
    const turn = () => {
      needle.style.transform = `rotate(${-Cesium.Math.toDegrees(camera.heading).toFixed(1)}deg)`;
    };
    cesium.scene.postRender.addEventListener(turn);
  }

  // The fieldset of a layer group, made when its first control arrives, kept in GROUPS order.
  group(name) {
    if (this.groups.has(name)) return this.groups.get(name);
    const fieldset = this.doc.createElement("fieldset");
    fieldset.className = "layer-group";
    fieldset.dataset.group = name;
    const legend = this.doc.createElement("legend");
    legend.dataset.i18n = `shell:group.${name}`;
    legend.textContent = t(legend.dataset.i18n);
    fieldset.append(legend);
    const after = GROUPS.slice(GROUPS.indexOf(name) + 1).map((g) => this.groups.get(g)).find(Boolean);
    this.layers.insertBefore(fieldset, after || null);
    this.groups.set(name, fieldset);
    return fieldset;
  }

  // Where a control goes: a layer's checkbox to its group (whatever `where` its plugin asked for), anything
  // else to the tools, or to the group named.
  place(element, { where = "layers", group = null, label = null } = {}) {
    if (label && !element.getAttribute("aria-label") && !element.textContent.trim()) {
      element.setAttribute("aria-label", label);
    }
    const input = element.matches("input[data-layer]") ? element : element.querySelector("input[data-layer]");
    if (!group && input) {
      const name = input.dataset.layer;
      group = layerGroup(name, this.session && this.session.layers.find((l) => l.name === name));
    }
    if (group && group !== "tools") this.group(group).append(element);
    else if (where === "layers" && !group) this.group("other").append(element);
    else this.tools.append(element);
    return element;
  }

  // Results come first: on a phone the sheet opens to show them, scrolled to its top.
  revealPanel() {
    if (!this.isExpanded()) this.expand(true);
    this.body.scrollTop = 0;
  }
}
