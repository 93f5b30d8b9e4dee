"""firebase.json's `hosting` section: what `firebase deploy --only hosting` publishes and what the
Hosting emulator serves. The browser tests check the same headers as the emulator serves them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
FIREBASE: dict[str, Any] = json.loads((ROOT / "firebase.json").read_text(encoding="utf-8"))
HOSTING: dict[str, Any] = FIREBASE["hosting"]
WEB_PACKAGE: dict[str, Any] = json.loads((ROOT / "web/package.json").read_text(encoding="utf-8"))
VITE_CONFIG = (ROOT / "web/vite.config.js").read_text(encoding="utf-8")
IMMUTABLE = "public, max-age=31536000, immutable"


def _cache_control() -> dict[str, str]:
    """Cache-Control value per header rule source."""
    return {
        rule["source"]: header["value"]
        for rule in HOSTING["headers"]
        for header in rule["headers"]
        if header["key"] == "Cache-Control"
    }


def test_one_site_publishing_the_vite_build() -> None:
    assert isinstance(HOSTING, dict), "one site: no multi-site array"
    assert HOSTING["public"] == "web/dist"
    # Vite builds web/dist with hashed files under dist/assets/ (no outDir/assetsDir override).
    assert re.search(r'outDir:\s*"dist"', VITE_CONFIG)
    assert "assetsDir" not in VITE_CONFIG
    assert (ROOT / "web/index.html").is_file()
    for ignored in ("firebase.json", "**/.*", "**/node_modules/**"):
        assert ignored in HOSTING["ignore"]


def test_every_path_falls_back_to_the_app_shell() -> None:
    assert HOSTING["rewrites"] == [{"source": "**", "destination": "/index.html"}]
    assert "redirects" not in HOSTING
    assert HOSTING.get("cleanUrls", False) is False


def test_hashed_assets_are_immutable_and_the_shell_and_worker_revalidate() -> None:
    cache = _cache_control()
    assert cache.pop("/assets/**") == IMMUTABLE
    # index.html, sw.js (a stale worker would pin an old build) and the manifest by name...
    [named] = [source for source in cache if "index.html" in source]
    assert re.fullmatch(r"/@\((?:[\w.-]+\|)*[\w.-]+\)", named), named
    assert {"index.html", "sw.js", "manifest.webmanifest"} <= set(named[3:-1].split("|"))
    # ...and "/" plus every extensionless path, which the rewrite answers with index.html.
    assert "{/,**/!(*.*)}" in cache
    # Nothing else sets Cache-Control, so no rule overrides the immutable one on /assets/.
    assert cache == dict.fromkeys([named, "{/,**/!(*.*)}"], "no-cache")


def test_predeploy_builds_the_production_app() -> None:
    [predeploy] = HOSTING["predeploy"]
    assert predeploy == 'npm --prefix "$PROJECT_DIR/web" run build:deploy'
    assert WEB_PACKAGE["scripts"]["build:deploy"] == "vite build --mode deploy"
    # The deploy mode turns the emulators off and refuses to build without the project's config.
    assert 'mode !== "deploy"' in VITE_CONFIG
    assert 'process.env.VITE_USE_EMULATORS = "false"' in VITE_CONFIG
    assert "VITE_FIREBASE_API_KEY" in VITE_CONFIG


def test_the_hosting_emulator_serves_the_pwa_on_5173_in_every_session() -> None:
    assert FIREBASE["emulators"]["hosting"] == {"host": "127.0.0.1", "port": 5173}
    for script in ("start.sh", "exec.sh"):
        text = (ROOT / "emulators" / script).read_text(encoding="utf-8")
        [only] = re.findall(r"--only (\S+)", text)
        assert "hosting" in only.split(","), script
        # dist/ is built before the emulators start.
        assert text.index("emulators/build_web.sh") < text.index("--only"), script
    assert (ROOT / "emulators/build_web.sh").is_file()
