#pragma once
// Commands as a client puts them on the wire (FlatBuffers), for tests that need one the C++ test client's send()
// cannot make from an engine record: a SetPrograms of several programs.
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "io/protocol/codec.hpp"

namespace cortexloop::testing {

// A SetPrograms (start_tick -1, the next tick) of one DC program of `amplitude_pA` on the excitatory cells per
// channel: the I/O thread queues it as one group of records, which the real-time thread applies in one tick.
inline std::vector<std::uint8_t> dc_programs(std::uint64_t seq, std::initializer_list<std::uint8_t> channels,
                                             double amplitude_pA = 1.0) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<io::proto::ChannelProgram>> programs;
  for (const std::uint8_t channel : channels) {
    io::proto::ProgramBuilder pb(b);
    pb.add_amplitude(amplitude_pA);
    const auto program = pb.Finish();
    programs.push_back(io::proto::CreateChannelProgram(
        b, channel, io::proto::CreateSite(b, io::proto::SiteKind::Population, io::proto::Population::Exc), program));
  }
  const auto body = io::proto::CreateSetPrograms(b, b.CreateVector(programs), -1);
  const auto cmd = io::proto::CreateCommand(b, seq, 0, io::proto::CommandBody::SetPrograms, body.Union());
  b.Finish(io::proto::CreateMessage(b, io::proto::Payload::Command, cmd.Union()), io::proto::MessageIdentifier());
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

}  // namespace cortexloop::testing
