// "Mesurer": distances along picked points (on the ground's ellipsoid and in a straight line), the height between two
// points, and the area of a polygon; each drawn in the scene with its number and unit until cleared.
import { live, locale, texts } from "../core/i18n.js";
import { button, makeToolCard } from "../core/toolCard.js";

const Cesium = window.Cesium;

const TEXTS = {
  fr: {
    button: "Mesurer", title: "Mesurer une distance, une hauteur ou une surface",
    modes: { distance: "Distance", height: "Hauteur", area: "Surface" },
    hints: {
      distance: "Cliquez des points sur le sol ou les bâtiments, puis « Terminer » (ou Entrée).",
      height: "Cliquez un point en bas puis un point en haut.",
      area: "Cliquez les coins de la surface, puis « Terminer » (ou Entrée).",
    },
    finish: "Terminer", clear: "Tout effacer", escape: "Échap annule la mesure en cours.",
    noSurface: "Aucune surface sous ce point : cliquez sur le sol ou sur un bâtiment.",
    distance: (ground, straight) => `${ground} (en ligne droite : ${straight})`,
    straightTitle: "en ligne droite, dénivelé compris",
    result: "Résultat", what: "Que mesurer",
  },
  en: {
    button: "Measure", title: "Measure a distance, a height or an area",
    modes: { distance: "Distance", height: "Height", area: "Area" },
    hints: {
      distance: "Click points on the ground or on buildings, then “Finish” (or Enter).",
      height: "Click a point at the bottom, then one at the top.",
      area: "Click the corners of the area, then “Finish” (or Enter).",
    },
    finish: "Finish", clear: "Clear all", escape: "Escape cancels the measurement in progress.",
    noSurface: "No surface under this point: click the ground or a building.",
    distance: (ground, straight) => `${ground} (straight line: ${straight})`,
    straightTitle: "in a straight line, including the climb",
    result: "Result", what: "What to measure",
  },
};
const T = texts("measure", TEXTS);
const COLOUR = Cesium.Color.fromCssColorString("#ffd400");

function number(value, digits) {
  return value.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// Metres under a kilometre to the decimetre, beyond in kilometres; a no-break space keeps number and unit together.
export function formatLength(metres) {
  return metres < 1000 ? `${number(metres, 1)}\u00a0m` : `${number(metres / 1000, 2)}\u00a0km`;
}

export function formatArea(squareMetres) {
  return squareMetres < 10000 ? `${number(squareMetres, 0)}\u00a0m²` : `${number(squareMetres / 10000, 2)}\u00a0ha`;
}

// Along the ellipsoid between consecutive points (what a map's distance means: heights ignored), in metres.
export function geodesicLength(points) {
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const a = Cesium.Cartographic.fromCartesian(points[i - 1]);
    const b = Cesium.Cartographic.fromCartesian(points[i]);
    total += new Cesium.EllipsoidGeodesic(a, b).surfaceDistance;
  }
  return total;
}

// Straight lines in 3D between consecutive points, climbs included, in metres.
export function straightLength(points) {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += Cesium.Cartesian3.distance(points[i - 1], points[i]);
  return total;
}

// The horizontal area of the polygon, in m²: its corners in the plane tangent to the ellipsoid at their centre
// (east, north), then the shoelace formula. Over a city block the plane departs from the ellipsoid by millimetres.
export function horizontalArea(points) {
  if (points.length < 3) return 0;
  const centre = Cesium.BoundingSphere.fromPoints(points).center;
  const toLocal = Cesium.Matrix4.inverseTransformation(Cesium.Transforms.eastNorthUpToFixedFrame(centre), new Cesium.Matrix4());
  const local = points.map((p) => Cesium.Matrix4.multiplyByPoint(toLocal, p, new Cesium.Cartesian3()));
  let twice = 0;
  for (let i = 0; i < local.length; i++) {
    const a = local[i];
    const b = local[(i + 1) % local.length];
    twice += a.x * b.y - b.x * a.y;
  }
  return Math.abs(twice) / 2;
}

export default class MeasurePlugin {
  static wants() {
    return true;
  }

