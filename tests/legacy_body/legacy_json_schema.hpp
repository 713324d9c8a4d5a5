#pragma once
// TEST ORACLE ONLY: the schema reader over an nlohmann DOM that the tape reader
// replaced (as of cf42d29). The schemas themselves are the production ones.
#include <nlohmann/json.hpp>

#include "firewarden/firestore/checked.hpp"
#include "firewarden/firestore/json_schema.hpp"

namespace firewarden::firestore::legacy {

Checked<nlohmann::json> read_message(nlohmann::json input, const MessageSchema& schema);

}  // namespace firewarden::firestore::legacy
