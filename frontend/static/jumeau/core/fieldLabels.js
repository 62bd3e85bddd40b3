// The words a person reads for the tiles' attribute names (buildings, networks, project variants) in an information
// panel: the panel's row keeps the attribute's name in data-key (a shared link and the tests name rows by it) and
// shows these words, with the unit, in the language the page shows now.
import { language, texts } from "./i18n.js";
import { valueWords } from "./fieldValues.js";

const TEXTS = {
  fr: {
    source_id: "Identifiant", name: "Nom", use: "Usage", storeys: "Étages", year: "Année de construction",
    height: "Hauteur (m)", ground_z: "Altitude du sol (m)", roof_z: "Altitude du toit (m)", lod: "Niveau de détail",
    feature_type: "Couche d'origine", node_type: "Ouvrage", network_type: "Réseau", operator: "Exploitant",
    material: "Matériau", precision_xy: "Classe de précision en plan", precision_z: "Classe de précision en altitude",
    axis_method: "Profondeur de l'axe tirée de", status: "État", diameter_mm: "Diamètre (mm)", radius_m: "Rayon (m)",
    uncertainty_m: "Incertitude de position (m)", axis_is_estimate: "Profondeur estimée",
    axis_uncertainty_m: "Incertitude de l'axe (m)", cover_depth_min: "Recouvrement minimal (m)",
    cover_depth_max: "Recouvrement maximal (m)", z_top: "Altitude du dessus (m)", z_bottom: "Altitude du dessous (m)",
    depth_m: "Profondeur (m)", depth_source: "Profondeur tirée de", depth_is_estimate: "Profondeur estimée",
    install_year: "Année de pose", project: "Projet", variant: "Variante", element_type: "Élément",
    yes: "oui", no: "non",
  },
  en: {
    source_id: "Identifier", name: "Name", use: "Use", storeys: "Storeys", year: "Year built",
    height: "Height (m)", ground_z: "Ground elevation (m)", roof_z: "Roof elevation (m)", lod: "Level of detail",
    feature_type: "Source layer", node_type: "Structure", network_type: "Network", operator: "Operator",
    material: "Material", precision_xy: "Horizontal precision class", precision_z: "Vertical precision class",
    axis_method: "Axis depth taken from", status: "Status", diameter_mm: "Diameter (mm)", radius_m: "Radius (m)",
    uncertainty_m: "Position uncertainty (m)", axis_is_estimate: "Estimated depth",
    axis_uncertainty_m: "Axis uncertainty (m)", cover_depth_min: "Least cover (m)",
    cover_depth_max: "Greatest cover (m)", z_top: "Top elevation (m)", z_bottom: "Bottom elevation (m)",
    depth_m: "Depth (m)", depth_source: "Depth taken from", depth_is_estimate: "Estimated depth",
    install_year: "Year laid", project: "Project", variant: "Variant", element_type: "Element",
    yes: "yes", no: "no",
  },
};
const T = texts("fields", TEXTS);

const KNOWN = new Set(Object.keys(TEXTS.fr).filter((key) => key !== "yes" && key !== "no"));

// A row's label: the words for a known attribute name, else the key as given (plugins that build their own rows,
// the balcony's or the search's, already pass words).
export function fieldLabel(key) {
  return KNOWN.has(key) ? T[key] : key;
}

// A row's value as text. For a known attribute: nothing known is "—", a code in words (core/fieldValues.js; the
// panel keeps the code itself in the row's data-value), a yes/no in words, a number to two decimals at most (kept
// with a point, as the attribute table holds it, so that what is read can be copied back). Rows a plugin built
// itself are shown as given.
export function fieldValue(key, value) {
  if (value === null || value === undefined) return "—";
  if (!KNOWN.has(key)) return String(value);
  if (value === "") return "—";
  const words = valueWords(key, value, language());
  if (words !== null) return words || "—";
  if (typeof value === "boolean") return value ? T.yes : T.no;
  if (typeof value === "number" && !Number.isInteger(value)) return String(Math.round(value * 100) / 100);
  return String(value);
}
