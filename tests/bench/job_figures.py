#!/usr/bin/python3
# The job figures of `make bench` (scripts/bench jobs), read from Redis after
# each run: the job hashes keep their times (Unix ms from Redis TIME, see
# libcommon/job_queue.hpp) for JOB_RESULT_TTL, RQ's for its result_ttl.
# Runs under Debian's /usr/bin/python3, whose python3-redis and python3-rq
# scripts/install-deps installs.
#
# usage: job_figures.py throughput URL IDS        jobs/s of one drain
#        job_figures.py latency URL IDS           enqueue-to-start latency
#        job_figures.py chaos URL IDS KILLS       lost jobs, duplicates, kill-to-redelivery
#        job_figures.py rq-enqueue URL N IDS      N rq_jobs.noop jobs on RQ's default queue
#        job_figures.py rq-throughput URL IDS     jobs/s of RQ's drain
# Each prints one line of KEY=VALUE words for scripts/bench to read; a
# throughput or latency run whose jobs are not all finished exits 1 (chaos
# reports its lost jobs instead).
import math
import sys
from datetime import datetime, timezone

import redis

PREFIX = "usersuite:jobs:job:"


def ids_of(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def pct(sorted_values, p):
    """Nearest rank: the smallest value with at least p of the values at or below it."""
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(p * len(sorted_values)) - 1)]


def fields(url, ids, names):
    r = redis.Redis.from_url(url)
    out = []
    for start in range(0, len(ids), 5000):
        pipe = r.pipeline(transaction=False)
        for i in ids[start:start + 5000]:
            pipe.hmget(PREFIX + i, *names)
        out.extend(pipe.execute())
    return [[None if v is None else v.decode() for v in row] for row in out]


def emit(**kv):
    print(" ".join(f"{k}={v}" for k, v in kv.items()))


def throughput(url, path):
    ids = ids_of(path)
    rows = fields(url, ids, ["status", "started_at", "ended_at"])
    done = [r for r in rows if r[0] == "finished"]
    first = min(int(r[1]) for r in done)
    last = max(int(r[2]) for r in done)
    span = max(last - first, 1)
    emit(jobs=len(ids), finished=len(done), span_ms=span, rate=f"{len(done) * 1000 / span:.0f}")
    return 0 if len(done) == len(ids) else 1


def latency(url, path):
    ids = ids_of(path)
    rows = fields(url, ids, ["status", "enqueued_at", "started_at"])
    waits = sorted(int(s) - int(e) for st, e, s in rows if st == "finished")
    emit(jobs=len(ids), finished=len(waits), p50=pct(waits, 0.5), p99=pct(waits, 0.99), max=waits[-1] if waits else "nan")
    return 0 if len(waits) == len(ids) else 1


def chaos(url, path, kills_path):
    ids = ids_of(path)
    with open(kills_path) as f:
        kills = sorted(int(line) for line in f if line.strip())
    rows = fields(url, ids, ["status", "attempts", "enqueued_at", "started_at"])
    status = {}
    for r in rows:
        status[r[0] or "missing"] = status.get(r[0] or "missing", 0) + 1
    redelivered, requeue_waits, extra_runs, per_kill = [], [], 0, {}
    for st, attempts, enqueued, started in rows:
        if attempts is None or int(attempts) <= 1:
            continue
        extra_runs += int(attempts) - 1
        before = [k for k in kills if k <= int(started)]
        if not before:
            continue
        kill = before[-1]
        per_kill[kill] = per_kill.get(kill, 0) + 1
        redelivered.append(int(started) - kill)       # kill -> the final run's start
        requeue_waits.append(int(enqueued) - kill)   # kill -> back in the queue (the reap)
    redelivered.sort()
    requeue_waits.sort()
    lost = len(ids) - status.get("finished", 0)
    emit(jobs=len(ids), finished=status.get("finished", 0), lost=lost,
         statuses=",".join(f"{k}:{v}" for k, v in sorted(status.items())),
         kills=len(kills), duplicates=sum(1 for r in rows if r[1] is not None and int(r[1]) > 1),
         extra_runs=extra_runs, max_per_kill=max(per_kill.values(), default=0),
         p50=pct(redelivered, 0.5), p99=pct(redelivered, 0.99),
         max=redelivered[-1] if redelivered else "nan",
         requeue_p99=pct(requeue_waits, 0.99))
    return 0


def rq_enqueue(url, n, ids_path):
    from rq import Queue
    q = Queue("default", connection=redis.Redis.from_url(url))
    ids = []
    n = int(n)
    for start in range(0, n, 1000):
        datas = [Queue.prepare_data("rq_jobs.noop") for _ in range(min(1000, n - start))]
        ids.extend(j.id for j in q.enqueue_many(datas))
    with open(ids_path, "w") as out:
        out.write("\n".join(ids) + "\n")
    emit(jobs=len(ids), queued=len(q))
    return 0


def rq_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000


def rq_throughput(url, path):
    ids = ids_of(path)
    r = redis.Redis.from_url(url)
    pipe = r.pipeline(transaction=False)
    for i in ids:
        pipe.hmget("rq:job:" + i, "status", "started_at", "ended_at")
    rows = [[v.decode() if v is not None else None for v in row] for row in pipe.execute()]
    done = [row for row in rows if row[0] == "finished"]
    first = min(rq_time(row[1]) for row in done)
    last = max(rq_time(row[2]) for row in done)
    span = max(last - first, 1)
    emit(jobs=len(ids), finished=len(done), span_ms=f"{span:.0f}", rate=f"{len(done) * 1000 / span:.1f}")
    return 0 if len(done) == len(ids) else 1


def main(argv):
    cmd, args = argv[1], argv[2:]
    return {"throughput": throughput, "latency": latency, "chaos": chaos, "rq-enqueue": rq_enqueue,
            "rq-throughput": rq_throughput}[cmd](*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
