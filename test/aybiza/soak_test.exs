defmodule Aybiza.SoakTest do
  # A short version of bin/soak: a few hundred concurrent calls, ~20% failing in mixed ways
  # (throttling, mid-stream exceptions, resets, stalls, corrupt frames) and some receivers
  # killed mid-call. async: false because live_streams() is global to the VM.
  use ExUnit.Case, async: false

  # `mix test --only soak` runs it alone; the default run (bin/test) includes it too.
  @moduletag :soak

  Code.require_file("../../bench/support/soak.exs", __DIR__)

  @tag timeout: 120_000
  test "every call ends with exactly one terminal message and nothing leaks" do
    report =
      AybizaBench.Soak.run(
        concurrency: 100,
        seconds: 20,
        max_calls: 200,
        kill_share: 0.05,
        seed: 7
      )

    assert report.calls == 200
    # The mix really contains faults and killed receivers, not only happy calls.
    assert report.faulty >= 20
    assert Map.has_key?(report.by_kind, :ok)
    assert AybizaBench.Soak.check(report) == []
    assert Aybiza.Bedrock.live_streams() == 0
  end
end
