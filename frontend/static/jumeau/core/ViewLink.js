// The shareable link: the URL hash follows the camera, the visible layers, the picked feature and the open tool,
// and a page opened on such a link shows the same view. Written with history.replaceState, a moment after the
// last change: moving the map fills no history and costs no navigation.
import { decodeView, encodeView } from "./viewState.js";

const Cesium = window.Cesium;
const WRITE_DELAY_MS = 400;

export class ViewLink {
  constructor(viewer, { root = document } = {}) {
    this.viewer = viewer;
    this.root = root;
    this.read = window.location.hash;
    this.wanted = decodeView(this.read);
    this._timer = null;
    this._listeners = [];
  }

  // Before any layer loads: tiles are fetched for the shared view, not for the home view first.
  restoreCamera() {
    const c = this.wanted.camera;
    if (!c) return false;
    this.viewer.cesium.camera.setView({
      destination: Cesium.Cartesian3.fromDegrees(c.lon, c.lat, c.height),
      orientation: { heading: Cesium.Math.toRadians(c.heading), pitch: Cesium.Math.toRadians(c.pitch), roll: 0 },
    });
    this.viewer.requestRender();
    return true;
  }

  layerInputs() {
    return [...this.root.querySelectorAll("#layers input[data-layer]")];
  }

  toolControls() {
    return [...this.root.querySelectorAll("#tools [data-tool]")];
  }

  // Once every plugin has put its controls up: the layers, then the tool; the picked feature comes when its
  // tile has loaded (this.picking resolves then).
  restoreRest() {
    const { layers, tool, pick } = this.wanted;
    if (layers) {
      // A click, as a person would: each plugin's own rules run (one variant at a time, the networks' ground).
      for (const input of this.layerInputs()) {
        if (input.checked !== layers.includes(input.dataset.layer)) input.click();
      }
    }
    if (tool) {
      const control = this.toolControls().find((c) => c.dataset.tool === tool);
      if (control && control.getAttribute("aria-pressed") !== "true") control.click();
    }
    this.picking = pick ? this.restorePick(pick) : Promise.resolve(false);
  }

  // The feature is in a tile of the shared view: looked for each time the layer loads tiles, for up to two
  // minutes (a phone on a slow network), then given up with a word in the console.
  restorePick({ layer, id }, patienceMs = 120000) {
    const plugin = this.viewer.tilesetLayers.get(layer);
    if (!plugin || !plugin.tileset) return Promise.resolve(false);
    return new Promise((resolve) => {
      const tileset = plugin.tileset;
      let done = false;
      const finish = (found) => {
        if (done) return;
        done = true;
        removeLoad();
        removeAll();
        clearInterval(timer);
        clearTimeout(giveUp);
        if (!found) console.warn(`shared link: feature ${id} of ${layer} was not found in the view`);
        resolve(found);
      };
      const tryNow = () => {
        if (!done && this.viewer.pickFeature(layer, id)) finish(true);
      };
      const removeLoad = tileset.tileLoad.addEventListener(() => setTimeout(tryNow, 0));
      const removeAll = tileset.allTilesLoaded.addEventListener(tryNow);
      // Tiles load when a frame asks for them, and this render mode draws only on request.
      const timer = setInterval(() => { this.viewer.requestRender(); tryNow(); }, 500);
      const giveUp = setTimeout(() => finish(false), patienceMs);
      tryNow();
    });
  }

  current() {
    const camera = this.viewer.cesium.camera;
    const carto = camera.positionCartographic;
    const tool = this.toolControls().find((c) => c.getAttribute("aria-pressed") === "true");
    return {
      camera: {
        lon: Cesium.Math.toDegrees(carto.longitude),
        lat: Cesium.Math.toDegrees(carto.latitude),
        height: carto.height,
        heading: Cesium.Math.toDegrees(Cesium.Math.zeroToTwoPi(camera.heading)),
        pitch: Cesium.Math.toDegrees(camera.pitch),
      },
      layers: this.layerInputs().filter((i) => i.checked).map((i) => i.dataset.layer),
      pick: this.viewer.selection,
      tool: tool ? tool.dataset.tool : null,
    };
  }

  write() {
    this._timer = null;
    const hash = `#${encodeView(this.current())}`;
    if (hash !== window.location.hash) window.history.replaceState(null, "", hash);
  }

  schedule() {
    if (this._timer) clearTimeout(this._timer);
    this._timer = setTimeout(() => this.write(), WRITE_DELAY_MS);
  }

  // From now on the link follows the view.
  follow() {
    const schedule = () => this.schedule();
    const camera = this.viewer.cesium.camera;
    camera.percentageChanged = 0.01;
    this._listeners.push(camera.changed.addEventListener(schedule));
    this._listeners.push(camera.moveEnd.addEventListener(schedule));
    this._listeners.push(this.viewer.selectionChanged.addEventListener(schedule));
    const sheet = this.root.getElementById("toolbar");
    sheet.addEventListener("change", schedule);
    sheet.addEventListener("click", schedule);
    // A link pasted into this open tab changes the hash without loading the page (so does one followed while it
    // was starting): shown as a fresh page would show it. replaceState, which writes the link, fires no hashchange.
    const pasted = () => this.showLink();
    window.addEventListener("hashchange", pasted);
    this._listeners.push(() => window.removeEventListener("hashchange", pasted));
    if (window.location.hash !== this.read) this.showLink();
    this.write();
    return this;
  }

  showLink() {
    this.read = window.location.hash;
    this.wanted = decodeView(this.read);
    this.restoreCamera();
    this.restoreRest();
  }

  dispose() {
    for (const remove of this._listeners) remove();
    if (this._timer) clearTimeout(this._timer);
  }
}
