"""Refresh the vendored Swagger UI and ReDoc files behind `/docs` and `/redoc`.

    python scripts/refresh_docs_assets.py                      # the pinned versions again
    python scripts/refresh_docs_assets.py --swagger-ui 5.36.0  # move a pin (and --redoc X.Y.Z)

`make docs-assets` runs it. Each npm package is fetched at its exact version with
`npm pack` (the ordinary npm client, from the registry npm is set up with), the files the
pages use are copied into `app/api_docs/static/<dir>/`, and `app/api_docs/static/assets.json`
records the version, the tarball's integrity and every file's SHA-256
(`tests/api_docs/test_pages.py` checks the committed files against it). Commit the result.

ReDoc stays on 2.x: 3.x is an ES module that reports usage to its vendor unless told not
to, and FastAPI's `get_redoc_html` loads a classic script. One patch is applied (`PATCHES`,
recorded in the manifest): ReDoc's sidebar footer loads its vendor's logo from a CDN, with
no option to turn it off; it gets an empty `data:` image instead, which ReDoc's own error
handler then hides. A new version without that exact text fails here, to be looked at.
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "app" / "api_docs" / "static"
MANIFEST = STATIC / "assets.json"

# npm package -> (folder under static/, the files taken from its tarball's package/).
PACKAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "swagger-ui-dist": (
        "swagger_ui",
        (
            "swagger-ui-bundle.js",
            "swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui.css",
            "favicon-32x32.png",
            "LICENSE",
            "NOTICE",
        ),
    ),
    "redoc": (
        "redoc",
        ("bundles/redoc.standalone.js", "bundles/redoc.standalone.js.LICENSE.txt", "LICENSE"),
    ),
}

# (package, file) -> the replacements made in it, each of text found exactly once.
PATCHES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("redoc", "redoc.standalone.js"): (
        ('src:"https://cdn.redoc.ly/redoc/logo-mini.svg"', 'src:"data:,"'),
    ),
}


def _pack(package: str, version: str, workdir: Path) -> tuple[Path, str]:
    """Download `package@version` with `npm pack`: (the tarball, its integrity)."""
    out = subprocess.run(  # noqa: S603
        ["npm", "pack", "--json", "--pack-destination", str(workdir), f"{package}@{version}"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (packed,) = json.loads(out)
    if packed["version"] != version:
        sys.exit(f"npm answered {package}@{packed['version']} for {version}")
    return workdir / packed["filename"], packed["integrity"]


def _refresh(package: str, version: str, workdir: Path) -> dict[str, object]:
    folder, files = PACKAGES[package]
    tarball, integrity = _pack(package, version, workdir)
    target = STATIC / folder
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    digests = {}
    with tarfile.open(tarball) as archive:
        for name in files:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                sys.exit(f"{package}@{version} has no file {name}")
            data = member.read()
            served = Path(name).name
            for old, new in PATCHES.get((package, served), ()):
                if data.count(old.encode()) != 1:
                    sys.exit(f"{package}@{version} {served}: {old!r} is not there exactly once")
                data = data.replace(old.encode(), new.encode())
            (target / served).write_bytes(data)
            digests[served] = hashlib.sha256(data).hexdigest()
    patches = {
        served: [{"from": old, "to": new} for old, new in replacements]
        for (name, served), replacements in PATCHES.items()
        if name == package
    }
    return {
        "version": version,
        "folder": folder,
        "integrity": integrity,  # of the npm tarball, as npm reported it
        "files": digests,  # SHA-256 of each file as served (after any patch)
        "patches": patches,
    }


def main(argv: list[str] | None = None) -> int:
    pinned = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--swagger-ui", default=pinned.get("swagger-ui-dist", {}).get("version"))
    parser.add_argument("--redoc", default=pinned.get("redoc", {}).get("version"))
    arguments = parser.parse_args(argv)
    versions = {"swagger-ui-dist": arguments.swagger_ui, "redoc": arguments.redoc}
    if None in versions.values():
        parser.error("no pinned version yet: give --swagger-ui and --redoc")
    with tempfile.TemporaryDirectory() as workdir:
        manifest = {
            package: _refresh(package, version, Path(workdir))
            for package, version in versions.items()
        }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    for package, entry in manifest.items():
        print(f"{package}@{entry['version']} -> app/api_docs/static/{entry['folder']}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
