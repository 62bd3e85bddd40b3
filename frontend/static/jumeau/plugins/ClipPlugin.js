// "Découpe" (planners): cut the buildings away inside a box or a polygon, top to bottom, so the project they hide
// shows in place. Projects, terrain and networks are not cut.
import { live, texts } from "../core/i18n.js";
import { button, makeToolCard, slider } from "../core/toolCard.js";

const Cesium = window.Cesium;

const TEXTS = {
  fr: {
    button: "Découpe", title: "Retirer les bâtiments d'une zone pour voir ce qu'ils cachent",
    what: "Forme de la découpe", box: "Boîte", polygon: "Polygone",
    hints: {
      box: "Touchez un point : les bâtiments dans la boîte autour de lui sont retirés de la vue.",
      polygon: "Touchez les coins de la zone à découper, puis « Découper ».",
    },
    placed: "Faites glisser la poignée jaune, touchez ailleurs ou utilisez les flèches pour déplacer la boîte ; "
      + "réglez sa taille ci-dessous.",
    move: "Déplacer la boîte (flèches)",
    moveLabel: "Déplacer la boîte : flèches pour 5 m, Maj + flèches pour 25 m, dans le sens de la vue",
    moved: (e, n) => `Boîte déplacée : ${e} m vers l'est, ${n} m vers le nord.`,
    corners: (n) => `${n} coin${n > 1 ? "s" : ""} posé${n > 1 ? "s" : ""}.`,
    cut: "Découper", width: "Largeur", depth: "Profondeur", heading: "Orientation",
    reset: "Retirer la découpe", metres: (m) => `${m}\u00a0m`, degrees: (d) => `${d}\u00a0°`,
    noSurface: "Aucune surface sous ce point : touchez le sol ou un bâtiment.",
    noBuildings: "La couche des bâtiments n'est pas chargée : rien à découper.",
    unsupported: "Ce navigateur ne sait pas découper la scène (WebGL 2 requis).",
  },
  en: {
    button: "Cut away", title: "Take the buildings of an area away to see what they hide",
    what: "Shape of the cut", box: "Box", polygon: "Polygon",
    hints: {
      box: "Tap a point: the buildings in the box around it are taken out of the view.",
      polygon: "Tap the corners of the area to cut, then “Cut”.",
    },
    placed: "Drag the yellow handle, tap elsewhere or use the arrow keys to move the box; set its size below.",
    move: "Move the box (arrow keys)",
    moveLabel: "Move the box: arrow keys for 5 m, Shift + arrow keys for 25 m, as the view faces",
    moved: (e, n) => `Box moved ${e} m east, ${n} m north.`,
    corners: (n) => `${n} corner${n > 1 ? "s" : ""} placed.`,
    cut: "Cut", width: "Width", depth: "Depth", heading: "Heading",
    reset: "Remove the cut", metres: (m) => `${m}\u00a0m`, degrees: (d) => `${d}\u00a0°`,
    noSurface: "No surface under this point: tap the ground or a building.",
    noBuildings: "The buildings layer is not loaded: nothing to cut.",
    unsupported: "This browser cannot cut the scene (WebGL 2 needed).",
  },
};
const T = texts("clip", TEXTS);

