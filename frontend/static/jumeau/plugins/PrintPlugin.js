// "Imprimer ou exporter cette vue": a print view of what the screen shows — the scene's image, a title and the
// date, the legend of the visible layers (and of a colouring or heat map in use), the picked feature's panel, a
// north arrow and a scale — previewed over the app, printed by the browser (jumeau.css holds the print
// stylesheet: only this view goes to paper), or its image saved. Everything is built in the page from what it
// already shows: nothing new is asked of the server.
import { live, locale, texts } from "../core/i18n.js";

const Cesium = window.Cesium;

const T = texts("print", {
  fr: {
    button: "Imprimer", buttonTitle: "Imprimer ou exporter cette vue (image, légende, informations)",
    heading: (city) => `${city} — vue 3D`, made: (date) => `Vue du ${date}`,
    layers: "Couches affichées", legends: "Légendes", feature: "Objet sélectionné", none: "aucune",
    north: "Nord", scale: "Échelle au centre de l'image", noScale: "Échelle : la vue ne montre pas le sol au centre.",
    print: "Imprimer", download: "Enregistrer l'image", close: "Fermer l'aperçu", dialog: "Aperçu avant impression",
    image: "Image de la vue 3D", source: "Jumeau — jumeau numérique de la ville", colon: " : ",
  },
  en: {
    button: "Print", buttonTitle: "Print or export this view (image, legend, information)",
    heading: (city) => `${city} — 3D view`, made: (date) => `View of ${date}`,
    layers: "Layers shown", legends: "Legends", feature: "Selected feature", none: "none",
    north: "North", scale: "Scale at the centre of the image", noScale: "Scale: the view shows no ground at its centre.",
    print: "Print", download: "Save the image", close: "Close the preview", dialog: "Print preview",
    image: "Image of the 3D view", source: "Jumeau — the city's digital twin", colon: ": ",
  },
});

// A scale bar of a round length (1, 2 or 5 × 10^n metres) about a fifth of the image wide.
export function roundLength(metres) {
  const power = 10 ** Math.floor(Math.log10(metres));
  const first = metres / power;
  return (first >= 5 ? 5 : first >= 2 ? 2 : 1) * power;
}

function lengthText(metres) {
  return metres >= 1000 ? `${(metres / 1000).toLocaleString(locale())} km` : `${metres.toLocaleString(locale())} m`;
}

