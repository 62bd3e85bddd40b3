// Walking circuits ("Balades") and routes between points of interest, drawn on the ground; fed by /ws/routes/.
import { fetchJson } from "../core/http.js";
import { language, live, locale, texts } from "../core/i18n.js";
import { LiveSocket } from "../core/LiveSocket.js";

const Cesium = window.Cesium;
const ROUTE_TIMEOUT_MS = 45000;

const CIRCUIT_COLOR = "#ff7f0e";
const ROUTE_COLOR = "#2ca02c";
// Shaded stretches in a cool blue, sunny ones in a warm yellow: told apart without a legend, and by
// their width too for colour-blind walkers.
const SHADE_COLOR = "#1f5fbf";
const SUN_COLOR = "#ffc21a";

// The walks in the language the app shows (core/i18n.js: French or English). Italian and German are written for
// Antibes' visitors and wait for the app to offer those languages.
const TEXTS = {
  fr: { walks: "Balades", route: "Itinéraire", from: "De", to: "à", none: "Aucune balade publiée", distance: "Distance",
        duration: "Durée à pied", climb: "Dénivelé", profile: "Profil", circuit: "Balade", stop: "Étape",
        durationShort: "Durée", shade: "Ombre", shadeNone: "peu importe", shadeSome: "un peu", shadeMost: "le plus possible",
        inShade: "à l'ombre", detour: "détour", shadeUnknown: "ombre pas encore calculée", shadeHours: "Ombre si départ à",
        noReply: "pas de réponse", legend: "bleu : ombre, jaune : soleil", depart: "départ", departLabel: "heure de départ (vide : maintenant)",
        menuLabel: "Balades et itinéraires", closeMenu: "Fermer les balades",
        noPath: "aucun chemin à pied n'a été trouvé entre ces deux lieux ; choisissez-en d'autres." },
  en: { walks: "Walks", route: "Route", from: "From", to: "to", none: "No published walk", distance: "Distance",
        duration: "Walking time", climb: "Climb", profile: "Profile", circuit: "Walk", stop: "Stop",
        durationShort: "Time", shade: "Shade", shadeNone: "don't mind", shadeSome: "some", shadeMost: "as much as possible",
        inShade: "in the shade", detour: "detour", shadeUnknown: "shade not computed yet", shadeHours: "Shade if leaving at",
        noReply: "no reply", legend: "blue: shade, yellow: sun", depart: "leaving", departLabel: "leaving time (empty: now)",
        menuLabel: "Walks and routes", closeMenu: "Close the walks",
        noPath: "no walking path was found between these two places; choose others." },
  it: { walks: "Passeggiate", route: "Percorso", from: "Da", to: "a", none: "Nessuna passeggiata", distance: "Distanza",
        duration: "A piedi", climb: "Dislivello", profile: "Profilo", circuit: "Passeggiata", stop: "Tappa",
        durationShort: "Durata", shade: "Ombra", shadeNone: "indifferente", shadeSome: "un po'", shadeMost: "il più possibile",
        inShade: "all'ombra", detour: "deviazione", shadeUnknown: "ombra non ancora calcolata", shadeHours: "Ombra partendo alle",
        noReply: "nessuna risposta", legend: "blu: ombra, giallo: sole", depart: "partenza", departLabel: "ora di partenza (vuoto: adesso)",
        menuLabel: "Passeggiate e percorsi", closeMenu: "Chiudi le passeggiate" },
  de: { walks: "Spaziergänge", route: "Route", from: "Von", to: "nach", none: "Kein Spaziergang", distance: "Strecke",
        duration: "Gehzeit", climb: "Höhenmeter", profile: "Profil", circuit: "Spaziergang", stop: "Station",
        durationShort: "Dauer", shade: "Schatten", shadeNone: "egal", shadeSome: "etwas", shadeMost: "so viel wie möglich",
        inShade: "im Schatten", detour: "Umweg", shadeUnknown: "Schatten noch nicht berechnet", shadeHours: "Schatten bei Start um",
        noReply: "keine Antwort", legend: "blau: Schatten, gelb: Sonne", depart: "Start", departLabel: "Startzeit (leer: jetzt)",
        menuLabel: "Spaziergänge und Routen", closeMenu: "Spaziergänge schließen" },
};


const T = texts("routes", TEXTS);

function minutes(seconds) {
  return `${Math.round(seconds / 60)} min`;
}

function percent(share) {
  return `${Math.round(share * 100)} %`;
}

function shadeText(shade) {
  if (!shade) return null;
  if (!shade.available || shade.share === null || shade.share === undefined) return T.shadeUnknown;
  return `${percent(shade.share)} ${T.inShade}`;
}

