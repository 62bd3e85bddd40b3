// Planning projects: one tileset per variant, one shown at a time; planners can compare two side by side.
import { TilesetLayerPlugin } from "./TilesetLayerPlugin.js";
import { live, texts } from "../core/i18n.js";
import { clearNotice, showError } from "../core/notices.js";

const Cesium = window.Cesium;

const T = texts("projects", {
  fr: { compare: "Comparer les variantes", failed: (title) => `${title} : la variante n'a pas pu être chargée.` },
  en: { compare: "Compare the variants", failed: (title) => `${title}: the variant could not be loaded.` },
});

export default class ProjectsPlugin {
  static wants(session) {
    return session.layers.some((l) => l.project);
  }

  constructor() {
    this.variants = []; // TilesetLayerPlugin per variant, in session order
    this.comparing = false;
    this.hidden = false;
    // Raised with the TilesetLayerPlugin of the variant the scene now shows (or null) whenever it changes.
    this.shownChanged = new Cesium.Event();
    this._lastShown = null;
  }

  async init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    const layers = viewer.session.layers.filter((l) => l.project);
    for (const [i, layer] of layers.entries()) await this.addVariant(layer, i === 0);
    if (this.canCompare()) {
      this.compareButton = document.createElement("button");
      this.compareButton.type = "button";
      live(this.compareButton, (el) => { el.textContent = T.compare; });
      this.compareButton.dataset.testid = "projects-compare";
      this.compareButton.setAttribute("aria-pressed", "false");
      this.compareButton.addEventListener("click", () => this.compare(!this.comparing));
      viewer.addToolbar(this.compareButton, "tools");
    }
  }

  async addVariant(layer, show) {
    const viewer = this.viewer;
    const plugin = new TilesetLayerPlugin(layer, { show, titleProperty: "variant" });
    const notice = `layer-${layer.name}`;
    try {
      await plugin.init(viewer);
      clearNotice(notice);
    } catch (err) {
      console.error(`layer ${layer.name} (${layer.url}):`, err);
      showError(notice, (reason) => `${T.failed(layer.title)} ${reason}`, err, () => this.addVariant(layer, show));
      return;
    }
    // One variant at a time: ticking one unticks the others (unless comparing).
    plugin.checkbox.querySelector("input").addEventListener("change", (event) => {
      if (event.target.checked && !this.comparing) this.showOnly(plugin);
      this.applyHidden();
      this.notifyShown();
    });
    this.jumeau.layers[layer.name] = plugin;
    // Session order, whichever variant loaded first (a retry comes later).
    const order = (p) => this.viewer.session.layers.indexOf(p.layer);
    this.variants.push(plugin);
    this.variants.sort((a, b) => order(a) - order(b));
    this.notifyShown();
  }

  // The variant the scene shows: the first one ticked (the left one when comparing), or null.
  // A tool's "before" view hides it for a while without changing this answer (see hideShown).
  shown() {
    return this.variants.find((p) => p.show) || null;
  }

  notifyShown() {
    const now = this.shown();
    if (now === this._lastShown) return;
    this._lastShown = now;
    this.shownChanged.raiseEvent(now);
  }

  // The city as it is today: the ticked variants disappear from the scene but stay ticked, and come back on
  // hideShown(false). The balcony's "before" and "after" views use it, so the picture matches the numbers.
  hideShown(hidden) {
    this.hidden = hidden;
    this.applyHidden();
  }

  applyHidden() {
    for (const plugin of this.variants) {
      if (plugin.tileset) plugin.tileset.show = plugin.show && !this.hidden;
    }
    this.viewer.requestRender();
  }

  canCompare() {
    const role = this.viewer.session.role || "";
    return this.variants.length >= 2 && (role.includes("planner") || role.includes("admin"));
  }

  showOnly(chosen) {
    for (const plugin of this.variants) {
      const on = plugin === chosen;
      plugin.setVisible(on);
      plugin.checkbox.querySelector("input").checked = on;
    }
    this.applyHidden();
    this.notifyShown();
  }

  visible() {
    return this.variants.filter((p) => p.show);
  }

  // Two variants of the same place, split left / right of a movable line.
  compare(on, left = null, right = null) {
    const scene = this.viewer.cesium.scene;
    this.comparing = on;
    for (const plugin of this.variants) if (plugin.tileset) plugin.tileset.splitDirection = Cesium.SplitDirection.NONE;
    if (on) {
      const shown = this.visible();
      left = left || shown[0] || this.variants[0];
      right = right || this.variants.find((p) => p !== left);
      this.showOnly(left);
      right.setVisible(true);
      right.checkbox.querySelector("input").checked = true;
      this.applyHidden();
      left.tileset.splitDirection = Cesium.SplitDirection.LEFT;
      right.tileset.splitDirection = Cesium.SplitDirection.RIGHT;
      scene.splitPosition = 0.5;
      this.showSlider();
    } else {
      this.hideSlider();
      const first = this.visible()[0] || this.variants[0];
      this.showOnly(first);
    }
    this.compareButton && this.compareButton.setAttribute("aria-pressed", String(on));
    this.notifyShown();
    this.viewer.requestRender();
  }

  showSlider() {
    if (this.slider) return;
    const container = this.viewer.cesium.container;
    const slider = document.createElement("div");
    slider.dataset.testid = "projects-split";
    Object.assign(slider.style, {
      position: "absolute", top: "0", bottom: "0", left: "50%", width: "4px", marginLeft: "-2px",
      background: "rgba(255,255,255,0.9)", cursor: "ew-resize", zIndex: 2,
    });
    let dragging = false;
    slider.addEventListener("pointerdown", (e) => { dragging = true; slider.setPointerCapture(e.pointerId); });
    slider.addEventListener("pointerup", () => { dragging = false; });
    slider.addEventListener("pointermove", (e) => {
      if (!dragging) return;
      const box = container.getBoundingClientRect();
      const fraction = Math.min(0.95, Math.max(0.05, (e.clientX - box.left) / box.width));
      slider.style.left = `${fraction * 100}%`;
      this.viewer.cesium.scene.splitPosition = fraction;
      this.viewer.requestRender();
    });
    container.append(slider);
    this.slider = slider;
  }

  hideSlider() {
    this.slider && this.slider.remove();
    this.slider = null;
  }

  // Whether a picked feature is one of the variants' (the viewer asks before showing a shared link's feature).
  owns(picked) {
    return this.variants.some((plugin) => plugin.owns(picked));
  }

  handlePick(picked, position) {
    for (const plugin of this.variants) {
      if (plugin.owns(picked)) {
        const entries = plugin.attributes(picked);
        this.viewer.showPanel(`${picked.getProperty("project")} — ${picked.getProperty("variant")}`, entries);
        return true;
      }
    }
    return false;
  }

  dispose() {
    this.hideSlider();
    this.compareButton && this.compareButton.remove();
    for (const plugin of this.variants) {
      plugin.dispose();
      if (this.jumeau.layers[plugin.layer.name] === plugin) delete this.jumeau.layers[plugin.layer.name];
    }
    this.variants = [];
  }
}
