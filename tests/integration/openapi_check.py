#!/usr/bin/python3
"""Checks live answers against docs/openapi.yaml, so the document cannot
drift from the code (Debian's python3 with python3-yaml, python3-jsonschema).

  openapi_check.py answer SPEC SEEN METHOD PATH STATUS HEADERS BODY
      the status must be documented for METHOD PATH (query string ignored),
      every required documented header present and matching its schema, and
      a JSON body valid against the documented schema.  Appends
      "METHOD PATH STATUS" to the file SEEN.
  openapi_check.py coverage SPEC SEEN [METHOD:PATH:STATUS...]
      every documented answer was seen, except those listed.
"""
import json
import sys

import jsonschema
import yaml


def load(spec):
    with open(spec) as f:
        return yaml.safe_load(f)


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def validate(doc, schema, value, what):
    """Validates value against schema; $refs resolve against the document."""
    resolver = jsonschema.RefResolver(base_uri="", referrer=doc)
    try:
        jsonschema.Draft202012Validator(schema, resolver=resolver).validate(value)
    except jsonschema.ValidationError as e:
        fail(f"{what}: {e.message}")


def fail(msg):
    print(f"openapi: {msg}", file=sys.stderr)
    sys.exit(1)


def read_headers(path):
    """The last response's headers (curl -D may hold several), lower-cased."""
    headers = {}
    with open(path, encoding="latin-1") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith("HTTP/"):
                headers = {}
            elif ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
    return headers


def answer(spec, seen, method, path, status, headers_file, body_file):
    doc = load(spec)
    path = path.split("?", 1)[0]
    # HEAD is GET without a body.
    op_method = "get" if method == "HEAD" else method.lower()
    item = doc["paths"].get(path)
    if item is None:
        fail(f"{path} is not in the document")
    op = item.get(op_method)
    if op is None:
        # Another method on a documented path: only its 405 may answer,
        # documented with the path's operation.
        op_method = [m for m in ("get", "post") if m in item][0]
        op = item[op_method]
        if status != "405":
            fail(f"{method} {path} answered {status}: not documented")
    resp = op.get("responses", {}).get(status)
    if resp is None:
        fail(f"{method} {path} answered {status}: not documented")
    resp = deref(doc, resp)
    headers = read_headers(headers_file)
    what = f"{method} {path} {status}"
    for name, h in (resp.get("headers") or {}).items():
        h = deref(doc, h)
        value = headers.get(name.lower())
        if value is None:
            if h.get("required"):
                fail(f"{what}: header {name} missing")
            continue
        validate(doc, h.get("schema", {}), value, f"{what}: header {name}")
    content = resp.get("content") or {}
    ctype = headers.get("content-type", "").split(";")[0].strip()
    if method != "HEAD" and content:
        if ctype not in content:
            fail(f"{what}: Content-Type {ctype!r}, documented {sorted(content)}")
        with open(body_file, "rb") as f:
            raw = f.read()
        schema = content[ctype].get("schema", {})
        if ctype == "application/json":
            try:
                body = json.loads(raw)
            except ValueError:
                fail(f"{what}: body is not JSON: {raw[:80]!r}")
        else:
            body = raw.decode("utf-8", "replace")
        validate(doc, schema, body, f"{what}: body")
    with open(seen, "a") as f:
        f.write(f"{op_method.upper()} {path} {status}\n")


def coverage(spec, seen, exempt):
    doc = load(spec)
    try:
        with open(seen) as f:
            got = {tuple(line.split()) for line in f if line.strip()}
    except FileNotFoundError:
        got = set()
    missing = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status in op.get("responses", {}):
                key = (method.upper(), path, str(status))
                if key not in got and ":".join(key) not in exempt:
                    missing.append(" ".join(key))
    if missing:
        fail("documented but never seen: " + ", ".join(missing))


def main():
    if len(sys.argv) >= 9 and sys.argv[1] == "answer":
        answer(*sys.argv[2:9])
    elif len(sys.argv) >= 4 and sys.argv[1] == "coverage":
        coverage(sys.argv[2], sys.argv[3], set(sys.argv[4:]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
