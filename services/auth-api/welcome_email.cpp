#include "services/auth-api/welcome_email.hpp"

#include "libcommon/json.hpp"
#include "libcommon/log.hpp"

namespace usersuite::auth_api {

NewJob welcome_email_job(const User& user, const std::string& project_name, const std::string& request_id) {
    std::string body = "Hello " + user.name + ",\n\n" +
                       "welcome to " + project_name + ". Your account " + user.email + " is ready: sign in with\n" +
                       "this address and the password you chose.\n\n" +
                       "If you did not create this account, you can ignore this message.\n\n" +
                       "-- \n" + project_name + "\n";
    NewJob job;
    job.type = "send_email";
    job.queue = "default";
    job.request_id = request_id;
    job.args = Json::object()
                   .set("to", Json::string(user.email))
                   .set("name", Json::string(user.name))
                   .set("subject", Json::string("Welcome to " + project_name + ", " + user.name))
                   .set("body", Json::string(body))
                   .dump();
    return job;
}

void queue_welcome_email(JobQueue& jobs, const User& user, const std::string& project_name,
                         const std::string& request_id, std::function<void()> then) {
    std::int64_t id = user.id;
    jobs.enqueue(welcome_email_job(user, project_name, request_id),
                 [id, request_id, then = std::move(then)](const std::string& job_id, const std::string& error) {
                     Logger log("register");
                     if (!error.empty())
                         log.error(request_id, "welcome e-mail for user " + std::to_string(id) + " not queued: " + error);
                     else
                         log.info(request_id, "welcome e-mail for user " + std::to_string(id) + " queued as job " + job_id);
                     then();
                 });
}

}  // namespace usersuite::auth_api
