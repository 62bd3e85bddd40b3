// Planning projects: one tileset per variant, one shown at a time; planners can compare two side by side.
import { TilesetLayerPlugin } from "./TilesetLayerPlugin.js";

const Cesium = window.Cesium;

export default class ProjectsPlugin {
  static wants(session) {
    return session.layers.some((l) => l.project);
  }

  constructor() {
    this.variants = []; // TilesetLayerPlugin per variant, in session order
    this.comparing = false;
  }

  async init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    const layers = viewer.session.layers.filter((l) => l.project);
    for (const [i, layer] of layers.entries()) {
      const plugin = new TilesetLayerPlugin(layer, { show: i === 0, titleProperty: "variant" });
      try {
        await plugin.init(viewer);
      } catch (err) {
        viewer.setStatus(`${layer.title} : ${err.message}`);
        console.error(`layer ${layer.name}:`, err);
        continue;
      }
      // One variant at a time: ticking one unticks the others (unless comparing).
      plugin.checkbox.querySelector("input").addEventListener("change", (event) => {
        if (event.target.checked && !this.comparing) this.showOnly(plugin);
      });
      jumeau.layers[layer.name] = plugin;
      this.variants.push(plugin);
    }
    if (this.canCompare()) {
      this.compareButton = document.createElement("button");
      this.compareButton.type = "button";
      this.compareButton.textContent = "Comparer les variantes";
      this.compareButton.dataset.testid = "projects-compare";
      this.compareButton.setAttribute("aria-pressed", "false");
      this.compareButton.addEventListener("click", () => this.compare(!this.comparing));
      viewer.addToolbar(this.compareButton, "tools");
    }
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
  }

  visible() {
    return this.variants.filter((p) => p.tileset.show);
  }

  // Two variants of the same place, split left / right of a movable line.
  compare(on, left = null, right = null) {
    const scene = this.viewer.cesium.scene;
    this.comparing = on;
    for (const plugin of this.variants) plugin.tileset.splitDirection = Cesium.SplitDirection.NONE;
    if (on) {
      const shown = this.visible();
      left = left || shown[0] || this.variants[0];
      right = right || this.variants.find((p) => p !== left);
      this.showOnly(left);
      right.setVisible(true);
      right.checkbox.querySelector("input").checked = true;
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
