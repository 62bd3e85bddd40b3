// Buried networks for planners and field agents: pipes in their uncertainty sleeves, seen through a translucent ground.
import { TilesetLayerPlugin } from "./TilesetLayerPlugin.js";
import { language, live, texts } from "../core/i18n.js";
import { valueWords } from "../core/fieldValues.js";
import { NETWORK_COLOURS, networkCss, networkLabel } from "../core/networkColours.js";

const Cesium = window.Cesium;

export const NETWORKS = "networks";

// DT-DICT precision classes: A (≤ 0.40 m) green, B (≤ 1.50 m) orange, C (beyond or unknown) red.
export const PRECISION_STYLE = {
  color: {
    conditions: [
      ["${precision_xy} === 'A'", "color('#1a9850')"],
      ["${precision_xy} === 'B'", "color('#f39c12')"],
      ["true", "color('#d73027')"],
    ],
  },
};

// One property table holds segments and nodes (tiles/builders/networks.py); a row shows only its own kind's columns.
const SEGMENT_ONLY = new Set(["material", "axis_method", "axis_is_estimate", "axis_uncertainty_m", "status",
  "install_year", "feature_type"]);
const NODE_ONLY = new Set(["node_type", "depth_m", "depth_source", "depth_is_estimate"]);

const T = texts("networks", {
  fr: {
    precision: "Classes de précision", unknown: "inconnue", node: "Ouvrage", segment: "Tronçon",
  },
  en: {
    precision: "Precision classes", unknown: "unknown", node: "Structure", segment: "Section",
  },
});

// A network type as the tiles spell it, safe to quote in a style expression; anything else is never filtered.
const TYPE_RE = /^[A-Za-z0-9_-]{1,40}$/;
const TYPE_ORDER = Object.keys(NETWORK_COLOURS);

// The style of the networks: the types not hidden, coloured by precision class or (null) by their own colours.
export function networksStyle(hiddenTypes, byPrecision) {
  const hidden = [...hiddenTypes].filter((t) => TYPE_RE.test(t));
  if (!hidden.length && !byPrecision) return undefined;
  const style = byPrecision ? { ...PRECISION_STYLE } : {};
  if (hidden.length) style.show = hidden.map((t) => `\${network_type} !== '${t}'`).join(" && ");
  return new Cesium.Cesium3DTileStyle(style);
}

export default class NetworksPlugin extends TilesetLayerPlugin {
  static wants(session) {
    return session.layers.some((l) => l.name === NETWORKS);
  }

  constructor() {
    super(null, { titleProperty: "source_id" });
    this.byPrecision = false;
    this.savedGlobe = null;
    this.types = new Map(); // network type -> its checkbox, added as the tiles show the type
    this.hiddenTypes = new Set();
  }

  // Each tileset (a live reload makes a new one) tells which network types its tiles hold as they load: the
  // layer panel offers exactly the types the published networks have, whatever the delivery called them.
  async load(url) {
    const tileset = await super.load(url);
    tileset.tileLoad.addEventListener((tile) => this.readTypes(tile.content));
    return tileset;
  }

  readTypes(content) {
    if (!content || !content.featuresLength) return;
    const seen = new Set();
    for (let i = 0; i < content.featuresLength; i++) seen.add(content.getFeature(i).getProperty("network_type"));
    for (const type of seen) if (typeof type === "string" && TYPE_RE.test(type)) this.addType(type);
  }

