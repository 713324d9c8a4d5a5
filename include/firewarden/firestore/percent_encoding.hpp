#pragma once
// RFC 3986 §2 percent-encoding, shared by the path and query readers; the
// code is text/'s, named here for the readers of this module.
#include "firewarden/text/percent.hpp"

namespace firewarden::firestore {

using text::contains_percent_escape;
using text::is_unreserved;
using text::percent_decode;
using text::percent_encode;

}  // namespace firewarden::firestore
