#!/usr/bin/env bash
# The post's experiment under watch --json, poll backend (see watch-post.sh).
exec bash "$(dirname "$0")/watch-post.sh" poll "$@"
