# Run at every build (not only at configure time) so that the git hash recorded in
# every summary.json is the one the binary was built from. configure_file rewrites
# the header only when its content changes, so an unchanged hash rebuilds nothing.
set(SGDNOISE_GIT_HASH "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE _hash OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                  RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _hash)
    set(SGDNOISE_GIT_HASH ${_hash})
    execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
                    WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE _dirty ERROR_QUIET)
    if(_dirty)
      string(APPEND SGDNOISE_GIT_HASH "-dirty")
    endif()
  endif()
endif()
set(PROJECT_VERSION ${VERSION})
configure_file(${SOURCE_DIR}/src/core/version.cpp.in ${OUTPUT} @ONLY)
