#!/usr/bin/env bash
# Runs the Python module's tests (pytest, Debian's python3-pytest, under /usr/bin/python3)
# against the build's package: run_pytest.sh BUILD/python PATH/TO/sgdnoise [pytest args].
# pytest exits 5 when it collects no tests; that is a failure here (a test file lost or
# never found), with a message saying so.
set -uo pipefail
pkg="$1"; cli="$2"; shift 2
cd "$(dirname "$0")"
PYTHONPATH="$pkg${PYTHONPATH:+:$PYTHONPATH}" SGDNOISE_CLI="$cli" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" .
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "run_pytest.sh: pytest collected no tests in tests/python: that is a failure" >&2
  exit 1
fi
exit "$rc"
