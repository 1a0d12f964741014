# Writes OUT, a header defining CORTEXLOOP_GIT_COMMIT: the commit the sources are at when the build runs, with
# "+changes" when tracked files differ from it. Run at every build (io/protocol/CMakeLists.txt), not at configure
# time: a build directory configured once kept naming that first commit after any number of later ones (seen with
# `cortexloop --version`, 2026-12-06), and the server's Info.build and a recording's session.json carried it. OUT is rewritten only
# when the text changes, so an unchanged commit rebuilds nothing.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY "${SRC}"
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR commit STREQUAL "")
  set(commit "unknown")  # a source tree without git (a tarball)
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY "${SRC}"
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT changes STREQUAL "")
    string(APPEND commit "+changes")
  endif()
endif()
file(WRITE "${OUT}.new" "#pragma once\n#define CORTEXLOOP_GIT_COMMIT \"${commit}\"\n")
file(COPY_FILE "${OUT}.new" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.new")
