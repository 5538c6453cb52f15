#!/usr/bin/env bash
# Soak of dr-backup's randomized schedules (issue 11): backups, forgets, prunes, restores and
# verifies on one repository, with operations paused past their lock lease, killed, or losing a
# write or an acknowledgement; after every step every listed snapshot must restore byte-identical.
# The build runs 500 schedules; this runs as many as asked, from a given first seed.
#
#   benchmarks/soak-backup-schedules.sh [COUNT] [FIRST_SEED]      (defaults: 20000 and 1001)
#
# Prints the summary (schedules, steps, pauses, kills, injected faults, outcomes per operation,
# findings) and leaves it in dr-backup/target/schedule-summary.txt. Exits non-zero on a finding.
# Add -Ddrkit.schedules.trace=true (TRACE=1) to get the trace of each finding's schedule.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-20000}"
FIRST="${2:-1001}"
TRACE_OPT=()
if [[ "${TRACE:-0}" == 1 ]]; then TRACE_OPT=(-Ddrkit.schedules.trace=true); fi
mvn -B -o -q -pl dr-backup -am test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=RandomizedScheduleTest \
  -Ddrkit.schedules="$COUNT" -Ddrkit.schedules.seed="$FIRST" "${TRACE_OPT[@]}" || status=$?
cat dr-backup/target/schedule-summary.txt
exit "${status:-0}"
