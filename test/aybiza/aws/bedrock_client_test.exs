defmodule Aybiza.AWS.BedrockClientTest do
  # Fast tests of the client and its failure policy against the fake backend.
  use ExUnit.Case, async: true

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{Catalog, CircuitBreaker, FakeBackend}
  alias Aybiza.Error

  @sonnet4 "anthropic.claude-sonnet-4-6"
  @sonnet45 "anthropic.claude-sonnet-4-5-20250929-v1:0"
  @haiku35 "anthropic.claude-haiku-4-5-20251001-v1:0"

  # No jitter, no breaker interference between tests, a region per test.
  defp opts(script, extra \\ []) do
    Keyword.merge(
      [
        backend: {FakeBackend, script: script},
        model_id: @sonnet4,
        region: unique_region(),
        policy: [random: fn _ceiling -> 0 end],
        breaker: [failure_threshold: 1_000],
        fallback_line: false
      ],
      extra
    )
  end

  defp run(script, extra \\ []) do
    {:ok, ref} =
      BedrockClient.generate_response("When do you open?", %{call_id: "c-1"}, opts(script, extra))

    collect_events(ref)
  end

  describe "streaming" do
    test "forwards the protocol with one terminal message and never leaks the backend ref" do
      script = FakeBackend.script([{:answer, ["We open at nine.", "See you then."]}])
      {:ok, ref} = BedrockClient.generate_response("When do you open?", %{}, opts(script))
      events = collect_events(ref)

      assert [:message_start, {:first_token, us} | _] = events
      assert is_integer(us)
      assert sentences(events) == [{0, "We open at nine."}, {1, "See you then."}]
      assert {:done, summary} = List.last(events)
      assert summary.attempts == 1 and summary.recovered? == false and summary.fallbacks == []
      assert summary.text == "We open at nine. See you then."
      assert Enum.count(events, &match?({tag, _} when tag in [:done, :error], &1)) == 1
      refute_receive {:aybiza_bedrock, _, _}, 50
    end

    test "stream: false returns the summary" do
      script = FakeBackend.script([{:answer, ["Yes."]}])

      assert {:ok, %{text: "Yes.", attempts: 1}} =
               BedrockClient.generate_response("Open?", %{}, opts(script, stream: false))
    end

    test "generate_response! returns the summary or raises the error" do
      script = FakeBackend.script([{:answer, ["Yes."]}, {:error, :access_denied}])

      assert %{text: "Yes."} =
               BedrockClient.generate_response!("Open?", %{}, opts(script, stream: false))

      assert_raise Error, ~r/access_denied/, fn ->
        BedrockClient.generate_response!("Open?", %{}, opts(script, stream: false))
      end
    end

    test "options may be a map, as in the design" do
      script = FakeBackend.script([{:answer, ["Yes."]}])
      options = script |> opts(stream: false) |> Map.new()
      assert {:ok, %{text: "Yes."}} = BedrockClient.generate_response("Open?", %{}, options)
    end

    test "events go to :to" do
      script = FakeBackend.script([{:answer, ["Yes."]}])
      parent = self()

      receiver =
        spawn(fn ->
          receive do
            {:aybiza_bedrock, ref, _} = first -> send(parent, {:got, ref, first})
          end
        end)

      {:ok, ref} = BedrockClient.generate_response("Open?", %{}, opts(script, to: receiver))
      assert_receive {:got, ^ref, {:aybiza_bedrock, ^ref, :message_start}}
    end

    test "a model id the catalog does not know is the call's error, before any attempt" do
      script = FakeBackend.script([{:answer, ["Yes."]}])

      assert {:error, %Error{reason: :unknown_model, message: message}} =
               BedrockClient.generate_response("Open?", %{}, opts(script, model_id: "nope.model"))

      assert message =~ "nope.model"
      assert FakeBackend.calls(script) == []
      refute_receive {:aybiza_bedrock, _, _}, 50
    end

    test "an unknown agent type is the call's error; a known one gets its prompt" do
      script = FakeBackend.script([{:answer, ["Yes."]}])

      assert {:error, %Error{reason: :invalid_request, message: message}} =
               BedrockClient.generate_response("Open?", %{agent_type: :pirate}, opts(script))

      assert message =~ ":pirate"

      {:ok, request} =
        BedrockClient.build_request(
          "Hi",
          %{agent_type: :technical_support},
          validated([]),
          @sonnet4
        )

      assert [%{text: system}] = request.system

      assert system =~
               String.trim(
                 Aybiza.Bedrock.VoicePrompts.prompt(:technical_support, guidelines: false)
               )

      assert system =~ String.trim(Aybiza.Bedrock.VoicePrompts.voice_guidelines())
    end

    test "invalid options raise naming the option" do
      assert_raise ArgumentError, ~r/:max_latency/, fn ->
        BedrockClient.generate_response("x", %{}, max_latency: -1)
      end

      assert_raise ArgumentError, ~r/unknown BedrockClient option :bogus/, fn ->
        BedrockClient.generate_response("x", %{}, bogus: 1)
      end
    end
  end

  describe "request building" do
    test "voice defaults, top_k through additional fields, voice guidelines, tools" do
      tools = [
        %{
          tool_spec: %{
            name: "lookup",
            description: "d",
            input_schema: %{json: %{"type" => "object"}}
          }
        }
      ]

      context = %{
        system_prompt: "You are Acme's agent.",
        tools: tools,
        call_id: "c-9",
        conversation_history: [
          %{role: :user, content: "hi"},
          %{role: :assistant, content: "hello"}
        ]
      }

      {:ok, request} = BedrockClient.build_request("Book me in", context, validated([]), @sonnet4)

      assert request.model_id == @sonnet4
      # Sonnet 4.6 rejects temperature with top_p: temperature only.
      assert request.inference_config == %{max_tokens: 2048, temperature: 0.3}
      assert request.additional_model_request_fields == %{"top_k" => 250}
      assert [%{text: system}] = request.system
      assert system =~ "You are Acme's agent."
      assert system =~ String.trim(Aybiza.Bedrock.VoicePrompts.voice_guidelines())
      assert length(request.messages) == 3
      assert List.last(request.messages) == %{role: :user, content: [%{text: "Book me in"}]}
      assert request.tool_config == %{tools: tools, tool_choice: :auto}
      assert request.request_metadata == %{"call_id" => "c-9"}
      refute Map.has_key?(request, :performance_config)
    end

    test "models that reject temperature with top_p get temperature only" do
      {:ok, request} = BedrockClient.build_request("Hi", %{}, validated([]), @sonnet45)
      assert request.inference_config == %{max_tokens: 2048, temperature: 0.3}
    end

    test "extended thinking when asked and supported: no sampling parameters" do
      {:ok, request} =
        BedrockClient.build_request(
          "Hi",
          %{},
          validated(extended_thinking: true, thinking_budget: 2_000),
          @sonnet4
        )

      assert request.additional_model_request_fields == %{
               "thinking" => %{"type" => "enabled", "budget_tokens" => 2_000}
             }

      assert request.inference_config == %{max_tokens: 3_024}

      # Opus 4.7 has adaptive thinking only and takes no sampling parameters: no budget
      # thinking, no temperature / top_p / top_k (Bedrock would answer 400).
      {:ok, request} =
        BedrockClient.build_request(
          "Hi",
          %{},
          validated(extended_thinking: true),
          "us.anthropic.claude-opus-4-7"
        )

      refute Map.has_key?(request, :additional_model_request_fields)
      assert request.inference_config == %{max_tokens: 4096}

      # Nova has no Anthropic thinking: the request stays a normal one, both sampling values.
      {:ok, request} =
        BedrockClient.build_request(
          "Hi",
          %{},
          validated(extended_thinking: true),
          "amazon.nova-lite-v1:0"
        )

      refute Map.has_key?(request, :additional_model_request_fields)
      assert request.inference_config == %{max_tokens: 512, temperature: 0.3, top_p: 0.9}
    end

    test "extended_thinking: :auto thinks for complex turns only" do
      complex =
        "Analyze and compare these three plans step by step, then calculate and explain why one is cheaper over five years given the discount tiers, the penalties and the renewal fees, and walk me through the reasoning"

      simple = "Hi"

      thinking? = fn prompt ->
        {:ok, request} =
          BedrockClient.build_request(prompt, %{}, validated(extended_thinking: :auto), @sonnet4)

        Map.has_key?(Map.get(request, :additional_model_request_fields, %{}), "thinking")
      end

      refute thinking?.(simple)
      assert thinking?.(complex)
    end

    test "latency optimized sets performance_config" do
      {:ok, request} =
        BedrockClient.build_request("Hi", %{}, validated(latency: :optimized), @haiku35)

      assert request.performance_config == %{latency: :optimized}
    end

    test "model from complexity, latency budget and cost sensitivity; region from country" do
      settings = BedrockClient.settings()

      {:ok, {model, region, _}} =
        BedrockClient.select_model_and_region(
          "Hi",
          %{cloudflare_country: "DE"},
          validated(max_latency: 100, cost_optimize: true),
          settings
        )

      assert region == "eu-central-1"
      # The cheap rule: Nova Micro, through the EU profile from an EU region.
      assert model == "eu.amazon.nova-micro-v1:0"

      {:ok, {model, _, _}} =
        BedrockClient.select_model_and_region(
          "Hi",
          %{},
          validated(max_latency: 100, cost_optimize: false, region: "us-west-2"),
          settings
        )

      assert Catalog.get!(model).base_model_id == @haiku35

      {:ok, {model, _, _}} =
        BedrockClient.select_model_and_region(
          "Hi",
          %{tools: [%{}]},
          validated(max_latency: 2_000, region: "us-west-2"),
          settings
        )

      assert model =~ "sonnet"
    end

    test "region: the catalog's country table, else the configured region" do
      settings = %{BedrockClient.settings() | region: "eu-west-3"}

      assert BedrockClient.determine_region(%{cloudflare_country: "DE"}, settings) ==
               "eu-central-1"

      # US maps to the catalog's default region, which is not the configured one here.
      assert BedrockClient.determine_region(%{cloudflare_country: "US"}, settings) == "us-east-1"
      assert BedrockClient.determine_region(%{cloudflare_country: "ZZ"}, settings) == "eu-west-3"
      assert BedrockClient.determine_region(%{}, settings) == "eu-west-3"
    end

    test "routing skips a model whose breaker is open" do
      opts = validated(max_latency: 100, cost_optimize: false, region: "us-west-2")
      {:ok, {model, region, _}} = BedrockClient.select_model_and_region("Hi", %{}, opts)
      assert Catalog.get!(model).base_model_id == @haiku35

      on_exit(fn -> CircuitBreaker.reset(model, region) end)
      for _ <- 1..5, do: CircuitBreaker.record_failure(model, region)
      assert CircuitBreaker.state(model, region) == :open

      {:ok, {other, _, _}} = BedrockClient.select_model_and_region("Hi", %{}, opts)
      assert Catalog.get!(other).base_model_id == "amazon.nova-lite-v1:0"
    end
  end

  describe "failure policy" do
    test "throttling: backoff retries on the same model, then the next model of the chain" do
      script =
        FakeBackend.script([
          {:error, :throttled},
          {:error, :throttled},
          {:error, :throttled},
          {:answer, ["Done."]}
        ])

      events =
        run(script,
          policy: [random: fn ceiling -> ceiling end, base_backoff_ms: 1, max_backoff_ms: 4]
        )

      assert [
               {:retry, %{reason: :throttled, delay_ms: 1}},
               {:retry, %{reason: :throttled, delay_ms: 2}}
             ] = for({:retry, _} = e <- events, do: e)

      assert [{:fallback, %{kind: :throttling_chain, model_id: @haiku35}}] =
               for({:fallback, _} = e <- events, do: e)

      assert {:done, %{model_id: @haiku35, attempts: 4}} = List.last(events)

      assert Enum.map(FakeBackend.calls(script), & &1.request.model_id) == [
               @sonnet4,
               @sonnet4,
               @sonnet4,
               @haiku35
             ]
    end

    test "model not ready: an alternative model in the same region" do
      script = FakeBackend.script([{:error, :model_not_ready}])
      region = unique_region()
      events = run(script, region: region)

      assert [{:fallback, %{kind: :alternative_model, model_id: @haiku35, region: ^region}}] =
               for({:fallback, _} = e <- events, do: e)

      assert {:done, %{model_id: @haiku35}} = List.last(events)
    end

    test "service unavailable and internal server: the fallback region with the same model" do
      for reason <- [:service_unavailable, :internal_server] do
        script = FakeBackend.script([{:error, reason}])
        events = run(script, policy: [random: fn _ -> 0 end, fallback_region: "us-west-2"])

        # Same model, callable id in that region (Sonnet 4 is served through `us.` there).
        assert [
                 {:fallback,
                  %{kind: :fallback_region, model_id: "us." <> @sonnet4, region: "us-west-2"}}
               ] = for({:fallback, _} = e <- events, do: e)

        assert [_, %{opts: second}] = FakeBackend.calls(script)
        assert second[:region] == "us-west-2"
      end
    end

    test "service unavailable with no other region: the geographic profile, unless that is what failed" do
      # A region of the catalog's `eu` profile that has no nearest regions in the catalog.
      region = "eu-south-1"
      assert Aybiza.Bedrock.Turn.Policy.Models.nearest_regions(region) == []
      policy = [random: fn _ -> 0 end, fallback_region: nil]

      # Claude Sonnet 4.6 is served there only through `eu.`: its base id already went out as
      # the profile, so there is nothing new to try (policy_test covers an in-region model
      # falling back to its profile).
      assert {:ok, "eu." <> @sonnet4} =
               Aybiza.Bedrock.Turn.Policy.Models.invocable_id(@sonnet4, region)

      script = FakeBackend.script([{:error, :service_unavailable}])
      events = run(script, region: region, policy: policy)

      assert [] = for({:fallback, _} = e <- events, do: e)
      assert {:error, %Error{reason: :service_unavailable}} = List.last(events)
      assert length(FakeBackend.calls(script)) == 1
    end

    test "validation: never retried" do
      script = FakeBackend.script([{:error, :validation}])
      events = run(script)
      assert [{:error, %Error{reason: :validation}}] = events
      assert length(FakeBackend.calls(script)) == 1
    end

    test "validation of latency=optimized: retried once with standard latency" do
      rejection = Error.new(:validation, "The model does not support latency optimized inference")
      script = FakeBackend.script([{:error_struct, rejection}, {:error_struct, rejection}])
      events = run(script, model_id: @haiku35, latency: :optimized)

      assert [{:retry, %{reason: :validation, latency: :standard}}] =
               for({:retry, _} = e <- events, do: e)

      assert {:error, %Error{reason: :validation}} = List.last(events)
      assert [first, second] = FakeBackend.calls(script)
      assert first.request.performance_config == %{latency: :optimized}
      assert second.request.performance_config == %{latency: :standard}
    end

    test "timeouts: a faster model" do
      for reason <- [:first_byte_timeout, :model_timeout, :idle_timeout] do
        script = FakeBackend.script([{:error, reason}])
        events = run(script)

        assert [{:fallback, %{kind: :faster_model, model_id: @haiku35}}] =
                 for({:fallback, _} = e <- events, do: e)
      end
    end

    test "access denied, model not found, expired credentials: no retry, a clear error" do
      for reason <- [:access_denied, :model_not_found, :expired_credentials, :invalid_credentials] do
        script = FakeBackend.script([{:error, reason}])

        assert [{:fallback_line, _}, {:error, %Error{reason: ^reason, message: message}}] =
                 run(script, fallback_line: true)

        assert message =~ ~r/IAM|does not exist|expired|rejected/
        assert length(FakeBackend.calls(script)) == 1
      end
    end

    test "a synchronous refusal of the backend goes through the same policy" do
      script = FakeBackend.script([{:reject, :throttled}])
      events = run(script)
      assert [{:retry, %{reason: :throttled}}] = for({:retry, _} = e <- events, do: e)
      assert {:done, _} = List.last(events)
    end

    test "all tries spent: the spoken fallback line, then a terminal error" do
      script = FakeBackend.script([], then: {:error, :throttled})
      events = run(script, fallback_line: true, policy: [random: fn _ -> 0 end, max_attempts: 3])

      assert [{:fallback_line, line}, {:error, %Error{reason: :throttled, message: message}}] =
               Enum.take(events, -2)

      assert line =~ "I'm sorry, I'm having trouble right now"
      assert message =~ "gave up after 3 attempt(s)"
      assert length(FakeBackend.calls(script)) == 3
    end

    test "without a fallback line the terminal error comes alone" do
      script = FakeBackend.script([], then: {:error, :throttled})
      events = run(script, policy: [random: fn _ -> 0 end, max_attempts: 2])
      refute Enum.any?(events, &match?({:fallback_line, _}, &1))
    end

    test "the circuit breaker counts failures of the policy's attempts" do
      region = unique_region()
      script = FakeBackend.script([], then: {:error, :service_unavailable})

      for _ <- 1..3 do
        run(script, region: region, breaker: [failure_threshold: 3], policy: [max_attempts: 1])
      end

      assert CircuitBreaker.state(@sonnet4, region) == :open
    end
  end

  describe "mid-stream recovery" do
    test "continues after the delivered sentences: no sentence twice, seq continues, prefill" do
      script =
        FakeBackend.script([
          {:fail_after, ["First we check.", "Then we book."], :model_stream_error},
          {:answer, ["Finally we confirm."]}
        ])

      events = run(script, model_id: @haiku35)

      assert sentences(events) == [
               {0, "First we check."},
               {1, "Then we book."},
               {2, "Finally we confirm."}
             ]

      assert [{:recovered, %{after_sentences: 2, mode: :prefill}}] =
               for({:recovered, _} = e <- events, do: e)

      assert Enum.count(events, &(&1 == :message_start)) == 1
      assert Enum.count(events, &match?({:first_token, _}, &1)) == 1
      assert {:done, summary} = List.last(events)
      assert summary.text == "First we check. Then we book. Finally we confirm."
      assert summary.sentences == 3
      assert summary.recovered?
      assert [%{after_sentences: 2}] = summary.recoveries

      [_, %{request: second}] = FakeBackend.calls(script)

      assert List.last(second.messages) == %{
               role: :assistant,
               content: [%{text: "First we check. Then we book."}]
             }
    end

    test "a model that refuses prefill (Claude 4.6 and later) continues by instruction" do
      for setting <- [true, :prefill] do
        script = FakeBackend.script([{:fail_after, ["One."], :throttled}, {:answer, ["Two."]}])
        events = run(script, recovery: setting)
        assert [{:recovered, %{mode: :instruction}}] = for({:recovered, _} = e <- events, do: e)
        [_, %{request: second}] = FakeBackend.calls(script)
        assert List.last(second.messages).role == :user
        assert List.last(second.system).text =~ "already heard this part of it: \"One.\""
      end
    end

    test "with extended thinking the continuation is an instruction" do
      script = FakeBackend.script([{:fail_after, ["One."], :throttled}, {:answer, ["Two."]}])
      events = run(script, extended_thinking: true)
      assert [{:recovered, %{mode: :instruction}}] = for({:recovered, _} = e <- events, do: e)
      [_, %{request: second}] = FakeBackend.calls(script)
      assert List.last(second.messages).role == :user
      assert List.last(second.system).text =~ "already heard this part of it: \"One.\""
    end

    test "a failure of the continuation continues after every delivered sentence" do
      script =
        FakeBackend.script([
          {:fail_after, ["One."], :throttled},
          {:fail_after, ["Two."], :throttled},
          {:answer, ["Three."]}
        ])

      events = run(script, model_id: @haiku35)
      assert sentences(events) == [{0, "One."}, {1, "Two."}, {2, "Three."}]
      [_, _, %{request: third}] = FakeBackend.calls(script)
      assert List.last(third.messages).content == [%{text: "One. Two."}]
    end

    test "recovery: false makes a mid-stream failure terminal, with what was delivered" do
      script = FakeBackend.script([{:fail_after, ["One."], :model_stream_error}])
      events = run(script, recovery: false)

      assert {:error, %Error{phase: :mid_stream, delivered: %{sentences: 1, text: "One."}}} =
               List.last(events)

      assert length(FakeBackend.calls(script)) == 1
    end

    test "a failure before any sentence restarts from the beginning" do
      script = FakeBackend.script([{:fail_after, [], :model_stream_error}, {:answer, ["Hi."]}])
      events = run(script)
      assert sentences(events) == [{0, "Hi."}]
      [_, %{request: second}] = FakeBackend.calls(script)
      assert List.last(second.messages).role == :user
    end
  end

  describe "cancellation" do
    test "cancel stops the backend stream and no message follows" do
      script = FakeBackend.script([:stall])
      {:ok, ref} = BedrockClient.generate_response("Hi", %{}, opts(script))
      relay = Aybiza.Bedrock.Turn.Relay.lookup(ref)
      assert is_pid(relay)
      assert :ok = BedrockClient.cancel(ref)
      refute Process.alive?(relay)
      # The one terminal is already in the mailbox when cancel/1 returns; nothing follows.
      assert_received {:aybiza_bedrock, ^ref, {:error, %Error{reason: :cancelled}}}
      assert :ok = BedrockClient.cancel(ref)
      refute_receive {:aybiza_bedrock, ^ref, _}, 50
    end

    test "the relay cancels the backend stream when the receiver exits" do
      script = FakeBackend.script([:stall])
      parent = self()

      receiver =
        spawn(fn ->
          {:ok, ref} = BedrockClient.generate_response("Hi", %{}, opts(script))
          send(parent, {:relay, Aybiza.Bedrock.Turn.Relay.lookup(ref)})
          receive do: (:stop -> :ok)
        end)

      assert_receive {:relay, relay}
      monitor = Process.monitor(relay)
      send(receiver, :stop)
      assert_receive {:DOWN, ^monitor, _, _, _}, 1_000
    end
  end

  defp validated(extra) do
    Keyword.merge(
      [
        stream: true,
        to: nil,
        model_id: nil,
        region: nil,
        max_latency: 500,
        cost_optimize: nil,
        extended_thinking: false,
        thinking_budget: 3_000,
        temperature: 0.3,
        top_p: 0.9,
        top_k: 250,
        max_tokens: nil,
        tool_choice: :auto,
        latency: :standard,
        sentences: true,
        backend: nil,
        client_opts: [],
        fallback_line: nil,
        recovery: nil,
        policy: [],
        breaker: [],
        call_id: nil,
        tenant_id: nil,
        timeout: 1_000
      ],
      extra
    )
  end
end
