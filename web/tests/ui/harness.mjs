/**
 * The UI tests' page: index.html with an entry module of the test's own, built by Vite with
 * `firebase/firestore` and src/data.js replaced by the fakes here (fake-firestore.js,
 * fake-data.js), served from a temporary folder and opened in headless Chromium.
 * CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import { build } from "vite";

export const WEB_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FAKES = join(WEB_ROOT, "tests", "ui");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** For describe(..., {skip}): why the browser tests cannot run here, or false. */
export const noBrowser = !existsSync(CHROMIUM) && `no browser at ${CHROMIUM}`;

/** `src(name)`: an import specifier for web/src/name, for the entry's source. */
export const src = (name) => JSON.stringify(join(WEB_ROOT, "src", name));

/**
 * Build the shell with `entry` (module source) and open it: `{page, errors, close}`. `errors`
 * collects the page's uncaught errors.
 */
export async function openPage(entry, { viewport = { width: 1280, height: 800 }, timezoneId } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "auraos-ui-"));
  const shell = (await readFile(join(WEB_ROOT, "index.html"), "utf8")).replace(
    '<script type="module" src="/src/main.js"></script>',
    '<script type="module" src="./main.js"></script>',
  );
  await writeFile(join(dir, "index.html"), shell);
  await writeFile(join(dir, "main.js"), `import ${src("styles.css")};\n${entry}`);
  await build({
    root: dir,
    configFile: false,
    logLevel: "warn",
    build: { outDir: join(dir, "dist"), target: "es2022", minify: false },
    plugins: [
      {
        name: "fake-firebase",
        enforce: "pre",
        resolveId(id) {
          if (id === "firebase/firestore") return join(FAKES, "fake-firestore.js");
          if (id === "./data.js") return join(FAKES, "fake-data.js");
          return null;
        },
      },
    ],
  });
  const server = createServer(async (request, response) => {
    const path = request.url === "/" ? "/index.html" : request.url.split("?")[0];
    try {
      const body = await readFile(join(dir, "dist", path));
      const type = path.endsWith(".js") ? "text/javascript" : path.endsWith(".css") ? "text/css" : "text/html";
      response.writeHead(200, { "content-type": type }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage({ viewport, reducedMotion: "reduce", timezoneId });
  page.setDefaultTimeout(5000);
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  return {
    page,
    errors,
    async close() {
      await browser.close();
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** axe-core (which Lighthouse brings) on `selector`: its violations, one line each. */
export async function axeViolations(page, selector) {
  await page.addScriptTag({ path: join(WEB_ROOT, "node_modules", "axe-core", "axe.min.js") });
  return page.evaluate(
    async (s) => (await window.axe.run(s)).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(" | ")}`),
    selector,
  );
}
