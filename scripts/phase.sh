# Sourced by .ci/run, scripts/test.sh and scripts/test-beside.sh: each step
# is a phase that logs its wall time ("== time: PHASE N s"), and
# `phase_times LABEL` prints them all and the total at the end, so a CI log
# shows where the time went.
times=()
phase() { # phase NAME COMMAND...: runs COMMAND, logs and keeps its wall time
  local name=$1 t=$SECONDS
  shift
  echo "== $name"
  "$@"
  times+=("$name: $((SECONDS - t)) s")
  echo "== time: $name: $((SECONDS - t)) s"
}
phase_times() { # phase_times LABEL: every phase's time, then LABEL's total
  printf '== time: %s\n' "${times[@]}" "$1: $SECONDS s"
}
