// The colour of each buried network in the tiles (NF P 98-332, tiles/builders/networks.py NETWORK_COLOURS) with
// its name in words, for legends. tests/tiles/test_network_legend.py imports this module in Node and compares
// it with the builder's table: a colour changed there and not here fails a test.
export const NETWORK_COLOURS = {
  "water": {"rgb": [0, 90, 255], "label": "Eau potable"},
  "sewer": {"rgb": [120, 72, 30], "label": "Eaux usées"},
  "stormwater": {"rgb": [150, 100, 50], "label": "Eaux pluviales"},
  "gas": {"rgb": [255, 215, 0], "label": "Gaz"},
  "electricity": {"rgb": [230, 20, 20], "label": "Électricité"},
  "lighting": {"rgb": [255, 90, 60], "label": "Éclairage public"},
  "telecom": {"rgb": [0, 170, 60], "label": "Télécommunications"},
  "heating": {"rgb": [150, 60, 200], "label": "Chauffage urbain"},
  "other": {"rgb": [200, 200, 200], "label": "Autre réseau"}
};

export function networkCss(type) {
  const { rgb } = NETWORK_COLOURS[type] || NETWORK_COLOURS.other;
  return `rgb(${rgb.join(", ")})`;
}

export function networkLabel(type) {
  return (NETWORK_COLOURS[type] || NETWORK_COLOURS.other).label;
}
