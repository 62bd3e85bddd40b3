// A 3D Tiles layer with a checkbox, its load state and feature picking that shows attributes.
const Cesium = window.Cesium;

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
    this.tileset = await Cesium.Cesium3DTileset.fromUrl(this.layer.url, { maximumScreenSpaceError: 8 });
    if (this.style) this.tileset.style = new Cesium.Cesium3DTileStyle(this.style);
    this.tileset.show = this.show;
    this.tileset.tileFailed.addEventListener((e) => this.errors.push(`${e.url}: ${e.message}`));
    this.tileset.allTilesLoaded.addEventListener(() => { this.loaded = true; });
    viewer.cesium.scene.primitives.add(this.tileset);
    this.checkbox = this.makeCheckbox();
    viewer.addToolbar(this.checkbox);
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
    this.tileset.show = visible;
    this.viewer.requestRender();
  }

  owns(picked) {
    return picked instanceof Cesium.Cesium3DTileFeature && picked.tileset === this.tileset;
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
