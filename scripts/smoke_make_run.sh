#!/usr/bin/env bash
# Start `make run` as a newcomer would (no DATABASE_URL, no REDIS_URL), wait for the login page,
# sign in as a demo user over HTTP, check the worker and scheduler came up, then stop everything.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${SMOKE_PORT:-8000}"
base="http://127.0.0.1:${port}"
work="$(mktemp -d)"
log_file="${work}/make-run.log"

unset DATABASE_URL REDIS_URL
setsid env PORT="$port" make run >"$log_file" 2>&1 &
run_pid=$!

stop() {
  # setsid made run_pid a session leader: every process make run started is in that session.
  pkill -TERM -s "$run_pid" 2>/dev/null || true
  for _ in $(seq 1 60); do pgrep -s "$run_pid" >/dev/null || break; sleep 0.5; done
  pkill -KILL -s "$run_pid" 2>/dev/null || true
}
fail() {
  echo "SMOKE FAILED: $*"
  echo "---- make run output (last 80 lines) ----"
  tail -n 80 "$log_file" || true
  stop
  exit 1
}
trap stop EXIT

for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "${base}/accounts/login/" 2>/dev/null && break
  kill -0 "$run_pid" 2>/dev/null || fail "make run exited before serving"
  sleep 1
done
curl -fsS -o /dev/null "${base}/accounts/login/" || fail "login page never answered"
echo "login page answers at ${base}/accounts/login/"

jar="${work}/cookies"
curl -fsS -c "$jar" -b "$jar" -o /dev/null "${base}/accounts/login/"
csrf="$(awk '$6 == "csrftoken" {print $7}' "$jar")"
[ -n "$csrf" ] || fail "no CSRF cookie from the login page"
status="$(curl -sS -c "$jar" -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
  -H "Referer: ${base}/accounts/login/" \
  --data-urlencode "csrfmiddlewaretoken=${csrf}" \
  --data-urlencode "username=casemanager" \
  --data-urlencode "password=demo-pass-2026" \
  "${base}/accounts/login/")"
[[ "$status" == 302* ]] || fail "login did not redirect (got: ${status})"
home="$(curl -fsS -c "$jar" -b "$jar" "${base}/")" || fail "home page after login failed"
grep -q "Lakeside County Human Services" <<<"$home" || fail "home page does not show the case manager's organization"
echo "signed in as casemanager: home page shows Lakeside County Human Services"
dashboard="$(curl -fsS -c "$jar" -b "$jar" "${base}/referrals/")" || fail "referral dashboard failed"
dashboard+="$(curl -fsS -c "$jar" -b "$jar" "${base}/referrals/?state=closed")" || fail "closed referrals tab failed"
for status_label in Draft Sent Acknowledged Accepted Declined "In progress" "On hold" Closed Cancelled "Entered in error"; do
  grep -q ">${status_label}<" <<<"$dashboard" || fail "demo referrals lack status '${status_label}' on the dashboard"
done
echo "referral dashboard lists demo referrals in every status"

for _ in $(seq 1 60); do
  grep -q "celery@.* ready" "$log_file" && grep -q "beat: Starting" "$log_file" && break
  sleep 1
done
grep -q "celery@.* ready" "$log_file" || fail "the Celery worker did not report ready"
grep -q "beat: Starting" "$log_file" || fail "the beat scheduler did not start"
echo "worker and beat are running"
echo "SMOKE OK"
