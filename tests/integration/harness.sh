#!/usr/bin/env bash
# Runs one test function of one integration test file with lib.sh loaded:
#   harness.sh FILE FUNCTION
# Exit status 0 is a pass.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck disable=SC1090
source "$1"
"$2"
