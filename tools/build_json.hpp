#pragma once
// A binary's build facts as the JSON records of a run give them (simulate's summary.json, record's session.json): the
// version and commit a result came from, and how it was compiled (the arithmetic differs with -march and FP
// contraction).
#include <nlohmann/json.hpp>

#include "io/protocol/build_info.hpp"

namespace cortexloop::tools {

inline nlohmann::json build_json(const io::build_info& b) {
  return {{"version", b.version},       {"git_commit", b.git_commit}, {"compiler", b.compiler},
          {"build_type", b.build_type}, {"flags", b.flags},           {"march_native", b.march_native},
          {"portable", b.portable},     {"fp_contract", b.fp_contract}, {"isa", b.isa}};
}

}  // namespace cortexloop::tools
