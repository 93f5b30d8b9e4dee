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

/**
 * `vite build --mode deploy` (the Hosting predeploy): the real project, no emulators. Its web
 * config comes from VITE_FIREBASE_* (the project id defaults to the one firebase-tools deploys
 * to, GCLOUD_PROJECT); an API key is required, so a deploy never publishes the demo config.
 */
function deployEnv(mode) {
  if (mode !== "deploy") return;
  process.env.VITE_USE_EMULATORS = "false";
  process.env.VITE_FIREBASE_PROJECT_ID ||= process.env.GCLOUD_PROJECT ?? "";
  const missing = ["VITE_FIREBASE_PROJECT_ID", "VITE_FIREBASE_API_KEY"].filter((name) => !process.env[name]);
  if (missing.length) {
    throw new Error(`vite build --mode deploy needs ${missing.join(" and ")} (see web/README.md)`);
  }
}

export default defineConfig(({ mode }) => {
  deployEnv(mode);
  return {
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
  };
});
