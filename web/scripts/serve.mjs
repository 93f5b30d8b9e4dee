#!/usr/bin/env node
/**
 * Serve the built PWA (web/dist) and print its URL. Used by `make run` and by the e2e tests.
 *
 *   node web/scripts/serve.mjs [--build] [--host 127.0.0.1] [--port 5173]
 *
 * --build runs `vite build` first. Port: --port, else $AURAOS_WEB_PORT, else 5173 (0: any free).
 * Hashed /assets/* are served immutable; index.html and sw.js with no-cache; unknown paths
 * without an extension get index.html (the app shell).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const WEB_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DIST = join(WEB_ROOT, "dist");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

async function fileFor(root, pathname) {
  let path;
  try {
    path = normalize(join(root, decodeURIComponent(pathname)));
  } catch {
    return null;
  }
  if (path !== root && !path.startsWith(root + sep)) return null;
  try {
    const info = await stat(path);
    if (info.isDirectory()) return fileFor(root, join(pathname, "index.html"));
    return info.isFile() ? path : null;
  } catch {
    return null;
  }
}

/** Build web/dist with Vite (its env: VITE_* from process.env, see web/README.md). */
export async function buildApp({ logLevel = "warn", env = {} } = {}) {
  Object.assign(process.env, env);
  const { build } = await import("vite");
  await build({ root: WEB_ROOT, configFile: join(WEB_ROOT, "vite.config.js"), logLevel });
}

/** Start serving `root`; resolves to {url, port, close()}. */
export function startServer({ root = DIST, host = "127.0.0.1", port = 0 } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://local");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    let path = await fileFor(base, pathname);
    if (!path && !extname(pathname)) path = await fileFor(base, "/index.html");
    if (!path) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    const headers = {
      "Content-Type": TYPES[extname(path)] ?? "application/octet-stream",
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": pathname.startsWith("/assets/")
        ? "public, max-age=31536000, immutable"
        : "no-cache",
    };
    res.writeHead(200, headers);
    if (req.method === "HEAD") res.end();
    else createReadStream(path).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolvePromise({
        url: `http://${host}:${actual}/`,
        port: actual,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
        server,
      });
    });
  });
}

function parseArgs(argv) {
  const args = { build: false, host: "127.0.0.1", port: Number(process.env.AURAOS_WEB_PORT ?? 5173) };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--build") args.build = true;
    else if (arg === "--host") args.host = argv[++i];
    else if (arg === "--port") args.port = Number(argv[++i]);
    else if (arg === "--help" || arg === "-h") {
      console.log("usage: node web/scripts/serve.mjs [--build] [--host HOST] [--port PORT]");
      process.exit(0);
    } else {
      console.error(`unknown argument: ${arg}`);
      process.exit(64);
    }
  }
  return args;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  if (args.build) await buildApp({ logLevel: "info" });
  try {
    await stat(join(DIST, "index.html"));
  } catch {
    console.error(`${DIST} has no build: run with --build (or npm --prefix web run build).`);
    process.exit(1);
  }
  const { url, close } = await startServer({ host: args.host, port: args.port });
  console.log(`\n  AuraOS PWA: ${url}  (serving ${DIST}; Ctrl-C stops)\n`);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => close().then(() => process.exit(0)));
  }
}
