# Sourced by the figure scripts of docs/images/: fresh_out_dir OUT makes OUT an empty folder for the script's files,
# and seal_out_dir OUT (at the script's end, and on its exit by a signal or an error: seal_out_dir_on_exit) lists in
# OUT's marker file what the script wrote there, each file with its SHA-256. A folder a figure script made before (the
# marker inside) is emptied when it holds exactly what its list names; a file added since, or one changed since, is
# named and nothing is removed; so is anything in a folder whose run listed nothing (a SIGKILL). Any other folder
# with files in it is refused, nothing removed. The scripts ran `rm -rf OUT` on whatever folder they were given (an
# outside audit, 2026-12-07), then emptied a folder of theirs with files added to it since, then (a re-check the same
# day) one whose run was stopped before its list, or whose files had been overwritten.
OUT_DIR_MARKER=.cortexloop_figure_out

# Every path under the current folder but the marker, one a line ("sha256 path" for a file, "- path" otherwise),
# the lines sorted bytewise (comm's order).
_out_dir_listing() {
  find . -mindepth 1 ! -name "$OUT_DIR_MARKER" -printf '%P\n' | while IFS= read -r path; do
    if [[ -f $path && ! -L $path ]]; then
      printf '%s %s\n' "$(sha256sum <"$path" | cut -d' ' -f1)" "$path"
    else
      printf -- '- %s\n' "$path"
    fi
  done | LC_ALL=C sort
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
  if [[ -d $out ]]; then
    # What is there and not in the run's list: added, or changed (its line differs), since the run.
    added=$(cd "$out" && _out_dir_listing | LC_ALL=C comm -23 - <(LC_ALL=C sort "$OUT_DIR_MARKER") | cut -d' ' -f2- |
            tr '\n' ' ')
    added=${added% }
    if [[ -n $added ]]; then
      echo "$(basename "$0"): $out holds files a figure script did not write, or changed, since its run: ${added:0:300}:" \
           "move them, or name a new or empty folder (nothing was removed)" >&2
      exit 2
    fi
  fi
  rm -rf "$out" && mkdir -p "$out" && : >"$out/$OUT_DIR_MARKER"
}

seal_out_dir() {
  local list
  [[ -d $1 ]] || return 0
  list=$(cd "$1" && _out_dir_listing)
  printf '%s\n' "$list" >"$1/$OUT_DIR_MARKER"
}

# The script's EXIT trap, with what else it runs on exit ("$2", may be empty): a run stopped by Ctrl-C or an error
# still lists what it wrote.
seal_out_dir_on_exit() {
  trap "${2:+$2; }seal_out_dir '$1'" EXIT
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
