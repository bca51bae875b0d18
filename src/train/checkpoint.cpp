#include "train/checkpoint.h"

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bitlab::train {
namespace {

torch::serialize::InputArchive open_archive(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw IoError(fmt::format("{}: no such checkpoint", path.string()));
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path.string());
  } catch (const c10::Error& e) {
    throw IoError(fmt::format("{}: not a readable bitlab checkpoint (corrupt or truncated file?)", path.string()));
  }
  return archive;
}

nlohmann::json read_meta(torch::serialize::InputArchive& archive, const std::filesystem::path& path) {
  c10::IValue value;
  if (!archive.try_read("bitlab_meta", value) || !value.isString()) {
    throw IoError(fmt::format("{}: a LibTorch archive, but not a bitlab checkpoint (no metadata)", path.string()));
  }
  auto meta = nlohmann::json::parse(value.toStringRef(), nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) throw IoError(fmt::format("{}: corrupt checkpoint metadata", path.string()));
  int version = meta.value("format_version", 0);
  if (version != kCheckpointFormatVersion) {
    throw IoError(fmt::format("{}: checkpoint format version {} is not supported by this bitlab (reads version {})",
                              path.string(), version, kCheckpointFormatVersion));
  }
  return meta;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                     torch::optim::Optimizer* optimizer, const nlohmann::json& meta) {
  nlohmann::json stamped = meta;
  stamped["format_version"] = kCheckpointFormatVersion;
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  archive.write("bitlab_meta", c10::IValue(stamped.dump()));
  replace_file_atomically(path, [&](const std::filesystem::path& tmp) { archive.save_to(tmp.string()); });
}

nlohmann::json read_checkpoint_meta(const std::filesystem::path& path) {
  auto archive = open_archive(path);
  return read_meta(archive, path);
}

nlohmann::json load_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                               torch::optim::Optimizer* optimizer) {
  auto archive = open_archive(path);
  auto meta = read_meta(archive, path);
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      if (!archive.try_read("optimizer", optimizer_archive)) {
        throw IoError(fmt::format("{}: holds no optimiser state, so training cannot resume from it", path.string()));
      }
      optimizer->load(optimizer_archive);
    }
  } catch (const c10::Error& e) {
    throw IoError(fmt::format("{}: weights do not match the network described by its metadata ({})",
                              path.string(), std::string(e.what_without_backtrace()).substr(0, 200)));
  }
  return meta;
}

}  // namespace bitlab::train
