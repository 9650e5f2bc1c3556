// Build the browser picture into src/borderwatch/server/web/dist/ and record a hash of its sources there
// (tests/server/test_web.py recomputes it: the shipped bundle must match web/src/** and package-lock.json).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL(".", import.meta.url).pathname;
const out = join(root, "..", "src", "borderwatch", "server", "web", "dist");
mkdirSync(out, { recursive: true });

function files(dir) {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

export function sourceHash() {
  const h = createHash("sha256");
  for (const p of [...files(join(root, "src")), join(root, "package-lock.json"), join(root, "build.mjs")]) {
    h.update(relative(root, p).split("\\").join("/") + "\0");
    h.update(readFileSync(p));
    h.update("\0");
  }
  return h.digest("hex");
}

await build({
  entryPoints: [join(root, "src", "main.js")],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2022",
  outfile: join(out, "app.js"),
  legalComments: "eof",
  logLevel: "warning",
});
await build({
  entryPoints: [join(root, "src", "style.css")],
  bundle: true,
  minify: true,
  outfile: join(out, "app.css"),
  logLevel: "warning",
});
const mlDist = join(root, "node_modules", "maplibre-gl", "dist");
copyFileSync(join(mlDist, "maplibre-gl-worker.mjs"), join(out, "maplibre-gl-worker.mjs"));
copyFileSync(join(root, "src", "index.html"), join(out, "index.html"));
writeFileSync(join(out, "SOURCE_HASH"), sourceHash() + "\n");
console.log("web bundle written to", relative(process.cwd(), out));
