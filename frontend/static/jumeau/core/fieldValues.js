// The words a person reads for the coded values the tiles carry (a network type, a DT-DICT precision class, an
// INSPIRE material, a state of service, how a depth was found...), in French or English. The codes are those the
// importers write (gis_sync/formats: RAEPA, StaR-DT, StaR-Eau map their own lists onto these), the tile builders
// (tiles/builders/networks.py depth_source, buildings.py lod) and the models' choices (twin/models.py AxisMethod,
// ProjectStatus). A code not listed here is shown as it is: a new code stays readable, just not translated.
// This module imports nothing but networkColours.js, so that Node reads it in tests/frontend.
import { NETWORK_COLOURS, networkLabel } from "./networkColours.js";

// Arrêté du 15 février 2012 (DT-DICT): the largest error of a located network's position for each class.
const PRECISION = {
  fr: {
    A: "A : à 40 cm près (50 cm pour un réseau souple)",
    B: "B : à 1,50 m près",
    C: "C : à plus de 1,50 m près, ou inconnue",
  },
  en: {
    A: "A: within 40 cm (50 cm for a flexible network)",
    B: "B: within 1.50 m",
    C: "C: beyond 1.50 m, or unknown",
  },
};

const WORDS = {
  fr: {
    // INSPIRE PipeMaterialTypeValue (StaR-DT's list; RAEPA and StaR-Eau codes are mapped onto it).
    material: {
      ABS: "ABS (plastique)", asbestos: "Amiante-ciment", blackIron: "Fer noir", blackSteel: "Acier noir",
      castIron: "Fonte", clay: "Grès", compositeConcrete: "Béton composite", concrete: "Béton", CPVC: "PVC surchloré",
      FRP: "Plastique renforcé de fibres", galvanizedSteel: "Acier galvanisé", masonry: "Maçonnerie", other: "Autre",
      PB: "Polybutylène", PE: "Polyéthylène", PEX: "Polyéthylène réticulé", PP: "Polypropylène",
      prestressedReinforcedConcrete: "Béton armé précontraint", PVC: "PVC", reinforcedConcrete: "Béton armé",
      RPMP: "Plastique renforcé de mortier", steel: "Acier", terracota: "Terre cuite", wood: "Bois",
    },
    // INSPIRE ConditionOfFacilityValue for networks; twin.models.ProjectStatus for project variants.
    status: {
      functional: "En service", projected: "En projet", disused: "À l'arrêt", decommissioned: "Abandonné",
      underConstruction: "En construction",
      draft: "Brouillon", consultation: "En concertation", approved: "Approuvé", built: "Construit",
    },
    axis_method: {
      survey: "Points levés le long du tracé", vertex_z: "Altitudes des sommets du tracé", axis: "Altitude de l'axe",
      top: "Altitude du dessus du tuyau", invert: "Fils d'eau", cover: "Profondeur sous le terrain",
      standard_depth: "Profondeur type du réseau (estimation)",
    },
    depth_source: {
      invert: "Fil d'eau levé", attributes: "Cote ou profondeur de la fiche de l'ouvrage",
      pipes: "Tuyaux qui y entrent (estimation)", standard: "Profondeur type du réseau (estimation)",
      pipe_axis: "Axe du tuyau qui le porte", ground: "Posé sur le sol",
    },
    node_type: {
      manhole: "Regard", connection_box: "Boîte de branchement", gully: "Avaloir", meter_chamber: "Chambre de comptage",
      overflow: "Déversoir d'orage", chamber: "Chambre", valve: "Vanne", air_valve: "Ventouse", drain: "Vidange",
      hydrant: "Poteau incendie", check_valve: "Clapet", pressure_regulator: "Régulateur de pression",
      meter: "Compteur", flow_meter: "Débitmètre", fitting: "Appareil", connection: "Raccord",
      pumping_station: "Station de pompage", treatment_plant: "Station de traitement", reservoir: "Réservoir",
      intake: "Captage", storage_basin: "Bassin de stockage", outfall: "Exutoire", cabinet: "Coffret", pole: "Poteau",
      pylon: "Pylône", technical_building: "Bâtiment technique", structure: "Ouvrage",
      delivery_point: "Point de livraison",
    },
    lod: { 1: "LOD1 : emprise élevée jusqu'au toit", 2: "LOD2 : toits et façades modélisés" },
    // What a project's model part is: IFC classes (gis_sync/formats/ifc.py), a glTF primitive, a building.
    element_type: {
      Building: "Bâtiment", gltf_primitive: "Volume du modèle", IfcBuilding: "Bâtiment", IfcBuildingStorey: "Étage",
      IfcWall: "Mur", IfcWallStandardCase: "Mur", IfcSlab: "Dalle", IfcRoof: "Toiture", IfcWindow: "Fenêtre",
      IfcDoor: "Porte", IfcColumn: "Poteau", IfcBeam: "Poutre", IfcStair: "Escalier",
      IfcStairFlight: "Volée d'escalier",
      IfcRailing: "Garde-corps", IfcCurtainWall: "Mur-rideau", IfcCovering: "Revêtement", IfcPlate: "Plaque",
      IfcMember: "Élément de structure", IfcFooting: "Fondation", IfcSpace: "Local", IfcSite: "Terrain",
      IfcBuildingElementProxy: "Élément du bâtiment", IfcFurnishingElement: "Mobilier",
    },
  },
  en: {
    material: {
      ABS: "ABS (plastic)", asbestos: "Asbestos cement", blackIron: "Black iron", blackSteel: "Black steel",
      castIron: "Cast iron", clay: "Vitrified clay", compositeConcrete: "Composite concrete", concrete: "Concrete",
      CPVC: "Chlorinated PVC", FRP: "Fibre-reinforced plastic", galvanizedSteel: "Galvanised steel",
      masonry: "Masonry", other: "Other", PB: "Polybutylene", PE: "Polyethylene", PEX: "Cross-linked polyethylene",
      PP: "Polypropylene", prestressedReinforcedConcrete: "Prestressed concrete", PVC: "PVC",
      reinforcedConcrete: "Reinforced concrete", RPMP: "Reinforced plastic mortar", steel: "Steel",
      terracota: "Terracotta", wood: "Wood",
    },
    status: {
      functional: "In service", projected: "Planned", disused: "Out of service", decommissioned: "Abandoned",
      underConstruction: "Under construction",
      draft: "Draft", consultation: "In public consultation", approved: "Approved", built: "Built",
    },
    axis_method: {
      survey: "Points surveyed along the line", vertex_z: "Elevations on the line's vertices",
      axis: "Elevation of the axis", top: "Elevation of the pipe top", invert: "Invert levels",
      cover: "Cover depth below the terrain", standard_depth: "Network's standard depth (estimate)",
    },
    depth_source: {
      invert: "Surveyed invert level", attributes: "Level or depth on the structure's record",
      pipes: "Pipes entering it (estimate)", standard: "Network's standard depth (estimate)",
      pipe_axis: "Axis of the pipe it sits on", ground: "Standing on the ground",
    },
    node_type: {
      manhole: "Manhole", connection_box: "Connection box", gully: "Gully", meter_chamber: "Meter chamber",
      overflow: "Storm overflow", chamber: "Chamber", valve: "Valve", air_valve: "Air valve", drain: "Drain",
      hydrant: "Fire hydrant", check_valve: "Check valve", pressure_regulator: "Pressure regulator", meter: "Meter",
      flow_meter: "Flow meter", fitting: "Fitting", connection: "Connection", pumping_station: "Pumping station",
      treatment_plant: "Treatment plant", reservoir: "Reservoir", intake: "Water intake",
      storage_basin: "Storage basin", outfall: "Outfall", cabinet: "Cabinet", pole: "Pole", pylon: "Pylon",
      technical_building: "Technical building", structure: "Structure", delivery_point: "Delivery point",
    },
    lod: { 1: "LOD1: footprint raised to the roof", 2: "LOD2: roofs and walls modelled" },
    element_type: {
      Building: "Building", gltf_primitive: "Model volume", IfcBuilding: "Building", IfcBuildingStorey: "Storey",
      IfcWall: "Wall", IfcWallStandardCase: "Wall", IfcSlab: "Slab", IfcRoof: "Roof", IfcWindow: "Window",
      IfcDoor: "Door", IfcColumn: "Column", IfcBeam: "Beam", IfcStair: "Stair", IfcStairFlight: "Stair flight",
      IfcRailing: "Railing", IfcCurtainWall: "Curtain wall", IfcCovering: "Covering", IfcPlate: "Plate",
      IfcMember: "Structural member", IfcFooting: "Footing", IfcSpace: "Space", IfcSite: "Site",
      IfcBuildingElementProxy: "Building element", IfcFurnishingElement: "Furniture",
    },
  },
};