const EDGE = Cesium.Color.fromCssColorString("#ffd400");
// The drag handle at the box's centre: 36 px and a 4 px outline, a 44 px target for a finger.
const HANDLE = { pixelSize: 36, outlineWidth: 4 };
// One arrow key press moves the box this far (metres), with Shift this far.
const STEP_M = 5;
const BIG_STEP_M = 25;
const ARROWS = { ArrowUp: [0, 1], ArrowDown: [0, -1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
const SLIDERS = {
  width: { min: 10, max: 300, step: 5, initial: 60, unit: T.metres },
  depth: { min: 10, max: 300, step: 5, initial: 60, unit: T.metres },
  heading: { min: 0, max: 175, step: 5, initial: 0, unit: T.degrees },
};

// `centre` moved `forward` metres the way the camera faces (`heading`, radians clockwise from north) and `right`
// metres to its right, on the tangent plane, at the same height.
export function moveAlong(centre, heading, forward, right) {
  const east = forward * Math.sin(heading) + right * Math.cos(heading);
  const north = forward * Math.cos(heading) - right * Math.sin(heading);
  const frame = Cesium.Transforms.eastNorthUpToFixedFrame(centre);
  const moved = Cesium.Matrix4.multiplyByPoint(frame, new Cesium.Cartesian3(east, north, 0), new Cesium.Cartesian3());
  const g = Cesium.Cartographic.fromCartesian(moved);
  return Cesium.Cartesian3.fromRadians(g.longitude, g.latitude, Cesium.Cartographic.fromCartesian(centre).height);
}

// The four corners of a box `width` × `depth` metres around `centre`, its width turned `heading` degrees from
// east towards north, on the ellipsoid's tangent plane there (over a city block it departs by millimetres).
export function boxCorners(centre, width, depth, heading) {
  const frame = Cesium.Transforms.eastNorthUpToFixedFrame(centre);
  const a = Cesium.Math.toRadians(heading);
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  return [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([u, v]) => {
    const x = (u * width) / 2;
    const y = (v * depth) / 2;
    const local = new Cesium.Cartesian3(x * cos - y * sin, x * sin + y * cos, 0);
    return Cesium.Matrix4.multiplyByPoint(frame, local, new Cesium.Cartesian3());
  });
}

export default class ClipPlugin {
  static wants(session) {
    const role = session.role || "";
    return role.includes("planner") || role.includes("admin");
  }

  constructor() {
    this.active = false;
    this.mode = "box";
    this.centre = null; // the box's centre (Cartesian3), or null
    this.corners = []; // the polygon's tapped corners
    this.cutCorners = null; // the corners of the cut shown, or null when nothing is cut
    this.sizes = Object.fromEntries(Object.entries(SLIDERS).map(([k, s]) => [k, s.initial]));
    this.clipped = null; // the tileset carrying the cut (a published rebuild swaps the buildings' tileset)
    this.source = null;
    this.handle = null; // the box's drag handle entity, while the box is placed and the card open
    this.dragging = false;
  }

  init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    this.source = new Cesium.CustomDataSource("clip");
    viewer.cesium.dataSources.add(this.source);
    const tool = makeToolCard({ name: "clip", label: () => T.button, title: () => T.title, onToggle: (open) => this.setActive(open) });
    this.tool = tool;
    const modes = document.createElement("div");
    modes.className = "tool-row";
    modes.setAttribute("role", "group");
    live(modes, (el) => el.setAttribute("aria-label", T.what));
    this.modeButtons = {};
    for (const mode of ["box", "polygon"]) {
      this.modeButtons[mode] = button(() => T[mode], () => this.setMode(mode), { clipMode: mode });
      modes.append(this.modeButtons[mode]);
    }
    this.hint = document.createElement("p");
    this.hint.className = "tool-note";
    this.hint.setAttribute("aria-live", "polite");
    this.boxControls = document.createElement("div");
    this.inputs = {};
    for (const [name, spec] of Object.entries(SLIDERS)) {
      const { row, input, output } = slider(() => T[name], spec, this.sizes[name], (v) => this.setSize(name, v), `clip-${name}`);
      this.inputs[name] = { input, output };
      this.boxControls.append(row);
      this.showSize(name);
    }
    this.cutButton = button(() => T.cut, () => this.cutPolygon(), { testid: "clip-cut" });
    this.resetButton = button(() => T.reset, () => this.reset(), { testid: "clip-reset" });
    // The keyboard's way to move the box: arrow keys on this button (focused by Tab or a tap).
    this.moveButton = button(() => T.move, () => this.moveButton.focus(), { testid: "clip-move" });
    live(this.moveButton, (el) => el.setAttribute("title", T.moveLabel));
    this.moveButton.setAttribute("aria-keyshortcuts", "ArrowUp ArrowDown ArrowLeft ArrowRight");
    this.moveButton.addEventListener("keydown", (event) => this.keyMove(event));
    this.boxControls.prepend(this.moveButton);
    const actions = document.createElement("div");
    actions.className = "tool-row";
    actions.append(this.cutButton, this.resetButton);
    tool.card.append(modes, this.hint, this.boxControls, actions);
    this.setMode("box");
    viewer.addToolbar(tool.group, "tools");
    // A rebuild of the buildings published while a cut is on swaps their tileset: the cut moves to the new one.
    this.followSwap = () => {
      if (this.cutCorners && this.buildings() && this.buildings() !== this.clipped) this.apply(this.cutCorners);
    };
    viewer.cesium.scene.preUpdate.addEventListener(this.followSwap);
    this.dragHandler = new Cesium.ScreenSpaceEventHandler(viewer.cesium.scene.canvas);
    this.dragHandler.setInputAction((e) => this.dragStart(e.position), Cesium.ScreenSpaceEventType.LEFT_DOWN);
    this.dragHandler.setInputAction((e) => this.dragMove(e.endPosition), Cesium.ScreenSpaceEventType.MOUSE_MOVE);
    this.dragHandler.setInputAction(() => this.dragEnd(), Cesium.ScreenSpaceEventType.LEFT_UP);
  }

  // A press on the handle (mouse or finger: Cesium gives a one-finger touch as LEFT_DOWN, MOUSE_MOVE, LEFT_UP)
  // drags the box on the ground; the camera holds still meanwhile, or it would pan under the finger too.
  dragStart(position) {
    if (!this.active || !this.handle || !position) return;
    const picked = this.viewer.cesium.scene.pick(position);
    if (!picked || picked.id !== this.handle) return;
    this.dragging = true;
    this.viewer.cesium.scene.screenSpaceCameraController.enableInputs = false;
  }

  dragMove(position) {
    if (!this.dragging || !position) return;
    // The ground under the pointer, not a roof: the box's centre follows the finger on the terrain.
    const scene = this.viewer.cesium.scene;
    const ray = scene.camera.getPickRay(position);
    const point = ray && scene.globe.pick(ray, scene);
    if (!Cesium.defined(point)) return;
    this.centre = point;
    this.cutBox();
  }

  dragEnd() {
    if (!this.dragging) return;
    this.dragging = false;
    this.viewer.cesium.scene.screenSpaceCameraController.enableInputs = true;
  }

  keyMove(event) {
    const arrow = ARROWS[event.key];
    if (!arrow || !this.centre || this.mode !== "box") return;
    event.preventDefault();
    const step = event.shiftKey ? BIG_STEP_M : STEP_M;
    const heading = this.viewer.cesium.camera.heading;
    const before = this.centre;
    this.centre = moveAlong(this.centre, heading, arrow[1] * step, arrow[0] * step);
    this.cutBox();
    const frame = Cesium.Transforms.eastNorthUpToFixedFrame(before);
    const local = Cesium.Matrix4.multiplyByPoint(Cesium.Matrix4.inverse(frame, new Cesium.Matrix4()), this.centre,
      new Cesium.Cartesian3());
    this.hint.textContent = T.moved(Math.round(local.x), Math.round(local.y));
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
    this.dragEnd();
    this.drawOutline();
    // The cut stays while the card is closed (a planner looks around it); "Retirer la découpe" takes it away.
  }

  setMode(mode) {
    this.mode = mode;
    for (const [name, b] of Object.entries(this.modeButtons)) b.setAttribute("aria-pressed", String(name === mode));
    this.boxControls.hidden = mode !== "box";
    if (mode !== "box") this.centre = null;
    this.cutButton.hidden = mode !== "polygon";
    this.corners = [];
    this.hint.textContent = T.hints[mode];
    this.drawOutline();
  }

  showSize(name) {
    const { input, output } = this.inputs[name];
    const text = SLIDERS[name].unit(this.sizes[name]);
    output.textContent = text;
    input.setAttribute("aria-valuetext", text);
  }

  setSize(name, value) {
    this.sizes[name] = value;
    this.showSize(name);
    if (this.centre && this.mode === "box") this.cutBox();
  }

  // The point tapped: on a drawn object (a roof) from the depth buffer, else on the terrain along the tap's ray.
  // Over the networks' translucent ground the depth buffer answers nonsense (points thousands of km away), so
  // it is asked only where an object is drawn, and its answer kept only near the ground's heights.
  surfaceAt(position) {
    const scene = this.viewer.cesium.scene;
    if (scene.pickPositionSupported && Cesium.defined(scene.pick(position))) {
      const point = scene.pickPosition(position);
      const height = Cesium.defined(point) ? Cesium.Cartographic.fromCartesian(point).height : NaN;
      if (height > -500 && height < 9000) return point;
    }
    const ray = scene.camera.getPickRay(position);
    const point = ray && scene.globe.pick(ray, scene);
    return Cesium.defined(point) ? point : null;
  }

  click(position) {
    const point = this.surfaceAt(position);
    if (!point) {
      this.hint.textContent = T.noSurface;
      return;
    }
    if (this.mode === "box") {
      this.centre = point;
      this.cutBox();
    } else {
      this.corners.push(point);
      this.hint.textContent = T.corners(this.corners.length);
      this.drawOutline();
    }
  }

  cutBox() {
    const { width, depth, heading } = this.sizes;
    if (this.apply(boxCorners(this.centre, width, depth, heading))) this.hint.textContent = T.placed;
  }

  cutPolygon() {
    if (this.corners.length < 3) {
      this.hint.textContent = T.hints.polygon;
      return;
    }
    const corners = this.corners;
    this.corners = [];
    this.apply(corners);
  }

  // Cuts the buildings inside `corners` away; true when done. A clipping polygon is given in the globe's fixed
  // frame and extruded through every height: it needs no tileset frame, and cuts a building from roof to ground.
  apply(corners) {
    const tileset = this.buildings();
    if (!tileset) {
      this.hint.textContent = T.noBuildings;
      return false;
    }
    if (!Cesium.ClippingPolygonCollection.isSupported(this.viewer.cesium.scene)) {
      this.hint.textContent = T.unsupported;
      return false;
    }
    // A new collection for every cut (the tileset destroys the one it replaces): re-enabling or refilling a
    // collection the tiles' models already dropped leaves them unclipped (Cesium 1.145). inverse: false removes
    // what lies inside the polygon and keeps the rest.
    tileset.clippingPolygons = new Cesium.ClippingPolygonCollection({
      polygons: [new Cesium.ClippingPolygon({ positions: corners })], inverse: false,
    });
    this.clipped = tileset;
    this.cutCorners = corners;
    this.drawOutline();
    this.tool.card.dataset.clipped = "true";
    this.viewer.requestRender();
    return true;
  }

  // The cut's footprint on the ground (and the polygon's corners while they are tapped), so the planner sees where
  // it is and how large.
  drawOutline() {
    if (!this.source) return;
    const entities = this.source.entities;
    entities.removeAll();
    const ring = (points, closed) => entities.add({
      polyline: { positions: closed ? [...points, points[0]] : points, width: 3, material: EDGE, clampToGround: true },
    });
    if (this.cutCorners) ring(this.cutCorners, true);
    for (const corner of this.corners) {
      entities.add({ position: corner, point: { pixelSize: 10, color: EDGE, disableDepthTestDistance: Number.POSITIVE_INFINITY } });
    }
    if (this.corners.length >= 2) ring(this.corners, false);
    this.handle = null;
    if (this.active && this.centre && this.mode === "box" && this.cutCorners) {
      this.handle = entities.add({
        position: this.centre,
        point: {
          ...HANDLE, color: EDGE.withAlpha(0.9), outlineColor: Cesium.Color.BLACK.withAlpha(0.7),
          disableDepthTestDistance: Number.POSITIVE_INFINITY,
        },
      });
    }
    this.moveButton.disabled = !this.centre || this.mode !== "box";
    this.viewer.requestRender();
  }

  reset() {
    // Disabled, not taken off: a tile's model keeps the collection it was given when the tileset's is unset
    // (Cesium 1.145, Model3DTileContent), and the cut would stay drawn.
    if (this.clipped && !this.clipped.isDestroyed() && this.clipped.clippingPolygons) {
      this.clipped.clippingPolygons.enabled = false;
    }
    this.centre = null;
    this.corners = [];
    this.cutCorners = null;
    this.drawOutline();
    this.hint.textContent = T.hints[this.mode];
    delete this.tool.card.dataset.clipped;
    this.viewer.requestRender();
  }

  dispose() {
    this.setActive(false);
    this.reset();
    this.viewer.cesium.scene.preUpdate.removeEventListener(this.followSwap);
    this.dragHandler.destroy();
    this.viewer.cesium.dataSources.remove(this.source);
    this.tool && this.tool.group.remove();
  }
}
