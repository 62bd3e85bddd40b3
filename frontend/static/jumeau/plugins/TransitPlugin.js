// Live buses and stop departure boards from /ws/transit/ (snapshot, then per-topic changes with seq numbers).
import { fetchJson } from "../core/http.js";
import { LiveSocket } from "../core/LiveSocket.js";
import { live, locale, texts } from "../core/i18n.js";
import { clearNotice, showError } from "../core/notices.js";

const Cesium = window.Cesium;

const T = texts("transit", {
  fr: {
    layer: "Bus", never: "jamais mis à jour", updated: (s) => `mis à jour il y a ${s} s`,
    stopsFailed: "Arrêts de bus : la liste n'a pas pu être chargée.", estimated: " — positions estimées d'après l'horaire",
    status: "Bus", loading: "Chargement…", noDeparture: "Aucun départ dans les deux heures", timetable: "théorique",
    onTime: "à l'heure", departures: "Départs", realtime: "Temps réel", feed: (state) => ` (flux ${state})`,
    line: (label) => `Ligne ${label}`, vehicle: "Véhicule", trip: "Course", nextStop: "Prochain arrêt",
    position: "Position", stopped: "à l'arrêt", moving: "en route", source: "Source",
    sourceEstimated: "estimée d'après l'horaire (pas de position en direct)", sourceLive: "temps réel",
  },
  en: {
    layer: "Buses", never: "never updated", updated: (s) => `updated ${s} s ago`,
    stopsFailed: "Bus stops: the list could not be loaded.", estimated: " — positions estimated from the timetable",
    status: "Buses", loading: "Loading…", noDeparture: "No departure in the next two hours", timetable: "timetable",
    onTime: "on time", departures: "Departures", realtime: "Live", feed: (state) => ` (feed ${state})`,
    line: (label) => `Line ${label}`, vehicle: "Vehicle", trip: "Trip", nextStop: "Next stop",
    position: "Position", stopped: "at the stop", moving: "on its way", source: "Source",
    sourceEstimated: "estimated from the timetable (no live position)", sourceLive: "live",
  },
});

const DEFAULT_MOVE_S = 5;
const FRAME_MS = 100; // re-render at 10 fps while buses move: enough for smooth motion, cheap in software GL

function cssColor(hex, fallback = "#ffffff") {
  return /^[0-9a-fA-F]{6}$/.test(hex || "") ? `#${hex}` : fallback;
}

function clockTime(posix) {
  return new Date(posix * 1000).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
}

export function ageText(seconds) {
  if (seconds === null || seconds === undefined) return T.never;
  return T.updated(Math.max(0, Math.round(seconds)));
}

// A polyline in lon/lat with cumulative lengths (local metres), to move a bus along it at a given fraction.
class Track {
  constructor(points) {
    this.points = points;
    this.cum = [0];
    const k = Math.cos((points[0][1] * Math.PI) / 180);
    for (let i = 1; i < points.length; i++) {
      const dx = (points[i][0] - points[i - 1][0]) * k;
      const dy = points[i][1] - points[i - 1][1];
      this.cum.push(this.cum[i - 1] + Math.hypot(dx, dy));
    }
  }

  at(f) {
    const total = this.cum[this.cum.length - 1];
    if (total === 0 || f >= 1) return this.points[this.points.length - 1];
    const d = Math.max(0, f) * total;
    let i = 1;
    while (i < this.cum.length - 1 && this.cum[i] < d) i++;
    const span = this.cum[i] - this.cum[i - 1] || 1;
    const t = (d - this.cum[i - 1]) / span;
    const a = this.points[i - 1];
    const b = this.points[i];
    return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
  }
}

export default class TransitPlugin {
  static wants() {
    return true;
  }

  constructor() {
    this.vehicles = {}; // id -> {id, route, label, lon, lat, target: [lon, lat], updatedAt}
    this.lastSeq = {}; // topic -> last seq applied
    this.status = {};
    this.feedTimestamp = null;
    this.snapshots = 0;
    this.resyncs = 0;
    this.live = null;
    this.stops = {}; // stop_id -> GeoJSON properties
    this.boardStop = null;
    this.departures = {}; // stop_id -> rows
    this._entities = {};
    this._tracks = {};
  }

