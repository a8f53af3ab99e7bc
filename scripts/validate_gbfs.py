#!/usr/bin/env python3
"""Validates GBFS feed sets against the official GBFS JSON schemas (MobilityData).

usage: validate_gbfs.py SCHEMA_DIR FEED_DIR [FEED_DIR ...]

Each FEED_DIR holds one feed set (gbfs.json and the files it lists); its gbfs.json names the
version, whose schemas are read from SCHEMA_DIR/v<version>/<feed>.json. Every file listed in
gbfs.json must exist and be valid; formats (date-time, uri, email) are checked too. Prints
one line per problem and exits 1 if there is any.
"""
import json
import sys
from pathlib import Path

import jsonschema


def problems(schema_dir: Path, feed_dir: Path):
    discovery = json.loads((feed_dir / "gbfs.json").read_text())
    version = discovery.get("version")
    schemas = schema_dir / f"v{version}"
    if not schemas.is_dir():
        yield f"{feed_dir}/gbfs.json: version {version!r}: no schemas in {schemas}"
        return
    data = discovery.get("data", {})
    feeds = data.get("feeds") if "feeds" in data else next(iter(data.values()), {}).get("feeds", [])
    names = ["gbfs"] + [f["name"] for f in feeds if f.get("name") != "gbfs"]
    for name in names:
        path = feed_dir / f"{name}.json"
        if not path.exists():
            yield f"{path}: listed in gbfs.json but missing"
            continue
        schema = json.loads((schemas / f"{name}.json").read_text())
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
        for error in sorted(validator.iter_errors(json.loads(path.read_text())), key=str):
            where = "/".join(str(p) for p in error.absolute_path)
            yield f"{path}: {where}: {error.message[:200]}"


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema_dir = Path(sys.argv[1])
    found = [p for d in sys.argv[2:] for p in problems(schema_dir, Path(d))]
    for p in found:
        print(p)
    checked = len(sys.argv) - 2
    print(f"{checked} feed set(s) checked, {len(found)} problem(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
