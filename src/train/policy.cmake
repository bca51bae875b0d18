# Precision policies (train/policy.h) and the algorithm catalog they validate
# against parse without LibTorch, so torch-free code (hw's policy adapter, the
# cost CLI in torch-free builds) can read them. bitlab_train links this library.
add_library(bitlab_policy STATIC
  ${PROJECT_SOURCE_DIR}/src/train/policy.cpp
  ${PROJECT_SOURCE_DIR}/src/train/quantizers/catalog.cpp
)
target_include_directories(bitlab_policy PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(bitlab_policy PUBLIC bitlab_common bitlab_quant nlohmann_json::nlohmann_json fmt::fmt)
bitlab_warnings(bitlab_policy)
