#!/usr/bin/env bash
# The GitHub Action's logic (action.yml runs it; tests run it with the GITHUB_* variables set).
#
#   run.sh scan   scan INPUT_PATHS, write SARIF (for github/codeql-action/upload-sarif), JSON results and
#                 the Markdown summary (appended to $GITHUB_STEP_SUMMARY), plus INPUT_FORMATS; record the
#                 gate's exit status as the step output exit-code.  Exits 0 when the gate answered (0 or 1),
#                 so the SARIF is uploaded before the job fails; 2 (bad input) and 3 (could not run) fail
#                 at once.
#   run.sh gate   exit with the recorded gate status (1: something at or above fail-on failed).
#
# Inputs (environment): INPUT_PATHS (whitespace-separated, default "."), INPUT_FORMATS (more formats:
# html junit gitlab-sast pdf), INPUT_FAIL_ON, INPUT_BASELINE, INPUT_PROFILE, INPUT_WAIVERS,
# INPUT_OUTPUT_DIR (default specguard-reports), SPECGUARD (the command, default specguard).
set -euo pipefail

out_dir="${INPUT_OUTPUT_DIR:-specguard-reports}"
specguard="${SPECGUARD:-specguard}"

ext_of() {
  case "$1" in
    sarif) echo sarif ;; json) echo json ;; markdown) echo md ;; html) echo html ;; junit) echo junit.xml ;;
    gitlab-sast) echo gitlab-sast.json ;; pdf) echo pdf ;; table) echo txt ;;
    *) echo "specguard action: unknown format '$1' in formats (json, sarif, markdown, html, junit, gitlab-sast, pdf, table)" >&2
       exit 2 ;;
  esac
}

output() {   # name=value for later steps, when run by GitHub
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"; fi
}

cmd_scan() {
  mkdir -p "$out_dir"
  local -a args=(scan)
  local p
  # shellcheck disable=SC2086  # paths are whitespace-separated on purpose (a multi-line input works too)
  for p in ${INPUT_PATHS:-.}; do args+=("$p"); done
  [ -n "${INPUT_PROFILE:-}" ] && args+=(--profile "$INPUT_PROFILE")
  [ -n "${INPUT_WAIVERS:-}" ] && args+=(--waivers "$INPUT_WAIVERS")
  [ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
  args+=(--fail-on "${INPUT_FAIL_ON:-low}")
  args+=(--format sarif -o "$out_dir/specguard.sarif" --format json -o "$out_dir/results.json"
         --format markdown -o "$out_dir/specguard.md")
  local f
  for f in ${INPUT_FORMATS:-}; do
    case "$f" in sarif|json|markdown) continue ;; esac
    local ext
    ext="$(ext_of "$f")" || exit 2
    args+=(--format "$f" -o "$out_dir/specguard.$ext")
  done
  local rc=0
  "$specguard" "${args[@]}" || rc=$?
  output exit-code "$rc"
  if [ "$rc" -gt 1 ]; then
    exit "$rc"   # the error line is already on stderr; nothing to upload
  fi
  output sarif "$out_dir/specguard.sarif"
  output results "$out_dir/results.json"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out_dir/specguard.md" ]; then
    cat "$out_dir/specguard.md" >> "$GITHUB_STEP_SUMMARY"
  fi
  printf '%s\n' "$rc" > "$out_dir/.exit-code"
  exit 0
}

cmd_gate() {
  local rc
  rc="$(cat "$out_dir/.exit-code" 2>/dev/null || echo 2)"
  if [ "$rc" != 0 ]; then
    echo "specguard: the gate failed (exit status $rc): findings at or above fail-on '${INPUT_FAIL_ON:-low}'; see the job summary and code scanning" >&2
  fi
  exit "$rc"
}

case "${1:-}" in
  scan) cmd_scan ;;
  gate) cmd_gate ;;
  *) echo "usage: run.sh scan|gate" >&2; exit 2 ;;
esac
