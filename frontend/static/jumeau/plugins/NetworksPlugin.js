// Buried networks for planners and field agents: pipes in their uncertainty sleeves, seen through a translucent ground.
import { TilesetLayerPlugin } from "./TilesetLayerPlugin.js";
import { live, texts } from "../core/i18n.js";

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

// gis_sync's node types in words, for the panel title.
const T = texts("networks", {
  fr: {
    precision: "Classes de précision", unknown: "inconnue", node: "Ouvrage", segment: "Réseau",
    nodes: {
      manhole: "Regard", connection_box: "Boîte de branchement", gully: "Avaloir", meter_chamber: "Chambre de comptage",
      overflow: "Déversoir", chamber: "Chambre", valve: "Vanne", air_valve: "Ventouse", drain: "Vidange",
      hydrant: "Poteau incendie", check_valve: "Clapet", pressure_regulator: "Régulateur", meter: "Compteur",
      flow_meter: "Débitmètre", fitting: "Appareil", connection: "Raccord",
    },
  },
  en: {
    precision: "Precision classes", unknown: "unknown", node: "Structure", segment: "Network",
    nodes: {
      manhole: "Manhole", connection_box: "Connection box", gully: "Gully", meter_chamber: "Meter chamber",
      overflow: "Overflow", chamber: "Chamber", valve: "Valve", air_valve: "Air valve", drain: "Drain",
      hydrant: "Fire hydrant", check_valve: "Check valve", pressure_regulator: "Pressure regulator", meter: "Meter",
      flow_meter: "Flow meter", fitting: "Fitting", connection: "Connection",
    },
  },
});

export default class NetworksPlugin extends TilesetLayerPlugin {
  static wants(session) {
    return session.layers.some((l) => l.name === NETWORKS);
  }

  constructor() {
    super(null, { titleProperty: "source_id" });
    this.byPrecision = false;
    this.savedGlobe = null;
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
    // Without a style the glb's own colours (the network colour code) show.
    this.tileset.style = on ? new Cesium.Cesium3DTileStyle(PRECISION_STYLE) : undefined;
    this.precisionButton.setAttribute("aria-pressed", String(on));
    this.viewer.requestRender();
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
      ? T.nodes[nodeType] || nodeType || T.node
      : picked.getProperty("feature_type") || T.segment;
    this.viewer.showPanel(`${what} ${picked.getProperty("source_id")} (${type})`, entries,
      () => this.handlePick(picked, position));
    return true;
  }

  dispose() {
    this.underground(false);
    this.precisionButton && this.precisionButton.remove();
    if (this.jumeau && this.jumeau.layers[NETWORKS] === this) delete this.jumeau.layers[NETWORKS];
    super.dispose();
  }
}
