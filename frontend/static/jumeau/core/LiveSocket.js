// A websocket to the app's own server that comes back by itself: the transit board, the walks and the layer
// updates all keep one open for as long as the page lives.
//
// After a drop it waits a jittered, doubling delay (from firstBackoffMs up to maxBackoffMs) before it tries
// again: thousands of open apps must not reconnect in lockstep after a server restart. Each (re)connection
// calls onOpen, where a caller subscribes again or expects the server's fresh snapshot.
// core/connectivity.js tells the visitor when a live connection drops, and when it is back.
function announce(path, connected, wasConnected) {
  window.dispatchEvent(new CustomEvent("jumeau:socket", { detail: { path, connected, wasConnected } }));
}

export class LiveSocket {
  constructor(path, { onMessage, onOpen = () => {}, firstBackoffMs = 500, maxBackoffMs = 30000 }) {
    this.path = path;
    this.onMessage = onMessage;
    this.onOpen = onOpen;
    this.firstBackoffMs = firstBackoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.socket = null;
    this.connected = false;
    this.reconnects = 0;
    this._attempt = 0;
    this._closed = false;
    this._connect();
  }

  _connect() {
    if (this._closed) return;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${window.location.host}${this.path}`);
    this.socket = socket;
    socket.onopen = () => {
      this.connected = true;
      announce(this.path, true, false);
      this._attempt = 0;
      this.onOpen();
    };
    socket.onmessage = (event) => this.onMessage(JSON.parse(event.data));
    socket.onclose = () => {
      const wasConnected = this.connected;
      this.connected = false;
      if (this._closed) return;
      announce(this.path, false, wasConnected);
      const base = Math.min(this.maxBackoffMs, this.firstBackoffMs * 2 ** this._attempt);
      this._attempt += 1;
      this.reconnects += 1;
      setTimeout(() => this._connect(), base * (0.5 + Math.random()));
    };
    socket.onerror = () => {}; // onclose follows and reconnects
  }

  // False when the socket is not open (the caller falls back to HTTP or waits for the next snapshot).
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  close() {
    this._closed = true;
    if (this.socket) this.socket.close();
  }
}
