// Walking circuits ("Balades") and routes between points of interest, drawn on the ground; fed by /ws/routes/.
import { fetchJson } from "../core/http.js";

const Cesium = window.Cesium;
const ROUTE_TIMEOUT_MS = 45000;

const CIRCUIT_COLOR = "#ff7f0e";
const ROUTE_COLOR = "#2ca02c";
const MAX_BACKOFF_MS = 30000;

function minutes(seconds) {
  return `${Math.round(seconds / 60)} min`;
}

function metres(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

// A small SVG elevation profile from [[distance m, height m], ...].
function profileSvg(profile) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 300 80");
  svg.setAttribute("class", "horizon");
  svg.dataset.testid = "route-profile";
  if (!profile || profile.length < 2) return svg;
  const d = profile.map((p) => p[0]);
  const z = profile.map((p) => p[1]);
  const zMin = Math.min(...z);
  const zSpan = Math.max(5, Math.max(...z) - zMin);
  const dMax = d[d.length - 1] || 1;
  const points = profile.map(([dist, h]) => `${((dist / dMax) * 296 + 2).toFixed(1)},${(76 - ((h - zMin) / zSpan) * 70).toFixed(1)}`);
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", ROUTE_COLOR);
  line.setAttribute("stroke-width", "2");
  svg.append(line);
  return svg;
}

export default class RoutesPlugin {
  static wants() {
    return true;
  }

  constructor() {
    this.circuits = {}; // slug -> GeoJSON Feature
    this.drawn = []; // slugs of circuits on the ground
    this.lastRoute = null;
    this.pois = [];
    this.connected = false;
    this._pending = new Map();
    this._nextId = 1;
    this._attempt = 0;
    this._disposed = false;
  }

  async init(viewer) {
    this.viewer = viewer;
    this.source = new Cesium.CustomDataSource("walks");
    await viewer.cesium.dataSources.add(this.source);
    this.menu = this._makeMenu();
    viewer.addToolbar(this.menu, "tools");
    // The menu must never trap a phone: a tap on the map or Escape closes it, like its × button.
    this._onMapPointer = () => this.closeMenu();
    viewer.cesium.canvas.addEventListener("pointerdown", this._onMapPointer);
    this._onKey = (event) => {
      if (event.key === "Escape" && this.isMenuOpen()) {
        this.closeMenu();
        this.menuButton.focus();
      }
    };
    document.addEventListener("keydown", this._onKey);
    this._onResize = () => this.isMenuOpen() && this._placeMenu();
    window.addEventListener("resize", this._onResize);
    this._onToolbar = (event) => event.detail.expanded || this.closeMenu();
    document.addEventListener("jumeau:toolbar", this._onToolbar);
    await Promise.all([this._loadCircuits(), this._loadPois()]);
    this._connect();
  }

  // --- toolbar: the circuit list and the A → B picker ----------------------------------

