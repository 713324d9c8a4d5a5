#pragma once
// TEST ORACLE ONLY: classify() as it was before the tape parser (cf42d29).
#include "firewarden/firestore/classify.hpp"

namespace firewarden::firestore::legacy {

ClassifyResult classify(const HttpRequest& request, const Scope& scope);

}  // namespace firewarden::firestore::legacy
