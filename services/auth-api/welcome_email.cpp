#include "services/auth-api/welcome_email.hpp"

#include "libcommon/json.hpp"

namespace usersuite::auth_api {

NewJob welcome_email_job(const std::string& email, const std::string& name, const std::string& project_name,
                         const std::string& request_id) {
    std::string body = "Hello " + name + ",\n\n" +
                       "welcome to " + project_name + ". Your account " + email + " is ready: sign in with\n" +
                       "this address and the password you chose.\n\n" +
                       "If you did not create this account, you can ignore this message.\n\n" +
                       "-- \n" + project_name + "\n";
    NewJob job;
    job.type = "send_email";
    job.queue = "default";
    job.request_id = request_id;
    job.args = Json::object()
                   .set("to", Json::string(email))
                   .set("name", Json::string(name))
                   .set("subject", Json::string("Welcome to " + project_name + ", " + name))
                   .set("body", Json::string(body))
                   .dump();
    return job;
}

}  // namespace usersuite::auth_api
