// The viewer core: one Cesium scene, the session (role, layers), a pick dispatcher, a panel, live layer reloads.
import { fieldLabel, fieldValue } from "./fieldLabels.js";

const Cesium = window.Cesium;

// How many tile requests Cesium keeps in flight to our own server, and how many waiting ones it sorts each frame.
// Its defaults (18 per server, 20 sorted) send the rest a frame later: a street view to the horizon of a
// 100,000-building city wants 44 tiles at once and got them in three waves, one slow frame apart. Tiles and
// terrain are static files from this origin (nginx, or the app in the demo); the browser's connection pool
// queues the rest without waiting for a frame. bench/tiles_view.py calls raiseRequestLimits and records the JSON
// between the markers.
export const REQUEST_LIMITS = /* request-limits */ {"perServer": 64, "priorityHeapLength": 64} /* end request-limits */;

export function raiseRequestLimits(url = window.location.href, limits = REQUEST_LIMITS) {
  const scheduler = Cesium.RequestScheduler;
  scheduler.requestsByServer[scheduler.getServerKey(url)] = limits.perServer;
  scheduler.priorityHeapLength = Math.max(scheduler.priorityHeapLength, limits.priorityHeapLength);
  scheduler.maximumRequests = Math.max(scheduler.maximumRequests, limits.perServer);
}

// The property that names a feature in a shared link, first found wins; else Cesium's feature id in its tile.
const FEATURE_ID_PROPERTIES = ["source_id", "id", "gml_id"];

export function featureId(feature) {
  for (const name of FEATURE_ID_PROPERTIES) {
    const value = feature.getProperty(name);
    if (value !== undefined && value !== null && value !== "") return String(value);
  }
  return null;
}

export class Viewer {
  constructor(container, session, shell = null) {
    this.container = container;
    this.session = session;
    this.shell = shell; // core/Shell.js: where controls and results go (none in a bare test page)
    this.plugins = [];
    this.tilesetLayers = new Map(); // layer name -> the plugin showing it, reloaded when a new build is published
    this.cesium = null;
    // Resolves once the globe has drawn its first complete frame: until then the page says it is loading.
    this.firstRender = new Promise((resolve) => { this._firstRendered = resolve; });
    // Raised when the attribute panel closes, whoever closed it (its × button, or a click on empty ground).
    this.panelClosed = new Cesium.Event();
    // The picked feature a shared link names ({layer, id}, or null), raised whenever it changes.
    this.selection = null;
    this.selectionChanged = new Cesium.Event();
    // A tool that takes the map's clicks for itself (a measurement, a clipping box): one at a time; the one it
    // replaces is told through its `release` callback, so two tools never both think they own the next click.
    this.pickCapture = null;
  }

