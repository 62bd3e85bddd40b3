// The WebXR viewer: the twin's own tilesets (terrain, buildings, networks) in three.js around a street position;
// entering AR/VR only swaps the camera, as 3DTilesRendererJS example/three/vr.js does. A pick (a click, or a
// controller's trigger in a headset) shows a pipe's attributes; a legend names the networks' colours.
import {
  AmbientLight, BufferGeometry, Color, DirectionalLight, Group, HemisphereLight, Line, LineBasicMaterial, MathUtils,
  PerspectiveCamera, Raycaster, Scene, Vector2, Vector3, WebGLRenderer,
} from "three";
import { TilesRenderer } from "3d-tiles-renderer";
import { GLTFExtensionsPlugin, QuantizedMeshPlugin, ReorientationPlugin } from "3d-tiles-renderer/plugins";
import { groundHeight } from "./groundHeight.js";
import { describe, featureAt } from "./networkPick.js";
import { XRPanel } from "./XRPanel.js";
import { NETWORK_COLOURS, networkCss } from "../core/networkColours.js";

const EYE_HEIGHT_M = 1.7;
// Both kinds of immersive session, in the order the page offers them. In AR (passthrough) the real street
// replaces the model's ground and façades: only the networks are drawn over it.
export const XR_MODES = ["immersive-vr", "immersive-ar"];
const HIDDEN_IN_AR = ["terrain", "buildings"];
const CLICK_SLOP_PX = 6;
const RAY_LENGTH_M = 30;
// Layers the XR viewer shows, in drawing order; networks are the reason it exists.
const LAYERS = [
  { name: "terrain", url: "/tiles/terrain/", kind: "terrain" },
  { name: "buildings", url: "/tiles/buildings/tileset.json", kind: "3dtiles" },
  { name: "networks", url: "/tiles/networks/tileset.json", kind: "3dtiles" },
];

export class XRViewer {
  constructor(container, session, { lon, lat, eyeHeight = EYE_HEIGHT_M } = {}) {
    this.container = container;
    this.session = session;
    this.lon = lon;
    this.lat = lat;
    this.eyeHeight = eyeHeight;
    this.layers = {}; // name -> { tiles, models, errors }
    this.messages = [];
    this.xrSession = null;
    this.mode = null;
    this.groundY = null;
    this.yaw = 0;
    this.pitch = MathUtils.degToRad(-35);
    this.picked = null; // { title, entries } of the last network feature picked
    this.raycaster = new Raycaster();
  }

  async init() {
    const renderer = new WebGLRenderer({ antialias: true, alpha: true });
    renderer.setPixelRatio(window.devicePixelRatio);
    renderer.setSize(this.container.clientWidth, this.container.clientHeight);
    renderer.xr.enabled = true;
    renderer.xr.setReferenceSpaceType("local-floor");
    this.container.append(renderer.domElement);
    this.renderer = renderer;

    this.scene = new Scene();
    this.scene.background = new Color(0x9ec5e8);
    this.scene.add(new HemisphereLight(0xffffff, 0x665544, 1.6));
    this.scene.add(new AmbientLight(0xffffff, 0.3));
    const sun = new DirectionalLight(0xffffff, 1.6);
    sun.position.set(300, 800, 200);
    this.scene.add(sun);

    // The rig is where the user stands (on the ground); the headset moves the camera inside it.
    this.rig = new Group();
    this.camera = new PerspectiveCamera(70, this.aspect(), 0.05, 6000);
    this.camera.position.set(0, this.eyeHeight, 0);
    this.rig.add(this.camera);
    this.scene.add(this.rig);
    this.applyLook();

    // The origin of every layer's frame is the ground under the user (ellipsoidal height from our own terrain).
    try {
      this.groundHeight = (await groundHeight(this.lon, this.lat)) ?? 0;
    } catch (err) {
      this.groundHeight = 0;
      this.say(`Terrain : ${err.message}`);
    }
    this.groundY = 0;
    for (const spec of LAYERS) await this.addLayer(spec);
    this.bindLook();
    this.addPanels();
    this.addControllers();
    window.addEventListener("resize", () => this.resize());
    renderer.setAnimationLoop((time, frame) => this.frame(time, frame));
    return this;
  }

  aspect() {
    return Math.max(1, this.container.clientWidth) / Math.max(1, this.container.clientHeight);
  }

  say(text) {
    this.messages.push(text);
    const box = document.getElementById("xr-messages");
    if (box) {
      const line = document.createElement("p");
      line.textContent = text;
      box.append(line);
    }
  }