// Values the tiles write where nothing is known (tiles/builders/networks.py COLUMNS: a table column has no null).
const UNKNOWN = {
  install_year: (v) => v === 0,
  diameter_mm: (v) => v === 0,
  axis_uncertainty_m: (v) => v < 0,
  cover_depth_min: (v) => v < 0,
  cover_depth_max: (v) => v < 0,
  depth_m: (v) => v < 0,
};

// The keys whose values are codes, in words here.
export const CODED = new Set(["network_type", "precision_xy", "precision_z", ...Object.keys(WORDS.fr)]);

// The words for a coded value in `lang` ("fr" or "en"); null when the key holds no code or the code is unknown
// here (the caller then shows the value as it is); "" when the value says that nothing is known.
export function valueWords(key, value, lang = "fr") {
  const l = String(lang || "fr").startsWith("en") ? "en" : "fr";
  if (UNKNOWN[key] && typeof value === "number" && UNKNOWN[key](value)) return "";
  if (value === null || value === undefined || value === "") return null;
  if (key === "network_type") return Object.hasOwn(NETWORK_COLOURS, value) ? networkLabel(value, l) : null;
  if (key === "precision_xy" || key === "precision_z") return PRECISION[l][String(value).toUpperCase()] || null;
  const words = WORDS[l][key];
  if (!words) return null;
  return Object.hasOwn(words, value) ? words[value] : null;
}
