// send_email: composes an RFC 5322 message and hands it to SENDMAIL_COMMAND
// on its standard input. A command that cannot start or exits non-zero is a
// failed attempt, retried like any other.
#include <ctime>

#include "libcommon/user_fields.hpp"
#include "services/job-worker/child_process.hpp"
#include "services/job-worker/job_types.hpp"
#include "services/job-worker/mail_message.hpp"

namespace usersuite {

namespace {

class SendEmailRun : public JobRun {
public:
    SendEmailRun(EventLoop& loop, const std::vector<std::string>& command, const std::vector<std::string>& env,
                 const MailMessage& m, JobDone done) {
        std::string message_id = new_message_id(m.from);
        std::string text = compose_mail(m, std::time(nullptr), message_id);
        std::string to = m.to;
        child_ = std::make_unique<ChildProcess>(
            loop, command, env, text, [done = std::move(done), message_id, to](int status, const std::string& output) {
                JobOutcome o;
                o.ok = status == 0;
                if (o.ok) {
                    o.result = Json::object().set("to", Json::string(to)).set("message_id", Json::string(message_id)).dump();
                } else {
                    o.error = "sendmail " + describe_exit(status, output);
                }
                done(std::move(o));
            });
    }

private:
    std::unique_ptr<ChildProcess> child_;
};

std::string string_arg(const Json& args, const char* name, bool required) {
    Json v = args.get(name);
    if (!v.is_valid() && !required) return "";
    if (!v.is_string()) throw JobError(std::string("bad arguments: ") + name + " must be a string");
    return v.as_string();
}

}  // namespace

JobHandler send_email_job(EventLoop& loop, const Config& config) {
    std::vector<std::string> command = split_command(config.str("SENDMAIL_COMMAND"));
    if (command.empty()) throw ConfigError("SENDMAIL_COMMAND", "must name a command");
    std::string from = config.str("MAIL_FROM");
    if (mail_message_problem(MailMessage{from, "a@b", "", "", ""}))
        throw ConfigError("MAIL_FROM", "must be one line of printable ASCII, e.g. \"User Suite <noreply@example.com>\"");
    std::vector<std::string> env;
    if (!config.str("MAIL_SPOOL_DIR").empty()) env.push_back("MAIL_SPOOL_DIR=" + config.str("MAIL_SPOOL_DIR"));

    return [&loop, command, env, from](const Job&, const Json& args, JobDone done) -> std::unique_ptr<JobRun> {
        MailMessage m{from, string_arg(args, "to", true), string_arg(args, "name", false),
                      string_arg(args, "subject", true), string_arg(args, "body", true)};
        if (!is_valid_email(m.to)) throw JobError("bad arguments: to is not an e-mail address");
        if (auto problem = mail_message_problem(m)) throw JobError("bad arguments: " + *problem);
        try {
            return std::make_unique<SendEmailRun>(loop, command, env, m, std::move(done));
        } catch (const std::runtime_error& e) {
            throw JobError(std::string("sendmail: ") + e.what(), JobError::Kind::retry);
        }
    };
}

}  // namespace usersuite
