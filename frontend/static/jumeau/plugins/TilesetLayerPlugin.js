// A 3D Tiles layer with a checkbox, its load state, feature picking that shows attributes, and live reloads.
import { addResources, live, t } from "../core/i18n.js";
import { layerTitle } from "../core/layerTitle.js";
import { clearNotice, showError } from "../core/notices.js";

const Cesium = window.Cesium;

addResources("tileset", {
  fr: {
    partFailed: "{{title}} : une partie de la couche n'a pas pu être chargée. {{reason}}",
    reloadFailed: "{{title}} : la couche n'a pas pu être rechargée. {{reason}}",
  },
  en: {
    partFailed: "{{title}}: part of the layer could not be loaded. {{reason}}",
    reloadFailed: "{{title}}: the layer could not be loaded again. {{reason}}",
  },
});

// Cesium3DTileset options by layer name (others take "default"). Kept as plain JSON between the markers:
// bench/tiles_view.py reads it, so the benchmark loads the buildings exactly as the app does.
// The buildings tileset refines by REPLACE (parents of the largest buildings, tiles/lod.py): skipping levels
// of detail fetches only the tiles the view wants, not every ancestor on the way down; ancestors already
// loaded still stand in while a closer view loads. bench/tiles_view.py, 100,000 buildings, against loading the
// ancestors first: street 52 requests / 5.6 MB instead of 69 / 10.0; block 6 / 0.65 MB instead of 16 / 3.6.
// dynamicScreenSpaceError is already Cesium's default.
// No dynamic environment map on the buildings: each tileset renders the sky into a cube map over several frames,
// reads it back (a GPU stall), then rebuilds the draw commands and shaders of every tile it has loaded. A street
// view of a 100,000-building city spent ~2.5 s in that rebuild of 44 tiles on a software GPU
// (bench/tiles_view.py). Without it the buildings show their style's colours under the sun and Cesium's default
// sky light, instead of a grey-blue sky reflection.
// Buildings refine at Cesium's default 16 px: at 8 px a street-level view towards the horizon of a
// 100,000-building city drew every building within ~4 km (19 s, 21 MB); at 16 px, 4.5 s and 11 MB.
export const TILESET_OPTIONS = /* tileset-options */ {
  "default": {"maximumScreenSpaceError": 8},
  "buildings": {"maximumScreenSpaceError": 16, "skipLevelOfDetail": true, "baseScreenSpaceError": 1024,
                "skipScreenSpaceErrorFactor": 16, "skipLevels": 1, "loadSiblings": false,
                "immediatelyLoadDesiredLevelOfDetail": true, "environmentMapOptions": {"enabled": false}}
} /* end tileset-options */;

export function tilesetOptions(name) {
  return { ...(TILESET_OPTIONS[name] || TILESET_OPTIONS.default) };
}

export class TilesetLayerPlugin {
  constructor(layer, { style = null, show = true, titleProperty = "name" } = {}) {
    this.layer = layer;
    this.style = style;
    this.show = show;
    this.titleProperty = titleProperty;
    this.tileset = null;
    this.version = null; // the build shown
    this.wanted = null;
    this.reloading = null;
    this.lastReload = null;
    this.disposed = false;
    this.loaded = false;
    this.errors = [];
  }

  async init(viewer) {
    this.viewer = viewer;
    // /api/session/ read it before the tileset is fetched: never newer than what loads (at worst, one reload more).
    this.version = this.layer.version || null;
    this.tileset = await this.load(this.layer.url);
    if (this.style) this.tileset.style = new Cesium.Cesium3DTileStyle(this.style);
    this.tileset.show = this.show;
    viewer.cesium.scene.primitives.add(this.tileset);
    // Render on demand draws a frame when asked, and tiles still being processed (their glTF turned into draw
    // commands) ask for none: without frames the first tiles waited for an unrelated one (the terrain's arrival).
    if (this.show) this.firstView(this.tileset);
    this.checkbox = this.makeCheckbox();
    viewer.addToolbar(this.checkbox);
    viewer.registerLayer(this);
  }

  async load(url) {
    const tileset = await Cesium.Cesium3DTileset.fromUrl(url, tilesetOptions(this.layer.name));
    tileset.tileFailed.addEventListener((e) => this.tileFailed(e));
    tileset.allTilesLoaded.addEventListener(() => { this.loaded = true; });
    return tileset;
  }

  // Cesium does not ask again for a tile that failed: without a word, part of the layer would stay missing.
  tileFailed(event) {
    this.errors.push(`${event.url}: ${event.message}`);
    console.error(`layer ${this.layer.name}: tile ${event.url}: ${event.message}`);
    showError(`tiles-${this.layer.name}`, (reason) => t("tileset:partFailed", { title: layerTitle(this.layer), reason }),
      event.message, () => this.retry());
  }