// The next time the walker's clock shows "HH:MM" (today, else tomorrow), in ISO 8601 with the browser's
// offset: the shade of a walk planned tonight for tomorrow afternoon is the afternoon's.
function nextDeparture(hhmm) {
  const [h, m] = hhmm.split(":").map(Number);
  const now = new Date();
  const at = new Date(now);
  at.setHours(h, m, 0, 0);
  if (at < now) at.setDate(at.getDate() + 1);
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const offset = -at.getTimezoneOffset();
  const zone = `${offset >= 0 ? "+" : "-"}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(h)}:${pad(m)}:00${zone}`;
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
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
    this.live = null;
    this._pending = new Map();
    this._nextId = 1;
  }

  get connected() { return Boolean(this.live && this.live.connected); }

  async init(viewer) {
    this.viewer = viewer;
    this.source = new Cesium.CustomDataSource("walks");
    await viewer.cesium.dataSources.add(this.source);
    this.menu = this._makeMenu();
    viewer.addControl(this.menu, { group: "walks" });
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
    this.live = new LiveSocket("/ws/routes/", { onMessage: (m) => this._onMessage(m) });
  }

  // --- toolbar: the circuit list and the A → B picker ----------------------------------

  _makeMenu() {
    const wrap = document.createElement("span");
    wrap.className = "walks";
    const button = document.createElement("button");
    button.type = "button";
    live(button, (el) => { el.textContent = T.walks; });
    button.dataset.testid = "walks-menu";
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", "walks-list");
    this.menuButton = button;
    this.list = document.createElement("div");
    this.list.id = "walks-list";
    this.list.className = "walks-list";
    this.list.dataset.testid = "walks-list";
    this.list.setAttribute("role", "dialog");
    live(this.list, (el) => el.setAttribute("aria-label", T.menuLabel));
    this.list.hidden = true;
    button.addEventListener("click", () => (this.isMenuOpen() ? this.closeMenu() : this.openMenu()));
    const head = document.createElement("div");
    head.className = "walks-head";
    const title = document.createElement("strong");
    live(title, (el) => { el.textContent = T.walks; });
    const close = document.createElement("button");
    close.type = "button";
    close.className = "walks-close";
    close.dataset.testid = "walks-close";
    live(close, (el) => el.setAttribute("aria-label", T.closeMenu));
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
    for (const select of [this.fromSelect, this.toSelect]) select.style.maxWidth = "min(60vw,220px)";
    this.shadeSelect = document.createElement("select");
    this.shadeSelect.name = "shade";
    this.shadeSelect.dataset.testid = "route-shade";
    this.shadeSelect.append(live(new Option("", "none"), (el) => { el.textContent = T.shadeNone; }),
      live(new Option("", "some"), (el) => { el.textContent = T.shadeSome; }),
      live(new Option("", "most", true, true), (el) => { el.textContent = T.shadeMost; }));
    // Empty: leave now. A time: the next time the clock shows it (the shade is known for today and tomorrow).
    this.departInput = document.createElement("input");
    this.departInput.type = "time";
    this.departInput.name = "depart";
    this.departInput.dataset.testid = "route-depart";
    live(this.departInput, (el) => el.setAttribute("aria-label", T.departLabel));
    const go = document.createElement("button");
    go.type = "submit";
    live(go, (el) => { el.textContent = T.route; });
    const words = (say) => live(document.createElement("span"), (el) => { el.textContent = say(); });
    picker.append(words(() => `${T.from} `), this.fromSelect, words(() => ` ${T.to} `), this.toSelect,
                  words(() => `${T.shade} `), this.shadeSelect, words(() => `${T.depart} `), this.departInput, go);
    picker.addEventListener("submit", (event) => {
      event.preventDefault();
      const depart = this.departInput.value ? nextDeparture(this.departInput.value) : null;
      this.requestRoute({ poi: this.fromSelect.value }, { poi: this.toSelect.value }, this.shadeSelect.value, depart);
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

  // The list opens in the sheet, under its button (core/Shell.js): it scrolls with the sheet and covers nothing.
  _placeMenu() {
    this.list.scrollIntoView({ block: "nearest" });
  }

  _renderCircuitList() {
    this.circuitItems.replaceChildren();
    const slugs = Object.keys(this.circuits).sort();
    if (slugs.length === 0) this.circuitItems.textContent = T.none;
    for (const slug of slugs) {
      const props = this.circuits[slug].properties;
      const label = document.createElement("label");
      label.style.display = "block";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.circuit = slug;
      box.checked = this.drawn.includes(slug);
      box.addEventListener("change", () => (box.checked ? this.showCircuit(slug) : this.hideCircuit(slug)));
      const now = (props.shade_by_hour || [])[0];
      const shade = now && now.shade_share !== null ? `, ${percent(now.shade_share)} ${T.inShade}` : "";
      label.append(box, ` ${props.name} (${metres(props.length_m)}, ${minutes(props.duration_s)}${shade})`);
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
      this.pois.sort((a, b) => a.name.localeCompare(b.name, locale()));
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
    for (const entity of [...this.source.entities.values]) {
      if (entity.id === "route" || entity.id.startsWith("route:")) this.source.entities.remove(entity);
    }
    const positions = this._positions(feature);
    const runs = feature.properties.shade_runs;
    const name = `${feature.properties.from} → ${feature.properties.to}`;
    if (!runs || runs.length === 0) {
      this.source.entities.add({
        id: "route", name,
        polyline: { positions, width: 6, clampToGround: true, material: Cesium.Color.fromCssColorString(ROUTE_COLOR) },
        properties: { kind: "route" },
      });
    } else {
      // One stretch per run of shade or sun, as the walker will meet them at their pace.
      runs.forEach(([first, last, share], i) => {
        const shaded = share >= 0.5;
        this.source.entities.add({
          id: i === 0 ? "route" : `route:${i}`, name,
          polyline: {
            positions: positions.slice(first, last + 1), width: shaded ? 8 : 5, clampToGround: true,
            material: Cesium.Color.fromCssColorString(shaded ? SHADE_COLOR : SUN_COLOR),
          },
          properties: { kind: "route", shaded },
        });
      });
    }
    this._routePanel(feature);
    this.viewer.requestRender();
  }

  _routePanel(feature) {
    const p = feature.properties;
    const rows = [];
    // The detour stands next to the distance whenever the walker asked for shade, +0 % included: what the
    // shade cost them is part of the answer.
    const askedShade = p.shade && p.shade.available && p.shade.preference !== "none";
    const detour = askedShade ? ` (+${percent(Math.max(0, p.shade.detour))} ${T.detour})` : "";
    rows.push([T.distance, `${metres(p.length_m)}${detour}`]);
    rows.push([T.duration, minutes(p.duration_s)]);
    const shade = shadeText(p.shade);
    if (shade) {
      const cell = document.createElement("span");
      cell.dataset.testid = "route-shade-share";
      cell.textContent = shade;
      if (p.shade_runs && p.shade_runs.length) cell.title = T.legend;
      rows.push([T.shade, cell]);
    }
    rows.push([T.climb, `+${Math.round(p.ascent_m)} m / −${Math.round(p.descent_m)} m`]);
    rows.push([T.profile, profileSvg(p.profile)]);
    this.viewer.showPanel(`${p.from} → ${p.to}`, rows, () => this._routePanel(feature));
  }

  // --- /ws/routes/ -------------------------------------------------------------------


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
    } else if (message.type === "circuits_shade") {
      // The sun moved: each circuit's shade for the coming hours, pushed every slot.
      for (const item of message.circuits) {
        if (this.circuits[item.slug]) this.circuits[item.slug].properties.shade_by_hour = item.shade_by_hour;
      }
      this._renderCircuitList();
    } else if (message.type === "route" || message.type === "error") {
      const pending = this._pending.get(message.id);
      if (!pending) return;
      this._pending.delete(message.id);
      if (message.type === "route") pending.resolve(message.feature);
      else {
        // The socket's reasons are the server's English: keep them for the console, say it in French.
        console.warn("route (/ws/routes/):", message.message);
        pending.reject(new Error(T.noPath));
      }
    }
  }

  async requestRoute(from, to, shade = "most", depart = null) {
    let feature;
    try {
      if (this.connected) {
        const id = this._nextId++;
        feature = await new Promise((resolve, reject) => {
          this._pending.set(id, { resolve, reject });
          this.live.send(depart ? { type: "route", id, from, to, shade, depart } : { type: "route", id, from, to, shade });
          // A walk asked for while a server that just started still builds its street graph waits for it
          // (realtime.pedestrian.warm_up_in_background: seconds on a busy machine).
          setTimeout(() => this._pending.has(id) && (this._pending.delete(id), reject(new Error(T.noReply))),
                     ROUTE_TIMEOUT_MS);
        });
      } else {
        const params = new URLSearchParams({ from: from.poi, to: to.poi, shade });
        if (depart) params.set("depart", depart);
        feature = await fetchJson(`/api/routes/?${params}`);
      }
    } catch (err) {
      this.viewer.setStatus(`${T.route} : ${err.message}`);
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
      this.viewer.showPanel(stop.name, [[T.circuit, circuit.properties.name], [T.stop, stop.order + 1], ["", stop.text]]);
      return true;
    }
    if (kind === "circuit") {
      const p = this.circuits[entity.properties.slug.getValue()].properties;
      const hours = (p.shade_by_hour || []).filter((h) => h.shade_share !== null)
        .map((h) => `${clock(h.depart)} ${percent(h.shade_share)}`).join(" · ");
      const rows = [[T.distance, metres(p.length_m)], [T.durationShort, minutes(p.duration_s)]];
      if (hours) rows.push([T.shadeHours, hours]);
      rows.push(["", p.description], [T.profile, profileSvg(p.profile)]);
      this.viewer.showPanel(p.name, rows);
      return true;
    }
    if (kind === "route" && this.lastRoute) {
      this._routePanel(this.lastRoute);
      return true;
    }
    return false;
  }

  dispose() {
    if (this.live) this.live.close();
    document.removeEventListener("keydown", this._onKey);
    document.removeEventListener("jumeau:toolbar", this._onToolbar);
    window.removeEventListener("resize", this._onResize);
    if (this.viewer) this.viewer.cesium.canvas.removeEventListener("pointerdown", this._onMapPointer);
    if (this.viewer) this.viewer.cesium.dataSources.remove(this.source, true);
    this.menu && this.menu.remove();
  }
}
