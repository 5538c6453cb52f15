#!/usr/bin/env bash
# Runs N consecutive drills of each scenario with --cpu-stress 2 and summarises them per scenario:
# runs ending with a serving site, lost acknowledged writes, objectives missed (and which), RTO range.
# Usage: benchmarks/drill/stressed-drills.sh OUT_DIR [N] [JAR]
# (build the jar first: mvn -B -q -pl dr-examples -am package -DskipTests)
set -euo pipefail
out=${1:?usage: $0 OUT_DIR [N] [JAR]}
n=${2:-10}
jar=${3:-dr-examples/target/drkit.jar}
mkdir -p "$out"
cp "$jar" "$out/drkit.jar"
echo "start $(date -u +%H:%M:%S) $(uptime)" | tee "$out/load.txt"
for sc in site-loss switchover restore drill; do
  for i in $(seq 1 "$n"); do
    d="$out/$sc-$i"
    set +e
    java -jar "$out/drkit.jar" drill --scenario "$sc" --cpu-stress 2 --report-dir "$d" > "$d.out" 2> "$d.err"
    echo $? > "$d.exit"
    set -e
    echo "$sc $i exit $(cat "$d.exit") $(uptime | sed 's/.*load average: //')" | tee -a "$out/load.txt"
  done
done
echo "end $(date -u +%H:%M:%S) $(uptime)" | tee -a "$out/load.txt"
python3 - "$out" "$n" <<'PY'
import json, sys, collections
out, n = sys.argv[1], int(sys.argv[2])
for sc in ["site-loss", "switchover", "restore", "drill"]:
    serving = lost = 0; rtos = []; missed = collections.Counter(); exits = collections.Counter(); runs = 0
    for i in range(1, n + 1):
        try:
            r = json.load(open(f"{out}/{sc}-{i}/report.json"))
        except FileNotFoundError:
            missed["no report"] += 1; continue
        runs += 1
        exits[open(f"{out}/{sc}-{i}.exit").read().strip()] += 1
        obj = {o["name"]: o for o in r["objectives"]}
        if obj.get("a site serves at the end", {}).get("met"):
            serving += 1
        lost += r["rpo"]["lostWrites"]
        for o in r["objectives"]:
            if not o["met"]:
                missed[o["name"]] += 1
        for p in r["phases"]:
            if p["verdict"] == "FAIL" and p["name"].startswith("engine "):
                missed["budget: " + p["name"].split(" (")[0][7:]] += 1
        if r.get("rto"):
            rtos.append(r["rto"]["measuredMs"])
    rng = f"{min(rtos)}-{max(rtos)} ms (median {sorted(rtos)[len(rtos)//2]})" if rtos else "-"
    print(f"{sc}: runs {runs}, serving at end {serving}/{runs}, lost acknowledged writes {lost}, exits {dict(exits)},"
          f" RTO {rng}, missed {dict(missed) if missed else 'none'}")
PY
