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
// Soil: the south, east, north and west walls each a shade of their own and the floor darker, so that the pit reads
// in depth whatever the light. The colours are drawn as they are (a flat appearance): the scene's sun is the real
// one, below the horizon at night and at times straight into a wall, which lit the walls black or washed them white.
const WALLS = ["#8a6a45", "#7a5b3a", "#967552", "#6f5234"].map((css) => Cesium.Color.fromCssColorString(css));
const FLOOR = Cesium.Color.fromCssColorString("#5e462d");

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
    this.pit = null; // the walls and floor, one primitive drawn again at each dig
    this.shape = null; // the pit dug: its corners (Cartesian3), the ground's height at each and the floor's
  }

  init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    this.pits = viewer.cesium.scene.primitives.add(new Cesium.PrimitiveCollection());
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
    const format = Cesium.PerInstanceColorAppearance.FLAT_VERTEX_FORMAT;
    const instances = corners.map((corner, i) => {
      const j = (i + 1) % corners.length;
      return new Cesium.GeometryInstance({
        geometry: new Cesium.WallGeometry({
          positions: [corner, corners[j]], maximumHeights: [tops[i], tops[j]], minimumHeights: [floor, floor],
          vertexFormat: format,
        }),
        attributes: { color: Cesium.ColorGeometryInstanceAttribute.fromColor(WALLS[i]) },
        id: "excavation-wall",
      });
    });
    instances.push(new Cesium.GeometryInstance({
      geometry: new Cesium.PolygonGeometry({
        polygonHierarchy: new Cesium.PolygonHierarchy(corners.map((c) => {
          const g = Cesium.Cartographic.fromCartesian(c);
          return Cesium.Cartesian3.fromRadians(g.longitude, g.latitude, floor);
        })),
        perPositionHeight: true,
        vertexFormat: format,
      }),
      attributes: { color: Cesium.ColorGeometryInstanceAttribute.fromColor(FLOOR) },
      id: "excavation-floor",
    }));
    this.shape = { corners, tops, floor };
    this.pits.removeAll();
    // Opaque, both faces drawn (closed: false: the walls are seen from inside the pit), cast no shadow of the sun
    // tool's, and built now (asynchronous: false) so that the pit shows in the frame after the tap.
    this.pit = this.pits.add(new Cesium.Primitive({
      geometryInstances: instances,
      appearance: new Cesium.PerInstanceColorAppearance({ flat: true, translucent: false, closed: false }),
      asynchronous: false,
      shadows: Cesium.ShadowMode.DISABLED,
    }));
    this.tool.card.dataset.dug = "true";
    this.hint.textContent = T.dug;
    this.viewer.requestRender();
  }

  reset() {
    const globe = this.viewer.cesium.scene.globe;
    if (globe.clippingPolygons) globe.clippingPolygons.enabled = false;
    this.centre = null;
    this.pits.removeAll();
    this.pit = null;
    this.shape = null;
    delete this.tool.card.dataset.dug;
    this.hint.textContent = T.hint;
    this.viewer.requestRender();
  }

  dispose() {
    this.setActive(false);
    this.viewer.cesium.scene.primitives.remove(this.pits);
    this.tool && this.tool.group.remove();
  }
}
