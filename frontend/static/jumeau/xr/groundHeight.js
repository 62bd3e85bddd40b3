// The ground's ellipsoidal height under a point, read from the finest quantized-mesh tile of /tiles/terrain/.
// The XR viewer puts its origin on the ground with it, so the user stands on the street and the pipes are below.

function zigzagDeltas(view, offset, count) {
  const out = new Float64Array(count);
  let value = 0;
  for (let i = 0; i < count; i++) {
    const raw = view.getUint16(offset + 2 * i, true);
    value += (raw >> 1) ^ -(raw & 1);
    out[i] = value;
  }
  return out;
}

// Height in metres above the WGS84 ellipsoid at lon/lat (degrees), or null without terrain there.
export async function groundHeight(lon, lat, base = "/tiles/terrain/") {
  const layerUrl = new URL("layer.json", new URL(base, window.location.href));
  const response = await fetch(layerUrl, { credentials: "same-origin" });
  if (!response.ok) return null;
  const layer = await response.json();
  for (let z = layer.available.length - 1; z >= 0; z--) {
    const size = 180 / 2 ** z;
    const x = Math.floor((lon + 180) / size);
    const y = Math.floor((lat + 90) / size);
    const inside = layer.available[z].some((r) => x >= r.startX && x <= r.endX && y >= r.startY && y <= r.endY);
    if (!inside) continue;
    const path = layer.tiles[0].replace("{z}", z).replace("{x}", x).replace("{y}", y).replace("{version}", layer.version);
    const tile = await fetch(new URL(path, layerUrl), { credentials: "same-origin" });
    if (!tile.ok) return null;
    const view = new DataView(await tile.arrayBuffer());
    const minH = view.getFloat32(24, true);
    const maxH = view.getFloat32(28, true);
    const count = view.getUint32(88, true);
    const u = zigzagDeltas(view, 92, count);
    const v = zigzagDeltas(view, 92 + 2 * count, count);
    const h = zigzagDeltas(view, 92 + 4 * count, count);
    const fu = ((lon + 180) / size - x) * 32767;
    const fv = ((lat + 90) / size - y) * 32767;
    // Inverse-distance blend of the nearest vertices: within the tile's own error of the surface.
    let best = [];
    for (let i = 0; i < count; i++) best.push([(u[i] - fu) ** 2 + (v[i] - fv) ** 2, i]);
    best.sort((a, b) => a[0] - b[0]);
    best = best.slice(0, 3);
    if (best[0][0] < 1e-6) return minH + (h[best[0][1]] / 32767) * (maxH - minH);
    let sum = 0;
    let weight = 0;
    for (const [d2, i] of best) {
      sum += (minH + (h[i] / 32767) * (maxH - minH)) / d2;
      weight += 1 / d2;
    }
    return sum / weight;
  }
  return null;
}
