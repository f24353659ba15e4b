#!/usr/bin/env bash
# Hostile process names against every output: strictly valid UTF-8 JSON
# with the names repaired as a strict decoder would, and text with no raw
# control byte and no forged row. The work is in output-hostile.py.
. "$(dirname "$0")/lib.sh"
tl_private_netns "$@"
command -v python3 >/dev/null || skip "python3 not found"
export TCPLIMBO
exec timeout 300 python3 "$(dirname "$0")/output-hostile.py"
