#!/usr/bin/env bash
# Runs scripts/demo --no-wait against the current build and checks that it
# printed one answer of each kind, so the README's first command stays true.
set -euo pipefail
out=$("$1/scripts/demo" --no-wait 2>&1) || { echo "$out"; exit 1; }
echo "$out"
for want in "DEMO-INSTOCK-LOW on stock 1: IN_STOCK" "only left" \
            "DEMO-BACKORDER on stock 1: BACKORDERABLE" "shipments      5 on" \
            "DEMO-PREORDER on stock 1: PREORDER" \
            "DEMO-OUT on stock 1: OUT_OF_STOCK" "restock" "alternatives" \
            "DEMO-DISCONTINUED on stock 1: DISCONTINUED" "successor      DEMO-SUCCESSOR" \
            "NO-SUCH-SKU        UNKNOWN"; do
  if ! grep -qF -- "$want" <<<"$out"; then
    echo "demo_test: missing \"$want\"" >&2
    exit 1
  fi
done
echo "demo_test: all five kinds of answer shown"
