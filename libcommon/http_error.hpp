// The one way a request fails: throw (or pass) an HttpError; the server turns
// it into api.md's body {"detail": ..., "request_id": ...} with its headers.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "libcommon/json.hpp"

namespace usersuite {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class HttpError : public std::runtime_error {
public:
    HttpError(int status, Json detail, HeaderList headers = {});
    HttpError(int status, const std::string& detail, HeaderList headers = {});

    int status() const { return status_; }
    const Json& detail() const { return detail_; }
    const HeaderList& headers() const { return headers_; }

    static HttpError not_found();
    static HttpError method_not_allowed(const std::string& allow);
    static HttpError payload_too_large();
    static HttpError unsupported_media_type();
    static HttpError service_unavailable(const std::string& detail, int retry_after_seconds);
    static HttpError internal();

private:
    int status_;
    Json detail_;
    HeaderList headers_;
};

// The JSON body of an error response.
Json error_body(const Json& detail, const std::string& request_id);

}  // namespace usersuite
