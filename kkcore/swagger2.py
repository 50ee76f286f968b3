"""Swagger 2.0 documents, converted to OpenAPI 3.0 on load with swagger2openapi.

swagger2openapi (Mermade's oas-kit, npm) is the maintained converter the OpenAPI tools use;
no maintained Python one exists (prance's `convert` posts the document to a web service, so
it cannot run offline). kk never downloads it at run time: installed once with npm (into
`.kk/swagger2openapi`, or anywhere with KK_SWAGGER2OPENAPI naming its executable, or on
PATH), every load converts offline; when it is not installed, the document is refused with
the command that installs it and the one that converts by hand.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse
from urllib.request import url2pathname

from kkcore.errors import SpecError

log = logging.getLogger("kk.spec")

PACKAGE = "swagger2openapi@7.0.8"
LOCAL = Path(".kk") / "swagger2openapi"
INSTALL = f"npm install --prefix {LOCAL} {PACKAGE}"
TIMEOUT = 120.0
MAX_OUTPUT = 50 * 1024 * 1024
REFUSED = (
    "{src} is Swagger 2.0. kk converts Swagger 2.0 to OpenAPI 3.0 on load with swagger2openapi "
    "(npm), which is not installed here. Install it once, then every load converts offline:\n"
    f"    {INSTALL}\n"
    "(or set KK_SWAGGER2OPENAPI to its executable). Or convert by hand and pass the result "
    "to --spec:\n"
    f"    npx {PACKAGE} --patch {{src}} -o openapi.yaml"
)


def converter() -> str | None:
    """The swagger2openapi executable: KK_SWAGGER2OPENAPI, `.kk/swagger2openapi` here or in
    the kit's checkout, or PATH."""
    named = os.environ.get("KK_SWAGGER2OPENAPI")
    if named:
        return named
    for root in (Path.cwd(), Path(__file__).resolve().parents[1]):
        candidate = root / LOCAL / "node_modules" / ".bin" / "swagger2openapi"
        if candidate.exists():
            return str(candidate)
    return shutil.which("swagger2openapi")


def convert(doc: dict[str, Any], source: str, uri: str) -> dict[str, Any]:
    """`doc` (Swagger 2.0, read from `uri`) as OpenAPI 3.0; SpecError saying why not."""
    exe = converter()
    if exe is None:
        raise SpecError(REFUSED.format(src=source))
    parsed = urlparse(uri)
    with tempfile.TemporaryDirectory(prefix="kk-swagger2-") as tmp:
        if parsed.scheme == "file":  # converted where it lies: its relative $refs still resolve
            path = url2pathname(parsed.path)
        else:
            path = str(Path(tmp) / "swagger.json")
            Path(path).write_text(json.dumps(doc), encoding="utf-8")
        try:
            done = subprocess.run(
                [exe, "--patch", path], capture_output=True, timeout=TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SpecError(f"{source} is Swagger 2.0; swagger2openapi ({exe}) failed: {e}") from e
    if done.returncode != 0 or len(done.stdout) > MAX_OUTPUT:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise SpecError(
            f"{source} is Swagger 2.0, and swagger2openapi could not convert it: "
            + (" / ".join(why) or f"exit status {done.returncode}")
        )
    try:
        converted = json.loads(done.stdout)
    except ValueError as e:
        raise SpecError(f"{source}: swagger2openapi wrote no JSON document: {e}") from e
    if not isinstance(converted, dict) or "openapi" not in converted:
        raise SpecError(f"{source}: swagger2openapi wrote no OpenAPI document")
    log.warning("%s is Swagger 2.0: converted to OpenAPI %s on load", source, converted["openapi"])
    return cast(dict[str, Any], converted)