function element(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

export default class PrintPlugin {
  static wants() {
    return true;
  }

  constructor() {
    this.view = null;
    this.image = null; // the last capture, a PNG data URL
  }

  init(viewer) {
    this.viewer = viewer;
    this.button = element("button", { type: "button" });
    this.button.dataset.tool = "print";
    live(this.button, (el) => {
      el.textContent = T.button;
      el.title = T.buttonTitle;
    });
    this.button.addEventListener("click", () => this.open());
    viewer.addToolbar(this.button, "tools");
    // Ctrl+P prints the same view as the button, never the app's controls.
    this.beforePrint = () => {
      if (!this.view || this.view.hidden) this.build(this.captureNow());
    };
    window.addEventListener("beforeprint", this.beforePrint);
    this.relabel = () => { if (this.view && !this.view.hidden) this.build(this.image); };
    document.addEventListener("jumeau:relabel", this.relabel);
  }

  // The scene's image, read inside the frame that drew it: the WebGL buffer is cleared once the frame is shown
  // (no preserveDrawingBuffer, which would cost every frame), but it is whole until postRender returns.
  capture() {
    const scene = this.viewer.cesium.scene;
    return new Promise((resolve) => {
      const remove = scene.postRender.addEventListener(() => {
        remove();
        resolve(scene.canvas.toDataURL("image/png"));
      });
      scene.requestRender();
    });
  }

  // Synchronously, for the browser's own print command: a frame rendered now and read at once.
  captureNow() {
    const scene = this.viewer.cesium.scene;
    scene.render(this.viewer.cesium.clock.currentTime);
    return scene.canvas.toDataURL("image/png");
  }

  async open() {
    this.image = await this.capture();
    this.build(this.image);
    this.view.hidden = false;
    this.view.querySelector("[data-testid=print-go]").focus();
  }

  close() {
    if (!this.view) return;
    this.view.hidden = true;
    this.button.focus();
  }

  // Metres per pixel on the ground at the image's centre, from two points 100 px apart, or null (sky, space).
  metresPerPixel() {
    const scene = this.viewer.cesium.scene;
    const canvas = scene.canvas;
    const x = canvas.clientWidth / 2;
    const y = canvas.clientHeight / 2;
    const ground = (px) => {
      const ray = scene.camera.getPickRay(new Cesium.Cartesian2(px, y));
      return ray && scene.globe.pick(ray, scene);
    };
    const a = ground(x - 50);
    const b = ground(x + 50);
    return a && b ? Cesium.Cartesian3.distance(a, b) / 100 : null;
  }

  northArrow() {
    const heading = Cesium.Math.toDegrees(this.viewer.cesium.camera.heading);
    const figure = element("figure", { className: "print-north" });
    figure.dataset.testid = "print-north";
    figure.dataset.heading = heading.toFixed(1);
    const svgNs = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "-20 -20 40 40");
    svg.setAttribute("width", "48");
    svg.setAttribute("height", "48");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", T.north);
    const arrow = document.createElementNS(svgNs, "polygon");
    arrow.setAttribute("points", "0,-17 7,10 0,5 -7,10");
    arrow.setAttribute("fill", "#111");
    arrow.setAttribute("transform", `rotate(${(-heading).toFixed(1)})`);
    svg.append(arrow);
    figure.append(svg, element("figcaption", { textContent: T.north }));
    return figure;
  }

  scaleBar(imageWidth) {
    const perPixel = this.metresPerPixel();
    const figure = element("figure", { className: "print-scale" });
    figure.dataset.testid = "print-scale";
    if (!perPixel) {
      figure.append(element("figcaption", { textContent: T.noScale }));
      return figure;
    }
    const metres = roundLength(perPixel * imageWidth * 0.2);
    const share = metres / perPixel / imageWidth; // of the image's width
    const bar = element("div", { className: "print-scale-bar" });
    bar.style.width = `${(share * 100).toFixed(2)}%`;
    figure.dataset.metres = String(metres);
    figure.append(bar, element("figcaption", { textContent: `${lengthText(metres)} — ${T.scale}` }));
    return figure;
  }

  // The layers ticked in the layer panel, under their group's title, as the panel names them.
  layersLegend() {
    const section = element("section", { className: "print-layers" });
    section.dataset.testid = "print-legend";
    section.append(element("h2", { textContent: T.layers }));
    const list = element("ul");
    for (const fieldset of document.querySelectorAll("#layers fieldset")) {
      const shown = [...fieldset.querySelectorAll("input[data-layer]:checked")];
      if (!shown.length) continue;
      const group = fieldset.querySelector("legend");
      const names = shown.map((input) => (input.closest("label") || input).textContent.trim()).filter(Boolean);
      const item = element("li", { textContent: `${group ? group.textContent : ""}${T.colon}${names.join(", ")}` });
      item.dataset.layers = shown.map((input) => input.dataset.layer).join(" ");
      list.append(item);
    }
    if (!list.children.length) list.append(element("li", { textContent: T.none }));
    section.append(list);
    // A colouring of the buildings or a heat map in use has its own legend on screen: it goes on paper too.
    const legends = [...document.querySelectorAll("[data-testid=style-legend], [data-testid=impact-legend]")]
      .filter((el) => el.isConnected && !el.hidden && el.offsetParent !== null);
    if (legends.length) {
      section.append(element("h2", { textContent: T.legends }));
      for (const legend of legends) section.append(this.copy(legend));
    }
    return section;
  }

  // A copy of part of the app for paper: canvases become images (a copied canvas is blank), controls go.
  copy(node) {
    const clone = node.cloneNode(true);
    const canvases = node.querySelectorAll("canvas");
    clone.querySelectorAll("canvas").forEach((canvas, i) => {
      const img = element("img", { src: canvases[i].toDataURL("image/png"), alt: canvases[i].getAttribute("aria-label") || "" });
      canvas.replaceWith(img);
    });
    clone.querySelectorAll("button, input, select").forEach((control) => {
      if (control.tagName === "SELECT") {
        control.replaceWith(element("span", { textContent: control.selectedOptions[0]?.textContent || "" }));
      } else control.remove();
    });
    clone.removeAttribute("id");
    clone.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
    clone.hidden = false;
    return clone;
  }

  featurePanel() {
    const panel = document.getElementById("panel");
    if (!panel || panel.hidden) return null;
    const section = element("section", { className: "print-feature" });
    section.dataset.testid = "print-feature";
    section.append(element("h2", { textContent: `${T.feature}${T.colon}${document.getElementById("panel-title").textContent}` }));
    section.append(this.copy(document.getElementById("panel-body")));
    return section;
  }

  build(image) {
    const session = this.viewer.session;
    if (!this.view) {
      this.view = element("section", { id: "print-view", className: "print-view", hidden: true });
      this.view.dataset.testid = "print-view";
      this.view.setAttribute("role", "dialog");
      this.view.addEventListener("keydown", (event) => { if (event.key === "Escape") this.close(); });
      document.body.append(this.view);
    }
    this.view.setAttribute("aria-label", T.dialog);
    const canvas = this.viewer.cesium.scene.canvas;
    const actions = element("div", { className: "print-actions" });
    const go = element("button", { type: "button", textContent: T.print });
    go.dataset.testid = "print-go";
    go.addEventListener("click", () => window.print());
    const save = element("a", { href: image, download: "jumeau-vue.png", textContent: T.download });
    save.dataset.testid = "print-download";
    const close = element("button", { type: "button", textContent: T.close });
    close.dataset.testid = "print-close";
    close.addEventListener("click", () => this.close());
    actions.append(go, save, close);
    const date = new Date().toLocaleString(locale(), { dateStyle: "long", timeStyle: "short" });
    const picture = element("figure", { className: "print-image" },
      element("img", { src: image, alt: T.image }), this.northArrow(), this.scaleBar(canvas.clientWidth));
    picture.querySelector("img").dataset.testid = "print-image";
    const parts = [
      actions,
      element("h1", { textContent: T.heading(session.city || "Jumeau") }),
      element("p", { className: "print-date", textContent: T.made(date) }),
      picture,
      this.layersLegend(),
    ];
    const feature = this.featurePanel();
    if (feature) parts.push(feature);
    parts.push(element("p", { className: "print-source", textContent: `${T.source} · ${window.location.origin}` }));
    this.view.replaceChildren(...parts);
  }

  dispose() {
    window.removeEventListener("beforeprint", this.beforePrint);
    document.removeEventListener("jumeau:relabel", this.relabel);
    this.view && this.view.remove();
    this.button && this.button.remove();
  }
}
