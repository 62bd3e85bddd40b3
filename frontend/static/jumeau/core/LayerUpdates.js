// The twin updates live: /ws/layers/ names each new build of a layer this user may load, the viewer reloads it.
//
// The server sends {"type": "layers", "layers": [{layer, version, url}...]} on every (re)connection, then
// {"type": "layer_published", layer, version, url} per new build (realtime/consumers.py). Both go the same way:
// the viewer reloads a layer only for a version newer than the one it shows, so a snapshot after a reconnection
// catches up on what was published while the socket was down, and repeats nothing.
import { LiveSocket } from "./LiveSocket.js";

export class LayerUpdates {
  constructor(viewer) {
    this.viewer = viewer;
    this.live = null;
    this.received = []; // {layer, version, at: performance.now()} of each layer_published, for the status and tests
  }

  start() {
    this.live = new LiveSocket("/ws/layers/", { onMessage: (m) => this._onMessage(m), firstBackoffMs: 1000 });
    return this;
  }

  get connected() { return Boolean(this.live && this.live.connected); }
  get reconnects() { return this.live ? this.live.reconnects : 0; }
  get socket() { return this.live && this.live.socket; }

  _onMessage(message) {
    if (message.type === "layers") {
      for (const entry of message.layers) this.viewer.layerPublished(entry.layer, entry.version);
    } else if (message.type === "layer_published") {
      this.received.push({ layer: message.layer, version: message.version, at: performance.now() });
      this.viewer.layerPublished(message.layer, message.version);
    }
  }

  dispose() {
    if (this.live) this.live.close();
  }
}
