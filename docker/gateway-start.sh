#!/bin/sh
# The gateway container's command: render the template from the environment
# (nginx/render.sh checks every value), test it, and become nginx in the
# foreground (the template says daemon off) so that Docker supervises it.
set -eu

mkdir -p "$RUN_DIR/tmp" "$RUN_DIR/conf.d"
# The image's /openapi.json and /docs (RUN_DIR may be an empty volume).
[ -e "$RUN_DIR/www" ] || ln -s /usr/share/gateway/www "$RUN_DIR/www"
/etc/gateway/render.sh > "$RUN_DIR/nginx.conf"
nginx -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr
exec nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr
