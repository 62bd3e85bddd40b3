// The colour of each buried network in the tiles (NF P 98-332, tiles/builders/networks.py NETWORK_COLOURS) with
// its name in words (French, and English as `label_en`), for legends. tests/tiles/test_network_legend.py imports this module in Node and compares
// it with the builder's table: a colour changed there and not here fails a test.
export const NETWORK_COLOURS = {
  "water": {"rgb": [0, 90, 255], "label": "Eau potable", "label_en": "Drinking water"},
  "sewer": {"rgb": [120, 72, 30], "label": "Eaux usées", "label_en": "Wastewater"},
  "stormwater": {"rgb": [150, 100, 50], "label": "Eaux pluviales", "label_en": "Stormwater"},
  "gas": {"rgb": [255, 215, 0], "label": "Gaz", "label_en": "Gas"},
  "electricity": {"rgb": [230, 20, 20], "label": "Électricité", "label_en": "Electricity"},
  "lighting": {"rgb": [255, 90, 60], "label": "Éclairage public", "label_en": "Street lighting"},
  "telecom": {"rgb": [0, 170, 60], "label": "Télécommunications", "label_en": "Telecommunications"},
  "heating": {"rgb": [150, 60, 200], "label": "Chauffage urbain", "label_en": "District heating"},
  "other": {"rgb": [200, 200, 200], "label": "Autre réseau", "label_en": "Other network"}
};

export function networkCss(type) {
  const { rgb } = NETWORK_COLOURS[type] || NETWORK_COLOURS.other;
  return `rgb(${rgb.join(", ")})`;
}

// The name in the language the page shows now (core/i18n.js sets <html lang> on each switch); this module stays
// free of imports so that Node can read it in the legend's test.
export function networkLabel(type, lang = typeof document === "undefined" ? "fr" : document.documentElement.lang) {
  const entry = NETWORK_COLOURS[type] || NETWORK_COLOURS.other;
  return String(lang || "fr").startsWith("en") ? entry.label_en : entry.label;
}
