#!/usr/bin/env bash
# Side-by-side comparison of drkit's backup engine with restic and borgbackup on the same data,
# in the same run, on the same machine: full backup, backup with no changes, restore of the latest
# snapshot, repository size and peak RSS (from /usr/bin/time -v).
#
# Usage (as root, from the repository root):  benchmarks/peers/compare-backup.sh [WORKDIR]
#   DRKIT_JAR   the benchmarks jar (default benchmarks/target/benchmarks.jar, built when missing)
#   DRKIT_CLI   the drkit launcher as the README runs it (default dr-examples/target/drkit with its
#               own lean JVM options); when absent, the benchmarks jar's command line runs instead
#   DRKIT_JAVA_OPTS  JVM options of that fallback (default -Xmx224m -XX:+UseSerialGC)
#   EMBEDDED_OPTS    JVM options of the embedded run (default -Xmx256m: a host's heap)
#   EMBEDDED_ROUNDS  rounds of the embedded run (default 4; the first is reported apart, as warm-up)
#   DATA_DIR    an existing data set to use instead of building one (never modified)
#   DATA_MB     minimum data set size in MB (default 500)
#   BORG        0 to leave borg out
# The embedded figures come from DrkitBackupMain's "embedded" command: drkit as a library in one
# JVM (fresh repository, full backup, no-change backup, restore per round), next to the CLI's and
# restic's figures of the same run.
#   SETTLE      seconds to wait after deleting a previous WORKDIR (default 65; see below)
# The page cache is warmed (the data set is read once) before the runs so that every tool reads
# from memory; caches are NOT dropped (the machine may be shared). Every timed step starts after an
# untimed sync, so that no step pays for writing back the previous step's files. Nothing is deleted
# during the runs, and a previous WORKDIR is deleted SETTLE seconds before the first: on ext4
# without a journal (this machine's root file system) an inode freed in the last 60 s is skipped,
# after a lookup of its inode-table block, whenever a file is created, so a restore that follows
# the deletion of thousands of files pays several seconds of system time that depend on when the
# deletion happened, not on the tool (kernel profile in benchmarks/RESULTS.md, issue 15).
set -euo pipefail

WORK=${1:-/tmp/drkit-compare}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JAR=${DRKIT_JAR:-$ROOT/benchmarks/target/benchmarks.jar}
unset DRKIT_JAR   # the launcher reads DRKIT_JAR as the jar it runs: it must run its own
JAVA_OPTS=${DRKIT_JAVA_OPTS:--Xmx224m -XX:+UseSerialGC}
CLI=${DRKIT_CLI:-$ROOT/dr-examples/target/drkit}
EMBEDDED_OPTS=${EMBEDDED_OPTS:--Xmx256m}
ROUNDS=${EMBEDDED_ROUNDS:-4}
USE_BORG=${BORG:-1}
MIN_MB=${DATA_MB:-500}
export DRKIT_PASSWORD=compare-backup-pass RESTIC_PASSWORD=compare-backup-pass BORG_PASSPHRASE=compare-backup-pass
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

