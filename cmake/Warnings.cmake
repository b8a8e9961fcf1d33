# Warnings for sgdnoise's own code; dependencies are included as system headers.
function(sgdnoise_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion  # Eigen's Index is signed and std containers are unsigned: every
                          # index crossing would need a cast that says nothing.
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
  if(SGDNOISE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(SGDNOISE_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(SGDNOISE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
