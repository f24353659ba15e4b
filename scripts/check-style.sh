#!/usr/bin/env bash
# Enforces what docs/CODING_STYLE.md says a reader should be able to rely
# on, as a test (meson test style):
#   - lib/ never prints, exits or aborts: no printf, puts, perror, exit or
#     abort (and their relatives) in lib/;
#   - nowhere the unsafe functions the style bans: sprintf, vsprintf,
#     strcpy, strcat, gets, atoi, atol, strtok, sscanf;
#   - every C file is formatted by the repository's .clang-format
#     (skipped, with a note, when clang-format is not installed).
# Comments and string literals are ignored, so a sentence that names a
# banned function is fine. Usage: check-style.sh [SOURCE_DIR]
set -euo pipefail
src=${1:-${SRCDIR:-$(dirname "$0")/..}}
cd "$src"

# Every C file of the project: tracked or new, never a build directory.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files --cached --others --exclude-standard \
		-- '*.c' '*.h' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
else
	mapfile -t files < <(find . -name 'build*' -prune -o \
		\( -name '*.c' -o -name '*.h' \) -type f -print | sed 's|^\./||')
fi
[ "${#files[@]}" -gt 0 ] || { echo "FAIL: no C files found under $src" >&2; exit 1; }

status=0
python3 - "${files[@]}" <<'PY' || status=1
import re, sys

LIB_BANNED = r"printf|fprintf|vprintf|vfprintf|dprintf|puts|fputs|putchar|perror|exit|_exit|abort|err|errx|warn|warnx"
ALL_BANNED = r"sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|atoll|strtok|strtok_r|sscanf"
lib_re = re.compile(r"(?<![\w.>])(" + LIB_BANNED + r")\s*\(")
all_re = re.compile(r"(?<![\w.>])(" + ALL_BANNED + r")\s*\(")

def strip(text):
    """Blanks comments, string and character literals, keeping newlines."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c); i = j
        else:
            out.append(c); i += 1
    return "".join(out)

bad = 0
for path in sys.argv[1:]:
    try:
        code = strip(open(path, encoding="utf-8", errors="replace").read())
    except OSError as e:
        print("FAIL: cannot read %s: %s" % (path, e)); bad += 1; continue
    in_lib = path.startswith("lib/")
    for lineno, line in enumerate(code.split("\n"), 1):
        for m in all_re.finditer(line):
            print("FAIL: %s:%d: %s() is banned (docs/CODING_STYLE.md: use snprintf, strtoul with checks)" % (path, lineno, m.group(1)))
            bad += 1
        if in_lib:
            for m in lib_re.finditer(line):
                print("FAIL: %s:%d: %s() in lib/ (the library never prints, exits or aborts)" % (path, lineno, m.group(1)))
                bad += 1
print("ok: %d C files: no banned function, nothing printed or exiting in lib/" % len(sys.argv[1:]) if not bad else "%d style violations" % bad)
sys.exit(1 if bad else 0)
PY

if command -v clang-format >/dev/null; then
	if clang-format --dry-run --Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/check-style.$$"; then
		echo "ok: ${#files[@]} C files formatted by .clang-format"
	else
		# Name the files, not every hunk: `make format` fixes them.
		grep -o '^[^:]*\.[ch]:' "${TMPDIR:-/tmp}/check-style.$$" | sort -u |
			sed 's/:$//; s/^/FAIL: not clang-formatted (make format): /'
		status=1
	fi
	rm -f "${TMPDIR:-/tmp}/check-style.$$"
else
	echo "note: clang-format not installed: formatting not checked"
fi
exit $status
