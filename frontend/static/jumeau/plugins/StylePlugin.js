// "Colorer les bâtiments" (planners): the buildings coloured by height, storeys, year of construction or use, with a
// legend of the classes; "Réinitialiser" brings back the default style. It reads the properties the buildings
// writer stores in every tile (tiles/builders/buildings.py: height, storeys, year, use; 0 = unknown).
import { live, texts } from "../core/i18n.js";
import { button, labelled, makeToolCard } from "../core/toolCard.js";

const Cesium = window.Cesium;

const TEXTS = {
  fr: {
    button: "Colorer les bâtiments", title: "Colorer les bâtiments selon un attribut, avec une légende",
    by: "Colorer selon", colon: " : ", none: "Style par défaut", reset: "Réinitialiser", legend: "Légende",
    attributes: { height: "Hauteur", storeys: "Nombre d'étages", year: "Année de construction", use: "Usage" },
    unknown: "inconnu", other: "autre usage", metres: "m", storeys: (n) => `${n} étage${n > 1 ? "s" : ""}`,
    below: (v, unit) => `moins de ${v}${unit}`, from: (v, unit) => `${v}${unit} et plus`,
    between: (a, b, unit) => `de ${a} à ${b}${unit}`, before: (y) => `avant ${y}`, since: (y) => `depuis ${y}`,
    years: (a, b) => `${a} à ${b}`, storeysRange: (a, b) => `${a} à ${b} étages`,
    storeysFrom: (n) => `${n} étages et plus`,
  },
  en: {
    button: "Colour buildings", title: "Colour the buildings by an attribute, with a legend",
    by: "Colour by", colon: ": ", none: "Default style", reset: "Reset", legend: "Legend",
    attributes: { height: "Height", storeys: "Storeys", year: "Year built", use: "Use" },
    unknown: "unknown", other: "other use", metres: "m", storeys: (n) => `${n} storey${n > 1 ? "s" : ""}`,
    below: (v, unit) => `under ${v}${unit}`, from: (v, unit) => `${v}${unit} and over`,
    between: (a, b, unit) => `${a} to ${b}${unit}`, before: (y) => `before ${y}`, since: (y) => `${y} on`,
    years: (a, b) => `${a} to ${b}`, storeysRange: (a, b) => `${a} to ${b} storeys`,
    storeysFrom: (n) => `${n} storeys and over`,
  },
};
const T = texts("style", TEXTS);

// Viridis in five steps: ordered, readable by the colour-blind, and still ordered in greyscale print.
const RAMP = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
const UNKNOWN = "#b4b4b4";
// Use values of the BD TOPO (the demo city's source) with their own colours; anything else is "other".
const USES = [
  ["Résidentiel", "#e6ab02"], ["Commercial et services", "#d95f02"], ["Industriel", "#7570b3"],
  ["Religieux", "#e7298a"], ["Sportif", "#66a61e"], ["Agricole", "#a6761d"], ["Annexe", "#1b9e77"],
];
const NBSP = "\u00a0";

// Class edges: a class holds values in [edge i, edge i+1). Heights in metres at a storey's multiples and the local
// plan's usual limits; years at the periods French building stock is described by (pre-1900, inter-war, the
// post-war boom, the first thermal rules of 1975, 2000 on).
const NUMERIC = {
  height: { edges: [0, 6, 12, 20, 35], unknownZero: false },
  storeys: { edges: [1, 2, 3, 5, 8], unknownZero: true },
  year: { edges: [0, 1900, 1945, 1975, 2000], unknownZero: true },
};

function numericLabel(attribute, lo, hi) {
  if (attribute === "height") {
    if (lo === 0) return T.below(hi, NBSP + T.metres);
    if (hi === undefined) return T.from(lo, NBSP + T.metres);
    return T.between(lo, hi, NBSP + T.metres);
  }
  if (attribute === "storeys") {
    if (hi === undefined) return T.storeysFrom(lo);
    return hi - lo === 1 ? T.storeys(lo) : T.storeysRange(lo, hi - 1);
  }
  if (lo === 0) return T.before(hi);
  if (hi === undefined) return T.since(lo);
  return T.years(lo, hi - 1);
}

