// A building as a balcony's visitor names it: how many storeys it has, and which ways its sides face. Pure: no
// Cesium, no DOM (tests/frontend/test_facades.py runs it in Node).

const STOREY_M = 3; // a storey when the building does not say how many it has (the server's estimate too)
const MIN_SIDE_M = 3; // a side shorter than this (a jog in the wall) is not a side a visitor names

// Storeys of a tapped building: its own count, else its height at 3 m a storey; at least one.
export function storeysOf(storeys, height) {
  if (Number.isFinite(storeys) && storeys > 0) return Math.round(storeys);
  if (Number.isFinite(height) && height > 0) return Math.max(1, Math.round(height / STOREY_M));
  return 1;
}

// The eight compass sectors (0: north) and the direction each of a footprint's sides faces, outward, weighted by
// its length. `ring`: the outer ring in a projected CRS (x east, y north, metres), closed or not. Returns the
// sectors with enough wall, in compass order, each with the length-weighted mean azimuth of its walls.
export function sidesOf(ring) {
  const n = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1]
    ? ring.length - 1 : ring.length;
  let area2 = 0;
  for (let i = 0; i < n; i++) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[(i + 1) % n];
    area2 += x1 * y2 - x2 * y1;
  }
  const ccw = area2 > 0;
  const sectors = new Map();
  for (let i = 0; i < n; i++) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[(i + 1) % n];
    const dx = x2 - x1;
    const dy = y2 - y1;
    const length = Math.hypot(dx, dy);
    if (length === 0) continue;
    // Outward normal: right of the direction of travel on a counter-clockwise ring, left on a clockwise one.
    const [nx, ny] = ccw ? [dy, -dx] : [-dy, dx];
    const azimuth = (Math.atan2(nx, ny) * 180 / Math.PI + 360) % 360;
    const sector = Math.round(azimuth / 45) % 8;
    const s = sectors.get(sector) || { sector, length: 0, x: 0, y: 0 };
    s.length += length;
    s.x += Math.sin((azimuth * Math.PI) / 180) * length;
    s.y += Math.cos((azimuth * Math.PI) / 180) * length;
    sectors.set(sector, s);
  }
  return [...sectors.values()]
    .filter((s) => s.length >= MIN_SIDE_M)
    .sort((a, b) => a.sector - b.sector)
    .map((s) => ({ sector: s.sector, azimuth: (Math.atan2(s.x, s.y) * 180 / Math.PI + 360) % 360, length: s.length }));
}

export function sectorOf(azimuth) {
  return Math.round((((azimuth % 360) + 360) % 360) / 45) % 8;
}