  get connected() { return Boolean(this.live && this.live.connected); }
  get reconnects() { return this.live ? this.live.reconnects : 0; }

  async init(viewer) {
    this.viewer = viewer;
    this.stopSource = new Cesium.CustomDataSource("transit-stops");
    this.busSource = new Cesium.CustomDataSource("transit-buses");
    await viewer.cesium.dataSources.add(this.stopSource);
    await viewer.cesium.dataSources.add(this.busSource);
    this.toggle = this._makeToggle();
    viewer.addToolbar(this.toggle, "tools");
    await this._loadStops();
    this.live = new LiveSocket("/ws/transit/", { onMessage: (m) => this._onMessage(m), onOpen: () => this._subscribe() });
    this._ticker = setInterval(() => this._tick(), FRAME_MS);
  }

  _makeToggle() {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.checked = true;
    input.dataset.layer = "transit";
    input.addEventListener("change", () => {
      this.stopSource.show = input.checked;
      this.busSource.show = input.checked;
      this.viewer.requestRender();
    });
    label.append(input, " ", live(document.createElement("span"), (el) => { el.textContent = T.layer; }));
    return label;
  }

  async _loadStops() {
    try {
      const collection = await fetchJson("/api/transit/stops/");
      clearNotice("transit-stops");
      for (const feature of collection.features) {
        const p = feature.properties;
        if (p.location_type !== 0 && p.lines.length === 0) continue;
        const [lon, lat] = feature.geometry.coordinates;
        this.stops[p.stop_id] = { ...p, lon, lat };
        this.stopSource.entities.add({
          id: `stop:${p.stop_id}`,
          name: p.name,
          position: Cesium.Cartesian3.fromDegrees(lon, lat),
          point: {
            pixelSize: 9, color: Cesium.Color.WHITE, outlineColor: Cesium.Color.fromCssColorString("#1d4e6e"),
            outlineWidth: 3, heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
            disableDepthTestDistance: Number.POSITIVE_INFINITY,
          },
          properties: { kind: "stop", stop_id: p.stop_id },
        });
      }
    } catch (err) {
      console.error("transit stops (/api/transit/stops/):", err.detail || err);
      showError("transit-stops", (reason) => `${T.stopsFailed} ${reason}`, err, () => this._loadStops());
    }
  }

  // --- websocket ---------------------------------------------------------------

  _send(message) {
    if (this.live) this.live.send(message);
  }

  _subscribe() {
    this._send({ type: "subscribe", routes: ["*"], stops: this.boardStop ? [this.boardStop] : [] });
  }

  _onMessage(message) {
    if (message.type === "snapshot") {
      this._applySnapshot(message);
      return;
    }
    if (!message.topic) return;
    const last = this.lastSeq[message.topic];
    if (last !== undefined && message.seq <= last) return; // already in the snapshot
    if (last !== undefined && message.seq > last + 1) {
      // A change was lost (reconnect, overloaded server): what we show may be wrong, start again.
      this.resyncs += 1;
      this._send({ type: "resync" });
      return;
    }
    this.lastSeq[message.topic] = message.seq;
    if (message.feed_timestamp) this.feedTimestamp = message.feed_timestamp;
    if (message.type === "vehicles") this._applyVehicles(message.vehicles, message.removed || []);
    else if (message.type === "departures") this._applyDepartures(message.stop, message.departures);
    else if (message.type === "status") this._applyStatus(message);
  }

  _applySnapshot(snapshot) {
    this.snapshots += 1;
    this.lastSeq = { ...snapshot.topics };
    this.feedTimestamp = snapshot.feed_timestamp;
    this.status = snapshot.status || {};
    const present = new Set(snapshot.vehicles.map((v) => v.id));
    this._applyVehicles(snapshot.vehicles, Object.keys(this.vehicles).filter((id) => !present.has(id)));
    for (const [stopId, rows] of Object.entries(snapshot.departures || {})) this._applyDepartures(stopId, rows);
  }

