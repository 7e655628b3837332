-- 0002_job_outbox: jobs a daemon queues in the same transaction as the
-- change they belong to (api.md: register either creates the user and
-- queues the welcome e-mail, or does neither). auth-api moves each row into
-- the Redis job queue and deletes it; a row stays here while Redis is away.

CREATE TABLE job_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The job's id in Redis: queueing a row again (its first reply lost)
    -- finds the job there and adds nothing.
    job_id uuid NOT NULL DEFAULT gen_random_uuid(),
    -- The job as libcommon/job_queue.hpp's NewJob has it.
    type text NOT NULL,
    queue text NOT NULL,
    args text NOT NULL,
    request_id text NOT NULL,
    -- The user the job is about, for the log; the job outlives the user.
    user_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- A relay claims rows until this time, so two auth-api processes do not
    -- queue one row twice; a claim left by a crash runs out by itself.
    claimed_until timestamptz NOT NULL DEFAULT '-infinity',
    CONSTRAINT job_outbox_queue CHECK (queue IN ('high', 'default', 'low'))
);

CREATE INDEX job_outbox_claimed_until ON job_outbox (claimed_until, id);