need_install=()
command -v restic >/dev/null || need_install+=(restic)
[ "$USE_BORG" = 0 ] || command -v borg >/dev/null || need_install+=(borgbackup)
[ -x /usr/bin/time ] || need_install+=(time)
if [ ${#need_install[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "need root to install ${need_install[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
fi
if [ ! -f "$JAR" ]; then
  (cd "$ROOT" && mvn -B -q -pl benchmarks -am package -DskipTests)
fi

if [ -e "$WORK" ]; then
  rm -rf "$WORK"
  sync
  echo "deleted the previous $WORK; waiting ${SETTLE:-65} s for the file system to settle" >&2
  sleep "${SETTLE:-65}"
fi
mkdir -p "$WORK"
if [ -n "${DATA_DIR:-}" ]; then
DATA=$DATA_DIR
else
DATA=$WORK/data
mkdir -p "$DATA"
# Real files: every JDK installation found, plus a modified copy of the first one.
n=0
for jdk in /usr/lib/jvm/*/; do
  [ -L "${jdk%/}" ] && continue
  [ -d "$jdk/lib" ] || continue
  n=$((n + 1))
  cp -a "$jdk" "$DATA/jdk$n"
done
first=$DATA/jdk1
cp -a "$first" "$DATA/jdk1-modified"
# modify: append to every 7th file, delete every 11th, add some new files
i=0
while IFS= read -r -d '' f; do
  i=$((i + 1))
  if [ $((i % 11)) = 0 ]; then rm -f "$f"; elif [ $((i % 7)) = 0 ]; then printf 'modified %d\n' "$i" >> "$f"; fi
done < <(find "$DATA/jdk1-modified" -type f -print0)
head -c 20000000 /dev/urandom > "$DATA/jdk1-modified/random.bin"
# top up to the minimum size with further copies when the machine has few JDKs
k=0
while [ "$(du -sm "$DATA" | cut -f1)" -lt "$MIN_MB" ]; do
  k=$((k + 1)); cp -a "$first" "$DATA/jdk1-copy$k"
done
fi
DATA_BYTES=$(du -sb "$DATA" | cut -f1)
FILES=$(find "$DATA" -type f | wc -l)
echo "data set: $DATA  $((DATA_BYTES / 1000000)) MB in $FILES files"
find "$DATA" -type f -print0 | xargs -0 cat > /dev/null   # warm the page cache

# run NAME STEP cmd... : records wall seconds and peak RSS (MB)
declare -A WALL RSS
run() {
  local name=$1 step=$2; shift 2
  local log=$WORK/$name-$step.time
  sync
  if ! /usr/bin/time -v -o "$log" "$@" > "$WORK/$name-$step.out" 2>&1; then
    echo "FAILED: $name $step (see $WORK/$name-$step.out)" >&2; cat "$WORK/$name-$step.out" >&2; exit 1
  fi
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  WALL[$name,$step]=$wall
  RSS[$name,$step]=$rss
  printf '%-7s %-9s %8.2f s  %6s MB RSS\n' "$name" "$step" "$wall" "$rss"
}

JAVA="java $JAVA_OPTS -cp $JAR dev.drkit.benchmarks.backup.DrkitBackupMain"

# drkit's CLI
if [ -x "$CLI" ]; then
  DRKIT_HOW="launcher $CLI"
  run drkit init "$CLI" init --repo "$WORK/drkit-repo"
  run drkit full "$CLI" backup --repo "$WORK/drkit-repo" "$DATA"
  run drkit nochange "$CLI" backup --repo "$WORK/drkit-repo" "$DATA"
  run drkit restore "$CLI" restore latest --repo "$WORK/drkit-repo" --target "$WORK/drkit-restore"
else
  DRKIT_HOW="java $JAVA_OPTS (no launcher at $CLI)"
  run drkit init $JAVA init "$WORK/drkit-repo"
  run drkit full $JAVA backup "$WORK/drkit-repo" "$DATA" full
  run drkit nochange $JAVA backup "$WORK/drkit-repo" "$DATA" incremental
  run drkit restore $JAVA restore "$WORK/drkit-repo" "$WORK/drkit-restore"
fi
# drkit embedded: one JVM, a host's heap, several rounds
run embedded all java $EMBEDDED_OPTS -cp "$JAR" dev.drkit.benchmarks.backup.DrkitBackupMain embedded "$WORK" "$DATA" "$ROUNDS"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for s in full nochange restore; do
  WALL[embedded,$s]=$(awk -v s="$s" '$1 == "round" && $2 > 1 { for (i = 3; i < NF; i += 2) if ($i == s) print $(i + 1) }' \
    "$WORK/embedded-all.out" | median)
  WALL[embedded1,$s]=$(awk -v s="$s" '$1 == "round" && $2 == 1 { for (i = 3; i < NF; i += 2) if ($i == s) print $(i + 1) }' \
    "$WORK/embedded-all.out")
done
# restic (default compression "auto")
run restic init restic init --repo "$WORK/restic-repo" -q
run restic full restic backup --repo "$WORK/restic-repo" -q "$DATA"
run restic nochange restic backup --repo "$WORK/restic-repo" -q "$DATA"
run restic restore restic restore latest --repo "$WORK/restic-repo" --target "$WORK/restic-restore" -q
# borg (repokey encryption, default lz4 compression)
if [ "$USE_BORG" != 0 ]; then
run borg init borg init --encryption=repokey "$WORK/borg-repo"
run borg full borg create "$WORK/borg-repo::a1" "$DATA"
run borg nochange borg create "$WORK/borg-repo::a2" "$DATA"
mkdir -p "$WORK/borg-restore"
run borg restore bash -c "cd '$WORK/borg-restore' && borg extract '$WORK/borg-repo::a2'"
else
  for s in full nochange restore; do WALL[borg,$s]=0; RSS[borg,$s]=0; done
fi

# correctness of the drkit restore
for r in "$WORK/drkit-restore" "$WORK/embedded-restore-$ROUNDS"; do
  if ! diff -r --no-dereference "$DATA" "$r" > "$WORK/drkit-diff.txt" 2>&1; then
    echo "drkit restore $r differs from the data set:" >&2; head "$WORK/drkit-diff.txt" >&2; exit 1
  fi
done

declare -A SIZE
SIZE[drkit]=$(du -sb "$WORK/drkit-repo" | cut -f1)
SIZE[restic]=$(du -sb "$WORK/restic-repo" | cut -f1)
SIZE[borg]=$( [ "$USE_BORG" != 0 ] && du -sb "$WORK/borg-repo" | cut -f1 || echo 0)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
peak() { local m=0 v; for s in full nochange restore; do v=${RSS[$1,$s]}; [ "$v" -gt "$m" ] && m=$v; done; echo $m; }

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg) (shared machine)"
echo "data: $((DATA_BYTES / 1000000)) MB, $FILES files; restic $(restic version | cut -d' ' -f2); drkit CLI: $DRKIT_HOW; embedded: $EMBEDDED_OPTS, median of rounds 2-$ROUNDS"
printf '\n| %-20s | %10s | %10s | %10s | %14s | %12s |\n' metric drkit restic borg drkit/restic drkit/borg
printf '| %-20s | %10s | %10s | %10s | %14s | %12s |\n' --- --- --- --- --- ---
for s in full nochange restore; do
  printf '| %-20s | %10.2f | %10.2f | %10.2f | %14s | %12s |\n' "$s (s)" "${WALL[drkit,$s]}" "${WALL[restic,$s]}" \
    "${WALL[borg,$s]}" "$(ratio "${WALL[drkit,$s]}" "${WALL[restic,$s]}")" "$(ratio "${WALL[drkit,$s]}" "${WALL[borg,$s]}")"
done
printf '| %-20s | %10.1f | %10.1f | %10.1f | %14s | %12s |\n' "repo size (MB)" \
  "$(awk -v b="${SIZE[drkit]}" 'BEGIN{print b/1e6}')" "$(awk -v b="${SIZE[restic]}" 'BEGIN{print b/1e6}')" \
  "$(awk -v b="${SIZE[borg]}" 'BEGIN{print b/1e6}')" "$(ratio "${SIZE[drkit]}" "${SIZE[restic]}")" "$(ratio "${SIZE[drkit]}" "${SIZE[borg]}")"
printf '| %-20s | %10s | %10s | %10s | %14s | %12s |\n' "peak RSS (MB)" "$(peak drkit)" "$(peak restic)" "$(peak borg)" \
  "$(ratio "$(peak drkit)" "$(peak restic)")" "$(ratio "$(peak drkit)" "$(peak borg)")"

echo
echo "drkit embedded in one JVM ($EMBEDDED_OPTS; whole-process peak RSS ${RSS[embedded,all]} MB over $ROUNDS rounds):"
printf '| %-20s | %12s | %12s | %10s | %16s | %12s |\n' metric "embedded" "round 1" restic "embedded/restic" "CLI/restic"
printf '| %-20s | %12s | %12s | %10s | %16s | %12s |\n' --- --- --- --- --- ---
for s in full nochange restore; do
  printf '| %-20s | %12.3f | %12.3f | %10.2f | %16s | %12s |\n' "$s (s)" "${WALL[embedded,$s]}" "${WALL[embedded1,$s]}" \
    "${WALL[restic,$s]}" "$(ratio "${WALL[embedded,$s]}" "${WALL[restic,$s]}")" "$(ratio "${WALL[drkit,$s]}" "${WALL[restic,$s]}")"
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
