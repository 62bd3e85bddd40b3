// The twin updates live: /ws/layers/ names each new build of a layer this user may load, the viewer reloads it.
//
// The server sends {"type": "layers", "layers": [{layer, version, url}...]} on every (re)connection, then
// {"type": "layer_published", layer, version, url} per new build (realtime/consumers.py). Both go the same way:
// the viewer reloads a layer only for a version newer than the one it shows, so a snapshot after a reconnection
// catches up on what was published while the socket was down, and repeats nothing.
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30000;

export class LayerUpdates {
  constructor(viewer) {
    this.viewer = viewer;
    this.socket = null;
    this.connected = false;
    this.reconnects = 0;
    this.received = []; // {layer, version, at: performance.now()} of each layer_published, for the status and tests
    this._attempt = 0;
    this._disposed = false;
  }

  start() {
    this._connect();
    return this;
  }

  _url() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}/ws/layers/`;
  }

  _connect() {
    if (this._disposed) return;
    const socket = new WebSocket(this._url());
    this.socket = socket;
    socket.onopen = () => {
      this.connected = true;
      this._attempt = 0;
    };
    socket.onmessage = (event) => this._onMessage(JSON.parse(event.data));
    socket.onclose = () => {
      this.connected = false;
      if (this._disposed) return;
      // Jittered exponential backoff: every open app must not reconnect in lockstep after a server restart.
      const base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** this._attempt);
      this._attempt += 1;
      this.reconnects += 1;
      setTimeout(() => this._connect(), base * (0.5 + Math.random()));
    };
    socket.onerror = () => {}; // onclose follows and reconnects
  }

  _onMessage(message) {
    if (message.type === "layers") {
      for (const entry of message.layers) this.viewer.layerPublished(entry.layer, entry.version);
    } else if (message.type === "layer_published") {
      this.received.push({ layer: message.layer, version: message.version, at: performance.now() });
      this.viewer.layerPublished(message.layer, message.version);
    }
  }

  dispose() {
    this._disposed = true;
    if (this.socket) this.socket.close();
  }
}