  // A checkbox per network type in the networks group, in the order of the colour code, with the type's colour.
  addType(type) {
    if (this.types.has(type) || !this.viewer) return;
    const label = document.createElement("label");
    label.className = "network-type";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.checked = !this.hiddenTypes.has(type);
    input.dataset.networkType = type;
    input.dataset.testid = `network-type-${type}`;
    input.addEventListener("change", () => this.showType(type, input.checked));
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.setAttribute("aria-hidden", "true");
    swatch.style.background = networkCss(type);
    const text = document.createElement("span");
    live(text, (el) => { el.textContent = NETWORK_COLOURS[type] ? networkLabel(type) : type; });
    label.append(input, swatch, text);
    this.types.set(type, label);
    const rank = (t) => (TYPE_ORDER.includes(t) ? TYPE_ORDER.indexOf(t) : TYPE_ORDER.length);
    const next = [...this.types.entries()]
      .filter(([t]) => t !== type && (rank(t) > rank(type) || (rank(t) === rank(type) && t > type)))
      .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))[0];
    this.viewer.addControl(label, { group: "networks" });
    if (next) next[1].before(label);
  }

  showType(type, visible) {
    if (visible) this.hiddenTypes.delete(type);
    else this.hiddenTypes.add(type);
    const input = this.types.get(type) && this.types.get(type).querySelector("input");
    if (input) input.checked = visible;
    this.applyStyle();
  }

  applyStyle() {
    if (this.tileset) this.tileset.style = networksStyle(this.hiddenTypes, this.byPrecision);
    this.viewer.requestRender();
  }

  async init(viewer, jumeau) {
    this.layer = viewer.layer(NETWORKS);
    this.jumeau = jumeau;
    await super.init(viewer);
    jumeau.layers[NETWORKS] = this;
    this.precisionButton = document.createElement("button");
    this.precisionButton.type = "button";
    live(this.precisionButton, (el) => { el.textContent = T.precision; });
    this.precisionButton.dataset.testid = "networks-precision";
    this.precisionButton.setAttribute("aria-pressed", "false");
    this.precisionButton.addEventListener("click", () => this.styleByPrecision(!this.byPrecision));
    viewer.addToolbar(this.precisionButton, "tools");
    this.underground(this.show);
  }

  setVisible(visible) {
    super.setVisible(visible);
    this.underground(visible);
  }

  // Pipes lie under the street: make the ground see-through near the camera and let the camera go below it.
  underground(on) {
    const scene = this.viewer.cesium.scene;
    const globe = scene.globe;
    if (on && !this.savedGlobe) {
      this.savedGlobe = {
        enabled: globe.translucency.enabled,
        alpha: globe.translucency.frontFaceAlphaByDistance,
        collision: scene.screenSpaceCameraController.enableCollisionDetection,
      };
      globe.translucency.enabled = true;
      globe.translucency.frontFaceAlphaByDistance = new Cesium.NearFarScalar(100.0, 0.35, 3000.0, 1.0);
      scene.screenSpaceCameraController.enableCollisionDetection = false;
    } else if (!on && this.savedGlobe) {
      globe.translucency.enabled = this.savedGlobe.enabled;
      globe.translucency.frontFaceAlphaByDistance = this.savedGlobe.alpha;
      scene.screenSpaceCameraController.enableCollisionDetection = this.savedGlobe.collision;
      this.savedGlobe = null;
    }
    this.viewer.requestRender();
  }

  styleByPrecision(on) {
    this.byPrecision = on;
    // Without a colour in the style the glb's own colours (the network colour code) show.
    this.applyStyle();
    this.precisionButton.setAttribute("aria-pressed", String(on));
  }

  attributes(feature) {
    const node = feature.getProperty("feature_kind") === "node";
    const hidden = node ? SEGMENT_ONLY : NODE_ONLY;
    return super.attributes(feature)
      .filter(([key]) => !hidden.has(key) && key !== "feature_kind")
      .map(([key, value]) => {
        if (typeof value === "number" && value < 0 && (key.startsWith("cover_depth") || key === "depth_m")) {
          return [key, T.unknown];
        }
        return [key, value];
      });
  }

  handlePick(picked, position) {
    if (!this.owns(picked)) return false;
    const entries = this.attributes(picked);
    const type = picked.getProperty("network_type");
    const nodeType = picked.getProperty("node_type");
    const what = picked.getProperty("feature_kind") === "node"
      ? valueWords("node_type", nodeType, language()) || nodeType || T.node
      // Not feature_type: it is the source's layer name (raepa_canalaep_l), shown among the attributes as such.
      : T.segment;
    this.viewer.showPanel(`${what} ${picked.getProperty("source_id")} (${networkLabel(type)})`, entries,
      () => this.handlePick(picked, position));
    return true;
  }

  dispose() {
    this.underground(false);
    this.precisionButton && this.precisionButton.remove();
    for (const label of this.types.values()) label.remove();
    if (this.jumeau && this.jumeau.layers[NETWORKS] === this) delete this.jumeau.layers[NETWORKS];
    super.dispose();
  }
}
