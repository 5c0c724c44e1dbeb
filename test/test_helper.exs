# Nothing is excluded: the short soak (tag :soak, `mix test --only soak`) runs in the default
# run too; the long one is bin/soak. Logs are captured and printed only for failing tests
# (fallback and breaker warnings are expected output of many tests).
# `assert_receive` without a timeout waits up to 2 s (ExUnit's default is 100 ms): CI runs on
# two shared cores, where a message that always comes can take longer than 100 ms. A wait that
# must be short says so with its own timeout; `refute_receive` keeps its own default.
ExUnit.start(capture_log: true, assert_receive_timeout: 2_000)
