// A flat panel of text lines drawn in the 3D scene: inside a headset the page's HTML is not visible, so the legend
// and a picked pipe's attributes are drawn on a canvas texture held in front of the user.
import { CanvasTexture, Mesh, MeshBasicMaterial, PlaneGeometry, SRGBColorSpace } from "three";

const PX_PER_M = 1000;

export class XRPanel {
  constructor({ width = 0.42, height = 0.36 } = {}) {
    this.canvas = document.createElement("canvas");
    this.canvas.width = Math.round(width * PX_PER_M);
    this.canvas.height = Math.round(height * PX_PER_M);
    this.texture = new CanvasTexture(this.canvas);
    this.texture.colorSpace = SRGBColorSpace;
    const material = new MeshBasicMaterial({ map: this.texture, transparent: true, depthTest: false });
    this.mesh = new Mesh(new PlaneGeometry(width, height), material);
    this.mesh.renderOrder = 10; // over the pipes and the ground, whatever their depth
    this.mesh.visible = false;
  }

  // title: a line in bold; rows: [swatch colour or null, text].
  draw(title, rows) {
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "rgba(20, 28, 38, 0.88)";
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = "#fff";
    ctx.font = "bold 30px system-ui, sans-serif";
    ctx.fillText(title, 20, 42, width - 40);
    ctx.font = "26px system-ui, sans-serif";
    const line = Math.min(36, (height - 70) / Math.max(1, rows.length));
    rows.forEach(([swatch, text], i) => {
      const y = 70 + i * line;
      let x = 20;
      if (swatch) {
        ctx.fillStyle = swatch;
        ctx.fillRect(x, y + 4, 40, line - 10);
        x += 54;
      }
      ctx.fillStyle = "#eef";
      ctx.fillText(text, x, y + line - 10, width - x - 20);
    });
    this.texture.needsUpdate = true;
  }

  dispose() {
    this.texture.dispose();
    this.mesh.geometry.dispose();
    this.mesh.material.dispose();
  }
}
