#!/usr/bin/env bash
# The post's experiment under watch --json, bpf backend (see watch-post.sh).
exec bash "$(dirname "$0")/watch-post.sh" bpf "$@"
