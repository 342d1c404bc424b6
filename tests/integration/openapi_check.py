#!/usr/bin/python3
"""Checks live answers against docs/openapi.yaml, so the document cannot
drift from the code (Debian's python3 with python3-yaml, python3-jsonschema).

  openapi_check.py batch SPEC SEEN DIR
      for every line "ID EXPECT METHOD PATH" of DIR/list, whose
      answer is in DIR/ID.status, DIR/ID.headers and DIR/ID.body: the
      status must be documented for METHOD PATH (query string ignored), every
      required documented header present and matching its schema, a body
      valid against the documented schema, and the status EXPECT unless that
      is "-".  Appends each "METHOD PATH STATUS" to the file SEEN.
      Answers that came through Stoplight Prism carry its sl-violations
      header: any violation of the answer fails, and so does a request
      Prism finds invalid (a route or method the document lacks, a missing
      token) that was not refused with a 4xx.  Prints every failure, then
      exits 1 if there was one.
  openapi_check.py ops SPEC
      every documented "METHOD PATH STATUS", a path parameter filled in
      with its example, STATUS the operation's 2xx or 3xx answer, else 405.
  openapi_check.py coverage SPEC SEEN [METHOD:PATH:STATUS...]
      every documented answer was seen, except those listed.
"""
import json
import os
import re
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


class Mismatch(Exception):
    pass


def fail(msg):
    raise Mismatch(msg)


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


def find_path(doc, path):
    """The document's path for a request path: exact, else templated."""
    if path in doc["paths"]:
        return path
    for name in doc["paths"]:
        if "{" in name:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(name))
            if re.fullmatch(pattern, path):
                return name
    fail(f"{path} is not in the document")


def violations(headers, status):
    """Stoplight Prism's verdict (its sl-violations header), if it saw this."""
    raw = headers.get("sl-violations")
    if raw is None:
        return
    for v in json.loads(raw):
        where = (v.get("location") or ["?"])[0]
        msg = v.get("message", "")
        if where != "request" or "route not found" in msg or "no method" in msg.lower():
            fail(f"Prism: {where}: {msg}")
        if int(status) < 400:
            fail(f"Prism finds the request invalid ({msg}), yet it answered {status}")


def answer(doc, method, path, status, headers_file, body_file):
    """Checks one answer; returns the "METHOD PATH STATUS" it covers."""
    path = find_path(doc, path.split("?", 1)[0])
    op_method = method.lower()
    op = doc["paths"][path].get(op_method)
    if op is None:
        fail(f"{method} {path} is not in the document")
    resp = op.get("responses", {}).get(status)
    if resp is None:
        fail(f"{method} {path} answered {status}: not documented")
    resp = deref(doc, resp)
    headers = read_headers(headers_file)
    violations(headers, status)
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
    return f"{method} {path} {status}"


def batch(spec, seen, d):
    doc = load(spec)
    failures, covered = [], []
    with open(os.path.join(d, "list")) as f:
        for line in f:
            rid, expect, method, path = line.split()
            base = os.path.join(d, rid)
            with open(base + ".status") as s:
                status = s.read().strip()
            try:
                if expect != "-" and status != expect:
                    fail(f"answered {status}, the test wants {expect}")
                covered.append(answer(doc, method, path, status,
                                      base + ".headers", base + ".body"))
            except Mismatch as e:
                failures.append(f"{method} {path} ({rid}): {e}")
    with open(seen, "a") as f:
        f.writelines(c + "\n" for c in covered)
    for msg in failures:
        print(f"openapi: {msg}", file=sys.stderr)
    print(f"openapi: {len(covered)} answers as documented, {len(failures)} not",
          file=sys.stderr)
    return 1 if failures else 0


def ops(spec):
    doc = load(spec)
    for path, item in doc["paths"].items():
        concrete = path
        for p in item.get("parameters", []):
            concrete = concrete.replace("{%s}" % p["name"], str(p["example"]))
        for method in item:
            if method in METHODS:
                codes = sorted(item[method]["responses"])
                ok = [c for c in codes if c[0] in "23"]
                print(method.upper(), concrete, ok[0] if ok else "405")


METHODS = ("get", "head", "post", "put", "delete", "patch", "options", "trace")


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
            if method not in METHODS:
                continue
            for status in op.get("responses", {}):
                key = (method.upper(), path, str(status))
                if key not in got and ":".join(key) not in exempt:
                    missing.append(" ".join(key))
    if missing:
        fail("documented but never seen: " + ", ".join(missing))


def main():
    try:
        if len(sys.argv) == 5 and sys.argv[1] == "batch":
            sys.exit(batch(*sys.argv[2:5]))
        elif len(sys.argv) == 3 and sys.argv[1] == "ops":
            ops(sys.argv[2])
        elif len(sys.argv) >= 4 and sys.argv[1] == "coverage":
            coverage(sys.argv[2], sys.argv[3], set(sys.argv[4:]))
        else:
            print(__doc__, file=sys.stderr)
            sys.exit(2)
    except Mismatch as e:
        print(f"openapi: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
