// "Mon balcon": click a facade, fly to that balcony looking out, drape what it sees, show the numbers,
// and switch before/after the project variant the scene shows. The balcony's position only travels in the POST
// body, never in a URL.
import { fetchJson } from "../core/http.js";

const Cesium = window.Cesium;

const RADIUS_M = 1500;
const EYE_HEIGHT_M = 1.6;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function squareMetres(m2) {
  return m2 >= 10000 ? `${(m2 / 10000).toFixed(2)} ha` : `${Math.round(m2).toLocaleString("fr-FR")} m²`;
}

function percent(share) {
  return `${Math.round(share * 100)} %`;
}

// A value cell: readable text, and the raw number for tests and screen readers' details.
function value(text, raw) {
  const span = document.createElement("span");
  span.textContent = text;
  if (raw !== undefined && raw !== null) span.dataset.value = String(raw);
  return span;
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
    this.computing = 0; // id of the latest request: an older answer arriving late is dropped
  }

  async init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.textContent = "Mon balcon";
    this.button.title = "Cliquez ensuite sur une façade : ce que l'on voit de ce balcon, avant et après les projets";
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
    this.viewer.setStatus(active ? "Mon balcon : cliquez sur une façade" : "");
    if (!active) {
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
      this.viewer.setStatus("Mon balcon : cliquez sur la façade d'un bâtiment");
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
    }
    this.compute(observer);
    return true;
  }

  async compute(observer) {
    const body = { observer, eye_height: EYE_HEIGHT_M, radius: RADIUS_M };
    const variant = this.shownVariant();
    if (variant) body.variant = variant.id;
    const request = ++this.computing;
    this.lastObserver = observer;
    this.busy = true;
    this.lastError = null;
    this.viewer.setStatus("Mon balcon : calcul de la vue…");
    try {
      const data = await fetchJson("/api/viewshed/", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      if (request !== this.computing) return;
      this.lastResult = data;
      this.showing = "before";
      this.flyToBalcony(data.observer);
      await this.showOverlay();
      this.render();
      this.viewer.setStatus("");
    } catch (err) {
      if (request !== this.computing) return;
      console.error("balcony (/api/viewshed/):", err.detail || err);
      this.lastError = err.message;
      this.viewer.setStatus(`Mon balcon : ${err.message}`);
    } finally {
      if (request === this.computing) this.busy = false;
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
    canvas.setAttribute("aria-label", "Profil de l'horizon, azimut 0 à 359°");
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
    button.textContent = after ? "Après le projet ⇄ avant" : "Avant le projet ⇄ après";
    button.setAttribute("aria-pressed", String(after));
    button.addEventListener("click", () => this.toggle());
    return button;
  }

  render() {
    const result = this.lastResult;
    const numbers = this.showing === "after" && result.after ? result.after : result.before;
    const seen = numbers.landmarks.filter((l) => l.visible).map((l) => l.name);
    const entries = [
      ["Vue", value(this.showing === "after" ? "après le projet" : "aujourd'hui", this.showing)],
      ["Surface visible", value(squareMetres(numbers.visible_area_m2), numbers.visible_area_m2)],
      ["Mer (azimuts)", value(percent(numbers.sea_share_of_azimuths), numbers.sea_share_of_azimuths)],
      ["Mer (angle solide)", value(`${numbers.sea_solid_angle_sr.toFixed(3)} sr`, numbers.sea_solid_angle_sr)],
      ["Ciel visible", value(numbers.sky_view_factor.toFixed(2), numbers.sky_view_factor)],
      ["Monuments visibles", value(seen.length ? seen.join(", ") : "aucun", seen.length)],
      ["Horizon", this.horizonCanvas(numbers.horizon_deg, result.observer.facing_deg)],
    ];
    if (result.after && result.change) {
      const variant = this.variants.find((v) => v.id === result.variant);
      entries.push(["Projet", value(variant ? variant.name : `variante ${result.variant}`, result.variant)]);
      entries.push(["Surface perdue", value(squareMetres(result.change.lost_m2), result.change.lost_m2)]);
      entries.push(["Surface gagnée", value(squareMetres(result.change.gained_m2), result.change.gained_m2)]);
      entries.push(["Avant / après", this.switchButton()]);
    }
    const floor = result.observer.floor === null || result.observer.floor === undefined ? "" : `, étage ${result.observer.floor}`;
    this.viewer.showPanel(`Mon balcon${floor}`, entries);
  }

  dispose() {
    this.clearOverlay();
    this.showProject(true);
    this.button && this.button.remove();
  }
}
