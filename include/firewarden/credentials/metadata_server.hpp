#pragma once
// The GCE/GKE metadata server's token endpoint:
// GET http://HOST/computeMetadata/v1/instance/service-accounts/default/token?scopes=A,B
// with Metadata-Flavor: Google; the answer is an OAuth 2.0 token response.
#include <memory>
#include <string>

#include "firewarden/credentials/settings.hpp"
#include "firewarden/credentials/token_source.hpp"

namespace firewarden::credentials {

// settings.metadata_host, else $GCE_METADATA_HOST, else 169.254.169.254.
std::string metadata_host(const Settings& settings);

std::unique_ptr<TokenSource> make_metadata_source(const Settings& settings, SourceContext context);

}  // namespace firewarden::credentials
