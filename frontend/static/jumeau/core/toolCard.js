import { live } from "./i18n.js";

// Texts given as functions (`() => T.button`) are read again after a language switch; strings stay as given.
function textOf(text, apply) {
  return typeof text === "function" ? (el) => live(el, () => apply(el, text())) : (el) => apply(el, text);
}

// A tool's place in the toolbar: one toggle button and the card of controls it opens, built alike for every tool.
// The card sits right after its button (keyboard order follows what the eye sees) and is labelled by it.
let serial = 0;

// `name`: the tool's short id (data-tool, test ids); `label`: the button's text; `title`: its longer description
// (each a string, or a function giving it in the language shown).
// Returns { group, button, card, setOpen(open) }; `onToggle(open)` runs whenever the button opens or closes it.
export function makeToolCard({ name, label, title, onToggle }) {
  const id = `tool-card-${name}-${++serial}`;
  const group = document.createElement("div");
  group.className = "tool-group";
  group.dataset.toolGroup = name;
  const button = document.createElement("button");
  button.type = "button";
  textOf(label, (el, text) => { el.textContent = text; })(button);
  if (title) textOf(title, (el, text) => { el.title = text; })(button);
  button.dataset.tool = name;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-controls", id);
  const card = document.createElement("section");
  card.className = "tool-card";
  card.id = id;
  card.dataset.testid = `${name}-card`;
  textOf(label, (el, text) => el.setAttribute("aria-label", text))(card);
  card.hidden = true;
  group.append(button, card);
  const setOpen = (open) => {
    card.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.setAttribute("aria-pressed", String(open));
    onToggle && onToggle(open);
  };
  button.addEventListener("click", () => setOpen(card.hidden));
  return { group, button, card, setOpen };
}

// A labelled control in a card: <label>text <control></label>, so screen readers name the control by its text.
export function labelled(text, control) {
  const label = document.createElement("label");
  label.className = "tool-field";
  const span = document.createElement("span");
  textOf(text, (el, value) => { el.textContent = value; })(span);
  label.append(span, control);
  return label;
}

// A labelled range input in a tool row with an <output> beside it: `spec` gives min, max and step; `onInput(value)`
// runs as it moves. The caller writes the output's text (a unit, a format of its own).
export function slider(text, spec, value, onInput, testid) {
  const input = document.createElement("input");
  input.type = "range";
  input.min = String(spec.min);
  input.max = String(spec.max);
  input.step = String(spec.step);
  input.value = String(value);
  input.dataset.testid = testid;
  input.addEventListener("input", () => onInput(Number(input.value)));
  const output = document.createElement("output");
  const row = document.createElement("div");
  row.className = "tool-row";
  row.append(labelled(text, input), output);
  return { row, input, output };
}

export function button(text, onClick, data = {}) {
  const b = document.createElement("button");
  b.type = "button";
  textOf(text, (el, value) => { el.textContent = value; })(b);
  for (const [k, v] of Object.entries(data)) b.dataset[k] = v;
  b.addEventListener("click", onClick);
  return b;
}
