#!/usr/bin/env bash
# Cross-checks the arm64 encoder against the GNU assembler, which go test
# does not need: TestEncodings writes every case's bits and Arm text, the
# texts are assembled with aarch64-linux-gnu-as (Debian package
# binutils-aarch64-linux-gnu) and disassembled with objdump, and the words
# the assembler gave are printed, one "bits text" line per case, in the
# form of gnuEncodings in encode_test.go, where they are pasted. Any word
# that differs from the encoder's is reported on stderr, and the script
# fails.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ARM64_ENCODINGS="$tmp/ours.txt" go test -count=1 -run '^TestEncodings$' . >/dev/null
cut -c10- "$tmp/ours.txt" >"$tmp/in.s"
aarch64-linux-gnu-as "$tmp/in.s" -o "$tmp/in.o"
aarch64-linux-gnu-objdump -d "$tmp/in.o" |
	awk -F'\t' '/^ *[0-9a-f]+:\t/ { print $2 }' | tr -d ' ' >"$tmp/gnu.txt"
paste -d' ' "$tmp/gnu.txt" "$tmp/in.s"

if ! diff <(cut -c1-8 "$tmp/ours.txt") "$tmp/gnu.txt" >"$tmp/diff"; then
	echo "encodings.sh: the encoder and the GNU assembler differ:" >&2
	cat "$tmp/diff" >&2
	exit 1
fi
echo "encodings.sh: $(wc -l <"$tmp/gnu.txt") encodings agree with $(aarch64-linux-gnu-as --version | head -1)" >&2
