# LibTorch glue. Debian ships LibTorch 1.13 (CPU); pass -DTorch_DIR=... to use
# another build (e.g. CUDA). LibTorch headers are heavy, so every target that
# needs them reuses one precompiled header instead of parsing torch.h per file.
find_package(Torch REQUIRED)

add_library(bitlab_torch INTERFACE)
target_include_directories(bitlab_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_link_libraries(bitlab_torch INTERFACE ${TORCH_LIBRARIES})
separate_arguments(_bitlab_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
target_compile_options(bitlab_torch INTERFACE ${_bitlab_torch_flags})

add_library(bitlab_torch_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
target_link_libraries(bitlab_torch_pch PRIVATE bitlab_torch)
target_precompile_headers(bitlab_torch_pch PRIVATE <torch/torch.h>)
bitlab_warnings(bitlab_torch_pch)

function(bitlab_use_torch_pch target)
  target_precompile_headers(${target} REUSE_FROM bitlab_torch_pch)
endfunction()
