// A layer's name in the visitor's language. /api/session/ titles are French; the layers every city has (terrain,
// base map, buildings, networks, point clouds) are named here in both languages. A project's "Name — Variant"
// is a proper name and stays as the planners wrote it.
import { addResources, t } from "./i18n.js";

addResources("layers", {
  fr: {
    terrain: "Terrain", basemap: "Fond de plan", buildings: "Bâtiments", networks: "Réseaux enterrés",
    pointcloud: "Nuage de points {{name}}",
  },
  en: {
    terrain: "Terrain", basemap: "Base map", buildings: "Buildings", networks: "Underground networks",
    pointcloud: "Point cloud {{name}}",
  },
});

const POINTCLOUD_PREFIX = "pointcloud-";
const COMMON = ["terrain", "basemap", "buildings", "networks"];

export function layerTitle(layer) {
  if (COMMON.includes(layer.name)) return t(`layers:${layer.name}`);
  if (layer.name.startsWith(POINTCLOUD_PREFIX)) {
    return t("layers:pointcloud", { name: layer.name.slice(POINTCLOUD_PREFIX.length) });
  }
  return layer.title;
}
