// "Soleil et ombres": the sun and the shadows of buildings, projects and terrain on any date and hour, in the city's
// own time zone (summer time included), the 21st of June and of December one tap away.
import { live, texts } from "../core/i18n.js";
import { button, labelled, makeToolCard } from "../core/toolCard.js";

const Cesium = window.Cesium;

const TEXTS = {
  fr: {
    button: "Soleil et ombres", title: "Le soleil et les ombres à la date et à l'heure de votre choix",
    date: "Date", hour: "Heure", june: "21 juin", december: "21 décembre", now: "Maintenant",
    juneTitle: "Le jour le plus long : le 21 juin", decemberTitle: "Le jour le plus court : le 21 décembre",
    time: (h, m) => `${h} h ${String(m).padStart(2, "0")}`,
    zone: (zone) => `Heure locale (${zone})`, badDate: "Date invalide : choisissez un jour dans le calendrier.",
  },
  en: {
    button: "Sun and shadows", title: "The sun and the shadows on the date and hour you choose",
    date: "Date", hour: "Time", june: "21 June", december: "21 December", now: "Now",
    juneTitle: "The longest day: 21 June", decemberTitle: "The shortest day: 21 December",
    time: (h, m) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`,
    zone: (zone) => `Local time (${zone})`, badDate: "Invalid date: pick a day in the calendar.",
  },
};
const T = texts("sun", TEXTS);

// The city's clock when the session does not name one (Antibes).
const DEFAULT_ZONE = "Europe/Paris";
const STEP_MINUTES = 15;
// Shadows for a street view: a 2048 px map over the nearest 1.5 km keeps a building's shadow edges to about a
// metre; Cesium's default (1024 px, 5 km) smears them over several. Soft shadows cost a second pass that a phone's
// or a software GPU's frame rate does not afford.
const SHADOW_MAP = { size: 2048, maximumDistance: 1500, darkness: 0.35, softShadows: false };

// The wall clock of `zone` minus UTC at instant `ms`, in milliseconds (Intl knows the zone's summer-time rules).
function zoneOffset(ms, zone) {
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const p = Object.fromEntries(format.formatToParts(new Date(ms)).map((part) => [part.type, Number(part.value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

// The instant when the clocks of `zone` show `day` ("YYYY-MM-DD") at `minutes` after midnight. The offset is
// looked up twice: at the wall time read as UTC, then at the instant that gives, which is right across a change
// of summer time (the first guess can sit on the other side of it).
export function zonedInstant(day, minutes, zone = DEFAULT_ZONE) {
  const [y, m, d] = day.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  if (Number.isNaN(wall)) return null;
  const first = wall - zoneOffset(wall, zone);
  return new Date(wall - zoneOffset(first, zone));
}

// The day ("YYYY-MM-DD") and minutes after midnight that the clocks of `zone` show at instant `date`.
export function zonedWallClock(date, zone = DEFAULT_ZONE) {
  const local = new Date(date.getTime() + zoneOffset(date.getTime(), zone));
  const day = local.toISOString().slice(0, 10);
  return { day, minutes: local.getUTCHours() * 60 + local.getUTCMinutes() };
}

export default class SunPlugin {
  static wants() {
    return true;
  }

  constructor() {
    this.active = false;
    this.instant = null; // the Date the scene's sun is set to
    this.saved = null; // the scene's lighting before the tool took it over
  }

  init(viewer) {
    this.viewer = viewer;
    this.zone = viewer.session.time_zone || DEFAULT_ZONE;
    const tool = makeToolCard({ name: "sun", label: () => T.button, title: () => T.title, onToggle: (open) => this.setActive(open) });
    this.tool = tool;
    const now = zonedWallClock(new Date(), this.zone);
    this.dateInput = document.createElement("input");
    this.dateInput.type = "date";
    this.dateInput.required = true;
    this.dateInput.value = now.day;
    this.dateInput.dataset.testid = "sun-date";
    this.dateInput.addEventListener("change", () => this.apply());
    this.hourInput = document.createElement("input");
    this.hourInput.type = "range";
    this.hourInput.min = "0";
    this.hourInput.max = String(24 * 60 - STEP_MINUTES);
    this.hourInput.step = String(STEP_MINUTES);
    this.hourInput.value = String(Math.round(now.minutes / STEP_MINUTES) * STEP_MINUTES);
    this.hourInput.dataset.testid = "sun-hour";
    this.hourInput.addEventListener("input", () => this.apply());
    this.hourOutput = document.createElement("output");
    this.hourOutput.dataset.testid = "sun-time";
    this.hourOutput.setAttribute("aria-live", "polite");
    const zoneNote = document.createElement("p");
    zoneNote.className = "tool-note";
    live(zoneNote, (el) => { el.textContent = T.zone(this.zone); });
    const june = button(() => T.june, () => this.setDay(6, 21), { testid: "sun-june" });
    live(june, (el) => { el.title = T.juneTitle; });
    const december = button(() => T.december, () => this.setDay(12, 21), { testid: "sun-december" });
    live(december, (el) => { el.title = T.decemberTitle; });
    const nowButton = button(() => T.now, () => this.setNow(), { testid: "sun-now" });
    const days = document.createElement("div");
    days.className = "tool-row";
    days.append(june, december, nowButton);
    const hour = document.createElement("div");
    hour.className = "tool-row";
    hour.append(labelled(() => T.hour, this.hourInput), this.hourOutput);
    tool.card.append(labelled(() => T.date, this.dateInput), days, hour, zoneNote);
    live(this.hourOutput, () => this.showTime());
    viewer.addToolbar(tool.group, "tools");
  }

  // The 21st of a month of the year the date field shows: the solstices compared within one year.
  setDay(month, day) {
    const year = (this.dateInput.value || zonedWallClock(new Date(), this.zone).day).slice(0, 4);
    this.dateInput.value = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
    this.apply();
  }

  setNow() {
    const now = zonedWallClock(new Date(), this.zone);
    this.dateInput.value = now.day;
    this.hourInput.value = String(Math.floor(now.minutes / STEP_MINUTES) * STEP_MINUTES);
    this.apply();
  }

  showTime() {
    const minutes = Number(this.hourInput.value);
    const text = T.time(Math.floor(minutes / 60), minutes % 60);
    this.hourOutput.textContent = text;
    this.hourInput.setAttribute("aria-valuetext", text);
  }

  setActive(active) {
    if (active === this.active) return;
    this.active = active;
    const cesium = this.viewer.cesium;
    const scene = cesium.scene;
    if (active) {
      this.saved = {
        shadows: cesium.shadows, terrainShadows: cesium.terrainShadows, lighting: scene.globe.enableLighting,
        time: Cesium.JulianDate.clone(cesium.clock.currentTime),
      };
      Object.assign(scene.shadowMap, SHADOW_MAP);
      cesium.shadows = true;
      // The ground receives the buildings' shadows; the city's gentle relief casting its own would double the
      // shadow pass for hills that shade almost nothing at street scale.
      cesium.terrainShadows = Cesium.ShadowMode.RECEIVE_ONLY;
      // Night falls on the ground too: without lighting the globe stays at noon whatever the hour.
      scene.globe.enableLighting = true;
      this.apply();
    } else if (this.saved) {
      cesium.shadows = this.saved.shadows;
      cesium.terrainShadows = this.saved.terrainShadows;
      scene.globe.enableLighting = this.saved.lighting;
      cesium.clock.currentTime = this.saved.time;
      this.saved = null;
      this.viewer.requestRender();
    }
  }

  // Every tileset in the scene casts and receives: buildings, each project variant, point clouds.
  castShadows() {
    const primitives = this.viewer.cesium.scene.primitives;
    for (let i = 0; i < primitives.length; i++) {
      const p = primitives.get(i);
      if (p instanceof Cesium.Cesium3DTileset) p.shadows = Cesium.ShadowMode.ENABLED;
    }
  }

  apply() {
    this.showTime();
    const instant = zonedInstant(this.dateInput.value || "", Number(this.hourInput.value), this.zone);
    this.dateInput.setCustomValidity(instant ? "" : T.badDate);
    if (!instant) {
      this.dateInput.reportValidity();
      return;
    }
    this.instant = instant;
    this.tool.card.dataset.instant = instant.toISOString();
    if (!this.active) return;
    this.castShadows();
    this.viewer.cesium.clock.currentTime = Cesium.JulianDate.fromDate(instant);
    // requestRenderMode draws only when asked: the clock moving is not a change Cesium notices by itself.
    this.viewer.requestRender();
  }

  dispose() {
    this.setActive(false);
    this.tool && this.tool.group.remove();
  }
}
