"""Vendor @cfworker/json-schema as one ES module: forms/static/vendor/json-schema.js.

Run by hand when updating the version (needs npm):
    python forms/static/vendor/build.py 4.1.6
It packs the package with `npm pack`, joins its ESM files in dependency order,
drops the imports between them and the indentation, and writes the licence
header. No bundler, no eval: the output is the package's own code.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@cfworker/json-schema"
FILES = (
    "deep-compare-strict",
    "pointer",
    "ucs2-length",
    "format",
    "dereference",
    "validate",
    "validator",
)
HERE = Path(__file__).parent


def build(version: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{version}"], cwd=tmp, check=True, capture_output=True
        )
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as archive:
            archive.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        licence = next(package.glob("LICENSE*"), None)
        licence_text = licence.read_text() if licence else "MIT (see package.json)"
        parts = []
        for name in FILES:
            text = (package / "dist" / "esm" / f"{name}.js").read_text()
            text = re.sub(r"^import .*? from '\./[^']+';\n", "", text, flags=re.M)
            text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.M)
            parts.append(text)
    body = "\n".join(parts)
    # Safe for 4.1.x: its only multi-line literals are regexes, whose lines never start blank.
    body = "\n".join(line.strip() for line in body.splitlines() if line.strip())
    header = "\n".join(" * " + line if line else " *" for line in licence_text.strip().splitlines())
    return f"/* {PACKAGE} {version}, vendored by build.py\n{header}\n */\n{body}\n"


if __name__ == "__main__":
    version = sys.argv[1] if len(sys.argv) > 1 else "4.1.6"
    (HERE / "json-schema.js").write_text(build(version), encoding="utf-8")
    (HERE / "VERSIONS").write_text(
        f"{PACKAGE} {version} MIT https://github.com/cfworker/cfworker\n"
    )
