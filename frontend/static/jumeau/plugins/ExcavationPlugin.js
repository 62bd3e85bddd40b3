// "Fouille" (whoever sees the networks): a pit dug into the terrain around a tapped point, with its walls and floor,
// so the pipes and cables inside are seen in place, at their depth, as an open trench would show them. While the
// tool is open the ground is opaque (the underground mode's see-through ground would show every pipe anyway).
import { texts } from "../core/i18n.js";
import { button, makeToolCard, slider } from "../core/toolCard.js";
import { NETWORKS } from "./NetworksPlugin.js";

const Cesium = window.Cesium;

const TEXTS = {
  fr: {
    button: "Fouille", title: "Creuser une fouille dans le terrain pour voir les réseaux en place",
    hint: "Le sol redevient opaque : touchez le point où creuser.",
    dug: "Touchez ailleurs pour déplacer la fouille.",
    width: "Largeur", depth: "Profondeur", reset: "Reboucher",
    metres: (m) => `${String(m).replace(".", ",")}\u00a0m`,
    noSurface: "Aucun sol sous ce point : touchez le terrain.",
    unsupported: "Ce navigateur ne sait pas découper le terrain (WebGL 2 requis).",
  },
  en: {
    button: "Excavation", title: "Dig a pit into the terrain to see the networks in place",
    hint: "The ground is opaque again: tap where to dig.",
    dug: "Tap elsewhere to move the pit.",
    width: "Width", depth: "Depth", reset: "Fill in",
    metres: (m) => `${m}\u00a0m`,
    noSurface: "No ground under this point: tap the terrain.",
    unsupported: "This browser cannot cut the terrain (WebGL 2 needed).",
  },
};
const T = texts("excavation", TEXTS);

const SLIDERS = {
  width: { min: 2, max: 40, step: 1, initial: 10 },
  depth: { min: 0.5, max: 8, step: 0.5, initial: 3 },
};
const WALL = Cesium.Color.fromCssColorString("#8a6a45");
const FLOOR = Cesium.Color.fromCssColorString("#6b5236");

// The square pit's corners, `width` metres across, aligned east and north at `centre`.
export function pitCorners(centre, width) {
  const frame = Cesium.Transforms.eastNorthUpToFixedFrame(centre);
  const h = width / 2;
  return [[-h, -h], [h, -h], [h, h], [-h, h]].map(([x, y]) =>
    Cesium.Matrix4.multiplyByPoint(frame, new Cesium.Cartesian3(x, y, 0), new Cesium.Cartesian3()));
}

export default class ExcavationPlugin {
  static wants(session) {
    return session.layers.some((l) => l.name === NETWORKS);
  }

  constructor() {
    this.active = false;
    this.centre = null; // Cartographic of the pit's centre on the ground, or null
    this.sizes = { width: SLIDERS.width.initial, depth: SLIDERS.depth.initial };
    this.savedTranslucency = null;
    this.source = null;
  }

