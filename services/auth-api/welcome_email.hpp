// The welcome e-mail a registration queues: a send_email job on the
// default queue, carrying the registering request's id.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "libcommon/job_queue.hpp"
#include "libcommon/users_store.hpp"

namespace usersuite::auth_api {

NewJob welcome_email_job(const User& user, const std::string& project_name, const std::string& request_id);

// Queues it after the user is committed, then calls then. When Redis cannot
// take it, the registration stands and the loss is logged as an error.
void queue_welcome_email(JobQueue& jobs, const User& user, const std::string& project_name,
                         const std::string& request_id, std::function<void()> then);

}  // namespace usersuite::auth_api
