// "Mon balcon", guided for a first visit: step 1, tap your building; step 2, pick your floor (from the building's
// storeys or height) and the side you look out of (the directions its facades face); then what that balcony sees,
// draped on the city, and in words what the project the scene shows would take from it ("you would lose 5 % of
// your sea view"). A tap on a facade measures at once from that point; the floor and side then refine it. The
// balcony's position only travels in the POST body, never in a URL.
import { fetchJson } from "../core/http.js";
import { sectorOf, sidesOf, storeysOf } from "../core/facades.js";
import { live, locale, texts } from "../core/i18n.js";

const Cesium = window.Cesium;

const RADIUS_M = 1500;
const EYE_HEIGHT_M = 1.6;

const T = texts("balcony", {
  fr: {
    button: "Mon balcon",
    buttonTitle: "Ce que l'on voit de votre balcon, avant et après les projets : touchez votre immeuble",
    title: "Mon balcon",
    titleFloor: (floor) => `Mon balcon, ${floor}`,
    step1: "Étape 1 sur 2", step1Text: "Touchez votre immeuble sur la carte.",
    step2: "Étape 2 sur 2", floor: "Votre étage", side: "Votre côté", chooseFloor: "Choisissez…",
    step2Text: "Choisissez votre étage et le côté de votre balcon.",
    sideHint: "Le côté vers lequel regarde votre balcon.",
    ground: "rez-de-chaussée", floorN: (n) => `${n}${n === 1 ? "er" : "e"} étage`,
    sides: ["nord", "nord-est", "est", "sud-est", "sud", "sud-ouest", "ouest", "nord-ouest"],
    facing: (side) => `Face au ${side}`,
    tapAFacade: "Mon balcon : touchez la façade d'un bâtiment",
    computing: "Calcul de la vue de ce balcon…",
    failed: (reason) => `Mon balcon : ${reason}`,
    summary: "En résumé",
    seaNone: "D'ici, on ne voit pas la mer.",
    seaToday: (pct) => `D'ici, la mer occupe ${pct} de votre horizon.`,
    loseSea: (pct, project) => `Avec ${project}, vous perdriez ${pct} de votre vue sur la mer.`,
    keepSea: (project) => `${project} ne change pas votre vue sur la mer.`,
    loseArea: (pct) => `Vous verriez ${pct} de surface en moins.`,
    keepArea: "Vous verriez autant de la ville qu'aujourd'hui.",
    loseSky: (pct) => `Le ciel visible passerait de ${pct}.`,
    lostLandmarks: (names) => `Vous ne verriez plus : ${names}.`,
    landmarks: (names) => `Monuments en vue : ${names}.`,
    noProject: "Aucun projet affiché : cochez une variante pour voir ce qu'elle changerait.",
    theProject: (name) => `le projet « ${name} »`,
    view: "Vue", today: "aujourd'hui", afterProject: "après le projet",
    visible: "Surface visible", sea: "Mer (azimuts)", sky: "Ciel visible", seen: "Monuments visibles", none: "aucun",
    horizon: "Horizon", horizonLabel: "Profil de l'horizon tout autour du balcon, du nord (à gauche) au nord",
    project: "Projet", variant: (id) => `variante ${id}`, lost: "Surface perdue", gained: "Surface gagnée",
    beforeAfter: "Avant / après", switchAfter: "Après le projet ⇄ avant", switchBefore: "Avant le projet ⇄ après",
    showLost: "La vue perdue est en rouge sur la carte.",
  },
  en: {
    button: "My balcony",
    buttonTitle: "What your balcony sees, before and after the projects: tap your building",
    title: "My balcony",
    titleFloor: (floor) => `My balcony, ${floor}`,
    step1: "Step 1 of 2", step1Text: "Tap your building on the map.",
    step2: "Step 2 of 2", floor: "Your floor", side: "Your side", chooseFloor: "Choose…",
    step2Text: "Choose your floor and the side of your balcony.",
    sideHint: "The side your balcony looks out of.",
    ground: "ground floor", floorN: (n) => `floor ${n}`,
    sides: ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"],
    facing: (side) => `Facing ${side}`,
    tapAFacade: "My balcony: tap the facade of a building",
    computing: "Computing the view from this balcony…",
    failed: (reason) => `My balcony: ${reason}`,
    summary: "In short",
    seaNone: "The sea cannot be seen from here.",
    seaToday: (pct) => `From here, the sea fills ${pct} of your horizon.`,
    loseSea: (pct, project) => `With ${project}, you would lose ${pct} of your sea view.`,
    keepSea: (project) => `${project} does not change your sea view.`,
    loseArea: (pct) => `You would see ${pct} less of the city.`,
    keepArea: "You would see as much of the city as today.",
    loseSky: (pct) => `The visible sky would go from ${pct}.`,
    lostLandmarks: (names) => `You would no longer see: ${names}.`,
    landmarks: (names) => `Landmarks in view: ${names}.`,
    noProject: "No project shown: tick a variant to see what it would change.",
    theProject: (name) => `the project "${name}"`,
    view: "View", today: "today", afterProject: "after the project",
    visible: "Visible area", sea: "Sea (of the horizon)", sky: "Visible sky", seen: "Landmarks in view", none: "none",
    horizon: "Horizon", horizonLabel: "Horizon profile all around the balcony, from north (left) to north",
    project: "Project", variant: (id) => `variant ${id}`, lost: "Area lost", gained: "Area gained",
    beforeAfter: "Before / after", switchAfter: "After the project ⇄ before", switchBefore: "Before the project ⇄ after",
    showLost: "The lost view is drawn in red on the map.",
  },
});

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function squareMetres(m2) {
  return m2 >= 10000 ? `${(m2 / 10000).toLocaleString(locale(), { maximumFractionDigits: 2 })} ha`
    : `${Math.round(m2).toLocaleString(locale())} m²`;
}

