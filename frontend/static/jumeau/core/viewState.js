// A view as a URL hash and back, with no browser or Cesium in it (tests/frontend/test_view_state.py runs it in
// Node): `#view=lon,lat,height,heading,pitch&layers=a,b&pick=layer~id&tool=name`.
//
// Degrees (WGS84 longitude and latitude, heading and pitch), metres above the ellipsoid. Six decimals of a
// degree are 0.1 m on the ground; a centimetre of height and a tenth of a degree of angle are below what a
// visitor can tell apart.

export function encodeView({ camera = null, layers = null, pick = null, tool = null }) {
  const params = new URLSearchParams();
  if (camera) {
    const { lon, lat, height, heading, pitch } = camera;
    params.set("view", [lon.toFixed(6), lat.toFixed(6), height.toFixed(1), heading.toFixed(1), pitch.toFixed(1)].join(","));
  }
  if (layers) params.set("layers", layers.join(","));
  if (pick) params.set("pick", `${pick.layer}~${pick.id}`);
  if (tool) params.set("tool", tool);
  // URLSearchParams writes "," as %2C: readable links are worth undoing it (a comma is legal in a fragment).
  return params.toString().replace(/%2C/g, ",");
}

function number(text, min, max) {
  const value = Number(text);
  return Number.isFinite(value) && value >= min && value <= max ? value : null;
}

// What a hash says, each part null when absent or unreadable (a hand-edited link restores what it can).
export function decodeView(hash) {
  const params = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  let camera = null;
  const view = params.get("view");
  if (view) {
    const [lon, lat, height, heading, pitch] = view.split(",");
    const parts = {
      lon: number(lon, -180, 180),
      lat: number(lat, -90, 90),
      height: number(height, -500, 1e8),
      heading: number(heading, -360, 720),
      pitch: number(pitch, -90, 90),
    };
    if (Object.values(parts).every((v) => v !== null)) camera = parts;
  }
  const layersText = params.get("layers");
  const layers = layersText === null ? null : layersText.split(",").filter(Boolean);
  let pick = null;
  const pickText = params.get("pick");
  if (pickText && pickText.includes("~")) {
    const at = pickText.indexOf("~");
    pick = { layer: pickText.slice(0, at), id: pickText.slice(at + 1) };
  }
  return { camera, layers, pick, tool: params.get("tool") || null };
}
