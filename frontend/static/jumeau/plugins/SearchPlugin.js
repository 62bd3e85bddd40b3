// The search box: streets, places, bus stops, buildings and projects by name (typos forgiven by the server,
// /api/search/); choosing a result flies the camera there and opens its panel.
import { describeError, fetchJson } from "../core/http.js";
import { live, texts } from "../core/i18n.js";

const Cesium = window.Cesium;

const TEXTS = {
  fr: {
    label: "Rechercher une rue, un lieu, un arrêt",
    placeholder: "Rue, lieu, arrêt de bus…",
    results: (n) => (n === 1 ? "1 résultat" : `${n} résultats`),
    none: "Aucun résultat : vérifiez l'orthographe ou essayez un autre nom.",
    tooShort: "Tapez au moins 2 lettres.",
    searching: "Recherche…",
    kinds: {
      street: "Rue", place: "Lieu", stop: "Arrêt de bus", building: "Bâtiment", project: "Projet",
      network: "Réseau enterré",
    },
    kind: "Type", west: "O",
    about: "Précision",
    position: "Position",
  },
  en: {
    label: "Search a street, place or stop",
    placeholder: "Street, place, bus stop…",
    results: (n) => (n === 1 ? "1 result" : `${n} results`),
    none: "No result: check the spelling or try another name.",
    tooShort: "Type at least 2 letters.",
    searching: "Searching…",
    kinds: {
      street: "Street", place: "Place", stop: "Bus stop", building: "Building", project: "Project",
      network: "Buried network",
    },
    kind: "Kind", west: "W",
    about: "Details",
    position: "Position",
  },
};
const T = texts("search", TEXTS);

// A symbol beside each kind's word (the word is what a screen reader reads; the symbol is hidden from it).
const ICONS = { street: "🛣️", place: "📍", stop: "🚏", building: "🏛️", project: "🏗️", network: "🔧" };
const DEBOUNCE_MS = 250;
const MIN_CHARS = 2;
const LIMIT = 8;
const FLY_S = 1.5;
const PITCH_DEG = -40;

// The plugin's own styles, adopted by the document: the app shell's stylesheet is being rebuilt alongside, and
// a tool that brings its own rules merges with any layout.
const STYLE = `
.search { position: relative; display: inline-flex; flex-direction: column; min-width: min(320px, 100%); }
.search input { font: inherit; font-size: 16px; min-height: 44px; box-sizing: border-box; width: 100%;
  padding: 6px 10px; border-radius: 6px; border: 1px solid #889; background: #fff; color: #111; }
.search input:focus { outline: 3px solid #5ab0ff; outline-offset: 1px; }
.search-list { position: absolute; top: 100%; left: 0; right: 0; margin: 4px 0 0; padding: 4px 0; list-style: none;
  background: #fff; color: #111; border-radius: 6px; box-shadow: 0 2px 10px rgba(0,0,0,.35); z-index: 20;
  max-height: 60vh; overflow: auto; min-width: 260px; }
.search-list[hidden] { display: none; }
.search-option { display: flex; align-items: center; gap: 8px; min-height: 44px; padding: 4px 10px; cursor: pointer; }
.search-option[aria-selected="true"], .search-option:hover { background: #dcecff; }
.search-icon { flex: none; width: 24px; text-align: center; }
.search-text { display: flex; flex-direction: column; min-width: 0; }
.search-label { font-weight: 600; overflow-wrap: anywhere; }
.search-kind { font-size: 13px; color: #444; }
.search-message { padding: 8px 10px; min-height: 28px; }
.search-message.error { color: #8a1c00; }
`;

