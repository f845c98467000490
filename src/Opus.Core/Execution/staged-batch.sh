#!/bin/bash
# Opus batch script for Opus:Slurm:Staging=http: the node shares no folder with the server.
# It makes a scratch folder on the node, fetches the job's bundle (runner, script, parameters, inputs)
# from the server with the job's own token, checks it against the bundle's SHA-256 list, runs the
# runner there, sends each result, stdout and stderr back (the server checks each SHA-256 on arrival),
# then reports the end through the callback and removes its scratch folder.
# Exit codes 201-204 tell the server (through SLURM's exit code) which step of the staging failed.
# The server writes the settings below (single-quoted, from its own values only).
#OPUS_SETTINGS#
set -u
set -o pipefail
umask 077

job_dir="${opus_scratch:-${TMPDIR:-/tmp}}/opus-$opus_job-${SLURM_JOB_ID:-0}"
# A run again after SLURM requeued the job (its node failed) gets a folder of its own: scratch may be shared.
[ "${SLURM_RESTART_COUNT:-0}" = 0 ] || job_dir+=".$SLURM_RESTART_COUNT"
job_url="$opus_base/jobs/$opus_job"

say() { echo "opus staging: $*" >&2; [ -d "$job_dir" ] && echo "opus staging: $*" >>"$job_dir/runner.log"; }
fail() { say "$2"; exit "$1"; }
cleanup() { case $job_dir in */opus-*) rm -rf -- "$job_dir" ;; esac; }
micros() { echo "${EPOCHREALTIME/./}"; }
seconds_since() { local d=$(($(micros) - $1)); printf '%d.%03d' $((d / 1000000)) $((d % 1000000 / 1000)); }

mkdir -p -- "$job_dir" && chmod 700 -- "$job_dir" || fail 201 "cannot make the scratch folder $job_dir"
trap cleanup EXIT
# The token goes to curl in a file, never on a command line others could read.
printf 'Authorization: Bearer %s\n' "$opus_token" >"$job_dir/callback.header"
unset opus_token
curl_options=(--silent --show-error --fail --retry 3 --retry-connrefused --retry-delay 1 --connect-timeout 20
  --header @"$job_dir/callback.header")

# SHA-256 with OpenSSL where it is (several times faster than coreutils' where the CPU has SHA instructions).
if openssl dgst -sha256 -r </dev/null >/dev/null 2>&1; then
  OPUS_SHA256='openssl dgst -sha256 -r'
else
  OPUS_SHA256=sha256sum
fi

# The bundle is a tar stream extracted as it arrives; its last member lists every other with its SHA-256.
# Each file is checked once all are written: read back from the page cache, that costs less than hashing
# in a pipe on the way.
bundle_intact() {
  local line sum name actual
  [ -s bundle.sha256 ] || return 1
  while IFS= read -r line; do
    case $line in
      '\'*) sum=${line:1:64}; printf -v name '%b' "${line:67}" ;; # sha256sum's escaping of '\' and newline
      *) sum=${line:0:64}; name=${line:66} ;;
    esac
    actual=$($OPUS_SHA256 <"$name") && [ "${actual%% *}" = "$sum" ] || return 1
  done <bundle.sha256
}
started=$(micros)
fetched=""
for _ in 1 2 3; do
  if curl "${curl_options[@]}" --get --data-urlencode "root=$job_dir" "$job_url/bundle" \
    | (cd "$job_dir" && tar -x --no-same-owner -f -); then
    if (cd "$job_dir" && bundle_intact); then
      fetched=ok
      break
    fi
    fetched=damaged
  fi
done
case $fetched in
  ok) say "bundle fetched and checked in $(seconds_since "$started") s" ;;
  damaged) fail 203 "the job's bundle from $job_url/bundle failed its SHA-256 check" ;;
  *) fail 202 "cannot fetch the job's bundle from $job_url/bundle" ;;
esac

