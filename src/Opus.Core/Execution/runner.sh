#!/bin/bash
# Opus job runner: runs one job's script in its working directory and reports phase changes.
#   runner.sh JOB_DIR
# JOB_DIR holds script.sh (the definition's script), job.env (NUL-separated NAME=value pairs
# written by Opus) and, when a server listens, callback.header (the per-job token).
# Each report is appended to JOB_DIR/events and POSTed to $OPUS_CALLBACK_URL. The EXIT trap
# reports ERROR for any end that did not report, so a crash, signal or time limit still reports.
set -u
job_dir=$1
cd "$job_dir" || exit 90
exec >>"$job_dir/runner.log" 2>&1

reported_end=0
report() { # report PHASE [EXIT_CODE]
  local line="$EPOCHREALTIME $1 ${2:-}"
  echo "$line" >>"$job_dir/events"
  if [ -n "${OPUS_CALLBACK_URL:-}" ]; then
    curl --silent --show-error --max-time 10 --retry 3 --retry-connrefused --retry-delay 1 \
      --header @"$job_dir/callback.header" \
      --data-urlencode "job=$OPUS_JOB_ID" --data-urlencode "event=$line" \
      --output /dev/null "$OPUS_CALLBACK_URL" || echo "runner: callback failed for $1"
  fi
}
on_exit() {
  local code=$?
  if [ "$reported_end" = 0 ]; then
    reported_end=1
    [ "$code" = 0 ] && code=1
    report ERROR "$code"
  fi
}
trap on_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# Values are exported verbatim: nothing here parses them as shell text.
while IFS= read -r -d '' assignment; do
  export "$assignment"
done <"$job_dir/job.env"

report EXECUTING
mkdir -p "$job_dir/work"
cd "$job_dir/work" || exit 91
bash "$job_dir/script.sh" >"$job_dir/stdout.log" 2>"$job_dir/stderr.log" </dev/null &
wait $!
code=$?
reported_end=1
if [ "$code" = 0 ]; then
  report COMPLETED 0
else
  report ERROR "$code"
fi
# The script's status is the runner's: a scheduler (SLURM) records the job as failed too.
exit "$code"