  constructor() {
    this.active = false;
    this.mode = "distance";
    this.current = null; // { mode, points: [Cartesian3], entities: [] } being drawn
    this.done = []; // finished measurements, drawn until cleared
    this.result = null; // the numbers of the last change: { mode, geodesic, straight, height, area }
    this.onKey = (event) => this.key(event);
  }

  init(viewer) {
    this.viewer = viewer;
    this.source = new Cesium.CustomDataSource("measure");
    viewer.cesium.dataSources.add(this.source);
    const tool = makeToolCard({ name: "measure", label: () => T.button, title: () => T.title, onToggle: (open) => this.setActive(open) });
    this.tool = tool;
    const modes = document.createElement("div");
    modes.className = "tool-row";
    modes.setAttribute("role", "group");
    live(modes, (el) => el.setAttribute("aria-label", T.what));
    this.modeButtons = {};
    for (const mode of ["distance", "height", "area"]) {
      const b = button(() => T.modes[mode], () => this.setMode(mode), { measure: mode });
      this.modeButtons[mode] = b;
      modes.append(b);
    }
    this.hint = document.createElement("p");
    this.hint.className = "tool-note";
    this.hint.setAttribute("aria-live", "polite");
    this.output = document.createElement("output");
    this.output.className = "tool-result";
    this.output.dataset.testid = "measure-result";
    live(this.output, (el) => el.setAttribute("aria-label", T.result));
    const actions = document.createElement("div");
    actions.className = "tool-row";
    actions.append(button(() => T.finish, () => this.finish(), { testid: "measure-finish" }),
      button(() => T.clear, () => this.clear(), { testid: "measure-clear" }));
    const escape = document.createElement("p");
    escape.className = "tool-note";
    live(escape, (el) => { el.textContent = T.escape; });
    tool.card.append(modes, this.hint, this.output, actions, escape);
    this.setMode("distance");
    // The hint of the mode chosen, in the new language after a switch (the result stays: it is numbers).
    live(this.hint, (el) => { el.textContent = T.hints[this.mode]; });
    viewer.addToolbar(tool.group, "tools");
  }

  setActive(active) {
    if (active === this.active) return;
    this.active = active;
    if (active) {
      // Another tool that had the map's clicks (the clipping box) gives them up; if one takes them back, close.
      this.viewer.capturePicks(this, (position) => this.click(position), () => this.tool.setOpen(false));
      document.addEventListener("keydown", this.onKey);
    } else {
      this.cancel();
      this.viewer.releasePicks(this);
      document.removeEventListener("keydown", this.onKey);
    }
  }

  setMode(mode) {
    this.cancel();
    this.mode = mode;
    for (const [m, b] of Object.entries(this.modeButtons)) b.setAttribute("aria-pressed", String(m === mode));
    this.hint.textContent = T.hints[mode];
  }

  key(event) {
    if (event.key === "Escape") this.cancel();
    else if (event.key === "Enter" && event.target === document.body) this.finish();
  }

  // The point under the click on whatever is drawn there (a building, a project, the terrain), else on the globe.
  pickPoint(position) {
    const scene = this.viewer.cesium.scene;
    let point;
    if (scene.pickPositionSupported) point = scene.pickPosition(position);
    if (!Cesium.defined(point)) {
      const ray = scene.camera.getPickRay(position);
      point = ray && scene.globe.pick(ray, scene);
    }
    return Cesium.defined(point) ? point : null;
  }

  click(position) {
    const point = this.pickPoint(position);
    if (!point) {
      this.hint.textContent = T.noSurface;
      return;
    }
    this.hint.textContent = T.hints[this.mode];
    if (!this.current) this.current = { mode: this.mode, points: [], entities: [] };
    this.current.points.push(point);
    this.draw(this.current);
    if (this.mode === "height" && this.current.points.length === 2) this.finish();
  }

  finish() {
    if (!this.current) return;
    const enough = { distance: 2, height: 2, area: 3 }[this.current.mode];
    if (this.current.points.length >= enough) this.done.push(this.current);
    else this.remove(this.current);
    this.current = null;
    this.viewer.requestRender();
  }

