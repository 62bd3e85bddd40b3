// Public consultation: the projects in consultation, a project's page (variants side by side with their key
// figures), comments pinned to a 3D point of the project, and the approved comments drawn as pins.
// The variants' tilesets belong to ProjectsPlugin (window.jumeau.tools): shown, swapped and compared through it.
import { describeError, fetchJson } from "../core/http.js";
import { language, live, locale, texts } from "../core/i18n.js";
import { clearNotice, showError, showNotice } from "../core/notices.js";

const Cesium = window.Cesium;

const TEXTS = {
  fr: {
    button: "Concertations", listTitle: "Projets en concertation", none: "Aucun projet en concertation pour le moment.",
    open: "Voir le projet", back: "← Tous les projets", about: "Le projet", variants: "Variantes",
    figure: "Chiffres clés", height: "Hauteur", storeys: "Étages (estimés)", footprint: "Emprise au sol",
    floorArea: "Surface de plancher (au plus)", show: "Voir", shown: "Affichée", compare: "Comparer deux variantes",
    commentHere: "Commenter ici", commentHint: "Touchez un point du projet en 3D pour y épingler votre commentaire.",
    notOnProject: "Touchez le projet lui-même (le bâtiment en 3D) pour y épingler un commentaire.",
    yourComment: "Votre commentaire", yourName: "Votre nom (facultatif)", send: "Envoyer", cancel: "Annuler",
    sent: "Merci ! Votre commentaire sera visible par tous après modération par le service urbanisme.",
    comments: "Commentaires publiés", noComments: "Aucun commentaire publié pour l'instant.",
    comment: "Commentaire", author: "Auteur", date: "Date", anonymous: "Anonyme", tooShort: "Écrivez au moins deux caractères.",
    loadFailed: "Les projets en concertation n'ont pas pu être chargés.", sendFailed: "Le commentaire n'a pas été envoyé.",
    pinned: "Point choisi", noDepth: "Ce navigateur ne sait pas situer un point en 3D : commentaire impossible ici.",
  },
  en: {
    button: "Consultations", listTitle: "Projects in consultation", none: "No project in consultation at the moment.",
    open: "See the project", back: "← All projects", about: "The project", variants: "Variants",
    figure: "Key figures", height: "Height", storeys: "Storeys (estimated)", footprint: "Footprint",
    floorArea: "Floor area (at most)", show: "Show", shown: "Shown", compare: "Compare two variants",
    commentHere: "Comment here", commentHint: "Tap a point of the project in 3D to pin your comment there.",
    notOnProject: "Tap the project itself (the 3D building) to pin a comment on it.",
    yourComment: "Your comment", yourName: "Your name (optional)", send: "Send", cancel: "Cancel",
    sent: "Thank you! Your comment will be shown to everyone once the planning department has moderated it.",
    comments: "Published comments", noComments: "No published comment yet.",
    comment: "Comment", author: "Author", date: "Date", anonymous: "Anonymous", tooShort: "Write at least two characters.",
    loadFailed: "The projects in consultation could not be loaded.", sendFailed: "The comment was not sent.",
    pinned: "Chosen point", noDepth: "This browser cannot locate a point in 3D: commenting is not possible here.",
  },
};
const T = texts("consultation", TEXTS);
const PIN_COLOR = "#ffb400";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function metres(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value).toLocaleString(locale())} m`;
}

function squareMetres(value) {
  return value === null || value === undefined ? "—" : `${(Math.round(value / 10) * 10).toLocaleString(locale())} m²`;
}

function element(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el) el[key] = value;
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

export default class ConsultationPlugin {
  static wants() {
    return true; // citizens and planners alike; the list may be empty
  }

  constructor() {
    this.projects = [];
    this.project = null; // the project whose page is open
    this.commenting = false;
    this.pending = null; // {lon, lat, height, variant} chosen, not yet sent
  }

  async init(viewer, jumeau) {
    this.viewer = viewer;
    this.jumeau = jumeau;
    this.pins = new Cesium.CustomDataSource("consultation-comments");
    await viewer.cesium.dataSources.add(this.pins);
    this.button = element("button", {
      type: "button", dataset: { tool: "consultation", testid: "consultation" },
    });
    live(this.button, (el) => { el.textContent = T.button; });
    this.button.setAttribute("aria-pressed", "false");
    this.button.addEventListener("click", () => this.openList());
    viewer.addToolbar(this.button, "tools");
    this.onPanelClosed = () => this.setCommenting(false);
    viewer.panelClosed.addEventListener(this.onPanelClosed);
  }

  projectsPlugin() {
    return this.jumeau.tools.ProjectsPlugin || null;
  }

  async load() {
    const data = await fetchJson("/api/projects/?limit=500");
    const rows = Array.isArray(data) ? data : data.results;
    // Drafts never reach a citizen (the API filters them); a planner's list shows only what citizens see too.
    this.projects = rows.filter((p) => p.status === "consultation");
    return this.projects;
  }

  async openList() {
    clearNotice("consultation");
    try {
      await this.load();
    } catch (err) {
      showError("consultation", (reason) => `${T.loadFailed} ${reason}`, err, () => this.openList());
      return;
    }
    if (this.projects.length === 1 && !this.listShownOnce) {
      this.listShownOnce = true;
      return this.openProject(this.projects[0]);
    }
    const list = element("ul", { className: "consultation-list" });
    for (const project of this.projects) {
      const open = element("button", { type: "button", textContent: `${T.open} : ${project.name}`,
        dataset: { testid: "consultation-open", project: project.slug } });
      open.addEventListener("click", () => this.openProject(project));
      list.append(element("li", {}, open));
    }
    if (!this.projects.length) list.append(element("li", { textContent: T.none }));
    this.viewer.showPanel(T.listTitle, [["", list]], () => this.openList());
    this.button.setAttribute("aria-pressed", "true");
  }

  // The variant plugins (ProjectsPlugin's TilesetLayerPlugin) of a project, in the API's order.
  variantLayers(project) {
    return project.variants.map((v) => ({ variant: v, layer: this.jumeau.layers[v.tile_layer] || null }));
  }

  async openProject(project) {
    this.project = project;
    this.button.setAttribute("aria-pressed", "true");
    const layers = this.variantLayers(project);
    const tools = this.projectsPlugin();
    const shown = tools && tools.shown();
    const current = layers.find((l) => l.layer && l.layer === shown) || layers.find((l) => l.layer);
    if (tools && current && current.layer !== shown) tools.showOnly(current.layer);
    this.flyTo(current && current.layer);
    this.renderProject();
    await this.loadComments();
  }

  flyTo(layer) {
    const tileset = layer && layer.tileset;
    if (!tileset) return;
    const sphere = tileset.boundingSphere;
    this.viewer.cesium.camera.flyToBoundingSphere(sphere, {
      offset: new Cesium.HeadingPitchRange(Cesium.Math.toRadians(20), Cesium.Math.toRadians(-30), Math.max(120, sphere.radius * 3.5)),
      duration: 1.5,
    });
  }

  // Variants side by side: one column per variant, one row per key figure, a "show" button under each.
  variantsTable(project) {
    const tools = this.projectsPlugin();
    const shown = tools && tools.shown();
    const table = element("table", { className: "consultation-variants", dataset: { testid: "consultation-variants" } });
    const head = element("tr", {}, element("th", { scope: "col", textContent: T.figure }));
    for (const { variant } of this.variantLayers(project)) head.append(element("th", { scope: "col", textContent: variant.name }));
    table.append(element("thead", {}, head));
    const body = element("tbody");
    const rows = [
      [T.height, (v) => metres(v.height_m), "height"],
      [T.storeys, (v) => (v.storeys === null ? "—" : `≈ ${v.storeys}`), "storeys"],
      [T.footprint, (v) => squareMetres(v.footprint_area_m2), "footprint"],
      [T.floorArea, (v) => squareMetres(v.floor_area_m2), "floor-area"],
    ];
    for (const [label, value, key] of rows) {
      const tr = element("tr", {}, element("th", { scope: "row", textContent: label }));
      for (const { variant } of this.variantLayers(project)) tr.append(element("td", { textContent: value(variant), dataset: { figure: key } }));
      body.append(tr);
    }
    const actions = element("tr", {}, element("th", { scope: "row" }));
    for (const { variant, layer } of this.variantLayers(project)) {
      const isShown = layer && layer === shown;
      const show = element("button", { type: "button", textContent: isShown ? T.shown : T.show, disabled: !layer,
        dataset: { testid: "consultation-show", layer: variant.tile_layer } });
      show.setAttribute("aria-pressed", String(Boolean(isShown)));
      show.setAttribute("aria-label", `${T.show} : ${variant.name}`);
      show.addEventListener("click", () => {
        if (tools.comparing) tools.compare(false);
        tools.showOnly(layer);
        this.renderProject();
      });
      actions.append(element("td", {}, show));
    }
    body.append(actions);
    table.append(body);
    return table;
  }

  renderProject() {
    const project = this.project;
    const tools = this.projectsPlugin();
    const back = element("button", { type: "button", textContent: T.back, dataset: { testid: "consultation-back" } });
    back.addEventListener("click", () => { this.setCommenting(false); this.listShownOnce = true; this.openList(); });
    const actions = element("div", { className: "consultation-actions" });
    const variantsLoaded = this.variantLayers(project).filter((l) => l.layer).length;
    if (tools && variantsLoaded >= 2) {
      // The swipe between two variants is ProjectsPlugin's own (split screen with a movable line).
      const compare = element("button", { type: "button", textContent: T.compare, dataset: { testid: "consultation-compare" } });
      compare.setAttribute("aria-pressed", String(Boolean(tools.comparing)));
      compare.addEventListener("click", () => { tools.compare(!tools.comparing); this.renderProject(); });
      actions.append(compare);
    }
    if (project.accepts_comments) {
      this.commentButton = element("button", { type: "button", textContent: T.commentHere, dataset: { testid: "consultation-comment" } });
      this.commentButton.setAttribute("aria-pressed", String(this.commenting));
      this.commentButton.addEventListener("click", () => this.setCommenting(!this.commenting));
      actions.append(this.commentButton);
    }
    this.hint = element("p", { className: "consultation-hint", dataset: { testid: "consultation-hint" }, role: "status" });
    this.hint.textContent = this.commenting ? T.commentHint : "";
    this.form = element("div", { dataset: { testid: "consultation-form" } });
    this.commentList = element("ul", { className: "consultation-comments", dataset: { testid: "consultation-comments" } });
    this.viewer.showPanel(project.name, [
      ["", back],
      [T.about, project.description || "—"],
      [T.variants, this.variantsTable(project)],
      ["", actions],
      ["", this.hint],
      ["", this.form],
      [T.comments, this.commentList],
    ], () => this.renderProject());
    document.getElementById("panel").dataset.consultation = project.slug;
    this.renderComments();
  }

  setCommenting(on) {
    if (on && !this.viewer.cesium.scene.pickPositionSupported) {
      showNotice("consultation", () => T.noDepth);
      on = false;
    }
    this.commenting = on;
    if (this.commentButton) this.commentButton.setAttribute("aria-pressed", String(on));
    if (this.hint) this.hint.textContent = on ? T.commentHint : "";
    if (!on) this.pending = null;
  }

  // In comment mode a tap on the project pins the comment there; a tap on a pin reads its comment.
  handlePick(picked, position) {
    if (picked && picked.id && this.pins.entities.contains(picked.id)) {
      const c = picked.id.comment;
      this.viewer.showPanel(T.comment, [
        [T.comment, c.text], [T.author, c.author_name || T.anonymous],
        [T.date, new Date(c.created_at).toLocaleDateString(locale(), { day: "numeric", month: "long", year: "numeric" })],
      ]);
      return true;
    }
    if (!this.commenting || !this.project) return false;
    const hit = this.variantLayers(this.project).find(({ layer }) => layer && layer.owns(picked));
    if (!hit) {
      this.hint.textContent = T.notOnProject;
      return true;
    }
    const cartesian = this.viewer.cesium.scene.pickPosition(position);
    if (!cartesian) {
      this.hint.textContent = T.notOnProject;
      return true;
    }
    const c = Cesium.Cartographic.fromCartesian(cartesian);
    this.pending = {
      lon: Cesium.Math.toDegrees(c.longitude), lat: Cesium.Math.toDegrees(c.latitude), height: c.height,
      variant: hit.variant.id,
    };
    this.showForm();
    return true;
  }

  showForm() {
    const id = "consultation-text";
    const text = element("textarea", { id, rows: 4, maxLength: 1000, required: true, dataset: { testid: "consultation-text" } });
    const name = element("input", { id: "consultation-name", type: "text", maxLength: 80, autocomplete: "name",
      dataset: { testid: "consultation-name" } });
    const send = element("button", { type: "submit", textContent: T.send, dataset: { testid: "consultation-send" } });
    const cancel = element("button", { type: "button", textContent: T.cancel });
    cancel.addEventListener("click", () => { this.form.replaceChildren(); this.setCommenting(false); });
    const form = element("form", { className: "consultation-form" },
      element("label", { htmlFor: id, textContent: T.yourComment }), text,
      element("label", { htmlFor: "consultation-name", textContent: T.yourName }), name,
      element("div", {}, send, cancel));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.send(text.value, name.value); });
    this.form.replaceChildren(form);
    this.hint.textContent = T.pinned;
    this.showPendingPin();
    text.focus();
  }

  showPendingPin() {
    this.pins.entities.removeById("pending");
    if (!this.pending) return;
    const p = this.pending;
    this.pins.entities.add({
      id: "pending",
      position: Cesium.Cartesian3.fromDegrees(p.lon, p.lat, p.height),
      point: { pixelSize: 16, color: Cesium.Color.WHITE, outlineColor: Cesium.Color.fromCssColorString(PIN_COLOR),
        outlineWidth: 3, disableDepthTestDistance: Number.POSITIVE_INFINITY },
    });
    this.viewer.requestRender();
  }

  async send(text, authorName) {
    if (text.trim().length < 2) {
      this.hint.textContent = T.tooShort;
      return;
    }
    const project = this.project;
    try {
      await fetchJson(`/api/projects/${encodeURIComponent(project.slug)}/comments/`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ ...this.pending, text, author_name: authorName }),
      });
    } catch (err) {
      console.error("comment:", err.detail || err);
      this.hint.textContent = `${T.sendFailed} ${describeError(err)}`;
      return;
    }
    this.form.replaceChildren();
    this.setCommenting(false);
    this.pins.entities.removeById("pending");
    this.viewer.requestRender();
    this.hint.textContent = T.sent;
  }

  async loadComments() {
    const project = this.project;
    try {
      this.comments = await fetchJson(`/api/projects/${encodeURIComponent(project.slug)}/comments/`);
      clearNotice("consultation");
    } catch (err) {
      this.comments = [];
      showError("consultation", (reason) => `${T.loadFailed} ${reason}`, err, () => this.loadComments());
    }
    this.drawPins();
    this.renderComments();
  }

  // Only approved comments are pins: a planner's list also holds pending ones, which citizens never see.
  approved() {
    return (this.comments || []).filter((c) => c.status === "approved");
  }

  drawPins() {
    this.pins.entities.removeAll();
    for (const c of this.approved()) {
      const entity = this.pins.entities.add({
        id: `comment-${c.id}`,
        position: Cesium.Cartesian3.fromDegrees(c.lon, c.lat, c.height),
        point: { pixelSize: 14, color: Cesium.Color.fromCssColorString(PIN_COLOR), outlineColor: Cesium.Color.BLACK,
          outlineWidth: 2, disableDepthTestDistance: Number.POSITIVE_INFINITY },
      });
      entity.comment = c;
    }
    this.viewer.requestRender();
  }

  renderComments() {
    if (!this.commentList) return;
    const items = this.approved().map((c) => element("li", { textContent: `« ${c.text} » — ${c.author_name || T.anonymous}` }));
    this.commentList.replaceChildren(...(items.length ? items : [element("li", { textContent: T.noComments })]));
  }

  dispose() {
    this.viewer.panelClosed.removeEventListener(this.onPanelClosed);
    this.button && this.button.remove();
    this.viewer.cesium.dataSources.remove(this.pins, true);
  }
}
