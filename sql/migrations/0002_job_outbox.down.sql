-- Undoes 0002_job_outbox.up.sql. Jobs still waiting in the outbox are lost.
DROP TABLE job_outbox;
