// "Découpe" (planners): a box around a picked point cuts the buildings away, top to bottom, so a project they hide
// shows in place. Projects, terrain and networks are not cut.
import { pickLanguage } from "../core/language.js";
import { button, labelled, makeToolCard } from "../core/toolCard.js";

const Cesium = window.Cesium;

const TEXTS = {
  fr: {
    button: "Découpe", title: "Découper les bâtiments autour d'un point pour voir ce qu'ils cachent",
    hint: "Cliquez un point : les bâtiments autour sont retirés de la vue.",
    placed: "Cliquez ailleurs pour déplacer la découpe.", size: "Largeur de la découpe",
    off: "Retirer la découpe", metres: (m) => `${m}\u00a0m`,
    noSurface: "Aucune surface sous ce point : cliquez sur le sol ou sur un bâtiment.",
    noBuildings: "La couche des bâtiments n'est pas chargée : rien à découper.",
  },
  en: {
    button: "Cut away", title: "Cut the buildings away around a point to see what they hide",
    hint: "Click a point: the buildings around it are taken out of the view.",
    placed: "Click elsewhere to move the cut.", size: "Width of the cut", off: "Remove the cut",
    metres: (m) => `${m}\u00a0m`, noSurface: "No surface under this point: click the ground or a building.",
    noBuildings: "The buildings layer is not loaded: nothing to cut.",
  },
};
const T = TEXTS[pickLanguage(Object.keys(TEXTS))];

const SIZES = { min: 10, max: 300, step: 10, initial: 60 }; // metres, the box's width and depth
// Tall enough to hold any building from its foundations to its roof, wherever the point was picked.
const HALF_HEIGHT = 400;
const EDGE = Cesium.Color.fromCssColorString("#ffd400");

// The four vertical sides of a box `size` metres wide, in east-north-up axes around its centre, normals outward.
// Cesium's "intersection" mode (unionClippingRegions false) discards what lies behind every plane, that is inside
// all four sides: the box is cut away and the rest stays. Union mode would keep only the box. Top and bottom are
// planes too, far beyond any roof or foundation.
export function boxPlanes(size) {
  const h = size / 2;
  const side = (x, y, z, half) => new Cesium.ClippingPlane(new Cesium.Cartesian3(x, y, z), -half);
  return [side(1, 0, 0, h), side(-1, 0, 0, h), side(0, 1, 0, h), side(0, -1, 0, h),
    side(0, 0, 1, HALF_HEIGHT), side(0, 0, -1, HALF_HEIGHT)];
}

export default class ClipPlugin {
  static wants(session) {
    const role = session.role || "";
    return role.includes("planner") || role.includes("admin");
  }

  constructor() {
    this.active = false;
    this.centre = null; // Cartesian3 of the box's centre, or null when nothing is cut
    this.size = SIZES.initial;
    this.clipped = null; // the tileset carrying the planes (a published rebuild swaps the buildings' tileset)
    this.outline = null;
  }

