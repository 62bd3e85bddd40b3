// Validate glb/gltf files with the Khronos glTF-Validator; prints one JSON report per file.
// Usage: node tests/tiles/gltf_validate.mjs FILE... (gltf-validator resolved from frontend/node_modules)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "frontend", "package.json"));
const validator = require("gltf-validator");

const reports = [];
for (const file of process.argv.slice(2)) {
  const bytes = new Uint8Array(readFileSync(file));
  const report = await validator.validateBytes(bytes, { uri: path.basename(file), maxIssues: 200 });
  reports.push({
    file,
    numErrors: report.issues.numErrors,
    numWarnings: report.issues.numWarnings,
    numInfos: report.issues.numInfos,
    messages: report.issues.messages,
  });
}
process.stdout.write(JSON.stringify(reports, null, 1));