  _applyStatus(status) {
    this.status = status;
    const estimated = status.positions === "estimated" ? T.estimated : "";
    if (status.state && status.state !== "ok") this.viewer.setStatus(`${T.status} : ${ageText(status.age_s)}${estimated}`);
    else this.viewer.setStatus("");
    this._renderBoard();
  }

  _applyVehicles(vehicles, removed) {
    const now = performance.now();
    for (const id of removed) {
      this.busSource.entities.removeById(`bus:${id}`);
      delete this.vehicles[id];
      delete this._tracks[id];
    }
    for (const v of vehicles) {
      const known = this.vehicles[v.id];
      const here = known ? this._position(v.id, now) : [v.lon, v.lat];
      const path = v.path && v.path.length >= 2 ? [here, ...v.path.slice(1)] : [here, [v.lon, v.lat]];
      const seconds = known ? Math.min(15, Math.max(1, (now - known.updatedAt) / 1000)) : DEFAULT_MOVE_S;
      this._tracks[v.id] = { track: new Track(path), start: now, duration: seconds * 1000 };
      this.vehicles[v.id] = { ...v, lon: here[0], lat: here[1], target: [v.lon, v.lat], updatedAt: now };
      if (!this.busSource.entities.getById(`bus:${v.id}`)) this._addBus(v);
    }
    this.viewer.requestRender();
  }

  _addBus(v) {
    const color = Cesium.Color.fromCssColorString(cssColor(v.color, "#e2001a"));
    // A bus placed by the timetable (no live position) is drawn pale: where it should be, not where it is.
    const fill = v.estimated ? color.withAlpha(0.45) : color;
    this.busSource.entities.add({
      id: `bus:${v.id}`,
      name: `Ligne ${v.label}`,
      position: new Cesium.CallbackProperty(() => {
        const [lon, lat] = this._position(v.id, performance.now());
        return Cesium.Cartesian3.fromDegrees(lon, lat);
      }, false),
      point: {
        pixelSize: 16, color: fill, outlineColor: Cesium.Color.WHITE, outlineWidth: 2,
        heightReference: Cesium.HeightReference.CLAMP_TO_GROUND, disableDepthTestDistance: Number.POSITIVE_INFINITY,
      },
      label: {
        text: String(v.label || ""), font: "bold 11px sans-serif", fillColor: Cesium.Color.WHITE,
        heightReference: Cesium.HeightReference.CLAMP_TO_GROUND, disableDepthTestDistance: Number.POSITIVE_INFINITY,
        pixelOffset: new Cesium.Cartesian2(0, -16), showBackground: true, backgroundColor: color,
      },
      properties: { kind: "bus", vehicle_id: v.id },
    });
  }

  // Where a bus is drawn at `now`: along the shape from where it was drawn to its new fix, at constant speed.
  _position(id, now) {
    const moving = this._tracks[id];
    const v = this.vehicles[id];
    if (!moving) return v ? [v.lon, v.lat] : [0, 0];
    return moving.track.at((now - moving.start) / moving.duration);
  }

  _tick() {
    const now = performance.now();
    let moving = false;
    for (const [id, m] of Object.entries(this._tracks)) {
      if (now - m.start <= m.duration + FRAME_MS) moving = true;
      const [lon, lat] = this._position(id, now);
      const v = this.vehicles[id];
      if (v) {
        v.lon = lon;
        v.lat = lat;
      }
    }
    if (moving) this.viewer.requestRender();
    if (this.boardStop) this._renderAge();
  }

  // --- departure board -----------------------------------------------------------

  _applyDepartures(stopId, rows) {
    this.departures[stopId] = rows;
    if (stopId === this.boardStop) this._renderBoard();
  }

  async openBoard(stopId) {
    this.boardStop = stopId;
    this._boardOpening = true;
    this._renderBoard();
    this._subscribe();
    if (!this.connected) {
      // Without the socket the timetable still answers.
      try {
        const response = await fetch(`/api/transit/stops/${encodeURIComponent(stopId)}/departures/`);
        if (response.ok) {
          const body = await response.json();
          this.feedTimestamp = this.feedTimestamp || body.feed_timestamp;
          this._applyDepartures(stopId, body.departures);
        }
      } catch (err) {
        console.warn("departures:", err);
      }
    }
  }

