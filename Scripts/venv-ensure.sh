#!/usr/bin/env bash
# Creates (or updates) a Python virtual environment with the pinned requirements.
# A stamp file holding the requirements' hash makes a second run instant.
set -euo pipefail
venv=$1
req=$2
stamp="$venv/.requirements.sha"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
