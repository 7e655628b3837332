# The job RQ runs in `make bench` (scripts/bench jobs): the counterpart of
# job-worker's noop, imported by `rq worker --path tests/bench`.


def noop():
    return None
