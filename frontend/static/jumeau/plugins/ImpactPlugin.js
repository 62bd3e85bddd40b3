// "Impact": the stored BR 209 report of the project variant the scene shows, drawn on the windows around it,
// each coloured by what it loses, with a legend; a click on a window gives its numbers. It reads the report's
// GeoJSON export (/reports/impact/<variant>/windows.geojson), which answers a draft's report to planners only.
import { describeError, fetchJson } from "../core/http.js";
import { language, live, locale, texts } from "../core/i18n.js";

const Cesium = window.Cesium;

// Classes from worst to best: the BR 209 tests first, then the share of its sky a window loses. 0.8 x the former
// VSC is the guide's "noticeable" line (2.2.7); under 5 % the loss is within the method's own noise.
const NOTICEABLE_LOSS = 0.2;
const SMALL_LOSS = 0.05;
// Most windows around a project lose nothing: theirs are small pale dots, so the few that lose stand out.
export const CLASSES = [
  { key: "vsc", color: "#d62728", size: 11 },
  { key: "sun", color: "#9467bd", size: 11 },
  { key: "noticeable", color: "#ff7f0e", size: 10 },
  { key: "some", color: "#ffd92f", size: 9 },
  { key: "none", color: "#a6d8a8", size: 5, quiet: true },
];

const TEXTS = {
  fr: {
    button: "Impact", title: "Impact sur la lumière du jour", colon: " : ", buttonTitle:
      "Impact de la variante affichée sur le ciel visible et le soleil des fenêtres voisines (BRE BR 209)",
    classes: {
      vsc: "ciel visible : critère BR 209 non respecté", sun: "soleil : critère BR 209 non respecté",
      noticeable: "perd 20 % ou plus de son ciel visible", some: "perd 5 à 20 % de son ciel visible",
      none: "perd moins de 5 % de son ciel visible",
    },
    windows: (n) => `${n.toLocaleString("fr-FR")} fenêtre${n > 1 ? "s" : ""} évaluée${n > 1 ? "s" : ""}`,
    computed: (d) => `Rapport calculé le ${d}`, stale: "Les données ont changé depuis : le rapport sera recalculé.",
    hint: "Cliquez sur une fenêtre pour ses chiffres.", full: "Rapport complet",
    loading: "Chargement du rapport d'impact…",
    pending: "Rapport d'impact en cours de calcul pour cette variante : réessayez dans quelques minutes.",
    noVariant: "Affichez une variante du projet pour voir son impact.", retry: "Réessayer", close: "Fermer",
    window: "Fenêtre", building: "Bâtiment", floor: "Étage", ground: "rez-de-chaussée",
    floorN: (n) => `${n}${n === 1 ? "er" : "e"} étage`, facing: "Orientation", use: "Usage",
    dwelling: "logement", other: "autre usage", vscBefore: "Ciel visible avant", vscAfter: "Ciel visible après",
    vscLoss: "Perte de ciel visible", vscTest: "Critère ciel visible (BR 209 2.2.7)",
    sunBefore: "Soleil annuel avant", sunAfter: "Soleil annuel après", winterBefore: "Soleil d'hiver avant",
    winterAfter: "Soleil d'hiver après", sunTest: "Critère soleil (BR 209 3.2.11)", pass: "respecté",
    fail: "non respecté", notTested: "non évalué (fenêtre tournée vers le nord)",
    hours: (pct, h) => `${pct} des heures probables (${h} h)`,
  },
  en: {
    button: "Impact", title: "Impact on daylight", colon: ": ", buttonTitle:
      "Impact of the variant shown on the sky and sun of the neighbouring windows (BRE BR 209)",
    classes: {
      vsc: "sky: fails the BR 209 test", sun: "sunlight: fails the BR 209 test",
      noticeable: "loses 20 % or more of its sky", some: "loses 5 to 20 % of its sky",
      none: "loses under 5 % of its sky",
    },
    windows: (n) => `${n.toLocaleString("en-GB")} window${n > 1 ? "s" : ""} assessed`,
    computed: (d) => `Report computed on ${d}`, stale: "The data changed since: the report will be computed again.",
    hint: "Click a window for its numbers.", full: "Full report", loading: "Loading the impact report…",
    pending: "The impact report of this variant is being computed: try again in a few minutes.",
    noVariant: "Show a project variant to see its impact.", retry: "Try again", close: "Close",
    window: "Window", building: "Building", floor: "Storey", ground: "ground floor", floorN: (n) => `floor ${n}`,
    facing: "Facing", use: "Use", dwelling: "dwelling", other: "other use", vscBefore: "Sky (VSC) before",
    vscAfter: "Sky (VSC) after", vscLoss: "Sky lost", vscTest: "Sky test (BR 209 2.2.7)",
    sunBefore: "Annual sun before", sunAfter: "Annual sun after", winterBefore: "Winter sun before",
    winterAfter: "Winter sun after", sunTest: "Sunlight test (BR 209 3.2.11)", pass: "passes", fail: "fails",
    notTested: "not tested (the window faces north)", hours: (pct, h) => `${pct} of probable hours (${h} h)`,
  },
};

