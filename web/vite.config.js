import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Emits /sw.js from sw/sw.js with the build's file list (precache) and a version derived from it. */
function serviceWorker() {
  return {
    name: "auraos-service-worker",
    apply: "build",
    generateBundle(_options, bundle) {
      // Vite copies public/ beside the bundle without listing it there.
      const files = [...Object.keys(bundle), ...readdirSync(`${here}public`)]
        .filter((name) => !name.endsWith(".map"))
        .map((name) => `/${name}`)
        .sort();
      const precache = ["/", ...files.filter((f) => f !== "/index.html"), "/index.html"];
      const version = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 12);
      const source = readFileSync(`${here}sw/sw.js`, "utf8")
        .replace("__VERSION__", version)
        .replace("__PRECACHE__", JSON.stringify(precache));
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}

export default defineConfig({
  root: here,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
  },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
  plugins: [serviceWorker()],
});
