#!/bin/sh
# www.sh DIR: what the gateway serves besides the API, made into DIR:
#   DIR/openapi.json   docs/openapi.yaml as JSON
#   DIR/docs/          Swagger UI: our index.html and init.js, and the files
#                      of the npm package swagger-ui-dist (package-lock.json
#                      pins it; `npm ci` installs it into node_modules/)
# Used by scripts/stack.sh (into RUN_DIR/www) and the gateway image.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=$1
dist=$here/node_modules/swagger-ui-dist
if [ ! -f "$dist/swagger-ui-bundle.js" ]; then
	echo "www.sh: $dist is missing: run 'npm ci' (make does)" >&2
	exit 1
fi
mkdir -p "$out/docs"
/usr/bin/python3 -c 'import json, sys, yaml
json.dump(yaml.safe_load(sys.stdin), sys.stdout, separators=(",", ":"))' \
    < "$here/docs/openapi.yaml" > "$out/openapi.json.tmp"
mv "$out/openapi.json.tmp" "$out/openapi.json"
cp "$here/docs/swagger/index.html" "$here/docs/swagger/init.js" \
    "$dist/swagger-ui-bundle.js" "$dist/swagger-ui.css" \
    "$dist/favicon-32x32.png" "$out/docs/"
chmod -R a+rX "$out"
