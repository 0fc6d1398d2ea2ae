// The guest init's run of the workload: a child with the Job's process
// settings, its stdin fed and its stdout/stderr relayed over the channel,
// signals from the host delivered, and every other process reaped.
#pragma once

#include "base/error.hpp"
#include "vm/protocol.hpp"

namespace strata::vm::guest {

// Sends one frame, waiting while the port is full.
Result<> send_frame(int channel, FrameType type, std::string_view payload);

// Waits for the host's first frame, which must be the Job.
Result<Job> receive_job(int channel, FrameReader& reader);

// Runs the workload until it ends, then kills what it left running and
// relays the rest of its output. The status is not sent here.
Result<GuestStatus> run_workload(const Job& job, int channel, FrameReader& reader);

}  // namespace strata::vm::guest
