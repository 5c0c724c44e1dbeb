defmodule Aybiza.Bedrock.PolicyTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Turn.Policy
  alias Aybiza.Bedrock.Turn.Policy.Models
  alias Aybiza.Error

  @sonnet4 "anthropic.claude-sonnet-4-6"
  @haiku35 "anthropic.claude-haiku-4-5-20251001-v1:0"
  @haiku3 "amazon.nova-lite-v1:0"

  defp cfg(extra \\ []),
    do:
      Policy.options!(
        Keyword.merge([random: fn ceiling -> ceiling end, fallback_region: "us-west-2"], extra)
      )

  defp attempt(extra \\ []) do
    Map.merge(
      %{
        model_id: @sonnet4,
        region: "us-east-1",
        attempt: 1,
        same_target_tries: 1,
        tried: [{@sonnet4, "us-east-1"}],
        latency_optimized?: false
      },
      Map.new(extra)
    )
  end

  defp err(reason, message \\ "boom"), do: Error.new(reason, message)

  describe "backoff" do
    test "exponential ceiling, capped" do
      cfg = cfg(base_backoff_ms: 100, max_backoff_ms: 1_000)
      assert Enum.map(1..6, &Policy.backoff_ms(&1, cfg)) == [100, 200, 400, 800, 1_000, 1_000]
    end

    test "full jitter: uniformly in 0..ceiling" do
      cfg = Policy.options!(base_backoff_ms: 100, max_backoff_ms: 1_000)
      delays = for _ <- 1..500, do: Policy.backoff_ms(3, cfg)
      assert Enum.all?(delays, &(&1 in 0..400))
      # full jitter, not "equal jitter": small delays occur
      assert Enum.any?(delays, &(&1 < 100))
      assert Enum.any?(delays, &(&1 > 300))
    end
  end

  describe "the table" do
    test "throttled: bounded backoff retries, then the throttling chain" do
      cfg = cfg(throttle_retries: 2, base_backoff_ms: 50)
      assert {:retry, 50} = Policy.next_step(err(:throttled), attempt(same_target_tries: 1), cfg)
      assert {:retry, 100} = Policy.next_step(err(:throttled), attempt(same_target_tries: 2), cfg)

      assert {:fallback, :throttling_chain, @haiku35, "us-east-1"} =
               Policy.next_step(err(:throttled), attempt(same_target_tries: 3), cfg)
    end

    test "the chain skips tried targets and open breakers" do
      tried = [{@sonnet4, "us-east-1"}, {@haiku35, "us-east-1"}]

      assert {:fallback, _, @haiku3, _} =
               Policy.next_step(err(:model_not_ready), attempt(tried: tried), cfg())

      cfg = cfg(allowed?: fn model, _ -> model != @haiku35 end)

      assert {:fallback, :alternative_model, @haiku3, "us-east-1"} =
               Policy.next_step(err(:model_not_ready), attempt(), cfg)

      cfg = cfg(allowed?: fn _, _ -> false end)

      assert {:stop, %Error{reason: :model_not_ready}} =
               Policy.next_step(err(:model_not_ready), attempt(), cfg)
    end

    test "5xx: fallback region, then the nearest, then the geographic profile" do
      for reason <- [:service_unavailable, :internal_server] do
        # The same model, under the id callable in the fallback region: Sonnet 4 is served
        # through the `us.` profile there (a catalog fact).
        assert {:fallback, :fallback_region, "us." <> @sonnet4, "us-west-2"} =
                 Policy.next_step(err(reason), attempt(), cfg())
      end

      # A geographic profile never crosses its geography: `us.` falling back to Europe
      # becomes `eu.`.
      eu = cfg(fallback_region: "eu-central-1")

      assert {:fallback, :fallback_region, "eu." <> @sonnet4, "eu-central-1"} =
               Policy.next_step(
                 err(:service_unavailable),
                 attempt(model_id: "us." <> @sonnet4),
                 eu
               )

      # Every other region is tried first: the fallback region, then the catalog's nearest;
      # then the geographic profile in the same region, for a model served in-region.
      nova = "amazon.nova-lite-v1:0"

      tried =
        for region <- ["us-east-1", "us-west-2" | Models.nearest_regions("us-east-1")],
            do: {nova, region}

      assert length(Enum.uniq(tried)) > 2

      assert {:fallback, :geo_profile, "us." <> ^nova, "us-east-1"} =
               Policy.next_step(
                 err(:internal_server),
                 attempt(model_id: nova, tried: tried),
                 cfg()
               )

      # Claude Sonnet 4.6 is served only through a profile: its base id in us-east-1 already
      # went out as `us.anthropic.claude-sonnet-4-6`, so the "geographic profile" step would
      # repeat the failed target: the call stops instead.
      tried = for {_, region} <- tried, do: {@sonnet4, region}

      assert {:stop, %Error{reason: :internal_server}} =
               Policy.next_step(err(:internal_server), attempt(tried: tried), cfg())
    end

    test "region fallback never repeats a failed (model id, region) target" do
      # us-east-1 failed (base id, sent as the us. profile), then us-west-2 (us. profile).
      # From us-west-2, the nearest regions include us-east-1: under the profile id it is
      # the target that failed first, so it is skipped.
      tried = [{@sonnet4, "us-east-1"}, {"us." <> @sonnet4, "us-west-2"}]

      at_west =
        attempt(model_id: "us." <> @sonnet4, region: "us-west-2", attempt: 2, tried: tried)

      step = Policy.next_step(err(:service_unavailable), at_west, cfg())
      assert {:fallback, :fallback_region, _model_id, region} = step
      refute region in ["us-east-1", "us-west-2"]

      # Walk the whole chain of region failures: no target is ever proposed twice, counting
      # a base id and the profile it is sent as as the same target.
      wire = fn {model, region} -> {elem(Models.invocable_id(model, region), 1), region} end

      {targets, _} =
        Enum.reduce_while(1..20, {[], {at_west, step}}, fn _, {targets, {att, step}} ->
          case step do
            {:fallback, _kind, model, region} ->
              att = %{
                att
                | model_id: model,
                  region: region,
                  attempt: att.attempt + 1,
                  tried: att.tried ++ [{model, region}]
              }

              next = Policy.next_step(err(:service_unavailable), att, cfg(max_attempts: 50))
              {:cont, {[{model, region} | targets], {att, next}}}

            {:stop, _} ->
              {:halt, {targets, nil}}
          end
        end)

      all = Enum.map(tried ++ Enum.reverse(targets), wire)
      assert length(all) > 3
      assert all == Enum.uniq(all)
    end

    test "validation: stop, except a latency-optimized rejection once" do
      assert {:stop, %Error{reason: :validation}} =
               Policy.next_step(err(:validation), attempt(), cfg())

      rejection = err(:validation, "latency optimized inference is not supported for this model")

      assert :retry_standard_latency =
               Policy.next_step(rejection, attempt(latency_optimized?: true), cfg())

      assert {:stop, _} = Policy.next_step(rejection, attempt(latency_optimized?: false), cfg())
    end

    test "timeouts: a faster model" do
      for reason <- [:timeout, :first_byte_timeout, :idle_timeout, :model_timeout] do
        assert {:fallback, :faster_model, @haiku35, _} =
                 Policy.next_step(err(reason), attempt(), cfg())
      end

      # nothing faster than 3 Haiku
      assert {:stop, _} = Policy.next_step(err(:timeout), attempt(model_id: @haiku3), cfg())
    end

    test "access denied, model not found, expired credentials: stop with a hint" do
      for {reason, hint} <- [
            access_denied: "IAM",
            model_not_found: "does not exist",
            expired_credentials: "expired"
          ] do
        assert {:stop, %Error{reason: ^reason, message: message}} =
                 Policy.next_step(err(reason), attempt(), cfg())

        assert message =~ hint
      end
    end

    test "all attempts spent: stop" do
      assert {:stop, %Error{message: message}} =
               Policy.next_step(err(:throttled), attempt(attempt: 4), cfg(max_attempts: 4))

      assert message =~ "gave up after 4 attempt(s)"
    end

    test "inference profile prefixes are kept along the chain" do
      assert {:fallback, _, "us." <> @haiku35, _} =
               Policy.next_step(
                 err(:model_not_ready),
                 attempt(model_id: "us." <> @sonnet4, tried: []),
                 cfg()
               )
    end
  end

  test "breaker failures are the service's faults, not the caller's" do
    assert Policy.breaker_failure?(err(:throttled))
    assert Policy.breaker_failure?(err(:internal_server))
    refute Policy.breaker_failure?(err(:validation))
    refute Policy.breaker_failure?(err(:access_denied))
  end

  test "options are validated, naming the bad one" do
    assert_raise ArgumentError, ~r/:max_attempts/, fn -> Policy.options!(max_attempts: 0) end
    assert_raise ArgumentError, ~r/:random/, fn -> Policy.options!(random: 3) end
  end

  test "model facts come from the catalog" do
    assert {:ok, %{temperature_and_top_p?: false, sampling?: true, tier: :sonnet}} =
             Models.facts(@sonnet4)

    assert {:ok, %{temperature_and_top_p?: true}} = Models.facts("amazon.nova-lite-v1:0")

    # Opus 4.7 takes no sampling parameters and only adaptive thinking (no budget).
    assert {:ok, %{sampling?: false, thinking?: false}} =
             Models.facts("us.anthropic.claude-opus-4-7")

    assert {:ok, %{tools?: true, profile: "us", base_model_id: @haiku35}} =
             Models.facts("us." <> @haiku35)

    # Haiku 4.5 is not offered under the apac profile: the catalog says so.
    assert {:error, %Error{reason: :unknown_model}} = Models.facts("apac." <> @haiku35)
    assert {:error, %Error{reason: :unknown_model}} = Models.facts("no-such-model")
    assert {:ok, "eu." <> @sonnet4} = Models.geo_profile(@sonnet4, "eu-west-1")
    assert {:ok, nil} = Models.geo_profile("us." <> @sonnet4, "us-east-1")
  end

  test "chains keep the profile prefix and leave out models not offered under it" do
    assert {:ok, [@haiku35, @haiku3]} = Models.chain(@sonnet4)
    assert {:ok, ["us." <> @haiku35, "us." <> @haiku3]} = Models.chain("us." <> @sonnet4)
    # Nova Lite has no jp profile.
    assert {:ok, ["jp." <> @haiku35]} = Models.chain("jp." <> @sonnet4)
    assert {:ok, []} = Models.faster(@haiku3)
    assert {:error, %Error{reason: :unknown_model}} = Models.chain("no-such-model")
  end

  test "a model the catalog does not know stops the policy with the catalog's error" do
    assert {:stop, %Error{reason: :unknown_model}} =
             Policy.next_step(err(:model_not_ready), attempt(model_id: "no-such-model"), cfg())
  end
end
