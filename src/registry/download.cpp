#include "registry/download.hpp"

#include "base/log.hpp"

namespace strata::registry {

namespace {

// One GET from the partial's end; Ok also when the transfer was cut.
Result<Response> fetch_once(Client& client, Partial& partial, const image::Descriptor& desc,
                            Progress& progress, std::uint64_t& received) {
  const std::uint64_t offset = partial.have();
  const std::string label = desc.digest.str().substr(0, 19);
  const Receiver receiver{
      .start = [&](const Response& head) -> Result<> {
        auto answer =
            check_range_answer(offset, head.status, head.header("content-range"), desc.digest.str());
        if (!answer) {
          return std::unexpected(answer.error());
        }
        if (*answer == RangeAnswer::restart && partial.have() > 0) {
          log::debug("pull: {}: the registry ignored the Range request; starting over", desc.digest.str());
          if (auto ok = partial.restart(); !ok) {
            return ok;
          }
          progress.begin(label, desc.size, 0);
        }
        return {};
      },
      .data = [&](std::string_view bytes) -> Result<> {
        received += bytes.size();
        progress.advance(bytes.size());
        return partial.append(bytes);
      }};
  return client.get("blobs/" + desc.digest.str(), receiver, offset);
}

Result<> fill(Client& client, Partial& partial, const image::Descriptor& desc, Progress& progress,
              std::uint64_t& received) {
  int cuts = 0;
  while (partial.have() < partial.size()) {
    auto response = fetch_once(client, partial, desc, progress, received);
    if (!response) {
      return std::unexpected(response.error());
    }
    if (!response->ok()) {
      return fail("download blob", desc.digest.str(), describe_status(*response));
    }
    if (partial.have() == partial.size()) {
      break;
    }
    // A cut, or a body that ended short of the blob's size.
    if (++cuts > kMaxCuts) {
      return fail("download blob", desc.digest.str(),
                  "the transfer broke " + std::to_string(cuts) + " times (" +
                      (response->cut.empty() ? "short body" : response->cut) +
                      "); run the pull again to resume from byte " + std::to_string(partial.have()));
    }
    log::debug("pull: {}: cut at byte {} ({}); resuming", desc.digest.str(), partial.have(),
               response->cut.empty() ? "short body" : response->cut);
  }
  return {};
}

}  // namespace

Result<std::optional<Downloaded>> download_blob(Client& client, const image::Store& store,
                                                const image::Descriptor& desc, Progress& progress,
                                                std::uint64_t& received) {
  auto partial = Partial::open(store, desc.digest, desc.size);
  if (!partial) {
    return std::unexpected(partial.error());
  }
  if (!*partial) {
    return std::optional<Downloaded>();
  }
  if ((*partial)->have() > 0) {
    log::debug("pull: {}: resuming from byte {}", desc.digest.str(), (*partial)->have());
  }
  progress.begin(desc.digest.str().substr(0, 19), desc.size, (*partial)->have());
  auto filled = fill(client, **partial, desc, progress, received);
  auto blob = filled ? (*partial)->finish() : std::unexpected(filled.error());
  progress.end(blob.has_value());
  if (!blob) {
    return std::unexpected(blob.error());
  }
  return std::optional(Downloaded{.partial = std::move(**partial), .blob = std::move(*blob)});
}

}  // namespace strata::registry
