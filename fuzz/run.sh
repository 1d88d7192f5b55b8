#!/usr/bin/env bash
# run.sh fuzzes every target of backprop in turn: those of package fuzz and
# dataset's FuzzReadIDX, one process at a time, each for the duration given
# as $1 (a go test -fuzztime, 10s by default). FUZZ_PARALLEL, if set, is
# passed as -parallel (the number of fuzzing workers). It prints one line
# per target, with the executions and their rate over the whole run, and
# the output of go test for a target that fails; it exits with status 1 if
# any does. A failing input is left in testdata/fuzz/<target>/ of the
# package. A target that fails with Go 1.26's spurious "context deadline
# exceeded" and no failing input is reported as a flake, not a failure.
#
#	fuzz/run.sh              # 10 s per target
#	FUZZ_PARALLEL=1 fuzz/run.sh 2m
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

time=${1:-10s}
par=()
if [[ -n ${FUZZ_PARALLEL:-} ]]; then
	par=(-parallel "$FUZZ_PARALLEL")
fi

# The targets, as package and name, found in the test files.
targets=()
for pkg in fuzz dataset; do
	for name in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$pkg"/*_test.go | cut -c6- | sort -u); do
		targets+=("$pkg $name")
	done
done

# seconds converts a Go duration as go test prints it (45s, 1m0s, 1h2m3s)
# to seconds.
seconds() {
	local d=$1 s=0
	[[ $d =~ ([0-9]+)h ]] && s=$((s + 3600 * BASH_REMATCH[1]))
	[[ $d =~ ([0-9]+)m ]] && s=$((s + 60 * BASH_REMATCH[1]))
	[[ $d =~ ([0-9]+)s ]] && s=$((s + BASH_REMATCH[1]))
	echo "$s"
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=0
printf '%-20s %-6s %12s %10s %8s\n' target result execs execs/s elapsed
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	status=ok
	corpus="$pkg/testdata/fuzz/$name"
	before=$(ls "$corpus" 2>/dev/null | wc -l)
	if ! go test "./$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$time" "${par[@]}" >"$log" 2>&1; then
		status=FAIL
		# Go 1.26's fuzzing coordinator can fail a target with "context
		# deadline exceeded" at the end of -fuzztime although nothing
		# failed (go.dev/issue/75804, fixed in Go 1.27): without a new
		# failing input written to the corpus, that is not a finding.
		after=$(ls "$corpus" 2>/dev/null | wc -l)
		if [[ $after == "$before" ]] && grep -q 'context deadline exceeded' "$log" &&
			! grep -q -e '--- FAIL: .*/' -e 'Failing input written' "$log"; then
			status=flake
		else
			failed=1
		fi
	fi

	# The last line of statistics: "fuzz: elapsed: 1m0s, execs: 123 (2/sec), …".
	line=$(grep -E '^fuzz: elapsed: [0-9hms]+, execs: [0-9]+' "$log" | tail -n 1 || true)
	execs=- rate=- elapsed=-
	if [[ $line =~ elapsed:\ ([0-9hms]+),\ execs:\ ([0-9]+) ]]; then
		elapsed=${BASH_REMATCH[1]}
		execs=${BASH_REMATCH[2]}
		secs=$(seconds "$elapsed")
		rate=$((execs / (secs > 0 ? secs : 1)))
	fi
	printf '%-20s %-6s %12s %10s %8s\n' "$name" "$status" "$execs" "$rate" "$elapsed"
	if [[ $status != ok ]]; then
		sed 's/^/    /' "$log"
	fi
done
exit "$failed"
