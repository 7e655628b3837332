// The table of every configuration key. Adding a key here is the whole job of
// declaring it; the tests check that etc/usersuite.env lists the same keys
// and that man/usersuite.env.5 lists them with the same defaults.
#include "libcommon/config.hpp"

namespace usersuite {

const std::vector<KeySpec>& config_keys() {
    using K = KeyType;
    static const std::vector<KeySpec> keys = {
        {"ENVIRONMENT", "production", K::choice, 0, 0, "production|development", kHttpDaemons,
         "production or development; only development accepts the seed's placeholder SECRET_KEY"},
        {"PROJECT_NAME", "User Suite", K::string, 0, 0, nullptr, kHttpDaemons,
         "name shown by GET /, in the API documentation and in the welcome e-mail"},
        {"VERSION", "0.1.0", K::string, 0, 0, nullptr, kHttpDaemons,
         "API version in /openapi.json"},
        {"DESCRIPTION", "Users, JWT login and background jobs", K::string, 0, 0, nullptr, kHttpDaemons,
         "one-line description in /openapi.json"},
        {"HOST", "0.0.0.0", K::string, 0, 0, nullptr, kHttpDaemons,
         "address nginx listens on for the one URL space; scripts/stack renders nginx's listen from it, "
         "the daemons only check it"},
        {"PORT", "8001", K::integer, 1, 65535, nullptr, kHttpDaemons,
         "port nginx listens on for the one URL space; used as HOST is"},
        {"USERS_API_LISTEN", "127.0.0.1:8011", K::listen, 0, 0, nullptr, kUsersApi,
         "where users-api listens: HOST:PORT, [IPv6]:PORT, or a Unix socket path (starting with / or unix:)"},
        {"USERS_API_PROCESSES", "2", K::integer, 1, 64, nullptr, kHttpDaemons,
         "users-api processes scripts/stack runs behind nginx's upstream; the daemons only check it"},
        {"AUTH_API_LISTEN", "127.0.0.1:8012", K::listen, 0, 0, nullptr, kAuthApi,
         "where auth-api listens, in the same forms as USERS_API_LISTEN"},
        {"BACKEND_CORS_ORIGINS", "[]", K::origins, 0, 0, nullptr, kHttpDaemons,
         "JSON list of origins allowed by CORS; [\"*\"] allows any origin"},
        {"DATABASE_URL", nullptr, K::url, 0, 0, "postgresql|postgres", kHttpDaemons | kMigrate,
         "PostgreSQL URL, postgresql://USER:PASSWORD@HOST:PORT/DB; use an IP address or a socket directory "
         "(?host=/run/postgresql) so that connecting never waits on DNS"},
        {"MIGRATIONS_DIR", "sql/migrations", K::path, 0, 0, nullptr, kMigrate | kMigrateFiles,
         "directory of the numbered migration files; sql/schema.sql is its parent's schema.sql"},
        {"DATABASE_POOL_SIZE", "10", K::integer, 1, 1000, nullptr, kHttpDaemons,
         "PostgreSQL connections a daemon keeps open once it has needed them"},
        {"DATABASE_MAX_OVERFLOW", "20", K::integer, 0, 1000, nullptr, kHttpDaemons,
         "extra PostgreSQL connections a daemon opens under load, closed after 30 s idle"},
        {"DATABASE_ECHO", "false", K::boolean, 0, 0, nullptr, kHttpDaemons,
         "log the text of every SQL statement (never its parameters) at INFO"},
        {"REDIS_URL", "", K::url, 0, 0, "redis|unix", kHttpDaemons | kJobs,
         "Redis URL, redis://[:PASSWORD@]HOST:PORT/DB or unix://[:PASSWORD@]/PATH?db=DB (a Unix socket); when set it wins over REDIS_HOST, REDIS_PORT and REDIS_DB"},
        {"REDIS_HOST", "127.0.0.1", K::string, 0, 0, nullptr, kHttpDaemons | kJobs, "Redis host, when REDIS_URL is empty"},
        {"REDIS_PORT", "6379", K::integer, 1, 65535, nullptr, kHttpDaemons | kJobs, "Redis port, when REDIS_URL is empty"},
        {"REDIS_DB", "0", K::integer, 0, 15, nullptr, kHttpDaemons | kJobs, "Redis database number, when REDIS_URL is empty"},
        {"DATABASE_TIMEOUT_MS", "5000", K::integer, 100, 600000, nullptr, kHttpDaemons,
         "milliseconds a request waits for one PostgreSQL query before it is answered 503; also the server's "
         "statement_timeout, which a write that was sent is waited out for, so that a 503 commits nothing"},
        {"REDIS_TIMEOUT_MS", "1000", K::integer, 50, 60000, nullptr, kHttpDaemons | kJobs,
         "milliseconds to wait for one Redis command: users-api then goes on without the cache, auth-api "
         "leaves the welcome e-mail in the job outbox for a later round, job-worker and jobctl count Redis as away"},
        {"CACHE_TTL_SECONDS", "300", K::integer, 0, 86400, nullptr, kUsersApi,
         "seconds a user stays in the Redis cache of GET /api/v1/users/{id}; 0 turns the cache off"},
        {"SECRET_KEY", nullptr, K::secret, 0, 0, nullptr, kHttpDaemons,
         "key that signs tokens: at least 32 bytes, e.g. from `openssl rand -hex 32`"},
        {"ALGORITHM", "HS256", K::choice, 0, 0, "HS256|HS384|HS512", kHttpDaemons,
         "JWT signing algorithm; a token whose header names another is refused"},
        {"ACCESS_TOKEN_EXPIRE_MINUTES", "30", K::integer, 1, 525600, nullptr, kHttpDaemons,
         "lifetime of an access token in minutes"},
        {"BCRYPT_COST", "12", K::integer, 4, 31, nullptr, kHttpDaemons,
         "bcrypt cost of new password hashes; each step doubles the time of a hash (12: about 0.3 s)"},
        {"PASSWORD_WORKERS", "0", K::integer, 0, 256, nullptr, kHttpDaemons,
         "threads that hash and verify passwords; 0 means one per core"},
        {"PASSWORD_QUEUE_LIMIT", "16", K::integer, 1, 100000, nullptr, kHttpDaemons,
         "password jobs that may wait for a thread; past it a request gets 503 with Retry-After at once"},
        {"LOGIN_RATE_PER_MINUTE", "60", K::integer, 1, 1000000, nullptr, kHttpDaemons,
         "logins nginx lets through per client address and minute; scripts/stack renders it, the daemons only "
         "check it"},
        {"LOGIN_BURST", "10", K::integer, 0, 1000000, nullptr, kHttpDaemons,
         "logins over the rate nginx lets through at once before answering 429; used as LOGIN_RATE_PER_MINUTE"},
        {"LOG_DIR", "logs", K::path, 0, 0, nullptr, kHttpDaemons | kJobWorker,
         "directory of app.log and error.log; empty logs to stderr only"},
        {"LOG_LEVEL", "INFO", K::choice, 0, 0, "DEBUG|INFO|WARNING|ERROR", kHttpDaemons | kJobWorker, "lowest level logged"},
        {"LOG_STDERR", "true", K::boolean, 0, 0, nullptr, kHttpDaemons | kJobWorker, "also write every log line to stderr"},
        {"HTTP_IDLE_TIMEOUT", "15", K::integer, 1, 3600, nullptr, kHttpDaemons,
         "seconds a connection may stay silent, reading or writing, before it is closed"},
        {"HTTP_REQUEST_TIMEOUT", "30", K::integer, 1, 3600, nullptr, kHttpDaemons,
         "seconds a client has to send a whole request, header and body, counted from the previous reply "
         "(or the connection's start), however slowly it trickles"},
        {"HEALTH_TIMEOUT_MS", "2000", K::integer, 50, 60000, nullptr, kHttpDaemons,
         "milliseconds /health waits for PostgreSQL or Redis before calling it down"},
        {"SHUTDOWN_TIMEOUT", "15", K::integer, 0, 3600, nullptr, kHttpDaemons | kJobWorker,
         "seconds SIGTERM waits for in-flight requests (job-worker: running jobs) before exiting anyway"},
        {"WELCOME_EMAIL", "true", K::boolean, 0, 0, nullptr, kAuthApi,
         "queue a send_email job with a welcome message after each registration"},
        {"WORKER_CONCURRENCY", "10", K::integer, 1, 1000, nullptr, kJobWorker,
         "jobs one job-worker process runs at once"},
        {"WORKER_HEARTBEAT_MS", "1000", K::integer, 100, 60000, nullptr, kJobWorker,
         "milliseconds between a worker's heartbeats; each one also looks for dead workers"},
        {"WORKER_TIMEOUT_MS", "10000", K::integer, 1000, 3600000, nullptr, kJobs,
         "milliseconds without a heartbeat after which a worker counts as dead and any other worker returns "
         "its jobs to the head of their queue; keep it several heartbeats long"},
        {"JOB_TIMEOUT", "180", K::integer, 1, 86400, nullptr, kJobWorker,
         "seconds one run of a job may take; past it the run is stopped and counts as a failed attempt"},
        {"JOB_MAX_ATTEMPTS", "5", K::integer, 1, 1000, nullptr, kJobWorker,
         "runs a job gets, counting runs lost with a dead worker, before it goes to the failed registry"},
        {"JOB_RETRY_DELAY_MS", "1000", K::integer, 0, 86400000, nullptr, kJobWorker,
         "delay before the first retry of a failed job; each further retry doubles it, with jitter"},
        {"JOB_RETRY_MAX_DELAY_MS", "300000", K::integer, 0, 86400000, nullptr, kJobWorker,
         "longest delay between two attempts of a job"},
        {"JOB_RESULT_TTL", "500", K::integer, 1, 31536000, nullptr, kJobWorker,
         "seconds a finished job and its result stay readable (jobctl status)"},
        {"JOB_FAILED_TTL", "604800", K::integer, 60, 31536000, nullptr, kJobWorker,
         "seconds a job stays in the failed registry, for jobctl failed and requeue"},
        {"SENDMAIL_COMMAND", "/usr/sbin/sendmail -t -i", K::string, 0, 0, nullptr, kJobWorker,
         "sendmail-compatible command that delivers the message on its standard input; split at spaces, "
         "no shell; a non-zero exit is a failed attempt"},
        {"MAIL_FROM", "User Suite <noreply@localhost>", K::string, 0, 0, nullptr, kJobWorker,
         "From: address of the e-mail the suite sends; one line of printable ASCII"},
        {"MAIL_SPOOL_DIR", "", K::path, 0, 0, nullptr, kJobWorker,
         "put in SENDMAIL_COMMAND's environment when not empty; scripts/mail-to-spool writes each message "
         "there as a file"},
    };
    return keys;
}

const KeySpec* find_key(const std::string& name) {
    for (const KeySpec& k : config_keys())
        if (name == k.name) return &k;
    return nullptr;
}

}  // namespace usersuite
