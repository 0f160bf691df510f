#!/usr/bin/env bash
# Make the two anchor servers that bench/bench_taxii.py measures beside cyberdip, each in its own venv:
#   medallion 3.0.0 (the OASIS reference server)           -> $MEDV (default /tmp/medv)
#   OpenTAXII 0.10.0b1 (pre-release: 0.9.3 fails TAXII 2.1) -> $OTV  (default /tmp/otv), with gunicorn
# then prints the variables that point the benchmark at them. Safe to run again.
set -euo pipefail
MEDV="${MEDV:-/tmp/medv}"
OTV="${OTV:-/tmp/otv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$MEDV/bin/medallion" ]; then
  "$PYTHON" -m venv "$MEDV"
  "$MEDV/bin/pip" install --quiet medallion==3.0.0
fi
if [ ! -x "$OTV/bin/gunicorn" ] || ! "$OTV/bin/python" -c "import opentaxii" 2>/dev/null; then
  "$PYTHON" -m venv "$OTV"
  "$OTV/bin/pip" install --quiet --pre "opentaxii==0.10.0b1" gunicorn
fi

"$MEDV/bin/pip" show medallion | sed -n 's/^Version: /medallion /p'
"$OTV/bin/pip" show opentaxii | sed -n 's/^Version: /opentaxii /p'
echo "export MEDALLION=$MEDV/bin/medallion OPENTAXII_VENV=$OTV"
