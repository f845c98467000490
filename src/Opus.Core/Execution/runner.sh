#!/bin/bash
# Opus job runner: runs one job's script in its working directory and reports phase changes.
#   runner.sh JOB_DIR
# JOB_DIR holds script.sh (the definition's script), job.env (NUL-separated NAME=value pairs
# written by Opus) and, when a server listens, callback.header (the per-job token).
# Each report is appended to JOB_DIR/events, then told to the server: started by the local manager
# (OPUS_REPORT_PIPE=1), as a line on the standard output it reads; otherwise (SLURM) POSTed to
# $OPUS_CALLBACK_URL. The EXIT trap reports ERROR for any end that did not report, so a crash, signal
# or time limit still reports.
set -u
job_dir=$1
cd "$job_dir" || exit 90
# fd 3: the local manager's pipe, kept from the job's script (3>&- below).
report_pipe=0
if [ "${OPUS_REPORT_PIPE:-}" = 1 ]; then
  report_pipe=1
  exec 3>&1
fi
unset OPUS_REPORT_PIPE
exec >>"$job_dir/runner.log" 2>&1

reported_end=0
report() { # report PHASE [EXIT_CODE]
  local line="$EPOCHREALTIME $1 ${2:-}"
  echo "$line" >>"$job_dir/events"
  if [ "$report_pipe" = 1 ]; then
    # A server gone since (restarted) closed the pipe: in a subshell, so only it ignores SIGPIPE (the script must not).
    (trap '' PIPE; echo "$line" >&3) 2>/dev/null || echo "runner: callback failed for $1 (the server's pipe is closed)"
  elif [ -n "${OPUS_CALLBACK_URL:-}" ]; then
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
# Made by the server already, except on a node that staged the job: no mkdir process when it is there.
[ -d "$job_dir/work" ] || mkdir -p "$job_dir/work"
cd "$job_dir/work" || exit 91
bash "$job_dir/script.sh" >"$job_dir/stdout.log" 2>"$job_dir/stderr.log" </dev/null 3>&- &
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
