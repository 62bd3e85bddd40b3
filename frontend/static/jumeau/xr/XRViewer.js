// The WebXR viewer: the twin's own tilesets (terrain, buildings, networks) in three.js around a street position;
// entering AR/VR only swaps the camera, as 3DTilesRendererJS example/three/vr.js does.
import {
  AmbientLight, Color, DirectionalLight, Group, HemisphereLight, MathUtils, PerspectiveCamera, Scene,
  WebGLRenderer,
} from "three";
import { TilesRenderer } from "3d-tiles-renderer";
import { GLTFExtensionsPlugin, QuantizedMeshPlugin, ReorientationPlugin } from "3d-tiles-renderer/plugins";
import { groundHeight } from "./groundHeight.js";

const EYE_HEIGHT_M = 1.7;
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
    const el = this.renderer.domElement;
    el.addEventListener("pointerdown", (e) => { last = [e.clientX, e.clientY]; el.setPointerCapture(e.pointerId); });
    el.addEventListener("pointerup", () => { last = null; });
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

  async supportedMode() {
    if (!navigator.xr) return null;
    for (const mode of ["immersive-ar", "immersive-vr"]) {
      try {
        if (await navigator.xr.isSessionSupported(mode)) return mode;
      } catch (err) {
        // A browser may throw for a mode it does not know: try the next one.
      }
    }
    return null;
  }

  async enter(mode) {
    const session = await navigator.xr.requestSession(mode, { optionalFeatures: ["local-floor"] });
    this.mode = mode;
    // In AR the real street replaces the model's ground and façades: only the pipes are drawn.
    const ar = mode === "immersive-ar";
    this.scene.background = ar ? null : new Color(0x9ec5e8);
    for (const name of ["terrain", "buildings"]) if (this.layers[name]) this.layers[name].tiles.group.visible = !ar;
    session.addEventListener("end", () => this.left());
    await this.renderer.xr.setSession(session);
    return session;
  }

  left() {
    this.mode = null;
    this.scene.background = new Color(0x9ec5e8);
    for (const layer of Object.values(this.layers)) layer.tiles.group.visible = true;
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
    for (const { tiles } of Object.values(this.layers)) tiles.dispose();
    this.renderer.dispose();
  }
}