  // The user's "Réessayer": the same build from scratch (tileset.json and every tile), shown as last chosen.
  async retry() {
    const old = this.tileset;
    this.loaded = false;
    this.errors = [];
    try {
      const url = this.version ? `${this.layer.url}${this.layer.url.includes("?") ? "&" : "?"}v=${encodeURIComponent(this.version)}`
        : this.layer.url;
      const next = await this.load(url);
      next.style = old ? old.style : (this.style ? new Cesium.Cesium3DTileStyle(this.style) : undefined);
      next.show = old ? old.show : this.show;
      if (old) next.splitDirection = old.splitDirection;
      if (old) this.viewer.cesium.scene.primitives.remove(old);
      this.tileset = next;
      this.viewer.cesium.scene.primitives.add(next);
      clearNotice(`tiles-${this.layer.name}`);
    } catch (err) {
      console.error(`layer ${this.layer.name} (${this.layer.url}):`, err);
      showError(`tiles-${this.layer.name}`, (reason) => t("tileset:reloadFailed", { title: layerTitle(this.layer), reason }),
        err, () => this.retry());
    }
    this.viewer.requestRender();
  }

  // A new build of the layer was published (core/LayerUpdates.js). Reloads run one at a time; a build announced
  // meanwhile is loaded next, and older or equal versions (a repeated snapshot) are ignored: versions sort in
  // build order (tiles/publish.py new_version).
  reload(version) {
    if (!this.wanted || version > this.wanted) this.wanted = version;
    if (!this.reloading) {
      this.reloading = this.catchUp().finally(() => { this.reloading = null; });
    }
    return this.reloading;
  }

  async catchUp() {
    while (this.wanted && (!this.version || this.wanted > this.version)) {
      const version = this.wanted;
      try {
        await this.swapTo(version);
      } catch (err) {
        // The old build keeps showing; the next snapshot (a reconnection) or build tries again.
        this.errors.push(`reload of ${this.layer.name} @${version}: ${err.message}`);
        console.error(`reload of layer ${this.layer.name}:`, err);
        this.wanted = this.version;
        return;
      }
      this.version = version;
    }
  }

  // In place: a new tileset from the same URL (the version in the query keeps the browser's cached tileset.json
  // out, and content URIs name their immutable build), shown beside the old one until it has loaded the current
  // view, then the old one goes. Style, visibility and split carry over; the camera is not touched.
  async swapTo(version) {
    const scene = this.viewer.cesium.scene;
    const old = this.tileset;
    const url = `${this.layer.url}${this.layer.url.includes("?") ? "&" : "?"}v=${encodeURIComponent(version)}`;
    // performance.now() of each step, for the status and the browser test: asked, tileset in the scene, shown.
    const reload = { version, askedAt: performance.now(), addedAt: null, shownAt: null };
    this.lastReload = reload;
    const next = await this.load(url);
    next.style = old.style;
    next.show = old.show;
    next.splitDirection = old.splitDirection;
    scene.primitives.add(next);
    reload.addedAt = performance.now();
    if (next.show) await this.firstView(next);
    if (this.disposed) {
      scene.primitives.remove(next);
      return;
    }
    // Again: the checkbox, a style button or the comparison may have changed the old one meanwhile.
    next.style = old.style;
    next.show = old.show;
    next.splitDirection = old.splitDirection;
    this.tileset = next;
    reload.shownAt = performance.now();
    scene.primitives.remove(old); // the collection destroys it
    this.viewer.requestRender();
  }

  firstView(tileset, timeoutMs = 30000) {
    // requestRenderMode draws only on demand: keep asking for frames, they are what loads tiles.
    return new Promise((resolve) => {
      const started = performance.now();
      const tick = setInterval(() => {
        this.viewer.requestRender();
        if (tileset.tilesLoaded || tileset.isDestroyed() || performance.now() - started > timeoutMs) done();
      }, 50);
      const done = () => {
        clearInterval(tick);
        resolve();
      };
      tileset.initialTilesLoaded.addEventListener(done);
    });
  }

  makeCheckbox() {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.checked = this.show;
    input.dataset.layer = this.layer.name;
    input.addEventListener("change", () => this.setVisible(input.checked));
    const text = live(document.createElement("span"), (el) => { el.textContent = layerTitle(this.layer); });
    label.append(input, " ", text);
    return label;
  }

  setVisible(visible) {
    this.show = visible;
    if (!this.tileset) return;
    this.tileset.show = visible;
    this.viewer.requestRender();
  }

  owns(picked) {
    return picked instanceof Cesium.Cesium3DTileFeature && !!this.tileset && picked.tileset === this.tileset;
  }

  attributes(feature) {
    return feature.getPropertyIds().map((id) => [id, feature.getProperty(id)]);
  }

  handlePick(picked) {
    if (!this.owns(picked)) return false;
    const entries = this.attributes(picked);
    const title = picked.getProperty(this.titleProperty) || picked.getProperty("source_id") || layerTitle(this.layer);
    this.viewer.showPanel(String(title), entries, () => this.handlePick(picked));
    return true;
  }

  dispose() {
    this.disposed = true;
    this.viewer.unregisterLayer(this);
    if (this.tileset) this.viewer.cesium.scene.primitives.remove(this.tileset);
    this.checkbox && this.checkbox.remove();
  }
}
