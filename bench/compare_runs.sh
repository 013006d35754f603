#!/bin/bash
# Compare two pipeline runs' outputs (issue 18: "every bundle's tables unchanged"):
#
#     bench/compare_runs.sh BEFORE_CHECKOUT AFTER_CHECKOUT
#
# For each bundle (2017, 2019, trends): `councilsurvey.publish.diff` (cells of every table)
# and `cmp` of every file, listing those that differ. Then `cmp` of every CSV, PNG, SVG,
# parquet, notebook and HTML file under results/ and data/processed/ outside the bundles.
# Run from the root of a checkout with .venv (its library runs the diff).
set -u
before=$1 after=$2
for w in 2017 2019 trends; do
  A=$(ls -d "$before"/results/bundles/*-"$w"-v*[0-9a-f]) B=$(ls -d "$after"/results/bundles/*-"$w"-v*[0-9a-f])
  echo "== $w: $(basename "$A") vs $(basename "$B")"
  PYTHONPATH=$PWD/workflow .venv/bin/python -m councilsurvey.publish.diff "$A" "$B" | grep Summary
  n=0 differ=""
  for f in $(cd "$A" && find . -type f | sort); do
    n=$((n + 1)); cmp -s "$A/$f" "$B/$f" || differ="$differ $f"
  done
  echo "files: $n; differing:$differ"
done
n=0 differ=""
for f in $(cd "$before" && find results data/processed -type f -not -path '*/bundles/*' \
    \( -name '*.csv' -o -name '*.png' -o -name '*.svg' -o -name '*.parquet' -o -name '*.ipynb' -o -name '*.html' \) | sort); do
  n=$((n + 1)); cmp -s "$before/$f" "$after/$f" || differ="$differ $f"
done
echo "outputs outside the bundles: $n; differing:$differ"