// The legend's classes of an attribute, each { key, label, color, min?, max?, value?, condition }: `condition` is
// the Cesium style expression a building of that class satisfies. The first matching class wins, as in Cesium.
export function classesOf(attribute) {
  const variable = `\${${attribute}}`;
  if (attribute === "use") {
    const known = USES.map(([value, color], i) => ({
      key: `use-${i}`, label: value, color, value, condition: `${variable} === ${JSON.stringify(value)}`,
    }));
    return [...known, { key: "other", label: T.other, color: UNKNOWN, condition: "true" }];
  }
  const { edges, unknownZero } = NUMERIC[attribute];
  const classes = [];
  if (unknownZero) {
    classes.push({ key: "unknown", label: T.unknown, color: UNKNOWN, min: 0, max: 0, condition: `${variable} === 0` });
  }
  edges.forEach((lo, i) => {
    const hi = edges[i + 1];
    // Only the upper edge is tested: the classes before took what lies below, and the first class also takes
    // anything under its edge (a height of -0.1 m from a noisy ground).
    const condition = hi === undefined ? "true" : `${variable} < ${hi}`;
    classes.push({ key: `c${i}`, label: numericLabel(attribute, lo, hi), color: RAMP[i], min: lo, max: hi ?? null, condition });
  });
  return classes;
}

export function styleFor(attribute) {
  return { color: { conditions: classesOf(attribute).map((c) => [c.condition, `color('${c.color}')`]) } };
}

export default class StylePlugin {
  static wants(session) {
    const role = session.role || "";
    return role.includes("planner") || role.includes("admin");
  }

  constructor() {
    this.attribute = null; // the attribute the buildings are coloured by, or null for the default style
    this.classes = [];
  }

  init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    const tool = makeToolCard({ name: "style", label: () => T.button, title: () => T.title });
    this.tool = tool;
    this.select = document.createElement("select");
    this.select.dataset.testid = "style-attribute";
    this.select.append(live(new Option("", ""), (el) => { el.textContent = T.none; }));
    for (const value of Object.keys(T.attributes)) {
      this.select.append(live(new Option("", value), (el) => { el.textContent = T.attributes[value]; }));
    }
    this.select.addEventListener("change", () => this.colourBy(this.select.value || null));
    this.legend = document.createElement("figure");
    this.legend.className = "style-legend";
    this.legend.dataset.testid = "style-legend";
    this.legend.setAttribute("aria-live", "polite");
    this.legend.hidden = true;
    // The legend's classes are named in words: said again in the new language after a switch.
    live(this.legend, () => {
      if (this.attribute) this.classes = classesOf(this.attribute);
      this.drawLegend();
    });
    tool.card.append(labelled(() => T.by, this.select), this.legend,
      button(() => T.reset, () => this.colourBy(null), { testid: "style-reset" }));
    viewer.addToolbar(tool.group, "tools");
  }

  buildings() {
    return this.jumeau.layers.buildings || null;
  }

  colourBy(attribute) {
    const layer = this.buildings();
    if (!layer || !layer.tileset) return;
    this.attribute = attribute;
    this.select.value = attribute || "";
    // The layer's own style (main.js BUILDING_STYLE) is the default; a reload of the layer keeps whichever is set.
    const style = attribute ? styleFor(attribute) : layer.style;
    layer.tileset.style = style ? new Cesium.Cesium3DTileStyle(style) : undefined;
    this.classes = attribute ? classesOf(attribute) : [];
    this.drawLegend();
    this.viewer.requestRender();
  }

  drawLegend() {
    this.legend.replaceChildren();
    this.legend.hidden = !this.attribute;
    if (!this.attribute) return;
    const caption = document.createElement("figcaption");
    caption.textContent = `${T.legend}${T.colon}${T.attributes[this.attribute]}`;
    const list = document.createElement("ul");
    for (const c of this.classes) {
      const item = document.createElement("li");
      item.dataset.class = c.key;
      item.dataset.color = c.color;
      if (c.min !== undefined) item.dataset.min = String(c.min);
      if (c.max !== undefined && c.max !== null) item.dataset.max = String(c.max);
      if (c.value !== undefined) item.dataset.value = c.value;
      const swatch = document.createElement("span");
      swatch.className = "style-swatch";
      swatch.style.background = c.color;
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, c.label);
      list.append(item);
    }
    this.legend.append(caption, list);
  }

  dispose() {
    if (this.attribute) this.colourBy(null);
    this.tool && this.tool.group.remove();
  }
}