  // Every layer is asked for first: a 403 (networks for a citizen) or a missing layer becomes a message, not a crash.
  async addLayer(spec) {
    const probe = spec.kind === "terrain" ? `${spec.url}layer.json` : spec.url;
    let response;
    try {
      response = await fetch(probe, { credentials: "same-origin" });
    } catch (err) {
      this.say(`${spec.name} : ${err.message}`);
      return;
    }
    if (response.status === 403) {
      this.say(spec.name === "networks"
        ? "Réseaux enterrés : réservés aux urbanistes et agents de terrain. Connectez-vous avec un compte habilité."
        : `${spec.name} : accès refusé.`);
      return;
    }
    if (!response.ok) {
      this.say(`${spec.name} : pas encore publié (${response.status}).`);
      return;
    }
    const tiles = new TilesRenderer(spec.url);
    if (spec.kind === "terrain") tiles.registerPlugin(new QuantizedMeshPlugin({}));
    else tiles.registerPlugin(new GLTFExtensionsPlugin({ metadata: true }));
    // Every layer gets the same frame: the street position at the origin, the local vertical as +Y.
    tiles.registerPlugin(new ReorientationPlugin({
      lat: MathUtils.degToRad(this.lat), lon: MathUtils.degToRad(this.lon), height: this.groundHeight, recenter: true,
    }));
    tiles.fetchOptions.credentials = "same-origin";
    tiles.setCamera(this.camera);
    tiles.setResolutionFromRenderer(this.camera, this.renderer);
    const layer = { tiles, models: 0, errors: [] };
    tiles.addEventListener("load-model", ({ scene }) => {
      layer.models += 1;
      if (spec.name === "terrain") this.seeThrough(scene);
    });
    tiles.addEventListener("load-error", ({ error, url }) => {
      layer.errors.push(`${url}: ${error && error.message}`);
    });
    this.scene.add(tiles.group);
    this.layers[spec.name] = layer;
  }

  // The ground is drawn see-through so that the pipes under the street show.
  seeThrough(scene) {
    scene.traverse((object) => {
      if (!object.material) return;
      object.material.transparent = true;
      object.material.opacity = 0.45;
      object.material.depthWrite = false;
    });
  }

