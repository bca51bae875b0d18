# Warnings for bitlab's own targets only; third-party headers come in as SYSTEM.
function(bitlab_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
endfunction()
