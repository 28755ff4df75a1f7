#!/bin/sh
# Stands in for `npm ci`: slow when node_modules is missing, instant when
# the cache brought it back.
set -e
if [ -f node_modules/.installed ]; then
  echo "install: node_modules restored from cache, nothing to do"
  exit 0
fi
echo "install: creating node_modules (200 packages x 20 files)..."
i=0
while [ $i -lt 200 ]; do
  d="node_modules/pkg-$i/lib"
  mkdir -p "$d"
  j=0
  while [ $j -lt 20 ]; do
    echo "module.exports = $i * $j;" > "$d/file-$j.js"
    j=$((j + 1))
  done
  echo "{\"name\": \"pkg-$i\"}" > "node_modules/pkg-$i/package.json"
  i=$((i + 1))
done
sleep 1
touch node_modules/.installed
echo "install: done"
