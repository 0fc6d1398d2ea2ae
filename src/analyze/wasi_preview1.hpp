// The functions of wasi_snapshot_preview1 as published (WASI's witx,
// snapshot 01): the one list `strata check` (an import outside it is a note)
// and `strata run --isolation wasm` (an import outside it is refused) judge
// a module's WASI imports by.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace strata::analyze {

inline constexpr std::string_view kWasiPreview1Module = "wasi_snapshot_preview1";

// Sorted, for binary search.
inline constexpr std::array<std::string_view, 46> kWasiPreview1Functions{
    "args_get",
    "args_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "environ_get",
    "environ_sizes_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_dir_name",
    "fd_prestat_get",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "random_get",
    "sched_yield",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
};

static_assert(std::ranges::is_sorted(kWasiPreview1Functions));

// `name` is a function of wasi_snapshot_preview1 (the function's name, not
// "module.name").
[[nodiscard]] constexpr bool is_wasi_preview1_function(std::string_view name) {
  return std::ranges::binary_search(kWasiPreview1Functions, name);
}

}  // namespace strata::analyze
