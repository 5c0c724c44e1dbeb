# Nothing is excluded: the short soak (tag :soak, `mix test --only soak`) runs in the default
# run too; the long one is bin/soak. Logs are captured and printed only for failing tests
# (fallback and breaker warnings are expected output of many tests).
ExUnit.start(capture_log: true)
