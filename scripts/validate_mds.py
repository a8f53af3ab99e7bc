#!/usr/bin/env python3
"""Validates MDS 2.0 Policy and Geography flat files against the official MDS models.

usage: validate_mds.py MODELS_DIR MDS_DIR [MDS_DIR ...]

MODELS_DIR is the `models/` folder of openmobilityfoundation/mds-openapi (YAML JSON Schemas,
draft 2020-12, kept in tests/fixtures/mds-openapi/models). Each MDS_DIR holds policies.json
and geographies.json, checked as the /policies.json and /geographies.json responses of the
MDS reference (reference/policy.yaml, reference/geography.yaml): version and last_updated,
and every policy and geography against models/policy.yaml and models/geography.yaml. Also
checks what the schemas cannot: each rule names geographies that the geographies file has.
Prints one line per problem and exits 1 if there is any.
"""
import json
import sys
import warnings
from pathlib import Path

import jsonschema
import yaml

# RefResolver is deprecated in jsonschema 4.18+, and the only API Debian 12's 4.10 has
warnings.filterwarnings("ignore", category=DeprecationWarning)


def load(path: Path):
    """A YAML schema with its relative file refs made absolute: the RefResolver of Debian 12's
    jsonschema (4.10) loses the base URI between sibling refs, later ones do not."""

    def absolute(node):
        if isinstance(node, dict):
            out = {k: absolute(v) for k, v in node.items()}
            ref = out.get("$ref")
            if isinstance(ref, str) and not ref.startswith(("#", "http", "file:")):
                file, _, fragment = ref.partition("#")
                uri = (path.parent / file).resolve().as_uri()
                out["$ref"] = uri + ("#" + fragment if fragment else "")
            return out
        if isinstance(node, list):
            return [absolute(v) for v in node]
        return node

    return absolute(yaml.safe_load(path.read_text()))


def validator(models: Path, name: str):
    path = (models / name).resolve()
    schema = load(path)
    resolver = jsonschema.RefResolver(
        base_uri=path.as_uri(),
        referrer=schema,
        handlers={"file": lambda uri: load(Path(uri.removeprefix("file://")))},
    )
    return jsonschema.Draft202012Validator(
        schema, resolver=resolver, format_checker=jsonschema.FormatChecker()
    )


def response_problems(models: Path, path: Path, key: str, model: str):
    doc = json.loads(path.read_text())
    version = validator(models, "response/version.yaml")
    updated = validator(models, "response/last_updated.yaml")
    for v in (version, updated):
        for e in v.iter_errors(doc):
            yield f"{path}: {e.message}"
    items = doc.get(key)
    if not isinstance(items, list):
        yield f"{path}: {key}: expected an array"
        return
    item = validator(models, model)
    for i, x in enumerate(items):
        for e in item.iter_errors(x):
            where = "/".join(str(p) for p in e.absolute_path)
            yield f"{path}: {key}[{i}]/{where}: {e.message[:300]}"


def problems(models: Path, mds: Path):
    policies, geographies = mds / "policies.json", mds / "geographies.json"
    for p in (policies, geographies):
        if not p.exists():
            yield f"{p}: missing"
            return
    yield from response_problems(models, policies, "policies", "policy.yaml")
    yield from response_problems(models, geographies, "geographies", "geography.yaml")
    known = {g.get("geography_id") for g in json.loads(geographies.read_text())["geographies"]}
    for i, p in enumerate(json.loads(policies.read_text())["policies"]):
        for j, r in enumerate(p.get("rules", [])):
            for g in r.get("geographies", []):
                if g not in known:
                    yield f"{policies}: policies[{i}].rules[{j}]: geography {g} is not in {geographies}"


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    models = Path(sys.argv[1])
    found = [p for d in sys.argv[2:] for p in problems(models, Path(d))]
    for p in found:
        print(p)
    print(f"{len(sys.argv) - 2} MDS folder(s) checked, {len(found)} problem(s)")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