function percent(share) {
  return `${Math.round(share * 100)}\u00a0%`;
}

// A value cell: readable text, and the raw number for tests and screen readers' details.
function value(text, raw) {
  const span = document.createElement("span");
  span.textContent = text;
  if (raw !== undefined && raw !== null) span.dataset.value = String(raw);
  return span;
}

export function floorName(floor) {
  return floor === 0 ? T.ground : T.floorN(floor);
}

// What the project takes from this balcony, in sentences (numbers rounded as a person says them).
export function inWords(result, projectName) {
  const before = result.before;
  const lines = [];
  const seen = before.landmarks.filter((l) => l.visible).map((l) => l.name);
  if (!result.after || !result.change) {
    lines.push(before.sea_share_of_azimuths > 0 ? T.seaToday(percent(before.sea_share_of_azimuths)) : T.seaNone);
    if (seen.length) lines.push(T.landmarks(seen.join(", ")));
    lines.push(T.noProject);
    return lines;
  }
  const after = result.after;
  const project = T.theProject(projectName);
  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  if (before.sea_share_of_azimuths <= 0) lines.push(T.seaNone);
  else {
    const lost = Math.max(0, before.sea_share_of_azimuths - after.sea_share_of_azimuths) / before.sea_share_of_azimuths;
    lines.push(lost > 0.005 ? T.loseSea(percent(lost), project) : capital(T.keepSea(project)));
  }
  const areaLost = before.visible_area_m2 > 0 ? result.change.lost_m2 / before.visible_area_m2 : 0;
  lines.push(areaLost > 0.005 ? T.loseArea(percent(areaLost)) : T.keepArea);
  if (after.sky_view_factor < before.sky_view_factor - 0.005) {
    lines.push(T.loseSky(`${percent(before.sky_view_factor)} → ${percent(after.sky_view_factor)}`));
  }
  const stillSeen = new Set(after.landmarks.filter((l) => l.visible).map((l) => l.name));
  const gone = seen.filter((name) => !stillSeen.has(name));
  if (gone.length) lines.push(T.lostLandmarks(gone.join(", ")));
  return lines;
}

export default class BalconyPlugin {
  static wants() {
    return true;
  }