const T = texts("impact", TEXTS);
const COMPASS = ["N", "NE", "E", "SE", "S", "SO", "O", "NO"];
const COMPASS_EN = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];

function relativeLoss(before, after) {
  return before > 0 ? 1 - after / before : 0;
}

export function windowClass(p) {
  if (p.vsc_fails) return "vsc";
  if (p.apsh_fails) return "sun";
  const loss = relativeLoss(p.vsc_before, p.vsc_after);
  if (loss >= NOTICEABLE_LOSS) return "noticeable";
  if (loss >= SMALL_LOSS) return "some";
  return "none";
}

// A no-break space before "%": the number and its sign never part at a line end.
function pct(value, digits = 1) {
  return `${value.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits })}\u00a0%`;
}

// A value cell: the sentence a person reads, and the stored number for tests and assistive details.
function value(text, raw) {
  const span = document.createElement("span");
  span.textContent = text;
  if (raw !== undefined && raw !== null) span.dataset.value = String(raw);
  return span;
}

function variantId(layer) {
  const match = /^project-(\d+)$/.exec(layer.name);
  return match ? Number(match[1]) : null;
}

export default class ImpactPlugin {
  static wants(session) {
    return session.layers.some((l) => l.project);
  }

  constructor() {
    this.active = false;
    this.state = "off"; // off | loading | pending | error | shown | none
    this.variant = null; // { id, title } of the variant whose report is drawn or asked for
    this.shownWindow = null; // the index of the window whose numbers the panel shows
    this.report = null; // the GeoJSON's `report` member
    this.windows = []; // its features, in the report's order
    this.counts = {};
    this.points = null;
    this.framed = false; // the camera has come to the windows after the layer was switched on
    this.request = 0; // id of the latest load: a late answer for another variant is dropped
  }

