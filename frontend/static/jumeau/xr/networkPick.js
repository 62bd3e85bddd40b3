// What a ray hits among the network tiles, in words: the attributes a field agent reads in the main app's panel.
import { Triangle, Vector3 } from "three";
import { networkLabel } from "../core/networkColours.js";

const PRECISION = { A: "A (≤ 40 cm)", B: "B (≤ 1,50 m)", C: "C (au-delà ou inconnue)" };
const NODE_LABELS = {
  manhole: "Regard", connection_box: "Boîte de branchement", gully: "Avaloir", chamber: "Chambre", valve: "Vanne",
  hydrant: "Poteau incendie", meter: "Compteur", fitting: "Appareil", connection: "Raccord",
};

const triangle = new Triangle();
const barycoord = new Vector3();

function metres(value) {
  return `${value.toLocaleString("fr-FR", { maximumFractionDigits: 2 })} m`;
}

// The property table row of the feature under a raycast hit, or null when the mesh has no feature ids.
export function featureAt(hit) {
  const { meshFeatures, structuralMetadata } = hit.object.userData;
  if (!meshFeatures || !structuralMetadata || hit.face == null) return null;
  const position = hit.object.geometry.getAttribute("position");
  triangle.setFromAttributeAndIndices(position, hit.face.a, hit.face.b, hit.face.c);
  hit.object.worldToLocal(barycoord.copy(hit.point));
  triangle.getBarycoord(barycoord, barycoord);
  const ids = meshFeatures.getFeatures(hit.faceIndex, barycoord);
  const tables = meshFeatures.getFeatureInfo().map((info) => info.propertyTable);
  const rows = structuralMetadata.getPropertyTableData(tables, ids);
  return rows.find((row) => row && row.feature_kind) || null;
}

// [title, [[label, value], …]] for a segment or a node row of the networks' property table.
export function describe(row) {
  const node = row.feature_kind === "node";
  const network = networkLabel(row.network_type);
  const entries = [["Réseau", network]];
  if (node) {
    entries.push(["Profondeur", row.depth_m >= 0 ? metres(row.depth_m) : "inconnue"]);
  } else {
    entries.push(["Matériau", row.material || "inconnu"]);
    entries.push(["Diamètre", row.diameter_mm > 0 ? `${Math.round(row.diameter_mm)} mm` : "inconnu"]);
    const [min, max] = [row.cover_depth_min, row.cover_depth_max];
    let depth = "inconnue";
    if (min >= 0 && max >= 0) depth = Math.abs(max - min) < 0.05 ? metres(min) : `${metres(min)} à ${metres(max)}`;
    else if (min >= 0 || max >= 0) depth = metres(Math.max(min, max));
    entries.push(["Profondeur", depth]);
  }
  entries.push(["Classe de précision", PRECISION[row.precision_xy] || "inconnue"]);
  entries.push(["Exploitant", row.operator || "inconnu"]);
  if (!node) entries.push(["Année de pose", row.install_year > 0 ? String(row.install_year) : "inconnue"]);
  // feature_type is the source's layer name (raepa_canalaep_l): not words for a person.
  const what = node ? NODE_LABELS[row.node_type] || "Ouvrage" : "Canalisation";
  return [`${what} · ${network}`, entries];
}
