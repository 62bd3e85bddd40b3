// A 3D Tiles layer with a checkbox, its load state and feature picking that shows attributes.
import { describeError } from "../core/http.js";
import { clearNotice, showNotice } from "../core/notices.js";

const Cesium = window.Cesium;

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
    this.loaded = false;
    this.errors = [];
  }

  async init(viewer) {
    this.viewer = viewer;
    await this.load();
    this.checkbox = this.makeCheckbox();
    viewer.addToolbar(this.checkbox);
  }

  async load() {
    this.tileset = await Cesium.Cesium3DTileset.fromUrl(this.layer.url, tilesetOptions(this.layer.name));
    if (this.style) this.tileset.style = new Cesium.Cesium3DTileStyle(this.style);
    this.tileset.show = this.show;
    this.tileset.tileFailed.addEventListener((e) => this.tileFailed(e));
    this.tileset.allTilesLoaded.addEventListener(() => { this.loaded = true; });
    this.viewer.cesium.scene.primitives.add(this.tileset);
  }

  // Cesium does not ask again for a tile that failed: without a word, part of the layer would stay missing.
  tileFailed(event) {
    this.errors.push(`${event.url}: ${event.message}`);
    console.error(`layer ${this.layer.name}: tile ${event.url}: ${event.message}`);
    showNotice(`tiles-${this.layer.name}`,
      `${this.layer.title} : une partie de la couche n'a pas pu être chargée. ${describeError(event.message)}`,
      () => this.reload());
  }

  // The same layer from scratch (tileset.json and every tile), shown as the user last chose.
  async reload() {
    if (this.tileset) this.viewer.cesium.scene.primitives.remove(this.tileset);
    this.tileset = null;
    this.loaded = false;
    this.errors = [];
    try {
      await this.load();
      clearNotice(`tiles-${this.layer.name}`);
    } catch (err) {
      console.error(`layer ${this.layer.name} (${this.layer.url}):`, err);
      showNotice(`tiles-${this.layer.name}`,
        `${this.layer.title} : la couche n'a pas pu être rechargée. ${describeError(err)}`, () => this.reload());
    }
    this.viewer.requestRender();
  }

  makeCheckbox() {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.checked = this.show;
    input.dataset.layer = this.layer.name;
    input.addEventListener("change", () => this.setVisible(input.checked));
    label.append(input, " ", this.layer.title);
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
    const title = picked.getProperty(this.titleProperty) || picked.getProperty("source_id") || this.layer.title;
    this.viewer.showPanel(String(title), entries);
    return true;
  }

  dispose() {
    if (this.tileset) this.viewer.cesium.scene.primitives.remove(this.tileset);
    this.checkbox && this.checkbox.remove();
  }
}
