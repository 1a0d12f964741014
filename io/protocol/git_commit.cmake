# Writes OUT, a header defining CORTEXLOOP_GIT_COMMIT: the commit the sources are at when the build runs, with
# "+changes" when tracked files differ from it, or "unknown" for sources outside git. Run at every build
# (io/protocol/CMakeLists.txt), not at configure time: a build directory configured once kept naming that first
# commit after any number of later ones (seen with `cortexloop --version`, 2026-12-06), and the server's Info.build
# and a recording's session.json carried it. OUT is rewritten only when the text changes, so an unchanged commit
# rebuilds nothing.
set(commit "unknown")
# Only SRC's own repository: sources unpacked inside another one (a tarball in a vendor folder) named that one's
# commit (a review, 2026-12-06).
execute_process(COMMAND git rev-parse --show-toplevel WORKING_DIRECTORY "${SRC}"
                OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(NOT failed)
  file(REAL_PATH "${top}" top)
  file(REAL_PATH "${SRC}" src)
  if(top STREQUAL src)
    execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY "${SRC}"
                    OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
    if(NOT failed AND NOT head STREQUAL "")
      set(commit "${head}")
      # --no-optional-locks: a build must not take the index lock from the user's own git commands (git status
      # refreshes the index otherwise). Unknown whether anything changed if it fails: said so.
      execute_process(COMMAND git --no-optional-locks status --porcelain --untracked-files=no WORKING_DIRECTORY "${SRC}"
                      OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
      if(failed)
        string(APPEND commit "+unknown-changes")
      elseif(NOT changes STREQUAL "")
        string(APPEND commit "+changes")
      endif()
    endif()
  endif()
endif()
file(WRITE "${OUT}.new" "#pragma once\n#define CORTEXLOOP_GIT_COMMIT \"${commit}\"\n")
file(COPY_FILE "${OUT}.new" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.new")
