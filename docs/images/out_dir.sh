# Sourced by the figure scripts of docs/images/: fresh_out_dir OUT makes OUT an empty folder for the script's files.
# A folder the figure scripts made before (their marker file inside) is emptied; any other folder with files in it
# is refused, nothing removed: the scripts ran `rm -rf OUT` on whatever folder they were given (an outside audit,
# 2026-12-07).
fresh_out_dir() {
  local out=$1 marker=.cortexloop_figure_out
  if [[ -e $out && ! -d $out ]]; then
    echo "$(basename "$0"): $out exists and is not a folder" >&2
    exit 2
  fi
  if [[ -d $out && ! -e $out/$marker && -n $(ls -A "$out") ]]; then
    echo "$(basename "$0"): $out holds files a figure script did not write: name a new or empty folder (nothing" \
         "was removed)" >&2
    exit 2
  fi
  rm -rf "$out" && mkdir -p "$out" && : >"$out/$marker"
}

# serve_started PID FILE [LOG]: waits until serve (PID) has written its endpoints FILE; if it exits first, says so
# with its LOG (it said only bash's "kill: (PID) - No such process").
serve_started() {
  until grep -q '^commands ' "$2" 2>/dev/null; do
    if ! kill -0 "$1" 2>/dev/null; then
      echo "$(basename "$0"): cortexloop serve did not start${3:+; its log, $3:}" >&2
      [[ -n ${3:-} ]] && cat "$3" >&2
      exit 1
    fi
    sleep 0.1
  done
}