  async init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    this.projects = jumeau.tools.ProjectsPlugin || null;
    this.button = document.createElement("button");
    this.button.type = "button";
    live(this.button, (el) => {
      el.textContent = T.button;
      el.title = T.buttonTitle;
    });
    this.button.dataset.tool = "impact";
    this.button.setAttribute("aria-pressed", "false");
    this.button.addEventListener("click", () => this.setActive(!this.active));
    viewer.addToolbar(this.button, "tools");
    this.legend = document.createElement("aside");
    this.legend.className = "impact-legend";
    this.legend.dataset.testid = "impact-legend";
    this.legend.setAttribute("aria-live", "polite");
    this.legend.hidden = true;
    document.body.append(this.legend);
    this.projects && this.projects.shownChanged.addEventListener(() => {
      if (this.active) this.load(false);
    });
  }

  // The variant the scene shows, if this user may see its report: a draft's goes to planners and admins only
  // (the server refuses anyone else; the session lists a draft to no one else either).
  shownVariant() {
    const shown = this.projects && this.projects.shown();
    if (!shown) return null;
    const role = this.viewer.session.role || "";
    const staff = role.includes("planner") || role.includes("admin");
    if (shown.layer.status === "draft" && !staff) return null;
    const id = variantId(shown.layer);
    return id === null ? null : { id, title: shown.layer.title };
  }

  setActive(active) {
    this.active = active;
    this.button.setAttribute("aria-pressed", String(active));
    if (active) {
      this.load(true);
    } else {
      this.request += 1;
      this.clear();
      this.state = "off";
      this.legend.hidden = true;
    }
  }

  async load(frame) {
    const variant = this.shownVariant();
    const request = ++this.request;
    this.clear();
    this.framed = false;
    if (!variant) {
      this.variant = null;
      this.state = "none";
      this.renderLegend(null, () => T.noVariant);
      return;
    }
    this.variant = variant;
    this.state = "loading";
    this.renderLegend(variant, () => T.loading);
    let data;
    try {
      data = await fetchJson(`/reports/impact/${variant.id}/windows.geojson`);
    } catch (err) {
      if (request !== this.request) return;
      // For a variant the session lists, "no report" means the job that computes it has not finished.
      this.state = err.status === 404 ? "pending" : "error";
      if (this.state === "error") console.error(`impact (/reports/impact/${variant.id}/):`, err.detail || err);
      this.renderLegend(variant, () => (err.status === 404 ? T.pending : describeError(err)), true);
      return;
    }
    if (request !== this.request) return;
    this.report = data.report;
    this.windows = data.features;
    this.draw();
    this.state = "shown";
    this.renderLegend(variant);
    if (frame) this.frame();
  }

  draw() {
    const styles = Object.fromEntries(CLASSES.map((c) => [c.key, {
      color: Cesium.Color.fromCssColorString(c.color), pixelSize: c.size, outlineWidth: c.quiet ? 0 : 1,
    }]));
    const outline = Cesium.Color.fromCssColorString("#222222");
    // Near windows a little larger, far ones smaller: a facade reads as a pattern, not as a wall of dots.
    const scale = new Cesium.NearFarScalar(150, 1.3, 2500, 0.5);
    this.points = new Cesium.PointPrimitiveCollection();
    this.counts = Object.fromEntries(CLASSES.map((c) => [c.key, 0]));
    this.windows.forEach((feature, index) => {
      const [lon, lat, h] = feature.geometry.coordinates;
      const cls = windowClass(feature.properties);
      this.counts[cls] += 1;
      this.points.add({
        position: Cesium.Cartesian3.fromDegrees(lon, lat, h), ...styles[cls], outlineColor: outline,
        scaleByDistance: scale, id: { impactWindow: index },
      });
    });
    this.viewer.cesium.scene.primitives.add(this.points);
    this.viewer.requestRender();
  }

  // Bring the camera over the windows, looking down on them at an angle, keeping its heading.
  frame() {
    if (!this.windows.length) {
      this.framed = true;
      return;
    }
    const positions = [];
    for (let i = 0; i < this.points.length; i++) positions.push(this.points.get(i).position);
    const sphere = Cesium.BoundingSphere.fromPoints(positions);
    const camera = this.viewer.cesium.camera;
    const range = Math.max(250, sphere.radius * 2.2);
    camera.flyToBoundingSphere(sphere, {
      offset: new Cesium.HeadingPitchRange(camera.heading, Cesium.Math.toRadians(-40), range),
      duration: 1.5,
      complete: () => { this.framed = true; this.viewer.requestRender(); },
      cancel: () => { this.framed = true; },
    });
  }

  clear() {
    // A window's numbers must not stay on screen once its heat map is gone (another variant, or switched off).
    if (this.shownWindow !== null && document.getElementById("panel-title").textContent === this.panelTitle) {
      this.viewer.hidePanel();
    }
    this.shownWindow = null;
    if (this.points) {
      this.viewer.cesium.scene.primitives.remove(this.points); // destroys it
      this.points = null;
      this.viewer.requestRender();
    }
    this.report = null;
    this.windows = [];
    this.counts = {};
  }

  renderLegend(variant, message = null, retry = false) {
    // Drawn again, with the same arguments, after a language switch (a message given as a function is rebuilt).
    this.legendArgs = [variant, message, retry];
    if (!this.legendHeard) {
      this.legendHeard = true;
      document.addEventListener("jumeau:relabel", () => this.legendArgs && this.legend.isConnected
        && this.renderLegend(...this.legendArgs));
    }
    if (typeof message === "function") message = message();
    const legend = this.legend;
    legend.replaceChildren();
    const head = document.createElement("div");
    head.className = "impact-head";
    const title = document.createElement("h2");
    title.textContent = T.title;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "impact-close";
    close.textContent = "×";
    close.setAttribute("aria-label", T.close);
    close.addEventListener("click", () => this.setActive(false));
    head.append(title, close);
    legend.append(head);
    if (variant) {
      const name = document.createElement("p");
      name.className = "impact-variant";
      name.textContent = variant.title;
      legend.append(name);
    }
    if (message) {
      const text = document.createElement("p");
      text.className = "impact-message";
      text.dataset.testid = "impact-message";
      text.textContent = message;
      legend.append(text);
      if (retry) {
        const again = document.createElement("button");
        again.type = "button";
        again.textContent = T.retry;
        again.addEventListener("click", () => this.load(true));
        legend.append(again);
      }
    } else {
      const list = document.createElement("ul");
      for (const c of CLASSES) {
        const item = document.createElement("li");
        item.dataset.class = c.key;
        item.dataset.count = String(this.counts[c.key]);
        const swatch = document.createElement("span");
        swatch.className = "impact-swatch";
        swatch.style.background = c.color;
        const label = document.createElement("span");
        label.textContent = `${T.classes[c.key]}${T.colon}${this.counts[c.key].toLocaleString(locale())}`;
        item.append(swatch, label);
        list.append(item);
      }
      const total = document.createElement("p");
      total.dataset.testid = "impact-count";
      total.dataset.value = String(this.windows.length);
      total.textContent = T.windows(this.windows.length);
      const when = document.createElement("p");
      when.className = "impact-note";
      const date = new Date(this.report.computed_at).toLocaleDateString(locale(), { dateStyle: "long" });
      when.textContent = this.report.current === false ? `${T.computed(date)}. ${T.stale}` : T.computed(date);
      const hint = document.createElement("p");
      hint.className = "impact-note";
      hint.textContent = T.hint;
      const link = document.createElement("a");
      link.href = `/reports/impact/${variant.id}/`;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = T.full;
      legend.append(list, total, when, hint, link);
    }
    legend.hidden = false;
  }

  // The sun columns are shares of the year's probable sunlight hours: the report's own sun positions give the hours.
  sunText(share) {
    const sun = (this.report.summary && this.report.summary.apsh) || {};
    const yearHours = (sun.sun_positions || 0) * (sun.step_minutes || 0) / 60;
    const hours = Math.round((share / 100) * yearHours).toLocaleString(locale());
    return value(T.hours(pct(share, 0), hours), share);
  }

  handlePick(picked) {
    if (!this.points || !picked || picked.collection !== this.points || !picked.id) return false;
    const feature = this.windows[picked.id.impactWindow];
    if (!feature) return false;
    this.showWindow(feature);
    return true;
  }

  showWindow(feature) {
    const p = feature.properties;
    const floor = p.floor === 0 ? T.ground : T.floorN(p.floor);
    const compass = (language() === "fr" ? COMPASS : COMPASS_EN)[Math.round(((p.azimuth_deg % 360) + 360) % 360 / 45) % 8];
    const loss = relativeLoss(p.vsc_before, p.vsc_after);
    const south = p.apsh_before !== null && p.apsh_before !== undefined;
    const entries = [
      [T.building, value(String(p.building_source_id || p.building_id), p.building_id)],
      [T.floor, value(floor, p.floor)],
      [T.facing, value(`${compass} (${Math.round(p.azimuth_deg)}°)`, p.azimuth_deg)],
      [T.use, value(p.residential ? T.dwelling : T.other, p.residential)],
      [T.vscBefore, value(pct(p.vsc_before), p.vsc_before)],
      [T.vscAfter, value(pct(p.vsc_after), p.vsc_after)],
      [T.vscLoss, value(pct(Math.max(0, loss) * 100, 0), Math.round(loss * 10000) / 10000)],
      [T.vscTest, value(p.vsc_fails ? T.fail : T.pass, p.vsc_fails ? "fail" : "pass")],
    ];
    // BR 209 tests sunlight only on windows within 90 degrees of due south: the others have no sun numbers.
    if (south) {
      entries.push([T.sunBefore, this.sunText(p.apsh_before)], [T.sunAfter, this.sunText(p.apsh_after)],
        [T.winterBefore, this.sunText(p.winter_before)], [T.winterAfter, this.sunText(p.winter_after)],
        [T.sunTest, value(p.apsh_fails ? T.fail : T.pass, p.apsh_fails ? "fail" : "pass")]);
    } else {
      entries.push([T.sunTest, value(T.notTested, "n/a")]);
    }
    this.panelTitle = `${T.window}, ${floor}`;
    this.viewer.showPanel(this.panelTitle, entries, () => this.showWindow(feature));
    this.shownWindow = p.index;
  }

  dispose() {
    this.request += 1;
    this.clear();
    this.legend && this.legend.remove();
    this.button && this.button.remove();
  }
}