  _boardVisible() {
    const panel = document.getElementById("panel");
    return !panel.hidden && document.getElementById("panel-title").textContent === this._boardTitle;
  }

  _renderBoard() {
    if (!this.boardStop) return;
    const stop = this.stops[this.boardStop] || { name: this.boardStop };
    if (!this._boardOpening && !this._boardVisible()) {
      // The visitor closed the board or looked at something else: stop following this stop.
      this.boardStop = null;
      this._ageElement = null;
      this._subscribe();
      return;
    }
    this._boardOpening = false;
    this._boardTitle = stop.name;
    const rows = this.departures[this.boardStop];
    const table = document.createElement("table");
    table.className = "board";
    table.dataset.testid = "departure-board";
    if (!rows) {
      table.insertRow().insertCell().textContent = T.loading;
    } else if (rows.length === 0) {
      table.insertRow().insertCell().textContent = T.noDeparture;
    }
    for (const row of rows || []) {
      const tr = document.createElement("tr");
      tr.dataset.trip = row.trip;
      const line = document.createElement("td");
      const badge = document.createElement("span");
      badge.textContent = row.line;
      badge.style.cssText = `background:${cssColor(row.color)};color:${cssColor(row.text_color, "#000")};padding:0 5px;border-radius:3px;font-weight:600`;
      line.append(badge);
      const headsign = document.createElement("td");
      headsign.textContent = row.headsign;
      const time = document.createElement("td");
      time.textContent = clockTime(row.expected);
      const delay = document.createElement("td");
      const minutes = Math.round(row.delay / 60);
      delay.textContent = !row.realtime ? T.timetable : minutes > 0 ? `+${minutes} min` : minutes < 0 ? `${minutes} min` : T.onTime;
      delay.className = row.realtime ? "live" : "timetable";
      tr.append(line, headsign, time, delay);
      table.append(tr);
    }
    const age = document.createElement("span");
    age.dataset.testid = "board-updated";
    this._ageElement = age;
    this.viewer.showPanel(stop.name, [[T.departures, table], [T.realtime, age]], () => {
      this._boardOpening = true;
      this._renderBoard();
    });
    this._renderAge();
  }

  _renderAge() {
    if (!this._ageElement) return;
    if (!this._boardVisible()) {
      this._renderBoard();
      return;
    }
    const age = this.feedTimestamp ? Date.now() / 1000 - this.feedTimestamp : null;
    const state = this.status.state && this.status.state !== "ok" ? T.feed(this.status.state) : "";
    this._ageElement.textContent = ageText(age) + state;
  }

  handlePick(picked) {
    const entity = picked && picked.id;
    if (!(entity instanceof Cesium.Entity) || !entity.properties) return false;
    const kind = entity.properties.kind && entity.properties.kind.getValue();
    if (kind === "stop") {
      this.openBoard(entity.properties.stop_id.getValue());
      return true;
    }
    if (kind === "bus") {
      const v = this.vehicles[entity.properties.vehicle_id.getValue()];
      if (!v) return false;
      this.boardStop = null;
      this.showVehicle(v);
      return true;
    }
    return false;
  }

  showVehicle(v) {
    this.viewer.showPanel(T.line(v.label), [
      [T.vehicle, v.id], [T.trip, v.trip], [T.nextStop, (this.stops[v.stop] || {}).name || v.stop],
      [T.position, v.status === "STOPPED_AT" ? T.stopped : T.moving],
      [T.source, v.estimated ? T.sourceEstimated : T.sourceLive],
    ], () => this.showVehicle(v));
  }

  dispose() {
    clearInterval(this._ticker);
    if (this.live) this.live.close();
    if (this.viewer) {
      this.viewer.cesium.dataSources.remove(this.stopSource, true);
      this.viewer.cesium.dataSources.remove(this.busSource, true);
    }
    this.toggle && this.toggle.remove();
  }
}