  _makeMenu() {
    const wrap = document.createElement("span");
    wrap.className = "walks";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Balades";
    button.dataset.testid = "walks-menu";
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "walks-list");
    this.menuButton = button;
    this.list = document.createElement("div");
    this.list.id = "walks-list";
    this.list.className = "walks-list";
    this.list.dataset.testid = "walks-list";
    this.list.setAttribute("role", "dialog");
    this.list.setAttribute("aria-label", "Balades et itinéraires");
    this.list.hidden = true;
    button.addEventListener("click", () => (this.isMenuOpen() ? this.closeMenu() : this.openMenu()));
    const head = document.createElement("div");
    head.className = "walks-head";
    const title = document.createElement("strong");
    title.textContent = "Balades";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "walks-close";
    close.dataset.testid = "walks-close";
    close.setAttribute("aria-label", "Fermer les balades");
    close.textContent = "×";
    close.addEventListener("click", () => {
      this.closeMenu();
      button.focus();
    });
    head.append(title, close);
    this.circuitItems = document.createElement("div");
    const picker = document.createElement("form");
    picker.dataset.testid = "route-picker";
    picker.style.cssText = "margin-top:6px;display:flex;gap:4px;flex-wrap:wrap;align-items:center";
    this.fromSelect = document.createElement("select");
    this.fromSelect.name = "from";
    this.toSelect = document.createElement("select");
    this.toSelect.name = "to";
    const go = document.createElement("button");
    go.type = "submit";
    go.textContent = "Itinéraire";
    picker.append("De ", this.fromSelect, " à ", this.toSelect, go);
    picker.addEventListener("submit", (event) => {
      event.preventDefault();
      this.requestRoute({ poi: this.fromSelect.value }, { poi: this.toSelect.value });
    });
    this.list.append(head, this.circuitItems, picker);
    wrap.append(button, this.list);
    return wrap;
  }

  isMenuOpen() {
    return !this.list.hidden;
  }

  openMenu() {
    this.list.hidden = false;
    this.menuButton.setAttribute("aria-expanded", "true");
    this._placeMenu();
  }

  closeMenu() {
    if (!this.list || this.list.hidden) return;
    this.list.hidden = true;
    this.menuButton.setAttribute("aria-expanded", "false");
  }

  // Just under the toolbar, whatever its height, and never over it: the toolbar stays reachable.
  _placeMenu() {
    const toolbar = document.getElementById("toolbar").getBoundingClientRect();
    const top = Math.round(toolbar.bottom + 6);
    this.list.style.top = `${top}px`;
    this.list.style.maxHeight = `${Math.max(120, window.innerHeight - top - 8)}px`;
    if (!window.matchMedia("(max-width: 600px)").matches) {
      const anchor = this.menuButton.getBoundingClientRect();
      this.list.style.left = `${Math.round(Math.min(anchor.left, window.innerWidth - this.list.offsetWidth - 8))}px`;
    }
  }

  _renderCircuitList() {
    this.circuitItems.replaceChildren();
    const slugs = Object.keys(this.circuits).sort();
    if (slugs.length === 0) this.circuitItems.textContent = "Aucune balade publiée";
    for (const slug of slugs) {
      const props = this.circuits[slug].properties;
      const label = document.createElement("label");
      label.style.display = "block";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.circuit = slug;
      box.checked = this.drawn.includes(slug);
      box.addEventListener("change", () => (box.checked ? this.showCircuit(slug) : this.hideCircuit(slug)));
      label.append(box, ` ${props.name} (${metres(props.length_m)}, ${minutes(props.duration_s)})`);
      this.circuitItems.append(label);
    }
  }

  async _loadCircuits() {
    try {
      const response = await fetch("/api/circuits/", { credentials: "same-origin" });
      if (response.ok) this._setCircuits((await response.json()).features);
    } catch (err) {
      console.warn("circuits:", err);
    }
  }

  async _loadPois() {
    try {
      const response = await fetch("/api/pois/?limit=500", { credentials: "same-origin" });
      if (!response.ok) return;
      const body = await response.json();
      const collection = body.results || body; // paginated or not
      this.pois = (collection.features || []).map((f) => ({ slug: f.properties.slug, name: f.properties.name }));
      this.pois.sort((a, b) => a.name.localeCompare(b.name, "fr"));
      for (const select of [this.fromSelect, this.toSelect]) {
        select.replaceChildren(...this.pois.map((p) => new Option(p.name, p.slug)));
      }
      if (this.pois.length > 1) this.toSelect.selectedIndex = 1;
    } catch (err) {
      console.warn("points of interest:", err);
    }
  }

  _setCircuits(features) {
    const before = new Set(this.drawn);
    for (const slug of Object.keys(this.circuits)) this.hideCircuit(slug);
    this.circuits = {};
    for (const feature of features) if (feature.geometry) this.circuits[feature.properties.slug] = feature;
    for (const slug of before) if (this.circuits[slug]) this.showCircuit(slug);
    this._renderCircuitList();
  }

  // --- drawing ---------------------------------------------------------------------

  _positions(feature) {
    return feature.geometry.coordinates.map(([lon, lat]) => Cesium.Cartesian3.fromDegrees(lon, lat));
  }

  showCircuit(slug) {
    const feature = this.circuits[slug];
    if (!feature) return;
    this.hideCircuit(slug);
    this.source.entities.add({
      id: `circuit:${slug}`,
      name: feature.properties.name,
      polyline: {
        positions: this._positions(feature), width: 5, clampToGround: true,
        material: Cesium.Color.fromCssColorString(CIRCUIT_COLOR),
      },
      properties: { kind: "circuit", slug },
    });
    for (const stop of feature.properties.stops) {
      this.source.entities.add({
        id: `circuit:${slug}:${stop.order}`,
        name: stop.name,
        position: Cesium.Cartesian3.fromDegrees(stop.lon, stop.lat),
        point: {
          pixelSize: 12, color: Cesium.Color.fromCssColorString(CIRCUIT_COLOR), outlineColor: Cesium.Color.WHITE, outlineWidth: 2,
          heightReference: Cesium.HeightReference.CLAMP_TO_GROUND, disableDepthTestDistance: Number.POSITIVE_INFINITY,
        },
        label: {
          text: `${stop.order + 1}`, font: "bold 11px sans-serif", pixelOffset: new Cesium.Cartesian2(0, -14),
          heightReference: Cesium.HeightReference.CLAMP_TO_GROUND, disableDepthTestDistance: Number.POSITIVE_INFINITY,
        },
        properties: { kind: "circuit-stop", slug, order: stop.order },
      });
    }
    if (!this.drawn.includes(slug)) this.drawn.push(slug);
    const box = this.circuitItems.querySelector(`input[data-circuit="${CSS.escape(slug)}"]`);
    if (box) box.checked = true;
    this.viewer.requestRender();
  }

  hideCircuit(slug) {
    for (const entity of [...this.source.entities.values]) {
      if (entity.id === `circuit:${slug}` || entity.id.startsWith(`circuit:${slug}:`)) this.source.entities.remove(entity);
    }
    this.drawn = this.drawn.filter((s) => s !== slug);
    this.viewer.requestRender();
  }

  showRoute(feature) {
    this.lastRoute = feature;
    this.source.entities.removeById("route");
    this.source.entities.add({
      id: "route",
      name: `${feature.properties.from} → ${feature.properties.to}`,
      polyline: {
        positions: this._positions(feature), width: 6, clampToGround: true,
        material: Cesium.Color.fromCssColorString(ROUTE_COLOR),
      },
      properties: { kind: "route" },
    });
    this._routePanel(feature);
    this.viewer.requestRender();
  }

  _routePanel(feature) {
    const p = feature.properties;
    this.viewer.showPanel(`${p.from} → ${p.to}`, [
      ["Distance", metres(p.length_m)],
      ["Durée à pied", minutes(p.duration_s)],
      ["Dénivelé", `+${Math.round(p.ascent_m)} m / −${Math.round(p.descent_m)} m`],
      ["Profil", profileSvg(p.profile)],
    ]);
  }

  // --- /ws/routes/ -------------------------------------------------------------------

  _connect() {
    if (this._disposed) return;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}/ws/routes/`);
    this.socket = socket;
    socket.onopen = () => {
      this.connected = true;
      this._attempt = 0;
    };
    socket.onmessage = (event) => this._onMessage(JSON.parse(event.data));
    socket.onclose = () => {
      this.connected = false;
      if (this._disposed) return;
      const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this._attempt);
      this._attempt += 1;
      setTimeout(() => this._connect(), base * (0.5 + Math.random()));
    };
    socket.onerror = () => {};
  }

  _onMessage(message) {
    if (message.type === "circuits") {
      this._setCircuits(message.features);
    } else if (message.type === "circuit") {
      const slug = message.feature.properties.slug;
      const wasDrawn = this.drawn.includes(slug);
      this.circuits[slug] = message.feature;
      if (wasDrawn) this.showCircuit(slug);
      this._renderCircuitList();
    } else if (message.type === "circuit_removed") {
      this.hideCircuit(message.slug);
      delete this.circuits[message.slug];
      this._renderCircuitList();
    } else if (message.type === "route" || message.type === "error") {
      const pending = this._pending.get(message.id);
      if (!pending) return;
      this._pending.delete(message.id);
      if (message.type === "route") pending.resolve(message.feature);
      else {
        // The socket's reasons are the server's English: keep them for the console, say it in French.
        console.warn("route (/ws/routes/):", message.message);
        pending.reject(new Error("aucun chemin à pied n'a été trouvé entre ces deux lieux ; choisissez-en d'autres."));
      }
    }
  }

  async requestRoute(from, to) {
    let feature;
    try {
      if (this.connected) {
        const id = this._nextId++;
        feature = await new Promise((resolve, reject) => {
          this._pending.set(id, { resolve, reject });
          this.socket.send(JSON.stringify({ type: "route", id, from, to }));
          // A walk asked for while a server that just started still builds its street graph waits for it
          // (realtime.pedestrian.warm_up_in_background: seconds on a busy machine).
          const late = new Error("le serveur n'a pas répondu à temps ; réessayez.");
          setTimeout(() => this._pending.has(id) && (this._pending.delete(id), reject(late)), ROUTE_TIMEOUT_MS);
        });
      } else {
        const params = new URLSearchParams({ from: from.poi, to: to.poi });
        feature = await fetchJson(`/api/routes/?${params}`);
      }
    } catch (err) {
      this.viewer.setStatus(`Itinéraire : ${err.message}`);
      return null;
    }
    this.showRoute(feature);
    return feature;
  }

  handlePick(picked) {
    const entity = picked && picked.id;
    if (!(entity instanceof Cesium.Entity) || !entity.properties || !this.source.entities.contains(entity)) return false;
    const kind = entity.properties.kind.getValue();
    if (kind === "circuit-stop") {
      const circuit = this.circuits[entity.properties.slug.getValue()];
      const stop = circuit.properties.stops.find((s) => s.order === entity.properties.order.getValue());
      this.viewer.showPanel(stop.name, [["Balade", circuit.properties.name], ["Étape", stop.order + 1], ["", stop.text]]);
      return true;
    }
    if (kind === "circuit") {
      const p = this.circuits[entity.properties.slug.getValue()].properties;
      this.viewer.showPanel(p.name, [["Distance", metres(p.length_m)], ["Durée", minutes(p.duration_s)],
        ["", p.description], ["Profil", profileSvg(p.profile)]]);
      return true;
    }
    if (kind === "route" && this.lastRoute) {
      this._routePanel(this.lastRoute);
      return true;
    }
    return false;
  }

  dispose() {
    this._disposed = true;
    if (this.socket) this.socket.close();
    document.removeEventListener("keydown", this._onKey);
    document.removeEventListener("jumeau:toolbar", this._onToolbar);
    window.removeEventListener("resize", this._onResize);
    if (this.viewer) this.viewer.cesium.canvas.removeEventListener("pointerdown", this._onMapPointer);
    if (this.viewer) this.viewer.cesium.dataSources.remove(this.source, true);
    this.menu && this.menu.remove();
  }
}
