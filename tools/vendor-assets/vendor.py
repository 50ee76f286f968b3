"""Copy the browser assets the server ships (Swagger UI, GraphiQL) from the pinned npm packages
into server/static/, and record what was copied in server/static/VENDORED.json.

    python3 tools/vendor-assets/vendor.py        # npm ci here, then copy; commit the result

The copies are committed: `pip install` + `kk sandbox` serve them offline, with no npm and no
CDN. To upgrade, change a pin in package.json, `npm install --package-lock-only`, run this
script, open /docs and /graphql (tests/browser checks both), commit. tests/server/test_docs.py
fails when the committed files and this manifest or the pins disagree.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent.parent / "server" / "static"

# package -> (directory under server/static, {file in the package: name in that directory})
ASSETS: dict[str, tuple[str, dict[str, str]]] = {
    "swagger-ui-dist": (
        "swagger-ui",
        {
            "swagger-ui-bundle.js": "swagger-ui-bundle.js",
            "swagger-ui.css": "swagger-ui.css",
            "oauth2-redirect.html": "oauth2-redirect.html",
            "oauth2-redirect.js": "oauth2-redirect.js",
            "LICENSE": "LICENSE",
            "NOTICE": "NOTICE",
            # the licences of what the bundle contains
            "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt",
        },
    ),
    # GraphiQL 4 is the last release with a browser (UMD) build; it bundles @graphiql/toolkit
    # and graphql-ws (GraphiQL.createFetcher with subscriptionUrl speaks graphql-transport-ws).
    "graphiql": (
        "graphiql",
        {
            "graphiql.min.js": "graphiql.min.js",
            "graphiql.min.css": "graphiql.min.css",
            "LICENSE": "LICENSE.graphiql",
        },
    ),
    # React 18 is the last with UMD builds, which GraphiQL's UMD build expects as globals.
    "react": (
        "graphiql",
        {"umd/react.production.min.js": "react.production.min.js", "LICENSE": "LICENSE.react"},
    ),
    "react-dom": (
        "graphiql",
        {
            "umd/react-dom.production.min.js": "react-dom.production.min.js",
            "LICENSE": "LICENSE.react-dom",
        },
    ),
}


def main() -> int:
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True
    )
    manifest: dict[str, dict[str, object]] = {}
    for package, (folder, files) in ASSETS.items():
        source = HERE / "node_modules" / package
        meta = json.loads((source / "package.json").read_text(encoding="utf-8"))
        target = STATIC / folder
        target.mkdir(parents=True, exist_ok=True)
        copied = {}
        for name, as_name in files.items():
            shutil.copyfile(source / name, target / as_name)
            digest = hashlib.sha256((target / as_name).read_bytes()).hexdigest()
            copied[f"{folder}/{as_name}"] = digest
        manifest[package] = {
            "version": meta["version"],
            "license": meta["license"],
            "files": copied,
        }
    out = STATIC / "VENDORED.json"
    out.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    total = sum((STATIC / f).stat().st_size for m in manifest.values() for f in m["files"])  # type: ignore[attr-defined]
    print(f"wrote {out} ({total / 1e6:.1f} MB of assets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