  constructor() {
    this.active = false;
    this.busy = false;
    this.lastResult = null;
    this.lastError = null;
    this.showing = "before";
    this.variants = [];
    this.imagery = null;
    this.lastObserver = null;
    this.building = null; // the tapped building: {sourceId, id, storeys, sides, floor, side}
    this.computing = 0; // id of the latest request: an older answer arriving late is dropped
  }

  async init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    this.button = document.createElement("button");
    this.button.type = "button";
    live(this.button, (el) => {
      el.textContent = T.button;
      el.title = T.buttonTitle;
    });
    this.button.dataset.tool = "balcony";
    this.button.setAttribute("aria-pressed", "false");
    this.button.addEventListener("click", () => this.setActive(!this.active));
    viewer.addToolbar(this.button, "tools");
    // In balcony mode a click on a building is a balcony, not a request for its attributes:
    // be asked first (handlePick declines when the mode is off).
    const plugins = viewer.plugins;
    const index = plugins.indexOf(this);
    if (index > 0) {
      plugins.splice(index, 1);
      plugins.unshift(this);
    }
    this.variants = await this.loadVariants();
    this.projects = jumeau.tools.ProjectsPlugin || null;
    // Numbers for one variant while the scene shows another would be a wrong answer: measure again.
    this.projects && this.projects.shownChanged.addEventListener(() => {
      if (this.active && this.lastObserver && this.lastResult) this.compute(this.lastObserver);
    });
    this.viewer.panelClosed.addEventListener(() => this.resultClosed());
  }

  async loadVariants() {
    try {
      const data = await fetchJson("/api/projects/");
      const projects = Array.isArray(data) ? data : data.results || [];
      return projects.flatMap((p) => (p.variants || []).map((v) => ({
        id: v.id, name: `${p.name} — ${v.name}`, tileLayer: v.tile_layer, project: p.slug, slug: v.slug,
      })));
    } catch (err) {
      console.warn("balcony: no project list (/api/projects/)", err.detail || err);
      return [];
    }
  }

  // The variant the scene shows, as /api/projects/ knows it (its id goes to /api/viewshed/), or null.
  // Matched on the tile layer the session gave, never on a name built here.
  shownVariant() {
    const shown = this.projects && this.projects.shown();
    if (!shown) return null;
    const layer = shown.layer;
    return this.variants.find((v) => v.tileLayer && v.tileLayer === layer.name)
      || this.variants.find((v) => v.project === layer.project && v.slug === layer.variant)
      || null;
  }

  setActive(active) {
    this.active = active;
    this.button.setAttribute("aria-pressed", String(active));
    this.viewer.setStatus("");
    this.building = null;
    this.lastResult = null;
    this.lastError = null;
    if (active) {
      this.render();
    } else {
      this.computing++; // an answer still on its way is for a tool now closed
      this.busy = false;
      this.lastObserver = null;
      this.clearOverlay();
      this.showProject(true);
    }
  }

  // The project in 3D follows the numbers: hidden for "before", shown for "after" and once the balcony is done.
  showProject(visible) {
    if (this.projects) this.projects.hideShown(!visible);
  }

  resultClosed() {
    this.lastObserver = null;
    if (!this.lastResult) return;
    this.clearOverlay();
    this.showProject(true);
  }

  handlePick(picked, position) {
    if (!this.active) return false;
    const scene = this.viewer.cesium.scene;
    const cartesian = scene.pickPositionSupported ? scene.pickPosition(position) : undefined;
    if (!cartesian) {
      this.viewer.setStatus(T.tapAFacade);
      return true;
    }
    const carto = Cesium.Cartographic.fromCartesian(cartesian);
    const observer = {
      lon: Cesium.Math.toDegrees(carto.longitude),
      lat: Cesium.Math.toDegrees(carto.latitude),
      height: carto.height,
    };
    if (picked instanceof Cesium.Cesium3DTileFeature) {
      const sourceId = picked.getProperty("source_id");
      const id = picked.getProperty("id");
      if (Number.isInteger(id)) observer.building = id;
      else if (sourceId) observer.building_source_id = String(sourceId);
      this.building = {
        id: Number.isInteger(id) ? id : null,
        sourceId: sourceId ? String(sourceId) : null,
        storeys: storeysOf(Number(picked.getProperty("storeys")), Number(picked.getProperty("height"))),
        sides: [],
        floor: null,
        side: null,
      };
      this.loadSides(this.building);
    } else {
      this.building = null;
    }
    // Another balcony: the last one's numbers and drape go.
    this.lastResult = null;
    this.clearOverlay();
    this.compute(observer);
    return true;
  }

  // The directions the tapped building's facades face, from its footprint (/api/buildings/ is public).
  async loadSides(building) {
    if (!building.sourceId && !building.id) return;
    try {
      const url = building.id ? `/api/buildings/${building.id}/`
        : `/api/buildings/?${new URLSearchParams({ source_id: building.sourceId })}`;
      const data = await fetchJson(url);
      const feature = data.type === "Feature" ? data
        : (data.features || (data.results && data.results.features) || [])[0];
      const polygons = feature && feature.geometry && feature.geometry.coordinates;
      if (!polygons || !polygons.length) return;
      const rings = feature.geometry.type === "Polygon" ? [polygons[0]] : polygons.map((p) => p[0]);
      // The largest part's outer ring: a balcony is on the main body, not on an annex.
      const ring = rings.sort((a, b) => b.length - a.length)[0];
      building.sides = sidesOf(ring);
      if (this.building === building) this.render();
    } catch (err) {
      // The floor can still be chosen; the side stays the facade tapped.
      console.warn("balcony: no footprint for the sides", err.detail || err);
    }
  }

  // Step 2: the same building, at the floor and side chosen.
  chooseFloor(floor) {
    if (!this.building) return;
    this.building.floor = floor;
    this.computeChosen();
  }

  chooseSide(side) {
    if (!this.building) return;
    this.building.side = side;
    this.computeChosen();
  }

  computeChosen() {
    const b = this.building;
    const observer = { floor: b.floor ?? (this.lastResult && this.lastResult.observer.floor) ?? 0 };
    if (b.id) observer.building = b.id;
    else observer.building_source_id = b.sourceId;
    const azimuth = b.side ?? (this.lastResult && this.lastResult.observer.facing_deg);
    if (azimuth !== null && azimuth !== undefined) observer.facade_azimuth = Math.round(azimuth * 10) / 10;
    this.compute(observer);
  }

  async compute(observer) {
    const body = { observer, eye_height: EYE_HEIGHT_M, radius: RADIUS_M };
    const variant = this.shownVariant();
    if (variant) body.variant = variant.id;
    const request = ++this.computing;
    this.lastObserver = observer;
    this.busy = true;
    this.lastError = null;
    this.viewer.setStatus(T.computing);
    this.render();
    try {
      const data = await fetchJson("/api/viewshed/", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      if (request !== this.computing) return;
      this.lastResult = data;
      this.showing = "before";
      if (this.building) {
        this.building.floor = data.observer.floor ?? this.building.floor;
        if (data.observer.floor !== null && data.observer.floor !== undefined) {
          this.building.storeys = Math.max(this.building.storeys, data.observer.floor + 1);
        }
      }
      this.flyToBalcony(data.observer);
      this.busy = false;
      await this.showOverlay();
      this.render();
      this.viewer.setStatus("");
    } catch (err) {
      if (request !== this.computing) return;
      if (err.status === 400 && this.building && "lon" in observer) {
        // The tap was on the building but not on a facade (a roof seen from above): that is step 1 done; the
        // floor and side, chosen next, say where the balcony is.
        console.info("balcony: not on a facade, the floor and side will say where:", err.detail);
        this.busy = false;
        this.lastObserver = null;
        this.viewer.setStatus("");
        this.render();
        return;
      }
      console.error("balcony (/api/viewshed/):", err.detail || err);
      this.lastError = err.message;
      this.busy = false;
      this.viewer.setStatus(T.failed(err.message));
      this.render();
    }
  }

  flyToBalcony(eye) {
    const camera = this.viewer.cesium.camera;
    const heading = eye.facing_deg === null || eye.facing_deg === undefined
      ? camera.heading : Cesium.Math.toRadians(eye.facing_deg);
    camera.flyTo({
      destination: Cesium.Cartesian3.fromDegrees(eye.lon, eye.lat, eye.height),
      orientation: { heading, pitch: Cesium.Math.toRadians(-6), roll: 0 },
      duration: 1.5,
    });
  }

  async showOverlay() {
    this.clearOverlay();
    if (this.lastResult && this.lastResult.after) this.showProject(this.showing === "after");
    const overlay = this.lastResult && this.lastResult.overlay;
    if (!overlay) return;
    const png = this.showing === "after" && overlay.after_png ? overlay.after_png : overlay.before_png;
    const [w, s, e, n] = overlay.rectangle;
    const provider = new Cesium.SingleTileImageryProvider({
      url: `data:image/png;base64,${png}`,
      rectangle: Cesium.Rectangle.fromDegrees(w, s, e, n),
      tileWidth: overlay.width,
      tileHeight: overlay.height,
    });
    this.imagery = this.viewer.cesium.imageryLayers.addImageryProvider(provider);
    this.viewer.requestRender();
  }

  clearOverlay() {
    if (this.imagery) {
      this.viewer.cesium.imageryLayers.remove(this.imagery, true);
      this.imagery = null;
      this.viewer.requestRender();
    }
  }

  async toggle() {
    if (!this.lastResult || !this.lastResult.after) return;
    this.showing = this.showing === "before" ? "after" : "before";
    await this.showOverlay();
    this.render();
  }

  horizonCanvas(horizon, facing) {
    const canvas = document.createElement("canvas");
    canvas.className = "horizon";
    canvas.width = 360;
    canvas.height = 90;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", T.horizonLabel);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#cfe3f7";
    ctx.fillRect(0, 0, 360, 90);
    const y = (deg) => 80 - Math.max(-5, Math.min(deg, 60)) * (70 / 60);
    ctx.fillStyle = "#6b7a8c";
    ctx.beginPath();
    ctx.moveTo(0, 90);
    horizon.forEach((deg, az) => ctx.lineTo(az, deg === null ? 0 : y(deg)));
    ctx.lineTo(359, 90);
    ctx.closePath();
    ctx.fill();
    ctx.strokeStyle = "#14324f";
    ctx.beginPath();
    ctx.moveTo(0, y(0));
    ctx.lineTo(360, y(0));
    ctx.stroke();
    if (facing !== null && facing !== undefined) {
      ctx.strokeStyle = "#d62728";
      ctx.beginPath();
      ctx.moveTo(facing, 0);
      ctx.lineTo(facing, 90);
      ctx.stroke();
    }
    return canvas;
  }

  switchButton() {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "balcony-switch";
    const after = this.showing === "after";
    button.textContent = after ? T.switchAfter : T.switchBefore;
    button.setAttribute("aria-pressed", String(after));
    button.addEventListener("click", () => this.toggle());
    return button;
  }

  // Step 2's controls: the floor (a list, ground floor first) and the side (one button per direction).
  floorControl() {
    const b = this.building;
    const select = document.createElement("select");
    select.dataset.testid = "balcony-floor";
    select.setAttribute("aria-label", T.floor);
    const current = b.floor ?? (this.lastResult && this.lastResult.observer.floor);
    // Nothing chosen yet (a tap on the roof): a first line that asks, so any floor is a choice.
    if (current === null || current === undefined) select.append(new Option(T.chooseFloor, "", true, true));
    for (let floor = 0; floor < b.storeys; floor++) select.append(new Option(floorName(floor), String(floor)));
    if (current !== null && current !== undefined) select.value = String(current);
    select.disabled = this.busy;
    select.addEventListener("change", () => select.value !== "" && this.chooseFloor(Number(select.value)));
    return select;
  }

  sideControl() {
    const b = this.building;
    const group = document.createElement("div");
    group.className = "balcony-sides";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", T.side);
    group.dataset.testid = "balcony-sides";
    const facing = b.side ?? (this.lastResult && this.lastResult.observer.facing_deg);
    const chosen = facing === null || facing === undefined ? null : sectorOf(facing);
    for (const side of b.sides) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = T.facing(T.sides[side.sector]);
      button.dataset.side = String(side.sector);
      button.dataset.azimuth = String(Math.round(side.azimuth));
      button.setAttribute("aria-pressed", String(side.sector === chosen));
      button.disabled = this.busy;
      button.addEventListener("click", () => this.chooseSide(side.azimuth));
      group.append(button);
    }
    const hint = document.createElement("p");
    hint.className = "tool-note";
    hint.textContent = T.sideHint;
    group.append(hint);
    return group;
  }

  // The whole panel from the tool's state: the step the visitor is at, then (once measured) the view in words
  // and in numbers. Rebuilt after a language switch too.
  render() {
    if (!this.active) return;
    const result = this.lastResult;
    const entries = [];
    if (!this.building && !result) {
      const text = this.busy ? T.computing : this.lastError ? T.failed(this.lastError) : T.step1Text;
      entries.push([T.step1, value(text)]);
      this.viewer.showPanel(T.title, entries, () => this.render());
      document.getElementById("panel").dataset.balconyStep = "1";
      return;
    }
    if (this.building) {
      entries.push([T.step2, value(this.busy ? T.computing : result ? "" : T.step2Text)]);
      entries.push([T.floor, this.floorControl()]);
      if (this.building.sides.length) entries.push([T.side, this.sideControl()]);
    }
    if (this.lastError) entries.push(["", value(T.failed(this.lastError))]);
    if (result) this.resultEntries(result, entries);
    const floor = result && result.observer.floor !== null && result.observer.floor !== undefined
      ? T.titleFloor(floorName(result.observer.floor)) : T.title;
    this.viewer.showPanel(floor, entries, () => this.render());
    document.getElementById("panel").dataset.balconyStep = result ? "result" : "2";
  }

  resultEntries(result, entries) {
    const variant = result.after ? this.variants.find((v) => v.id === result.variant) : null;
    const words = document.createElement("div");
    words.className = "balcony-words";
    words.dataset.testid = "balcony-words";
    for (const line of inWords(result, variant ? variant.name : T.variant(result.variant))) {
      const p = document.createElement("p");
      p.textContent = line;
      words.append(p);
    }
    if (result.after && this.showing === "after") {
      const p = document.createElement("p");
      p.textContent = T.showLost;
      words.append(p);
    }
    entries.push([T.summary, words]);
    const numbers = this.showing === "after" && result.after ? result.after : result.before;
    const seen = numbers.landmarks.filter((l) => l.visible).map((l) => l.name);
    entries.push(
      [T.view, value(this.showing === "after" ? T.afterProject : T.today, this.showing)],
      [T.visible, value(squareMetres(numbers.visible_area_m2), numbers.visible_area_m2)],
      [T.sea, value(percent(numbers.sea_share_of_azimuths), numbers.sea_share_of_azimuths)],
      [T.sky, value(percent(numbers.sky_view_factor), numbers.sky_view_factor)],
      [T.seen, value(seen.length ? seen.join(", ") : T.none, seen.length)],
      [T.horizon, this.horizonCanvas(numbers.horizon_deg, result.observer.facing_deg)],
    );
    if (result.after && result.change) {
      entries.push([T.project, value(variant ? variant.name : T.variant(result.variant), result.variant)]);
      entries.push([T.lost, value(squareMetres(result.change.lost_m2), result.change.lost_m2)]);
      entries.push([T.gained, value(squareMetres(result.change.gained_m2), result.change.gained_m2)]);
      entries.push([T.beforeAfter, this.switchButton()]);
    }
  }

  dispose() {
    this.clearOverlay();
    this.showProject(true);
    this.button && this.button.remove();
  }
}