  init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    const tool = makeToolCard({ name: "clip", label: T.button, title: T.title, onToggle: (open) => this.setActive(open) });
    this.tool = tool;
    this.hint = document.createElement("p");
    this.hint.className = "tool-note";
    this.hint.setAttribute("aria-live", "polite");
    this.hint.textContent = T.hint;
    this.sizeInput = document.createElement("input");
    this.sizeInput.type = "range";
    this.sizeInput.min = String(SIZES.min);
    this.sizeInput.max = String(SIZES.max);
    this.sizeInput.step = String(SIZES.step);
    this.sizeInput.value = String(this.size);
    this.sizeInput.dataset.testid = "clip-size";
    this.sizeOutput = document.createElement("output");
    this.sizeInput.addEventListener("input", () => this.setSize(Number(this.sizeInput.value)));
    const row = document.createElement("div");
    row.className = "tool-row";
    row.append(labelled(T.size, this.sizeInput), this.sizeOutput);
    this.offButton = button(T.off, () => this.remove(), { testid: "clip-off" });
    tool.card.append(this.hint, row, this.offButton);
    this.showSize();
    viewer.addToolbar(tool.group, "tools");
    // A rebuild of the buildings published while a cut is on swaps their tileset: the cut moves to the new one.
    this.followSwap = () => {
      if (this.centre && this.buildings() !== this.clipped) this.apply();
    };
    viewer.cesium.scene.preUpdate.addEventListener(this.followSwap);
  }

  buildings() {
    const layer = this.jumeau.layers.buildings;
    return layer && layer.tileset && !layer.tileset.isDestroyed() ? layer.tileset : null;
  }

  setActive(active) {
    if (active === this.active) return;
    this.active = active;
    if (active) this.viewer.capturePicks(this, (position) => this.click(position), () => this.tool.setOpen(false));
    else this.viewer.releasePicks(this);
    // The cut stays while the card is closed (a planner looks around it); "Retirer la découpe" takes it away.
  }

  showSize() {
    this.sizeOutput.textContent = T.metres(this.size);
    this.sizeInput.setAttribute("aria-valuetext", T.metres(this.size));
  }

  setSize(size) {
    this.size = size;
    this.showSize();
    if (this.centre) this.apply();
  }

  click(position) {
    const scene = this.viewer.cesium.scene;
    let point = scene.pickPositionSupported ? scene.pickPosition(position) : undefined;
    if (!Cesium.defined(point)) {
      const ray = scene.camera.getPickRay(position);
      point = ray && scene.globe.pick(ray, scene);
    }
    if (!Cesium.defined(point)) {
      this.hint.textContent = T.noSurface;
      return;
    }
    this.centre = point;
    this.apply();
  }

  apply() {
    const tileset = this.buildings();
    if (!tileset) {
      this.hint.textContent = T.noBuildings;
      return;
    }
    if (this.clipped && this.clipped !== tileset && !this.clipped.isDestroyed()) this.clipped.clippingPlanes = undefined;
    // The planes live in the tileset's clipping frame (its root's transform, or east-north-up at its centre):
    // the model matrix takes the box's own east-north-up frame there.
    const box = Cesium.Transforms.eastNorthUpToFixedFrame(this.centre);
    const toTileset = Cesium.Matrix4.inverse(tileset.clippingPlanesOriginMatrix, new Cesium.Matrix4());
    const modelMatrix = Cesium.Matrix4.multiply(toTileset, box, new Cesium.Matrix4());
    if (tileset !== this.clipped || !tileset.clippingPlanes) {
      // A collection belongs to one tileset for life: a swapped tileset gets a new one.
      tileset.clippingPlanes = new Cesium.ClippingPlaneCollection({
        planes: boxPlanes(this.size), unionClippingRegions: false, edgeWidth: 2, edgeColor: EDGE, modelMatrix,
      });
    } else {
      const planes = tileset.clippingPlanes;
      planes.removeAll();
      for (const plane of boxPlanes(this.size)) planes.add(plane);
      planes.modelMatrix = modelMatrix;
    }
    this.clipped = tileset;
    this.drawOutline();
    this.hint.textContent = T.placed;
    this.tool.card.dataset.clipped = "true";
    this.viewer.requestRender();
  }

  // The cut's footprint on the ground, so the planner sees where it is and how wide.
  drawOutline() {
    const entities = this.viewer.cesium.entities;
    if (this.outline) entities.remove(this.outline);
    const h = this.size / 2;
    const frame = Cesium.Transforms.eastNorthUpToFixedFrame(this.centre);
    const corner = (x, y) => Cesium.Matrix4.multiplyByPoint(frame, new Cesium.Cartesian3(x, y, 0), new Cesium.Cartesian3());
    this.outline = entities.add({
      polyline: {
        positions: [corner(-h, -h), corner(h, -h), corner(h, h), corner(-h, h), corner(-h, -h)],
        width: 3, material: EDGE, clampToGround: true,
      },
    });
  }

  remove() {
    if (this.clipped && !this.clipped.isDestroyed()) this.clipped.clippingPlanes = undefined;
    this.clipped = null;
    this.centre = null;
    if (this.outline) this.viewer.cesium.entities.remove(this.outline);
    this.outline = null;
    this.hint.textContent = T.hint;
    delete this.tool.card.dataset.clipped;
    this.viewer.requestRender();
  }

  dispose() {
    this.setActive(false);
    this.remove();
    this.viewer.cesium.scene.preUpdate.removeEventListener(this.followSwap);
    this.tool && this.tool.group.remove();
  }
}
