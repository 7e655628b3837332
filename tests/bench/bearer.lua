-- wrk script: every request carries BENCH_TOKEN as a bearer token.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
