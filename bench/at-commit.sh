#!/usr/bin/env bash
# Runs the current bench/ against @gradscope/core and @gradscope/tfjs as they
# were at another commit, to measure an optimisation's before/after with the
# same harness. The commit's packages are extracted (git archive: the
# repository and its work tree are left alone) into a scratch folder that
# shares this checkout's node_modules for everything else, built with tsc
# (type errors of that old tree are ignored: tsc emits anyway).
#
#   bench/at-commit.sh <commit> [run.mjs arguments…]     e.g. bench/at-commit.sh 6eac927 --only 2
set -euo pipefail
commit="$1"; shift
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${TMPDIR:-/tmp}/gradscope-at-$(git -C "$root" rev-parse --short "$commit")"
rm -rf "$scratch" && mkdir -p "$scratch/node_modules/@gradscope"
git -C "$root" archive "$commit" packages/core packages/tfjs tsconfig.base.json | tar -x -C "$scratch"
cp -r "$root/bench" "$scratch/bench"
# Benchmark 8 finds Chromium through the dashboard's script: the harness is this checkout's, and so is that.
ln -s "$root/dashboard" "$scratch/dashboard"
for dir in "$root"/node_modules/* "$root"/node_modules/.bin; do
  name="$(basename "$dir")"
  [ "$name" = "@gradscope" ] || ln -s "$dir" "$scratch/node_modules/$name"
done
ln -s "$scratch/packages/core" "$scratch/node_modules/@gradscope/core"
ln -s "$scratch/packages/tfjs" "$scratch/node_modules/@gradscope/tfjs"
ln -s "$root/packages/protocol" "$scratch/node_modules/@gradscope/protocol"
(cd "$scratch/packages/core" && "$root/node_modules/.bin/tsc" -p tsconfig.build.json >/dev/null || true)
(cd "$scratch/packages/tfjs" && "$root/node_modules/.bin/tsc" -p tsconfig.build.json >/dev/null || true)
cd "$scratch" && node bench/run.mjs "$@"
