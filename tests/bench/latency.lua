-- wrk script: at the end of the run, appends its latency histogram to the
-- file BENCH_LATENCY_FILE, a line "microseconds count" for each latency
-- seen, so that a p99 can be taken over the requests of several runs.
done = function(summary, latency, requests)
    local file = assert(io.open(os.getenv("BENCH_LATENCY_FILE"), "a"))
    for i = 1, #latency do
        local us, count = latency(i)
        file:write(string.format("%d %d\n", us, count))
    end
    file:close()
end
