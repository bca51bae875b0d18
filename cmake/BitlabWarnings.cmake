# Warnings for bitlab's own targets only; third-party headers come in as SYSTEM.
# -Wno-missing-field-initializers: options structs are filled with designated
# initializers that name only the fields they change (`{.progress = false}`);
# the rest keep their in-class defaults, which is the point of the style.
function(bitlab_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter
                                           -Wno-missing-field-initializers)
endfunction()
