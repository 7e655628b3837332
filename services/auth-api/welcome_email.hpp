// The welcome e-mail a registration queues: a send_email job on the
// default queue, carrying the registering request's id. It is committed
// with the user (UsersStore::create) and moved to Redis by the job outbox.
#pragma once

#include <string>

#include "libcommon/job_queue.hpp"

namespace usersuite::auth_api {

// email and name as stored.
NewJob welcome_email_job(const std::string& email, const std::string& name, const std::string& project_name,
                         const std::string& request_id);

}  // namespace usersuite::auth_api
