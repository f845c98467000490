#!/bin/bash
# Opus job runner: runs one job's script in its working directory and reports phase changes.
#   runner.sh JOB_DIR
# JOB_DIR holds script.sh (the definition's script), job.env (NUL-separated NAME=value pairs
# written by Opus) and, when a server listens, callback.header (the per-job token).
# Each report is appended to JOB_DIR/events, then told to the server: started by the local manager
# (OPUS_REPORT_PIPE=1), as a line on the standard output it reads; otherwise (SLURM) POSTed to
# $OPUS_CALLBACK_URL. The EXIT trap reports ERROR for any end that did not report, so a crash, signal
# or time limit still reports.
# The script's progress (opus_progress, or a "PERCENT MESSAGE" line written to $OPUS_PROGRESS_FILE) is
# read once a second and only the newest sent, to $OPUS_PROGRESS_URL (set by the HTTP staging batch
# script, which reports the phases itself) or else $OPUS_CALLBACK_URL; the local manager reads the file
# itself, so its runners start no watcher.
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
    # A server gone since (restarted) closed the pipe: SIGPIPE is ignored for this write only (the script, started
    # after the EXECUTING report, must not inherit the ignoring), in this shell: no subshell, no process.
    trap '' PIPE
    echo "$line" 2>/dev/null >&3 || echo "runner: callback failed for $1 (the server's pipe is closed)"
    trap - PIPE
  elif [ -n "${OPUS_CALLBACK_URL:-}" ]; then
    curl --silent --show-error --max-time 10 --retry 3 --retry-connrefused --retry-delay 1 \
      --header @"$job_dir/callback.header" \
      --data-urlencode "job=$OPUS_JOB_ID" --data-urlencode "event=$line" \
      --output /dev/null "$OPUS_CALLBACK_URL" || echo "runner: callback failed for $1"
  fi
}
send_progress() { # sends the progress file's line, when there is one
  local line=""
  IFS= read -r line 2>/dev/null <"$OPUS_PROGRESS_FILE"
  line=${line%"${line##*[! ]}"}
  [ -n "$line" ] || return 0
  # The line is data: it goes to curl as one URL-encoded argument, never through a shell again.
  curl --silent --show-error --max-time 10 --header @"$job_dir/callback.header" \
    --data-urlencode "job=$OPUS_JOB_ID" --data-urlencode "event=$EPOCHREALTIME PROGRESS $line" \
    --output /dev/null "$progress_url" || echo "runner: progress callback failed"
}
watch_progress() { # once a second, the newest line if it changed
  local sent="" line tick
  # A pipe nobody writes to: read -t on it is a one-second pause with no sleep process left behind.
  exec {tick}<> <(:)
  while ! read -r -t 1 -u "$tick"; do
    line=""
    IFS= read -r line 2>/dev/null <"$OPUS_PROGRESS_FILE"
    line=${line%"${line##*[! ]}"}
    if [ -n "$line" ] && [ "$line" != "$sent" ]; then
      send_progress
      sent=$line
    fi
  done
}
watcher=""
stop_watcher() {
  [ -n "$watcher" ] || return 0
  kill "$watcher" 2>/dev/null
  wait "$watcher" 2>/dev/null
  watcher=""
  send_progress # the last report, so a loop's final call is never lost
}
# The runner's own end only: a subshell (the progress watcher) killed before bash has reset the traps it
# inherited would otherwise report an end, ERROR, for a job still running.
runner_pid=$BASHPID
on_exit() {
  local code=$?
  [ "$BASHPID" = "$runner_pid" ] || return 0
  stop_watcher
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

# opus_progress PERCENT [MESSAGE]: rewrites the progress file (no request per call: the watcher sends
# the newest once a second). The message is cut to 200 characters, line breaks made spaces. The line is
# padded to a fixed 1,023 bytes and written over the old one without truncating the file: truncating
# makes ext4 flush it to disk, 5 ms a call where this takes a fraction of one.
progress_url=${OPUS_PROGRESS_URL:-${OPUS_CALLBACK_URL:-}}
export OPUS_PROGRESS_FILE="$job_dir/progress"
# No rm process when there is nothing to remove (the usual case).
[ ! -e "$OPUS_PROGRESS_FILE" ] || rm -f "$OPUS_PROGRESS_FILE"
opus_progress() {
  local percent=${1:-} message=${2:-} line
  if ! [[ $percent =~ ^[0-9]{1,3}$ ]]; then
    echo "opus_progress: PERCENT must be a whole number from 0 to 100, not '$percent'" >&2
    return 2
  fi
  percent=$((10#$percent > 100 ? 100 : 10#$percent))
  message=${message//[$'\n\r']/ }
  printf -v line '%s %s' "$percent" "${message:0:200}"
  local LC_ALL=C
  # Through fd 3: bash exports "1<>file" as "<>file" (fd 0), which would write nowhere.
  printf '%s%*s\n' "$line" $((1022 - ${#line})) '' 3<>"$OPUS_PROGRESS_FILE" >&3
}
export -f opus_progress

report EXECUTING
# Made by the server already, except on a node that staged the job: no mkdir process when it is there.
[ -d "$job_dir/work" ] || mkdir -p "$job_dir/work"
cd "$job_dir/work" || exit 91
if [ -n "$progress_url" ] && [ "$report_pipe" = 0 ]; then
  watch_progress &
  watcher=$!
fi
bash "$job_dir/script.sh" >"$job_dir/stdout.log" 2>"$job_dir/stderr.log" </dev/null 3>&- &
wait $!
code=$?
stop_watcher
reported_end=1
if [ "$code" = 0 ]; then
  report COMPLETED 0
else
  report ERROR "$code"
fi
# The script's status is the runner's: a scheduler (SLURM) records the job as failed too.
exit "$code"