report() { # report "EPOCH PHASE [EXIT_CODE]"
  curl "${curl_options[@]}" --data-urlencode "job=$opus_job" --data-urlencode "event=$1" --output /dev/null "$opus_callback"
}

# Percent-encodes a relative path for the URL, keeping its slashes.
encode() {
  local LC_ALL=C s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~/-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

send() { # send FILE NAME: PUT with its SHA-256; a refused or damaged transfer is tried again.
  local url sum upload hasher try
  url="$job_url/files/$(encode "$2")"
  for try in 1 2 3; do
    if [ "$(stat -c %s -- "$1")" -lt 16777216 ]; then
      # A small file: hashed first, its SHA-256 sent with it and checked on arrival.
      sum=$($OPUS_SHA256 <"$1") || return 1
      curl "${curl_options[@]}" --upload-file "$1" --header "X-Opus-Sha256: ${sum%% *}" --output /dev/null "$url" && return 0
    else
      # A large one: hashed here while it is sent (on another core); the server hashes what arrives and keeps
      # it aside until the SHA-256 that follows is the same.
      $OPUS_SHA256 <"$1" >"$job_dir/.sum" &
      hasher=$!
      upload=$(curl "${curl_options[@]}" --upload-file "$1" --header "X-Opus-Sha256: pending" "$url")
      wait "$hasher" && read -r sum _ <"$job_dir/.sum" || return 1
      [ -n "$upload" ] && curl "${curl_options[@]}" --request POST --header "X-Opus-Upload: $upload" \
        --header "X-Opus-Sha256: $sum" --output /dev/null "$url" && return 0
    fi
  done
  say "could not send $2"
  return 1
}

report "$EPOCHREALTIME EXECUTING" || say "the EXECUTING report did not reach $opus_callback"
# The runner sends the script's progress itself (its phases come from here, after the results).
OPUS_PROGRESS_URL=$opus_callback bash "$job_dir/runner.sh" "$job_dir" &
runner=$!
# scancel and the time limit signal every process of the job: the runner records ERROR 143, and
# that report goes to the server, which asks SLURM whether it was an abort or the time limit.
on_term() {
  wait "$runner"
  report "$(grep -E '^[0-9.]+ (COMPLETED|ERROR)' "$job_dir/events" | tail -n 1)" || report "$EPOCHREALTIME ERROR 143"
  exit 143
}
trap on_term TERM
wait "$runner"
code=$?
trap - TERM
end=$(grep -E '^[0-9.]+ (COMPLETED|ERROR)' "$job_dir/events" 2>/dev/null | tail -n 1)
[ -n "$end" ] || end="$EPOCHREALTIME ERROR $code"

# Results: the definition's file names and globs (results.list, NUL-separated), matched in work/ as the
# server matches them ('*' and '?' in the last segment, dot files too); links are not results.
started=$(micros)
cd "$job_dir/work" || fail 204 "the job's work folder is gone"
shopt -s nullglob dotglob
while IFS= read -r -d '' pattern; do
  case $pattern in
    *[*?]*)
      # A glob: '[' is a plain character for the server, so it is one here too.
      pattern=${pattern//[/\\[}
      IFS=
      # shellcheck disable=SC2206 # the glob is wanted, word splitting is not (IFS is empty)
      matches=($pattern)
      unset IFS
      ;;
    *) matches=("$pattern") ;;
  esac
  for file in "${matches[@]}"; do
    [ -f "$file" ] && [ ! -L "$file" ] || continue
    send "$job_dir/work/$file" "work/$file" || exit 204
  done
done <"$job_dir/results.list"
shopt -u nullglob dotglob
for log in stdout.log stderr.log; do
  [ -f "$job_dir/$log" ] && { send "$job_dir/$log" "$log" || exit 204; }
done
say "results and logs sent in $(seconds_since "$started") s"
send "$job_dir/runner.log" runner.log || exit 204
# The events file last: once the server has it, the job's end is known even if the report below is lost.
send "$job_dir/events" events || exit 204
report "$end" || fail 204 "the end report did not reach $opus_callback"
exit "$code"
