# Sourced by the figure scripts of docs/images/: fresh_out_dir OUT makes OUT an empty folder for the script's files,
# and seal_out_dir OUT, at the script's end, lists in OUT's marker file what the script wrote there. A folder a figure
# script made before (the marker inside) is emptied, unless it holds files its list does not name (added since: they
# are named and nothing is removed; a run stopped before its seal left the marker empty, and its folder is emptied);
# any other folder with files in it is refused, nothing removed: the scripts ran `rm -rf OUT` on whatever folder they
# were given (an outside audit, 2026-12-07), and then emptied a folder of theirs with files added to it since.
OUT_DIR_MARKER=.cortexloop_figure_out

# The paths under the current folder, but the marker, one a line, sorted bytewise (comm's order).
_out_dir_files() {
  find . -mindepth 1 ! -name "$OUT_DIR_MARKER" | sed 's|^\./||' | LC_ALL=C sort
}

fresh_out_dir() {
  local out=$1 added
  if [[ -e $out && ! -d $out ]]; then
    echo "$(basename "$0"): $out exists and is not a folder" >&2
    exit 2
  fi
  if [[ -d $out && ! -e $out/$OUT_DIR_MARKER && -n $(ls -A "$out") ]]; then
    echo "$(basename "$0"): $out holds files a figure script did not write: name a new or empty folder (nothing" \
         "was removed)" >&2
    exit 2
  fi
  if [[ -s $out/$OUT_DIR_MARKER ]]; then
    added=$(cd "$out" && _out_dir_files | LC_ALL=C comm -23 - <(LC_ALL=C sort "$OUT_DIR_MARKER"))
    if [[ -n $added ]]; then
      echo "$(basename "$0"): $out holds files a figure script did not write, added since its run: $(echo $added |
            cut -c1-300): move them, or name a new or empty folder (nothing was removed)" >&2
      exit 2
    fi
  fi
  rm -rf "$out" && mkdir -p "$out" && : >"$out/$OUT_DIR_MARKER"
}

seal_out_dir() {
  local list
  list=$(cd "$1" && _out_dir_files)
  printf '%s\n' "$list" >"$1/$OUT_DIR_MARKER"
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
