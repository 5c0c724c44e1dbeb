defmodule Aybiza.Cluster.BreakerRemoteTest do
  # The node-local half of the cluster breakers: applying a peer's transitions.
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.{CircuitBreaker, Clock}

  import Aybiza.Bedrock.TestHelpers, only: [unique_region: 0]

  @model "anthropic.claude-sonnet-4-6"

  setup do
    clock = Clock.manual(1_000_000)
    %{region: unique_region(), opts: [clock: clock, recovery_ms: 10_000], clock: clock}
  end

  test "a peer's open keeps its deadline here", %{region: region, opts: opts, clock: clock} do
    key = {@model, region}
    assert CircuitBreaker.apply_remote(key, {:open, 4_000, 5}, :peer@host, opts) == :open
    refute CircuitBreaker.allowed?(@model, region, opts)

    assert [{^key, {:open, 4_000, 5}}] =
             Enum.filter(CircuitBreaker.snapshot(opts), &(elem(&1, 0) == key))

    Clock.advance(clock, 3_999)
    refute CircuitBreaker.allowed?(@model, region, opts)
    Clock.advance(clock, 1)
    assert CircuitBreaker.allowed?(@model, region, opts)

    # An older open (less time left) does not shorten a later deadline.
    Clock.set(clock, 1_000_000)
    CircuitBreaker.apply_remote(key, {:open, 1_000, 5}, :peer@host, opts)
    Clock.advance(clock, 2_000)
    refute CircuitBreaker.allowed?(@model, region, opts)
  end

  test "while a peer runs the trial this copy stays open and ignores late verdicts",
       %{region: region, opts: opts, clock: clock} do
    key = {@model, region}
    CircuitBreaker.apply_remote(key, {:open, 0, 5}, :peer@host, opts)
    assert CircuitBreaker.apply_remote(key, :half_open, :peer@host, opts) == :open

    # A call that started before the breaker opened reports late: nothing changes.
    :ok = CircuitBreaker.record_success(@model, region, 10, opts)
    assert CircuitBreaker.state(@model, region) == :open
    refute CircuitBreaker.allowed?(@model, region, opts)

    # The trial succeeded on the peer.
    assert CircuitBreaker.apply_remote(key, :closed, :peer@host, opts) == :closed
    assert CircuitBreaker.allowed?(@model, region, opts)

    # No verdict ever (the trial node died): after one more recovery period, a trial here.
    CircuitBreaker.apply_remote(key, :half_open, :peer@host, opts)
    Clock.advance(clock, 10_000)
    assert :ok = CircuitBreaker.acquire(@model, region, opts)
    assert CircuitBreaker.state(@model, region) == :half_open
  end

  test "state changes from a peer carry its node in the telemetry", %{region: region, opts: opts} do
    test_pid = self()
    id = {__MODULE__, region}

    :ok =
      Aybiza.Bedrock.Telemetry.attach(
        id,
        [:aybiza_bedrock, :circuit_breaker, :state_change],
        fn _e, _m, meta, pid -> if meta.region == region, do: send(pid, {:changed, meta}) end,
        test_pid
      )

    on_exit(fn -> Aybiza.Bedrock.Telemetry.detach(id) end)
    CircuitBreaker.apply_remote({@model, region}, {:open, 1_000, 3}, :peer@host, opts)
    assert_received {:changed, %{from: :closed, to: :open, origin: :peer@host}}
  end
end
