// The toolbar folds down to its head row (name, role, status) so a phone keeps its screen for the map.
const PHONE = "(max-width: 600px)";

export function setUpToolbarToggle(doc = document) {
  const button = doc.getElementById("toolbar-toggle");
  const body = doc.getElementById("toolbar-body");
  const set = (expanded) => {
    body.hidden = !expanded;
    button.setAttribute("aria-expanded", String(expanded));
    button.textContent = expanded ? "Outils ▴" : "Outils ▾";
    const label = expanded ? "Masquer les couches et les outils" : "Afficher les couches et les outils";
    button.setAttribute("aria-label", label);
    doc.dispatchEvent(new CustomEvent("jumeau:toolbar", { detail: { expanded } }));
  };
  button.addEventListener("click", () => set(body.hidden));
  // A phone opens on the map: its 844 px are not spent on checkboxes before anyone asks for them.
  set(!window.matchMedia(PHONE).matches);
  return set;
}
