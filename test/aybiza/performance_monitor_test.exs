defmodule Aybiza.Bedrock.PerformanceMonitorTest do
  use ExUnit.Case, async: true

  import Aybiza.Bedrock.TestHelpers, only: [unique_region: 0]

  alias Aybiza.Bedrock.PerformanceMonitor

  @opus "anthropic.claude-opus-4-6-v1"
  @haiku "anthropic.claude-haiku-4-5-20251001-v1:0"

  # Far from real time so other tests' samples are outside the window.
  @now 10_000_000_000_000

  defp record(model, region, n, sample, now \\ @now) do
    for _ <- 1..n,
        do:
          PerformanceMonitor.record(Map.merge(%{model_id: model, region: region}, sample),
            now_ms: now
          )
  end

  test "counts, cost, tokens, error rates and distribution per model and region" do
    region = unique_region()

    record(@opus, region, 3, %{
      first_token_ms: 100,
      total_ms: 900,
      cost_nanodollars: 10,
      input_tokens: 5,
      output_tokens: 7
    })

    record(@opus, region, 1, %{ok?: false, error_reason: :throttled})
    record(@haiku, region, 4, %{first_token_ms: 40})

    summary = PerformanceMonitor.summary(now_ms: @now)
    opus = summary.models[{@opus, region}]
    assert opus.calls == 4 and opus.errors == 1 and opus.error_rate == 0.25
    assert opus.errors_by_reason == %{throttled: 1}
    assert opus.cost_nanodollars == 30 and opus.input_tokens == 15 and opus.output_tokens == 21
    assert opus.first_token_ms == %{p50: 100, p95: 100, p99: 100}
    assert opus.total_ms.p95 == 1_000
    assert summary.models[{@haiku, region}].first_token_ms.p50 == 50
  end

  test "percentiles from the histogram" do
    region = unique_region()
    record(@haiku, region, 90, %{first_token_ms: 80})
    record(@haiku, region, 10, %{first_token_ms: 2_500})
    stats = PerformanceMonitor.summary(now_ms: @now).models[{@haiku, region}]
    assert stats.first_token_ms.p50 == 100
    assert stats.first_token_ms.p95 == 3_000
    record(@haiku, region, 1, %{first_token_ms: 99_999})

    assert PerformanceMonitor.summary(now_ms: @now).models[{@haiku, region}].first_token_ms.p99 ==
             3_000
  end

  test "the window: old slots fall out and are pruned" do
    region = unique_region()
    old = @now - 20 * 60_000
    record(@haiku, region, 2, %{}, old)
    record(@haiku, region, 1, %{})
    assert PerformanceMonitor.summary(now_ms: @now).models[{@haiku, region}].calls == 1
    assert PerformanceMonitor.summary(now_ms: old).models[{@haiku, region}].calls == 2
    assert PerformanceMonitor.prune(now_ms: @now) >= 1
    assert PerformanceMonitor.summary(now_ms: old).models[{@haiku, region}] == nil
  end

  test "recommendations: slow first token, costly model for simple turns, failures" do
    region = unique_region()
    now = @now + 3_600_000
    record(@opus, region, 20, %{first_token_ms: 900, complexity: 0.1}, now)
    record(@haiku, region, 20, %{first_token_ms: 60, complexity: 0.1}, now)
    record(@haiku, region, 2, %{ok?: false, error_reason: :throttled}, now)

    recs = PerformanceMonitor.optimization_recommendations(now_ms: now, latency_threshold_ms: 200)
    mine = Enum.filter(recs, &(&1.region == region))

    assert %{p95_first_token_ms: 1_000} =
             Enum.find(mine, &(&1.type == :latency and &1.model_id == @opus))

    assert Enum.find(mine, &(&1.type == :cost and &1.model_id == @opus))
    refute Enum.find(mine, &(&1.type == :cost and &1.model_id == @haiku))
    refute Enum.find(mine, &(&1.type == :latency and &1.model_id == @haiku))

    assert %{error_rate: rate} =
             Enum.find(mine, &(&1.type == :reliability and &1.model_id == @haiku))

    assert_in_delta rate, 2 / 22, 0.001
  end

  test "models below :min_calls are not judged" do
    region = unique_region()
    now = @now + 7_200_000
    record(@opus, region, 3, %{first_token_ms: 5_000}, now)

    assert Enum.filter(
             PerformanceMonitor.optimization_recommendations(now_ms: now),
             &(&1.region == region)
           ) == []
  end
end
