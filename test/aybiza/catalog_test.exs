defmodule Aybiza.CatalogTest do
  # async: false because one test replaces the global catalog overrides.
  use ExUnit.Case, async: false

  import ExUnit.CaptureLog

  alias Aybiza.Bedrock.{Catalog, Cost, Routing}

  doctest Aybiza.Bedrock.Cost

  @sonnet4 "anthropic.claude-sonnet-4-20250514-v1:0"
  @haiku35 "anthropic.claude-3-5-haiku-20241022-v1:0"
  @haiku3 "anthropic.claude-3-haiku-20240307-v1:0"
  @haiku45 "anthropic.claude-haiku-4-5-20251001-v1:0"
  @sonnet46 "anthropic.claude-sonnet-4-6"

  describe "models/0 and info/0" do
    test "lists every model with capabilities and prices" do
      models = Catalog.models()
      assert length(models) >= 20
      haiku = Enum.find(models, &(&1.id == @haiku35))
      assert haiku.capabilities.tools
      assert haiku.capabilities.min_cache_tokens == 2048
      assert haiku.prices.input.usd_per_mtok == "0.80"
      assert haiku.prices.output.nanodollars_per_mtok == 4_000_000_000
      assert haiku.default_max_tokens == 512
    end

    test "info names the source and the as-of date" do
      info = Catalog.info()
      assert info.source =~ "pricing"
      assert info.as_of =~ ~r/^\d{4}-\d{2}-\d{2}$/
      assert info.regions.fallback_region == "us-west-2"
      assert info.regions.countries["DE"] == "eu-central-1"
    end
  end

  describe "get/1" do
    test "resolves ids, profiles and ARNs" do
      assert {:ok, %{model_id: @haiku3, profile: nil, family: :anthropic}} = Catalog.get(@haiku3)

      assert {:ok, %{profile: "global", price_percent: 100}} =
               Catalog.get("global.anthropic.claude-sonnet-4-5-20250929-v1:0")

      arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.#{@sonnet4}"

      assert {:ok, %{model_id: ^arn, base_model_id: @sonnet4, region: "us-east-1"}} =
               Catalog.get(arn)
    end

    test "apis: the API families a model is served on" do
      assert {:ok, %{apis: apis, spec: %{apis: apis}}} =
               Catalog.get("global.anthropic.claude-opus-4-7")

      assert :messages in apis and :converse in apis
      assert Catalog.serves?("us.anthropic.claude-opus-4-7", :messages)
      refute Catalog.serves?("amazon.nova-pro-v1:0", :messages)
      assert Catalog.serves?("amazon.nova-pro-v1:0", :converse)
      refute Catalog.serves?("no.such-model", :converse)
      assert Enum.all?(Catalog.models(), &match?([_ | _], &1.apis))
    end

    test "design names resolve to real ids with a one-time warning" do
      name = "anthropic.claude-4-sonnet-20250120"
      :persistent_term.erase({Catalog, :alias_warned, name})

      log =
        capture_log([level: :warning], fn ->
          assert {:ok, %{model_id: @sonnet4, deprecated_alias: true, alias_of: ^name}} =
                   Catalog.get(name)
        end)

      assert log =~ "does not exist on Bedrock"
      assert capture_log([level: :warning], fn -> Catalog.get(name) end) == ""
    end

    test "apis/1 (stream/2's API choice): get/1's apis and its one-time warnings" do
      for id <- [
            "us.anthropic.claude-opus-4-7",
            "amazon.nova-pro-v1:0",
            "anthropic.claude-sonnet-4-6"
          ] do
        assert {:ok, %{apis: apis}} = Catalog.get(id)
        assert Catalog.apis(id) == apis
      end

      assert Catalog.apis("no.such-model") == nil
      assert Catalog.apis(String.duplicate("a", 3000)) == nil
      assert Catalog.apis(:not_a_string) == nil

      name = "anthropic.claude-4-sonnet-20250120"
      :persistent_term.erase({Catalog, :alias_warned, name})
      log = capture_log([level: :warning], fn -> assert [_ | _] = Catalog.apis(name) end)
      assert log =~ "#{inspect(name)} does not exist on Bedrock; using #{inspect(@sonnet4)}"
      assert capture_log([level: :warning], fn -> Catalog.apis(name) end) == ""

      legacy = "anthropic.claude-opus-4-1-20250805-v1:0"
      :persistent_term.erase({Catalog, :legacy_warned, legacy})
      log = capture_log([level: :warning], fn -> Catalog.apis("us." <> legacy) end)
      assert log =~ "#{legacy} is Legacy"
      assert log =~ "anthropic.claude-opus-4-6-v1"
      assert capture_log([level: :warning], fn -> Catalog.apis(legacy) end) == ""
    end

    test "unknown ids fail with the closest known ids" do
      assert {:error, %Aybiza.Error{reason: :unknown_model, message: message}} =
               Catalog.get("anthropic.claude-3-haiku-20240307-v9:0")

      assert message =~ @haiku3
      assert_raise Aybiza.Error, fn -> Catalog.get!("nope") end
    end
  end

  describe "max tokens, regions, fallbacks" do
    test "design defaults, explicit value wins, capped at the model maximum" do
      assert {:ok, 4096} = Catalog.max_tokens_for("anthropic.claude-opus-4-20250514-v1:0")
      assert {:ok, 2048} = Catalog.max_tokens_for(@sonnet4)
      assert {:ok, 1024} = Catalog.max_tokens_for("anthropic.claude-3-5-sonnet-20241022-v2:0")
      assert {:ok, 512} = Catalog.max_tokens_for(@haiku35)
      assert {:ok, 256} = Catalog.max_tokens_for(@haiku3)
      assert {:ok, 700} = Catalog.max_tokens_for(@haiku3, max_tokens: 700)
      assert {:ok, 4096} = Catalog.max_tokens_for(@haiku3, %{max_tokens: 100_000})
    end

    test "country to region" do
      assert Catalog.region_for_country("GB") == "eu-west-1"
      assert Catalog.region_for_country(:jp) == "ap-northeast-1"
      assert Catalog.region_for_country("IN") == "ap-south-1"
      assert Catalog.region_for_country("ZZ") == "us-east-1"
      assert Catalog.region_for_country(nil) == "us-east-1"
      assert Catalog.fallback_region() == "us-west-2"
    end

    test "throttling chain" do
      # Legacy Sonnet 4 falls back to active models only.
      assert {:ok, [@sonnet46, @haiku45]} = Catalog.fallback_chain(@sonnet4)
    end
  end

  describe "Cost" do
    test "exact cost with cache and thinking" do
      usage = %{
        "inputTokens" => 100,
        "outputTokens" => 50,
        "cacheReadInputTokens" => 10_000,
        "cacheWriteInputTokens" => 2_000
      }

      assert {:ok, %Cost{} = cost} = Cost.calculate(@sonnet4, usage)
      assert cost.nanodollars == 11_550_000
      assert cost.cache_read == 3_000_000
      assert to_string(cost) == "$0.011550"

      assert {:ok, one_hour} =
               Cost.calculate("global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                 cache_write_input_tokens: 1_000_000,
                 cache_write_ttl: :"1h"
               )

      assert one_hour.nanodollars == 6_000_000_000

      assert {:ok, thinking} =
               Cost.calculate(@sonnet4, %{output_tokens: 1000, thinking_tokens: 800})

      assert thinking.nanodollars == 15_000_000
      assert thinking.thinking == 12_000_000
    end

    # The usage maps as Bedrock's Converse sends them (agentjido/req_llm fixtures
    # test/support/fixtures/amazon_bedrock/anthropic_claude_haiku_4_5_20251001_v1_0/, commit
    # 19748e930d0c6049d1b42196f8cb1a4915638967): no cacheWrite* key when nothing was written
    # (guardrail_converse_allowed.json), cacheDetails and serverToolUsage beside the counts.
    test "usage as Bedrock sends it: a missing cache-write key counts as 0" do
      not_written = %{
        "cacheReadInputTokenCount" => 4866,
        "cacheReadInputTokens" => 4866,
        "inputTokens" => 6,
        "outputTokens" => 74,
        "serverToolUsage" => %{},
        "totalTokens" => 4946
      }

      assert {:ok, cost} = Cost.calculate(@haiku45, not_written)

      assert cost ==
               Cost.calculate!(@haiku45,
                 input_tokens: 6,
                 output_tokens: 74,
                 cache_read_input_tokens: 4866,
                 cache_write_input_tokens: 0
               )

      assert cost.cache_write == 0 and cost.cache_read > 0

      written =
        Map.merge(not_written, %{
          "cacheDetails" => [%{"inputTokens" => 101, "ttl" => "5m"}],
          "cacheWriteInputTokenCount" => 101,
          "cacheWriteInputTokens" => 101
        })

      assert Cost.calculate!(@haiku45, written).cache_write ==
               Cost.calculate!(@haiku45, cache_write_input_tokens: 101).cache_write

      assert Cost.calculate!(@haiku45, written).cache_write > 0
    end

    # The usage of a Converse call that wrote a 1 hour cache point, exactly as recorded
    # (agentjido/req_llm test/support/fixtures/amazon_bedrock/
    # anthropic_claude_haiku_4_5_20251001_v1_0/prompt_cache_1h.json, commit
    # 19748e930d0c6049d1b42196f8cb1a4915638967, model global.anthropic.claude-haiku-4-5-...).
    # CacheDetail.ttl is "5m" | "1h" (docs.aws.amazon.com/bedrock/latest/APIReference/
    # API_runtime_CacheDetail.html). Expected amounts come from the catalog's own prices.
    @recorded_1h %{
      "cacheDetails" => [%{"inputTokens" => 4508, "ttl" => "1h"}],
      "cacheReadInputTokenCount" => 0,
      "cacheReadInputTokens" => 0,
      "cacheWriteInputTokenCount" => 4508,
      "cacheWriteInputTokens" => 4508,
      "inputTokens" => 9,
      "outputTokens" => 6,
      "serverToolUsage" => %{},
      "totalTokens" => 4523
    }

    defp haiku45_price(key) do
      Enum.find(Catalog.models(), &(&1.id == @haiku45)).prices[key].nanodollars_per_mtok
    end

    test "cacheDetails price each written entry at its TTL's rate" do
      global = "global." <> @haiku45
      {input, output} = {haiku45_price(:input), haiku45_price(:output)}
      {w5, w1} = {haiku45_price(:cache_write_5m), haiku45_price(:cache_write_1h)}
      assert w1 > w5

      assert {:ok, cost} = Cost.calculate(global, @recorded_1h)
      assert cost.femtodollars == 9 * input + 6 * output + 4508 * w1
      assert cost.cache_write == div(4508 * w1 + 500_000, 1_000_000)
      # The same as declaring the whole write 1 hour; dearer than the 5 minute default.
      assert cost ==
               Cost.calculate!(global,
                 input_tokens: 9,
                 output_tokens: 6,
                 cache_write_input_tokens: 4508,
                 cache_write_ttl: "1h"
               )

      no_details = Map.delete(@recorded_1h, "cacheDetails")
      assert Cost.calculate!(global, no_details).femtodollars < cost.femtodollars

      # A mixed write, and the details win over a contradicting cache_write_ttl.
      mixed = %{
        cache_details: [[input_tokens: 300, ttl: :"5m"], %{"inputTokens" => 700, "ttl" => "1h"}],
        cache_write_input_tokens: 1000,
        cache_write_ttl: "1h"
      }

      assert Cost.calculate!(global, mixed).femtodollars == 300 * w5 + 700 * w1
      # Details alone (no total) are the total.
      assert Cost.calculate!(global, Map.delete(mixed, :cache_write_input_tokens)) ==
               Cost.calculate!(global, mixed)
    end

    test "cacheDetails that disagree with the total or are malformed are invalid requests" do
      disagree = Map.put(@recorded_1h, "cacheWriteInputTokens", 4507)

      assert {:error, %Aybiza.Error{reason: :invalid_request} = e} =
               Cost.calculate(@haiku45, disagree)

      assert Exception.message(e) =~ "sum to 4508"

      entry = %{"inputTokens" => 1, "ttl" => "5m"}

      for bad <- [
            entry,
            "5m",
            [1],
            [%{"ttl" => "5m"}],
            [%{"inputTokens" => -1, "ttl" => "5m"}],
            [%{"inputTokens" => 1.0, "ttl" => "5m"}],
            [%{"inputTokens" => 2 ** 70, "ttl" => "5m"}],
            [%{"inputTokens" => 1, "ttl" => "1d"}],
            [%{"inputTokens" => 1, "ttl" => 3600}],
            [entry | entry],
            List.duplicate(entry, 9),
            [
              %{"inputTokens" => 2 ** 63, "ttl" => "1h"},
              %{"inputTokens" => 2 ** 63, "ttl" => "5m"}
            ]
          ] do
        assert {:error, %Aybiza.Error{reason: :invalid_request}} =
                 Cost.calculate(@haiku45, %{"cacheDetails" => bad}),
               inspect(bad)
      end

      assert {:ok, _} = Cost.calculate(@haiku45, %{"cacheDetails" => List.duplicate(entry, 8)})
      assert {:ok, _} = Cost.calculate(@haiku45, %{"cacheDetails" => nil})
    end

    test "published prices and the regional premium" do
      m = 1_000_000

      assert Cost.calculate!(@haiku35, %{input_tokens: m, output_tokens: m}).nanodollars ==
               4_800_000_000

      assert Cost.calculate!(@haiku3, %{input_tokens: m, output_tokens: m}).nanodollars ==
               1_500_000_000

      geo = Cost.calculate!("us.anthropic.claude-haiku-4-5-20251001-v1:0", %{input_tokens: m})

      global =
        Cost.calculate!("global.anthropic.claude-haiku-4-5-20251001-v1:0", %{input_tokens: m})

      assert {geo.nanodollars, global.nanodollars} == {1_100_000_000, 1_000_000_000}
    end

    test "interrupted stream is estimated" do
      assert {:ok, cost} =
               Cost.estimate_interrupted(
                 @haiku35,
                 "What time do you open?",
                 "We open at nine in the"
               )

      assert cost.estimated
      assert cost.nanodollars > 0
      assert to_string(cost) =~ "(estimated)"
      assert Catalog.estimate_tokens("") == 0
    end

    test "formatting and totals" do
      assert Cost.format_nanodollars(1_234_567) == "$0.001235"
      assert Cost.format_nanodollars(1_234_567, 9) == "$0.001234567"
      a = Cost.calculate!("amazon.nova-micro-v1:0", %{cache_read_input_tokens: 3})
      # 3 x 8.75 nanodollars: the exact femtodollar totals add up without drift.
      assert Cost.total_nanodollars([a, a]) == 53
    end

    test "bad usage is an invalid request" do
      assert {:error, %Aybiza.Error{reason: :invalid_request}} =
               Cost.calculate(@haiku3, %{input_tokens: -1})

      assert {:error, %Aybiza.Error{reason: :unknown_model}} = Cost.calculate("nope", %{})
    end
  end

  describe "Routing" do
    test "the rule table" do
      assert {:ok, %{base_model_id: "anthropic.claude-opus-4-6-v1", rule: "deep_reasoning"}} =
               Routing.select_optimal_model_and_region(0.95, 1500)

      assert {:ok, %{model_id: "amazon.nova-micro-v1:0", rule: "ultra_fast_cheap"}} =
               Routing.select_optimal_model_and_region(0.1, 100, [], cost_optimize: true)

      assert {:ok, %{base_model_id: @haiku45, rule: "ultra_fast"}} =
               Routing.select_optimal_model_and_region(0.1, 100)

      assert {:ok, %{base_model_id: @haiku45, rule: "fast"}} =
               Routing.select_optimal_model_and_region(0.5, 180)

      assert {:ok, %{base_model_id: @sonnet46, rule: "tools"}} =
               Routing.select_optimal_model_and_region(0.5, 500, [:tools])

      assert {:ok, %{base_model_id: @sonnet46, rule: "complex", region: "us-east-1"}} =
               Routing.select_optimal_model_and_region(0.8, 500)
    end

    test "no rule routes to a Legacy or EOL model" do
      for rule <- Catalog.info().routing_rules, id <- rule.models do
        assert %{state: :active} = Catalog.lifecycle(id), "#{rule.name}: #{id}"
      end

      for {_from, chain} <- Catalog.info().fallback_chains, id <- chain do
        assert %{state: :active} = Catalog.lifecycle(id), id
      end
    end

    test "region by country, capabilities and excluded pairs" do
      assert {:ok, %{region: "eu-central-1", model_id: "eu." <> _}} =
               Routing.select_optimal_model_and_region(0.5, 500, %{}, country: "DE")

      assert {:ok, %{base_model_id: @haiku45}} =
               Routing.select_optimal_model_and_region(0.5, 180, [:vision])

      fast = [@haiku45, "amazon.nova-lite-v1:0"]

      # Every fast model failing in us-east-1: a later matching rule's model in the same region.
      assert {:ok, %{base_model_id: @sonnet46, region: "us-east-1", degraded: true}} =
               Routing.select_optimal_model_and_region(0.5, 180, [],
                 excluded: Enum.map(fast, &{&1, "us-east-1"})
               )

      assert {:error, %Aybiza.Error{reason: :invalid_request}} =
               Routing.select_optimal_model_and_region(0.5, 500, [:teleportation])
    end
  end

  describe "overrides" do
    setup do
      on_exit(fn -> Catalog.put_overrides(nil) end)
    end

    test "put_overrides/1 takes terms and JSON, load_from_config/0 reads the app env" do
      assert {:ok, %{overridden: true}} =
               Catalog.put_overrides(%{models: [%{id: @haiku3, default_max_tokens: 300}]})

      assert {:ok, 300} = Catalog.max_tokens_for(@haiku3)

      assert {:ok, _} = Catalog.put_overrides(~s({"regions": {"countries": {"BR": "sa-east-1"}}}))
      assert Catalog.region_for_country("BR") == "sa-east-1"
      assert {:ok, 256} = Catalog.max_tokens_for(@haiku3), "overrides replace, not accumulate"

      assert {:error, %Aybiza.Error{reason: :invalid_config}} =
               Catalog.put_overrides(%{models: [%{id: @haiku3, prices: %{input: "free"}}]})

      assert Catalog.region_for_country("BR") == "sa-east-1", "invalid overrides change nothing"

      Application.put_env(:aybiza_bedrock, :catalog_overrides,
        regions: [fallback_region: "us-east-2"]
      )

      on_exit(fn -> Application.delete_env(:aybiza_bedrock, :catalog_overrides) end)
      assert :ok = Catalog.load_from_config()
      assert Catalog.fallback_region() == "us-east-2"
    end
  end
end