let sheet = null;
function adoptStyle() {
  if (sheet) return;
  sheet = new CSSStyleSheet();
  sheet.replaceSync(STYLE);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

export default class SearchPlugin {
  static wants() {
    return true;
  }

  constructor() {
    this.results = [];
    this.active = -1;
    this.selected = null; // the result last flown to
    this._timer = null;
    this._controller = null;
    this._asked = 0;
    this._pending = null; // letters typed but not yet asked (debounce)
  }

  init(viewer) {
    this.viewer = viewer;
    adoptStyle();
    this.element = this._build();
    viewer.addToolbar(this.element, "tools");
    this.marker = viewer.cesium.entities.add({
      id: "search-result",
      show: false,
      point: {
        pixelSize: 14, color: Cesium.Color.fromCssColorString("#ff5a36"), outlineColor: Cesium.Color.WHITE,
        outlineWidth: 3, disableDepthTestDistance: Number.POSITIVE_INFINITY,
      },
    });
    this._onDocumentClick = (event) => {
      if (!this.element.contains(event.target)) this.close();
    };
    document.addEventListener("pointerdown", this._onDocumentClick);
  }

  _build() {
    const box = document.createElement("div");
    box.className = "search";
    box.setAttribute("role", "search");
    const input = document.createElement("input");
    input.type = "search";
    input.id = "search-input";
    input.dataset.testid = "search-input";
    input.autocomplete = "off";
    input.spellcheck = false;
    live(input, (el) => {
      el.placeholder = T.placeholder;
      el.setAttribute("aria-label", T.label);
    });
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "search-list");
    input.addEventListener("input", () => this._typed());
    input.addEventListener("keydown", (event) => this._key(event));
    input.addEventListener("focus", () => { if (this.results.length) this.open(); });
    const list = document.createElement("ul");
    list.id = "search-list";
    list.className = "search-list";
    list.dataset.testid = "search-results";
    list.setAttribute("role", "listbox");
    live(list, (el) => el.setAttribute("aria-label", T.label));
    list.hidden = true;
    // Said aloud when results arrive or a search fails, without moving the focus out of the box.
    const message = document.createElement("div");
    message.className = "search-message";
    message.dataset.testid = "search-message";
    message.setAttribute("aria-live", "polite");
    message.hidden = true;
    box.append(input, list, message);
    this.input = input;
    this.list = list;
    this.message = message;
    return box;
  }

  _typed() {
    clearTimeout(this._timer);
    const q = this.input.value.trim();
    if (q.length < MIN_CHARS) {
      this._pending = null;
      this._abort();
      this._show([]);
      this._say(q.length ? T.tooShort : "");
      return;
    }
    this._pending = q;
    this._timer = setTimeout(() => this.search(q), DEBOUNCE_MS);
  }

  _abort() {
    if (this._controller) this._controller.abort();
    this._controller = null;
  }

  // Ask the server; an older answer arriving after a newer question is dropped (and its request aborted).
  async search(q) {
    clearTimeout(this._timer);
    this._pending = null;
    this._abort();
    const asked = ++this._asked;
    this._controller = new AbortController();
    this._say(T.searching);
    try {
      const url = `/api/search/?${new URLSearchParams({ q, limit: String(LIMIT) })}`;
      const data = await fetchJson(url, { signal: this._controller.signal });
      if (asked !== this._asked) return;
      this._show(data.results);
      this._say(data.results.length ? T.results(data.results.length) : T.none);
    } catch (err) {
      if (asked !== this._asked || (err.detail && String(err.detail).includes("AbortError"))) return;
      console.error("search (/api/search/):", err.detail || err);
      this._show([]);
      this._say(describeError(err), true);
    }
  }

  _say(text, error = false) {
    this.message.textContent = text;
    this.message.classList.toggle("error", error);
    this.message.setAttribute("role", error ? "alert" : "status");
    this.message.hidden = !text;
  }

  _show(results) {
    this.results = results;
    this.active = -1;
    this.list.replaceChildren(...results.map((r, i) => this._option(r, i)));
    if (results.length) this.open();
    else this.close();
  }

  _option(result, i) {
    const li = document.createElement("li");
    li.id = `search-option-${i}`;
    li.className = "search-option";
    li.dataset.testid = "search-result";
    li.dataset.kind = result.kind;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    const icon = document.createElement("span");
    icon.className = "search-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = ICONS[result.kind] || "•";
    const text = document.createElement("span");
    text.className = "search-text";
    const label = document.createElement("span");
    label.className = "search-label";
    label.textContent = result.label;
    const kind = document.createElement("span");
    kind.className = "search-kind";
    kind.textContent = [T.kinds[result.kind] || result.kind, result.detail].filter(Boolean).join(" · ");
    text.append(label, kind);
    li.append(icon, text);
    // pointerdown would blur the box first and close the list under the finger: select on click.
    li.addEventListener("mousedown", (event) => event.preventDefault());
    li.addEventListener("click", () => this.choose(i));
    return li;
  }

  _key(event) {
    const n = this.results.length;
    if (event.key === "ArrowDown" && n) {
      event.preventDefault();
      this.open();
      this._activate((this.active + 1) % n);
    } else if (event.key === "ArrowUp" && n) {
      event.preventDefault();
      this.open();
      this._activate((this.active - 1 + n) % n);
    } else if (event.key === "Enter") {
      event.preventDefault();
      // Typed and Enter at once: the results on screen are for older letters; ask now, then take the first.
      if (this._pending) this.search(this._pending).then(() => this.choose(0));
      else if (n) this.choose(this.active >= 0 ? this.active : 0);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (!this.list.hidden) this.close();
      else {
        this.input.value = "";
        this._typed();
      }
    }
  }

  _activate(i) {
    this.active = i;
    for (const [j, li] of [...this.list.children].entries()) li.setAttribute("aria-selected", String(j === i));
    const li = this.list.children[i];
    this.input.setAttribute("aria-activedescendant", li.id);
    li.scrollIntoView({ block: "nearest" });
  }

  open() {
    if (!this.results.length) return;
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  close() {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  choose(i) {
    const result = this.results[i];
    if (!result) return;
    this.close();
    this._say("");
    this.input.value = result.label;
    this.flyTo(result);
    this.showPanel(result);
  }

  // Look at the result from its range, keeping the camera's heading: the whole street or building in view.
  flyTo(result) {
    const target = Cesium.Cartesian3.fromDegrees(result.lon, result.lat, result.height);
    const camera = this.viewer.cesium.camera;
    this.selected = result;
    this.marker.position = target;
    this.marker.show = true;
    camera.flyToBoundingSphere(new Cesium.BoundingSphere(target, 1), {
      offset: new Cesium.HeadingPitchRange(camera.heading, Cesium.Math.toRadians(PITCH_DEG), result.range),
      duration: FLY_S,
    });
    this.viewer.requestRender();
  }

  showPanel(result) {
    const lat = `${Math.abs(result.lat).toFixed(5)}° ${result.lat >= 0 ? "N" : "S"}`;
    const lon = `${Math.abs(result.lon).toFixed(5)}° ${result.lon >= 0 ? "E" : T.west}`;
    const rows = [[T.kind, T.kinds[result.kind] || result.kind]];
    if (result.detail) rows.push([T.about, result.detail]);
    rows.push([T.position, `${lat}, ${lon}`]);
    this.viewer.showPanel(result.label, rows, () => this.showPanel(result));
  }

  dispose() {
    clearTimeout(this._timer);
    this._abort();
    document.removeEventListener("pointerdown", this._onDocumentClick);
    if (this.marker) this.viewer.cesium.entities.remove(this.marker);
    if (this.element) this.element.remove();
  }
}