  init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    this.source = new Cesium.CustomDataSource("excavation");
    viewer.cesium.dataSources.add(this.source);
    const tool = makeToolCard({ name: "excavation", label: () => T.button, title: () => T.title, onToggle: (open) => this.setActive(open) });
    this.tool = tool;
    this.hint = document.createElement("p");
    this.hint.className = "tool-note";
    this.hint.setAttribute("aria-live", "polite");
    this.hint.textContent = T.hint;
    tool.card.append(this.hint);
    this.inputs = {};
    for (const [name, spec] of Object.entries(SLIDERS)) {
      const { row, input, output } = slider(() => T[name], spec, this.sizes[name], (v) => this.setSize(name, v), `excavation-${name}`);
      this.inputs[name] = { input, output };
      tool.card.append(row);
      this.showSize(name);
    }
    tool.card.append(button(() => T.reset, () => this.reset(), { testid: "excavation-reset" }));
    viewer.addToolbar(tool.group, "tools");
  }

  setActive(active) {
    if (active === this.active) return;
    this.active = active;
    const globe = this.viewer.cesium.scene.globe;
    if (active) {
      this.viewer.capturePicks(this, (position) => this.click(position), () => this.tool.setOpen(false));
      this.savedTranslucency = globe.translucency.enabled;
      globe.translucency.enabled = false;
    } else {
      this.viewer.releasePicks(this);
      if (this.savedTranslucency !== null) globe.translucency.enabled = this.savedTranslucency;
      this.savedTranslucency = null;
      // The pit is filled in when the tool closes: a hole left in the ground would puzzle the next look around.
      this.reset();
    }
    this.viewer.requestRender();
  }

  showSize(name) {
    const { input, output } = this.inputs[name];
    const text = T.metres(this.sizes[name]);
    output.textContent = text;
    input.setAttribute("aria-valuetext", text);
  }

  setSize(name, value) {
    this.sizes[name] = value;
    this.showSize(name);
    if (this.centre) this.dig();
  }

  click(position) {
    const scene = this.viewer.cesium.scene;
    const ray = scene.camera.getPickRay(position);
    // The terrain's own surface, not a building or a pipe: the pit is dug into the ground.
    const point = ray && scene.globe.pick(ray, scene);
    if (!Cesium.defined(point)) {
      this.hint.textContent = T.noSurface;
      return;
    }
    this.centre = Cesium.Cartographic.fromCartesian(point);
    this.dig();
  }

  groundHeight(cartesian) {
    const carto = Cesium.Cartographic.fromCartesian(cartesian);
    const height = this.viewer.cesium.scene.globe.getHeight(carto);
    return height === undefined ? this.centre.height : height;
  }

  dig() {
    const scene = this.viewer.cesium.scene;
    if (!Cesium.ClippingPolygonCollection.isSupported(scene)) {
      this.hint.textContent = T.unsupported;
      return;
    }
    const centre = Cesium.Cartographic.toCartesian(this.centre);
    const corners = pitCorners(centre, this.sizes.width);
    // inverse: false takes the terrain inside the square away. A new collection for every pit (the globe destroys
    // the one it replaces): one re-enabled or refilled after a reset is not seen again by Cesium 1.145's tiles.
    scene.globe.clippingPolygons = new Cesium.ClippingPolygonCollection({
      polygons: [new Cesium.ClippingPolygon({ positions: corners })], inverse: false,
    });
    // Walls from the ground at each corner down to the floor, and the floor: the hole reads as a pit.
    const tops = corners.map((c) => this.groundHeight(c));
    const floor = Math.min(...tops) - this.sizes.depth;
    const ring = [...corners, corners[0]];
    const entities = this.source.entities;
    entities.removeAll();
    entities.add({
      wall: {
        positions: ring,
        maximumHeights: [...tops, tops[0]],
        minimumHeights: ring.map(() => floor),
        material: WALL.withAlpha(0.85),
      },
    });
    entities.add({
      polygon: {
        hierarchy: corners.map((c) => {
          const g = Cesium.Cartographic.fromCartesian(c);
          return Cesium.Cartesian3.fromRadians(g.longitude, g.latitude, floor);
        }),
        perPositionHeight: true,
        material: FLOOR,
      },
    });
    this.tool.card.dataset.dug = "true";
    this.hint.textContent = T.dug;
    this.viewer.requestRender();
  }

  reset() {
    const globe = this.viewer.cesium.scene.globe;
    if (globe.clippingPolygons) globe.clippingPolygons.enabled = false;
    this.centre = null;
    this.source.entities.removeAll();
    delete this.tool.card.dataset.dug;
    this.hint.textContent = T.hint;
    this.viewer.requestRender();
  }

  dispose() {
    this.setActive(false);
    this.viewer.cesium.dataSources.remove(this.source);
    this.tool && this.tool.group.remove();
  }
}