  bindLook() {
    let last = null;
    let down = null;
    const el = this.renderer.domElement;
    el.addEventListener("pointerdown", (e) => {
      last = down = [e.clientX, e.clientY];
      el.setPointerCapture(e.pointerId);
    });
    el.addEventListener("pointerup", (e) => {
      // A press that did not drag the view is a pick.
      if (down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) < CLICK_SLOP_PX) this.pickAtPointer(e);
      last = down = null;
    });
    el.addEventListener("pointermove", (e) => {
      if (!last || this.xrSession) return;
      this.yaw -= (e.clientX - last[0]) * 0.005;
      this.pitch = MathUtils.clamp(this.pitch - (e.clientY - last[1]) * 0.005, -1.5, 1.2);
      last = [e.clientX, e.clientY];
      this.applyLook();
    });
  }

  applyLook() {
    this.camera.rotation.set(this.pitch, this.yaw, 0, "YXZ");
  }

  resize() {
    this.camera.aspect = this.aspect();
    this.camera.updateProjectionMatrix();
    this.renderer.setSize(this.container.clientWidth, this.container.clientHeight);
    for (const { tiles } of Object.values(this.layers)) tiles.setResolutionFromRenderer(this.camera, this.renderer);
  }

  // The immersive modes this browser and device offer, among XR_MODES.
  async supportedModes() {
    if (!navigator.xr) return [];
    const modes = [];
    for (const mode of XR_MODES) {
      try {
        if (await navigator.xr.isSessionSupported(mode)) modes.push(mode);
      } catch (err) {
        // A browser may throw for a mode it does not know: it is not offered.
      }
    }
    return modes;
  }

  async enter(mode) {
    const session = await navigator.xr.requestSession(mode, { optionalFeatures: ["local-floor"] });
    this.mode = mode;
    const ar = mode === "immersive-ar";
    // A transparent clear lets the headset's cameras show through (passthrough) wherever nothing is drawn.
    this.scene.background = ar ? null : new Color(0x9ec5e8);
    for (const name of HIDDEN_IN_AR) if (this.layers[name]) this.layers[name].tiles.group.visible = !ar;
    session.addEventListener("end", () => this.left());
    await this.renderer.xr.setSession(session);
    this.legendPanel.mesh.visible = true;
    this.infoPanel.mesh.visible = this.picked !== null;
    return session;
  }

  left() {
    this.mode = null;
    this.scene.background = new Color(0x9ec5e8);
    for (const layer of Object.values(this.layers)) layer.tiles.group.visible = true;
    this.legendPanel.mesh.visible = false;
    this.infoPanel.mesh.visible = false;
  }

  // The legend, in the page and (drawn in the scene) in the headset, where the page is not visible.
  addPanels() {
    const entries = Object.entries(NETWORK_COLOURS);
    const list = document.getElementById("xr-legend");
    if (list) {
      // Only to whom the networks are shown (field agents and planners).
      list.closest("section").hidden = !this.layers.networks;
      list.replaceChildren(...entries.map(([type, { label }]) => {
        const item = document.createElement("li");
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.background = networkCss(type);
        item.dataset.network = type;
        item.append(swatch, label);
        return item;
      }));
    }
    this.legendPanel = new XRPanel({ width: 0.36, height: 0.42 });
    this.legendPanel.draw("Réseaux", entries.map(([type, { label }]) => [networkCss(type), label]));
    this.legendPanel.mesh.position.set(-0.42, 1.25, -0.9);
    this.legendPanel.mesh.rotation.y = 0.35;
    this.infoPanel = new XRPanel({ width: 0.5, height: 0.36 });
    this.infoPanel.mesh.position.set(0.3, 1.25, -0.9);
    this.infoPanel.mesh.rotation.y = -0.3;
    this.rig.add(this.legendPanel.mesh, this.infoPanel.mesh);
  }

  // Each hand's controller: a ray to aim with, its trigger (select) picks what the ray meets.
  addControllers() {
    this.controllers = [0, 1].map((i) => {
      const controller = this.renderer.xr.getController(i);
      const ray = new Line(
        new BufferGeometry().setFromPoints([new Vector3(0, 0, 0), new Vector3(0, 0, -RAY_LENGTH_M)]),
        new LineBasicMaterial({ color: 0xffffff, transparent: true, opacity: 0.6 }),
      );
      controller.add(ray);
      controller.addEventListener("select", () => this.pickFromController(controller));
      this.rig.add(controller);
      return controller;
    });
  }

  pickAtPointer(event) {
    const rect = this.renderer.domElement.getBoundingClientRect();
    const ndc = new Vector2(
      ((event.clientX - rect.left) / rect.width) * 2 - 1,
      -((event.clientY - rect.top) / rect.height) * 2 + 1,
    );
    this.camera.updateMatrixWorld();
    this.raycaster.setFromCamera(ndc, this.camera);
    return this.pickAlongRay();
  }

  pickFromController(controller) {
    controller.updateMatrixWorld();
    this.raycaster.setFromXRController(controller);
    return this.pickAlongRay();
  }

  // The nearest network feature on the ray: its attributes in the page's panel and the headset's.
  pickAlongRay() {
    const networks = this.layers.networks;
    if (!networks) return null;
    const hits = this.raycaster.intersectObject(networks.tiles.group, true);
    let row = null;
    for (const hit of hits) {
      row = featureAt(hit);
      if (row) break;
    }
    const box = document.getElementById("xr-pick");
    if (!row) {
      this.picked = null;
      if (box) box.hidden = true;
      this.infoPanel.mesh.visible = false;
      return null;
    }
    const [title, entries] = describe(row);
    this.picked = { title, entries };
    if (box) {
      const heading = document.createElement("h2");
      heading.textContent = title;
      const list = document.createElement("dl");
      for (const [key, value] of entries) {
        const dt = document.createElement("dt");
        dt.textContent = key;
        const dd = document.createElement("dd");
        dd.textContent = value;
        list.append(dt, dd);
      }
      box.replaceChildren(heading, list);
      box.hidden = false;
    }
    this.infoPanel.draw(title, entries.map(([key, value]) => [null, `${key} : ${value}`]));
    this.infoPanel.mesh.visible = this.mode !== null;
    return this.picked;
  }

  // The camera swap: while presenting, every tileset refines for the XR camera (both eyes' frustum).
  swapCamera() {
    const presenting = this.renderer.xr.isPresenting;
    if (presenting && this.xrSession === null) {
      const xrCamera = this.renderer.xr.getCamera();
      const eye = xrCamera.cameras[0];
      for (const { tiles } of Object.values(this.layers)) {
        tiles.cameras.forEach((c) => tiles.deleteCamera(c));
        tiles.setCamera(xrCamera);
        if (eye) tiles.setResolution(xrCamera, eye.viewport.z, eye.viewport.w);
      }
      this.xrSession = this.renderer.xr.getSession();
      // Headsets put the floor at y = 0 of the rig; the desktop eye height is the headset's to give.
      this.camera.position.set(0, 0, 0);
    } else if (!presenting && this.xrSession !== null) {
      for (const { tiles } of Object.values(this.layers)) {
        tiles.cameras.forEach((c) => tiles.deleteCamera(c));
        tiles.setCamera(this.camera);
        tiles.setResolutionFromRenderer(this.camera, this.renderer);
      }
      this.xrSession = null;
      this.camera.position.set(0, this.eyeHeight, 0);
      this.applyLook();
    }
  }

  frame() {
    this.swapCamera();
    this.camera.updateMatrixWorld();
    for (const { tiles } of Object.values(this.layers)) tiles.update();
    this.renderer.render(this.scene, this.camera);
  }

  dispose() {
    this.renderer.setAnimationLoop(null);
    this.legendPanel.dispose();
    this.infoPanel.dispose();
    for (const { tiles } of Object.values(this.layers)) tiles.dispose();
    this.renderer.dispose();
  }
}