  // Escape: the measurement in progress goes; finished ones stay.
  cancel() {
    if (!this.current) return;
    this.remove(this.current);
    this.current = null;
    this.viewer.requestRender();
  }

  clear() {
    this.cancel();
    for (const m of this.done) this.remove(m);
    this.done = [];
    this.result = null;
    this.output.textContent = "";
    for (const key of ["geodesic", "straight", "height", "area"]) delete this.output.dataset[key];
    this.viewer.requestRender();
  }

  remove(measurement) {
    for (const e of measurement.entities) this.source.entities.remove(e);
    measurement.entities = [];
  }

  add(measurement, options) {
    measurement.entities.push(this.source.entities.add(options));
  }

  label(measurement, position, text) {
    this.add(measurement, {
      position,
      label: {
        text, font: "bold 15px system-ui, sans-serif", fillColor: Cesium.Color.WHITE, showBackground: true,
        backgroundColor: Cesium.Color.fromCssColorString("#1b2530").withAlpha(0.85),
        pixelOffset: new Cesium.Cartesian2(0, -18), disableDepthTestDistance: Number.POSITIVE_INFINITY,
      },
    });
  }

  line(measurement, positions) {
    this.add(measurement, {
      polyline: {
        positions, width: 3, material: COLOUR, depthFailMaterial: COLOUR.withAlpha(0.45), arcType: Cesium.ArcType.NONE,
      },
    });
  }

  // Redrawn whole at each point: a handful of entities, and no stale label to track.
  draw(m) {
    this.remove(m);
    for (const position of m.points) {
      this.add(m, {
        position,
        point: { pixelSize: 9, color: COLOUR, outlineColor: Cesium.Color.BLACK, outlineWidth: 1,
          disableDepthTestDistance: Number.POSITIVE_INFINITY },
      });
    }
    const points = m.points;
    const result = { mode: m.mode };
    if (m.mode === "distance" && points.length >= 2) {
      result.geodesic = geodesicLength(points);
      result.straight = straightLength(points);
      this.line(m, points);
      this.label(m, points[points.length - 1], formatLength(result.geodesic));
      this.show(result, T.distance(formatLength(result.geodesic), formatLength(result.straight)));
    } else if (m.mode === "height" && points.length === 2) {
      const [a, b] = points.map((p) => Cesium.Cartographic.fromCartesian(p));
      const [low, high] = a.height <= b.height ? [a, b] : [b, a];
      result.height = high.height - low.height;
      // Up from the lower point to the higher one's height, then across to it: the height reads as a plumb line.
      const top = Cesium.Cartesian3.fromRadians(low.longitude, low.latitude, high.height);
      const bottom = Cesium.Cartesian3.fromRadians(low.longitude, low.latitude, low.height);
      this.line(m, [bottom, top, Cesium.Cartographic.toCartesian(high)]);
      this.label(m, Cesium.Cartesian3.midpoint(bottom, top, new Cesium.Cartesian3()), formatLength(result.height));
      this.show(result, formatLength(result.height));
    } else if (m.mode === "area" && points.length >= 2) {
      this.line(m, [...points, points[0]]);
      if (points.length >= 3) {
        result.area = horizontalArea(points);
        this.add(m, {
          polygon: { hierarchy: new Cesium.PolygonHierarchy(points), perPositionHeight: true,
            material: COLOUR.withAlpha(0.3) },
        });
        this.label(m, Cesium.BoundingSphere.fromPoints(points).center, formatArea(result.area));
        this.show(result, formatArea(result.area));
      }
    }
    this.viewer.requestRender();
  }

  // The readout in the card: the sentence, and the raw numbers (metres, m²) for assistive details and tests.
  show(result, text) {
    this.result = result;
    this.output.textContent = text;
    for (const key of ["geodesic", "straight", "height", "area"]) {
      if (result[key] === undefined) delete this.output.dataset[key];
      else this.output.dataset[key] = String(result[key]);
    }
  }

  dispose() {
    this.setActive(false);
    this.clear();
    this.viewer.cesium.dataSources.remove(this.source, true);
    this.tool && this.tool.group.remove();
  }
}
