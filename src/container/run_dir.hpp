// A container run's private directory in the store:
//
//   DIR/containers/<pid>-<random>/upper   the run's writable layer
//   DIR/containers/<pid>-<random>/work    overlayfs's scratch directory
//   DIR/containers/<pid>-<random>/rootfs  the copy fallback's private root
//   DIR/containers/<pid>-<random>/kept    marker: --keep asked to keep it
//
// Removed when the run ends unless kept. A strata killed before it could
// remove its directory leaves it to the next container run, which removes
// the directories of runs whose strata is gone and that were not kept.
#pragma once

#include <string>

#include "base/error.hpp"

namespace strata::container {

class RunDir {
 public:
  static Result<RunDir> create(const std::string& store_dir);

  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;
  RunDir(RunDir&& other) noexcept;
  RunDir& operator=(RunDir&&) = delete;
  ~RunDir();

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string upper() const { return path_ + "/upper"; }
  [[nodiscard]] std::string work() const { return path_ + "/work"; }
  [[nodiscard]] std::string rootfs() const { return path_ + "/rootfs"; }

  // Creates upper/ and work/ for overlayfs.
  Result<> make_overlay_dirs() const;

  // Keeps the directory after the run (--keep).
  Result<> keep();

  // Removes the directories of dead, unkept runs; returns how many.
  static int sweep(const std::string& store_dir);

 private:
  explicit RunDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool kept_ = false;
};

}  // namespace strata::container
