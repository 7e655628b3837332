#include "libcommon/http_error.hpp"

#include "libcommon/http_limits.hpp"

namespace usersuite {

HttpError::HttpError(int status, Json detail, HeaderList headers)
    : std::runtime_error("HTTP " + std::to_string(status)),
      status_(status),
      detail_(std::move(detail)),
      headers_(std::move(headers)) {}

HttpError::HttpError(int status, const std::string& detail, HeaderList headers)
    : HttpError(status, Json::string(detail), std::move(headers)) {}

HttpError HttpError::not_found() { return HttpError(404, "Not Found"); }

HttpError HttpError::method_not_allowed(const std::string& allow) {
    return HttpError(405, "Method Not Allowed", {{"Allow", allow}});
}

HttpError HttpError::payload_too_large() {
    return HttpError(413, "Request body too large: the limit is " + std::to_string(kMaxBodyBytes) + " bytes");
}

HttpError HttpError::unsupported_media_type() {
    return HttpError(415, "Unsupported Media Type: send the body as application/json");
}

HttpError HttpError::service_unavailable(const std::string& detail, int retry_after_seconds) {
    return HttpError(503, detail, {{"Retry-After", std::to_string(retry_after_seconds)}});
}

HttpError HttpError::internal() { return HttpError(500, "Internal Server Error"); }

Json error_body(const Json& detail, const std::string& request_id) {
    return Json::object().set("detail", detail).set("request_id", Json::string(request_id));
}

}  // namespace usersuite
