# The soak with faults (run by bin/soak): SOAK_CONCURRENCY calls in flight for SOAK_SECONDS
# against an embedded emulator on 127.0.0.1, ~20% failing in mixed ways and some receivers
# killed. Prints the report and exits non-zero if any check failed.
Code.require_file("support/soak.exs", __DIR__)

env = fn name, default ->
  case System.get_env(name) do
    v when v in [nil, ""] -> default
    v -> String.to_integer(v)
  end
end

report =
  AybizaBench.Soak.run(
    concurrency: env.("SOAK_CONCURRENCY", 1000),
    # Two rounds: RSS growth in the second would be a leak, not allocator caches.
    seconds: div(env.("SOAK_SECONDS", 60), 2),
    rounds: 2,
    max_calls: env.("SOAK_MAX_CALLS", 1_000_000),
    seed: env.("SOAK_SEED", 42)
  )

AybizaBench.Soak.print(report)

case AybizaBench.Soak.check(report) do
  [] ->
    IO.puts("soak: PASSED")

  failures ->
    Enum.each(failures, &IO.puts(:stderr, "soak: FAILED: " <> &1))
    System.halt(1)
end
