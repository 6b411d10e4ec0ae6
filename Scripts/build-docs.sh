#!/usr/bin/env bash
# DocC archives for every library module: docs-build/<Module>.doccarchive, from the catalog in
# Sources/<Module>/<Module>.docc and the module's public symbols. Symbol graphs come from
# `swift package dump-symbol-graph` over the release build `make test` leaves (same configuration
# and flags, so it mostly reuses it: about 2 minutes after `make test` on 2 cores), and docc runs with --warnings-as-errors: a link in a catalog
# or a doc comment to a symbol that no longer exists fails the build. (Parameter lists are not
# checked: many doc comments describe parameters in prose.) No docc plugin or package dependency.
#
# Usage: Scripts/build-docs.sh [Module...]   (default: every library module)
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
DOCC="${DOCC:-$(dirname "$(command -v "$SWIFT")")/docc}"
[ -x "$DOCC" ] || DOCC=docc
out=docs-build
modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(TensorCore ConvNet DrivingData HDF5 SampleStore ModelFile Drive Simulator Report Cluster)

# The same configuration and flags as `make test`, so this reuses its build.
"$SWIFT" package -c release -Xswiftc -enable-testing dump-symbol-graph --minimum-access-level public \
  > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
graphs=$(sed -n 's/^Files written to //p' "$out.log" | tail -n 1)
[ -d "$graphs" ] || { cat "$out.log"; echo "build-docs: no symbol graph folder reported" >&2; exit 1; }
rm -f "$out.log"

mkdir -p "$out"
for module in "${modules[@]}"; do
  catalog="Sources/$module/$module.docc"
  [ -d "$catalog" ] || { echo "build-docs: no catalog $catalog" >&2; exit 1; }
  # Only this module's graphs (its own symbols and its extensions of other modules' types).
  mine="$out/symbol-graphs/$module"
  rm -rf "$mine" "$out/$module.doccarchive"
  mkdir -p "$mine"
  cp "$graphs/$module.symbols.json" "$mine/"
  for extension in "$graphs/$module@"*.symbols.json; do
    [ -e "$extension" ] && cp "$extension" "$mine/"
  done
  if ! "$DOCC" convert "$catalog" --additional-symbol-graph-dir "$mine" \
    --output-path "$out/$module.doccarchive" --fallback-display-name "$module" \
    --fallback-bundle-identifier "BehavioralCloning.$module" --fallback-default-module-kind Framework \
    --warnings-as-errors --disable-parameters-and-returns-validation > "$out/docc.log" 2>&1; then
    cat "$out/docc.log"
    echo "build-docs: $module's documentation has errors (above)" >&2
    exit 1
  fi
  echo "build-docs: $out/$module.doccarchive"
done
rm -rf "$out/symbol-graphs" "$out/docc.log"