  // The scene, its camera at home and its pick handler at once; the ground (terrain, then the shaded relief) comes
  // in `this.ground`. Layers need only the scene: the buildings load while the terrain does, not after it.
  create() {
    // On-premise: no ion, no CDN; imagery ships with Cesium and terrain comes from our own tiles.
    Cesium.Ion.defaultAccessToken = "";
    raiseRequestLimits();
    const baseLayer = Cesium.ImageryLayer.fromProviderAsync(
      Cesium.TileMapServiceImageryProvider.fromUrl(Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"))
    );
    this.cesium = new Cesium.Viewer(this.container, {
      baseLayer,
      baseLayerPicker: false,
      geocoder: false,
      homeButton: false,
      sceneModePicker: false,
      navigationHelpButton: false,
      animation: false,
      timeline: false,
      fullscreenButton: false,
      infoBox: false,
      selectionIndicator: false,
      requestRenderMode: true,
      maximumRenderTimeChange: Infinity,
      // The star box is six images (0.9 MB) behind a street view that shows the sky's colour anyway: the
      // atmosphere draws that colour from a shader, with nothing to download. Its moon goes with it.
      skyBox: false,
    });
    const scene = this.cesium.scene;
    scene.globe.baseColor = Cesium.Color.fromCssColorString("#1d4e6e");
    scene.globe.depthTestAgainstTerrain = true;
    scene.skyAtmosphere.show = true;
    // Without a star box Cesium draws no sun either; the sun's disc is drawn by a shader (nothing to fetch) and
    // shows where the light of the shadow tools comes from. The moon's texture stays unfetched.
    scene.sun = new Cesium.Sun();
    this.cesium.cesiumWidget.creditContainer.style.display = "none";
    this.home();
    this.pickHandler = new Cesium.ScreenSpaceEventHandler(scene.canvas);
    this.pickHandler.setInputAction((event) => this.dispatchPick(event.position), Cesium.ScreenSpaceEventType.LEFT_CLICK);
    document.getElementById("panel-close").addEventListener("click", () => this.hidePanel());
    this.ground = this.addGround();
    return this;
  }

  async init() {
    this.create();
    await this.ground;
    return this;
  }

  // Terrain and shaded relief fetched side by side; a failure rejects `ground` (the page then offers a reload).
  async addGround() {
    const scene = this.cesium.scene;
    const terrain = this.layer("terrain");
    const terrainProvider = terrain
      ? Cesium.CesiumTerrainProvider.fromUrl(terrain.url, { requestVertexNormals: true })
      : null;
    const [provider] = await Promise.all([terrainProvider, this.addBasemap()]);
    if (provider) scene.terrainProvider = provider;
    // "Drawn" means on the city's own ground: the plain ellipsoid drawn while the terrain loads does not count.
    const watchFirstRender = () => {
      if (!scene.globe.tilesLoaded) return;
      scene.postRender.removeEventListener(watchFirstRender);
      this._firstRendered();
    };
    scene.postRender.addEventListener(watchFirstRender);
    this.requestRender();
  }

  async addBasemap() {
    // The city's own shaded relief, drawn from its DEM: the sea and the land read at street scale.
    const basemap = this.layer("basemap");
    if (!basemap) return;
    const base = basemap.url.replace(/basemap\.json$/, "");
    const meta = await (await fetch(basemap.url)).json();
    const rectangle = Cesium.Rectangle.fromDegrees(...meta.rectangle);
    const provider = await Cesium.SingleTileImageryProvider.fromUrl(base + meta.url, { rectangle });
    this.basemapLayer = this.cesium.imageryLayers.addImageryProvider(provider);
  }

  layer(name) {
    return this.session.layers.find((l) => l.name === name);
  }

  home(duration = 0) {
    const h = this.session.home;
    this.cesium.camera.flyTo({
      destination: Cesium.Cartesian3.fromDegrees(h.lon, h.lat, h.height),
      orientation: { heading: Cesium.Math.toRadians(h.heading), pitch: Cesium.Math.toRadians(h.pitch), roll: 0 },
      duration,
    });
  }

  async use(plugin, jumeau = window.jumeau) {
    this.plugins.push(plugin);
    try {
      await plugin.init(this, jumeau);
    } catch (err) {
      // A plugin that did not start must not be asked to pick; a retry adds a fresh one.
      this.plugins = this.plugins.filter((p) => p !== plugin);
      throw err;
    }
    this.requestRender();
    return plugin;
  }

  registerLayer(plugin) {
    this.tilesetLayers.set(plugin.layer.name, plugin);
  }

  unregisterLayer(plugin) {
    if (this.tilesetLayers.get(plugin.layer.name) === plugin) this.tilesetLayers.delete(plugin.layer.name);
  }

  // A build of `name` was published (core/LayerUpdates.js). Terrain and basemap are not reloaded in place:
  // Cesium would rebuild the whole globe; they show their new build on the next page load.
  layerPublished(name, version) {
    const plugin = this.tilesetLayers.get(name);
    if (plugin && (!plugin.version || version > plugin.version)) return plugin.reload(version);
    return null;
  }

  // `owner` gets every click on the map (its window position) until it or another tool releases them.
  capturePicks(owner, onClick, release = () => {}) {
    if (this.pickCapture && this.pickCapture.owner !== owner) this.pickCapture.release();
    this.pickCapture = { owner, onClick, release };
  }

  releasePicks(owner) {
    if (this.pickCapture && this.pickCapture.owner === owner) this.pickCapture = null;
  }

  dispatchPick(position) {
    if (this.pickCapture) {
      this.pickCapture.onClick(position);
      return true;
    }
    const picked = this.cesium.scene.pick(position);
    for (const plugin of this.plugins) {
      if (plugin.handlePick && plugin.handlePick(picked, position)) {
        this.select(this.describeFeature(picked));
        return true;
      }
    }
    this.hidePanel();
    return false;
  }

  // {layer, id} of a picked tile feature of a known layer, else null (a bus, a walk, empty ground).
  describeFeature(picked) {
    if (!(picked instanceof Cesium.Cesium3DTileFeature)) return null;
    for (const [name, plugin] of this.tilesetLayers) {
      if (plugin.tileset === picked.tileset) {
        const id = featureId(picked);
        return id === null ? null : { layer: name, id };
      }
    }
    return null;
  }

  select(selection) {
    const same = JSON.stringify(selection) === JSON.stringify(this.selection);
    this.selection = selection;
    if (!same) this.selectionChanged.raiseEvent(selection);
  }

  // A shared link's feature: found among the loaded tiles of its layer and picked as if tapped.
  // False while it is not loaded (the caller waits for the layer's tiles and asks again).
  pickFeature(layer, id) {
    const plugin = this.tilesetLayers.get(layer);
    if (!plugin || !plugin.tileset || !plugin.tileset.root) return false;
    const stack = [plugin.tileset.root];
    while (stack.length) {
      const tile = stack.pop();
      stack.push(...tile.children);
      const content = tile.contentReady ? tile.content : null;
      if (!content || !content.featuresLength) continue;
      for (let i = 0; i < content.featuresLength; i += 1) {
        const feature = content.getFeature(i);
        if (featureId(feature) !== id) continue;
        // As a tap would, but only by the plugins that show a feature: a tool waiting for a tap on the map (the
        // balcony) needs the tap's position, which a link does not have.
        for (const candidate of this.plugins) {
          if (!candidate.handlePick || !candidate.owns || !candidate.owns(feature)) continue;
          if (candidate.handlePick(feature, null)) {
            this.select({ layer, id });
            return true;
          }
        }
      }
    }
    return false;
  }

  // `redraw` (optional) shows the same panel again: after a language switch an open panel is rebuilt by its
  // plugin in the new language, instead of staying in the old one.
  showPanel(title, entries, redraw = null) {
    this.panelRedraw = redraw;
    if (!this.relabelHeard) {
      this.relabelHeard = true;
      document.addEventListener("jumeau:relabel", () => {
        if (this.panelRedraw && !document.getElementById("panel").hidden) this.panelRedraw();
      });
    }
    const panel = document.getElementById("panel");
    document.getElementById("panel-title").textContent = title;
    if (this.shell) this.shell.revealPanel();
    const body = document.getElementById("panel-body");
    body.replaceChildren();
    for (const [key, value] of entries) {
      const dt = document.createElement("dt");
      dt.textContent = fieldLabel(key);
      const dd = document.createElement("dd");
      if (value instanceof Node) dd.append(value);
      else dd.textContent = fieldValue(key, value);
      dd.dataset.key = key;
      // The value as the tiles hold it (a code, a number with all its decimals): what a test or a copy compares.
      if (value !== null && value !== undefined && !(value instanceof Node)) dd.dataset.value = String(value);
      body.append(dt, dd);
    }
    panel.hidden = false;
  }

  hidePanel() {
    const panel = document.getElementById("panel");
    if (panel.hidden) return;
    panel.hidden = true;
    this.panelRedraw = null;
    this.select(null);
    this.panelClosed.raiseEvent();
  }

  setStatus(text) {
    document.getElementById("status").textContent = text;
  }

  // A plugin's control: "layers" (a layer's checkbox goes to its kind's group) or "tools".
  addToolbar(element, where = "layers") {
    if (this.shell) this.shell.place(element, { where });
    else document.getElementById(where).append(element);
  }

  // A control in a named place: `group` one of the layer groups (core/Shell.js GROUPS) or "tools";
  // `label` its accessible name when it shows no text of its own (an icon).
  addControl(element, { group = "tools", label = null } = {}) {
    if (this.shell) return this.shell.place(element, { group, label });
    if (label && !element.textContent.trim()) element.setAttribute("aria-label", label);
    document.getElementById(group === "tools" ? "tools" : "layers").append(element);
    return element;
  }

  requestRender() {
    if (this.cesium) this.cesium.scene.requestRender();
  }

  dispose() {
    this.updates && this.updates.dispose();
    for (const plugin of this.plugins.reverse()) plugin.dispose && plugin.dispose();
    this.plugins = [];
    this.pickHandler && this.pickHandler.destroy();
    this.cesium && this.cesium.destroy();
  }
}
